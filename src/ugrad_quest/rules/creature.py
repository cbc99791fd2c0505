"""The trainer's partner creature and default title: pure functions of the level.

The creature grows with the learner through four stages. The XP curve (rules/levels.py) puts the end
of the value quest near Lv. 7 and the whole value -> mlp -> optimize line near Lv. 12, so a learner who
finishes the line has watched their partner evolve twice; the last stage is for those who go further.
The names are this project's own, drawn from nabla, the chain rule, backpropagation and autograd.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Stage:
    name: str
    min_level: int
    blurb: str
    """One line about the creature, in the learner's terms."""


STAGES: tuple[Stage, ...] = (
    Stage("Nablet", 1, "A freshly hatched nabla. It points downhill and hopes for the best."),
    Stage("Chainling", 5, "Links every step to the next: it has learned the chain rule."),
    Stage("Backpropter", 10, "Flies backwards through any graph, leaving gradients behind."),
    Stage("Autogradon", 15, "Differentiates whatever it sees. Its roar is exactly zero-mean."),
)


@dataclass(frozen=True)
class Creature:
    name: str
    stage: int
    """0 for the hatchling, up to len(STAGES) - 1."""
    next_stage_level: int | None
    """The level at which it evolves next; None at the final stage."""
    blurb: str = ""


def creature_for(level: int) -> Creature:
    """The partner creature of a trainer at `level` (levels below 1 count as 1)."""
    index = 0
    for i, stage in enumerate(STAGES):
        if level >= stage.min_level:
            index = i
    following = STAGES[index + 1].min_level if index + 1 < len(STAGES) else None
    stage = STAGES[index]
    return Creature(name=stage.name, stage=index, next_stage_level=following, blurb=stage.blurb)


TITLES: tuple[tuple[int, str], ...] = (
    (1, "Scalar Scout"),
    (3, "Gradient Apprentice"),
    (5, "Chain-Rule Runner"),
    (8, "Backprop Adept"),
    (10, "Neuron Wrangler"),
    (13, "Graph Tamer"),
    (15, "Autograd Ace"),
    (20, "Gradient Master"),
)


def title_for(level: int) -> str:
    """The default trainer title at `level`, shown when the learner has not chosen one."""
    title = TITLES[0][1]
    for min_level, name in TITLES:
        if level >= min_level:
            title = name
    return title
