"""Errors a user can cause and fix. The CLI prints their message as one sentence and exits 2."""


class QuestError(Exception):
    """A usage or configuration problem, explained in one sentence for the learner."""

    exit_code = 2
