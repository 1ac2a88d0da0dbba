"""Headers and footers: page numbers and the later-page header of a long letter.

The first page carries neither (``w:titlePg`` with an empty first-page header
and footer), so a one-page letter shows no page number at all.  Pages after
the first carry a short header with the document number and a page number:

* profile ``song``: 第2页 共3页, centred in the footer;
* profile ``fangsong`` (page_number_style ``gbt9704``): "— 2 —" on the
  outside edge as GB/T 9704-2012 §7.5 places it: odd pages at the right,
  even pages at the left, one character in from the edge (so odd and even
  pages have their own header and footer, ``w:evenAndOddHeaders``).
"""
from __future__ import annotations

from docx.document import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from .profiles import Profile

#: What the later-page header says (Jinja, rendered like the body).
HEADER_TEXT = "{{ number }}"
HEADER_STYLE, FOOTER_STYLE = "LG Header", "LG Footer"


def add_page_furniture(doc: Document, profile: Profile) -> None:
    """Empty first-page header/footer; number header and page numbers on later pages."""
    section = doc.sections[0]
    section.different_first_page_header_footer = True
    for part in (section.first_page_header, section.first_page_footer):
        _only_paragraph(part, HEADER_STYLE)
    gbt = profile.page_number_style == "gbt9704"
    headers = [section.header, section.even_page_header] if gbt else [section.header]
    for header in headers:
        _only_paragraph(header, HEADER_STYLE).add_run(HEADER_TEXT)
    if not gbt:
        para = _only_paragraph(section.footer, FOOTER_STYLE)
        _text(para, "第")
        _field(para, "PAGE")
        _text(para, "页 共")
        _field(para, "NUMPAGES")
        _text(para, "页")
        return
    doc.settings.odd_and_even_pages_header_footer = True
    one_char = round(profile.body_size_pt * 20)
    for footer, side in ((section.footer, "right"), (section.even_page_footer, "left")):
        para = _only_paragraph(footer, FOOTER_STYLE)
        para.alignment = WD_ALIGN_PARAGRAPH.RIGHT if side == "right" else WD_ALIGN_PARAGRAPH.LEFT
        ind = OxmlElement("w:ind")
        ind.set(qn(f"w:{side}"), str(one_char))
        para._p.get_or_add_pPr().insert_element_before(ind, "w:jc")
        _text(para, "— ")
        _field(para, "PAGE")
        _text(para, " —")


def _only_paragraph(part, style: str):
    """The header/footer's single paragraph, in ``style`` (created on first access)."""
    part.is_linked_to_previous = False
    paragraphs = part.paragraphs
    for extra in paragraphs[1:]:
        extra._p.getparent().remove(extra._p)
    para = paragraphs[0]
    para.style = style
    return para


def _text(para, text: str) -> None:
    para.add_run(text)


def _field(para, instr: str) -> None:
    """A complex field (``PAGE``, ``NUMPAGES``) showing ``1`` until updated."""
    for kind in ("begin", None, "separate", "1", "end"):
        run = para.add_run()._r
        if kind in ("begin", "separate", "end"):
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), kind)
            run.append(fld)
        elif kind is None:
            code = OxmlElement("w:instrText")
            code.set(qn("xml:space"), "preserve")
            code.text = f" {instr} "
            run.append(code)
        else:
            t = OxmlElement("w:t")
            t.text = kind
            run.append(t)
