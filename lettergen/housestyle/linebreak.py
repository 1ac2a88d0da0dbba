"""An upper bound on how many lines a run of text wraps onto (for :mod:`.estimate`).

The bound must never be below what LibreOffice lays out, so every choice here
errs towards more lines:

* every character counts as **1 em** of its font size (CJK characters are 1 em
  wide, Latin letters and digits narrower), except digits, lower-case letters
  and a few narrow marks set in Times New Roman (Liberation Serif, its metric
  twin, in the project's font configuration): these count as the widest of
  their kind in that face, regular or bold (:data:`NARROW_EM`); plus any positive character
  spacing; each change between CJK and Latin text adds a quarter em (Word's and
  LibreOffice's automatic spacing between Asian and Western text);
* only characters known to be at most 1 em wide in the project's fonts are
  counted at all (:func:`char_class`); any other character makes the text
  "unknown" and the letter is measured instead;
* lines break **only** between two Han characters (or after full-width
  closing punctuation, or before an opening bracket), or after a space that
  stands between letters, digits or Han characters.  LibreOffice (ICU plus the
  Chinese forbidden-character rules) may break in many more places, never
  fewer, and first-fit line breaking over fewer break points, with wider
  pieces, never takes fewer lines;
* the characters the line-breaking rules push onto the next line travel with
  their neighbour in one piece (so no line needs the "one character less"
  reserve), and a piece wider than a line is broken character by character
  into lines one em narrower.
"""
from __future__ import annotations

import math
from typing import NamedTuple


class Unknown(Exception):
    """The estimate cannot bound this letter: measure it."""


#: Quarter-em gap between Asian and Western text (autospace), in em.
AUTOSPACE_EM = 0.25

_LATIN_BREAK_NEIGHBOURS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_BEFORE_SPACE_OK = _LATIN_BREAK_NEIGHBOURS | frozenset(".,;:!?%)]}")
SPACES = frozenset(" \u3000")
#: Full-width punctuation that may end a line (UAX #14 CL, NS, EX) and brackets that may begin one (OP).
_CLOSERS = frozenset("，。、；：！？）》」』】〕")
_OPENERS = frozenset("（《「『【〔")
#: An inline picture, laid out as one unbreakable piece its own width wide.
OBJECT = "\ufffc"


def is_han(ch: str) -> bool:
    o = ord(ch)
    return 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF


def char_class(ch: str) -> str:
    """``"cjk"`` or ``"latin"`` for a character at most 1 em wide in the
    project's fonts; :class:`Unknown` for any other."""
    o = ord(ch)
    if 0x20 <= o <= 0x7E or 0xA0 <= o <= 0xFF or 0x2010 <= o <= 0x2027:
        return "latin"
    if (0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0x3000 <= o <= 0x30FF
            or 0xFF01 <= o <= 0xFF5E or 0xFE30 <= o <= 0xFE4F or 0x2460 <= o <= 0x2473):
        return "cjk"
    raise Unknown(f"character U+{o:04X}")


#: Latin faces whose advance widths :data:`NARROW_EM` bounds (Liberation Serif is
#: metric-compatible with Times New Roman; LibreOffice sets digits in the Latin face).
NARROW_LATIN_FACES = frozenset({"Times New Roman", "Liberation Serif"})
_DIGITS_AND_MARKS = "0123456789 .,:;-/()"
#: Widest advance (em) in Liberation Serif regular and bold: digits and these marks
#: 0.5 (rounded up to 0.55), lower-case letters 0.833 ("m", bold; rounded up to 0.85).
NARROW_EM = {**{ch: 0.55 for ch in _DIGITS_AND_MARKS}, **{chr(c): 0.85 for c in range(ord("a"), ord("z") + 1)}}


class Glyph(NamedTuple):
    """One character as laid out: its font size and extra spacing, in points;
    ``narrow``: set in a face :data:`NARROW_EM` bounds."""

    ch: str
    size_pt: float
    extra_pt: float = 0.0
    narrow: bool = False


def _may_break_before(prev: list[str], i: int) -> bool:
    """A break between ``prev[i-1]`` and ``prev[i]`` that LibreOffice surely allows."""
    a, b = prev[i - 1], prev[i]
    if (is_han(a) or a in _CLOSERS) and (is_han(b) or b in _OPENERS):
        return True
    if a in SPACES and (b in _LATIN_BREAK_NEIGHBOURS or is_han(b)):
        j = i - 1
        while j >= 0 and prev[j] in SPACES:
            j -= 1
        return j >= 0 and (prev[j] in _BEFORE_SPACE_OK or is_han(prev[j]))
    return False


def pieces(glyphs: list[Glyph]) -> list[float]:
    """Widths (pt) of the unbreakable pieces of ``glyphs``, each an upper bound."""
    chars = [g.ch for g in glyphs]
    out: list[float] = []
    width, last_class = 0.0, None
    for i, g in enumerate(glyphs):
        if i and _may_break_before(chars, i):
            out.append(width)
            width = 0.0
        width += g.size_pt * (NARROW_EM.get(g.ch, 1.0) if g.narrow else 1.0) + max(g.extra_pt, 0.0)
        if g.ch == OBJECT:  # size_pt is the picture's width
            continue
        cls = char_class(g.ch)
        if last_class is not None and cls != last_class and g.ch not in SPACES:
            width += AUTOSPACE_EM * g.size_pt
        last_class = cls if g.ch not in SPACES else last_class
    if glyphs:
        out.append(width)
    return out


def count_lines(widths: list[float], first_pt: float, rest_pt: float, em_pt: float) -> int:
    """Lines that pieces of ``widths`` take at most, first fit, on a first line
    ``first_pt`` wide and later lines ``rest_pt`` wide; ``em_pt``: the widest character."""
    if min(first_pt, rest_pt) - em_pt <= 0:
        raise Unknown("a line narrower than two characters")
    lines, used = 1, 0.0
    for w in widths:
        limit = first_pt if lines == 1 else rest_pt
        if used + w <= limit:
            used += w
            continue
        if used > 0:
            lines, used, limit = lines + 1, 0.0, rest_pt
        if w <= limit:
            used = w
        else:  # broken anywhere: each line loses at most one more character
            lines += math.ceil(w / (limit - em_pt)) - 1
            used = limit
    return lines
