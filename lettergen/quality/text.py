"""Letter text for the wording checks: cheap extraction and normalisation.

Quality checks run per letter in batches of thousands, so the text is read
straight from ``word/document.xml`` with regular expressions (no python-docx).
Paragraph indexes count the body's top-level ``w:p`` elements, as
``python-docx``'s ``Document.paragraphs`` and the layout checker do; text in
tables (and other nested paragraphs) has ``index=None``.
"""
from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from html import unescape
from pathlib import Path

from .. import zipwriter

_TOKEN = re.compile(
    r"<w:tbl[ >]|</w:tbl>|<w:txbxContent[ >]|</w:txbxContent>"
    r"|<w:p(?:\s[^>]*)?/>|<w:p[ >]|</w:p>"
    r"|<w:t(?:\s[^>]*)?>([^<]*)</w:t>|<w:tab/>|<w:br(?:\s[^>]*)?/>"
)

# Full-width ASCII and the ideographic space, mapped to their ASCII forms
# (length-preserving, unlike NFKC, so positions still point into the original).
WIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
WIDTH[0x3000] = 0x20
WIDTH[0xFFE5] = 0xA5    # ￥ -> ¥
#: Characters ignored when matching phrases: spaces and punctuation.
SKIP = re.compile(r"[\s!-/:-@\[-`{-~、。，；：？！…—–·‘’“”「」『』（）《》〈〉【】〔〕〖〗￥¥]+")


@dataclass(frozen=True)
class Paragraph:
    """One paragraph's text; ``index`` as in ``Document.paragraphs`` or ``None`` (table, text box)."""

    index: int | None
    text: str


def docx_paragraphs(docx: bytes | str | Path) -> list[Paragraph]:
    """Paragraphs of the main document part, in order (empty ones skipped)."""
    if isinstance(docx, (bytes, bytearray)):
        return xml_paragraphs(zipwriter.read_part(bytes(docx), "word/document.xml").decode("utf-8"))
    with zipfile.ZipFile(docx) as zf:
        return xml_paragraphs(zf.read("word/document.xml").decode("utf-8"))


# Without text boxes paragraphs never nest: each is one match, its text read by C-level regexes.
_FLAT = re.compile(r"<w:tbl[ >]|</w:tbl>|<w:p(?:\s[^>]*)?/>|<w:p[ >][^<]*(?:<(?!/w:p>)[^<]*)*</w:p>")
_TEXT = re.compile(r"<w:t(?:\s[^>]*)?>([^<]*)</w:t>")
_BREAK = re.compile(r"<w:br(?:\s[^>]*)?/>")


def xml_paragraphs(xml: str) -> list[Paragraph]:
    """The paragraphs of a document part (see the module docstring)."""
    if "<w:txbxContent" in xml:
        return _nested_paragraphs(xml)
    out: list[Paragraph] = []
    tables = 0
    top = -1
    for m in _FLAT.finditer(xml):
        tok = m.group(0)
        if tok.startswith("<w:tbl"):
            tables += 1
        elif tok == "</w:tbl>":
            tables -= 1
        else:
            if not tables:
                top += 1
            if tok.endswith("</w:p>"):
                if "<w:tab/>" in tok:
                    tok = tok.replace("<w:tab/>", "<w:t>\t</w:t>")
                if "<w:br" in tok:
                    tok = _BREAK.sub("<w:t>\n</w:t>", tok)
                text = unescape("".join(_TEXT.findall(tok))).strip()
                if text:
                    out.append(Paragraph(None if tables else top, text))
    return out


def _nested_paragraphs(xml: str) -> list[Paragraph]:
    """:func:`xml_paragraphs` token by token, for parts whose paragraphs hold text boxes."""
    out: list[Paragraph] = []
    nested = 0          # depth of tables and text boxes
    top = -1            # index of the current top-level paragraph
    stack: list[tuple[int | None, list[str]]] = []
    for m in _TOKEN.finditer(xml):
        tok = m.group(0)
        if m.group(1) is not None:
            if stack:
                stack[-1][1].append(m.group(1))
        elif tok.startswith(("<w:tbl", "<w:txbxContent")):
            nested += 1
        elif tok.startswith(("</w:tbl", "</w:txbxContent")):
            nested -= 1
        elif tok.endswith("/>") and tok.startswith("<w:p"):
            if not nested and not stack:
                top += 1
        elif tok.startswith("<w:p"):
            index = None
            if not nested and not stack:
                top += 1
                index = top
            stack.append((index, []))
        elif tok == "</w:p>":
            if stack:
                index, parts = stack.pop()
                text = unescape("".join(parts)).strip()
                if text:
                    out.append(Paragraph(index, text))
        elif stack:  # tab or line break inside a paragraph, as python-docx reads them
            stack[-1][1].append("\t" if tok == "<w:tab/>" else "\n")
    return out


#: Runs of the characters WIDTH maps: a letter has a few dozen of them in a few hundred
#: characters, and ``str.translate`` with a dict looks up every character (25 µs a letter
#: against 8 µs for the runs; the wording and tone checks ask four times a letter).
_WIDE = re.compile("[" + re.escape("".join(map(chr, sorted(WIDTH)))) + "]+")


def widen(text: str) -> str:
    """Full-width letters, digits and ASCII punctuation to half-width (same length)."""
    return _WIDE.sub(_narrow, text)


def _narrow(run: re.Match[str]) -> str:
    return run.group().translate(WIDTH)


def compact(text: str) -> str:
    """Half-width text without spaces and punctuation, for phrase matching."""
    return SKIP.sub("", widen(text))


def excerpt(text: str, start: int, end: int, around: int = 10) -> str:
    """``text[start:end]`` with up to ``around`` characters either side."""
    lo, hi = max(start - around, 0), min(end + around, len(text))
    return ("…" if lo else "") + text[lo:hi] + ("…" if hi < len(text) else "")
