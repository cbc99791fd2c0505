"""The Python engine worker: the only process in which a learner's Python code runs.

The judge starts it as ``python -I -B -u -m ugrad_quest.worker CONFIG`` (CONFIG is JSON, see
``Config``). It confines itself (confine.py) before it imports anything of the learner's, answers
the judge's requests (wire.py) and does nothing else: it makes values, applies operations, calls
methods and reports what came back. It never sees an expected value and decides nothing; whatever
the learner's code does to this process (patching it, printing, exiting, lying) can only change
the numbers it reports.
"""

from __future__ import annotations

import faulthandler
import importlib
import json
import numbers
import operator
import os
import signal
import sys

from ugrad_quest.worker import confine, wire

BINARY = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "**": operator.pow,
          "@": operator.matmul}
IN_PLACE = {"+": operator.iadd, "-": operator.isub, "*": operator.imul, "/": operator.itruediv}
MESSAGE_LIMIT = 2000
REPR_LIMIT = 200
STRING_LIMIT = 10_000


class Config:
    """What the judge tells a worker at start (JSON on its command line). A plain class: the worker
    starts on every check, and dataclasses or pathlib would add a third to its start-up."""

    def __init__(self, workspace: str, modules: dict, value: list, reply_fd: int, dump_fd: int, judge_pid: int,
                 tmp: str, policy: dict | None = None, learner_roots: list | None = None):
        self.workspace = workspace
        """Put first on sys.path: the learner's package is imported from here (or, if absent, from site-packages)."""
        self.modules = modules
        """Logical name (engine, nn, train, tensor, numpy) -> a module name to import, or {"file": path, "name": module name}."""
        self.value = value
        """[logical module, class name] of the engine's Value class: its instances are described as values."""
        self.reply_fd, self.dump_fd, self.judge_pid, self.tmp = reply_fd, dump_fd, judge_pid, tmp
        """dump_fd: where faulthandler writes every thread's stack on SIGUSR1 (the judge asks before it stops us)."""
        self.policy = policy or {}
        self.learner_roots = learner_roots or []
        """Folders whose files are the learner's (the workspace, or an installed package's parent)."""


class ProtocolError(Exception):
    """The request itself makes no sense (a judge bug or a corrupted line), not the learner's code."""


class ImportFailed(Exception):
    """A learner module that failed to import before; raised again without re-running it."""

    def __init__(self, error: dict):
        super().__init__(error["msg"])
        self.error = error


class Worker:
    def __init__(self, config: Config):
        self.config = config
        self.objs: dict[int, object] = {}
        self.handles_of: dict[int, list[int]] = {}  # id(obj) -> its handles, the first canonical
        self.next_handle = 0
        self.modules: dict[str, object] = {}
        self.failed: dict[str, dict] = {}
        self.value_cls = None
        self.baseline_limit = sys.getrecursionlimit()
        self.roots = [os.path.realpath(r) for r in config.learner_roots]

    # -- handles -------------------------------------------------------------------------------
    def adopt(self, obj, out: int | None) -> tuple[int, int | None]:
        """(handle, earlier handle of the same object or None).

        An object we hand out keeps one negative handle for as long as the judge holds it, so the
        judge gets the same proxy back for it (parameters are the same Values on every call)."""
        known = self.handles_of.get(id(obj))
        if out is None:
            mine = next((h for h in known if h < 0), None) if known else None
            if mine is not None:
                return mine, None
            self.next_handle -= 1
            out = self.next_handle
        self.objs[out] = obj
        if known:
            known.append(out)
            return out, known[0]
        self.handles_of[id(obj)] = [out]
        return out, None

    def free(self, handle: int) -> None:
        if handle not in self.objs:
            return
        obj = self.objs.pop(handle)
        handles = self.handles_of.get(id(obj))
        if handles and handle in handles:
            handles.remove(handle)
            if not handles:
                del self.handles_of[id(obj)]

    def reset(self) -> None:
        self.objs.clear()
        self.handles_of.clear()

    # -- arguments -----------------------------------------------------------------------------
    def arg(self, a):
        if isinstance(a, list):
            return [self.arg(x) for x in a]
        if isinstance(a, dict):
            if "h" in a:
                try:
                    return self.objs[a["h"]]
                except (KeyError, TypeError):
                    raise ProtocolError(f"unknown handle {a['h']!r}") from None
            if "m" in a:
                module = self.module(a["m"])
                return getattr(module, a["a"]) if "a" in a else module
            if isinstance(a.get("u"), list):
                return tuple(self.arg(x) for x in a["u"])
            raise ProtocolError(f"not an argument: {a!r}")
        return a

    def kwargs(self, raw) -> dict:
        if not isinstance(raw, dict):
            raise ProtocolError("keyword arguments must be an object")
        return {str(k): self.arg(v) for k, v in raw.items()}

    # -- the learner's modules -----------------------------------------------------------------
    def module(self, logical: str):
        if logical in self.modules:
            return self.modules[logical]
        if logical in self.failed:
            raise ImportFailed(self.failed[logical])
        spec = self.config.modules.get(logical)
        if spec is None:
            raise ProtocolError(f"no module {logical!r}")
        try:
            if isinstance(spec, dict):  # a file of the quest's own, e.g. the optimize baseline
                module = sys.modules.get(spec["name"])
                if module is None:
                    from importlib import util as import_util

                    loader = import_util.spec_from_file_location(spec["name"], spec["file"])
                    module = import_util.module_from_spec(loader)
                    sys.modules[spec["name"]] = module
                    loader.loader.exec_module(module)
            else:
                module = importlib.import_module(spec)
        except BaseException as exc:  # noqa: BLE001 - an exit or a skip at import is a failed import too
            error = self.error(0, exc)
            error["import"] = self.import_info(exc, spec if isinstance(spec, str) else spec["name"])
            self.failed[logical] = error
            sys.modules.pop(spec if isinstance(spec, str) else spec["name"], None)
            raise ImportFailed(error) from None
        self.modules[logical] = module
        self.roots += [r for r in self.package_roots(module) if r not in self.roots]
        return module

    def package_roots(self, module) -> list[str]:
        """The parent of an installed package's folder: its files count as the learner's too."""
        file = getattr(module, "__file__", None)
        if not file or "." not in module.__name__:
            return []
        root = os.path.realpath(file)
        for _ in range(module.__name__.count(".") + 1):
            root = os.path.dirname(root)
        return [root]

    def import_info(self, exc: BaseException, name: str) -> dict:
        info: dict = {"module": name}
        if isinstance(exc, SyntaxError):
            info.update(kind="syntax", file=self.relative(exc.filename) if exc.filename else None,
                        line=exc.lineno, msg=exc.msg)
        elif isinstance(exc, ModuleNotFoundError):
            info.update(kind="missing", name=exc.name)
        elif isinstance(exc, SystemExit):
            info.update(kind="exit", code=repr(exc.code))
        elif isinstance(exc, MemoryError):
            info.update(kind="memory")
        else:
            info.update(kind="raised")
        return info

    def value_class(self):
        if self.value_cls is None:
            logical, name = self.config.value
            module = self.modules.get(logical)
            cls = getattr(module, name, None) if module is not None else None
            if isinstance(cls, type):
                self.value_cls = cls
        return self.value_cls

    # -- describing results --------------------------------------------------------------------
    def describe(self, obj, out: int | None = None) -> dict:
        """What obj is, for the judge. With ``out``, obj is also kept under that handle (the judge
        named it in advance), whatever it is: a learner's __add__ may return a float or None."""
        value_cls = self.value_cls or self.value_class()
        if value_cls is not None and isinstance(obj, value_cls):  # the common case, first
            desc = {"t": "V"}
        elif (desc := self.plain(obj)) is not None:
            if out is None:
                return desc  # a number, a string, a list: by value, no handle
        else:
            desc = {"t": "o", "c": type(obj).__name__, "r": safe_repr(obj), "call": callable(obj)}
            name = getattr(obj, "__name__", None) if isinstance(obj, type) or callable(obj) else None
            if isinstance(name, str):
                desc["n"] = name
        desc["h"], same = self.adopt(obj, out)
        if same is not None:
            desc["same"] = same
        if out is None and desc["t"] == "V":
            self.add_numbers(obj, desc)
        return desc

    def plain(self, obj) -> dict | None:
        """The descriptor of a number, string, None or list (by value), or None for other objects."""
        kind = type(obj)
        if kind is float:
            return {"t": "f", "v": obj}
        if kind is int:
            return {"t": "i", "v": obj}
        if obj is None:
            return {"t": "n"}
        if isinstance(obj, bool):
            return {"t": "b", "v": obj}
        if isinstance(obj, type):
            return None
        if isinstance(obj, numbers.Integral):
            return {"t": "i", "v": int(obj)}
        if isinstance(obj, numbers.Real):
            return {"t": "f", "v": float(obj)}
        if isinstance(obj, str):
            return {"t": "s", "v": obj[:STRING_LIMIT]}
        if isinstance(obj, (list, tuple)):
            return {"t": "l" if isinstance(obj, list) else "u", "v": [self.describe(x) for x in obj]}
        return None

    def add_numbers(self, obj, desc: dict) -> None:
        """A value we hand out carries its data and grad when they are plain numbers: the judge reads
        them next, and need not ask. (Values the judge made are read at the end of its request.)"""
        number = self.plain_number(obj, "data")
        if number is not None:
            desc["d"] = number
        number = self.plain_number(obj, "grad")
        if number is not None:
            desc["g"] = number

    @staticmethod
    def plain_number(obj, attr: str):
        """obj.attr when it is a plain int or float: sent along so the judge need not ask for it."""
        try:
            x = getattr(obj, attr)
        except Exception:  # noqa: BLE001 - the judge will ask, and see the error then
            return None
        kind = type(x)
        return x if kind is float or kind is int else None

    # -- errors --------------------------------------------------------------------------------
    def relative(self, filename: str | None) -> str | None:
        if not filename:
            return None
        try:
            path = os.path.realpath(filename)
        except (OSError, ValueError):
            return None
        for root in self.roots:
            if path.startswith(root + os.sep):
                return path[len(root) + 1:].replace(os.sep, "/")
        return None

    def where(self, exc: BaseException) -> list | None:
        """[file, line, function] of the deepest frame in the learner's files."""
        import traceback  # only when something raised: not on the start-up path

        found = None
        try:
            frames = traceback.extract_tb(exc.__traceback__)
        except Exception:  # noqa: BLE001 - a traceback we cannot walk just has no location
            return None
        cache: dict[str, str | None] = {}
        for frame in frames:
            if frame.filename not in cache:
                cache[frame.filename] = self.relative(frame.filename)
            rel = cache[frame.filename]
            if rel is not None:
                found = [rel, frame.lineno, frame.name]
        if isinstance(exc, SyntaxError) and exc.filename:
            rel = self.relative(exc.filename)
            if rel is not None:
                found = [rel, exc.lineno, "<module>"]
        return found

    def error(self, index: int, exc: BaseException) -> dict:
        if isinstance(exc, ImportFailed):
            return {**exc.error, "i": index}
        kind = type(exc)
        message = safe_str(exc)
        if isinstance(exc, ModuleNotFoundError) and exc.name:
            message += self.missing_module(exc.name)
        return {"i": index, "type": kind.__name__ if not isinstance(exc, ProtocolError) else wire.PROTOCOL_ERROR,
                "builtin": kind.__module__ == "builtins", "msg": message, "where": self.where(exc)}

    def missing_module(self, name: str) -> str:
        """Where a module the learner's code imports should come from: a pip install into this very
        interpreter (the learner's shell may have another python, or a user site this one ignores),
        or, for a module of their own package imported without it, the package's name."""
        top = name.partition(".")[0]
        packages = {spec.partition(".")[0] for spec in self.config.modules.values() if isinstance(spec, str)}
        if top in packages:
            return ""  # a file of the package itself is missing: the judge says which
        for package in sorted(packages):
            folder = os.path.join(self.config.workspace, package)
            if os.path.exists(os.path.join(folder, top + ".py")) or os.path.isdir(os.path.join(folder, top)):
                return (f": {top} is a module of your package {package}, import it with the package's name, "
                        f"from .{top} import ... (or from {package}.{top} import ...)")
        return (f" in the Python that runs your code ({sys.executable}): `{sys.executable} -m pip install {top}` "
                "installs it there")

    # -- commands ------------------------------------------------------------------------------
    def run(self, commands) -> dict:
        if not isinstance(commands, list):
            return {"r": [], "e": self.error(0, ProtocolError("a request is a list of commands"))}
        results: list = []
        for index, command in enumerate(commands):
            try:
                results.append(self.command(command))
            except BaseException as exc:  # noqa: BLE001 - everything the learner raises is reported
                error = self.error(index, exc)
                limit = getattr(exc, "_ugrad_limit_after", None)
                if limit is not None:
                    error["limit_after"] = limit
                exc.__traceback__ = None  # a RecursionError's thousand frames: let them go now
                return {"r": results, "e": error}
        return {"r": results}

    def command(self, c):
        if not isinstance(c, list) or not c:
            raise ProtocolError(f"not a command: {c!r}")
        op = c[0]
        if op == wire.OP:
            _, out, symbol, left, right = c
            return self.describe(BINARY[symbol](self.arg(left), self.arg(right)), out)
        if op == wire.METHOD:
            _, out, target, name, args, kwargs, options = c
            fn = getattr(self.arg(target), name)
            args, kwargs = self.arg(args), self.kwargs(kwargs)
            if options and options.get(wire.BASELINE_RECURSION):
                return self.at_baseline_limit(lambda: fn(*args, **kwargs), out)
            return self.describe(fn(*args, **kwargs), out)
        if op == wire.READ:
            _, targets, names = c
            return [[self.read(self.arg(t), n) for n in names] for t in targets]
        if op == wire.SET:
            _, target, name, value = c
            setattr(self.arg(target), name, self.arg(value))
            return None
        if op == wire.CALL:
            _, out, target, args, kwargs = c
            return self.describe(self.arg(target)(*self.arg(args), **self.kwargs(kwargs)), out)
        if op == wire.ATTR:
            _, out, target, name = c
            return self.describe(getattr(self.arg(target), name), out)
        if op == wire.NEG:
            _, out, operand = c
            return self.describe(-self.arg(operand), out)
        if op == wire.IOP:
            _, out, symbol, left, right = c
            return self.describe(IN_PLACE[symbol](self.arg(left), self.arg(right)), out)
        if op == wire.FOLD:  # a long chain in one command: x = x * k; x = x + 1, ten thousand times
            _, out, start, steps, times = c
            x, steps = self.arg(start), [(BINARY[symbol], self.arg(operand)) for symbol, operand in steps]
            for _ in range(int(times)):
                for fn, operand in steps:
                    x = fn(x, operand)
            return self.describe(x, out)
        if op == wire.SUM:
            _, out, items = c
            return self.describe(sum(self.arg(items)), out)
        if op == wire.SAME:
            _, a, b = c
            return self.arg(a) is self.arg(b)
        if op == wire.HAS:
            _, target, name = c
            return hasattr(self.arg(target), name)
        if op == wire.FREE:
            for handle in c[1]:
                self.free(handle)
            return None
        if op == wire.RESET:
            self.reset()
            return None
        if op == wire.IMPORT:
            self.module(c[1])
            return {"t": "n"}
        if op == wire.TRACE:
            _, model, x = c
            return self.trace(self.arg(model), self.arg(x))
        if op == wire.ITER:
            return self.describe(list(self.arg(c[1])))
        if op == wire.REPEAT:
            _, target, arglists = c
            fn, calls = self.arg(target), [self.arg(a) for a in arglists]
            return [self.describe(fn(*args)) for args in calls]
        raise ProtocolError(f"unknown command {op!r}")

    def read(self, obj, name: str) -> dict:
        """obj.name described, or the error reading it raised (reported where the judge reads it)."""
        try:
            return self.describe(getattr(obj, name))
        except Exception as exc:  # noqa: BLE001 - reported to the judge, raised where it reads the value
            return {"t": "x", **self.error(0, exc)}

    def at_baseline_limit(self, fn, out):
        sys.setrecursionlimit(self.baseline_limit)
        try:
            result = fn()
        except BaseException as exc:
            exc._ugrad_limit_after = sys.getrecursionlimit()
            raise
        finally:
            after = sys.getrecursionlimit()
            sys.setrecursionlimit(self.baseline_limit)
        desc = self.describe(result, out)
        desc["limit_after"] = after
        return desc

    def trace(self, model, x) -> dict:
        """model(x) with spies in place of model.layers, recording what each layer got and gave (the
        mlp suite's check that the layers are chained); unsupported when model.layers cannot be set."""
        original = model.layers
        log: list = []
        try:
            model.layers = [_LayerSpy(self, layer, i, log) for i, layer in enumerate(original)]
        except Exception as exc:  # noqa: BLE001 - a read-only property: nothing to spy on
            return {"unsupported": f"{type(exc).__name__}: {safe_str(exc)}"}
        try:
            out = model(x)
        finally:
            model.layers = original
        return {"out": self.describe(out), "log": log}

    def data_list(self, x):
        value_cls = self.value_class()
        try:
            if value_cls is not None and isinstance(x, value_cls):
                return [float(x.data)]
            if isinstance(x, (list, tuple)):
                out = []
                for v in x:
                    if value_cls is not None and isinstance(v, value_cls):
                        out.append(float(v.data))
                    elif isinstance(v, numbers.Real):
                        out.append(float(v))
                    else:
                        return None
                return out
        except Exception:  # noqa: BLE001 - data that cannot be read is not a list of numbers
            return None
        return None


class _LayerSpy:
    """Stands in for one of the learner's layers: records what it was given and what it returned."""

    def __init__(self, worker: Worker, layer, index: int, log: list):
        object.__setattr__(self, "_spy", (worker, layer, index, log))

    def __call__(self, x):
        worker, layer, index, log = object.__getattribute__(self, "_spy")
        given = worker.data_list(x)
        out = layer(x)
        log.append([index, given, worker.data_list(out)])
        return out

    def __getattr__(self, name):
        return getattr(object.__getattribute__(self, "_spy")[1], name)

    def __iter__(self):
        return iter(object.__getattribute__(self, "_spy")[1])


def safe_str(exc: BaseException) -> str:
    try:
        text = str(exc)
    except Exception:  # noqa: BLE001 - an exception whose __str__ raises
        text = f"<{type(exc).__name__}>"
    return text[:MESSAGE_LIMIT]


def safe_repr(obj) -> str:
    try:
        text = repr(obj)
    except Exception:  # noqa: BLE001
        text = f"<{type(obj).__name__}>"
    return text[:REPR_LIMIT]


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def policy(config: Config) -> confine.Policy:
    """Read what Python needs and the learner's files; write only our own folder; never read the
    tool's own files (its hidden tests, its plugin), whatever folder they were installed in."""
    import ugrad_quest

    asked = dict(config.policy)
    tool = os.path.dirname(os.path.realpath(ugrad_quest.__file__))
    asked["read"] = (*confine.default_read_paths(), *asked.get("read", ()))
    asked["hide"] = (tool, *asked.get("hide", ()))
    return confine.Policy(**asked, parent_pid=config.judge_pid)


def main(argv: list[str]) -> None:
    config = Config(**json.loads(argv[0]))
    # Requests arrive on stdin; the learner's code gets an empty stdin, as in any test run.
    requests = os.fdopen(os.dup(0), "rb")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.chdir(config.tmp)
    limits = policy(config)
    report = confine.apply(limits)
    dump = os.fdopen(config.dump_fd, "w")
    faulthandler.register(signal.SIGUSR1, file=dump, all_threads=True)
    sys.path.insert(0, config.workspace)
    worker = Worker(config)
    hello = {"hello": wire.VERSION, "lang": "python", "confinement": report.to_dict(),
             "recursion_limit": worker.baseline_limit, "memory_bytes": limits.memory_bytes}
    _write_all(config.reply_fd, wire.encode(hello))
    for line in requests:
        try:
            commands = wire.decode(line)
        except ValueError:
            reply = {"r": [], "e": worker.error(0, ProtocolError("the request is not JSON"))}
        else:
            reply = worker.run(commands)
        try:
            data = wire.encode(reply)
        except (TypeError, ValueError) as exc:  # e.g. a learner's int too large for JSON
            data = wire.encode({"r": [], "e": worker.error(0, ProtocolError(f"the answer could not be encoded: {exc}"))})
        _write_all(config.reply_fd, data)
    os._exit(0)  # the judge closed our stdin: done, without waiting for the learner's threads or atexit
