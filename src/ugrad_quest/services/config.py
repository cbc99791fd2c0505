"""`quest config`: the trainer's name and title, kept in the progress database."""

from __future__ import annotations

from dataclasses import dataclass

from ugrad_quest.errors import QuestError
from ugrad_quest.services.context import Context
from ugrad_quest.services.profile import NAME_KEY, TITLE_KEY, default_trainer_name

KEYS = {"name": NAME_KEY, "title": TITLE_KEY}
MAX_LENGTH = 40


@dataclass(frozen=True)
class TrainerConfig:
    name: str | None
    """The name set with `quest config name`, None if never set."""
    title: str | None
    default_name: str
    """What the card shows while no name is set (git's user.name, else "Trainer")."""


def read_config(ctx: Context) -> TrainerConfig:
    store = ctx.open_store()
    try:
        from ugrad_quest.store import progress as rows

        with store.session() as session:
            name, title = rows.get_setting(session, NAME_KEY), rows.get_setting(session, TITLE_KEY)
    finally:
        store.close()
    return TrainerConfig(name, title, default_trainer_name())


def check_key(key: str) -> None:
    if key not in KEYS:
        raise QuestError(f"There is no setting {key!r} (settings: {', '.join(KEYS)}).")


def _clean(key: str, value: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise QuestError(f"The trainer {key} cannot be empty; use `quest config {key} --unset` to go back to the default.")
    if len(value) > MAX_LENGTH:
        raise QuestError(f"The trainer {key} can be at most {MAX_LENGTH} characters long (it is {len(value)}).")
    return value


def set_config(ctx: Context, key: str, value: str | None) -> TrainerConfig:
    """Set `key` (name or title) to `value`, or back to its default when value is None."""
    check_key(key)
    cleaned = None if value is None else _clean(key, value)
    store = ctx.open_store()
    try:
        from ugrad_quest.store import progress as rows

        with store.session() as session:
            if cleaned is None:
                rows.delete_setting(session, KEYS[key])
            else:
                rows.set_setting(session, KEYS[key], cleaned)
    finally:
        store.close()
    return read_config(ctx)
