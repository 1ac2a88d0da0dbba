"""One combined .docx of a batch for printing (docxcompose).

Each letter starts on a new page; docxcompose maps styles by name, so the
house styles appear once, not once per letter.
"""
from __future__ import annotations

import io
from pathlib import Path

from docx import Document
from docxcompose.composer import Composer

from ..files import write_atomic


def combine_docx(paths: list[Path], out: Path) -> Path:
    if not paths:
        raise ValueError("no letters to combine")
    composer = Composer(Document(str(paths[0])))
    for path in paths[1:]:
        doc = Document(str(path))
        first = doc.paragraphs[0] if doc.paragraphs else doc.add_paragraph()
        first.paragraph_format.page_break_before = True
        composer.append(doc)
    buffer = io.BytesIO()
    composer.save(buffer)
    write_atomic(out, buffer.getvalue())
    return out
