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

import functools
import io
import itertools
import re
import unicodedata
import zipfile
from typing import Any, Callable

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
_TBL, _TR, _TC, _P, _T, _BR, _TAB = (qn(f"w:{tag}") for tag in ("tbl", "tr", "tc", "p", "t", "br", "tab"))
_TBL_GRID, _GRID_COL, _TC_PR, _SPAN, _TC_W, _VAL, _W, _TYPE = (
    qn(f"w:{tag}") for tag in ("tblGrid", "gridCol", "tcPr", "gridSpan", "tcW", "val", "w", "type"))
_P_PR, _P_STYLE = qn("w:pPr"), qn("w:pStyle")


def fit_table_columns(docx: bytes) -> bytes:
    """``docx`` with each table's columns re-divided by its content (see the module)."""
    return fit_tables(docx)[0]


def fit_tables(docx: bytes) -> tuple[bytes, bytes | None]:
    """:func:`fit_table_columns`, and the new ``word/document.xml`` (None: unchanged)."""
    with zipfile.ZipFile(io.BytesIO(docx)) as zf:
        xml = zf.read(DOCUMENT_PART)
        if b"<w:tbl>" not in xml:
            return docx, None
        new = fit_document(xml, lambda name: zf.read(name))
    return (docx, None) if new is None else (zipwriter.replace_parts(docx, {DOCUMENT_PART: new}), new)


def fit_document(xml: bytes, part: Callable[[str], bytes]) -> bytes | None:
    """The refitted ``word/document.xml``, or None when nothing changes (``part`` reads the
    package's other parts).  As a renderer's ``document_hook`` it runs before the package is
    zipped, so the document part is compressed once."""
    if b"<w:tbl>" not in xml:
        return None
    size_pt = _table_size_pt(part(STYLES_PART))
    if size_pt is None:  # not a house-style letter: its tables are its own
        return None
    try:
        root = etree.fromstring(xml)
    except etree.XMLSyntaxError:  # refused with a clear message by the renderer's integrity check
        return None
    plain = not any(marker in xml for marker in _NOT_PLAIN)
    changed = False
    for tbl in root.iter(_TBL):
        fast = plain and next(itertools.islice(tbl.iter(_TBL), 1, None), None) is None  # no table inside
        changed |= _refit(tbl, size_pt, _plain_cells(tbl) if fast else _cells(tbl))
    if not changed:
        return None
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


# What it returns is lxml's serialisation of the rendered XML it parsed (a renderer need not parse it again).
fit_document.returns_parsed_xml = True


@functools.lru_cache(maxsize=16)
def _table_size_pt(styles: bytes) -> float | None:
    """The size of the house style's table text (``LG Table Text``), or None
    (a letter's styles are its template's: asked once per template)."""
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


def _child(element, tag: str):
    """The first child ``tag`` of ``element`` (a loop over the children: lxml's
    ``find`` compiles a path on every call, and this runs for every cell of every letter)."""
    for child in element:
        if child.tag == tag:
            return child
    return None


def _split(text: str, bold: bool) -> list[tuple[str, bool]]:
    return [(_SPACE.sub(" ", part).strip(), bold) for part in text.split("\n")]


def _lines(tc) -> list[tuple[str, bool]]:
    """(text, bold) of each line of a cell: its paragraphs split at line breaks."""
    out = []
    for p in tc.iter(_P):
        pr = _child(p, _P_PR)
        style = _child(pr, _P_STYLE) if pr is not None else None
        bold = style is not None and style.get(_VAL) in HEADER_STYLES
        text = ""
        for el in p.iter(_T, _BR, _TAB):
            text += (el.text or "") if el.tag == _T else "\n"
        out += _split(text, bold)
    return out


@functools.lru_cache(maxsize=4096)
def _width(text: str, size_pt: float, bold: bool) -> float:
    return text_width_pt(text, size_pt, bold=bold)  # headers and dates recur from letter to letter


def _twips(pt: float) -> int:
    return round(pt * 20) + CELL_MARGINS_TWIPS + SLACK_TWIPS


#: A cell: first grid column, span, (text, bold) of each line, its w:tcW (or None).
Cell = tuple[int, int, list[tuple[str, bool]], Any]


def _cells(tbl) -> list[Cell]:
    """Every cell of ``tbl``, row by row: its rows and cells are the direct children, as Word reads them."""
    cells = []
    for tr in tbl:
        if tr.tag != _TR:
            continue
        col = 0
        for tc in tr:
            if tc.tag != _TC:
                continue
            pr = _child(tc, _TC_PR)
            span = _child(pr, _SPAN) if pr is not None else None
            span = int(span.get(_VAL)) if span is not None else 1
            cells.append((col, span, _lines(tc), _child(pr, _TC_W) if pr is not None else None))
            col += span
    return cells


#: What can wrap rows, cells or paragraphs, or hold a second paragraph style or cell
#: property: documents with any of them are read by :func:`_cells`.
_NOT_PLAIN = (b"<w:sdt", b"<w:customXml", b"<w:txbxContent", b"AlternateContent", b"PrChange")
_PLAIN_TAGS = (_TR, _TC, _SPAN, _TC_W, _P, _P_STYLE, _T, _BR, _TAB)


def _plain_cells(tbl) -> list[Cell]:
    """:func:`_cells` of a plain table (no table inside it, nothing of ``_NOT_PLAIN`` in the
    document), read in one pass of lxml's iterator over the elements that matter: the same
    cells, at a third of the cost (this runs for every letter of a batch)."""
    cells: list[Cell] = []
    col = span = 0
    tc_w = None
    lines: list[tuple[str, bool]] = []
    text: list[str] | None = None
    bold = False

    def close_cell() -> None:
        if text is not None:
            lines.extend(_split("".join(text), bold))
        cells.append((col, span, lines, tc_w))

    cell_open = False
    for el in tbl.iter(*_PLAIN_TAGS):
        tag = el.tag
        if tag == _T:
            if text is not None:
                text.append(el.text or "")
        elif tag == _BR or tag == _TAB:
            if text is not None:
                text.append("\n")
        elif tag == _P:
            if text is not None:
                lines.extend(_split("".join(text), bold))
            text, bold = [], False
        elif tag == _P_STYLE:
            bold = el.get(_VAL) in HEADER_STYLES
        elif tag == _TC:
            if cell_open:
                close_cell()
                col += span
            cell_open, span, tc_w, lines, text = True, 1, None, [], None
        elif tag == _SPAN:
            span = int(el.get(_VAL))
        elif tag == _TC_W:
            tc_w = el
        else:  # a row
            if cell_open:
                close_cell()
            cell_open, col, span = False, 0, 0
    if cell_open:
        close_cell()
    return cells


def _refit(tbl, size_pt: float, cells: list[Cell] | None = None) -> bool:
    cells = _cells(tbl) if cells is None else cells
    grid = _child(tbl, _TBL_GRID)
    grid_cols = [col for col in grid if col.tag == _GRID_COL] if grid is not None else []
    widths = [int(col.get(_W, "0")) for col in grid_cols]
    n = len(widths)
    if not n or not all(widths):
        return False
    line_need, word_need = [0] * n, [0] * n
    for col, span, lines, _tc_w in cells:
        if span == 1 and col < n:
            for text, bold in lines:
                if not text or "{" in text:
                    continue
                need = _twips(_width(text, size_pt, bold))
                line_need[col] = max(line_need[col], need)
                if need > widths[col]:  # a line that fits holds no word that does not
                    for word in words(text):
                        word_need[col] = max(word_need[col], _twips(_width(word, size_pt, bold)))
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
    _write(grid_cols, cells, new)
    return True


def _share(total: int, weights: list[int]) -> list[int]:
    """``total`` split in proportion to ``weights`` (integers, the rest to the largest)."""
    whole = sum(weights)
    parts = [total * w // whole for w in weights]
    parts[weights.index(max(weights))] += total - sum(parts)
    return parts


def _write(grid_cols, cells: list[Cell], widths: list[int]) -> None:
    for col, width in zip(grid_cols, widths):
        col.set(_W, str(width))
    for col, span, _lines, tc_w in cells:
        if tc_w is not None and tc_w.get(_TYPE) == "dxa":
            tc_w.set(_W, str(sum(widths[col:col + span])))
