"""Find the parts of a letter (number, title, salutation, body, signature, date).

Templates built by lettergen name their paragraphs with LG styles, and those
are used when present.  Any other .docx is read by its structure: the first
centred non-empty paragraph is the title, the paragraph ending with ： is the
salutation, the paragraphs up to the closing formula (此致, 特此函告, 顺颂商祺 …)
are the body, the last date-like paragraph is the date and the lines between
the closing and the date are the signature.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .resolve import ResolvedParagraph, Resolver

# Loose forms, so that a wrongly written date or number is still *found* and
# then reported by the checker, rather than reported as missing.
DATE_LIKE = re.compile(
    r"^\s*(\d{2,4}\s*[年\-/.]\s*\d{1,2}\s*[月\-/.]\s*\d{1,2}\s*日?"
    r"|[〇○零一二三四五六七八九]{4}年[一二三四五六七八九十]{1,2}月[一二三四五六七八九十]{1,3}日)\s*$"
)
NUMBER_LIKE = re.compile(r"[〔\[【(（［]\s*\d{4}\s*[〕\]】)）］]\s*第?\s*\d+\s*号")
CLOSING = re.compile(r"^\s*(此致|特此|顺颂|顺祝|祝商祺|敬请|专此|此复|谨此|谨致|再次感谢)")
REGARDS = re.compile(r"^\s*(敬礼|商祺|顺利|安好|近安|生意兴隆|大安)")
FIELD_LINE = re.compile(r"^[^，。；！？,;]{1,10}[：:][^。]*$")
BODY_STYLES = {"LG Body": True, "LG Heading": True, "LG Attachment": True, "LG Plain": False,
               "LG Field": False}


@dataclass
class Line:
    """A non-empty top-level paragraph; ``index`` as in ``doc.paragraphs``."""

    index: int
    para: ResolvedParagraph
    text: str


@dataclass
class BodyLine:
    line: Line
    needs_indent: bool


@dataclass
class LetterParts:
    by_style: bool
    number: Line | None = None
    title: Line | None = None
    salutation: Line | None = None
    body: list[BodyLine] = field(default_factory=list)
    closing: Line | None = None
    signature: list[Line] = field(default_factory=list)
    date: Line | None = None
    #: Signature-like (right-hand) lines found *below* the date.
    below_date: list[Line] = field(default_factory=list)


def non_empty_lines(res: Resolver) -> list[Line]:
    out = []
    for i, para in enumerate(res.paragraphs()):
        text = para.text.strip()
        if text:
            out.append(Line(i, para, text))
    return out


def locate(res: Resolver, text_width_twips: int) -> LetterParts:
    lines = non_empty_lines(res)
    if any((ln.para.style_name or "").startswith("LG ") for ln in lines):
        return _by_style(lines)
    return _by_structure(lines, text_width_twips)


def is_at_right(para: ResolvedParagraph, text_width_twips: int) -> bool:
    """Right-aligned, or pushed right by a left indent of at least 40 % of the line."""
    return para.alignment == "right" or para.indent.left_twips >= 0.4 * text_width_twips


def _find_number(lines: list[Line], before: int | None) -> Line | None:
    for ln in lines:
        if before is not None and ln.index >= before:
            break
        if NUMBER_LIKE.search(ln.text):
            return ln
    return None


def _by_style(lines: list[Line]) -> LetterParts:
    parts = LetterParts(by_style=True)
    style = {ln.index: ln.para.style_name or "" for ln in lines}
    for ln in lines:
        name = style[ln.index]
        if name == "LG Title" and parts.title is None:
            parts.title = ln
        elif name == "LG Salutation" and parts.salutation is None:
            parts.salutation = ln
        elif name in BODY_STYLES:
            parts.body.append(BodyLine(ln, BODY_STYLES[name]))
        elif name == "LG Closing" and parts.closing is None:
            parts.closing = ln
        elif name == "LG Signature":
            parts.signature.append(ln)
        elif name == "LG Date":
            parts.date = ln
    numbered = [ln for ln in lines if style[ln.index] == "LG Number"]
    parts.number = numbered[0] if numbered else _find_number(
        lines, parts.salutation.index if parts.salutation else None)
    if parts.date is not None:
        parts.below_date = [ln for ln in parts.signature if ln.index > parts.date.index]
    return parts


def _by_structure(lines: list[Line], width: int) -> LetterParts:
    parts = LetterParts(by_style=False)
    salutation_pos = next(
        (k for k, ln in enumerate(lines) if ln.text.endswith(("：", ":")) and len(ln.text) <= 40), None)
    head = lines[:salutation_pos] if salutation_pos is not None else lines[:3]
    if salutation_pos is not None:
        parts.salutation = lines[salutation_pos]
    parts.number = _find_number(head, None)
    centred = [ln for ln in head if ln.para.alignment == "center"]
    others = [ln for ln in head if ln is not parts.number]
    parts.title = centred[0] if centred else (others[0] if others else None)

    date_pos = max((k for k, ln in enumerate(lines) if DATE_LIKE.match(ln.text)), default=None)
    start = salutation_pos + 1 if salutation_pos is not None else len(head)
    closing_pos = next((k for k in range(start, len(lines))
                        if CLOSING.match(lines[k].text) and len(lines[k].text) <= 20), None)
    body_end = closing_pos if closing_pos is not None else (date_pos if date_pos is not None else len(lines))
    for ln in lines[start:body_end]:
        parts.body.append(BodyLine(ln, not FIELD_LINE.match(ln.text)))
    if closing_pos is not None:
        parts.closing = lines[closing_pos]
    if date_pos is not None:
        parts.date = lines[date_pos]
        sig_start = closing_pos + 1 if closing_pos is not None else max(date_pos - 4, start)
        sig = [ln for ln in lines[sig_start:date_pos] if not REGARDS.match(ln.text)]
        parts.signature = sig[-4:]
        parts.below_date = [ln for ln in lines[date_pos + 1:] if is_at_right(ln.para, width)]
    return parts
