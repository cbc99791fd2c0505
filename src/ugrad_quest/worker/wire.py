"""The line protocol between the judge and an engine worker, version 1 (documented in the README).

The judge writes one request per line on the worker's stdin: a JSON array of commands, run in order.
The worker answers each request with one line on a separate pipe (never stdout, which the learner's
prints own): ``{"r": [result of each command]}``, plus ``"e"`` when a command raised, after which
the rest of the request is not run. The first line the worker writes, before any request, is its
hello: ``{"hello": 1, "lang": "python", "confinement": {...}, "recursion_limit": n}``.

Values live in the worker and are named by handles: the judge picks positive handles for what its
commands make (so those commands need no answer and can be queued), the worker picks negative ones
for objects it hands out (parameters, outputs), one handle per object, so identity survives.

Arguments are JSON numbers, strings, booleans, null and arrays (lists), ``{"u": [..]}`` (a tuple), or a reference:
``{"h": n}`` a handle, ``{"m": "nn"}`` one of the learner's modules, ``{"m": "nn", "a": "MLP"}`` a
module attribute. Results are descriptors (see ``describe`` in the worker):

    {"t": "f", "v": 1.5}  float      {"t": "i", "v": 2}   int       {"t": "b", "v": true}  bool
    {"t": "n"}            None       {"t": "s", "v": ".."} str       {"t": "l"|"u", "v": [..]} list|tuple
    {"t": "V", "h": n, "d": data, "g": grad}   an instance of the engine's Value class
    {"t": "o", "h": n, "c": class name, "n": __name__, "r": repr, "call": bool}   any other object

A descriptor of an object that already had a handle carries ``"same": h``. Floats may be NaN or
Infinity, written as Python's json module writes them.

An error is ``{"i": index, "type": "TypeError", "builtin": true, "msg": "...", "where": [file, line,
function] | null}``: ``where`` is the deepest frame in the learner's files, relative to the workspace.
An import that fails adds ``"import": {...}`` (the syntax error's file and line, the missing module's
name, an exit code); a worker that cannot make sense of a request answers with type "ProtocolError".
"""

from __future__ import annotations

import json

VERSION = 1

# Commands (the first element of each command array).
IMPORT = "import"    # [IMPORT, module]                              -> {"t": "n"}
ATTR = "attr"        # [ATTR, out, target, name]                     -> descriptor
CALL = "call"        # [CALL, out, target, args, kwargs]             -> descriptor
METHOD = "method"    # [METHOD, out, target, name, args, kwargs, options] -> descriptor
OP = "op"            # [OP, out, symbol, left, right]                -> descriptor  (+ - * / ** @)
NEG = "neg"          # [NEG, out, operand]                           -> descriptor
IOP = "iop"          # [IOP, out, symbol, left, right]               -> descriptor  (x += y: Python's in-place protocol)
SUM = "sum"          # [SUM, out, [items]]                           -> descriptor  (Python's sum(): 0 + a + b ...)
FOLD = "fold"        # [FOLD, out, start, [[symbol, operand], ...], n] -> descriptor (x = start; n times: x = x op operand, each)
SET = "set"          # [SET, target, name, value]                    -> null
READ = "read"        # [READ, [targets], [names]]                    -> [[descriptor per name] per target]
SAME = "same"        # [SAME, a, b]                                  -> bool (a is b)
HAS = "has"          # [HAS, target, name]                           -> bool (hasattr)
TRACE = "trace"      # [TRACE, model, x]                             -> {"out": descriptor, "log": [[i, given, returned]]} or {"unsupported": why}
REPEAT = "repeat"    # [REPEAT, target, [argument lists]]            -> [descriptor per call]
ITER = "iter"        # [ITER, target]                                -> descriptor of list(target) (a generator, say)
FREE = "free"        # [FREE, [handles]]                             -> null
RESET = "reset"      # [RESET]                                       -> null (forget every handle)

# Options of METHOD.
BASELINE_RECURSION = "baseline_recursion"
"""Run the call at the recursion limit the worker had before the learner's code was imported, and
report the limit the call left behind as ``"limit_after"`` in its result (or error)."""

BINARY = ("+", "-", "*", "/", "**", "@")

PROTOCOL_ERROR = "ProtocolError"


_ENCODER = json.JSONEncoder(separators=(",", ":"))  # one encoder: json.dumps would build one per call


def encode(message) -> bytes:
    return _ENCODER.encode(message).encode() + b"\n"


def decode(line: bytes):
    return json.loads(line)
