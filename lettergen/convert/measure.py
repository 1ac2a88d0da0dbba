"""Measuring layout with LibreOffice: how many pages a .docx takes.

Used by the fitting step (:mod:`lettergen.housestyle.fit`).  One warm
:class:`~lettergen.convert.Converter` per process is kept for measuring and
closed when the process exits: by ``atexit``, or, in a batch's forked
worker (whose exit runs no ``atexit`` handlers), by multiprocessing's exit
finaliser; a worker that is killed instead leaves its office to the UNO
bridge, which ends it when the worker's pipe closes.
"""
from __future__ import annotations

import atexit
import multiprocessing.util
import os
import tempfile
import threading
import time
from pathlib import Path

from pypdf import PdfReader

from .converter import Converter, find_soffice, find_uno_python

_lock = threading.RLock()
_shared: dict[int, Converter] = {}
_uno_found: dict[tuple[str, str | None], bool] = {}


def can_measure() -> bool:
    """True when LibreOffice and a Python with ``uno`` are installed.

    Whether a Python can ``import uno`` is asked once per process and
    ``soffice`` path: asking starts a Python (tens of ms), and fitting asks for
    every letter."""
    where = (os.environ.get("PATH"), os.environ.get("LETTERGEN_SOFFICE"), os.environ.get("LETTERGEN_UNO_PYTHON"))
    asked = _measurable.get(where)
    if asked is not None and time.monotonic() - asked[0] < RECHECK_SECONDS:
        return asked[1]  # not a search of PATH for every letter of a service
    soffice = find_soffice()
    found = False
    if soffice is not None:
        key = (soffice, os.environ.get("LETTERGEN_UNO_PYTHON"))
        if key not in _uno_found:
            _uno_found[key] = find_uno_python(soffice) is not None
        found = _uno_found[key]
    _measurable[where] = (time.monotonic(), found)
    return found


RECHECK_SECONDS = 5.0  # LibreOffice installed or removed while a service runs: seen within this
_measurable: dict[tuple, tuple[float, bool]] = {}


def _converter() -> Converter:
    pid = os.getpid()
    with _lock:
        converter = _shared.get(pid)
        if converter is None:
            converter = _shared[pid] = Converter(timeout=60)
            atexit.register(converter.close)
            multiprocessing.util.Finalize(None, converter.close, exitpriority=10)
        return converter


def count_pages(docx: bytes) -> int:
    """Pages LibreOffice lays ``docx`` out on (with the project's fonts)."""
    with tempfile.TemporaryDirectory(prefix="lettergen-measure-") as tmp:
        src, pdf = Path(tmp) / "letter.docx", Path(tmp) / "letter.pdf"
        src.write_bytes(docx)
        with _lock:
            _converter().convert(src, pdf)
        return len(PdfReader(pdf).pages)
