"""A warm judge for `quest watch`: a process that has imported pytest, hypothesis and the testkit once,
and forks a fresh judge for each check.

A forked judge runs runner/judge.py's main with the check's own arguments, environment and folder,
exactly as a cold one: the same plugin, the same results file, the same confined workers, which it
starts itself. The server never collects a test, imports a hidden test module, starts a worker or
runs pytest: every fork starts from the state the imports left, so nothing of one check can reach
the next. Module-level random generators that drew their seed from the OS at import are re-seeded
in each fork, as a new process would seed them.

The server dies with `quest watch` (and each judge with the server). When it is gone, or on a
platform without fork (and SOCK_SEQPACKET), checks start cold judges; a check whose warm judge died
under it is judged again, cold (runner/run.py).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys

from ugrad_quest.runner import protocol as P

MESSAGE_BYTES = 4 * 2**20
"""The largest request (the check's environment and arguments) or reply."""
RESTARTS = 2
"""A server that died is replaced this many times in a watch session; then checks stay cold."""


def available() -> bool:
    return sys.platform.startswith("linux")


class WarmChild:
    """A judge forked by the server, seen from `quest`: what runner/run.py needs of a Popen."""

    def __init__(self, sock: socket.socket, pid: int, stdout):
        self.sock, self.pid, self.stdout = sock, pid, stdout
        self.returncode: int | None = None
        self.lost = False
        """The server died before it could say how the judge ended (the judge died with it)."""

    def _reply(self, block: bool) -> None:
        try:
            data = self.sock.recv(MESSAGE_BYTES, 0 if block else socket.MSG_DONTWAIT)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self.lost, self.returncode = True, -signal.SIGKILL
            return
        self.returncode = int(json.loads(data)["returncode"])

    def poll(self) -> int | None:
        if self.returncode is None:
            self._reply(block=False)
        return self.returncode

    def wait(self) -> int:
        while self.returncode is None:
            self._reply(block=True)
        return self.returncode

    def kill(self) -> None:
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


class WarmJudge:
    """The client side: start() the server, spawn() a judge per check, close() at the end."""

    def __init__(self, python: str | None = None):
        self.python = python or sys.executable
        self._proc: subprocess.Popen | None = None
        self._sock: socket.socket | None = None
        self._restarts = 0

    def start(self) -> None:
        """Start the server; it warms up while the caller goes on."""
        if not available():
            return
        from ugrad_quest.runner.run import judge_env

        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = judge_env()
        env[P.ENV_PARENT_PID] = str(os.getpid())
        try:
            self._proc = subprocess.Popen(
                [self.python, "-P", "-m", "ugrad_quest.runner.warm", str(theirs.fileno())],
                pass_fds=(theirs.fileno(),), env=env, cwd="/", stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                start_new_session=True,  # Ctrl-C in the terminal is quest's to handle, not the server's
            )
        except OSError:
            ours.close()
            return
        finally:
            theirs.close()
        self._sock = ours

    def spawn(self, args: list[str], env: dict[str, str], cwd) -> WarmChild | None:
        """A judge for one check, forked from the server; None when there is no server to fork it
        (the caller starts a cold one)."""
        if self._sock is None:
            return None
        read, write = os.pipe()
        try:
            request = json.dumps({"args": args, "env": env, "cwd": str(cwd)}).encode()
            socket.send_fds(self._sock, [request], [write])
            reply = self._sock.recv(MESSAGE_BYTES)
            pid = json.loads(reply)["pid"] if reply else None
        except (OSError, ValueError, KeyError):
            pid = None
        finally:
            os.close(write)
        if pid is None:
            os.close(read)
            self._replace()
            return None
        return WarmChild(self._sock, pid, os.fdopen(read, "rb"))

    def _replace(self) -> None:
        """The server is gone: a new one for the next check, unless it keeps dying."""
        self.close()
        if self._restarts < RESTARTS:
            self._restarts += 1
            self.start()

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            self._proc = None


# --- the server ---------------------------------------------------------------------------------

def _warm_up() -> None:
    """Import what every judge imports, short of the plugin module itself (pytest would rewrite its
    asserts on import) and the hidden tests."""
    import importlib
    import pkgutil

    import hypothesis  # noqa: F401
    import hypothesis.strategies  # noqa: F401
    import pytest  # noqa: F401
    from _pytest.config import default_plugins

    from ugrad_quest import testkit
    from ugrad_quest.runner import budget, judge  # noqa: F401
    from ugrad_quest.worker import confine, process  # noqa: F401

    blocked = {"cacheprovider", "terminal", "unraisableexception"}  # what runner/run.py's judges block
    for name in default_plugins:
        if name not in blocked:
            importlib.import_module(f"_pytest.{name}")
    for module in pkgutil.iter_modules(testkit.__path__):
        importlib.import_module(f"ugrad_quest.testkit.{module.name}")


def _fresh_randomness() -> None:
    """What a new process draws from the OS at import, drawn again in this fork."""
    import random

    random.seed()
    engine = sys.modules.get("hypothesis.internal.conjecture.engine")
    if isinstance(getattr(engine, "_random", None), random.Random):
        engine._random.seed()


def _judge(sock: socket.socket, request: dict, out: int) -> None:
    """In the fork: become the check's judge (never returns)."""
    try:
        sock.close()
        os.setsid()  # a session of its own, as a cold judge's: quest stops the judge with its whole group
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.close(out)
        os.chdir(request["cwd"])
        env = dict(request["env"])
        env[P.ENV_PARENT_PID] = str(os.getppid())  # the judge dies with the server, which dies with quest
        os.environ.clear()
        os.environ.update(env)
        _fresh_randomness()
        from ugrad_quest.runner import judge

        judge.main(request["args"])
    finally:
        os._exit(70)  # only when becoming the judge failed: the check reports a judge that said nothing


def serve(fd: int) -> None:
    from ugrad_quest.worker import confine

    if os.environ.get(P.ENV_PARENT_PID, "").isdigit():
        confine.die_with(int(os.environ[P.ENV_PARENT_PID]))
    sock = socket.socket(fileno=fd)
    _warm_up()
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(sock, MESSAGE_BYTES, 1)
        except OSError:
            break
        if not data or not fds:
            break  # quest closed its end
        request = json.loads(data)
        pid = os.fork()
        if pid == 0:
            _judge(sock, request, fds[0])
        os.close(fds[0])
        sock.send(json.dumps({"pid": pid}).encode())
        _, status = os.waitpid(pid, 0)
        sock.send(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}).encode())
    os._exit(0)


if __name__ == "__main__":
    serve(int(sys.argv[1]))
