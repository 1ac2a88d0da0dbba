"""Live preview of a draft: page images of its real PDF, or an HTML approximation.

The PDF comes from one warm LibreOffice per server process
(:class:`lettergen.convert.Converter`, used under a lock as it is not
thread-safe), the page images from poppler's ``pdftoppm``.  Results are cached
by the draft's bytes, so an unchanged form costs nothing.  When LibreOffice
or pdftoppm is missing (or ``[web] preview = "html"``) the preview is the
letter's paragraphs as HTML text, with a notice saying so.
"""
from __future__ import annotations

import base64
import hashlib
import io
import shutil
import subprocess
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.table import Table
from docx.text.paragraph import Paragraph

from ..config import Config
from ..convert import Converter, find_soffice
from ..errors import ConversionError

HTML_NOTICE = "本机未安装 LibreOffice（或 pdftoppm），以下为近似预览（HTML，版式仅供参考）；打印效果以签发后的 PDF 为准。"
DPI = 80
_CACHE_SIZE = 32


@dataclass
class Preview:
    """``mode`` is ``"pdf"`` (``pages``: PNG data URLs) or ``"html"`` (``blocks`` and a ``notice``).

    A block is ``{"type": "p", "text", "align", "bold"}`` or ``{"type": "table", "rows"}``.
    """

    mode: str
    pages: list[str] = field(default_factory=list)
    blocks: list[dict] = field(default_factory=list)
    notice: str = ""

    def as_json(self) -> dict:
        return {"mode": self.mode, "pages": self.pages, "blocks": self.blocks, "notice": self.notice}


_ALIGN = {WD_ALIGN_PARAGRAPH.CENTER: "center", WD_ALIGN_PARAGRAPH.RIGHT: "right",
          WD_ALIGN_PARAGRAPH.JUSTIFY: "justify", WD_ALIGN_PARAGRAPH.DISTRIBUTE: "justify"}


def html_blocks(docx: bytes) -> list[dict]:
    """The letter's body in order, as paragraphs (alignment, bold) and tables: the text preview."""
    document = Document(io.BytesIO(docx))
    blocks: list[dict] = []
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph = Paragraph(child, document)
            if not paragraph.text.strip():
                continue
            style = paragraph.style.paragraph_format if paragraph.style is not None else None
            align = paragraph.alignment if paragraph.alignment is not None else (style.alignment if style else None)
            bold = any(run.bold for run in paragraph.runs if run.text.strip()) or bool(
                paragraph.style is not None and paragraph.style.font.bold)
            blocks.append({"type": "p", "text": paragraph.text, "align": _ALIGN.get(align, "left"), "bold": bold})
        elif tag == "tbl":
            rows = [[cell.text for cell in row.cells] for row in Table(child, document).rows]
            blocks.append({"type": "table", "rows": rows})
    return blocks


class Previewer:
    """Turns .docx bytes into a :class:`Preview`; one per server process."""

    def __init__(self, config: Config):
        wanted = str(config.section("web").get("preview", "auto"))
        self.pdf_possible = wanted != "html" and find_soffice() is not None and shutil.which("pdftoppm") is not None
        self._lock = threading.Lock()
        self._converter: Converter | None = None
        self._cache: OrderedDict[str, Preview] = OrderedDict()
        self._warming = False

    def warm_up(self, make_docx: Callable[[], bytes]) -> None:
        """Start the office in the background, once, while a person is still filling the form."""
        if not self.pdf_possible or self._converter is not None or self._warming:
            return
        self._warming = True
        threading.Thread(target=lambda: self.preview(make_docx()), name="lettergen-preview-warm-up",
                         daemon=True).start()

    def preview(self, docx: bytes) -> Preview:
        key = hashlib.sha256(docx).hexdigest()
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            result = self._pdf_pages(docx) if self.pdf_possible else None
            if result is None:
                result = Preview("html", blocks=html_blocks(docx), notice=HTML_NOTICE)
            self._cache[key] = result
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
            return result

    def _office(self) -> Converter:
        if self._converter is None:
            self._converter = Converter(timeout=30.0)
        return self._converter

    def _pdf_pages(self, docx: bytes) -> Preview | None:
        with tempfile.TemporaryDirectory(prefix="lettergen-preview-") as tmp:
            folder = Path(tmp)
            (folder / "draft.docx").write_bytes(docx)
            try:
                self._office().convert(folder / "draft.docx", folder / "draft.pdf")
                subprocess.run(["pdftoppm", "-r", str(DPI), "-png", str(folder / "draft.pdf"), str(folder / "page")],
                               check=True, capture_output=True, timeout=30)
            except (ConversionError, subprocess.SubprocessError, OSError):
                return None
            pages = sorted(folder.glob("page*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[-1]))
            return Preview("pdf", pages=["data:image/png;base64," + base64.b64encode(p.read_bytes()).decode()
                                         for p in pages])

    def close(self) -> None:
        if self._converter is not None:
            self._converter.close()
