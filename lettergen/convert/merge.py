"""One combined PDF of many letters, for printing in one go."""
from __future__ import annotations

import os
import uuid
from pathlib import Path

from ..errors import ConversionError


def merge_pdfs(paths: list[Path], out: Path) -> None:
    """Concatenate ``paths`` into ``out`` in the given order (written atomically)."""
    from pypdf import PdfWriter  # imported when needed: keeps every other command quick to start
    from pypdf.errors import PyPdfError

    out = Path(out)
    if not paths:
        raise ConversionError(f"无法生成合并文件 {out}：没有可合并的 PDF")
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(f".{out.stem}.{uuid.uuid4().hex[:8]}.part.pdf")
    writer = PdfWriter()
    try:
        for path in paths:
            try:
                writer.append(str(path))
            except (OSError, PyPdfError) as exc:
                raise ConversionError(f"无法合并 {path}：{exc}") from None
        with open(part, "wb") as fh:
            writer.write(fh)
        os.replace(part, out)
    finally:
        writer.close()
        part.unlink(missing_ok=True)
