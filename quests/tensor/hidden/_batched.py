"""Task batched's training loops, data and reference. Not a test module.

The judge loads this file twice: as itself, for the data, the initial weights and the reference losses
(numpy, float64), and in an engine worker beside the learner's package (as optimize's baseline is),
where train_tensor and train_scalar run whole training runs with the learner's classes in one call, so
the CPU time the judge reads around that call is the learner's epochs and not the protocol's round trips.
It imports nothing of the tool: the worker cannot read the tool's files.
"""

from __future__ import annotations

import gc
import math
import random

import numpy as np

POINTS = 40
HIDDEN = 32
"""The mlp quest's train task: MLP(2, [32, 1]) on 40 points."""
LR = 0.1


def moons(n: int, seed: int) -> tuple[list[list[float]], list[float]]:
    """Two interleaving half circles with noise 0.1, labels +1 / -1 (the mlp quest's problem, seeded anew)."""
    r = random.Random(seed)
    xs, ys = [], []
    for i in range(n):
        t = math.pi * r.random()
        if i % 2 == 0:
            x0, x1, y = math.cos(t), math.sin(t), 1.0
        else:
            x0, x1, y = 1 - math.cos(t), 0.5 - math.sin(t), -1.0
        xs.append([x0 + r.gauss(0, 0.1), x1 + r.gauss(0, 0.1)])
        ys.append(y)
    return xs, ys


def initial_weights(seed: int) -> dict[str, list]:
    """W1 (2, HIDDEN), b1 (HIDDEN,), W2 (HIDDEN, 1), b2 (1,), uniform in +-1/sqrt(fan-in), as nested lists."""
    r = random.Random(seed + 1)

    def uniform(rows: int, cols: int, fan_in: int) -> list[list[float]]:
        s = 1 / math.sqrt(fan_in)
        return [[r.uniform(-s, s) for _ in range(cols)] for _ in range(rows)]

    return {"W1": uniform(2, HIDDEN, 2), "b1": uniform(1, HIDDEN, 2)[0],
            "W2": uniform(HIDDEN, 1, HIDDEN), "b2": uniform(1, 1, HIDDEN)[0]}


def reference_losses(seed: int, epochs: int) -> list[float]:
    """The loss before each step of full-batch gradient descent: hinge loss mean(relu(1 - y * score)) of
    the net relu(X @ W1 + b1) @ W2 + b2, the gradients written out by hand."""
    xs, ys = moons(POINTS, seed)
    X, Y = np.array(xs), np.array(ys).reshape(-1, 1)
    p = {k: np.array(v, dtype=np.float64) for k, v in initial_weights(seed).items()}
    losses = []
    for _ in range(epochs):
        z = X @ p["W1"] + p["b1"]
        h = np.maximum(z, 0)
        s = h @ p["W2"] + p["b2"]
        margin = 1 - Y * s
        losses.append(float(np.maximum(margin, 0).mean()))
        ds = np.where(margin > 0, -Y, 0.0) / len(Y)
        dh = (ds @ p["W2"].T) * (z > 0)
        grads = {"W2": h.T @ ds, "b2": ds.sum(axis=0), "W1": X.T @ dh, "b1": dh.sum(axis=0)}
        p = {k: p[k] - LR * grads[k] for k in p}
    return losses


# -- run in the engine worker, with the learner's classes -----------------------------------------------
def settle() -> None:
    """Collect the last run's garbage before the next run's clock starts. Both sides leave their graphs
    in reference cycles; a scalar epoch's is thousands of nodes, and left to the collector's thresholds
    its collection lands in later epochs at moments that vary from run to run (a run of eight epochs
    cost five times eight single ones). The timed runs are the epochs' work, the collector's kept out."""
    gc.collect()


def train_tensor(Tensor, seed: int, epochs: int) -> list[float]:  # noqa: N803 - the learner's class
    """Full-batch training with the learner's Tensor: the loss of each epoch, before its step."""
    xs, ys = moons(POINTS, seed)
    X, Y = Tensor(xs), Tensor(np.array(ys).reshape(-1, 1))
    w = initial_weights(seed)
    params = [Tensor(w["W1"]), Tensor(w["b1"]), Tensor(w["W2"]), Tensor(w["b2"])]
    losses = []
    for _ in range(epochs):
        W1, b1, W2, b2 = params
        scores = (X @ W1 + b1).relu() @ W2 + b2
        loss = (1 - Y * scores).relu().mean()
        loss.backward()
        losses.append(float(loss.data))
        params = [Tensor(p.data - LR * p.grad) for p in params]
    return losses


def train_scalar(nn, seed: int, epochs: int) -> list[float]:
    """The same training with the learner's scalar MLP(2, [HIDDEN, 1]) from the mlp quest, its weights
    set through layers[i].neurons[j].w and .b to the same numbers."""
    xs, ys = moons(POINTS, seed)
    w = initial_weights(seed)
    model = nn.MLP(2, [HIDDEN, 1])
    first, last = model.layers
    for j, neuron in enumerate(first.neurons):
        for i, value in enumerate(neuron.w):
            value.data = w["W1"][i][j]
        neuron.b.data = w["b1"][j]
    [neuron] = last.neurons
    for i, value in enumerate(neuron.w):
        value.data = w["W2"][i][0]
    neuron.b.data = w["b2"][0]
    params = model.parameters()
    losses = []
    for _ in range(epochs):
        outs = [model(x) for x in xs]
        scores = [o[0] if isinstance(o, (list, tuple)) else o for o in outs]
        loss = sum((1 + -y * s).relu() for y, s in zip(ys, scores)) * (1.0 / len(ys))
        for p in params:
            p.grad = 0.0
        loss.backward()
        losses.append(float(loss.data))
        for p in params:
            p.data -= LR * p.grad
    return losses
