"""A sound pre-check for fitting: letters that surely fit one page skip LibreOffice.

Measuring a letter's layout with LibreOffice (:mod:`lettergen.housestyle.fit`)
costs about half a second; most letters are far from a page's end.
:func:`surely_one_page` reads the rendered .docx (``document.xml``, the styles,
the section's page size and margins, the headers and footers) and computes an
**upper bound** on the height its body needs:

* paragraphs: their lines (bounded by :mod:`.linebreak`: characters at their
  widest, breaks only where LibreOffice surely may break, each line
  :data:`LINE_SLACK_PT` narrower) times
  the line pitch (exact pitches as set; "auto" lines at :data:`AUTO_LINE_EM`
  of the largest font, over the tallest face in use), plus spacing before and
  after, plus inline pictures;
* tables (fixed layout): each row is as tall as its tallest cell's
  paragraphs plus the cell margins and borders, or its set height;
* headers and footers take no body space unless they are taller than the
  margin that holds them (then the excess is taken off the body).

Keep-with-next, widow and keep-together rules only move text to a later page
when the page is full, so a body whose bound fits one page's type area (less
:data:`SAFETY_LINES` body lines) is one page.  Anything the estimate does not
model (page or section breaks, tabs, lists, fields, frames, floating pictures
that push text, unknown characters, layout grids …) raises
:class:`~.linebreak.Unknown` and the letter is measured, as before.
The formatting comes from :mod:`.layoutstyles`, the line counts from :mod:`.linebreak`;
tests/test_fit_estimate_office.py checks the bound against LibreOffice's page count.
"""
from __future__ import annotations

from typing import Callable
from lxml import etree

from .. import zipwriter
from .layoutstyles import Para, Styles, latin_font, qn, run_size, twips
from .linebreak import NARROW_LATIN_FACES, OBJECT, Glyph, Unknown, count_lines, pieces

#: "auto" (single) line height per em of the largest font on the line: the tallest face in
#: use, Noto Sans CJK, has ascent + descent 1.448 em (FandolFang 1.25, Liberation Serif 1.15).
AUTO_LINE_EM = 1.5
#: Each line is taken this much narrower than it is (rounding of glyph positions).
LINE_SLACK_PT = 2.0
#: The bound must leave this many body lines free on the page.
SAFETY_LINES = 0.5
EMU_PER_PT = 12700
REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_IGNORED_IN_PARAGRAPH = {qn(t) for t in ("w:pPr", "w:bookmarkStart", "w:bookmarkEnd", "w:proofErr",
                                         "w:permStart", "w:permEnd")}
_RUN_CONTAINERS = {qn(t) for t in ("w:hyperlink", "w:smartTag", "w:ins")}
_IGNORED_IN_RUN = {qn(t) for t in ("w:rPr", "w:lastRenderedPageBreak")}


class Page:
    """Heights (pt) of the blocks of one rendered letter, read with its styles."""

    def __init__(self, styles: Styles, fields: bool = False):
        self.styles = styles
        self.fields = fields  # headers and footers: a field's code stands for its (short) result

    def blocks(self, parent, width_tw: float) -> float:
        total, prev = 0.0, None
        for child in parent:
            if child.tag == qn("w:p"):
                before, height, after, key, contextual = self.paragraph(child, width_tw)
                same = prev is not None and prev[0] == key  # contextual spacing: none between alike paragraphs
                total += height + (0.0 if same and contextual else before) + after
                if same and prev[1]:
                    total -= prev[2]
                prev = (key, contextual, after)
            elif child.tag == qn("w:tbl"):
                total, prev = total + self.table(child), None
            elif child.tag in _IGNORED_IN_PARAGRAPH or child.tag in (qn("w:sectPr"), qn("w:tcPr")):
                continue
            else:
                raise Unknown(child.tag)
        return total

    def paragraph(self, p, width_tw: float) -> tuple[float, float, float, str | None, bool]:
        """(space before, lines, space after) in pt, the style, and whether its spacing is contextual.

        Memoised on the paragraph's XML: most of a letter's paragraphs are the
        template's own text, the same in every letter.
        """
        key = (self.styles, self.fields, width_tw, etree.tostring(p))
        known = _paragraph_cache.get(key)
        if known is None:
            if len(_paragraph_cache) >= _PARAGRAPH_CACHE_SIZE:
                _paragraph_cache.clear()
            known = _paragraph_cache[key] = self._paragraph(p, width_tw)
        return known

    def _paragraph(self, p, width_tw: float) -> tuple[float, float, float, str | None, bool]:
        ppr = p.find(qn("w:pPr"))
        style = ppr.find(qn("w:pStyle")) if ppr is not None else None
        key = style.get(qn("w:val")) if style is not None else None
        para = self.styles.paragraph(key).merged(ppr, None)
        if para.refused:
            raise Unknown(f"paragraph with {sorted(para.refused)}")
        mark = ppr.find(qn("w:rPr")) if ppr is not None else None
        sizes = [para.size, run_size(mark, para.size, 0.0)[0] if mark is not None else para.size]
        segments: list[list[Glyph]] = [[]]
        pictures: list[float] = []
        self._walk(p, para, segments, pictures, sizes)
        em = max(sizes)
        avail = (width_tw - para.left - para.right) / 20
        first, rest = avail - max(para.first, 0.0) / 20 - LINE_SLACK_PT, avail - LINE_SLACK_PT
        lines = sum(count_lines(pieces(seg), first if i == 0 else rest, rest, em)
                    for i, seg in enumerate(segments))
        if para.rule == "exact":
            height = lines * para.line / 20  # pictures are clipped to the pitch
        elif para.rule == "atLeast":
            height = lines * max(para.line / 20, em * AUTO_LINE_EM) + sum(pictures)
        else:
            multiple = para.line / 240
            height = lines * multiple * em * AUTO_LINE_EM + sum(pictures) * max(multiple, 1.0)
        return para.before / 20, height, para.after / 20, key, para.contextual

    def _walk(self, container, para: Para, segments, pictures, sizes) -> None:
        for child in container:
            if child.tag in _IGNORED_IN_PARAGRAPH:
                continue
            if child.tag in _RUN_CONTAINERS:
                self._walk(child, para, segments, pictures, sizes)
            elif child.tag == qn("w:r"):
                self._run(child, para, segments, pictures, sizes)
            else:
                raise Unknown(child.tag)

    def _run(self, r, para: Para, segments, pictures, sizes) -> None:
        size, extra, latin = para.size, para.extra, para.latin
        rpr = r.find(qn("w:rPr"))
        if rpr is not None:
            char_style = rpr.find(qn("w:rStyle"))
            if char_style is not None:
                size, extra = self.styles.character(char_style.get(qn("w:val")), size, extra)
                latin = ""  # not followed through character styles: every character 1 em
            size, extra = run_size(rpr, size, extra)
            latin = latin_font(rpr, latin)
        narrow = latin in NARROW_LATIN_FACES
        sizes.append(size)
        for child in r:
            tag = child.tag
            if tag in _IGNORED_IN_RUN or (self.fields and tag == qn("w:fldChar")):
                continue
            if tag == qn("w:t") or (self.fields and tag == qn("w:instrText")):
                segments[-1].extend(Glyph(ch, size, extra, narrow) for ch in child.text or "")
            elif tag in (qn("w:br"), qn("w:cr")):
                if child.get(qn("w:type")) in ("page", "column"):
                    raise Unknown("page break")
                segments.append([])
            elif tag in (qn("w:noBreakHyphen"), qn("w:softHyphen")):
                segments[-1].append(Glyph("-", size, extra))
            elif tag == qn("w:drawing"):
                self._drawing(child, size, segments, pictures)
            else:
                raise Unknown(tag)

    @staticmethod
    def _drawing(drawing, size: float, segments, pictures) -> None:
        for shape in drawing:
            extent = shape.find(qn("wp:extent"))
            if shape.tag == qn("wp:anchor") and shape.find(qn("wp:wrapNone")) is not None:
                continue  # in front of or behind the text: takes no room
            if shape.tag != qn("wp:inline") or extent is None:
                raise Unknown("a floating picture that pushes text")
            pictures.append(float(extent.get("cy")) / EMU_PER_PT)  # unqualified attributes
            segments[-1].append(Glyph(OBJECT, float(extent.get("cx")) / EMU_PER_PT + size))

    def table(self, tbl) -> float:
        tbl_pr = tbl.find(qn("w:tblPr"))
        style = tbl_pr.find(qn("w:tblStyle")) if tbl_pr is not None else None
        layers = self.styles.table(style.get(qn("w:val")) if style is not None else None) + [tbl_pr]
        layers = [el for el in layers if el is not None]
        if not any(el.find(qn("w:tblLayout")) is not None and el.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"
                   for el in layers):
            raise Unknown("a table without fixed column widths")
        margins = {side: _cell_margin(layers, side) for side in ("top", "bottom", "left", "right")}
        border = max((twips(b, "w:sz") / 8 + twips(b, "w:space")
                      for el in layers for b in el.iterfind(f"{qn('w:tblBorders')}/*")), default=0.0)
        grid = [twips(col, "w:w") for col in tbl.iterfind(f"{qn('w:tblGrid')}/{qn('w:gridCol')}")]
        total = border
        margins["left"] += border * 20  # a cell's borders are inside its width
        margins["right"] += border * 20
        for tr in tbl.iterfind(qn("w:tr")):
            total += self._row(tr, grid, margins) + 2 * border
        return total

    def _row(self, tr, grid: list[float], margins: dict[str, float]) -> float:
        tr_pr = tr.find(qn("w:trPr"))
        col = int(twips(tr_pr.find(qn("w:gridBefore")) if tr_pr is not None else None, "w:val"))
        tallest = 0.0
        for tc in tr:
            if tc.tag in (qn("w:trPr"),) or tc.tag in _IGNORED_IN_PARAGRAPH:
                continue
            if tc.tag != qn("w:tc"):
                raise Unknown(tc.tag)
            tc_pr = tc.find(qn("w:tcPr"))
            if tc_pr is not None and (tc_pr.find(qn("w:vMerge")) is not None or tc_pr.find(qn("w:tcMar")) is not None):
                raise Unknown("merged cells or cell margins")
            span = int(twips(tc_pr.find(qn("w:gridSpan")) if tc_pr is not None else None, "w:val", 1))
            width = sum(grid[col:col + span])
            tc_w = tc_pr.find(qn("w:tcW")) if tc_pr is not None else None
            if tc_w is not None and tc_w.get(qn("w:type")) == "dxa":
                width = min(width, twips(tc_w, "w:w"))
            col += span
            if any(child.tag == qn("w:tbl") for child in tc):
                raise Unknown("a table in a table")
            height = self.blocks(tc, width - margins["left"] - margins["right"])
            tallest = max(tallest, height + (margins["top"] + margins["bottom"]) / 20)
        height_el = tr_pr.find(qn("w:trHeight")) if tr_pr is not None else None
        if height_el is not None:
            set_pt = twips(height_el, "w:val") / 20
            tallest = set_pt if height_el.get(qn("w:hRule")) == "exact" else max(tallest, set_pt)
        return tallest


def _cell_margin(layers, side: str) -> float:
    value = 108.0 if side in ("left", "right") else 0.0  # Word's defaults
    for el in layers:
        mar = el.find(f"{qn('w:tblCellMar')}/{qn('w:' + side)}")
        if mar is None:
            mar = el.find(f"{qn('w:tblCellMar')}/{qn('w:' + {'left': 'start', 'right': 'end'}.get(side, side))}")
        if mar is not None:
            if mar.get(qn("w:type"), "dxa") != "dxa":
                raise Unknown("cell margins not in twips")
            value = twips(mar, "w:w")
    return value


_styles_cache: dict[object, Styles] = {}
_furniture_cache: dict[tuple, float] = {}  # (styles, part, width) -> height of a header or footer


_PARAGRAPH_CACHE_SIZE = 4096
_paragraph_cache: dict[tuple, tuple] = {}  # (styles, fields, width, paragraph XML) -> Page.paragraph's answer


def _styles(key: object, read: Callable[[], bytes]) -> Styles:
    styles = _styles_cache.get(key)
    if styles is None:
        if len(_styles_cache) >= 16:
            _styles_cache.clear()
        styles = _styles_cache[key] = Styles(read())
    return styles


class _Package:
    """The parts of a .docx, read on demand; a part's key (its deflated bytes: exact, and
    lettergen compresses a part the same way every time) identifies its content without
    decompressing it, so parts that every letter of a template shares (styles, headers,
    footers) are parsed and measured once."""

    def __init__(self, docx: bytes):
        self._parts = {p.name.decode("utf-8"): p for p in zipwriter.raw_parts(docx)}

    def read(self, name: str) -> bytes:
        return zipwriter.unpack(self._parts[name])

    def key(self, name: str) -> bytes:
        return self._parts[name].data


def page_bound(docx: bytes) -> tuple[float, float, float]:
    """(upper bound on the body's height, the first page's type area height, the
    default line pitch), in pt.

    Raises :class:`Unknown` when the letter holds something the bound does not model.
    """
    package = _Package(docx)
    styles_key = package.key("word/styles.xml")
    styles = _styles(styles_key, lambda: package.read("word/styles.xml"))
    body = etree.fromstring(package.read("word/document.xml")).find(qn("w:body"))
    rels = etree.fromstring(package.read("word/_rels/document.xml.rels"))
    targets = {rel.get("Id"): rel.get("Target") for rel in rels}
    sect = body.find(qn("w:sectPr"))
    if sect is None:
        raise Unknown("no section properties")
    size, mar = sect.find(qn("w:pgSz")), sect.find(qn("w:pgMar"))
    grid = sect.find(qn("w:docGrid"))
    cols = sect.find(qn("w:cols"))
    if size is None or mar is None or (grid is not None and grid.get(qn("w:type")) not in (None, "default")) \
            or (cols is not None and twips(cols, "w:num", 1) > 1):
        raise Unknown("page setup")
    width_tw = twips(size, "w:w") - twips(mar, "w:left") - twips(mar, "w:right") - twips(mar, "w:gutter")
    furniture = Page(styles, fields=True)
    tallest = {"header": 0.0, "footer": 0.0}
    for ref in list(sect.iterfind(qn("w:headerReference"))) + list(sect.iterfind(qn("w:footerReference"))):
        kind = "header" if ref.tag == qn("w:headerReference") else "footer"
        name = "word/" + targets[ref.get(REL_NS)].lstrip("/").removeprefix("word/")
        key = (styles_key, package.key(name), width_tw)
        if key not in _furniture_cache:
            if len(_furniture_cache) >= 64:
                _furniture_cache.clear()
            _furniture_cache[key] = furniture.blocks(etree.fromstring(package.read(name)), width_tw)
        tallest[kind] = max(tallest[kind], _furniture_cache[key])
    top = max(abs(twips(mar, "w:top")) / 20, twips(mar, "w:header") / 20 + tallest["header"])
    bottom = max(abs(twips(mar, "w:bottom")) / 20, twips(mar, "w:footer") / 20 + tallest["footer"])
    default = styles.default
    pitch = default.line / 20 if default.rule == "exact" else default.size * AUTO_LINE_EM * default.line / 240
    return Page(styles).blocks(body, width_tw), twips(size, "w:h") / 20 - top - bottom, pitch


def surely_one_page(docx: bytes) -> bool:
    """True only when ``docx``'s body surely fits on its first page (see the module's notes)."""
    try:
        needed, available, pitch = page_bound(docx)
    except Unknown:
        return False
    except Exception:  # noqa: BLE001 - a package the bound cannot read is measured, never refused here
        return False
    return needed + SAFETY_LINES * pitch <= available
