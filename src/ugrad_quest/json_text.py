"""JSON text that any UTF-8 file or terminal takes: for the bundle and for every --json output."""

from __future__ import annotations

import re

# Only ever inside JSON strings (the syntax around them is ASCII), where \uXXXX reads back as the same
# character: lone surrogates (bytes that are not UTF-8, held by surrogateescape), which no UTF-8 file or
# stream can hold raw, and DEL and C1 controls, which a terminal showing the text would obey.
_UNSAFE = re.compile("[\x7f-\x9f\ud800-\udfff]")


def escaped(json_text: str) -> str:
    """`json_text` (from json.dumps with ensure_ascii=False) with those characters written as escapes."""
    if json_text.isascii():  # the usual case, told at C speed: a 38 MB bundle's scan took 0.25 s
        return json_text
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", json_text)
