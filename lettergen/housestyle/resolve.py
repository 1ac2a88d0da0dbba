"""Effective paragraph and run formatting, resolved the way Word does.

Word applies, in order (later wins, property by property): document defaults
(``w:docDefaults``), the paragraph style with its ``w:basedOn`` chain (base
first), direct paragraph formatting, then for runs the character style chain
and direct run formatting.  Fonts may name a theme font (``w:eastAsiaTheme=
"minorEastAsia"``); within one ``w:rFonts`` the theme attribute beats the
explicit name, and it resolves through the theme part (``a:minorFont/a:ea``),
falling back to the script font for the East Asian language (``themeFontLang``
in settings, else the run's ``w:lang/@w:eastAsia``) when ``a:ea`` is empty.

Not modelled: table-style and numbering formatting, toggle semantics of bold
inside style chains (last value wins), complex-script sizes.

Usage::

    res = Resolver.from_document(docx.Document(path))
    for p in res.paragraphs():
        p.style_name, p.alignment, p.indent.first_line_twips(p.size_pt)
        for r in p.runs:
            r.east_asia_font, r.size_pt, r.bold
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from docx.oxml import parse_xml
from docx.oxml.ns import qn

A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
FONT_SLOTS = {"ascii": "asciiTheme", "hAnsi": "hAnsiTheme", "eastAsia": "eastAsiaTheme", "cs": "cstheme"}
LANG_SCRIPTS = {"zh-CN": "Hans", "zh-SG": "Hans", "zh-TW": "Hant", "zh-HK": "Hant",
                "zh-MO": "Hant", "ja-JP": "Jpan", "ko-KR": "Hang"}
ALIGN_ALIASES = {"start": "left", "end": "right"}
_RUN_PATH = ("./w:r | ./w:hyperlink/w:r | ./w:ins/w:r | ./w:smartTag/w:r"
             " | ./w:fldSimple/w:r | ./w:sdt/w:sdtContent/w:r")
_FALSE = {"0", "false", "off"}


class Theme:
    """Major/minor fonts of a theme part (``a:theme``)."""

    def __init__(self, element=None):
        self.fonts: dict[str, dict[str, str]] = {}
        self.scripts: dict[str, dict[str, str]] = {}
        if element is None:
            return
        for group in ("major", "minor"):
            node = element.find(f".//{{{A_NS}}}{group}Font")
            if node is None:
                continue
            self.fonts[group] = {
                tag: (node.find(f"{{{A_NS}}}{tag}").get("typeface") or "")
                for tag in ("latin", "ea", "cs") if node.find(f"{{{A_NS}}}{tag}") is not None
            }
            self.scripts[group] = {f.get("script"): f.get("typeface") for f in node.findall(f"{{{A_NS}}}font")}

    def font(self, theme_name: str, ea_lang: str | None) -> str | None:
        """Typeface for ``minorEastAsia`` etc.; ``None`` if the theme lacks it."""
        group = "major" if theme_name.startswith("major") else "minor"
        rest = theme_name[len(group):]
        slot = {"Ascii": "latin", "HAnsi": "latin", "EastAsia": "ea", "Bidi": "cs"}.get(rest)
        if slot is None:
            return None
        face = self.fonts.get(group, {}).get(slot)
        if not face and slot == "ea" and ea_lang:
            face = self.scripts.get(group, {}).get(LANG_SCRIPTS.get(ea_lang, ""))
        return face or None


@dataclass(frozen=True)
class Indent:
    """Merged ``w:ind`` attributes of a paragraph (twips, chars in 1/100)."""

    attrs: dict

    def _int(self, name: str) -> int:
        try:
            return int(self.attrs.get(name, 0))
        except ValueError:
            return 0

    @property
    def first_line_chars(self) -> int | None:
        """Character form (200 = two characters), negative for hanging; a value
        of 0 means "not in characters", as Word writes it."""
        if self._int("hangingChars"):
            return -self._int("hangingChars")
        return self._int("firstLineChars") or None

    @property
    def first_line_twips_attr(self) -> int | None:
        if "hanging" in self.attrs:
            return -self._int("hanging")
        return self._int("firstLine") if "firstLine" in self.attrs else None

    @property
    def form(self) -> str | None:
        """"chars" if the character form is in force, else "twips" or None."""
        if self.first_line_chars is not None:
            return "chars"
        return "twips" if self.first_line_twips_attr else None

    def first_line_twips(self, font_size_pt: float) -> int:
        """Effective first-line indent in twips (one character = font size)."""
        if self.first_line_chars is not None:
            return round(self.first_line_chars / 100 * font_size_pt * 20)
        return self.first_line_twips_attr or 0

    @property
    def left_twips(self) -> int:
        return self._int("left") or self._int("start")


@dataclass(frozen=True)
class ResolvedRun:
    text: str
    ascii_font: str | None
    h_ansi_font: str | None
    east_asia_font: str | None
    size_pt: float | None
    bold: bool
    lang_east_asia: str | None


class ResolvedParagraph:
    """A paragraph's effective formatting (python-docx-like read-only proxy)."""

    def __init__(self, element, sheet: "Resolver"):
        self.element = element
        self._sheet = sheet
        ppr = element.find(qn("w:pPr"))
        pstyle = ppr.find(qn("w:pStyle")) if ppr is not None else None
        self.style_id = pstyle.get(qn("w:val")) if pstyle is not None else sheet.default_style_id
        self._chain = sheet.style_chain(self.style_id)
        levels = [sheet.default_ppr] + [s.find(qn("w:pPr")) for s in self._chain] + [ppr]
        self._ppr_levels = [lv for lv in levels if lv is not None]

    @property
    def style_name(self) -> str | None:
        return self._sheet.style_name(self.style_id)

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs)

    @property
    def alignment(self) -> str:
        val = "left"
        for lv in self._ppr_levels:
            jc = lv.find(qn("w:jc"))
            if jc is not None and jc.get(qn("w:val")):
                val = jc.get(qn("w:val"))
        return ALIGN_ALIASES.get(val, val)

    @property
    def indent(self) -> Indent:
        attrs: dict = {}
        for lv in self._ppr_levels:
            ind = lv.find(qn("w:ind"))
            if ind is not None:
                attrs.update({k.split("}")[1]: v for k, v in ind.attrib.items()})
        return Indent(attrs)

    @property
    def runs(self) -> list[ResolvedRun]:
        para_rpr = [s.find(qn("w:rPr")) for s in self._chain]
        return [self._sheet.resolve_run(r, para_rpr) for r in self.element.xpath(_RUN_PATH)]

    @property
    def size_pt(self) -> float | None:
        """Size of the paragraph's text (largest run with visible text)."""
        sizes = [r.size_pt for r in self.runs if r.text.strip() and r.size_pt]
        return max(sizes) if sizes else self._sheet.resolve_run(None, []).size_pt


class Resolver:
    """Formatting resolver over a document's styles, theme and settings XML."""

    def __init__(self, styles=None, theme=None, settings=None, body=None):
        self.body = body
        self.theme = Theme(theme)
        self._styles = {}
        self.default_style_id = None
        self.default_char_style_id = None
        self.default_rpr = self.default_ppr = None
        if styles is not None:
            for st in styles.findall(qn("w:style")):
                self._styles[st.get(qn("w:styleId"))] = st
                if st.get(qn("w:default")) in ("1", "true", "on"):
                    kind = st.get(qn("w:type"))
                    if kind == "paragraph":
                        self.default_style_id = st.get(qn("w:styleId"))
                    elif kind == "character":
                        self.default_char_style_id = st.get(qn("w:styleId"))
            self.default_rpr = styles.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}")
            self.default_ppr = styles.find(f"{qn('w:docDefaults')}/{qn('w:pPrDefault')}/{qn('w:pPr')}")
        lang = settings.find(qn("w:themeFontLang")) if settings is not None else None
        self.theme_ea_lang = lang.get(qn("w:eastAsia")) if lang is not None else None

    @classmethod
    def from_document(cls, document) -> "Resolver":
        """Build from a python-docx ``Document``."""
        part = document.part
        return cls(_part_xml(part, "/styles"), _part_xml(part, "/theme"),
                   _part_xml(part, "/settings"), document.element.body)

    def paragraphs(self) -> Iterator[ResolvedParagraph]:
        """Top-level body paragraphs, in order (same indices as ``doc.paragraphs``)."""
        for p in self.body.findall(qn("w:p")):
            yield ResolvedParagraph(p, self)

    def paragraph(self, paragraph) -> ResolvedParagraph:
        return ResolvedParagraph(getattr(paragraph, "_p", paragraph), self)

    def style_name(self, style_id: str | None) -> str | None:
        st = self._styles.get(style_id)
        name = st.find(qn("w:name")) if st is not None else None
        return name.get(qn("w:val")) if name is not None else style_id

    def style_chain(self, style_id: str | None) -> list:
        """The style and its ``basedOn`` ancestors, base first (cycle-safe)."""
        chain, seen = [], set()
        while style_id and style_id in self._styles and style_id not in seen:
            seen.add(style_id)
            st = self._styles[style_id]
            chain.append(st)
            based = st.find(qn("w:basedOn"))
            style_id = based.get(qn("w:val")) if based is not None else None
        return chain[::-1]

    def resolve_run(self, run, para_rprs: list) -> ResolvedRun:
        levels = [self.default_rpr, *para_rprs]
        rpr = run.find(qn("w:rPr")) if run is not None else None
        rstyle = rpr.find(qn("w:rStyle")) if rpr is not None else None
        char_id = rstyle.get(qn("w:val")) if rstyle is not None else self.default_char_style_id
        levels += [s.find(qn("w:rPr")) for s in self.style_chain(char_id)] + [rpr]
        fonts: dict[str, tuple[str, bool]] = {}
        size = lang = None
        bold = False
        for lv in (lv for lv in levels if lv is not None):
            rf = lv.find(qn("w:rFonts"))
            if rf is not None:
                for slot, theme_attr in FONT_SLOTS.items():
                    if rf.get(qn(f"w:{theme_attr}")):
                        fonts[slot] = (rf.get(qn(f"w:{theme_attr}")), True)
                    elif rf.get(qn(f"w:{slot}")):
                        fonts[slot] = (rf.get(qn(f"w:{slot}")), False)
            sz = lv.find(qn("w:sz"))
            if sz is not None and sz.get(qn("w:val")):
                size = int(sz.get(qn("w:val"))) / 2
            b = lv.find(qn("w:b"))
            if b is not None:
                bold = (b.get(qn("w:val")) or "1").lower() not in _FALSE
            lg = lv.find(qn("w:lang"))
            if lg is not None and lg.get(qn("w:eastAsia")):
                lang = lg.get(qn("w:eastAsia"))
        ea_lang = self.theme_ea_lang or lang

        def font(slot: str) -> str | None:
            if slot not in fonts:
                return None
            value, is_theme = fonts[slot]
            return self.theme.font(value, ea_lang) if is_theme else value

        return ResolvedRun(
            text=_run_text(run) if run is not None else "",
            ascii_font=font("ascii"), h_ansi_font=font("hAnsi"), east_asia_font=font("eastAsia"),
            size_pt=size if size is not None else 10.0,  # Word's default without sz: 10 pt
            bold=bold, lang_east_asia=lang,
        )


def _part_xml(part, reltype_suffix: str):
    """Root element of the part related to ``part`` by the given type, if any."""
    for rel in part.rels.values():
        if rel.reltype.endswith(reltype_suffix) and not rel.is_external:
            target = rel.target_part
            return target.element if hasattr(target, "element") else parse_xml(target.blob)
    return None


def _run_text(run) -> str:
    out = []
    for child in run:
        if child.tag == qn("w:t"):
            out.append(child.text or "")
        elif child.tag == qn("w:tab"):
            out.append("\t")
        elif child.tag in (qn("w:br"), qn("w:cr")):
            out.append("\n")
    return "".join(out)
