"""Table column widths measured in the table font, so short fields never break.

A column's ``type`` (see :mod:`lettergen.housestyle.source`) says the widest
value it can hold: a date (2026年12月31日), an amount (nine-digit items and
a ten-digit total: 9,999,999,999.00), a count (99999), or a ``sample``.  Those and every header
(bold) are measured in the table font: Han characters and full-width forms
are one em wide in every CJK face; Latin letters and digits use the advance
widths of Times (the metrics Times New Roman and Liberation Serif share, from
pdfminer's bundled Adobe font metrics), and Word and LibreOffice put a
quarter em between Han characters and Latin letters or digits.  Such columns get exactly what they
need plus the cell margins; text columns share the rest of the line and wrap.
"""
from __future__ import annotations

import unicodedata

from pdfminer.fontmetrics import FONT_METRICS

from ..errors import TemplateError
from .profiles import Profile
from .source import Column, Table

#: The widest value of each short column type.
#: Amounts: nine-digit items, and their total one digit more.
WIDEST = {"date": "2026年12月31日", "amount": "9,999,999,999.00", "count": "99999"}
#: Left + right cell margins (LG Table style) and a little room for rounding.
CELL_MARGINS_TWIPS = 2 * 108
SLACK_TWIPS = 30
AUTOSPACE = 250  # thousandths of an em between Han and Latin (autoSpaceDE / autoSpaceDN)
TWIPS_PER_CM = 567


def text_width_pt(text: str, size_pt: float, *, bold: bool = False) -> float:
    """Width of ``text`` set in the table font at ``size_pt``."""
    widths = FONT_METRICS["Times-Bold" if bold else "Times-Roman"][1]
    total = 0.0
    previous = None
    for ch in text:
        wide = unicodedata.east_asian_width(ch) in "WF"
        if wide:
            total += 1000
        else:
            total += widths.get(ch, 1000 if ord(ch) > 0x2000 else 556)
        kind = "han" if wide and ch.isalpha() else ("latin" if ch.isalnum() and ch.isascii() else None)
        if kind and previous and kind != previous:
            total += AUTOSPACE
        previous = kind
    return total * size_pt / 1000


def _needed_twips(col: Column, size_pt: float) -> int:
    """The width a column needs so that its header (and short value) stay on one line."""
    need = text_width_pt(col.header, size_pt, bold=True)
    widest = col.sample or WIDEST.get(col.type, "")
    if widest:
        need = max(need, text_width_pt(widest, size_pt))
    return round(need * 20) + CELL_MARGINS_TWIPS + SLACK_TWIPS


def column_widths(table: Table, profile: Profile) -> list[int]:
    """Widths in twips summing to the text width: short columns as measured,
    text columns sharing the rest (each at least as wide as its header)."""
    total = profile.text_width_twips
    size = profile.table_size_pt
    need = [_needed_twips(c, size) for c in table.columns]
    fixed = {i: round(c.width_cm * TWIPS_PER_CM) for i, c in enumerate(table.columns) if c.width_cm}
    short = {i: need[i] for i, c in enumerate(table.columns)
             if i not in fixed and (c.type != "text" or c.sample)}
    flexible = [i for i in range(len(table.columns)) if i not in fixed and i not in short]
    rest = total - sum(fixed.values()) - sum(short.values())
    if flexible and rest < sum(need[i] for i in flexible) or not flexible and rest < 0:
        raise TemplateError(
            f"表格（{table.rows}）放不下：各列所需宽度合计超过版心宽度 {total / TWIPS_PER_CM:.1f} 厘米；"
            "请减少列数或缩短列标题")
    widths = {**fixed, **short}
    if flexible:
        for k, i in enumerate(flexible):
            widths[i] = rest // len(flexible) + (rest % len(flexible) if k == 0 else 0)
    else:  # no text column: the short ones share the spare room evenly
        for k, i in enumerate(sorted(short)):
            widths[i] += rest // len(short) + (rest % len(short) if k == 0 else 0)
    return [widths[i] for i in range(len(table.columns))]
