"""Time a few training steps of your own engine, to see where the time goes (task speedup-2x).

    python -m ugrad.profile_step                                  # milliseconds per step
    python -m cProfile -s tottime -m ugrad.profile_step | head -30   # which functions take it

Run it from your workspace (the folder that holds ugrad/). The workload is the optimize quest's
"demo": micrograd's MLP(2, [16, 16, 1]) on batches of 32 moons points, well under a second a step
for a plain engine, so the whole run takes seconds; `--wide` times the quest's other workload,
MLP(2, [100, 100, 1]) on one point a step. `quest check` times both, in its own processes: this
script changes nothing it measures, so edit it as you like.
"""

import argparse
import math
import random
import statistics
import time

from .nn import MLP
from .train import train_step


def moons(n, seed):
    """Two interleaving half circles with a little noise, labels +1 / -1."""
    r = random.Random(seed)
    xs, ys = [], []
    for i in range(n):
        t = math.pi * r.random()
        if i % 2 == 0:
            xs.append([math.cos(t) + r.gauss(0, 0.1), math.sin(t) + r.gauss(0, 0.1)])
            ys.append(1)
        else:
            xs.append([1 - math.cos(t) + r.gauss(0, 0.1), 0.5 - math.sin(t) + r.gauss(0, 0.1)])
            ys.append(-1)
    return xs, ys


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=5, help="training steps to time (default 5)")
    parser.add_argument("--wide", action="store_true", help="MLP(2, [100, 100, 1]), one point a step")
    args = parser.parse_args()
    nouts, batch = ([100, 100, 1], 1) if args.wide else ([16, 16, 1], 32)
    random.seed(1)
    model = MLP(2, nouts)
    xs, ys = moons(100, seed=2)
    times = []
    for step in range(args.steps):
        chosen = random.sample(range(len(xs)), batch)
        start = time.process_time()
        loss = train_step(model, [xs[i] for i in chosen], [ys[i] for i in chosen], 0.05)
        times.append(time.process_time() - start)
        print(f"step {step + 1}: loss {loss:.6f}, {1000 * times[-1]:.0f} ms of CPU time")
    # The median, not the best: the garbage collector's share grows over the first steps, and it is real.
    print(f"MLP(2, {nouts}), batch {batch}: {1000 * statistics.median(times):.0f} ms of CPU time per step (median)")


if __name__ == "__main__":
    main()
