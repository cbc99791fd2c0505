"""Text that came from learner code (or a stranger's bundle), made safe to print on a terminal."""

from __future__ import annotations

import re

# C0 controls but newline and tab, DEL, C1 controls (\x9b alone starts a CSI sequence on many terminals),
# and lone surrogates: what bytes that are not UTF-8 decode to, which no console can encode.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _escaped(match: re.Match) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"  # surrogateescape's stand-in for this raw byte
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown(text: str) -> str:
    """`text` with every control character but newline and tab written as an escape (ESC as \\x1b),
    so output cannot clear the screen, retitle the window or move the cursor over the report."""
    return _UNSAFE.sub(_escaped, text)
