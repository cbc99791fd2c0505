"""The partner creature drawn in the terminal, one picture per stage of rules/creature.py.

Plain ASCII only (every character one cell wide, in every terminal). Each picture has a mask of the
same shape saying which part each character belongs to; the parts get colours, which a console without
colour (NO_COLOR, a pipe) simply drops, so the drawing reads the same in black and white.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text

WIDTH = 18
"""No picture is wider than this many cells."""


@dataclass(frozen=True)
class Picture:
    lines: tuple[str, ...]
    mask: tuple[str, ...]
    """One letter per character of `lines`: b body, s shell/wings/chain, e eyes and mouth, a accent."""
    palette: dict[str, str]

    def runs(self, width: int = 0) -> list[list[tuple[str, str]]]:
        """Per line, (characters, rich style) for each run of characters of the same part.

        Lines are padded to `width`; the terminal, the web page and the SVG all draw from these runs.
        """
        out = []
        for line, mask in zip(self.lines, self.mask):
            line, mask = line.ljust(width), mask.ljust(width)
            spans, start = [], 0
            for end in range(1, len(line) + 1):
                if end == len(line) or mask[end] != mask[start]:
                    spans.append((line[start:end], self.palette.get(mask[start], "")))
                    start = end
            out.append(spans)
        return out


def style_classes(style: str) -> str:
    """CSS classes for a rich style such as "bold yellow": b for bold, c-<colour> for the colour."""
    return " ".join("b" if word == "bold" else f"c-{word}" for word in style.split())


def _lines(block: str) -> tuple[str, ...]:
    return tuple(line.rstrip() for line in block.strip("\n").split("\n"))


PICTURES: tuple[Picture, ...] = (
    # Nablet: a nabla-shaped hatchling, the tip still in its shell.
    Picture(
        lines=_lines(r"""
     _______
     \ o o /
      \ v /
    /\/\ /\/\
    \   V   /
     `-----'
"""),
        mask=_lines(r"""
     bbbbbbb
     b e e b
      b e b
    ssss ssss
    s   b   s
     sssssss
"""),
        palette={"b": "bold yellow", "s": "white", "e": "bold", "a": "yellow"},
    ),
    # Chainling: the nabla head on a tail of linked nodes, a little computation graph.
    Picture(
        lines=_lines(r"""
           _______
           \ o o /
  o-o-o     \ w /
 /     \     \ /
o       o-o-o-V
"""),
        mask=_lines(r"""
           bbbbbbb
           b e e b
  asasa     b e b
 s     s     b b
a       asasasb
"""),
        palette={"b": "bold green", "s": "green", "e": "bold", "a": "bold cyan"},
    ),
    # Backpropter: wide wings, flying backwards through the graph.
    Picture(
        lines=_lines(r"""
__             __
\ `-. _____ .-' /
 `-. `\o o/' .-'
<--- `-\w/-'
       \V/
       / \
      ^^ ^^
"""),
        mask=_lines(r"""
ss             ss
s sss bbbbb sss s
 sss sbe ebs sss
aaaa ssbebss
       bbb
       b b
      bb bb
"""),
        palette={"b": "bold blue", "s": "cyan", "e": "bold", "a": "bold magenta"},
    ),
    # Autogradon: horns, wings and a tail that points the way.
    Picture(
        lines=_lines(r"""
  /\  _____  /\
 /  \ \O O/ /  \
/ /\ \_\W/_/ /\ \
\/  \___V___/  \/
    /  | |  \
   (  /   \  )~~>
    ^^     ^^
"""),
        mask=_lines(r"""
  ss  bbbbb  ss
 s  s be eb s  s
s ss bbbebbb ss s
ss  bbbbbbbbb  ss
    b  b b  b
   b  b   b  baaa
    bb     bb
"""),
        palette={"b": "bold magenta", "s": "red", "e": "bold", "a": "bold yellow"},
    ),
)


def picture(stage: int) -> Picture:
    return PICTURES[max(0, min(stage, len(PICTURES) - 1))]


def art(stage: int) -> Text:
    """The creature at `stage` (0 = hatchling) as styled text, lines padded to a common width."""
    pic = picture(stage)
    text = Text(no_wrap=True, overflow="crop")
    for i, spans in enumerate(pic.runs(width=max(len(line) for line in pic.lines))):
        if i:
            text.append("\n")
        for chunk, style in spans:
            text.append(chunk, style=style)
    return text
