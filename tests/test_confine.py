"""The worker's confinement (worker/confine.py), tried for real: each test confines a fresh Python
process with apply() and then has it attempt what the learner's code must or must not be able to do.

A test skips only when the kernel lacks the layer it tests (the reason comes from Report.missing).
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ugrad_quest.worker import confine

SRC = Path(__file__).resolve().parent.parent / "src"
TIMEOUT = 30

# Runs in the confined child. Imports nothing apply() does not import itself, so that the imports
# tried after apply() are really made under confinement.
PRELUDE = """
import os, sys
sys.path.insert(0, {src!r})
from ugrad_quest.worker.confine import Policy, apply, default_read_paths
P = {paths!r}
results = {{}}
REPORT = None
PRELOADED = set()

def attempt(fn):
    try:
        fn()
    except BaseException as exc:
        return type(exc).__name__
    return "ok"

def confine(read=(), **fields):
    global REPORT, PRELOADED
    PRELOADED = set(sys.modules)
    REPORT = apply(Policy(read=(*default_read_paths(), *read), **fields))
"""

EPILOGUE = """
import json
print(json.dumps({"report": REPORT.to_dict() if REPORT else None, "results": results}))
"""


def run(body: str, paths: dict | None = None) -> tuple[dict, dict]:
    """Run body in a fresh interpreter after PRELUDE; return its (report, results)."""
    code = PRELUDE.format(src=str(SRC), paths={k: v if isinstance(v, int) else str(v) for k, v in (paths or {}).items()})
    proc = subprocess.run([sys.executable, "-I", "-c", code + textwrap.dedent(body) + EPILOGUE],
                          capture_output=True, text=True, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return out["report"], out["results"]


def require(report: dict, *, landlock: bool = False, seccomp: bool = False) -> None:
    if (landlock and not report["landlock_abi"]) or (seccomp and not report["seccomp"]):
        pytest.skip("; ".join(report["missing"]))


def test_report_on_this_kernel():
    report, results = run("""
        confine()
        with open("/proc/self/status") as fh:
            status = dict(line.rstrip("\\n").split(":\\t", 1) for line in fh)
        results["status"] = {key: status[key] for key in ("NoNewPrivs", "Seccomp", "CapEff", "CapPrm", "CapBnd", "CapAmb")}
    """)
    if report["missing"]:
        pytest.skip("; ".join(report["missing"]))
    assert report["landlock_abi"] >= 6 and report["seccomp"] and report["capabilities_dropped"] and report["limits"]
    assert report["confined"]
    assert results["status"] == {"NoNewPrivs": "1", "Seccomp": "2", "CapEff": "0" * 16, "CapPrm": "0" * 16,
                                 "CapBnd": "0" * 16, "CapAmb": "0" * 16}


def test_files_read_write_and_hide(tmp_path: Path):
    ro, rw, outside, root = (tmp_path / name for name in ("ro", "rw", "outside", "root"))
    lib = root / "lib"
    for folder in (ro, rw, outside, lib / "okpkg", lib / "secret"):
        folder.mkdir(parents=True)
    (ro / "data.txt").write_text("data")
    (outside / "x.txt").write_text("outside")
    (lib / "okpkg" / "__init__.py").write_text("VALUE = 42\n")
    (lib / "plain.py").write_text("NAME = 'plain'\n")
    (lib / "secret" / "__init__.py").write_text("")
    (lib / "secret" / "answers.py").write_text("ANSWER = 1\n")
    report, results = run("""
        # root and root/lib are both read folders: the hidden folder must stay hidden through both.
        confine(read=[P["ro"], P["root"], P["lib"]], write=[P["rw"]], hide=[P["lib"] + "/secret"])
        results["read"] = open(P["ro"] + "/data.txt").read()
        results["append_ro"] = attempt(lambda: open(P["ro"] + "/data.txt", "a"))
        results["create_ro"] = attempt(lambda: open(P["ro"] + "/new.txt", "w"))

        def change_rw():
            path = P["rw"] + "/new.txt"
            with open(path, "w") as fh:
                fh.write("hello")
            os.truncate(path, 4)
            os.mkdir(P["rw"] + "/sub")
            os.rename(path, P["rw"] + "/sub/moved.txt")
            text = open(P["rw"] + "/sub/moved.txt").read()
            os.remove(P["rw"] + "/sub/moved.txt")
            os.rmdir(P["rw"] + "/sub")
            return text
        results["rw"] = change_rw()
        results["read_outside"] = attempt(lambda: open(P["outside"] + "/x.txt").read())
        results["list_outside"] = attempt(lambda: os.listdir(P["outside"]))
        results["etc"] = attempt(lambda: open("/etc/passwd").read())
        results["tmp"] = attempt(lambda: os.listdir("/tmp"))
        results["devnull"] = attempt(lambda: open(os.devnull, "w").write("x"))

        sys.path.insert(0, P["lib"])
        import okpkg, plain
        results["imports"] = [okpkg.VALUE, plain.NAME]
        results["listing"] = sorted(os.listdir(P["lib"]))
        results["secret_open"] = attempt(lambda: open(P["lib"] + "/secret/answers.py").read())
        results["secret_import"] = attempt(lambda: __import__("secret.answers"))
    """, {"ro": ro, "rw": rw, "outside": outside, "root": root, "lib": lib})
    require(report, landlock=True)
    assert results == {
        "read": "data", "append_ro": "PermissionError", "create_ro": "PermissionError", "rw": "hell",
        "read_outside": "PermissionError", "list_outside": "PermissionError", "etc": "PermissionError",
        "tmp": "PermissionError", "devnull": "ok",
        "imports": [42, "plain"], "listing": ["okpkg", "plain.py", "secret"],
        "secret_open": "PermissionError", "secret_import": "PermissionError",
    }
    assert not (ro / "new.txt").exists()


def test_a_file_named_on_its_own_is_readable_inside_a_hidden_folder_and_only_it(tmp_path: Path):
    # A wheel installs the quests inside the tool's hidden folder: the judge names a quest's helper
    # module (optimize's baseline, tensor's _batched.py) on its own; the hidden tests beside it stay hidden.
    tool = tmp_path / "tool"
    tool.mkdir()
    (tool / "_helper.py").write_text("HELP = 1\n")
    (tool / "test_hidden.py").write_text("ANSWER = 1\n")
    report, results = run("""
        confine(read=[P["tool"] + "/_helper.py"], write=[], hide=[P["tool"]])
        results["helper"] = open(P["tool"] + "/_helper.py").read()
        results["hidden"] = attempt(lambda: open(P["tool"] + "/test_hidden.py").read())
    """, {"tool": tool})
    require(report, landlock=True)
    assert results == {"helper": "HELP = 1\n", "hidden": "PermissionError"}


def test_stdlib_and_site_packages_still_import():
    report, results = run("""
        confine()
        import json, decimal, sqlite3, yaml, ssl, email.mime.text, unittest, xml.dom.minidom
        results["preloaded"] = sorted({"json", "decimal", "sqlite3", "yaml", "ssl", "unittest"} & PRELOADED)
        results["decimal"] = str(decimal.Decimal(1) / decimal.Decimal(8))
        results["sqlite3"] = sqlite3.connect(":memory:").execute("select 6 * 7").fetchone()[0]
        results["yaml"] = yaml.safe_load("a: [1, 2]")
        results["cpus"] = os.cpu_count() > 0
    """)
    require(report, landlock=True)
    assert results == {"preloaded": [], "decimal": "0.125", "sqlite3": 42, "yaml": {"a": [1, 2]}, "cpus": True}


def test_no_new_processes_but_threads_run(tmp_path: Path):
    report, results = run("""
        import subprocess, threading
        results["before"] = os.system("true")  # the shell runs unconfined, and would confined (/usr/bin is readable)
        confine(read=["/usr/bin"], write=[P["rw"]])
        results["fork"] = attempt(lambda: os.fork() or None)
        results["subprocess"] = attempt(lambda: subprocess.run(["true"]))
        results["posix_spawn"] = attempt(lambda: os.posix_spawn("/usr/bin/true", ["true"], {}))
        results["system"] = os.system("echo hi > " + P["rw"] + "/marker") != 0
        ran = []
        thread = threading.Thread(target=lambda: ran.append(threading.get_ident()))
        thread.start()
        thread.join(10)
        results["thread"] = len(ran) == 1 and ran[0] != threading.get_ident() and not thread.is_alive()
    """, {"rw": tmp_path})
    require(report, seccomp=True)
    assert results == {"before": 0, "fork": "PermissionError", "subprocess": "PermissionError",
                       "posix_spawn": "PermissionError", "system": True, "thread": True}
    assert not (tmp_path / "marker").exists()


def test_signals_and_scheduling_only_on_itself():
    report, results = run("""
        import resource, signal
        them = P["pytest"]
        confine()
        results["them"] = attempt(lambda: os.kill(them, 0))
        results["self"] = attempt(lambda: os.kill(os.getpid(), 0))
        results["everyone"] = attempt(lambda: os.kill(-1, 0))
        results["group"] = attempt(lambda: os.kill(0, 0))
        got = []
        signal.signal(signal.SIGUSR1, lambda *_: got.append(1))
        signal.raise_signal(signal.SIGUSR1)
        results["raise"] = got == [1]
        results["pidfd"] = attempt(lambda: os.pidfd_open(them))
        # Each would change nothing if it were allowed: it sets the niceness the target already has.
        results["nice_them"] = attempt(lambda: os.setpriority(os.PRIO_PROCESS, them, os.getpriority(os.PRIO_PROCESS, them)))
        results["nice_user"] = attempt(lambda: os.setpriority(os.PRIO_USER, 0, os.getpriority(os.PRIO_PROCESS, 0)))
        results["nice_self"] = attempt(lambda: os.setpriority(os.PRIO_PROCESS, 0, 1))
        results["prlimit_them"] = attempt(lambda: resource.prlimit(them, resource.RLIMIT_NOFILE))
        results["prlimit_self"] = attempt(lambda: resource.prlimit(os.getpid(), resource.RLIMIT_NOFILE))
        results["affinity_them"] = attempt(lambda: os.sched_setaffinity(them, os.sched_getaffinity(them)))
        results["affinity_self"] = attempt(lambda: os.sched_setaffinity(0, os.sched_getaffinity(0)))
    """, {"pytest": os.getpid()})
    require(report, seccomp=True)
    assert results == {
        "them": "PermissionError", "self": "ok", "everyone": "PermissionError", "group": "PermissionError",
        "raise": True, "pidfd": "PermissionError",
        "nice_them": "PermissionError", "nice_user": "PermissionError", "nice_self": "ok",
        "prlimit_them": "PermissionError", "prlimit_self": "ok",
        "affinity_them": "PermissionError", "affinity_self": "ok",
    }


def _capable(cap: int) -> bool:
    """Whether this (pytest) process has the capability in its effective set."""
    with open("/proc/self/status") as fh:
        effective = next(int(line.split()[1], 16) for line in fh if line.startswith("CapEff:"))
    return bool(effective >> cap & 1)


CAP_DAC_OVERRIDE, CAP_SYS_NICE, CAP_SYS_RESOURCE = 1, 23, 24


def test_limits_and_capabilities_are_gone_for_good(tmp_path: Path):
    (tmp_path / "mode-000").write_text("only a capability reads this")
    (tmp_path / "mode-000").chmod(0)
    report, results = run("""
        import ctypes, resource
        AS, INF = resource.RLIMIT_AS, resource.RLIM_INFINITY
        # Controls: what root can do with its capabilities, tried again once they are dropped.
        resource.setrlimit(AS, (2**40, 2**40))
        results["raise_before"] = attempt(lambda: resource.setrlimit(AS, (INF, INF)))
        results["dac_before"] = attempt(lambda: open(P["rw"] + "/mode-000").read())
        results["nice_before"] = attempt(lambda: os.setpriority(os.PRIO_PROCESS, 0, -1))
        confine(write=[P["rw"]], memory_bytes=2**30, file_bytes=2**20, open_files=64)
        results["raise_after"] = attempt(lambda: resource.setrlimit(AS, (INF, INF)))
        results["dac_after"] = attempt(lambda: open(P["rw"] + "/mode-000").read())
        results["nice_after"] = attempt(lambda: os.setpriority(os.PRIO_PROCESS, 0, -2))
        results["limits"] = [resource.getrlimit(limit) for limit in
                             (AS, resource.RLIMIT_FSIZE, resource.RLIMIT_NOFILE, resource.RLIMIT_CORE)]
        results["small"] = len(bytearray(2**20))
        results["huge"] = attempt(lambda: bytearray(2 * 2**30))
        results["big_file"] = attempt(lambda: open(P["rw"] + "/big", "wb").write(b"x" * (2 * 2**20)))
        libc = ctypes.CDLL(None, use_errno=True)
        unset = libc.prctl(1, ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))
        results["unset_pdeathsig"] = [unset, ctypes.get_errno()]
    """, {"rw": tmp_path})
    require(report, seccomp=True)
    mib, gib = 2**20, 2**30
    before = {"raise_before": "ok" if _capable(CAP_SYS_RESOURCE) else "ValueError",
              "dac_before": "ok" if _capable(CAP_DAC_OVERRIDE) else "PermissionError",
              "nice_before": "ok" if _capable(CAP_SYS_NICE) else "PermissionError"}
    assert results == {
        **before, "raise_after": "ValueError", "dac_after": "PermissionError", "nice_after": "PermissionError",
        "limits": [[gib, gib], [mib, mib], [64, 64], [0, 0]],
        "small": mib, "huge": "MemoryError", "big_file": "OSError", "unset_pdeathsig": [-1, 1],
    }


def test_no_sockets_and_no_ptrace():
    report, results = run("""
        import ctypes, socket
        them = P["pytest"]
        confine()
        results["inet"] = attempt(socket.socket)
        results["unix"] = attempt(lambda: socket.socket(socket.AF_UNIX))
        results["socketpair"] = attempt(socket.socketpair)  # asyncio's self-pipe; no network
        libc = ctypes.CDLL(None, use_errno=True)
        PTRACE_TRACEME, PTRACE_ATTACH = 0, 16
        args = [ctypes.c_long(0)] * 3
        results["traceme"] = [libc.ptrace(ctypes.c_long(PTRACE_TRACEME), *args), ctypes.get_errno()]
        results["attach"] = [libc.ptrace(ctypes.c_long(PTRACE_ATTACH), ctypes.c_long(them), *args[:2]), ctypes.get_errno()]
    """, {"pytest": os.getpid()})
    require(report, seccomp=True)
    assert results == {"inet": "PermissionError", "unix": "PermissionError", "socketpair": "ok",
                       "traceme": [-1, 1], "attach": [-1, 1]}


def _state(pid: int) -> str | None:
    """The process's state letter, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return None


def test_dies_with_its_parent():
    child = PRELUDE.format(src=str(SRC), paths={}) + textwrap.dedent("""
        import time
        confine(parent_pid=int(sys.argv[1]))
        print(os.getpid(), flush=True)
        time.sleep(60)
    """)
    middle = subprocess.Popen(
        [sys.executable, "-I", "-c", "import os, subprocess, sys, time\n"
         "subprocess.Popen([sys.executable, '-I', '-c', sys.argv[1], str(os.getpid())])\ntime.sleep(60)", child],
        stdout=subprocess.PIPE, text=True)
    child_pid = None
    try:
        ready, _, _ = select.select([middle.stdout], [], [], TIMEOUT)
        assert ready, "the confined child never said it was ready"
        child_pid = int(middle.stdout.readline())
        assert _state(child_pid) not in (None, "Z")
        middle.kill()
        middle.wait(TIMEOUT)
        deadline = time.monotonic() + 5
        while _state(child_pid) not in (None, "Z", "X") and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _state(child_pid) in (None, "Z", "X"), "the child outlived its parent"
    finally:
        middle.kill()
        middle.wait(TIMEOUT)
        middle.stdout.close()
        if child_pid and _state(child_pid) not in (None, "Z", "X"):
            os.kill(child_pid, signal.SIGKILL)


def test_exits_at_once_when_its_parent_is_already_gone():
    code = PRELUDE.format(src=str(SRC), paths={}) + "confine(parent_pid=os.getpid())\nprint('still running')\n"
    proc = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, timeout=TIMEOUT)
    assert (proc.returncode, proc.stdout) == (confine.EXIT_ORPHANED, ""), proc.stderr


def _cli(policy: dict, *command: str, report: bool = False) -> subprocess.CompletedProcess:
    args = ["--report"] if report else []
    return subprocess.run([sys.executable, "-m", "ugrad_quest.worker.confine", *args, json.dumps(policy), "--", *command],
                          capture_output=True, text=True, timeout=TIMEOUT, env={**os.environ, "PYTHONPATH": str(SRC)})


def test_command_line_confines_the_program_it_runs(tmp_path: Path):
    outside, rw = tmp_path / "outside", tmp_path / "rw"
    outside.mkdir()
    rw.mkdir()
    policy = {"read": [*confine.default_read_paths(), "/usr/bin"], "write": [str(rw)]}
    denied = _cli(policy, "/bin/sh", "-c", f"echo hi; echo hi > {outside}/file", report=True)
    report = json.loads(denied.stderr.splitlines()[0])
    require(report, landlock=True)
    assert report["confined"]
    assert denied.stdout == "hi\n" and denied.returncode != 0 and "Permission denied" in denied.stderr
    assert not (outside / "file").exists()

    allowed = _cli(policy, "sh", "-c", f"echo hi > {rw}/file && echo ok > /dev/null")
    assert (allowed.returncode, allowed.stderr) == (0, "")
    assert (rw / "file").read_text() == "hi\n"

    # Without /usr/bin in the policy, the shell is not even executable.
    cannot = _cli({"read": confine.default_read_paths()}, "/bin/sh", "-c", "true")
    assert cannot.returncode == confine.EXIT_CANNOT_EXECUTE and "Permission denied" in cannot.stderr


def test_policy_overlapping_hide_and_write_is_refused_before_anything_applies(tmp_path: Path):
    report, results = run("""
        results["error"] = attempt(lambda: apply(Policy(write=[P["rw"]], hide=[P["rw"] + "/secret"])))
        with open("/proc/self/status") as fh:
            results["no_new_privs"] = [line.split()[1] for line in fh if line.startswith("NoNewPrivs")]
    """, {"rw": tmp_path})
    assert results == {"error": "ValueError", "no_new_privs": ["0"]}


@pytest.mark.parametrize("arch", sorted(confine.SYSCALLS))
def test_filter_jumps_stay_in_range(arch):
    program = confine._filter(arch, 12345)
    assert len(program) < 4096  # BPF_MAXINSNS
    for index, (code, jt, jf, _) in enumerate(program):
        if code in (confine.BPF_JEQ_K, confine.BPF_JGE_K, confine.BPF_JSET_K):
            assert index + 1 + max(jt, jf) < len(program)
    assert program[-1] == (confine.BPF_RET_K, 0, 0, confine.SECCOMP_RET_ALLOW)
