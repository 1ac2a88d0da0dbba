"""Layout checker: does a .docx letter follow the house style?

:func:`check_letter` resolves formatting as Word does (see
:mod:`lettergen.housestyle.resolve`), finds the parts of the letter (see
:mod:`lettergen.housestyle.locate`) and returns :class:`Finding` objects for:
page size and margins, title (centred, larger than the body), body East Asian
font and size, two-character first-line indent, left alignment, signature and
date at the right with the date below, the date's form, the document number,
and leftover template tags or empty values.  It only reports; the CLI decides
what fails (errors always, warnings with ``--strict``).
"""
from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import docx
from docx.oxml.ns import qn

from .locate import LetterParts, Line, is_at_right, locate
from .profiles import BODY_SIZES_PT, FONT_FAMILIES, Profile, mm_to_twips
from .resolve import Resolver

A4 = (11906, 16838)
PAGE_TOLERANCE = 30       # twips (~0.5 mm)
MARGIN_BOUNDS_MM = (15.0, 45.0)
DATE_FORM = re.compile(r"^(\d{4})年([1-9]|1[0-2])月([1-9]|[12]\d|3[01])日$")
NUMBER_FORM = re.compile(r"〔\d{4}〕[1-9]\d*号")
LEFTOVER_TAG = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")
LEFTOVER_VALUE = re.compile(r"(?<![A-Za-z])(None|nan|NaN|null|NULL|undefined|NaT)(?![A-Za-z])")
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
BODY_ALIGNMENTS = {"left", "both"}   # "both" (两端对齐) is still a left-aligned block
EXCERPT = 20


@dataclass(frozen=True)
class Finding:
    """One layout finding.  ``severity`` is "error", "warning" or "info"."""

    code: str
    message: str
    paragraph_index: int | None = None
    paragraph_text: str = ""
    severity: str = "error"

    def is_failure(self, strict: bool = False) -> bool:
        return self.severity == "error" or (strict and self.severity == "warning")

    def where(self) -> str:
        if self.paragraph_index is None:
            return self.paragraph_text or "全文"
        return f"第{self.paragraph_index + 1}段「{self.paragraph_text}」"

    def __str__(self) -> str:
        label = {"error": "错误", "warning": "警告", "info": "提示"}.get(self.severity, self.severity)
        return f"{self.where()}：{label}：{self.message}"


def _at(line: Line | None, code: str, message: str, severity: str = "error") -> Finding:
    if line is None:
        return Finding(code, message, None, "", severity)
    text = line.text if len(line.text) <= EXCERPT else line.text[:EXCERPT] + "…"
    return Finding(code, message, line.index, text, severity)


def check_letter(path_or_bytes: str | Path | bytes, profile: Profile | None = None) -> list[Finding]:
    """Check one letter against the house style (``profile``, or generic bounds)."""
    try:
        source = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else str(path_or_bytes)
        document = docx.Document(source)
    except Exception as exc:  # python-docx raises several unrelated types
        return [Finding("unreadable", f"无法作为 Word 文档读取：{exc}")]
    res = Resolver.from_document(document)
    findings = _check_page(document, profile)
    width = _text_width(document)
    parts = locate(res, width)
    body_size = _body_size(parts)
    findings += _check_title(parts, body_size, profile)
    findings += _check_body(parts, body_size, profile)
    findings += _check_signature_and_date(parts, width)
    findings += _check_number(parts)
    findings += _check_leftovers(document)
    return findings


def _check_page(document, profile: Profile | None) -> list[Finding]:
    out = []
    for n, section in enumerate(document.sections, 1):
        where = f"第{n}节" if len(document.sections) > 1 else "页面设置"
        sect = section._sectPr
        size = sect.find(qn("w:pgSz"))
        w = int(size.get(qn("w:w"), 0)) if size is not None else 0
        h = int(size.get(qn("w:h"), 0)) if size is not None else 0
        if abs(w - A4[0]) > PAGE_TOLERANCE or abs(h - A4[1]) > PAGE_TOLERANCE:
            out.append(Finding("page-size", f"纸张应为 A4 纵向（210×297 毫米），实际为 "
                               f"{w * 25.4 / 1440:.0f}×{h * 25.4 / 1440:.0f} 毫米", None, where))
        mar = sect.find(qn("w:pgMar"))
        for side, label in (("top", "上"), ("bottom", "下"), ("left", "左"), ("right", "右")):
            actual = int(mar.get(qn(f"w:{side}"), 0)) if mar is not None else 0
            mm = actual * 25.4 / 1440
            if profile is not None:
                want = mm_to_twips(getattr(profile, f"margin_{side}_mm"))
                if abs(actual - want) > PAGE_TOLERANCE:
                    out.append(Finding("margin", f"{label}边距应为 {getattr(profile, f'margin_{side}_mm'):g} 毫米"
                                       f"（版式「{profile.name}」），实际为 {mm:.1f} 毫米", None, where))
            elif not MARGIN_BOUNDS_MM[0] <= mm <= MARGIN_BOUNDS_MM[1]:
                out.append(Finding("margin", f"{label}边距 {mm:.1f} 毫米超出合理范围"
                                   f"（{MARGIN_BOUNDS_MM[0]:g}–{MARGIN_BOUNDS_MM[1]:g} 毫米）", None, where))
    return out


def _text_width(document) -> int:
    section = document.sections[0]
    try:
        return int(section.page_width.twips - section.left_margin.twips - section.right_margin.twips)
    except (AttributeError, TypeError):
        return A4[0] - 2 * 1800


def _body_size(parts: LetterParts) -> float | None:
    sizes = Counter(r.size_pt for b in parts.body for r in b.line.para.runs if r.text.strip())
    return sizes.most_common(1)[0][0] if sizes else None


def _check_title(parts: LetterParts, body_size: float | None, profile: Profile | None) -> list[Finding]:
    title = parts.title
    if title is None:
        return [Finding("title-missing", "找不到标题（居中的首个段落）")]
    out = []
    if title.para.alignment != "center":
        out.append(_at(title, "title-not-centred", f"标题应居中，实际为 {title.para.alignment}"))
    size = title.para.size_pt
    if body_size and size and size <= body_size:
        out.append(_at(title, "title-not-larger", f"标题字号（{size:g} 磅）应大于正文（{body_size:g} 磅）"))
    if profile is not None and size and abs(size - profile.title_size_pt) > 0.1:
        out.append(_at(title, "title-size", f"版式「{profile.name}」的标题字号为 "
                       f"{profile.title_size_pt:g} 磅，实际为 {size:g} 磅", "warning"))
    return out


def _check_body(parts: LetterParts, body_size: float | None, profile: Profile | None) -> list[Finding]:
    if not parts.body:
        return [Finding("body-missing", "找不到正文（称呼与结束语之间的段落）")]
    fonts = profile.body_font_aliases if profile else tuple(f for fam in FONT_FAMILIES.values() for f in fam)
    sizes = (profile.body_size_pt,) if profile else BODY_SIZES_PT
    out: list[Finding] = []
    forms: set[str] = set()
    for item in parts.body:
        line, para = item.line, item.line.para
        runs = [r for r in para.runs if CJK.search(r.text)]
        bad_font = sorted({r.east_asia_font or "（未设置）" for r in runs if r.east_asia_font not in fonts})
        if bad_font:
            out.append(_at(line, "body-font", f"正文中文字体应为{'或'.join(fonts[:2])}等，实际为"
                           f"{'、'.join(bad_font)}（w:eastAsia）"))
        bad_size = sorted({r.size_pt for r in runs if r.size_pt not in sizes})
        if bad_size:
            out.append(_at(line, "body-size", f"正文字号应为 {'或'.join(f'{s:g}' for s in sizes)} 磅，"
                           f"实际为 {'、'.join(f'{s:g}' for s in bad_size)} 磅"))
        if para.alignment not in BODY_ALIGNMENTS:
            out.append(_at(line, "body-align", f"正文应左对齐，实际为 {para.alignment}"))
        if item.needs_indent:
            size = para.size_pt or body_size or 12.0
            indent = para.indent
            chars = indent.first_line_twips(size) / (size * 20)
            if abs(chars - 2) > 0.25:
                out.append(_at(line, "indent", f"正文首行应缩进 2 个字符，实际为 {chars:.1f} 个字符"))
            elif indent.form:
                both = indent.form == "chars" and indent.first_line_twips_attr is not None
                forms.add("both" if both else indent.form)
    messages = {
        "chars": ("warning", "只以字符单位（w:firstLineChars）表示，未写缇值（w:firstLine），"
                             "LibreOffice 可能不显示缩进"),
        "twips": ("info", "以缇（w:firstLine）表示，未写字符单位（w:firstLineChars）"),
        "both": ("info", "同时以字符单位（w:firstLineChars）和缇（w:firstLine）表示"),
    }
    for form in sorted(forms):
        severity, text = messages[form]
        out.append(Finding("indent-form", f"正文首行缩进{text}", None, "正文", severity))
    return out


def _check_signature_and_date(parts: LetterParts, width: int) -> list[Finding]:
    out = []
    if not parts.signature and not parts.below_date:
        out.append(Finding("signature-missing", "找不到落款（日期上方靠右的单位名称、联系人及职务）"))
    for line in parts.signature:
        if not is_at_right(line.para, width):
            out.append(_at(line, "signature-not-right", "落款应位于右侧（右对齐）"))
    if 0 < len(parts.signature) < 2:
        out.append(_at(parts.signature[0], "signature-incomplete",
                       "落款应包括单位名称以及联系人姓名和职务", "warning"))
    date_line = parts.date
    if date_line is None:
        out.append(Finding("date-missing", "找不到日期（如 2026年11月22日）"))
        return out
    out += _check_date_text(date_line)
    if not is_at_right(date_line.para, width):
        out.append(_at(date_line, "date-not-right", "日期应位于右侧（右对齐）"))
    if parts.below_date:
        out.append(_at(date_line, "date-above-signature", "日期应在落款下方"))
    return out


def _check_date_text(line: Line) -> list[Finding]:
    text = line.text.replace(" ", "")
    m = DATE_FORM.match(text)
    if not m:
        zero = re.search(r"(?<![0-9])0\d", text)
        hint = "月、日不补零，" if zero else ""
        return [_at(line, "date-format", f"日期应写作“2026年11月22日”的形式（阿拉伯数字，{hint}年月日齐全）")]
    try:
        date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return [_at(line, "date-invalid", "日期不存在")]
    return []


def _check_number(parts: LetterParts) -> list[Finding]:
    line = parts.number
    if line is None:
        return [Finding("number-missing", "找不到发文字号（如 华贸催函〔2026〕12号）")]
    if not NUMBER_FORM.search(line.text):
        return [_at(line, "number-format", "发文字号应写作“XX〔2026〕12号”，年份用六角括号〔〕（U+3014/U+3015），"
                    "序号不加“第”、不补零")]
    return []


def _check_leftovers(document) -> list[Finding]:
    out = []
    top = {p: i for i, p in enumerate(document.element.body.findall(qn("w:p")))}
    containers = [("正文", document.element.body)]
    for section in document.sections:
        for label, part in (("页眉", section.header), ("页脚", section.footer)):
            if not part.is_linked_to_previous:
                containers.append((label, part._element))
    for label, root in containers:
        for p in root.iter(qn("w:p")):
            text = "".join(t.text or "" for t in p.iter(qn("w:t")))
            index = top.get(p)
            excerpt = text.strip() if len(text.strip()) <= EXCERPT else text.strip()[:EXCERPT] + "…"
            where = excerpt if index is not None else f"{label}{'表格' if label == '正文' else ''}「{excerpt}」"
            for rx, code, what in ((LEFTOVER_TAG, "leftover-tag", "残留模板标记"),
                                   (LEFTOVER_VALUE, "leftover-value", "残留空值")):
                hit = rx.search(text)
                if hit:
                    out.append(Finding(code, f"{what}“{hit.group(0)}”", index, where))
    return out

