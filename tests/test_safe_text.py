"""render.safe_text.shown: what learner code prints cannot drive the terminal that shows it."""

from __future__ import annotations

import pytest

from ugrad_quest.render.safe_text import shown


@pytest.mark.parametrize(("raw", "seen"), [
    ("\x1b[2J", "\\x1b[2J"),                              # clear screen
    ("\x1b]0;title\x07", "\\x1b]0;title\\x07"),            # set the window title
    ("a\rb\bc\x00", "a\\x0db\\x08c\\x00"),                # carriage return, backspace, NUL
    ("\x7f\x9b31m\x85", "\\x7f\\x9b31m\\x85"),             # DEL and C1 controls (\x9b is CSI alone)
    ("caf\udce9.py", "caf\\xe9.py"),                       # a byte that is not UTF-8, as surrogateescape holds it
    ("\ud800", "\\ud800"),                                 # any other lone surrogate
])
def test_controls_are_escaped(raw, seen):
    assert shown(raw) == seen


def test_ordinary_text_is_unchanged():
    text = "loss 0.25\n\tgrad ✓ café 数 \u00a0end"
    assert shown(text) == text
