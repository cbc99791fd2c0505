"""The optimize quest's workloads: model shapes, data, seeded weights, and the baseline.

Not a test module. Task still-correct uses it for the data, the weights and the baseline; the speed
tasks give it to testkit.speed.compare, which times each side on these workloads in engine workers
(and says how the two workloads' ratios are combined into one). The weights are set, and read,
through the mlp quest's structure, so the same functions serve the learner's model (proxies of the
engine worker's objects) and the baseline's (real objects in the judge).
"""

from __future__ import annotations

import importlib.util
import math
import random
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Workload:
    name: str
    nin: int
    nouts: tuple[int, ...]
    batch: int
    """Points per step, drawn from the 100 moons points; sized so one baseline step takes 0.2-2 s."""
    lr: float


# The micrograd demo (its MLP on the moons), and a wide net where the dot products dominate.
WORKLOADS = (
    Workload("demo", 2, (16, 16, 1), batch=32, lr=0.05),
    Workload("wide_100", 2, (100, 100, 1), batch=1, lr=0.05),
)
POINTS = 100
DISTINCT_BATCHES = 8  # the timed steps cycle through these


def moons(n: int, seed: int) -> tuple[list[list[float]], list[int]]:
    """Two interleaving half circles with noise 0.1, labels +1 / -1 (sklearn's make_moons, reimplemented)."""
    r = random.Random(seed)
    xs, ys = [], []
    for i in range(n):
        t = math.pi * r.random()
        if i % 2 == 0:
            x0, x1, y = math.cos(t), math.sin(t), 1
        else:
            x0, x1, y = 1 - math.cos(t), 0.5 - math.sin(t), -1
        xs.append([x0 + r.gauss(0, 0.1), x1 + r.gauss(0, 0.1)])
        ys.append(y)
    return xs, ys


def batches(seed: int, size: int, count: int, n: int = POINTS) -> list[tuple[list[list[float]], list[int]]]:
    """`count` batches of `size` distinct points of the seeded moons, each batch a fresh draw."""
    xs, ys = moons(n, seed)
    r = random.Random(seed + 1)
    out = []
    for _ in range(count):
        idx = r.sample(range(n), size)
        out.append(([list(xs[i]) for i in idx], [ys[i] for i in idx]))
    return out


def neurons(model):
    """(layer index, neuron index, neuron) for every neuron, through the mlp quest's structure:
    MLP.layers, Layer.neurons, Neuron.w (a list of Values) and Neuron.b."""
    for i, layer in enumerate(model.layers):
        for j, neuron in enumerate(layer.neurons):
            yield i, j, neuron


def set_weights(model, seed: int) -> None:
    """Seeded weights, uniform in +-1/sqrt(fan-in) (so wide nets stay finite), small biases."""
    r = random.Random(seed + 2)
    for _, _, neuron in neurons(model):
        scale = 1 / math.sqrt(len(neuron.w))
        for w in neuron.w:
            w.data = r.uniform(-scale, scale)
        neuron.b.data = r.uniform(-0.1, 0.1)


def weights(model) -> list[tuple[str, float]]:
    """Every weight and bias as (name, value), named like layers[0].neurons[3].w[1]."""
    out = []
    for i, j, neuron in neurons(model):
        where = f"layers[{i}].neurons[{j}]"
        out.extend((f"{where}.w[{k}]", float(w.data)) for k, w in enumerate(neuron.w))
        out.append((f"{where}.b", float(neuron.b.data)))
    return out


def load_baseline():
    """The baseline module next to this file (MLP, train_step, ALPHA, ...), loaded once. The judge
    runs it in-process to compute the expected step (it is the quest's code, not the learner's)."""
    if "_optimize_baseline" not in sys.modules:
        spec = importlib.util.spec_from_file_location("_optimize_baseline", BASELINE_FILE)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules["_optimize_baseline"] = module
    return sys.modules["_optimize_baseline"]


BASELINE_FILE = Path(__file__).with_name("_baseline.py")
BASELINE_MODULES = {m: {"file": str(BASELINE_FILE), "name": "_optimize_baseline"} for m in ("engine", "nn", "train")}
"""The baseline as an engine worker runs it for timing: its one file is the engine, the nn and the train."""
