"""The optimize quest's workloads, and the child process that times one side of the comparison on them.

Not a test module. Task still-correct imports it for the data, the weights and the baseline; the
speed tasks run it as a script, once per side and round (testkit.speed.compare, which also says how
the two workloads' ratios are combined into one):

    python _workloads.py SIDE PACKAGE SEED TARGET_SECONDS OUT_JSON    (SIDE: baseline | learner)

The child builds each workload from SEED (so both sides get identical data, weights and batches),
runs one warm-up step, then times steps with time.perf_counter until TARGET_SECONDS have passed
(at least one step), and writes {workload: {"warmup": s, "per_step": s, "steps": n}} to OUT_JSON.
The garbage collector is left as the code under test leaves it.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import math
import random
import sys
import time
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
    """The baseline module next to this file (MLP, train_step, ALPHA, ...), loaded once."""
    if "_optimize_baseline" not in sys.modules:
        spec = importlib.util.spec_from_file_location("_optimize_baseline", Path(__file__).with_name("_baseline.py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules["_optimize_baseline"] = module
    return sys.modules["_optimize_baseline"]


def load_learner(package: str):
    """(MLP class, train_step) of the learner's package."""
    nn = importlib.import_module(f"{package}.nn")
    train = importlib.import_module(f"{package}.train")
    return nn.MLP, train.train_step


def time_workload(mlp, train_step, workload: Workload, seed: int, target: float) -> dict:
    model = mlp(workload.nin, list(workload.nouts))
    set_weights(model, seed)
    data = batches(seed, workload.batch, DISTINCT_BATCHES)
    start = time.perf_counter()
    train_step(model, *data[0], workload.lr)
    warmup = time.perf_counter() - start
    steps = 0
    start = time.perf_counter()
    while True:
        steps += 1
        train_step(model, *data[steps % len(data)], workload.lr)
        elapsed = time.perf_counter() - start
        if elapsed >= target:
            return {"warmup": warmup, "per_step": elapsed / steps, "steps": steps}


def main(argv: list[str]) -> None:
    side, package, seed, target, out = argv
    if side == "baseline":
        mlp, train_step = load_baseline().MLP, load_baseline().train_step
    else:
        mlp, train_step = load_learner(package)
    results = {}
    for workload in WORKLOADS:
        results[workload.name] = time_workload(mlp, train_step, workload, int(seed), float(target))
        # Written after each workload: a side that is killed half-way still reports what it finished.
        Path(out).write_text(json.dumps(results), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
