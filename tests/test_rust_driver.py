"""The Rust engine driver (src/ugrad_quest/drivers/rust/), driven as the hidden suites drive an engine.

Each test builds the driver against a fixture learner crate (tests/fixtures/rust/) with cargo,
starts it as a worker and talks to it through testkit.remote.Engine, the hidden suites' proxies:
what a suite would see (numbers, identity, errors with the learner's file and line) is what is
asserted. Needs cargo (on PATH or in ~/.cargo/bin); without it these tests skip.
"""

from __future__ import annotations

import gc
import itertools
import json
import math
import os
import shutil
from pathlib import Path

import pytest

from rust_crates import crate_file, make_crate
from ugrad_quest.runner.cargo import build_driver, cargo_command
from ugrad_quest.testkit.checks import Kit
from ugrad_quest.testkit.remote import Engine, RemoteError
from ugrad_quest.worker.process import NO_METER, WorkerGone, WorkerProcess, rust_worker, worker_env

MODULES = {m: f"ugrad.{m}" for m in ("engine", "nn", "train")}
SMALL_STACK = 256 * 1024
"""The engine thread's stack in these tests: the value quest's, where recursion stops near Python's depth."""
N = 10_000

pytestmark = pytest.mark.skipif(cargo_command() is None, reason="cargo is not installed")


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    """driver(crate name) -> the driver binary built against tests/fixtures/rust/<name> (by default
    with the features nn and train).

    One build folder for all crates: after the first cold build, switching crates is an incremental
    rebuild of about a second; each binary is copied out before the next build replaces it."""
    root = tmp_path_factory.mktemp("rust-drivers")
    built: dict[tuple, Path] = {}

    def get(name: str, features: tuple[str, ...] = ("nn", "train")) -> Path:
        if (name, features) not in built:
            result = build_driver(make_crate(name, root / "crates" / name), list(features), cache=root / "cache")
            assert result.binary is not None, f"the driver did not build against {name}: {result.error}\n{result.output}"
            binary = root / f"ugrad-driver-{name}-{'-'.join(features) or 'engine'}"
            shutil.copy2(result.binary, binary)
            built[name, features] = binary
        return built[name, features]

    return get


class Workers:
    """Starts driver processes in fresh folders, each with its phase file and its stderr in a file."""

    def __init__(self, root: Path):
        self.root = root
        self.count = itertools.count(1)
        self.started: list[WorkerProcess] = []

    def start(self, binary: Path, stack_bytes: int = SMALL_STACK, env: dict | None = None) -> WorkerProcess:
        tmp = self.root / f"worker-{next(self.count)}"
        tmp.mkdir()
        with open(tmp / "stderr.txt", "wb") as err:
            worker = WorkerProcess([str(binary)], {**worker_env(tmp), **(env or {})}, tmp,
                                   config={"stack_bytes": stack_bytes, "tmp": str(tmp), "phase_file": str(tmp / "phase")},
                                   stderr=err)
        worker.tmp = tmp
        self.started.append(worker)
        return worker

    def engine(self, binary: Path, stack_bytes: int = SMALL_STACK) -> Engine:
        engine = Engine(lambda: self.start(binary, stack_bytes), NO_METER, MODULES)
        engine.module("engine")
        return engine


@pytest.fixture
def workers(tmp_path):
    workers = Workers(tmp_path)
    yield workers
    for worker in workers.started:
        worker.stop()


def phase(worker: WorkerProcess) -> str:
    return (worker.tmp / "phase").read_bytes().split(b"\0", 1)[0].decode()


def learner_line(crate: str, text: str) -> int:
    """The line of the fixture crate's src/engine.rs that holds text."""
    lines = crate_file(crate, "src/engine.rs").splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


# -- the hello and the protocol itself ------------------------------------------------------------------
def test_hello_says_rust_its_stack_and_its_modules(driver, workers):
    report = {"landlock_abi": 0, "seccomp": False, "confined": False, "missing": ["a test"]}
    worker = workers.start(driver("rc_kahn"), stack_bytes=300_000, env={"UGRAD_CONFINEMENT": json.dumps(report)})
    hello = worker.start()
    assert hello == {"hello": 1, "lang": "rust", "confinement": report, "recursion_limit": None,
                     "stack_bytes": 300_000, "modules": ["engine", "nn", "train"]}
    plain = workers.start(driver("rc_kahn")).start()
    assert plain["confinement"] is None


def test_a_driver_built_for_the_value_quest_has_no_nn(driver, workers):
    worker = workers.start(driver("rc_kahn", features=()))
    assert worker.start()["modules"] == ["engine"]
    reply = worker.exchange([["import", "engine"], ["import", "nn"]])
    assert reply["r"] == [{"t": "n"}]
    assert reply["e"]["type"] == "ModuleNotFoundError" and reply["e"]["builtin"] is True
    assert reply["e"]["import"] == {"module": "ugrad.nn", "kind": "missing", "name": "ugrad.nn"}


def test_descriptors_and_handles_are_the_python_workers(driver, workers):
    worker = workers.start(driver("rc_kahn"))
    worker.start()
    value_type = {"m": "engine", "a": "Value"}
    reply = worker.exchange([
        ["attr", None, {"m": "engine"}, "Value"],
        ["call", 5, value_type, [2], {}],
        ["method", None, {"h": 5}, "clone", [], {}, None],
        ["method", None, {"h": 5}, "clone", [], {}, None],
        ["op", 6, "*", {"h": 5}, 0.5],
        ["read", [{"h": 5}, {"h": 6}], ["data", "grad"]],
        ["same", {"h": 5}, {"h": 6}],
        ["call", None, value_type, [float("nan")], {}],
        ["call", None, value_type, [float("-inf")], {}],
    ])
    assert "e" not in reply, reply
    kind, made, copy, again, product, numbers, same, nan, inf = reply["r"]
    assert kind == {"t": "o", "c": "type", "r": "ugrad::engine::Value", "call": True, "n": "Value", "h": -1}
    assert made == {"t": "V", "h": 5}  # a judge-chosen handle: its numbers are read when asked
    # A clone is the same node: it gets one worker handle, which says it is the judge's 5 once.
    assert copy == {"t": "V", "h": -2, "same": 5, "d": 2.0, "g": 0.0}
    assert again == {"t": "V", "h": -2, "d": 2.0, "g": 0.0}
    assert product == {"t": "V", "h": 6}
    assert numbers == [[{"t": "f", "v": 2.0}, {"t": "f", "v": 0.0}], [{"t": "f", "v": 1.0}, {"t": "f", "v": 0.0}]]
    assert same is False
    assert math.isnan(nan["d"]) and inf["d"] == float("-inf")


def test_bad_requests_are_protocol_errors_and_the_worker_goes_on(driver, workers):
    worker = workers.start(driver("rc_kahn"))
    worker.start()
    assert worker.exchange([["nonsense"]])["e"]["type"] == "ProtocolError"
    assert worker.exchange([["read", [{"h": 99}], ["data"]]])["e"]["msg"] == "unknown handle 99"
    assert worker.exchange({"not": "a list"})["e"]["type"] == "ProtocolError"
    # Python's in-place += has no Rust meaning (the judge sends x = x + y for a Rust engine).
    iop = worker.exchange([["call", 1, {"m": "engine", "a": "Value"}, [1.5], {}], ["iop", 2, "+", {"h": 1}, 1]])
    assert iop["e"] == {"i": 1, "type": "TypeError", "builtin": True, "msg": "Rust Values have no +=", "where": None}
    os.write(worker.proc.stdin.fileno(), b"{not json\n")
    assert worker._receive(NO_METER)["e"]["type"] == "ProtocolError"
    reply = worker.exchange([["call", 3, {"m": "engine", "a": "Value"}, [1.5], {}], ["same", {"h": 1}, {"h": 3}]])
    assert reply == {"r": [{"t": "V", "h": 3}, False]}


# -- values ---------------------------------------------------------------------------------------------
def test_operations_backward_and_identity(driver, workers):
    kit = Kit(workers.engine(driver("rc_kahn")).value_class())
    V = kit.V
    a, b = V(2.0), V(-3)
    c = a * b + 1      # Value op Value, then a number on the right
    d = 2 - a / b      # a number on the left
    e = -(a ** 2) + 0.5 * d.relu() + c.tanh() + a.exp()
    e.backward()
    assert isinstance(b.data, float) and b.data == -3.0
    assert c.data == -5.0 and d.data == pytest.approx(2 + 2 / 3)
    tanh_c = math.tanh(-5.0)
    want_a = b.data * (1 - tanh_c**2) - 2 * 2.0 + 0.5 * (-1 / -3.0) + math.exp(2.0)
    want_b = 2.0 * (1 - tanh_c**2) + 0.5 * (2.0 / 9.0)
    assert a.grad == pytest.approx(want_a) and b.grad == pytest.approx(want_b)
    assert kit.same(a, a) and not kit.same(a, c) and not kit.same(c, a + 0.0)
    s = kit.engine.sum([a, b, a])  # Sum<Value>, the learner's own, over clones of the same nodes
    assert s.data == 1.0 and sum([a, b, a]).data == 1.0  # Python's sum() is 0 + a + b + a
    assert kit.engine.value_class_has("__rtruediv__") and not kit.engine.value_class_has("__iadd__")


def test_unsupported_operations_answer_as_python_would(driver, workers):
    kit = Kit(workers.engine(driver("rc_kahn")).value_class())
    a = kit.V(2.0)
    with pytest.raises(TypeError, match=r"unsupported operand type\(s\) for \*\* or pow\(\): 'int' and 'Value'"):
        kit.settle(2 ** a)
    with pytest.raises(AttributeError, match="'Value' object has no attribute 'params'"):
        a.params
    assert a.data == 2.0  # the worker is still there, a unchanged


def test_a_todo_in_the_learners_method_is_a_panic_at_their_line(driver, workers):
    kit = Kit(workers.engine(driver("relu_todo")).value_class())
    a = kit.new(1.5)
    with pytest.raises(RemoteError) as caught:
        kit.settle(a.relu())
    exc = caught.value
    assert exc.remote_type == "Panic" and not isinstance(exc, (TypeError, AttributeError))
    assert str(exc) == "not yet implemented: Value::relu is not written yet"
    assert exc.where == ["src/engine.rs", learner_line("relu_todo", "todo!("), None]
    assert exc.rust == {"kind": "todo", "api": "Value::relu"}
    assert kit.settle(a * 2).data == 3.0  # caught: the engine goes on


def test_a_double_borrow_is_a_panic_of_kind_borrow(driver, workers):
    kit = Kit(workers.engine(driver("double_borrow")).value_class())
    a = kit.new(3.0)
    c = kit.settle(a * a)
    with pytest.raises(RemoteError) as caught:
        kit.engine.call_method(c, "backward")
    exc = caught.value
    assert exc.rust == {"kind": "borrow", "api": "Value::backward"}
    assert "already" in str(exc) and "borrowed" in str(exc)
    assert exc.where == ["src/engine.rs", learner_line("double_borrow", "let mut b = out.prev[1]"), None]


# -- deep graphs and the engine thread's stack ---------------------------------------------------------
def _chain(kit):
    a = kit.new(0.5)
    return a, kit.settle(kit.engine.fold(a, [("*", 1.0001), ("+", 1)], N // 2))


def test_an_iterative_backward_passes_10000_nodes_on_a_small_stack(driver, workers):
    kit = Kit(workers.engine(driver("rc_kahn")).value_class())
    a, out = _chain(kit)
    kit.engine.call_method(out, "backward")
    assert a.grad == pytest.approx(1.0001 ** (N // 2))


def test_a_recursive_backward_overflows_the_small_stack_and_the_phase_file_says_where(driver, workers):
    engine = workers.engine(driver("recursive_topo"))
    kit = Kit(engine.value_class())
    small = kit.settle(kit.V(2.0) * 3)
    kit.engine.call_method(small, "backward")  # a shallow graph is fine
    _, out = _chain(kit)
    worker = engine.worker
    with pytest.raises(WorkerGone):
        kit.engine.call_method(out, "backward")
    assert worker.proc.returncode == -6  # Rust aborts on a stack overflow
    assert phase(worker) == "call Value::backward"
    assert b"has overflowed its stack" in (worker.tmp / "stderr.txt").read_bytes()


def test_the_same_recursion_passes_on_a_larger_stack(driver, workers):
    kit = Kit(workers.engine(driver("recursive_topo"), stack_bytes=64 * 2**20).value_class())
    a, out = _chain(kit)
    kit.engine.call_method(out, "backward")
    assert a.grad == pytest.approx(1.0001 ** (N // 2))


def test_a_long_chain_the_judge_lets_go_is_dropped_on_a_large_stack(driver, workers):
    engine = workers.engine(driver("rc_kahn"))
    kit = Kit(engine.value_class())
    a, out = _chain(kit)
    kit.engine.call_method(out, "backward")
    del out  # its proxy dies: the judge frees the handle with its next request
    gc.collect()
    engine.send([])
    assert phase(engine.worker) == "drop 1 values"  # Rc's Drop went 10,000 nodes deep, not on the 256 KiB stack
    _, again = _chain(kit)
    engine.reset()  # between tests: every handle at once
    assert engine.worker is not None and engine.worker.proc.poll() is None
    assert kit.new(4.0).data == 4.0


# -- nn and train ---------------------------------------------------------------------------------------
def test_nn_objects_parameters_and_live_attributes(driver, workers):
    engine = workers.engine(driver("rc_kahn"))
    kit = Kit(engine.value_class())
    nn = engine.module("nn")
    model = nn.MLP(2, [3, 1])
    ps, again = model.parameters(), model.parameters()
    assert len(ps) == 3 * 3 + 4 and all(p is q for p, q in zip(ps, again))
    layers = model.layers
    assert [len(layer.neurons) for layer in layers] == [3, 1]
    neuron = layers[0].neurons[1]
    assert neuron is model.layers[0].neurons[1]  # a live reference into the model, one handle
    assert neuron.nonlin is True and layers[1].neurons[0].nonlin is False
    assert neuron.w[0] is ps[3] and neuron.b is ps[5]
    neuron.b.data = 0.25  # through the model's own Value
    assert ps[5].data == 0.25
    x = [1.0, kit.V(-2.0)]
    out = model(x)
    assert isinstance(out, list) and len(out) == 1 and isinstance(out[0], kit.V)
    first = [([w.data for w in n.w], n.b.data) for n in layers[0].neurons]
    hidden = [max(0.0, ws[0] * 1.0 + ws[1] * -2.0 + b) for ws, b in first]
    last = [w.data for w in layers[1].neurons[0].w]
    assert out[0].data == pytest.approx(sum(w * h for w, h in zip(last, hidden)) + layers[1].neurons[0].b.data)
    out[0].backward()  # reaches the input Value too
    assert x[1].grad == pytest.approx(sum(v * ws[1] for v, (ws, _), h in zip(last, first, hidden) if h > 0))
    model.zero_grad()
    kit.prefetch(ps)
    assert all(p.grad == 0 for p in ps)
    other = nn.Neuron(3, nonlin=False)
    assert other.nonlin is False and len(other.parameters()) == 4
    assert not {id(p) for p in other.parameters()} & {id(p) for p in ps}
    assert engine.has(other, "zero_grad") and not engine.has(other, "params")
    with pytest.raises(TypeError, match="unexpected keyword argument 'activation'"):
        nn.Layer(2, 3, activation="relu")
    assert engine.trace(model, [1.0, 2.0]) is None  # no spies in a Rust MLP: the suites chain layers by hand


def test_train_step_returns_the_loss_before_its_update(driver, workers):
    engine = workers.engine(driver("rc_kahn"))
    nn, train = engine.module("nn"), engine.module("train")
    model = nn.MLP(2, [4, 1])
    ps = model.parameters()
    xs, ys, lr = [[0.5, -1.0], [2.0, 0.25], [-1.5, 1.0]], [1, -1, 1], 0.1
    layers = [[([w.data for w in n.w], n.b.data) for n in layer.neurons] for layer in model.layers]

    def score(x):
        for i, layer in enumerate(layers):
            x = [sum(w * v for w, v in zip(ws, x)) + b for ws, b in layer]
            x = x if i == len(layers) - 1 else [max(0.0, v) for v in x]
        return x[0]

    data_loss = sum(max(0.0, 1 - y * score(x)) for x, y in zip(xs, ys)) / len(xs)
    weights = [v for layer in layers for ws, b in layer for v in (*ws, b)]
    want = data_loss + 1e-4 * sum(v * v for v in weights)
    before = [p.data for p in ps]
    losses = engine.repeat(train.train_step, [[model, xs, ys, lr]])
    assert losses == [pytest.approx(want, rel=1e-12)]
    assert [p.data for p in ps] != before  # the step moved the model's own parameters


# -- confinement ----------------------------------------------------------------------------------------
def test_the_driver_runs_confined_as_the_judge_starts_it(driver, tmp_path):
    worker = rust_worker(tmp_path, str(driver("rc_kahn")), SMALL_STACK, 4 * 2**30)
    try:
        engine = Engine(lambda: worker, NO_METER, MODULES)
        engine.ensure()
        assert isinstance(engine.hello["confinement"], dict) and "confined" in engine.hello["confinement"]
        kit = Kit(engine.value_class())
        a, out = _chain(kit)
        kit.engine.call_method(out, "backward")  # threads, the phase file and the dropper work confined
        del out
        gc.collect()
        engine.send([])
        assert worker.phase() == "drop 1 values"
        assert a.grad == pytest.approx(1.0001 ** (N // 2))
    finally:
        worker.stop()
