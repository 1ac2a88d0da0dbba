"""Paragraph and character formatting as the layout bound of :mod:`.estimate` needs it.

:class:`Styles` resolves a ``styles.xml``'s paragraph styles through ``basedOn``
into :class:`Para` (spacing, indents, font size, character spacing, the Latin
face); :func:`run_size` and :func:`latin_font` read a run's own properties.
Formatting the bound does not model (page breaks before, lists, frames,
spacing in lines, scaled or raised characters, table styles that format text)
is recorded or raises :class:`~.linebreak.Unknown`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from docx.oxml.ns import qn as _qn
from lxml import etree

from .linebreak import Unknown

qn = lru_cache(maxsize=None)(_qn)  # Clark names, computed once
_REFUSED_PPR = {qn(t) for t in ("w:pageBreakBefore", "w:numPr", "w:framePr", "w:sectPr")}


def twips(el, attr: str, default: float = 0.0) -> float:
    value = el.get(qn(attr)) if el is not None else None
    return float(value) if value is not None else default


@dataclass
class Para:
    """A paragraph's resolved properties (twips; sizes in points)."""

    before: float = 0.0
    after: float = 0.0
    line: float = 240.0
    rule: str = "auto"
    left: float = 0.0
    right: float = 0.0
    first: float = 0.0  # first-line indent; negative = hanging
    size: float = 10.0
    extra: float = 0.0  # character spacing, pt
    contextual: bool = False  # no spacing between paragraphs of the same style
    latin: str = ""  # the font of Latin letters and digits
    refused: set[str] = field(default_factory=set)

    def merged(self, ppr, rpr) -> "Para":
        out = Para(**{**self.__dict__, "refused": set(self.refused)})
        if ppr is not None:
            out.refused |= {child.tag for child in ppr if child.tag in _REFUSED_PPR}
            sp = ppr.find(qn("w:spacing"))
            if sp is not None:
                if any(sp.get(qn(a)) is not None for a in ("w:beforeLines", "w:afterLines",
                                                           "w:beforeAutospacing", "w:afterAutospacing")):
                    out.refused.add("spacing in lines")
                out.before, out.after = twips(sp, "w:before", out.before), twips(sp, "w:after", out.after)
                out.line = twips(sp, "w:line", out.line)
                out.rule = sp.get(qn("w:lineRule")) or ("auto" if sp.get(qn("w:line")) else out.rule)
            ctx = ppr.find(qn("w:contextualSpacing"))
            if ctx is not None:
                out.contextual = ctx.get(qn("w:val"), "1") not in ("0", "false")
            ind = ppr.find(qn("w:ind"))
            if ind is not None:
                out._indents(ind)
        if rpr is not None:
            out.size, out.extra = run_size(rpr, out.size, out.extra)
            out.latin = latin_font(rpr, out.latin)
        return out

    def _indents(self, ind) -> None:
        size_tw = self.size * 20
        for side, chars in (("left", "leftChars"), ("right", "rightChars")):
            for name in (f"w:{side}", f"w:{'start' if side == 'left' else 'end'}"):
                setattr(self, side, twips(ind, name, getattr(self, side)))
            if ind.get(qn(f"w:{chars}")) is not None:
                setattr(self, side, max(getattr(self, side), twips(ind, f"w:{chars}") / 100 * size_tw))
        if ind.get(qn("w:hanging")) is not None or ind.get(qn("w:hangingChars")) is not None:
            self.first = -max(twips(ind, "w:hanging"), twips(ind, "w:hangingChars") / 100 * size_tw)
        elif ind.get(qn("w:firstLine")) is not None or ind.get(qn("w:firstLineChars")) is not None:
            self.first = max(twips(ind, "w:firstLine"), twips(ind, "w:firstLineChars") / 100 * size_tw)


def latin_font(rpr, font: str) -> str:
    """The Latin face ``rpr`` sets (its ``w:ascii`` and ``w:hAnsi`` fonts must agree), else ``font``."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None or (fonts.get(qn("w:ascii")) is None and fonts.get(qn("w:hAnsi")) is None):
        return font
    ascii_, hansi = fonts.get(qn("w:ascii")), fonts.get(qn("w:hAnsi"))
    return ascii_ if ascii_ == hansi else ""


def run_size(rpr, size: float, extra: float) -> tuple[float, float]:
    """The font size and character spacing (pt) ``rpr`` sets over ``size`` and ``extra``."""
    for child in rpr:
        if child.tag == qn("w:sz"):
            size = twips(child, "w:val") / 2
        elif child.tag == qn("w:spacing"):
            extra = twips(child, "w:val") / 20
        elif child.tag in (qn("w:w"), qn("w:position"), qn("w:fitText")) and twips(child, "w:val", 100) != 100:
            raise Unknown("scaled or raised characters")
    return size, extra


class Styles:
    """The paragraph and character styles of one ``styles.xml``, resolved through basedOn."""

    def __init__(self, xml: bytes):
        root = etree.fromstring(xml)
        defaults = root.find(qn("w:docDefaults"))
        base = Para()
        if defaults is not None:
            base = base.merged(None, defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}"))
            base = base.merged(defaults.find(f"{qn('w:pPrDefault')}/{qn('w:pPr')}"), None)
        self.default = base
        self._raw = {(s.get(qn("w:type")), s.get(qn("w:styleId"))): s for s in root.findall(qn("w:style"))}
        self._defaults = {s.get(qn("w:type")): s.get(qn("w:styleId"))
                          for s in root.findall(qn("w:style")) if s.get(qn("w:default")) in ("1", "true")}
        self._resolved: dict[str, Para] = {}

    def paragraph(self, style_id: str | None) -> Para:
        key = style_id or self._defaults.get("paragraph")
        if key not in self._resolved:
            self._resolved[key] = self._resolve(key, 0)
        return self._resolved[key]

    def _resolve(self, style_id: str | None, depth: int) -> Para:
        style = self._raw.get(("paragraph", style_id))
        if style is None or depth > 20:
            return self.default
        parent_el = style.find(qn("w:basedOn"))
        parent = self._resolve(parent_el.get(qn("w:val")), depth + 1) if parent_el is not None else self.default
        return parent.merged(None, style.find(qn("w:rPr"))).merged(style.find(qn("w:pPr")), None)

    def character(self, style_id: str, size: float, extra: float) -> tuple[float, float]:
        style = self._raw.get(("character", style_id))
        if style is None:
            return size, extra
        parent = style.find(qn("w:basedOn"))
        if parent is not None:
            size, extra = self.character(parent.get(qn("w:val")), size, extra)
        rpr = style.find(qn("w:rPr"))
        return run_size(rpr, size, extra) if rpr is not None else (size, extra)

    def table(self, style_id: str | None):
        """The ``w:tblPr`` elements of a table style and its bases, nearest last."""
        chain, seen = [], set()
        while style_id and style_id not in seen:
            seen.add(style_id)
            style = self._raw.get(("table", style_id))
            if style is None:
                break
            if style.find(qn("w:pPr")) is not None or style.find(qn("w:rPr")) is not None \
                    or style.find(qn("w:tblStylePr")) is not None:
                raise Unknown("table style with text formatting")
            chain.insert(0, style.find(qn("w:tblPr")))
            based = style.find(qn("w:basedOn"))
            style_id = based.get(qn("w:val")) if based is not None else None
        default = self._defaults.get("table")
        if default and ("table", default) in self._raw and not chain:
            chain.append(self._raw[("table", default)].find(qn("w:tblPr")))
        return [el for el in chain if el is not None]
