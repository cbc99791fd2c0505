"""Review text for the log: built only from what happened (the events), never invented."""

from __future__ import annotations

import datetime as dt

from ugrad_quest.catalog import Question, Quest, Task

BUGS_SHOWN = 2
BUG_LENGTH = 110
# Messages that say a stub is still a stub: not a bug the learner fixed.
_NOT_BUGS = ("is not written yet", "NotImplementedError")


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text[0].lower() + text[1:] if text else text


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _short(message: str) -> str:
    message = " ".join(message.split())
    return message if len(message) <= BUG_LENGTH else message[:BUG_LENGTH - 1].rstrip() + "…"


def bugs_fixed(failures: list[str]) -> list[str]:
    """The distinct failure messages a task showed before it passed, oldest first, stubs left out."""
    seen: list[str] = []
    for message in failures:
        if message and not any(marker in message for marker in _NOT_BUGS):
            short = _short(message)
            if short not in seen:
                seen.append(short)
    return seen


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


def task_review(task: Task, checks: int, hints: int, hint_cost: int, bugs: list[str]) -> str:
    when = "on the first check" if checks <= 1 else f"on check {checks}"
    parts = [f"{task.title}, passed {when}"]
    if hints:
        cost = f", -{hint_cost} XP" if hint_cost else ""
        parts.append(f" with {plural(hints, 'hint')}{cost}")
    parts.append(f". Shows that {_sentence(task.concept)}")
    if bugs:
        shown = "; ".join(f"“{b}”" for b in bugs[:BUGS_SHOWN])
        more = f" (and {len(bugs) - BUGS_SHOWN} more)" if len(bugs) > BUGS_SHOWN else ""
        parts.append(f" Caught and fixed on the way: {shown}{more}.")
    return "".join(parts)


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
