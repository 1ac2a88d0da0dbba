"""One combined .docx of a batch for printing (docxcompose).

Each letter starts on a new page; docxcompose maps styles by name, so the
house styles appear once, not once per letter.
"""
from __future__ import annotations

import io
from pathlib import Path

from ..files import write_atomic


def combine_docx(paths: list[Path], out: Path) -> Path:
    """Write the letters at ``paths`` as one document at ``out``, each on a new page."""
    from docx import Document  # imported when needed: keeps every other command quick to start
    from docxcompose.composer import Composer

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
