"""Benchmark: `quest profile` on a year of dense activity (100,000 event rows) vs an empty profile.

Issue target: the seeded card is no slower than 1.5x the empty one (the profile aggregates in SQL
over indexes, so it must not grow with the event count). Two QUEST_HOMEs in a temp dir:

  empty   just migrated (one `quest profile --json`)
  seeded  the same, then 100,000 rows over attempt, attempt_task, task_pass, xp_award (task, quest,
          quiz, badge), hint_reveal and quiz_answer, spread over 365 local dates ending at the pinned
          today (QUEST_NOW), with single missed days (freezes) and a few breaks (missed days)

Both homes get a trainer name, so neither card shells out to `git config user.name`.

Measured in one run, interleaved round by round (these machines are noisy), medians and ratios:
  `quest profile` (text card, COLUMNS=80, stdout a pipe) and `quest profile --json` as subprocesses,
  and build_profile() alone in-process. Then EXPLAIN QUERY PLAN of every SELECT build_profile runs
  (captured with SQLAlchemy's before_cursor_execute on the store's engine), with each one's time.

Exits 1 if the text card's seeded/empty ratio exceeds --max-ratio (1.5), printing the figures either way.

    python bench/profile_scale.py [--rounds 9] [--reps 200] [--max-ratio 1.5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUEST_NOW = "2026-11-22T12:00:00"
TODAY = dt.date(2026, 11, 22)
DAYS = 365
DB_FILENAME = "progress.sqlite3"
TRAINER = "Bench Trainer"

# 100,000 rows in all; ~40k in xp_award, the table the profile reads.
N_ATTEMPT = 6_000
TASKS_PER_ATTEMPT = 2
N_TASK = 24_000          # task_pass rows, and as many kind='task' awards
N_QUEST = 2_400          # kind='quest' awards
N_QUIZ_AWARD = 13_400    # kind='quiz' awards (one per correctly answered question)
N_BADGE = 200            # kind='badge' awards: every real badge, the rest synthetic
N_HINT = 2_000
N_QUIZ_ANSWER = 16_000   # N_QUIZ_AWARD right, the rest wrong
COUNTS = {
    "attempt": N_ATTEMPT, "attempt_task": N_ATTEMPT * TASKS_PER_ATTEMPT, "task_pass": N_TASK,
    "xp_award": N_TASK + N_QUEST + N_QUIZ_AWARD + N_BADGE, "hint_reveal": N_HINT, "quiz_answer": N_QUIZ_ANSWER,
}
assert sum(COUNTS.values()) == 100_000, COUNTS


# ---------------------------------------------------------------- seeding

def activity_days(rng: random.Random) -> dict[dt.date, float]:
    """Active local dates of the year ending TODAY, each with a weight (how busy it was).

    About one day in ten is missed alone (a held freeze usually covers it) and four stretches of
    3-9 days are missed (the streak breaks); today and yesterday are active, so a streak is alive.
    """
    start = TODAY - dt.timedelta(days=DAYS - 1)
    year = [start + dt.timedelta(days=i) for i in range(DAYS)]
    missed: set[dt.date] = {d for d in year if rng.random() < 0.10}
    for first, length in ((40, 9), (150, 5), (230, 3), (300, 4)):
        missed.update(year[first:first + length])
    missed -= {TODAY, TODAY - dt.timedelta(days=1), start}
    return {d: rng.uniform(0.3, 1.7) for d in year if d not in missed}


def spread(n: int, weights: dict[dt.date, float]) -> list[dt.date]:
    """n dates, each active day getting its share by weight (largest remainder), in date order."""
    total = sum(weights.values())
    exact = {d: n * w / total for d, w in weights.items()}
    counts = {d: int(x) for d, x in exact.items()}
    for d in sorted(exact, key=lambda d: counts[d] - exact[d])[:n - sum(counts.values())]:
        counts[d] += 1
    return [d for d in sorted(counts) for _ in range(counts[d])]


def moments(days: list[dt.date], rng: random.Random) -> list[tuple[str, str]]:
    """(awarded_at, local_date) as the store writes them, sorted, so ids grow with time like real rows."""
    out = []
    for d in days:
        latest = 11 * 3600 + 59 * 60 if d == TODAY else 23 * 3600 + 59 * 60  # nothing after QUEST_NOW
        t = dt.datetime.combine(d, dt.time()) + dt.timedelta(seconds=rng.randint(7 * 3600, latest),
                                                             microseconds=rng.randrange(1_000_000))
        out.append((t.strftime("%Y-%m-%d %H:%M:%S.%f"), d.isoformat()))
    out.sort()
    return out


def real_badges() -> list[tuple[str, str]]:
    """(quest_id, badge id) of every badge the shipped catalog defines."""
    from ugrad_quest import paths
    from ugrad_quest.catalog import load_catalog
    from ugrad_quest.rules.badges import all_badges

    return [(b.quest_id, b.id) for b in all_badges(load_catalog(paths.quests_dir()))]


def seed(db: Path, quest_ids: list[str], badges: list[tuple[str, str]]) -> dict[str, int]:
    """Write a year of events into an already migrated database, in one transaction."""
    rng = random.Random(2026)
    weights = activity_days(rng)
    review = "Passed on the 3rd check; 1 hint (-2 XP). Fixed: gradients must accumulate (+=), not overwrite."

    attempts = []
    attempt_on: dict[str, list[int]] = {}
    for i, (at, day) in enumerate(moments(spread(N_ATTEMPT, weights), rng), start=1):
        attempts.append((i, quest_ids[i % len(quest_ids)], "/home/learner/ugrad", "ugrad", at, day,
                         rng.randint(400, 9000), i % 3 != 0))
        attempt_on.setdefault(day, []).append(i)
    attempt_tasks = [(a[0], f"t{(a[0] * TASKS_PER_ATTEMPT + k) % N_TASK:05d}", "passed" if (a[0] + k) % 3 else "failed",
                      rng.randint(5, 800), "" if (a[0] + k) % 3 else "a + a gave a.grad = 1, expected 2")
                     for a in attempts for k in range(TASKS_PER_ATTEMPT)]

    task_passes, awards = [], []
    for i, (at, day) in enumerate(moments(spread(N_TASK, weights), rng)):
        attempt_id = rng.choice(attempt_on[day])
        task_passes.append(("bench", f"t{i:05d}", attempt_id, at, day))
        awards.append(("task", "bench", f"t{i:05d}", rng.choice((5, 8, 10, 15, 20)), at, day, review, attempt_id))
    for i, (at, day) in enumerate(moments(spread(N_QUEST, weights), rng)):
        awards.append(("quest", f"bench{i:04d}", "", 100, at, day, review, rng.choice(attempt_on[day])))
    for i, (at, day) in enumerate(moments(spread(N_QUIZ_AWARD, weights), rng)):
        awards.append(("quiz", "bench", f"q{i:05d}", 5, at, day, "Right: d(tanh)/dx = 1 - tanh(x)^2.", None))
    badge_keys = badges + [("bench", f"bench-badge-{i:03d}") for i in range(N_BADGE - len(badges))]
    for (quest_id, badge_id), (at, day) in zip(badge_keys, moments(spread(N_BADGE, weights), rng)):
        awards.append(("badge", quest_id, badge_id, 25, at, day, "Badge: Clean Shot (rare).", None))
    awards.sort(key=lambda r: r[4])  # ids in time order, kinds interleaved, as a real log is

    hints = [("bench", f"t{i // 3:05d}", i % 3, at, day)
             for i, (at, day) in enumerate(moments(spread(N_HINT, weights), rng))]
    answers = [("bench", f"q{i % N_QUIZ_AWARD:05d}", "b", i < N_QUIZ_AWARD, at, day)
               for i, (at, day) in enumerate(moments(spread(N_QUIZ_ANSWER, weights), rng))]
    answers.sort(key=lambda r: r[4])

    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO attempt (id, quest_id, workspace, package, started_at, local_date, duration_ms,"
                         " passed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", attempts)
        conn.executemany("INSERT INTO attempt_task (attempt_id, task_id, status, duration_ms, message)"
                         " VALUES (?, ?, ?, ?, ?)", attempt_tasks)
        conn.executemany("INSERT INTO task_pass (quest_id, task_id, attempt_id, passed_at, local_date)"
                         " VALUES (?, ?, ?, ?, ?)", task_passes)
        conn.executemany("INSERT INTO xp_award (kind, quest_id, task_id, xp, awarded_at, local_date, review, attempt_id)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", awards)
        conn.executemany("INSERT INTO hint_reveal (quest_id, task_id, hint_index, revealed_at, local_date)"
                         " VALUES (?, ?, ?, ?, ?)", hints)
        conn.executemany("INSERT INTO quiz_answer (quest_id, question_id, answer, correct, answered_at, local_date)"
                         " VALUES (?, ?, ?, ?, ?, ?)", answers)
        conn.execute("COMMIT")
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in COUNTS}
    finally:
        conn.close()


def name_trainer(db: Path) -> None:
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("INSERT OR REPLACE INTO setting (key, value) VALUES ('trainer_name', ?)", (TRAINER,))
    conn.close()


# ---------------------------------------------------------------- measuring

def run(cmd: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return time.perf_counter() - start, done


def check_run(cmd: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    _, done = run(cmd, env)
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd[2:])} failed (exit {done.returncode}) with QUEST_HOME={env['QUEST_HOME']}:\n"
                 f"{done.stderr.decode(errors='replace')}")
    return done


def context_for(home: Path, statements: list[tuple[str, tuple]] | None = None):
    """A Context on `home` pinned to QUEST_NOW; if `statements` is given, every SQL the profile runs lands there."""
    from sqlalchemy import event

    from ugrad_quest import paths
    from ugrad_quest.services.context import Context

    pinned = dt.datetime.fromisoformat(QUEST_NOW).astimezone()

    class Tracing(Context):
        def open_store(self):
            store = super().open_store()  # migrations ran already: only the profile's own queries are seen
            if statements is not None:
                @event.listens_for(store.engine, "before_cursor_execute")
                def _capture(conn, cursor, statement, parameters, context, executemany):
                    statements.append((statement, tuple(parameters or ())))
            return store

    return Tracing(quests_dir=paths.quests_dir(), db_path=home / DB_FILENAME, cwd=home, clock=lambda: pinned)


def time_in_process(homes: dict[str, Path], reps: int) -> dict[str, list[float]]:
    from ugrad_quest.services.profile import build_profile

    contexts = {name: context_for(home) for name, home in homes.items()}
    for ctx in contexts.values():
        build_profile(ctx)  # warm: imports, catalog, page cache
    times: dict[str, list[float]] = {name: [] for name in homes}
    for i in range(reps):
        order = list(contexts.items())
        for name, ctx in order if i % 2 == 0 else reversed(order):
            start = time.perf_counter()
            build_profile(ctx)
            times[name].append(time.perf_counter() - start)
    return times


def captured_selects(home: Path) -> list[tuple[str, tuple]]:
    from ugrad_quest.services.profile import build_profile

    statements: list[tuple[str, tuple]] = []
    build_profile(context_for(home, statements))
    seen, out = set(), []
    for sql, params in statements:
        key = (" ".join(sql.split()), params)
        if key[0].upper().startswith("SELECT") and key not in seen:
            seen.add(key)
            out.append(key)
    return out


def median_time(conn: sqlite3.Connection, sql: str, params: tuple, reps: int) -> float:
    samples = []
    for _ in range(reps):
        start = time.perf_counter()
        conn.execute(sql, params).fetchall()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


# Queries that must see every row (or every index entry) whatever the indexes: the answer depends on all of them.
MUST_READ_ALL = ("sum(xp_award.xp)", "group by xp_award.local_date", "count(*) as count_1 from task_pass")


def explain(homes: dict[str, Path], reps: int) -> None:
    selects = captured_selects(homes["seeded"])
    conns = {name: sqlite3.connect(f"file:{home / DB_FILENAME}?mode=ro", uri=True) for name, home in homes.items()}
    print(f"\n## Query plans of build_profile's {len(selects)} SELECTs (seeded home; median of {reps} runs each)\n")
    total = {name: 0.0 for name in homes}
    try:
        for n, (sql, params) in enumerate(selects, start=1):
            plan = [row[3] for row in conns["seeded"].execute(f"EXPLAIN QUERY PLAN {sql}", params)]
            t = {name: median_time(conn, sql, params, reps) for name, conn in conns.items()}
            for name in homes:
                total[name] += t[name]
            full_table = [p for p in plan if p.startswith("SCAN ") and "INDEX" not in p]
            whole_index = [p for p in plan if p.startswith("SCAN ") and "INDEX" in p]
            sorts = any("TEMP B-TREE" in p for p in plan)
            if full_table:
                verdict = "FULL TABLE SCAN"
            elif whole_index and " LIMIT " in sql and not sorts:
                verdict = "walks an index in ORDER BY order, stops after LIMIT rows"
            elif whole_index:
                verdict = "reads a whole index"
            else:
                verdict = "index search only" + (", then sorts the matches" if sorts else "")
            if (full_table or whole_index) and any(m in sql.lower() for m in MUST_READ_ALL):
                verdict += " (must: an aggregate over every row)"
            print(f"{n}. `{sql}`  params={params}")
            print(f"   seeded {t['seeded'] * 1e3:7.3f} ms   empty {t['empty'] * 1e3:7.3f} ms   -> {verdict}")
            for p in plan:
                print(f"     {p}")
    finally:
        for conn in conns.values():
            conn.close()
    print(f"\n   all SELECTs, raw sqlite3: seeded {total['seeded'] * 1e3:.2f} ms, empty {total['empty'] * 1e3:.2f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=9, help="interleaved subprocess rounds")
    parser.add_argument("--reps", type=int, default=200, help="in-process build_profile repetitions per home")
    parser.add_argument("--max-ratio", type=float, default=1.5, help="fail if the text card's seeded/empty ratio exceeds it")
    args = parser.parse_args()

    py = sys.executable
    quest = [py, "-m", "ugrad_quest", "profile"]
    with tempfile.TemporaryDirectory(prefix="ugrad-bench-profile-") as tmp:
        homes = {"empty": Path(tmp) / "empty", "seeded": Path(tmp) / "seeded"}
        envs = {}
        for name, home in homes.items():
            env = {**os.environ, "QUEST_HOME": str(home), "QUEST_NOW": QUEST_NOW, "COLUMNS": "80"}
            for var in ("QUEST_QUESTS_DIR", "FORCE_COLOR", "NO_COLOR"):
                env.pop(var, None)
            envs[name] = env
            check_run([*quest, "--json"], env)  # the tool creates and migrates the schema
            name_trainer(home / DB_FILENAME)

        start = time.perf_counter()
        rows = seed(homes["seeded"] / DB_FILENAME, ["value", "mlp", "optimize"], real_badges())
        seeding = time.perf_counter() - start
        size = (homes["seeded"] / DB_FILENAME).stat().st_size
        print(f"seeded {sum(rows.values()):,} rows in {seeding:.2f} s ({size / 2**20:.1f} MiB): "
              + ", ".join(f"{t} {n:,}" for t, n in rows.items()))

        import json
        for name, env in envs.items():  # warm up, and show the cards agree with the data
            check_run(quest, env)
            card = json.loads(check_run([*quest, "--json"], env).stdout)
            print(f"{name:6}  level {card['level']}  xp {card['xp']:,}  streak {card['streak']} "
                  f"(longest {card['longest_streak']})  tasks {card['tasks_completed']:,}  "
                  f"quests {card['quests_completed']:,}  badges {len(card['badges'])}  quizzes {card['quizzes']:,}")

        cmds = {"quest profile (text, COLUMNS=80, pipe)": quest, "quest profile --json": [*quest, "--json"]}
        times = {(label, name): [] for label in cmds for name in homes}
        for r in range(args.rounds):
            for label, cmd in cmds.items():
                for name in (("empty", "seeded") if r % 2 == 0 else ("seeded", "empty")):
                    elapsed, done = run(cmd, envs[name])
                    if done.returncode != 0:
                        sys.exit(f"{label} failed on {name}: {done.stderr.decode(errors='replace')}")
                    times[(label, name)].append(elapsed)

        inproc = time_in_process(homes, args.reps)

        print(f"\n## `quest profile`: a year of 100,000 events vs empty "
              f"(median of {args.rounds} interleaved rounds; build_profile: {args.reps} reps; {os.cpu_count()} cores)\n")
        print("| measure | empty (ms) | seeded (ms) | seeded/empty |")
        print("| --- | ---: | ---: | ---: |")
        ratios = {}
        for label in cmds:
            e, s = statistics.median(times[(label, "empty")]), statistics.median(times[(label, "seeded")])
            ratios[label] = s / e
            print(f"| `{label}` | {e * 1e3:.1f} | {s * 1e3:.1f} | {s / e:.2f} |")
        e, s = statistics.median(inproc["empty"]), statistics.median(inproc["seeded"])
        print(f"| build_profile() in-process | {e * 1e3:.2f} | {s * 1e3:.2f} | {s / e:.2f} |")

        explain(homes, reps=50)

    text_ratio = ratios["quest profile (text, COLUMNS=80, pipe)"]
    verdict = "OK" if text_ratio <= args.max_ratio else "TOO SLOW"
    print(f"\n{verdict}: text card seeded/empty = {text_ratio:.2f} (limit {args.max_ratio})")
    return 0 if text_ratio <= args.max_ratio else 1


if __name__ == "__main__":
    sys.exit(main())
