"""`quest watch`: one check per save (debounced), driven by a fake clock; then once for real."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from functools import partial
from pathlib import Path

import pytest

from conftest import BASICS_ENGINE, ctrl_c_reaches_it, write_engine
from ugrad_quest.services import watch as watching

ENGINE = Path("ugrad/engine.py")
POLL, QUIET = watching.POLL_SECONDS, watching.QUIET_SECONDS


class FakeTime:
    """A clock that only moves when the loop sleeps; scripted actions happen at their time."""

    def __init__(self, actions=()):
        self.now = 0.0
        self.actions = sorted(actions, key=lambda a: a[0])  # (time, callable)
        self.slept = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept += seconds
        while self.actions and self.actions[0][0] <= self.now:
            self.actions.pop(0)[1]()


class FakeFiles:
    """A scripted workspace: {path: (mtime_ns, size)} that actions change."""

    def __init__(self, **files):
        self.files = {Path(k.replace("__", "/") + ".py"): v for k, v in files.items()}

    def save(self, path: Path, stamp: tuple[int, int]):
        return lambda: self.files.__setitem__(path, stamp)

    def delete(self, path: Path):
        return lambda: self.files.pop(path)

    def snapshot(self) -> watching.Snapshot:
        return dict(self.files)


def run_watch(snapshot, fake: FakeTime, stop_after: float = 6.0, during_run=None, said=None):
    """Every call of run_once as (time, changed paths); with `said`, a list, what the learner would
    read in order: each run's changed files, and "waiting" each time the loop says it is watching."""
    runs: list[tuple[float, list[Path]]] = []
    said = [] if said is None else said

    def run_once(changed):
        runs.append((round(fake.now, 6), list(changed)))
        said.append(list(changed))
        if during_run:
            during_run(len(runs))

    count = watching.watch(run_once, snapshot, sleep=fake.sleep, clock=fake.clock, stop_after=stop_after,
                           waiting=lambda: said.append("waiting"))
    assert count == len(runs)
    return runs


def test_a_burst_of_saves_within_the_quiet_period_gives_one_check():
    files = FakeFiles(ugrad__engine=(1, 10))
    # An editor's save: three writes, each seen by a different poll, none QUIET after the one before.
    fake = FakeTime([(1.0 + POLL * (i + 0.5), files.save(ENGINE, (2 + i, 11 + i))) for i in range(3)])
    runs = run_watch(files.snapshot, fake)
    assert [changed for _, changed in runs] == [[], [ENGINE]]  # the first check, then one for the burst
    assert checked_soon(runs[1][0], 1.0 + POLL * 2.5)  # once the files were quiet after the last write
    assert fake.slept >= 6.0  # and it kept watching


def checked_soon(run_at: float, saved_at: float) -> bool:
    """The check ran once the files had been quiet for QUIET: after the poll that saw the save and at
    most one more poll."""
    return saved_at + QUIET - 1e-9 <= run_at <= saved_at + QUIET + 2 * POLL + 1e-9


def test_a_save_is_checked_within_a_fifth_of_a_second():
    files = FakeFiles(ugrad__engine=(1, 10))
    fake = FakeTime([(1.01, files.save(ENGINE, (2, 11)))])
    runs = run_watch(files.snapshot, fake, stop_after=2.0)
    assert runs[1][1] == [ENGINE] and runs[1][0] - 1.01 <= 0.2


def test_saves_further_apart_than_the_quiet_period_give_one_check_each():
    files = FakeFiles(ugrad__engine=(1, 10), ugrad__nn=(1, 20))
    fake = FakeTime([(1.05, files.save(ENGINE, (2, 11))), (3.05, files.save(Path("ugrad/nn.py"), (2, 21)))])
    runs = run_watch(files.snapshot, fake)
    assert [changed for _, changed in runs] == [[], [ENGINE], [Path("ugrad/nn.py")]]
    assert checked_soon(runs[1][0], 1.05) and checked_soon(runs[2][0], 3.05)


def test_nothing_saved_means_no_check_after_the_first():
    files = FakeFiles(ugrad__engine=(1, 10))
    assert run_watch(files.snapshot, FakeTime()) == [(0.0, [])]


def test_a_file_created_and_removed_within_a_burst_checks_nothing():
    files = FakeFiles(ugrad__engine=(1, 10))
    scratch = Path("ugrad/scratch.py")
    fake = FakeTime([(1.01, files.save(scratch, (1, 1))), (1.01 + POLL, files.delete(scratch))])
    assert run_watch(files.snapshot, fake) == [(0.0, [])]


def test_a_save_during_a_check_is_checked_afterwards():
    files = FakeFiles(ugrad__engine=(1, 10))
    fake = FakeTime([(1.05, files.save(ENGINE, (2, 11)))])

    def during_run(n):
        if n == 2:  # the learner saves again while the second check runs
            files.save(ENGINE, (3, 12))()

    said = []
    runs = run_watch(files.snapshot, fake, during_run=during_run, said=said)
    assert [changed for _, changed in runs] == [[], [ENGINE], [ENGINE]]
    # Watching is said once per idle spell: not between the check the save came during and its re-run.
    assert said == [[], "waiting", [ENGINE], [ENGINE], "waiting"]


def test_several_saves_during_one_check_queue_one_rerun():
    files = FakeFiles(ugrad__engine=(1, 10), ugrad__nn=(1, 20))
    fake = FakeTime([(1.05, files.save(ENGINE, (2, 11)))])

    def during_run(n):
        if n == 2:
            files.save(ENGINE, (3, 12))()
            files.save(Path("ugrad/nn.py"), (2, 21))()
            files.save(ENGINE, (4, 13))()

    said = []
    run_watch(files.snapshot, fake, during_run=during_run, said=said)
    assert said == [[], "waiting", [ENGINE], [ENGINE, Path("ugrad/nn.py")], "waiting"]


def test_changes_that_cancel_out_say_watching_only_once():
    files = FakeFiles(ugrad__engine=(1, 10))
    scratch = Path("ugrad/scratch.py")
    said = []
    run_watch(files.snapshot, FakeTime([(1.01, files.save(scratch, (1, 1))), (1.01 + POLL, files.delete(scratch))]),
              said=said)
    assert said == [[], "waiting"]


# The real snapshot on real files, with the fake clock's actions touching the disk.

@pytest.fixture
def ws(tmp_path: Path) -> Path:
    write_engine(tmp_path, "class Value: pass\n")
    return tmp_path


def write(path: Path, text: str = "x = 1\n"):
    def action():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return action


def test_editor_temp_files_caches_and_hidden_folders_are_ignored(ws: Path):
    pkg = ws / "ugrad"
    noise = [pkg / name for name in ("engine.py.swp", ".engine.py.swp", "engine.py~", ".#engine.py", "4913",
                                     "engine.py.tmp", "notes.txt")]
    noise += [pkg / "__pycache__" / "engine.cpython-311.pyc", pkg / "__pycache__" / "stray.py",
              pkg / ".ipynb_checkpoints" / "engine-checkpoint.py", ws / "outside.py"]
    fake = FakeTime([(1.05 + 0.1 * i, write(path)) for i, path in enumerate(noise)])
    runs = run_watch(partial(watching.snapshot, ws, "ugrad"), fake)
    assert runs == [(0.0, [])]
    assert all(path.exists() for path in noise)


def test_saving_creating_and_deleting_files_each_count(ws: Path):
    pkg = ws / "ugrad"
    fake = FakeTime([
        (1.05, write(pkg / "engine.py", "class Value:\n    pass\n")),
        (3.05, write(pkg / "sub" / "helpers.py")),
        (5.05, (pkg / "engine.py").unlink),
    ])
    runs = run_watch(partial(watching.snapshot, ws, "ugrad"), fake, stop_after=7.0)
    assert [changed for _, changed in runs] == [[], [ENGINE], [Path("ugrad/sub/helpers.py")], [ENGINE]]


def test_snapshot_lists_the_package_files_with_their_stamps(ws: Path):
    (ws / "ugrad" / "nn.py").write_text("pass\n")
    shot = watching.snapshot(ws, "ugrad")
    assert sorted(shot) == [Path("ugrad/__init__.py"), ENGINE, Path("ugrad/nn.py")]
    info = (ws / "ugrad" / "nn.py").stat()
    assert shot[Path("ugrad/nn.py")] == (info.st_mtime_ns, info.st_size)


def test_an_installed_package_watches_the_workspace_but_not_a_virtualenv(tmp_path: Path):
    (tmp_path / "train.py").write_text("pass\n")
    (tmp_path / "venv" / "lib").mkdir(parents=True)
    (tmp_path / "venv" / "pyvenv.cfg").write_text("home = /usr\n")
    (tmp_path / "venv" / "lib" / "site.py").write_text("pass\n")
    assert watching.watched_folder(tmp_path, "micrograd") == tmp_path
    assert list(watching.snapshot(tmp_path, "micrograd")) == [Path("train.py")]


# The command.

def test_watch_outside_a_workspace_is_one_sentence_exit_2(course, cli, tmp_path: Path):
    result = cli("watch", cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and "is not inside a quest workspace" in result.stderr
    assert result.stderr.strip().count("\n") == 0


def test_watch_with_an_unknown_task_stops_at_the_start(course, cli, tmp_path: Path):
    cli("start", "basics", "--dir", str(tmp_path))
    result = cli("watch", "--task", "triple", cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr.strip() == "Error: Quest 'basics' has no task 'triple' (tasks: data, double, extra)."
    assert "Watching" not in result.stdout


def test_an_error_in_a_recheck_is_shown_and_watching_goes_on(course, cli, tmp_path: Path, quest_home: Path,
                                                            monkeypatch):
    cli("start", "basics", "--dir", str(tmp_path))
    db = quest_home / "progress.sqlite3"

    def two_saves_then_ctrl_c(run_once, snapshot, *args, waiting, **kwargs):
        run_once(())
        waiting()
        db.write_bytes(b"\x00garbage" * 500)  # damaged between two saves
        run_once([ENGINE])
        waiting()
        raise KeyboardInterrupt

    monkeypatch.setattr(watching, "watch", two_saves_then_ctrl_c)
    result = cli("watch", cwd=tmp_path)
    assert result.exit_code == 0
    assert result.stderr.startswith("Error: The progress database") and result.stderr.count("\n") == 1
    assert result.stdout.count("Watching ugrad/ for changes… (Ctrl-C to stop)") == 2
    assert "Changed: ugrad/engine.py" in result.stdout
    assert result.stdout.rstrip().endswith("Stopped watching.")


def test_ctrl_c_just_as_watching_is_printed_does_not_print_it_twice(course, cli, tmp_path: Path, monkeypatch):
    """The race a busy machine hit: Ctrl-C after rich wrote "Watching…" and before it cleared its buffer."""
    cli("start", "basics", "--dir", str(tmp_path))

    def ctrl_c_as_watching_is_flushed(run_once, snapshot, *args, waiting, **kwargs):
        run_once(())
        stream = sys.stdout

        def interrupted():
            monkeypatch.setattr(stream, "flush", type(stream).flush.__get__(stream))
            raise KeyboardInterrupt

        monkeypatch.setattr(stream, "flush", interrupted)
        waiting()

    monkeypatch.setattr(watching, "watch", ctrl_c_as_watching_is_flushed)
    result = cli("watch", cwd=tmp_path)
    assert result.exit_code == 0
    assert result.stdout.count("Watching ugrad/ for changes…") == 1
    assert result.stdout.rstrip().endswith("Watching ugrad/ for changes… (Ctrl-C to stop)\nStopped watching.")


class Lines:
    """A child's output read in a thread, so the test can wait for a line with a timeout."""

    def __init__(self, stream):
        self.queue: queue.Queue = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream):
        for line in stream:
            self.queue.put(line)
        self.queue.put(None)

    def until(self, marker: str, deadline: float) -> str:
        """Everything read up to and including the first line containing `marker`."""
        start = len(self.seen)
        while True:
            try:
                line = self.queue.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no {marker!r} in time; output so far:\n{''.join(self.seen)}") from None
            if line is None:
                raise AssertionError(f"output ended before {marker!r}:\n{''.join(self.seen)}")
            self.seen.append(line)
            if marker in line:
                return "".join(self.seen[start:])

    def rest(self, deadline: float) -> str:
        """Everything the child wrote, once its stream has closed."""
        while (line := self.queue.get(timeout=max(0.01, deadline - time.monotonic()))) is not None:
            self.seen.append(line)
        return "".join(self.seen)


def save_atomically(path: Path, text: str) -> None:
    """Write beside the package and rename over the file, as editors do: the watcher can never see the
    file half written, however long this process waits between the truncation and the write."""
    draft = path.parents[1] / (path.name + ".draft")
    draft.write_text(text, encoding="utf-8")
    os.replace(draft, path)


def test_watch_rechecks_when_the_engine_is_saved_and_stops_on_ctrl_c(course, cli, tmp_path: Path):
    cli("start", "basics", "--dir", str(tmp_path))
    # Each wait is for an event (a line of output, the exit), never a sleep; the deadline is generous
    # so that a busy machine only makes the test slower.
    deadline = time.monotonic() + 600
    # The fixtures set QUEST_HOME and QUEST_QUESTS_DIR in os.environ; the child inherits them.
    proc = subprocess.Popen([sys.executable, "-m", "ugrad_quest", "watch"], cwd=tmp_path, env=dict(os.environ),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
                            preexec_fn=ctrl_c_reaches_it)
    try:
        out = Lines(proc.stdout)
        err = Lines(proc.stderr)
        first = out.until("Watching ugrad/ for changes… (Ctrl-C to stop)", deadline)
        assert "Checked Basics" in first and "Not there yet." in first
        lines = first.splitlines()
        data = next(i for i, line in enumerate(lines) if " data " in line)
        assert lines[data].startswith("✘") and lines[data].rstrip().endswith("failed")
        assert lines[data + 1].startswith("    NotImplementedError: ")

        save_atomically(tmp_path / "ugrad" / "engine.py", BASICS_ENGINE)
        second = out.until("Watching ugrad/ for changes…", deadline)
        lines = second.splitlines()
        assert lines[0] == "Changed: ugrad/engine.py"
        assert next(line for line in lines if " double " in line).startswith("✔")
        assert "All required tasks pass." in second and "Quest complete!" in second
        assert second.count("Checked Basics") == 1

        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=max(1, deadline - time.monotonic())) == 0
        assert out.until("Stopped watching.", deadline).strip() == "Stopped watching."
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stderr = err.rest(deadline)
    assert "Traceback" not in stderr and "Interrupted" not in stderr
