"""Building the Rust engine driver against a learner's crate (or the optimize quest's Rust baseline).

The driver (drivers/rust/, std only) is what the judge runs as the engine worker for a Rust learner.
It is built with cargo, offline, into a cache folder outside the workspace:

    <cache>/Cargo.toml   a workspace of one member, with the build profile below
    <cache>/driver/      a copy of the driver's sources
    <cache>/crate/       a mirror of the learner's crate: its src/ as it is, under a Cargo.toml of ours

The mirror's manifest is ours, not the learner's: no dependencies, no build script, the same name and
profile for every learner, so nothing of the learner's runs while it builds (a build.rs would run
unconfined) and a rebuild after a one-line edit takes about a second. Files are copied only when
their bytes changed, so cargo's fingerprints see exactly the learner's edits.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import threading
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import ugrad_quest
from ugrad_quest.errors import QuestError

DRIVER_SOURCES = Path(ugrad_quest.__file__).resolve().parent / "drivers" / "rust"
BUILD_CPU_SECONDS = 300.0
"""CPU seconds a build may take (a cold build takes about 6): a budget of its own, apart from the tasks'."""
BUILD_WALL_CEILING = 1800.0
"""Wall seconds after which the machine, not the crate, is blamed."""
PROFILE = """[profile.release]
# Fast rebuilds after a one-line edit (about a second) while the engine still runs optimised.
incremental = true
codegen-units = 16
debug = false
panic = "unwind"
"""
EDITIONS = ("2015", "2018", "2021", "2024")


@dataclass
class Build:
    binary: Path | None
    """The driver, when the build succeeded."""
    error: str = ""
    """Why it did not, in one sentence: the first compiler diagnostic ("your crate did not compile:
    src/engine.rs:15:9: error[E0277]: ..."), or the build's budget."""
    output: str = ""
    """What cargo printed (for the learner who wants every diagnostic)."""
    cpu: float = 0.0
    """CPU seconds of cargo and the compilers it ran."""
    wall: float = 0.0


def cargo_command() -> str | None:
    """cargo on PATH, else where rustup puts it (a shell that never read ~/.cargo/env misses it)."""
    found = shutil.which("cargo")
    if found:
        return found
    home = os.environ.get("CARGO_HOME") or os.path.join(os.path.expanduser("~"), ".cargo")
    candidate = os.path.join(home, "bin", "cargo")
    return candidate if os.access(candidate, os.X_OK) else None


def cache_root() -> Path:
    """Where driver builds live: in the tool's cache folder (QUEST_CACHE, else the user's), never the workspace."""
    from ugrad_quest.paths import cache_dir

    return cache_dir() / "rust"


def cache_for(crate: Path, kind: str = "learner") -> Path:
    """One build folder per crate: rebuilding the same workspace is incremental."""
    key = hashlib.sha256(str(crate.resolve()).encode()).hexdigest()[:16]
    return cache_root() / f"{kind}-{key}"


def crate_problem(crate: Path) -> str:
    """Why `crate` is not a learner crate the checks can build ('' when it is)."""
    manifest = crate / "Cargo.toml"
    if not manifest.is_file():
        return f"{crate} has no Cargo.toml: a Rust workspace is a Cargo crate (quest start value --lang rust makes one)"
    if not (crate / "src" / "lib.rs").is_file():
        return f"{crate / 'src' / 'lib.rs'} is missing: the checks build your crate as a library (src/lib.rs)"
    try:
        data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return f"{manifest} cannot be read as TOML ({exc})"
    deps = [name for table in ("dependencies", "build-dependencies") for name in (data.get(table) or {})]
    if deps:
        return (f"{manifest} lists dependencies ({', '.join(sorted(deps))}): the checks build your crate offline "
                "with std only, so remove them")
    return ""


def _edition(crate: Path) -> str:
    try:
        package = tomllib.loads((crate / "Cargo.toml").read_text(encoding="utf-8")).get("package") or {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return "2021"
    edition = str(package.get("edition", "2021"))
    return edition if edition in EDITIONS else "2021"


def _sync_file(src: Path, dest: Path) -> None:
    """Copy when the bytes differ, so an unchanged file keeps the mtime cargo fingerprinted."""
    data = src.read_bytes()
    try:
        if dest.read_bytes() == data:
            return
    except OSError:
        pass
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, dest)


def _write_if_changed(dest: Path, text: str) -> None:
    try:
        if dest.read_text(encoding="utf-8") == text:
            return
    except OSError:
        pass
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(text, encoding="utf-8")


def _sync_tree(src: Path, dest: Path, keep=lambda rel: True) -> None:
    """Make dest hold exactly src's files (those `keep` accepts), touching only what changed."""
    wanted = set()
    if src.is_dir():
        for path in sorted(src.rglob("*")):
            rel = path.relative_to(src)
            if path.is_file() and keep(rel):
                wanted.add(rel)
                _sync_file(path, dest / rel)
    if dest.is_dir():
        for path in sorted(dest.rglob("*"), reverse=True):
            rel = path.relative_to(dest)
            if path.is_file() and rel not in wanted:
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()


def prepare(crate: Path, cache: Path) -> None:
    """Lay out the cache folder for building the driver against `crate`."""
    cache.mkdir(parents=True, exist_ok=True)
    _write_if_changed(cache / "Cargo.toml", '[workspace]\nmembers = ["driver"]\nresolver = "2"\n\n' + PROFILE)
    _sync_tree(DRIVER_SOURCES, cache / "driver",
               keep=lambda rel: rel.parts[0] not in ("target",) and rel.name != "Cargo.lock")
    _write_if_changed(cache / "crate" / "Cargo.toml",
                      f'[package]\nname = "ugrad"\nversion = "0.1.0"\nedition = "{_edition(crate)}"\n'
                      'publish = false\nbuild = false\n\n[lib]\npath = "src/lib.rs"\n')
    _sync_tree(crate / "src", cache / "crate" / "src")


_DIAGNOSTIC = re.compile(r"^(?P<file>[^\s:][^:]*):(?P<line>\d+):(?P<col>\d+): (?P<kind>error(\[E\d+\])?): (?P<msg>.*)$")


def first_error(output: str, cache: Path) -> str:
    """The first error diagnostic of cargo's short output, with paths as the learner sees them."""
    for line in output.splitlines():
        m = _DIAGNOSTIC.match(line.strip())
        if not m:
            continue
        file = m["file"]
        for prefix in (str(cache / "crate") + "/", "crate/"):
            if file.startswith(prefix):
                return f"{file[len(prefix):]}:{m['line']}:{m['col']}: {m['kind']}: {m['msg']}"
        for prefix in (str(cache / "driver") + "/", "driver/"):
            if file.startswith(prefix):
                return (f"your crate does not have the API the checks call ({m['kind']}: {m['msg']}, in the "
                        f"checks' driver at {file[len(prefix):]}:{m['line']}); keep the items and signatures "
                        "of the starter's stubs")
        return f"{file}:{m['line']}:{m['col']}: {m['kind']}: {m['msg']}"
    for line in output.splitlines():
        if line.strip().startswith("error"):
            return line.strip()
    return ""


def _toolchains(rustup_home: str) -> bool:
    """Whether a rustup folder holds an installed toolchain (rustup makes an empty one on first use)."""
    try:
        return any(os.scandir(os.path.join(rustup_home, "toolchains")))
    except OSError:
        return False


def cargo_env() -> dict[str, str]:
    # The learner's shell may carry flags that change what is built (RUSTFLAGS, a target dir, a
    # wrapper); the build is ours and the same for everyone.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CARGO_", "RUST")) or k in ("CARGO_HOME", "RUSTUP_HOME", "RUSTUP_TOOLCHAIN")}
    env["CARGO_TERM_COLOR"] = "never"
    env["CARGO_NET_OFFLINE"] = "true"
    cargo_bin = os.path.dirname(cargo_command() or "")
    # rustup's cargo looks for its toolchains in $HOME/.rustup: under another HOME (sudo, a scripted
    # run) point it at the installation the cargo found belongs to.
    install = os.path.dirname(os.path.dirname(cargo_bin)) if os.path.basename(os.path.dirname(cargo_bin)) == ".cargo" else ""
    if install and "RUSTUP_HOME" not in env and _toolchains(os.path.join(install, ".rustup")) \
            and not _toolchains(os.path.join(os.path.expanduser("~"), ".rustup")):
        env["RUSTUP_HOME"] = os.path.join(install, ".rustup")
        env.setdefault("CARGO_HOME", os.path.join(install, ".cargo"))
    if cargo_bin and cargo_bin not in env.get("PATH", "").split(os.pathsep):
        env["PATH"] = os.pathsep.join(filter(None, [cargo_bin, env.get("PATH")]))
    return env


def build_driver(crate: Path, features: list[str], cache: Path | None = None,
                 on_line: Callable[[str], None] | None = None, cpu_budget: float = BUILD_CPU_SECONDS) -> Build:
    """Build the driver against `crate` with the driver features the quest needs (nn, train)."""
    cargo = cargo_command()
    if cargo is None:
        raise QuestError("Checking a Rust crate needs cargo, and none was found on PATH or in ~/.cargo/bin; "
                         "install Rust with rustup (https://rustup.rs).")
    problem = crate_problem(crate)
    if problem:
        raise QuestError(problem + ".")
    cache = cache or cache_for(crate)
    command = [cargo, "build", "--offline", "--release", "--message-format=short", "-p", "ugrad-driver",
               "--manifest-path", str(cache / "Cargo.toml")]
    if features:
        command += ["--features", ",".join(features)]
    try:
        cache.mkdir(parents=True, exist_ok=True)
        with open(cache / ".lock", "w") as lock:
            # Two checks of one workspace at once (watch and a check) must not mirror over each other's build.
            fcntl.flock(lock, fcntl.LOCK_EX)
            prepare(crate, cache)
            return _run(command, cache, on_line, cpu_budget)
    except OSError as exc:
        raise QuestError(f"Cannot use the build folder {cache}: {exc.strerror or exc}.") from None


def _run(command: list[str], cache: Path, on_line, cpu_budget: float) -> Build:
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=cache, env=cargo_env(), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    lines: list[str] = []

    def read() -> None:
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            lines.append(line)
            if on_line:
                on_line(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    killed, cpu, code = "", 0.0, None
    try:
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:  # reaped here, so the rusage covers cargo and every compiler it waited for
                code = os.waitstatus_to_exitcode(status)
                proc.returncode = code
                cpu = usage.ru_utime + usage.ru_stime
                break
            cpu = session_cpu(proc.pid)
            if cpu > cpu_budget:
                killed = f"building your crate took more than {cpu_budget:g} s of CPU time"
            elif time.perf_counter() - start > BUILD_WALL_CEILING:
                killed = "the machine was too busy to build your crate; run quest check again"
            if killed:
                _kill(proc)
                break
            time.sleep(0.1)
    except BaseException:
        _kill(proc)
        raise
    reader.join(timeout=5)
    output = "\n".join(lines)
    wall = time.perf_counter() - start
    binary = cache / "target" / "release" / "ugrad-driver"
    if killed:
        return Build(None, killed, output, cpu, wall)
    if code != 0 or not binary.is_file():
        if not _compiled_anything(output):
            # cargo stopped before any compiler ran: the toolchain's problem (rustup with no default
            # toolchain, a broken install), not the learner's crate.
            first = next((line.strip() for line in output.splitlines() if line.strip()), f"exit code {code}")
            raise QuestError(f"cargo could not build anything ({first}); check that `cargo build` works in a "
                             "new crate, e.g. run `rustup default stable`.")
        error = first_error(output, cache) or f"cargo build failed (exit code {code})"
        return Build(None, f"your crate did not compile: {error}", output, cpu, wall)
    return Build(binary, "", output, cpu, wall)


def _compiled_anything(output: str) -> bool:
    """Whether cargo got as far as running a compiler (it says so, or a diagnostic names a file)."""
    return any(line.strip().startswith(("Compiling ", "Fresh ")) or _DIAGNOSTIC.match(line.strip())
               for line in output.splitlines())


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def session_cpu(sid: int) -> float:
    """CPU seconds of every process in session sid (cargo and the compilers it is running), from /proc:
    a build's budget counts the compilers too, as they run, not only once cargo has waited for them."""
    total = 0
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # After the command: state, ppid, pgrp, session, ..., utime (12), stime (13), cutime, cstime.
        if len(fields) > 14 and int(fields[3]) == sid:
            total += sum(int(f) for f in fields[11:15])
    return total / _TICKS


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass
    try:
        proc.wait(timeout=10)
    except (subprocess.TimeoutExpired, ChildProcessError):
        pass


def features_for(catalog, quest) -> list[str]:
    """The driver features a quest's suites need: the Rust modules its lineage's starters add (the
    engine is always there), so checking `value` never needs an nn.rs that does not compile yet."""
    modules = []
    for q in catalog.lineage(quest.id):
        src = q.starter_for("rust") / "src"
        modules += [p.stem for p in sorted(src.glob("*.rs")) if p.stem not in ("lib", "engine")] if src.is_dir() else []
    return list(dict.fromkeys(modules))


def baseline_crate(quest) -> Path | None:
    """The quest's plain Rust baseline crate (optimize times the learner against it), if it has one."""
    crate = quest.hidden_dir / "baseline_rust"
    return crate if (crate / "Cargo.toml").is_file() else None


def build_for_check(catalog, quest, crate: Path, on_line: Callable[[str], None] | None = None):
    """(Drivers, "") ready for run_suite, or (None, why) when the learner's crate did not build.

    A baseline that does not build is the quest's problem, never the learner's: QuestError."""
    from ugrad_quest.runner.run import Drivers

    features = features_for(catalog, quest)
    built = build_driver(crate, features, on_line=on_line)
    if built.binary is None:
        return None, built.error
    baseline = None
    if (base := baseline_crate(quest)) is not None:
        # Keyed by the baseline's own folder: every workspace shares one build of it.
        made = build_driver(base, ["nn", "train"], cache=cache_for(base, "baseline"), on_line=on_line)
        if made.binary is None:
            raise QuestError(f"The quest's Rust baseline did not build ({made.error}); this is a problem with "
                             "ugrad-quest, not your code.")
        baseline = made.binary
    return Drivers(built.binary, baseline), ""
