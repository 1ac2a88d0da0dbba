"""Measuring layout with LibreOffice: how many pages a .docx takes.

Used by the fitting step (:mod:`lettergen.housestyle.fit`).  One warm
:class:`~lettergen.convert.Converter` per process is kept for measuring and
closed when the process exits (batches measure in the main process, not in
their forked workers, whose exit runs no ``atexit`` handlers).
"""
from __future__ import annotations

import atexit
import os
import tempfile
import threading
from pathlib import Path

from pypdf import PdfReader

from .converter import Converter, find_soffice, find_uno_python

_lock = threading.RLock()
_shared: dict[int, Converter] = {}


def can_measure() -> bool:
    """True when LibreOffice and a Python with ``uno`` are installed."""
    soffice = find_soffice()
    return soffice is not None and find_uno_python(soffice) is not None


def _converter() -> Converter:
    pid = os.getpid()
    with _lock:
        converter = _shared.get(pid)
        if converter is None:
            converter = _shared[pid] = Converter(timeout=60)
            atexit.register(converter.close)
        return converter


def count_pages(docx: bytes) -> int:
    """Pages LibreOffice lays ``docx`` out on (with the project's fonts)."""
    with tempfile.TemporaryDirectory(prefix="lettergen-measure-") as tmp:
        src, pdf = Path(tmp) / "letter.docx", Path(tmp) / "letter.pdf"
        src.write_bytes(docx)
        with _lock:
            _converter().convert(src, pdf)
        return len(PdfReader(pdf).pages)
