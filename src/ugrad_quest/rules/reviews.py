"""Review text for the log: built only from what happened (the events), never invented."""

from __future__ import annotations

import datetime as dt
import re

from ugrad_quest.catalog import Question, Quest, Task

BUGS_SHOWN = 2
BUG_LENGTH = 110

# Failures that are no bug the learner fixed: a stub still a stub, a file not there yet, a check that
# could not judge (a busy machine, a problem with the quest).
_NOT_BUGS = ("is not written yet", "NotImplementedError", "in your workspace?", "too busy to judge",
             "a problem with the quest", "the judge was killed by signal")
# On a speed task, also a tier not reached yet, the measurement running out of time, or a step that
# was not timed because task still-correct fails (its review names that bug).
_NOT_SPEED_BUGS = ("ms/step: your step must get", "far slower than the baseline", "not timed: speed counts",
                   "speed measurement did not finish", "too short for it", "stopped after")

# A short name for each bug whose diagnosis the hidden suites give, by a phrase of that diagnosis:
# the same bug shown on other numbers, or in another task, is then named once.
BUG_KINDS = (
    ("must accumulate (+=), not overwrite", "gradients overwritten instead of accumulated"),
    ("gets out.grad from both uses", "gradients overwritten instead of accumulated"),
    ("hit Python's recursion limit", "recursion too deep on a long chain"),
    ("changed the recursion limit", "the recursion limit raised instead of a loop"),
    ("mul gradients swapped", "mul gradients swapped"),
    ("reversed topological order", "nodes not visited in reversed topological order"),
    ("grad must start at 0", "grad not starting at 0"),
    ("backward() starts with self.grad = 1", "backward() not seeding self.grad = 1"),
    ("must multiply its local derivative by out.grad", "out.grad not multiplied in (the chain rule)"),
    ("__pow__ gets a plain number exponent", "__pow__ not taking a plain number exponent"),
    ("d(x**k)/dx", "a wrong derivative of **"),
    ("__rsub__(self, other) computes other - self", "__rsub__ computing self - other"),
    ("__rtruediv__(self, other) computes other / self", "__rtruediv__ computing self / other"),
    ("d tanh(x)/dx", "a wrong derivative of tanh"),
    ("d exp(x)/dx", "a wrong derivative of exp"),
    ("which Python 3 never calls", "__div__ instead of __truediv__"),
    ("is a numpy array", "data kept as a numpy array"),
    ("+= must not change a Value in place", "+= changing a Value in place"),
    ("leave its inputs unchanged", "an operation changing its inputs"),
    ("end with `return out`", "a method not returning its result"),
    ("wrap numbers first", "plain numbers not wrapped in a Value"),
    ("but the tests call parameters()", "parameters() under another name"),
    ("not the ones used in the forward pass", "parameters() returning copies"),
    ("not copies", "parameters() returning copies"),
    ("include its bias b", "the bias missing from parameters()"),
    ("the output layer must be linear", "a nonlinear output layer"),
    ("stopped after", "code that did not finish in its time budget"),
)
_LABELS = frozenset(label for _, label in BUG_KINDS)
# Numbers (and object addresses) vary from run to run: without them, a message is its bug's kind.
_NUMBERS = re.compile(r"0x[0-9a-fA-F]+|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text[0].lower() + text[1:] if text else text


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _short(message: str) -> str:
    message = " ".join(message.split())
    return message if len(message) <= BUG_LENGTH else message[:BUG_LENGTH - 1].rstrip() + "…"


def bug_kind(message: str) -> str:
    """The bug a failure message shows: a short label where the suites' diagnosis is known, otherwise
    the message itself with its numbers left out."""
    label = next((label for phrase, label in BUG_KINDS if phrase in message), None)
    return label or _NUMBERS.sub("#", " ".join(message.split()))


def bugs_fixed(failures: list[str], speed: bool = False) -> list[str]:
    """The bugs a task showed before it passed, once each by kind, oldest first: a kind's label, or the
    first message of a kind that has none. Stubs are left out and, on a speed task (``speed``), tiers
    not reached yet and measurements that ran out of time."""
    skip = _NOT_BUGS + _NOT_SPEED_BUGS if speed else _NOT_BUGS
    kinds: dict[str, str] = {}
    for message in failures:
        if message and not any(marker in message for marker in skip):
            kind = bug_kind(message)
            kinds.setdefault(kind, kind if kind in _LABELS else _short(message))
    return list(kinds.values())


def duration(start: dt.datetime, end: dt.datetime) -> str:
    if (start.tzinfo is None) != (end.tzinfo is None):
        # Stored times come back as local wall-clock time without an offset: compare them as such.
        start, end = start.replace(tzinfo=None), end.replace(tzinfo=None)
    minutes = max(0, int((end - start).total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{plural(days, 'day')} {hours} h" if hours else plural(days, "day")
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min" if minutes else "under a minute"


def task_review(task: Task, checks: int, hints: int, hint_cost: int, bugs: list[str],
                measured: dict | None = None) -> str:
    """The review of a task's first pass. A speed task (one that ``measured`` a ratio) says what was
    measured, never the technique its concept describes: the tier says nothing of how it was reached."""
    when = "on the first check" if checks <= 1 else f"on check {checks}"
    parts = [f"{task.title}, passed {when}"]
    if hints:
        cost = f", -{hint_cost} XP" if hint_cost else ""
        parts.append(f" with {plural(hints, 'hint')}{cost}")
    parts.append(f". {_measured(measured)}" if measured is not None else f". Shows that {_sentence(task.concept)}")
    if bugs:
        shown = "; ".join(b if b in _LABELS else f"“{b}”" for b in bugs[:BUGS_SHOWN])
        more = f" (and {len(bugs) - BUGS_SHOWN} more)" if len(bugs) > BUGS_SHOWN else ""
        parts.append(f" Caught and fixed on the way: {shown}{more}.")
    return "".join(parts)


def _ratio(x: float) -> str:
    return f"{x:.2f}x" if x < 10 else f"{x:.1f}x"


def _measured(measured: dict) -> str:
    """'Your train_step measured 27.4x the baseline's speed (CPU time per step; wide_100 28.1x, demo
    26.7x), where the tier needs 25x.', from a speed test's {"ratio", "tier", "workloads": {name: ratio}}."""
    ratio, tier = measured.get("ratio"), measured.get("tier")
    number = (int, float)
    workloads = measured.get("workloads") if isinstance(measured.get("workloads"), dict) else {}
    each = ", ".join(f"{name} {_ratio(r)}" for name, r in workloads.items() if isinstance(r, number))
    each = f"; {each}" if each else ""
    on = f" on {measured['on']}" if isinstance(measured.get("on"), str) else ""  # a tier judged on one workload
    needs = f", where the tier needs {tier:g}x{on}" if isinstance(tier, number) else ""
    if not isinstance(ratio, number):
        return f"Reached the {tier:g}x{on} tier." if needs else "Reached its speed tier."
    return f"Your train_step measured {_ratio(ratio)} the baseline's speed{on} (CPU time per step{each}){needs}."


def quest_review(quest: Quest, started: dt.datetime | None, finished: dt.datetime, checks: int, hints: int,
                 passed: set[str]) -> str:
    took = f" in {duration(started, finished)} from start" if started else ""
    bonus = [t.title for t in quest.tasks if not t.required and t.id in passed]
    extra = f"; bonus: {'; '.join(bonus)}" if bonus else ""
    concepts = "; ".join(t.title for t in quest.required_tasks)  # titles may hold commas
    return (f"Completed {quest.title}{took}, over {plural(checks, 'check')} and {plural(hints, 'hint')}. "
            f"Demonstrated: {concepts}{extra}.")


def quiz_review(quest: Quest, question: Question, wrong_before: int) -> str:
    when = "on the first try" if not wrong_before else f"after {plural(wrong_before, 'wrong answer')}"
    prompt = _short(question.prompt)
    return f"Quiz ({quest.id}): answered “{prompt}” correctly {when}."


def badge_review(name: str, tier: str, earned_for: str) -> str:
    return f"{tier.capitalize()} badge {name}: {earned_for}."
