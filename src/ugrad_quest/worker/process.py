"""Starting an engine worker and talking to it, from the judge's side.

A ``WorkerProcess`` is one worker: its own session, requests on its stdin, answers on a pipe of
their own, and a second pipe on which it writes its stack when asked (SIGUSR1, faulthandler). While
the judge waits for an answer it watches the worker from outside, with the kernel's numbers, never
the worker's: CPU seconds of all its threads (the process CPU clock), and whether any of its threads
could run at all (/proc/<pid>/task/*/stat), so time the worker spent waiting for a busy machine is
never counted as the learner's. A ``meter`` decides what that usage means (runner/budget.py).
"""

from __future__ import annotations

import ctypes
import itertools
import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ugrad_quest.worker import wire

TICK_SECONDS = 0.02
"""How often a waiting judge looks at the worker's CPU clock (the budget overshoots by at most this)."""
MAX_REPLY_BYTES = 64 * 2**20
"""An answer larger than this is refused: a learner's parameters() of 10**8 values must not swamp the judge."""
DUMP_WAIT_SECONDS = 0.5


class WorkerGone(BaseException):
    """The worker ended (exit, crash, kill) or broke the protocol. A BaseException, like pytest's own
    outcomes, so no `except Exception` in a hidden test mistakes it for the learner's error."""

    def __init__(self, description: str, cause: str = "", error: dict | None = None):
        super().__init__(description)
        self.description = description
        self.cause = cause or description
        """How it ended, short: "exit code 0", "SIGSEGV (a crash: ...)"."""
        self.error = error
        """When the end was the learner's code failing in a way Python would raise (a Rust engine's
        stack overflow is Python's RecursionError): that error, as the protocol describes errors. The
        engine raises it in the hidden test, where the suites explain it."""


@dataclass
class Usage:
    cpu: float = 0.0
    """Seconds on a CPU, all threads together (the process CPU clock)."""
    wall: float = 0.0
    idle: float = 0.0
    """Wall seconds in which no thread of the worker could run: it was sleeping or waiting for input,
    not waiting for a CPU."""

    def __add__(self, other: "Usage") -> "Usage":
        return Usage(self.cpu + other.cpu, self.wall + other.wall, self.idle + other.idle)


class _NoMeter:
    def check(self, usage: Usage) -> None:
        pass

    def charge(self, usage: Usage) -> None:
        pass


NO_METER = _NoMeter()


def _cpu_clock(pid: int):
    """A function returning the CPU seconds of process pid, read from the kernel."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)  # the C library is already loaded: no find_library (it forks ldconfig)
        clock = ctypes.c_int()
        if libc.clock_getcpuclockid(pid, ctypes.byref(clock)) == 0:
            clock_id = clock.value
            time.clock_gettime(clock_id)
            return lambda: time.clock_gettime(clock_id)
    except (OSError, AttributeError, ValueError):
        pass
    return None


_STATE = re.compile(rb"\) (\w)")


def _any_thread_can_run(pid: int) -> bool | None:
    """True when some thread of pid is running or waiting for a CPU (state R), None when unknown."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat", "rb") as fh:
                m = _STATE.search(fh.read())
        except OSError:
            continue
        if m and m.group(1) == b"R":
            return True
    return False


class WorkerProcess:
    """One running worker; ``exchange`` sends a request and waits for its answer under a meter."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path, config: dict | None = None,
                 stderr=None):
        """argv is the worker's command; config (JSON) is appended to it with the numbers of the pipes
        it answers on; stderr: where the worker's stderr goes (None: the judge's own)."""
        reply_r, reply_w = os.pipe()
        dump_r, dump_w = os.pipe()
        if config is not None:
            argv = [*argv, json.dumps({**config, "reply_fd": reply_w, "dump_fd": dump_w, "judge_pid": os.getpid()})]
        try:
            self.proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=None, stderr=stderr,
                                         pass_fds=(reply_w, dump_w), start_new_session=True)
        finally:
            os.close(reply_w)
            os.close(dump_w)
        self.pid = self.proc.pid
        self._requests = self.proc.stdin.fileno()
        self.replies, self.dumps = reply_r, dump_r
        os.set_blocking(self.replies, False)
        os.set_blocking(self.dumps, False)
        self._pending = bytearray()
        self._clock = _cpu_clock(self.pid)
        self.measured = self._clock is not None
        """False where the worker's CPU time cannot be read (then its wall time stands in for it)."""
        self.ended: str | None = None
        self._cause = ""
        self._last_cpu = 0.0

    # -- measuring ---------------------------------------------------------------------------
    def cpu(self) -> float:
        if self._clock is not None:
            try:
                self._last_cpu = self._clock()
            except OSError:
                pass  # gone: its last reading stands
            return self._last_cpu
        return time.perf_counter()

    def rss(self) -> int | None:
        """The worker's resident memory in bytes, from the kernel (None when it cannot be read)."""
        try:
            with open(f"/proc/{self.pid}/status", "rb") as fh:
                for line in fh:
                    if line.startswith(b"VmRSS:"):
                        return int(line.split()[1]) * 1024
        except (OSError, ValueError, IndexError):
            pass
        return None

    # -- talking -----------------------------------------------------------------------------
    def start(self, meter=NO_METER) -> dict:
        """Wait for the worker's hello (its confinement report, its language, its recursion limit)."""
        hello = self._receive(meter)
        if hello.get("hello") != wire.VERSION:
            self.stop()
            raise WorkerGone(f"the engine worker speaks protocol {hello.get('hello')!r}, not {wire.VERSION}")
        return hello

    def exchange(self, commands: list, meter=NO_METER) -> dict:
        if self.ended:
            raise WorkerGone(self.ended)
        try:
            view = memoryview(wire.encode(commands))
            while view:  # a large request fills the pipe: the worker reads as we write
                view = view[os.write(self._requests, view):]
        except OSError:
            raise self._gone() from None
        return self._receive(meter)

    def _receive(self, meter) -> dict:
        cpu0, wall0 = self.cpu(), time.perf_counter()
        idle, last, last_cpu = 0.0, wall0, cpu0
        try:
            while (line := self._line()) is None:
                ready, _, _ = select.select([self.replies], [], [], TICK_SECONDS)
                if ready:
                    self._read_some()
                    continue
                if self.proc.poll() is not None:
                    self._read_some()
                    if self._line() is None:
                        raise self._gone()
                    continue
                now, cpu = time.perf_counter(), self.cpu()
                # Idle: no thread could run and (almost) no CPU was used since the last look.
                if self.measured and _any_thread_can_run(self.pid) is False and cpu - last_cpu < 0.1 * (now - last):
                    idle += now - last
                last, last_cpu = now, cpu
                meter.check(Usage(cpu - cpu0, now - wall0, idle))
        except BaseException as exc:
            if getattr(exc, "wants_stack", False):
                exc.stack = self.stack()
            if not isinstance(exc, WorkerGone):
                self.stop()
            raise
        finally:
            meter.charge(Usage(self.cpu() - cpu0, time.perf_counter() - wall0, idle))
        try:
            return wire.decode(line)
        except ValueError:
            self.stop()
            raise WorkerGone("the engine's answer could not be read: does your code write to file descriptors "
                             "it did not open?") from None

    def _line(self) -> bytes | None:
        end = self._pending.find(b"\n")
        if end < 0:
            return None
        line = bytes(self._pending[:end])
        del self._pending[:end + 1]
        return line

    def _read_some(self) -> None:
        try:
            chunk = os.read(self.replies, 65536)
        except BlockingIOError:
            return
        if not chunk:  # the answer pipe closed: the worker exited, or its code closed the pipe
            try:
                self.proc.wait(timeout=1)
            except subprocess.TimeoutExpired:
                self.stop()
                raise WorkerGone("the engine stopped answering: its code closed the pipe its answers go "
                                 "through") from None
            if b"\n" not in self._pending:
                raise self._gone()
            return
        self._pending += chunk
        if len(self._pending) > MAX_REPLY_BYTES:
            self.stop()
            raise WorkerGone(f"the engine's answer was larger than {MAX_REPLY_BYTES // 2**20} MiB")

    # -- ending ------------------------------------------------------------------------------
    def stack(self) -> str:
        """Every thread's stack, as faulthandler prints it, asked for with SIGUSR1 ('' if none came)."""
        try:
            os.kill(self.pid, signal.SIGUSR1)
        except OSError:
            return ""
        out = bytearray()
        deadline = time.perf_counter() + DUMP_WAIT_SECONDS
        while time.perf_counter() < deadline:
            ready, _, _ = select.select([self.dumps], [], [], 0.05)
            if not ready:
                if out:
                    break
                continue
            try:
                chunk = os.read(self.dumps, 65536)
            except BlockingIOError:
                continue
            if not chunk:
                break
            out += chunk
        return out.decode("utf-8", "replace")

    def stop(self) -> None:
        """Kill the worker (its session too) and reap it."""
        if self.proc.poll() is None:
            for kill in (lambda: os.killpg(self.pid, signal.SIGKILL), lambda: os.kill(self.pid, signal.SIGKILL)):
                try:
                    kill()
                except OSError:
                    pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        if not self.ended:
            self.ended = "the engine worker was stopped"
        for fd in (self.replies, self.dumps):
            try:
                os.close(fd)
            except OSError:
                pass
        self.replies = self.dumps = -1
        try:
            self.proc.stdin.close()
        except OSError:
            pass

    def _gone(self) -> WorkerGone:
        description = self._end_description()
        return WorkerGone(description, self._cause)

    def _end_description(self) -> str:
        code = self.proc.wait()
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            why = {"SIGSEGV": " (a crash: a C extension, ctypes, or recursion too deep for the C stack)",
                   "SIGKILL": "", "SIGXFSZ": " (it wrote a file larger than allowed)",
                   "SIGSYS": " (it made a system call the sandbox forbids)"}.get(name, "")
            self._cause = f"{name}{why}"
            self.ended = f"the engine process was killed by {self._cause}"
        else:
            self._cause = f"exit code {code}"
            self.ended = f"the engine process exited ({self._cause})"
        return self.ended


def parse_stack(text: str) -> list[tuple[str, int, str]]:
    """(file, line, function) of the thread faulthandler marks current (or the first one), innermost first."""
    threads = re.split(r"\n(?=(?:Current thread|Thread) )", text.strip())
    current = next((t for t in threads if t.startswith("Current thread")), threads[0] if threads else "")
    return [(m[1], int(m[2]), m[3]) for m in re.finditer(r'File "([^"]+)", line (\d+) in (\S+)', current)]


def python_worker(tmp: Path, workspace: str, modules: dict, extra_read=(), memory_bytes: int | None = None
                  ) -> WorkerProcess:
    """A Python worker for the learner's package in workspace (or installed), or for the modules given
    (logical name -> module name, or {"file": path, "name": module name}), working in folder tmp."""
    policy: dict = {"read": [p for p in (workspace, *extra_read) if p], "write": [str(tmp)]}
    if memory_bytes is not None:
        policy["memory_bytes"] = memory_bytes
    config = {"workspace": workspace, "modules": modules, "value": ["engine", "Value"], "tmp": str(tmp),
              "learner_roots": [workspace] if workspace else [], "policy": policy}
    return WorkerProcess(python_command(), worker_env(tmp), tmp, config)


def python_workers(root: Path, workspace: str, modules: dict, extra_read=(), memory_bytes: int | None = None
                   ) -> Callable[[], WorkerProcess]:
    """A function starting a new Python worker (python_worker) in a fresh folder under root each call."""
    count = itertools.count(1)

    def start() -> WorkerProcess:
        tmp = Path(root) / f"worker-{next(count)}"
        tmp.mkdir(parents=True)
        return python_worker(tmp, workspace, modules, extra_read, memory_bytes)

    return start


STACK_OVERFLOW = b"has overflowed its stack"
"""What Rust's runtime prints before it aborts on a stack overflow."""
OUT_OF_MEMORY = b"memory allocation of"
"""What Rust's runtime prints before it aborts when an allocation fails."""
STDERR_KEEP_BYTES = 64 * 1024


class RustWorkerProcess(WorkerProcess):
    """The Rust driver (drivers/rust/) as a worker. Rust cannot print its stack on a signal, and dies
    of a stack overflow instead of raising: the driver writes what it is doing to a phase file before
    each command, and its stderr goes to a file, so the judge can say where it was and why it ended."""

    def __init__(self, argv, env, cwd: Path, config: dict):
        self.phase_file = Path(config["phase_file"])
        self.stderr_file = Path(cwd) / "stderr.txt"
        with open(self.stderr_file, "wb") as err:
            super().__init__(argv, env, cwd, config, stderr=err)
        self._forwarded = 0

    def phase(self) -> str:
        try:
            return self.phase_file.read_bytes().split(b"\0", 1)[0].decode("utf-8", "replace").strip()
        except OSError:
            return ""

    def stack(self) -> str:
        """Not a stack (SIGUSR1 would end a Rust process): the phase, e.g. "call Value::backward"."""
        return self.phase()

    def _stderr_tail(self) -> bytes:
        try:
            with open(self.stderr_file, "rb") as fh:
                fh.seek(max(0, self.stderr_file.stat().st_size - STDERR_KEEP_BYTES))
                return fh.read()
        except OSError:
            return b""

    def forward_stderr(self) -> None:
        """What the learner's eprintln! wrote, into the judge's output, which `quest check` shows."""
        try:
            with open(self.stderr_file, "rb") as fh:
                fh.seek(self._forwarded)
                data = fh.read(STDERR_KEEP_BYTES)
        except OSError:
            return
        self._forwarded += len(data)
        text = data.decode("utf-8", "replace")
        if text:
            sys.stderr.write(text)
            sys.stderr.flush()

    def stop(self) -> None:
        super().stop()
        self.forward_stderr()

    def _gone(self) -> WorkerGone:
        gone = super()._gone()
        tail = self._stderr_tail()
        if STACK_OVERFLOW in tail:
            gone.error = rust_overflow_error(self.phase())
        elif OUT_OF_MEMORY in tail:
            api = self.phase().split(" ", 1)[1] if " " in self.phase() else None
            gone.error = {"type": "MemoryError", "builtin": True, "where": None,
                          "msg": f"an allocation failed{f' in {api}' if api else ''}: the engine ran out of memory",
                          "rust": {"kind": "memory", "api": api}}
        return gone


def rust_overflow_error(phase: str) -> dict:
    """The protocol error for a Rust engine that overflowed its stack while doing `phase`."""
    if phase.startswith("drop"):
        msg = (f"the stack overflowed while dropping values ({phase}): Rc's Drop recurses once per node, so "
               "dropping the last handle of a long chain goes as deep as the chain; give your node type a Drop "
               "that takes its children out and drops them in a loop")
        api = None
    else:
        api = phase.split(" ", 1)[1] if " " in phase else None
        during = f" in {api}" if api else ""
        msg = (f"the stack overflowed{during}: a recursion as deep as the graph (a recursive topological sort, or "
               "the recursive Drop of a long chain) needs one stack frame per node, and Rust aborts the engine "
               "when the stack runs out")
    return {"type": "RecursionError", "builtin": True, "msg": msg, "where": None,
            "rust": {"kind": "stack_overflow", "api": api, "phase": phase}}


def rust_worker(tmp: Path, binary: str, stack_bytes: int, memory_bytes: int | None = None) -> RustWorkerProcess:
    """The Rust driver `binary` (built against the learner's crate, or the baseline's) as a worker in tmp,
    confined by the same layers as the Python worker, its learner code on a `stack_bytes` thread."""
    from ugrad_quest.worker import confine

    policy: dict = {"read": [p for p in confine.SYSTEM_READ_PATHS if os.path.exists(p)] + [binary],
                    "write": [str(tmp)]}
    if memory_bytes is not None:
        policy["memory_bytes"] = memory_bytes
    argv = [sys.executable, "-I", "-B", "-m", "ugrad_quest.worker.confine", "--report-env", "UGRAD_CONFINEMENT",
            json.dumps(policy), "--", binary]
    config = {"stack_bytes": int(stack_bytes), "tmp": str(tmp), "phase_file": str(tmp / "phase")}
    return RustWorkerProcess(argv, worker_env(tmp), tmp, config)


def rust_workers(root: Path, binary: str, stack_bytes: int, memory_bytes: int | None = None
                 ) -> Callable[[], WorkerProcess]:
    """A function starting a new Rust worker (rust_worker) in a fresh folder under root each call."""
    count = itertools.count(1)

    def start() -> WorkerProcess:
        tmp = Path(root) / f"worker-{next(count)}"
        tmp.mkdir(parents=True)
        return rust_worker(tmp, binary, stack_bytes, memory_bytes)

    return start


def python_command() -> list[str]:
    """How to start the Python worker: isolated (no PYTHONPATH, no user site, no current folder), no
    bytecode written into the learner's package, unbuffered so prints arrive in order."""
    return [sys.executable, "-I", "-B", "-u", "-m", "ugrad_quest.worker"]


def worker_env(tmp: Path) -> dict[str, str]:
    """A scrubbed environment: nothing of the learner's shell, of QUEST_HOME or of the tool's paths."""
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp), "TMPDIR": str(tmp), "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8"}
