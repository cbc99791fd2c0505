"""Training: one step of gradient descent, the loop that `quest check` times.

train_step below is correct and plain: it builds a fresh graph of Values for every step, exactly as
micrograd's demo does. The optimize quest times it on two workloads (micrograd's demo net,
MLP(2, [16, 16, 1]), and a wide one, MLP(2, [100, 100, 1])) against a baseline as slow as
micrograd, and asks you to make it 2x, 5x, 20x and 60x faster (the last on the demo net). You may
change anything here and in engine.py and nn.py, as long as every step computes what this one computes:

    scores    = model(x) for every x in xs             (one Value per point)
    data_loss = mean over the batch of (1 - y * score).relu()      (the SVM max-margin loss)
    loss      = data_loss + ALPHA * sum(p * p for p in model.parameters())
    then      model.zero_grad(); loss.backward()
    and       p.data -= lr * p.grad for every p in model.parameters()
    returning float(loss.data), the loss BEFORE the update,
    and leaving each p.grad as loss.backward() left it (the step goes through your Values).

xs is a list of points (each a list of plain floats), ys the labels (+1 or -1), lr a float; every
call may bring new points and a new lr, and several models may be trained in turn. Task
still-correct compares your losses, updated weights and gradients with the baseline's after several
steps, so the answer must stay the same up to float rounding (summing in another order is fine). A
step that leaks memory from step to step earns no speed tier, nor does one computed outside your
Values (hand-written backprop on lists of floats): the quest is to make your engine fast.

Start by measuring: `python -m ugrad.profile_step` (run from your workspace) times a few steps of
the demo workload in seconds, and its docstring shows how to profile them.
"""

ALPHA = 1e-4
"""Weight of the L2 regularisation term."""


def train_step(model, xs, ys, lr):
    """One step of SGD on the max-margin loss; returns the loss before the update, as a float."""
    scores = [model(x) for x in xs]
    losses = [(1 - y * score).relu() for y, score in zip(ys, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * sum(p * p for p in model.parameters())
    loss = data_loss + reg_loss
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data -= lr * p.grad
    return float(loss.data)
