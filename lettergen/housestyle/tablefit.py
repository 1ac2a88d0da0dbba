"""Table column widths from a rendered letter's content.

A template's widths (:mod:`lettergen.housestyle.tables`) reserve the widest
value a column can ever hold: a ten-digit total, 2026年12月31日.  A letter
knows its real values, so :func:`fit_table_columns` hands the room that the
short columns do not use to the columns whose content does not fit:

* first to unbreakable Latin words: a document number such as
  ``HT-2026-000123`` or ``No. 33012345``, which LibreOffice and Word would
  otherwise break at a hyphen (or between its letters);
* then to whole lines (``合同 HF-2026-0331``), so that a short line is not
  wrapped at all.

No column gets narrower than the widest line it actually holds (nor than its
template width, when its lines are wider: a description column that wraps
anyway keeps all its room), so nothing that fitted on one line before breaks
now.  Widths are measured as the template's are (table font, Times metrics,
cell margins).  A letter whose table needs nothing, or has no table, keeps
its bytes; the result is deterministic.
"""
from __future__ import annotations

import io
import re
import unicodedata
import zipfile

from docx.oxml.ns import qn
from lxml import etree

from .. import zipwriter
from .tables import CELL_MARGINS_TWIPS, SLACK_TWIPS, text_width_pt

DOCUMENT_PART = "word/document.xml"
STYLES_PART = "word/styles.xml"
TABLE_TEXT_STYLE = "LGTableText"
#: The styles of the header cells (measured bold).
HEADER_STYLES = {"LGTableHeader"}
_SPACE = re.compile(r"\s+")


def fit_table_columns(docx: bytes) -> bytes:
    """``docx`` with each table's columns re-divided by its content (see the module)."""
    with zipfile.ZipFile(io.BytesIO(docx)) as zf:
        xml = zf.read(DOCUMENT_PART)
        if b"<w:tbl>" not in xml:
            return docx
        size_pt = _table_size_pt(zf.read(STYLES_PART))
        if size_pt is None:  # not a house-style letter: its tables are its own
            return docx
        root = etree.fromstring(xml)
        changed = False
        for tbl in root.iter(qn("w:tbl")):
            changed |= _refit(tbl, size_pt)
        if not changed:
            return docx
        entries = [(info.filename, zf.read(info)) for info in zf.infolist()]
    new = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return zipwriter.build([zipwriter.compress(name, new if name == DOCUMENT_PART else blob)
                            for name, blob in entries])


def _table_size_pt(styles: bytes) -> float | None:
    """The size of the house style's table text (``LG Table Text``), or None."""
    root = etree.fromstring(styles)
    for style in root.iterfind(qn("w:style")):
        if style.get(qn("w:styleId")) == TABLE_TEXT_STYLE:
            size = style.find(f"{qn('w:rPr')}/{qn('w:sz')}")
            return int(size.get(qn("w:val"))) / 2 if size is not None else None
    return None


def words(line: str) -> list[str]:
    """The pieces of ``line`` that never break: runs of Latin letters, digits and
    their punctuation (a hyphen included); Han characters break anywhere."""
    out, word = [], ""
    for ch in line:
        if ch.isspace() or unicodedata.east_asian_width(ch) in "WF":
            if word:
                out.append(word)
            word = ""
        else:
            word += ch
    return out + ([word] if word else [])


def _lines(tc) -> list[tuple[str, bool]]:
    """(text, bold) of each line of a cell: its paragraphs split at line breaks."""
    out = []
    for p in tc.iter(qn("w:p")):
        style = p.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
        bold = style is not None and style.get(qn("w:val")) in HEADER_STYLES
        text = ""
        for el in p.iter(qn("w:t"), qn("w:br"), qn("w:tab")):
            text += (el.text or "") if el.tag == qn("w:t") else "\n"
        out += [(_SPACE.sub(" ", part).strip(), bold) for part in text.split("\n")]
    return out


def _twips(pt: float) -> int:
    return round(pt * 20) + CELL_MARGINS_TWIPS + SLACK_TWIPS


def _refit(tbl, size_pt: float) -> bool:
    grid_cols = list(tbl.iterfind(f"{qn('w:tblGrid')}/{qn('w:gridCol')}"))
    widths = [int(col.get(qn("w:w"), "0")) for col in grid_cols]
    n = len(widths)
    if not n or not all(widths):
        return False
    line_need, word_need = [0] * n, [0] * n
    for tr in tbl.iterfind(qn("w:tr")):
        col = 0
        for tc in tr.iterfind(qn("w:tc")):
            span = tc.find(f"{qn('w:tcPr')}/{qn('w:gridSpan')}")
            span = int(span.get(qn("w:val"))) if span is not None else 1
            if span == 1 and col < n:
                for text, bold in _lines(tc):
                    if not text or "{" in text:
                        continue
                    line_need[col] = max(line_need[col], _twips(text_width_pt(text, size_pt, bold=bold)))
                    for word in words(text):
                        word_need[col] = max(word_need[col], _twips(text_width_pt(word, size_pt, bold=bold)))
            col += span
    floor = [min(w, need) for w, need in zip(widths, line_need)]
    new = list(widths)
    for need in (word_need, line_need):  # words first, then whole lines
        wants = [max(0, nd - w) for nd, w in zip(need, new)]
        room = [w - f for w, f in zip(new, floor)]
        room = [r if wants[i] == 0 else 0 for i, r in enumerate(room)]
        give = min(sum(wants), sum(room))
        if give <= 0:
            continue
        for i, amount in enumerate(_share(give, wants)):
            new[i] += amount
        for i, amount in enumerate(_share(give, room)):
            new[i] -= amount
    if new == widths:
        return False
    _write(tbl, grid_cols, new)
    return True


def _share(total: int, weights: list[int]) -> list[int]:
    """``total`` split in proportion to ``weights`` (integers, the rest to the largest)."""
    whole = sum(weights)
    parts = [total * w // whole for w in weights]
    parts[weights.index(max(weights))] += total - sum(parts)
    return parts


def _write(tbl, grid_cols, widths: list[int]) -> None:
    for col, width in zip(grid_cols, widths):
        col.set(qn("w:w"), str(width))
    for tr in tbl.iterfind(qn("w:tr")):
        col = 0
        for tc in tr.iterfind(qn("w:tc")):
            pr = tc.find(qn("w:tcPr"))
            span = pr.find(qn("w:gridSpan")) if pr is not None else None
            span = int(span.get(qn("w:val"))) if span is not None else 1
            tc_w = pr.find(qn("w:tcW")) if pr is not None else None
            if tc_w is not None and tc_w.get(qn("w:type")) == "dxa":
                tc_w.set(qn("w:w"), str(sum(widths[col:col + span])))
            col += span
