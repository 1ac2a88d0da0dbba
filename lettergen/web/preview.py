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
import shutil
import subprocess
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..config import Config
from ..convert import Converter, find_soffice
from ..errors import ConversionError
from ..quality.text import docx_paragraphs

HTML_NOTICE = "本机未安装 LibreOffice（或 pdftoppm），以下为近似预览（纯文本排版）；打印效果以签发后的 PDF 为准。"
DPI = 80
_CACHE_SIZE = 32


@dataclass
class Preview:
    """``mode`` is ``"pdf"`` (``pages``: PNG data URLs) or ``"html"`` (``paragraphs`` and a ``notice``)."""

    mode: str
    pages: list[str] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    notice: str = ""

    def as_json(self) -> dict:
        return {"mode": self.mode, "pages": self.pages, "paragraphs": self.paragraphs, "notice": self.notice}


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
                result = Preview("html", paragraphs=[p.text for p in docx_paragraphs(docx)], notice=HTML_NOTICE)
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
