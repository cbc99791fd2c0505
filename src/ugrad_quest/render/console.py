"""Consoles are made here and passed in, so tests can render into a fixed-width StringIO."""

from __future__ import annotations

from rich.console import Console
from rich.theme import Theme

THEME = Theme({
    "passed": "bold green", "failed": "bold red", "error": "bold magenta", "timeout": "bold yellow",
    "muted": "dim", "xp": "bold cyan", "title": "bold", "hint": "italic",
    "tier.common": "bold", "tier.rare": "bold blue", "tier.ultimate": "bold magenta",
    "tier.legendary": "bold yellow",
})


# emoji=False: no text of ours uses :codes:, and a learner's message or file name that happens to
# (":x:") is shown as written; rich then never loads its table of 4,000 emoji names.
def stdout_console() -> Console:
    return Console(theme=THEME, highlight=False, emoji=False)


def stderr_console() -> Console:
    return Console(theme=THEME, stderr=True, highlight=False, emoji=False)


def file_size(n: int) -> str:
    """A written file's size as a person reads it."""
    return f"{n} bytes" if n < 1024 else f"{n / 1024:.1f} KB"
