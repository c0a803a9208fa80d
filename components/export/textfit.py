"""How wide a line of text is and where it wraps, for laying out slides before they are drawn
(plotly figures in pixels, PowerPoint text boxes in points: 1 pt = 2 px on a 13.33-inch slide
shown at 1920 px).

The widths are those of Arial (Liberation Sans on Linux has the same metrics), the font slides
are set in, a little generous so that text estimated to fit does.
"""

from __future__ import annotations

PX_PER_PT = 2.0  # 1920 px across a 13.333-inch slide: 144 px per inch, 72 pt per inch

# Advance widths (1/1000 em) of Arial / Liberation Sans, metric-compatible fonts that slides
# are set in (theme.SLIDE_FONT_FAMILY), for the printable ASCII characters from " " to "~".
_REGULAR = (
    278,
    278,
    355,
    556,
    556,
    889,
    667,
    191,
    333,
    333,
    389,
    584,
    278,
    333,
    278,
    278,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    278,
    278,
    584,
    584,
    584,
    556,
    1015,
    667,
    667,
    722,
    722,
    667,
    611,
    778,
    722,
    278,
    500,
    667,
    556,
    833,
    722,
    778,
    667,
    778,
    722,
    667,
    611,
    722,
    667,
    944,
    667,
    667,
    611,
    278,
    278,
    278,
    469,
    556,
    333,
    556,
    556,
    500,
    556,
    556,
    278,
    556,
    556,
    222,
    222,
    500,
    222,
    833,
    556,
    556,
    556,
    556,
    333,
    500,
    278,
    556,
    500,
    722,
    500,
    500,
    500,
    334,
    260,
    334,
    584,
)
_BOLD = (
    278,
    333,
    474,
    556,
    556,
    889,
    722,
    238,
    333,
    333,
    389,
    584,
    278,
    333,
    278,
    278,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    333,
    333,
    584,
    584,
    584,
    611,
    975,
    722,
    722,
    722,
    722,
    667,
    611,
    778,
    722,
    278,
    556,
    722,
    611,
    833,
    722,
    778,
    667,
    778,
    722,
    667,
    611,
    722,
    667,
    944,
    667,
    667,
    611,
    333,
    278,
    333,
    584,
    556,
    333,
    556,
    611,
    556,
    611,
    556,
    333,
    611,
    611,
    278,
    278,
    556,
    278,
    889,
    611,
    611,
    611,
    611,
    389,
    556,
    333,
    611,
    556,
    778,
    556,
    556,
    500,
    389,
    280,
    389,
    584,
)
_OTHER = {
    "·": 278,
    "–": 556,
    "—": 1000,
    "±": 549,
    "µ": 576,
    "×": 584,
    "χ": 576,
    "²": 333,
    "…": 1000,
    "≥": 549,
    "≤": 549,
    "’": 222,
    "“": 333,
    "”": 333,
}
SAFETY = 1.04  # other fonts of the stack (Helvetica, a fallback) run a little wider


def char_width(c: str, bold: bool = False) -> float:
    """Advance width of one character, in em (an unknown character counts as wide)."""
    code = ord(c)
    if 32 <= code < 127:
        return (_BOLD if bold else _REGULAR)[code - 32] / 1000
    return _OTHER.get(c, 720) / 1000


def text_width(text: str, px: float, bold: bool = False) -> float:
    """Width of one line of `text` set at `px` pixels."""
    return sum(char_width(c, bold) for c in str(text)) * px * SAFETY


def wrap(text: str, width: float, px: float, bold: bool = False) -> list[str]:
    """`text` broken at spaces into lines no wider than `width` (a word longer than a line
    gets a line of its own)."""
    lines: list[str] = []
    line = ""
    for word in str(text).split():
        candidate = f"{line} {word}" if line else word
        if line and text_width(candidate, px, bold) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    return lines + ([line] if line else [])


def wrap_all(texts, width: float, px: float, bold: bool = False) -> list[str]:
    """Every text wrapped, one after the other (each text starts a new line)."""
    return [line for t in texts for line in (wrap(t, width, px, bold) or [""])]
