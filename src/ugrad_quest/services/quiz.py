"""`quest quiz`: concept questions from the quest YAML; XP for the first correct answer."""

from __future__ import annotations

import math
import shlex
from dataclasses import dataclass, field

from ugrad_quest import workspace as ws_mod
from ugrad_quest.catalog import Question, Quest
from ugrad_quest.errors import QuestError
from ugrad_quest.rules import awards as award_rules
from ugrad_quest.rules import reviews
from ugrad_quest.services.context import Context

LETTERS = "abcdefghij"


@dataclass(frozen=True)
class QuestionState:
    question: Question
    solved: bool
    """Answered correctly at least once."""
    wrong: int
    """Wrong answers given so far."""


@dataclass(frozen=True)
class QuizState:
    quest_id: str
    title: str
    questions: list[QuestionState]

    @property
    def open(self) -> list[QuestionState]:
        return [q for q in self.questions if not q.solved]


@dataclass(frozen=True)
class AnswerResult:
    quest_id: str
    question: Question
    given: str
    correct: bool
    expected: str
    """The right answer, as shown to the learner."""
    xp_awarded: int
    already_solved: bool
    badges: list[tuple[str, str, int]] = field(default_factory=list)
    """(name, tier, XP) of badges this answer earned."""


def expected_text(q: Question) -> str:
    if q.numeric:
        if not q.tolerance:
            return f"{q.answer:g}"
        # As many decimals as the tolerance asks for: 0.78645 +- 0.00005 reads 0.7864.
        decimals = max(0, math.ceil(-math.log10(2 * q.tolerance) - 1e-9))
        return f"{q.answer:.{decimals}f}"
    index = LETTERS.index(str(q.answer))
    return f"{q.answer}) {q.choices[index]}"


def is_correct(q: Question, reply: str) -> bool:
    """Judge a reply; raise QuestError for one that is not an answer at all (nothing is recorded then)."""
    reply = reply.strip()
    if q.numeric:
        try:
            value = float(reply.replace("_", ""))
        except ValueError:
            raise QuestError(f"Question {q.id!r} wants a number, such as 0.7864; got {reply!r}.") from None
        if not math.isfinite(value):
            raise QuestError(f"Question {q.id!r} wants a finite number; got {reply!r}.")
        # A hair of slack so that "0.7865" is right when the answer is 0.78645 +- 0.00005.
        return abs(value - float(q.answer)) <= q.tolerance + 1e-12 * max(1.0, abs(float(q.answer)))
    letters = LETTERS[:len(q.choices)]
    letter = reply.lower().strip("()). ")
    if letter in letters and len(letter) == 1:
        return letter == q.answer
    texts = [c.lower() for c in q.choices]
    if reply.lower() in texts:
        return letters[texts.index(reply.lower())] == q.answer
    raise QuestError(f"Answer question {q.id!r} with one of the letters {', '.join(letters)}; got {reply!r}.")


def _quest(ctx: Context, quest_id: str | None, reply: str | None) -> Quest:
    """The quest named, else the workspace's current one. Without either there is no quest to assume:
    an answer recorded against a guessed quest would be judged against the wrong question."""
    ws = ws_mod.find(ctx.cwd)
    # Questions about one language's mechanisms are asked in a workspace of that language; a quest
    # named outside any workspace asks them all.
    lang = ws.lang if ws is not None else None
    if quest_id:
        return _in_lang(ctx.catalog.get(quest_id), lang)
    if ws is not None and ws.active_quest:
        return _in_lang(ctx.catalog.get(ws.active_quest), lang)
    example = next((q.id for q in ctx.catalog.quests if q.quiz), "value")
    command = f"quest quiz {example}" + (f" --answer {shlex.quote(reply.strip())}" if reply is not None else "")
    where = f"No quest is started in {ws.root}" if ws is not None else f"{ctx.cwd} is not inside a quest workspace"
    raise QuestError(f"{where}, so there is no current quiz: name the quest, e.g. `{command}`, "
                     "or cd to your workspace.")


def _in_lang(quest: Quest, lang: str | None) -> Quest:
    from dataclasses import replace

    return replace(quest, quiz=quest.quiz_for(lang))


def _quiz_of(ctx: Context, quest_id: str | None, reply: str | None = None) -> Quest:
    quest = _quest(ctx, quest_id, reply)
    if not quest.quiz:
        raise QuestError(f"Quest {quest.id!r} has no quiz questions.")
    return quest


def question_of(quest: Quest, question_id: str) -> Question:
    question = quest.question(question_id)
    if question is None:
        known = ", ".join(q.id for q in quest.quiz)
        raise QuestError(f"The {quest.id} quiz has no question {question_id!r} (questions: {known}).")
    return question


def _states(quest: Quest, tally: dict[str, tuple[int, int]]) -> list[QuestionState]:
    states = []
    for q in quest.quiz:
        wrong, right = tally.get(q.id, (0, 0))
        states.append(QuestionState(q, right > 0, wrong))
    return states


def quiz_state(ctx: Context, quest_id: str | None = None) -> QuizState:
    quest = _quiz_of(ctx, quest_id)
    store = ctx.open_store()
    try:
        from ugrad_quest.store import progress as rows

        with store.session() as session:
            tally = rows.quiz_tally(session, quest.id)
    finally:
        store.close()
    return QuizState(quest.id, quest.title, _states(quest, tally))


def answer(ctx: Context, quest_id: str | None, question_id: str | None, reply: str) -> AnswerResult:
    """Record one answer. Without question_id, it answers the first question not yet solved."""
    quest = _quiz_of(ctx, quest_id, reply)
    question = question_of(quest, question_id) if question_id is not None else None
    if question is not None:
        is_correct(question, reply)  # a reply that is no answer at all stops before the database is opened
    moment, today = ctx.now()
    store = ctx.open_store()
    try:
        from ugrad_quest.services import awarding
        from ugrad_quest.store import progress as rows

        # One transaction: an error below (no open question, not an answer) rolls back and records nothing.
        with store.session() as session:
            tally = rows.quiz_tally(session, quest.id)
            if question is None:
                still_open = [s.question for s in _states(quest, tally) if not s.solved]
                if not still_open:
                    raise QuestError(f"Every question of the {quest.id} quiz is answered correctly already; "
                                     f"name one with --question to answer it again.")
                question = still_open[0]
            correct = is_correct(question, reply)
            wrong, right = tally.get(question.id, (0, 0))
            rows.add_quiz_answer(session, quest.id, question.id, reply.strip(), correct, moment, today)
            xp, badges = 0, []
            if correct and not right:
                xp = award_rules.quiz_xp(question, wrong)
                if not rows.add_award(session, award_rules.QUIZ, quest.id, question.id, xp,
                                      reviews.quiz_review(quest, question, wrong), moment, today, None):
                    xp = 0
                badges = awarding.award_badges(session, ctx.catalog, moment, today)
    finally:
        store.close()
    return AnswerResult(quest.id, question, reply.strip(), correct, expected_text(question), xp, right > 0,
                        [(b.name, b.tier, b.xp) for b in badges])
