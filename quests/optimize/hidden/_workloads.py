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


def initial_weights(nin: int, nouts, seed: int) -> list[list[tuple[list[float], float]]]:
    """Seeded weights, uniform in +-1/sqrt(fan-in) (so wide nets stay finite), small biases:
    [layer][neuron] = (w, b), in the order set_weights gives them to a model."""
    r = random.Random(seed + 2)
    sizes = [nin, *nouts]
    layers = []
    for fan_in, count in zip(sizes, sizes[1:]):
        scale = 1 / math.sqrt(fan_in)
        layers.append([([r.uniform(-scale, scale) for _ in range(fan_in)], r.uniform(-0.1, 0.1))
                       for _ in range(count)])
    return layers


def set_weights(model, seed: int) -> None:
    """initial_weights(...) put into model, through its layers' neurons' w and b."""
    layers = initial_weights(len(model.layers[0].neurons[0].w), [len(layer.neurons) for layer in model.layers], seed)
    for i, j, neuron in neurons(model):
        w, b = layers[i][j]
        for value, number in zip(neuron.w, w):
            value.data = number
        neuron.b.data = b


def reference_losses(workload: Workload, seed: int, steps: int, alpha: float = 1e-4) -> list[float]:
    """The loss of each of the first `steps` steps of the baseline's train_step on `workload` (step t
    on batch t of the cycle), computed by the judge with numpy, the whole batch at once: no graph, so
    thousands of times faster than the baseline (float rounding differs from the baseline's order of
    sums by about 1e-15, far inside the speed tasks' tolerance). The speed tasks check every step the
    learner's train_step took while timed against it, so a step that computes only while it is
    watched cannot hide in a long timed run."""
    import numpy as np  # here: the learner's side never imports this module's numpy

    layers = initial_weights(workload.nin, workload.nouts, seed)
    ws = [np.array([w for w, _ in layer]) for layer in layers]  # (neurons, inputs)
    bs = [np.array([b for _, b in layer]) for layer in layers]
    data = [(np.array(xs, dtype=float), np.array(ys, dtype=float))
            for xs, ys in batches(seed, workload.batch, DISTINCT_BATCHES)]
    last = len(layers) - 1
    out = []
    for t in range(steps):
        xs, ys = data[t % len(data)]
        acts, zs = [xs], []
        for i, (w, b) in enumerate(zip(ws, bs)):
            z = acts[-1] @ w.T + b
            zs.append(z)
            acts.append(z if i == last else np.maximum(z, 0.0))
        margin = 1 - ys * acts[-1][:, 0]
        active = margin > 0
        data_loss = float(margin[active].sum())
        upstream = np.where(active, -ys / len(ys), 0.0)[:, None]  # d loss / d score, through the mean
        grads = [None] * len(ws)
        for i in range(last, -1, -1):
            if i < last:  # relu: the gradient passes where z > 0
                upstream = upstream * (zs[i] > 0)
            grads[i] = (upstream.T @ acts[i], upstream.sum(axis=0))
            upstream = upstream @ ws[i]
        reg = sum(float((w * w).sum() + (b * b).sum()) for w, b in zip(ws, bs))
        out.append(data_loss / len(ys) + alpha * reg)
        ws = [w - workload.lr * (gw + 2 * alpha * w) for w, (gw, _) in zip(ws, grads)]
        bs = [b - workload.lr * (gb + 2 * alpha * b) for b, (_, gb) in zip(bs, grads)]
    return out


def weights(model, attr: str = "data") -> list[tuple[str, float]]:
    """Every weight and bias as (name, value), named like layers[0].neurons[3].w[1]; attr="grad" for
    their gradients."""
    out = []
    for i, j, neuron in neurons(model):
        where = f"layers[{i}].neurons[{j}]"
        out.extend((f"{where}.w[{k}]", float(getattr(w, attr))) for k, w in enumerate(neuron.w))
        out.append((f"{where}.b", float(getattr(neuron.b, attr))))
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
