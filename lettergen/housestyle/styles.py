"""Write a profile's page setup and LG styles into a python-docx Document.

python-docx's ``font.name`` sets only ``w:ascii``/``w:hAnsi``; Chinese text
uses ``w:eastAsia``, and any ``w:*Theme`` attribute overrides explicit names
in Word.  So fonts are written here as raw ``w:rFonts`` at every level
(docDefaults, Normal, each LG style) and theme attributes are stripped.
"""
from __future__ import annotations

from docx.document import Document
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from lxml import etree

from .profiles import Profile, mm_to_twips

THEME_ATTRS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")
A4_TWIPS = (11906, 16838)

# name -> (basedOn name, overrides).  Overrides keys: jc, indent ("chars2" |
# "left2" | "none"), bold, font ("title" | None), size ("title" | "table" |
# "footer" | None), before/after (in lines of the profile), single (single
# line spacing), contextual, keep_next (attachments, closing, signature and
# date stay on one page with the last lines of the body).
STYLE_SPECS: dict[str, tuple[str, dict]] = {
    "LG Plain": ("Normal", {"jc": "left", "indent": "none"}),
    "LG Body": ("LG Plain", {"indent": "chars2"}),
    "LG Heading": ("LG Body", {"bold": True, "keep_next": True}),
    "LG Field": ("LG Plain", {"indent": "left2"}),
    "LG Number": ("LG Plain", {"jc": "right", "after": 1}),
    "LG Title": ("LG Plain", {"jc": "center", "font": "title", "size": "title", "after": 1}),
    "LG Salutation": ("LG Plain", {}),
    "LG Closing": ("LG Body", {"keep_next": True}),
    "LG Regards": ("LG Plain", {"keep_next": True}),
    "LG Attachment": ("LG Body", {"keep_next": True}),
    "LG Signature": ("LG Plain", {"jc": "right", "before": 1, "contextual": True, "keep_next": True}),
    "LG Date": ("LG Plain", {"jc": "right"}),
    "LG Table Text": ("LG Plain", {"size": "table", "single": True}),
    "LG Table Header": ("LG Table Text", {"jc": "center", "bold": True, "size": "table"}),
    "LG Control": ("LG Plain", {}),
    "LG Header": ("LG Plain", {"jc": "right", "size": "table", "single": True}),
    "LG Footer": ("LG Plain", {"jc": "center", "size": "footer", "single": True}),
}
TABLE_STYLE = "LG Table"
KEEP_STYLE_IDS = {"Normal", "DefaultParagraphFont", "TableNormal", "NoList"}


def style_id(name: str) -> str:
    return name.replace(" ", "")


def _el(tag: str, **attrs: str):
    el = OxmlElement(tag)
    for key, value in attrs.items():
        el.set(qn(f"w:{key}"), str(value))
    return el


def _rpr(profile: Profile, *, font: str | None = None, size_pt: float | None = None,
         bold: bool = False):
    rpr = OxmlElement("w:rPr")
    latin = profile.latin_font
    rpr.append(_el("w:rFonts", ascii=latin, hAnsi=latin, eastAsia=font or profile.body_font,
                   cs=latin))
    if bold:
        rpr.append(_el("w:b"))
        rpr.append(_el("w:bCs"))
    half = str(round((size_pt or profile.body_size_pt) * 2))
    rpr.append(_el("w:sz", val=half))
    rpr.append(_el("w:szCs", val=half))
    rpr.append(_el("w:lang", val="en-US", eastAsia="zh-CN", bidi="ar-SA"))
    return rpr


def line_twips(profile: Profile) -> int:
    if profile.line_exact_pt:
        return round(profile.line_exact_pt * 20)
    return round(profile.body_size_pt * profile.line_multiple * 20)


def _spacing(profile: Profile, before: float = 0, after: float = 0):
    if profile.line_exact_pt:
        line, rule = line_twips(profile), "exact"
    else:
        line, rule = round(240 * profile.line_multiple), "auto"
    return _el("w:spacing", before=round(before * line_twips(profile)),
               after=round(after * line_twips(profile)), line=line, lineRule=rule)


def _ppr(profile: Profile, spec: dict):
    ppr = OxmlElement("w:pPr")  # children in the schema's order
    if spec.get("keep_next"):
        ppr.append(_el("w:keepNext"))
    if spec.get("single"):
        ppr.append(_el("w:spacing", before=0, after=0, line=240, lineRule="auto"))
    elif "before" in spec or "after" in spec:
        ppr.append(_spacing(profile, spec.get("before", 0), spec.get("after", 0)))
    if spec.get("indent") == "chars2":
        ppr.append(_el("w:ind", firstLineChars=200, firstLine=profile.first_line_twips))
    elif spec.get("indent") == "left2":
        ppr.append(_el("w:ind", leftChars=200, left=profile.first_line_twips, firstLineChars=0, firstLine=0))
    elif spec.get("indent") == "none":
        ppr.append(_el("w:ind", firstLineChars=0, firstLine=0, left=0, right=0))
    if spec.get("contextual"):
        ppr.append(_el("w:contextualSpacing"))
    if "jc" in spec:
        ppr.append(_el("w:jc", val=spec["jc"]))
    return ppr


def _new_style(kind: str, name: str, based_on: str | None):
    st = _el("w:style", type=kind, customStyle=1, styleId=style_id(name))
    st.append(_el("w:name", val=name))
    if based_on:
        st.append(_el("w:basedOn", val=style_id(based_on)))
    if kind == "paragraph":
        st.append(_el("w:qFormat"))
    return st


def apply_profile(doc: Document, profile: Profile) -> None:
    """Page setup, doc defaults, Normal and the LG styles for ``profile``."""
    _page_setup(doc, profile)
    styles = doc.styles.element
    for st in list(styles.findall(qn("w:style"))):
        if st.get(qn("w:styleId")) not in KEEP_STYLE_IDS:
            styles.remove(st)
    _set_doc_defaults(styles, profile)
    normal = doc.styles["Normal"].element
    for tag in ("w:pPr", "w:rPr"):
        old = normal.find(qn(tag))
        if old is not None:
            normal.remove(old)
    normal.append(_ppr(profile, {"before": 0, "after": 0}))
    normal.append(_rpr(profile))
    for name, (based_on, spec) in STYLE_SPECS.items():
        st = _new_style("paragraph", name, based_on)
        ppr = _ppr(profile, spec)
        if len(ppr):
            st.append(ppr)
        title = spec.get("font") == "title"
        st.append(_rpr(profile, font=profile.title_font if title else None,
                       size_pt=_size(profile, spec.get("size")),
                       bold=spec.get("bold", False) or (title and profile.title_bold)))
        styles.append(st)
    styles.append(_table_style())
    strip_theme_fonts(styles)
    _settings(doc)
    _font_table(doc, profile)


def _size(profile: Profile, size: str | None) -> float | None:
    if size == "title":
        return profile.title_size_pt
    if size == "table" or (size == "footer" and profile.page_number_style == "song"):
        return profile.table_size_pt
    return None  # the body size (GB/T 9704 page numbers: 四号, as the body)


def strip_theme_fonts(root) -> None:
    """Remove ``w:*Theme`` font attributes below ``root`` (they beat names in Word)."""
    for rfonts in root.iter(qn("w:rFonts")):
        for attr in THEME_ATTRS:
            rfonts.attrib.pop(qn(attr), None)


def _set_doc_defaults(styles, profile: Profile) -> None:
    defaults = styles.find(qn("w:docDefaults"))
    if defaults is not None:
        styles.remove(defaults)
    defaults = OxmlElement("w:docDefaults")
    rpr_default = OxmlElement("w:rPrDefault")
    rpr_default.append(_rpr(profile))
    ppr_default = OxmlElement("w:pPrDefault")
    ppr_default.append(OxmlElement("w:pPr"))
    ppr_default[0].append(_el("w:widowControl"))
    ppr_default[0].append(_spacing(profile))
    defaults.append(rpr_default)
    defaults.append(ppr_default)
    styles.insert(0, defaults)


def _table_style():
    st = _new_style("table", TABLE_STYLE, "Table Normal")
    st.find(qn("w:basedOn")).set(qn("w:val"), "TableNormal")
    tblpr = OxmlElement("w:tblPr")
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        borders.append(_el(f"w:{side}", val="single", sz=4, space=0, color="auto"))
    tblpr.append(borders)
    margins = OxmlElement("w:tblCellMar")
    for side, width in (("top", 28), ("left", 108), ("bottom", 28), ("right", 108)):
        margins.append(_el(f"w:{side}", w=width, type="dxa"))
    tblpr.append(margins)
    st.append(tblpr)
    return st


def _page_setup(doc: Document, profile: Profile) -> None:
    sect = doc.sections[0]._sectPr
    sect.attrib.clear()
    for child in list(sect):
        sect.remove(child)
    sect.append(_el("w:pgSz", w=mm_to_twips(profile.page_width_mm),
                    h=mm_to_twips(profile.page_height_mm)))
    m = profile.margins_twips()
    sect.append(_el("w:pgMar", top=m["top"], right=m["right"], bottom=m["bottom"],
                    left=m["left"], header=851, footer=mm_to_twips(profile.footer_mm), gutter=0))
    sect.append(_el("w:cols", space=425))
    sect.append(_el("w:docGrid", linePitch=line_twips(profile)))


def _settings(doc: Document) -> None:
    settings = doc.settings.element
    lang = settings.find(qn("w:themeFontLang"))
    if lang is not None:
        lang.set(qn("w:eastAsia"), "zh-CN")
    rsids = settings.find(qn("w:rsids"))
    if rsids is not None:
        settings.remove(rsids)


def _font_table(doc: Document, profile: Profile) -> None:
    """Declare the CJK fonts with GB2312 charset so substitutes pick CJK faces."""
    part = next(r.target_part for r in doc.part.rels.values() if r.reltype.endswith("/fontTable"))
    root = parse_xml(part.blob)
    known = {f.get(qn("w:name")) for f in root.findall(qn("w:font"))}
    family = {profile.body_font: "roman", profile.title_font: "modern"}
    for name, fam in family.items():
        if name in known:
            continue
        font = _el("w:font", name=name)
        font.append(_el("w:charset", val="86"))
        font.append(_el("w:family", val=fam))
        font.append(_el("w:pitch", val="variable"))
        root.append(font)
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
