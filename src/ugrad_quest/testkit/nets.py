"""Checking a learner's neural-net module (Neuron, Layer, MLP on their own Value), for the mlp quest.

Everything here looks at the learner's modules from the outside where it can:

- ``probe_units`` finds out what each parameter does by nudging its ``.data`` and watching the
  outputs: in a linear region a weight changes its neuron's output at the rate of its input, the
  bias at the rate 1, and a parameter that changes nothing is a copy (or unused). Flipping the
  sign of every parameter flips the sign of every neuron's w . x + b, which shows relu (one of
  the two is 0) or its absence (the output flips). No attribute names, no parameter order. A
  neuron that fails this and turns out to be tanh(w . x + b) (the micrograd video's) is named so.
- ``chain_of_layers`` has the worker replace ``mlp.layers`` (the one attribute the suite reads,
  documented in the starter) with spies that record what each layer was given and returned.
- ``expected_gradients`` gives d loss / d p by central differences of the same loss in float64 on
  the learner's own forward pass; the loss (``squares_loss``) is piecewise quadratic in each
  parameter, so the differences are exact unless a relu kink lies within the step, which is
  detected (two step sizes disagree) and answered by drawing new numbers.
- ``train_two_moons`` trains the learner's MLP with the suite's own loop and loss (micrograd's
  demo: SVM max-margin loss, L2 regularisation, learning rate decaying from 1.0 to 0.1) on a
  two-moons data set it generates itself (``two_moons``).

Only + * and relu() of the learner's Value are used (micrograd's Value has no tanh or exp).
"""

from __future__ import annotations

import math
import random
from numbers import Real

from ugrad_quest.testkit import checks
from ugrad_quest.testkit.checks import Kit, close, fail, fmt, fmt2

DELTA = 1e-3  # how far a probe moves one parameter; outputs are affine in it away from relu's kink
COEF_TOL = 1e-6  # a probed rate matches an input (or 1) within this
PARAMETERS_NAMES = ("params", "parameter", "get_parameters", "get_params")
"""Names a learner may give parameters() (the suites and micrograd's zero_grad() call parameters())."""


# -- data -------------------------------------------------------------------------------------------
def two_moons(n: int, noise: float = 0.1, seed: int = 0) -> tuple[list[list[float]], list[float]]:
    """Two interleaving half circles (sklearn's make_moons, without sklearn), standardised to about
    [-3, 3] on both axes: n points, labels +1 (upper moon) and -1 (lower moon)."""
    r = random.Random(seed)
    xs: list[list[float]] = []
    ys: list[float] = []
    for count, label in ((n // 2, 1.0), (n - n // 2, -1.0)):
        for i in range(count):
            t = math.pi * i / (count - 1)
            if label > 0:
                x, y = math.cos(t), math.sin(t)
            else:
                x, y = 1 - math.cos(t), 0.5 - math.sin(t)
            x += r.gauss(0, noise)
            y += r.gauss(0, noise)
            xs.append([(x - 0.5) * 2, (y - 0.25) * 4])
            ys.append(label)
    return xs, ys


def tree_sum(values):
    """Sum a list pairwise, so the graph is shallow (a recursive backward() stays far from the
    recursion limit however many terms there are)."""
    vals = list(values)
    if not vals:
        raise ValueError("nothing to sum")
    while len(vals) > 1:
        vals = [vals[i] + vals[i + 1] if i + 1 < len(vals) else vals[i] for i in range(0, len(vals), 2)]
    return vals[0]


def fmt_list(xs) -> str:
    return "[" + ", ".join(fmt(x) for x in xs) + "]"


def count_text(n: int, what: str) -> str:
    return f"{n} {what}" + ("" if n == 1 else "s")


# -- the learner's nn module -----------------------------------------------------------------------------
class NetKit:
    """The learner's Value and nn module, with the know-how to call them and explain failures."""

    def __init__(self, Value, nn):  # noqa: N803 - named after the class it wraps
        self.kit = Kit(Value)
        self.V = Value
        self.name = self.kit.name
        self.nn = nn
        self.file = getattr(nn, "__name__", "nn").replace(".", "/") + ".py"

    # calling
    def cls(self, name: str):
        c = getattr(self.nn, name, None)
        if c is None:
            fail(f"{self.file} has no class {name}")
        return c

    def explain(self, exc: Exception, expr: str, owner=None) -> str:
        """One sentence for an exception raised while computing ``expr`` (on ``owner``, a module)."""
        base = self.kit.explain(exc, expr)
        text = str(exc)
        hint = ""
        renamed = (self._renamed_parameters(owner)
                   if isinstance(exc, AttributeError) and "no attribute 'parameters'" in text else None)
        if renamed:
            hint = (f"{owner.__name__} has {renamed}() but the tests call parameters(), micrograd's name: "
                    f"rename {renamed}() to parameters()")
        elif isinstance(exc, TypeError) and "unexpected keyword argument 'nonlin'" in text:
            hint = ("Neuron(nin, nonlin=True) takes nonlin, and Layer(nin, nout, **kwargs) passes its keyword "
                    "arguments on to every Neuron")
        elif isinstance(exc, TypeError) and "object is not callable" in text:
            hint = "define __call__(self, x): calling the module runs its forward pass"
        elif isinstance(exc, TypeError) and "object is not iterable" in text and "parameters" in expr:
            hint = "parameters() must return a list of Values"
        elif isinstance(exc, AttributeError) and ("zero_grad" in text or "'parameters'" in text):
            hint = ("Neuron, Layer and MLP inherit zero_grad() from Module (class Neuron(Module)), and each "
                    "defines parameters()")
        return f"{base}: {hint}" if hint else base

    def _renamed_parameters(self, owner) -> str | None:
        """The other name a module's parameter list goes by (params(), ...), if it has one."""
        if owner is None:
            return None
        return next((name for name in PARAMETERS_NAMES if self.kit.engine.has(owner, name)), None)

    def call(self, expr: str, fn, owner=None):
        try:
            return self.kit.settle(fn())
        except Exception as exc:  # not BaseException: the task timeout must get through
            fail(self.explain(exc, expr, owner))

    def make(self, cls_name: str, *args, **kwargs):
        """(module, label): ``Neuron(3, nonlin=False)`` built, with the text that made it."""
        parts = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
        label = f"{cls_name}({', '.join(parts)})"
        cls = self.cls(cls_name)
        return self.call(label, lambda: cls(*args, **kwargs)), label

    def params(self, module, label: str) -> list:
        """module.parameters() as a list of distinct Values, or a failure saying what is wrong."""
        expr = f"{label}.parameters()"
        ps = self.call(expr, lambda: module.parameters(), owner=module)
        if ps is None:
            fail(f"{expr} returned None: it must return a list of the module's parameter {self.name}s")
        if isinstance(ps, self.V):
            fail(f"{expr} returned a single {self.name}, expected a list of them")
        try:
            ps = list(ps)
        except TypeError:
            fail(f"{expr} returned {type(ps).__name__}, expected a list of {self.name}s")
        except Exception as exc:
            fail(self.explain(exc, expr))
        seen: dict[int, int] = {}
        for i, p in enumerate(ps):
            if isinstance(p, (list, tuple)):
                fail(f"{expr}[{i}] is a {type(p).__name__}, expected a {self.name}: flatten the parameters "
                     "into one list, [p for n in self.neurons for p in n.parameters()]")
            if not isinstance(p, self.V):
                what = type(p).__name__ + (f" {fmt(p)}" if isinstance(p, Real) else "")
                fail(f"{expr}[{i}] is a {what}, expected a {self.name}: return the parameter {self.name}s "
                     "themselves (w and b), not their numbers")
            if id(p) in seen:
                fail(f"{expr} lists the same {self.name} twice (at {seen[id(p)]} and {i}): list each "
                     "parameter once")
            seen[id(p)] = i
        return ps

    def outputs(self, module, x, label: str, n_out: int | None) -> list:
        """The Values module(x) returned: n_out None means exactly one Value (a Neuron); otherwise a
        list of n_out Values, or a bare Value when n_out == 1."""
        expr = f"{label}({self.x_text(x)})"
        return self.checked_outputs(self.call(expr, lambda: module(x)), expr, n_out)

    def checked_outputs(self, out, expr: str, n_out: int | None) -> list:
        if n_out is None:
            if isinstance(out, self.V):
                return [out]
            what = "None: does __call__ end with `return out`?" if out is None else type(out).__name__
            fail(f"{expr} returned {what}, expected one {self.name}")
        if isinstance(out, self.V) and n_out == 1:
            return [out]
        if out is None:
            fail(f"{expr} returned None: does __call__ end with `return out`?")
        if not isinstance(out, (list, tuple)):
            fail(f"{expr} returned {type(out).__name__}, expected a list of {count_text(n_out, self.name)}")
        outs = list(out)
        if len(outs) != n_out:
            fail(f"{expr} returned {count_text(len(outs), 'output')}, expected {n_out}: one per neuron")
        for i, o in enumerate(outs):
            if not isinstance(o, self.V):
                fail(f"{expr}[{i}] is {type(o).__name__}, expected a {self.name}")
        return outs

    def outputs_many(self, module, xs, label: str, n_out: int | None) -> list[list]:
        """[self.outputs(module, x, ...) for x in xs], the calls made in one round trip (the same calls
        in the same order: only the waiting between them is saved)."""
        try:
            outs = self.kit.engine.repeat(module, [[x] for x in xs])
        except Exception:  # noqa: BLE001 - told precisely by calling one at a time
            return [self.outputs(module, x, label, n_out) for x in xs]
        return [self.checked_outputs(out, f"{label}({self.x_text(x)})", n_out) for x, out in zip(xs, outs)]

    def values(self, module, x, label: str, n_out: int | None) -> list[float]:
        return [self.kit.data(o, "out") for o in self.outputs(module, x, label, n_out)]

    def run_calls(self, module, label: str, n_out: int | None, plan) -> list[list[float]]:
        """The output numbers of module(x) for every ("call", x) of plan, with the ("set", p, number)
        before it applied to p.data, in order: one round trip when every output came back as a
        plain Value with a plain number, else step by step (where every oddity gets its message)."""
        steps = [("set", s[1], "data", s[2]) if s[0] == "set" else ("call", module, [s[1]]) for s in plan]
        try:
            descs = self.kit.engine.batch(steps, raw=True)
        except Exception:  # noqa: BLE001 - told precisely by the step-by-step run
            return self._run_calls_slowly(module, label, n_out, plan)
        results = [_plain_outputs(d, n_out) for d in descs]
        if any(r is None for r in results):
            return self._run_calls_slowly(module, label, n_out, plan)
        return results

    def _run_calls_slowly(self, module, label: str, n_out: int | None, plan) -> list[list[float]]:
        results = []
        for step in plan:
            if step[0] == "set":
                step[1].data = step[2]
            else:
                results.append(self.values(module, step[1], label, n_out))
        return results

    def datas(self, ps) -> list[float]:
        """.data of every value, read in one round trip."""
        self.kit.prefetch(ps)
        return [self.kit.data(p, f"parameters()[{i}]") for i, p in enumerate(ps)]

    def x_text(self, x) -> str:
        return "[" + ", ".join(f"{self.name}({fmt(v.data)})" if isinstance(v, self.V) else fmt(v) for v in x) + "]"

    def set_data(self, ps, numbers) -> None:
        for p, v in zip(ps, numbers):
            p.data = v

    def grads(self, ps) -> list[float]:
        self.kit.prefetch(ps)
        return [self.kit.grad(p, f"parameters()[{i}]") for i, p in enumerate(ps)]


def _plain_outputs(desc, n_out: int | None) -> list[float] | None:
    """The numbers of module(x)'s outputs from its descriptor, when they are exactly what the suite
    expects (one Value, or a list of n_out Values, with plain numbers); None for anything else."""
    if not isinstance(desc, dict):
        return None
    if desc.get("t") == "V" and (n_out is None or n_out == 1):
        items = [desc]
    elif n_out is not None and desc.get("t") in ("l", "u") and len(desc["v"]) == n_out:
        items = desc["v"]
    else:
        return None
    if not all(isinstance(d, dict) and d.get("t") == "V" and type(d.get("d")) in (int, float) for d in items):
        return None
    return [float(d["d"]) for d in items]


def draw_params(r: random.Random, n: int, lo: float = 0.3, hi: float = 1.5) -> list[float]:
    return [round(r.choice((-1, 1)) * r.uniform(lo, hi), 3) for _ in range(n)]


def draw_inputs(r: random.Random, nin: int) -> list[float]:
    """nin inputs, distinct in absolute value and away from 0 and 1, so a probed rate names its input."""
    return checks.numbers(r, nin, 0.3, 2.5)


# -- parameter counts ----------------------------------------------------------------------------------
def check_count(nk: NetKit, ps, label: str, sizes: list[int]) -> None:
    """sizes = [nin, n1, n2, ...]: the parameters of layers of n1, n2, ... neurons (a Neuron: [nin, 1])."""
    want = sum(n * (a + 1) for a, n in zip(sizes, sizes[1:]))
    got = len(ps)
    if got == want:
        return
    neurons = sum(sizes[1:])
    if len(sizes) == 2 and sizes[1] == 1:
        breakdown = f"{count_text(sizes[0], 'weight')} and the bias b"
    else:
        breakdown = " + ".join(f"{n}·({a}+1)" for a, n in zip(sizes, sizes[1:]))
    msg = f"{label}.parameters() has {count_text(got, 'Value')}, expected {want} ({breakdown})"
    if got == want - neurons:
        fail(f"{msg}: does each Neuron's parameters() include its bias b? return self.w + [self.b]")
    if len(sizes) > 2 and got == sum(n * (sizes[0] + 1) for n in sizes[1:]):
        fail(f"{msg}: every layer was built with {sizes[0]} inputs; a layer takes as many inputs as the "
             "layer before it has neurons (sizes = [nin] + nouts, Layer(sizes[i], sizes[i + 1]))")
    if len(sizes) > 2 and got == sizes[-1] * (sizes[-2] + 1):
        fail(f"{msg}: that is only the last layer's; collect the parameters of every layer")
    if len(sizes) > 2 and got == sizes[1] * (sizes[0] + 1):
        fail(f"{msg}: that is only the first layer's; collect the parameters of every layer")
    if len(sizes) == 3 and sizes[2] > 1 and got == sizes[1] and sizes[0] + 1 != 1:
        fail(f"{msg}: that is one per neuron; collect every neuron's parameters")
    fail(msg)


# -- what each parameter does ---------------------------------------------------------------------------------
class Probe:
    """Outputs at one setting of the parameters, and the rate at which each parameter changes each
    output (rates[k][j]: parameter k, output j)."""

    def __init__(self, setting, outputs, rates):
        self.setting, self.outputs, self.rates = setting, outputs, rates

    def active(self, k: int, j: int) -> bool:
        return abs(self.rates[k][j]) > COEF_TOL


def _probe(nk: NetKit, module, ps, x, label: str, n_out, setting) -> Probe:
    plan = [("set", p, v) for p, v in zip(ps, setting)] + [("call", x)]
    for k, p in enumerate(ps):
        plan += [("set", p, setting[k] + DELTA), ("call", x), ("set", p, setting[k])]
    base, *moved = nk.run_calls(module, label, n_out, plan)
    rates = [[(m - b) / DELTA for m, b in zip(row, base)] for row in moved]
    return Probe(setting, base, rates)


def _looks_like_tanh(nk: NetKit, module, ps, x, xs, label: str, n_out, j: int, r: random.Random) -> bool:
    """Output j is tanh(w . x + b) (the micrograd video's Neuron), not relu: at a setting where the
    output is moderate, every parameter changes it at (1 - out**2) times an input, or times 1, and
    the output is exactly tanh of the w . x + b those rates give. A diagnosis for a failure only."""
    for _ in range(8):
        setting = [v / 4 for v in draw_params(r, len(ps))]
        probe = _probe(nk, module, ps, x, label, n_out, setting)
        t = probe.outputs[j]
        if not 0.1 < abs(t) < 0.95:
            continue
        slope = 1 - t * t
        z = 0.0
        for k in range(len(ps)):
            if probe.active(k, j):
                q = probe.rates[k][j] / slope
                c = min((*xs, 1.0), key=lambda c: abs(q - c))
                if abs(q - c) > 0.005 * max(1.0, abs(c)):
                    return False
                z += c * setting[k]
        return math.isclose(t, math.tanh(z), rel_tol=1e-9, abs_tol=1e-12)
    return False


def probe_units(nk: NetKit, module, ps, label: str, nin: int, n_out: int | None, nonlin: bool,
                r: random.Random, as_values: bool = False) -> list[dict]:
    """Check, from outside, that output j of ``module`` is relu(w_j . x + b_j) (or w_j . x + b_j when
    not ``nonlin``) over parameters of its own; returns one {input index or 'b': parameter index}
    per output. ``ps`` are the module's parameters (already counted)."""
    units = 1 if n_out is None else n_out
    who = "the neuron" if n_out is None else "neuron"
    for attempt in range(10):
        xs = draw_inputs(r, nin)
        x = [nk.V(v) for v in xs] if as_values else list(xs)
        setting = draw_params(r, len(ps))
        pos = _probe(nk, module, ps, x, label, n_out, setting)
        neg = _probe(nk, module, ps, x, label, n_out, [-v for v in setting])
        # Keep clear of relu's kink: every output should be well away from 0 in one of the two settings.
        if all(max(abs(pos.outputs[j]), abs(neg.outputs[j])) >= 0.05 for j in range(units)) or attempt == 9:
            break
    nk.set_data(ps, setting)
    call = f"{label}({nk.x_text(x)})"
    inputs = ", ".join(f"x[{i}] = {fmt(v)}" for i, v in enumerate(xs))

    if not any(p.active(k, j) for p in (pos, neg) for k in range(len(ps)) for j in range(units)):
        if all(a == b for a, b in zip(pos.outputs, neg.outputs)):
            fail(f"parameters() returned Values that are not the ones used in the forward pass (changing p.data "
                 f"did not change the output of {call}): return the live w and b, not copies")
        fail(f"changing the data of {label}.parameters() one at a time never changed the output of {call}: "
             "every weight and the bias must take part in the forward pass")

    roles: list[dict] = []
    owner: dict[int, int] = {}
    for j in range(units):
        probe = pos if sum(pos.active(k, j) for k in range(len(ps))) >= sum(neg.active(k, j) for k in range(len(ps))) else neg
        unit = "" if n_out is None else f" {j}"
        out_name = "the output" if n_out is None else f"output {j}"

        def bad(message: str, j=j, out_name=out_name):
            # A tanh neuron (the micrograd video's) fails the identification somewhere: name it.
            if _looks_like_tanh(nk, module, ps, x, xs, label, n_out, j, r):
                fail(f"{out_name[0].upper() + out_name[1:]} of {call} looks like tanh(w . x + b): this quest "
                     "follows micrograd's nn.py, where a neuron applies relu (act.relu() if self.nonlin else "
                     "act), and nonlin=False leaves act unchanged")
            fail(message)

        role: dict = {}
        for k in range(len(ps)):
            if not probe.active(k, j):
                continue
            rate = probe.rates[k][j]
            if k in owner:
                fail(f"{label}.parameters()[{k}] changes outputs {owner[k]} and {j} of {call}: each neuron needs "
                     "its own weights and bias (were the neurons given the same list of Values?)")
            owner[k] = j
            match = [i for i, v in enumerate(xs) if abs(rate - v) <= COEF_TOL * max(1.0, abs(v))]
            if match and match[0] not in role:
                role[match[0]] = k
            elif abs(rate - 1) <= COEF_TOL and "b" not in role:
                role["b"] = k
            else:
                bad(f"changing {label}.parameters()[{k}].data by {fmt(DELTA)} changed {out_name} of {call} by "
                    f"{fmt(rate * DELTA)}; a weight changes it by its input times the change ({inputs}) and "
                    f"the bias by the change itself: {who}{unit} must compute sum(wi * xi) + b")
        missing = [i for i in range(nin) if i not in role]
        if missing and len(missing) == nin and "b" in role:
            bad(f"the inputs do not reach {out_name} of {call}: only the bias changes it; multiply each input "
                "by its weight, sum(wi * xi for wi, xi in zip(self.w, x)) + self.b")
        if missing:
            bad(f"x[{missing[0]}] = {fmt(xs[missing[0]])} does not reach {out_name} of {call} (no parameter "
                f"changes it at the rate x[{missing[0]}]): every input is multiplied by its own weight, "
                "sum(wi * xi for wi, xi in zip(self.w, x)) + self.b")
        if "b" not in role:
            bad(f"the bias does not change {out_name} of {call} (changing every parameter of {label} in turn, "
                "only the weights did): the forward pass must add the bias, act = sum(wi * xi) + b, and "
                "parameters() must include it")
        roles.append(role)

    unused = [k for k in range(len(ps)) if k not in owner]
    if unused:
        fail(f"{label}.parameters()[{unused[0]}] does not change any output of {call}: parameters() must list "
             "the Values the forward pass uses, and nothing else")

    # The numbers: w . x + b in one setting is -(w . x + b) in the other; relu shows as a 0.
    for j, role in enumerate(roles):
        out_name = "" if n_out is None else f"[{j}]"
        for probe in (pos, neg):
            z = sum(probe.setting[k] * (xs[i] if i != "b" else 1.0) for i, k in role.items())
            want = max(z, 0.0) if nonlin else z
            got = probe.outputs[j]
            if close(got, want):
                continue
            shown = f"{label}({nk.x_text(x)}){out_name} gave {fmt2(got, want)[0]}"
            if nonlin and z < 0 and close(got, z):
                fail(f"{shown} where w . x + b = {fmt(z)}: "
                     + ("the default Neuron (nonlin=True) applies relu: return act.relu() if self.nonlin else act"
                        if n_out is None else
                        "by default a Layer's neurons apply relu (nonlin=True)"))
            if not nonlin and z < 0 and close(got, 0.0):
                fail(f"{shown} where w . x + b = {fmt(z)}: "
                     + ("nonlin=False must be linear: return act itself, without relu"
                        if n_out is None else
                        "nonlin=False must make every neuron linear: Layer(nin, nout, **kwargs) passes kwargs on "
                        "to each Neuron(nin, **kwargs)"))
            fail(f"{shown}, expected {fmt2(got, want)[1]} (w . x + b = {fmt(z)}, with w and b read from "
                 f"{label}.parameters(){', then relu' if nonlin else ''})")
    nk.set_data(ps, setting)
    return roles


# -- the layers of an MLP --------------------------------------------------------------------------------
def mlp_layers(nk: NetKit, model, label: str, count: int) -> list:
    try:
        layers = model.layers
    except AttributeError:
        fail(f"{label} has no attribute layers: keep the Layers in a list, self.layers, in order (the checks "
             "read it, as in micrograd)")
    if not isinstance(layers, (list, tuple)):
        fail(f"{label}.layers is a {type(layers).__name__}, expected a list of Layers")
    if len(layers) != count:
        fail(f"{label}.layers has {len(layers)} {'entry' if len(layers) == 1 else 'entries'}, expected {count}: "
             "one Layer per entry of nouts")
    return list(layers)


def _data_list(nk: NetKit, x):
    if isinstance(x, nk.V):
        return [float(x.data)]
    if isinstance(x, (list, tuple)):
        out = []
        for v in x:
            if isinstance(v, nk.V):
                out.append(float(v.data))
            elif isinstance(v, Real):
                out.append(float(v))
            else:
                return None
        return out
    return None


def chain_of_layers(nk: NetKit, model, label: str, x, n_layers: int, n_out: int):
    """Call model(x) with spies in place of model.layers (put there by the worker, which records
    what each layer was given and returned): (output data, [(layer index, given, returned)]), or
    (None, None) when model.layers cannot be replaced."""
    mlp_layers(nk, model, label, n_layers)
    call = f"{label}({nk.x_text(x)})"
    traced = nk.call(call, lambda: nk.kit.engine.trace(model, x))
    if traced is None:
        return None, None  # a read-only property: nothing to spy on
    out, log = traced
    values = [nk.kit.data(o, "out") for o in nk.checked_outputs(out, call, n_out)]
    return values, log


def layers_by_hand(nk: NetKit, model, label: str, x, n_layers: int) -> list:
    """[(layer index, given, returned)] of model.layers applied one after the other by the judge: what
    the spies would log, for an engine where they cannot be put in place (a Rust MLP's layers are a
    Vec of structs), so the checks on hidden layers still run."""
    log, h = [], x
    for i, layer in enumerate(mlp_layers(nk, model, label, n_layers)):
        out = nk.call(f"{label}.layers[{i}](...)", lambda layer=layer, h=h: layer(h))
        log.append((i, _data_list(nk, h), _data_list(nk, out)))
        h = out
    return log


def check_chained(nk: NetKit, model, label: str, x, n_layers: int, n_out: int) -> list:
    """Each layer must get the previous layer's output (the first gets x) and the MLP must return
    the last layer's output. Returns the spies' log."""
    out, log = chain_of_layers(nk, model, label, x, n_layers, n_out)
    call = f"{label}({nk.x_text(x)})"
    if log is None:  # no spies: compare with the layers chained by hand
        layers = mlp_layers(nk, model, label, n_layers)
        out = nk.values(model, x, label, n_out)
        h = x
        for i, layer in enumerate(layers):
            h = nk.call(f"{label}.layers[{i}](...)", lambda layer=layer, h=h: layer(h))
        chained = _data_list(nk, h)
        if chained is not None and not all(close(a, b) for a, b in zip(out, chained)):
            fail(f"{call} gave {fmt_list(out)}, but its layers applied one after the other give "
                 f"{fmt_list(chained)}: each layer takes the previous layer's output, for layer in self.layers: "
                 "x = layer(x)")
        return []
    if not log:
        fail(f"{call} did not call any of the Layers in {label}.layers: the forward pass must go through "
             "self.layers, for layer in self.layers: x = layer(x)")
    order = [i for i, _, _ in log]
    if order != list(range(n_layers)):
        shown = ", ".join(str(i + 1) for i in order)
        fail(f"{call} called its layers in the order {shown}, expected each of the {n_layers} layers once, in "
             "order: for layer in self.layers: x = layer(x)")
    given0 = log[0][1]
    if given0 is None or [round(v, 12) for v in given0] != [round(float(v), 12) for v in _data_list(nk, x)]:
        fail(f"layer 1 of {call} was not given the input x: the first layer takes the MLP's input")
    for (i, given, _), (_, _, previous) in zip(log[1:], log[:-1]):
        if given is not None and previous is not None and given == previous:
            continue
        if given is not None and given == _data_list(nk, x):
            fail(f"layer {i + 1} of {call} was given the original input instead of layer {i}'s output: each "
                 "layer takes the previous layer's output, for layer in self.layers: x = layer(x)")
        fail(f"layer {i + 1} of {call} was given {fmt_list(given) if given else 'something else'} instead of "
             f"layer {i}'s output {fmt_list(previous or [])}: each layer takes the previous layer's output")
    last = log[-1][2]
    if last is not None and not all(close(a, b) for a, b in zip(out, last)):
        fail(f"{call} returned {fmt_list(out)}, but its last layer gave {fmt_list(last)}: return the last "
             "layer's output")
    return log


# -- losses and gradients -------------------------------------------------------------------------------
def squares_loss(nk: NetKit, model, label: str, inputs, n_out: int):
    """sum over the inputs of the sum of squared outputs, built from the learner's Values."""
    return tree_sum([o * o for outs in nk.outputs_many(model, inputs, label, n_out) for o in outs])


def squares_loss_value(nk: NetKit, model, label: str, inputs, n_out: int) -> float:
    return sum(v * v for row in nk.run_calls(model, label, n_out, [("call", x) for x in inputs]) for v in row)


def central_differences(nk: NetKit, model, ps, label: str, inputs, n_out: int, h: float) -> list[float]:
    """d loss / d p for every p, from the loss at p.data + h and p.data - h (every run in one go)."""
    plan = []
    for p, old in zip(ps, nk.datas(ps)):
        plan += [("set", p, old + h), *(("call", x) for x in inputs), ("set", p, old - h),
                 *(("call", x) for x in inputs), ("set", p, old)]
    rows = nk.run_calls(model, label, n_out, plan)
    k = len(inputs)
    losses = [sum(v * v for row in rows[i:i + k] for v in row) for i in range(0, len(rows), k)]
    return [(up - down) / (2 * h) for up, down in zip(losses[::2], losses[1::2])]


def expected_gradients(nk: NetKit, model, ps, label: str, inputs, n_out: int) -> list[float] | None:
    """d loss / d p for every parameter by central differences, or None if a relu kink lies within a
    step (two step sizes disagree): then the caller draws new numbers."""
    a = central_differences(nk, model, ps, label, inputs, n_out, 1e-4)
    b = central_differences(nk, model, ps, label, inputs, n_out, 1e-4 / 3)
    if all(math.isclose(u, v, rel_tol=1e-5, abs_tol=1e-6) for u, v in zip(a, b)):
        return b
    return None


def grad_close(got: float, want: float) -> bool:
    return math.isclose(got, want, rel_tol=1e-5, abs_tol=1e-6)


# -- training ---------------------------------------------------------------------------------------------
def svm_loss(scores, ys, ps, alpha: float):
    """micrograd's demo loss: mean of relu(1 - y * score) plus alpha * sum(p * p)."""
    losses = [(1 + -y * s).relu() for y, s in zip(ys, scores)]
    data_loss = tree_sum(losses) * (1.0 / len(losses))
    return data_loss + alpha * tree_sum([p * p for p in ps])


def accuracy(scores, ys) -> float:
    return sum((y > 0) == (s.data > 0) for y, s in zip(ys, scores)) / len(ys)


class TrainResult:
    def __init__(self):
        self.steps = 0  # gradient steps taken
        self.accuracy = 0.0  # training accuracy of the final model
        self.best = 0.0
        self.losses: list[float] = []
        self.reached = False
        self.first_outputs: list[float] = []  # the model's outputs before the first step
        self.outputs: list[float] = []  # and after the last


def train_two_moons(nk: NetKit, model, ps, label: str, xs, ys, *, max_steps: int, target: float,
                    init_seed: int, alpha: float = 1e-4) -> TrainResult:
    """Gradient descent on micrograd's demo loss until the training accuracy reaches ``target``
    (checked before every step) or ``max_steps`` steps are done. Every parameter is first set from
    the suite's own seeded generator (the learner's random initialisation plays no part); the
    learning rate decays linearly from 1.0 to 0.1 over ``max_steps``; gradients are reset by the
    loop itself (p.grad = 0), so a broken zero_grad() does not matter here."""
    r = random.Random(init_seed)
    sample = xs[:: max(1, len(xs) // 8)]
    before = [nk.values(model, x, label, 1)[0] for x in sample]
    nk.set_data(ps, [r.uniform(-1, 1) for _ in ps])
    after = [nk.values(model, x, label, 1)[0] for x in sample]
    if after == before and any(after):
        fail(f"setting every p.data in {label}.parameters() to a new random number did not change the model's "
             "outputs: parameters() must return the live Values the forward pass uses, not copies (see task neuron)")
    result = TrainResult()
    for step in range(max_steps + 1):
        scores = [out[0] for out in nk.outputs_many(model, xs, label, 1)]
        acc = accuracy(scores, ys)
        result.accuracy, result.best = acc, max(result.best, acc)
        result.outputs = [s.data for s in scores]
        if step == 0:
            result.first_outputs = result.outputs
        if acc >= target:
            result.reached = True
            break
        if step == max_steps:
            break
        loss = nk.call("the training loss", lambda: svm_loss(scores, ys, ps, alpha))
        result.losses.append(nk.kit.data(loss, "loss"))
        for p in ps:
            p.grad = 0
        nk.kit.backward(loss, "loss")
        grads = nk.grads(ps)
        # Below the target with some output not 0, a model's outputs always send some gradient back
        # (some point is inside the margin); only the L2 term's means the graph is cut.
        if step == 0 and any(result.outputs) and all(close(g, 2 * alpha * p.data) for g, p in zip(grads, ps)):
            fail(f"loss.backward() gave the parameters of {label} only the gradient of the L2 term "
                 f"{alpha:g} * sum(p * p), none from the model's outputs: the forward pass must compute with the "
                 "parameter Values themselves (wi * xi with the Values w and b, not their .data), see task mlp")
        lr = 1.0 - 0.9 * step / max_steps
        for p, d, g in zip(ps, nk.datas(ps), grads):
            p.data = d - lr * g
        result.steps = step + 1
    return result
