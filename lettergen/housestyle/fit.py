"""Fitting: a letter that overflows its last page by a little is set tighter.

GB/T 9704-2012 §7.3.5.1 adjusts line and character spacing rather than leave
the closing alone on a page.  A letter's *fit* is the spacing it is set with:
the profile's line spacing (28 pt exact, 1.5 lines …) reduced in
``profile.fit_steps`` steps down to ``profile.fit_line_min`` (fangsong: 23 pt, song:
20 pt), the paragraph spacing (after the number and title, before the
signature) shrinking with it down to half; a last step also sets the characters
5 % closer (character spacing, also named by §7.3.5.1).  :func:`choose_fit` tries the steps
in order, measuring each with a page counter (LibreOffice, see
:mod:`lettergen.convert.measure`), and takes the first that saves a page;
when none does, the letter keeps its spacing and runs onto another page
(its closing still kept with the last lines of the body).

The chosen fit is plain data (``{"line": 500, "para_pct": 67, "char": 0}``) stored in the
letter's context under :data:`FIT_KEY`, so the register keeps it and a
reissue regenerates the same bytes without measuring again.
:func:`apply_fit` writes it into the .docx's styles, so Word, LibreOffice and
the PDF all lay the letter out the same way.
"""
from __future__ import annotations

import io
import zipfile
from typing import Callable

from docx.oxml.ns import qn
from lxml import etree

from .. import zipwriter
from .profiles import Profile

FIT_KEY = "layout_fit"
STYLES_PART = "word/styles.xml"
CONDENSE_PCT = 5


def fit_ladder(profile: Profile) -> list[dict[str, int]]:
    """The tighter spacings to try, from the least to the most tightening."""
    if profile.line_exact_pt:
        base, low = profile.line_exact_pt * 20, profile.fit_line_min * 20
    else:
        base, low = profile.line_multiple * 240, profile.fit_line_min * 240
    steps = max(profile.fit_steps, 1)
    ladder = [
        {"line": round(base - (base - low) * k / steps), "para_pct": round(100 - 50 * k / steps), "char": 0}
        for k in range(1, steps + 1)
    ]
    condensed = -round(profile.body_size_pt * 20 * CONDENSE_PCT / 100)  # twentieths of a point
    return ladder + [{**ladder[-1], "char": condensed}]


def choose_fit(render: Callable[[dict | None], bytes], count_pages: Callable[[bytes], int],
               profile: Profile, plain: bytes | None = None) -> dict[str, int] | None:
    """The least tightening of ``profile``'s ladder that puts the letter on fewer
    pages, or None (the letter already fits, or no step saves a page).
    ``plain`` is ``render(None)`` when the caller has it already."""
    pages = count_pages(render(None) if plain is None else plain)
    if pages <= 1:
        return None
    for fit in fit_ladder(profile):
        if count_pages(render(fit)) < pages:
            return fit
    return None


def apply_fit(docx: bytes, fit: dict | None) -> bytes:
    """``docx`` with its body line spacing and paragraph spacing set to ``fit``.

    Every paragraph spacing in the styles that uses the document's default line
    spacing takes ``fit["line"]``; spacing before and after paragraphs is scaled
    by ``fit["para_pct"]``.  Styles with their own line spacing (tables, headers)
    are left alone.  The package is rewritten deterministically.
    """
    if not fit:
        return docx
    with zipfile.ZipFile(io.BytesIO(docx)) as zf:
        entries = [(info.filename, zf.read(info)) for info in zf.infolist()]
    parts = [zipwriter.compress(name, _fit_styles(blob, fit) if name == STYLES_PART else blob)
             for name, blob in entries]
    return zipwriter.build(parts)


def _fit_styles(xml: bytes, fit: dict) -> bytes:
    root = etree.fromstring(xml)
    default = root.find(f"{qn('w:docDefaults')}/{qn('w:pPrDefault')}/{qn('w:pPr')}/{qn('w:spacing')}")
    base = (default.get(qn("w:line")), default.get(qn("w:lineRule"))) if default is not None else None
    pct = int(fit.get("para_pct", 100))
    if fit.get("char"):
        rpr = root.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}")
        condense = etree.SubElement(rpr, qn("w:spacing"))
        condense.set(qn("w:val"), str(int(fit["char"])))
        size = rpr.find(qn("w:sz"))
        if size is not None:  # the schema's order: w:spacing before w:sz
            size.addprevious(condense)
    for spacing in root.iter(qn("w:spacing")):
        if spacing.getparent().tag == qn("w:rPr"):
            continue
        if base and (spacing.get(qn("w:line")), spacing.get(qn("w:lineRule"))) == base:
            spacing.set(qn("w:line"), str(int(fit["line"])))
        for attr in ("w:before", "w:after"):
            value = spacing.get(qn(attr))
            if value is not None:
                spacing.set(qn(attr), str(int(value) * pct // 100))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
