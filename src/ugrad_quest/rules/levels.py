"""The XP curve. Pokémon-style cubic: reaching level n takes n**3 - 1 total XP (level 1 starts at 0).

Early levels come quickly (a first task lifts a trainer to level 3 or 4) and later ones stretch:
the value quest lands near level 7, and the whole value -> mlp -> optimize line near level 12-13.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_LEVEL = 100


def total_xp_for_level(level: int) -> int:
    """Total XP needed to reach `level` (level 1 needs none)."""
    return level**3 - 1


@dataclass(frozen=True)
class LevelProgress:
    level: int
    xp: int
    xp_into_level: int
    """XP earned since reaching the current level."""
    xp_for_level: int
    """XP the current level spans (from reaching it to reaching the next)."""


def level_progress(xp: int) -> LevelProgress:
    xp = max(0, xp)
    level = 1
    while level < MAX_LEVEL and total_xp_for_level(level + 1) <= xp:
        level += 1
    floor = total_xp_for_level(level)
    span = total_xp_for_level(level + 1) - floor
    return LevelProgress(level=level, xp=xp, xp_into_level=xp - floor, xp_for_level=span)
