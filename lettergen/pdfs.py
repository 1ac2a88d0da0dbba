"""PDF copies of issued letters, recorded in the register beside the .docx.

The conversion itself is :mod:`lettergen.convert` (the only LibreOffice
user); this module decides which files to convert and registers the results.
"""
from __future__ import annotations

from pathlib import Path

from .config import Config
from .convert import ConverterPool, merge_pdfs
from .errors import ConfigError, ConversionError
from .files import sha256_file
from .register import Register


def pdf_path_for(docx: str | Path) -> Path:
    return Path(docx).with_suffix(".pdf")


def archival(config: Config) -> bool:
    """``[pdf] archival = true``: PDFs are PDF/A-2b (GB/T 23286 = ISO 19005-2)."""
    value = config.section("pdf").get("archival", False)
    if not isinstance(value, bool):
        raise ConfigError(f"配置项 pdf.archival 应为 true 或 false，当前为 {value!r}")
    return value


def convert_issued(register: Register, numbers_and_paths: list[tuple[str, str]], *, timeout: float = 60.0,
                   merge_to: Path | None = None, instances: int | None = None, pdfa: bool = False) -> list[tuple[str, str]]:
    """Convert each letter's .docx to PDF (``instances`` warm LibreOffices, default one per core), record path and hash.

    Returns ``(number, reason)`` for each failure; the batch goes on past them.
    With ``pdfa`` the PDFs are PDF/A-2b (a merged file is an ordinary PDF).
    With ``merge_to``, the PDFs that exist are merged in the given (register) order.
    """
    failures: list[tuple[str, str]] = []
    pairs = [(Path(p), pdf_path_for(p)) for _, p in numbers_and_paths]
    with ConverterPool(instances, timeout=timeout, pdfa=pdfa) as pool:
        results = pool.convert_many(pairs)
    for (number, _), result in zip(numbers_and_paths, results):
        if result.ok:
            register.set_pdf(number, str(result.target), sha256_file(result.target))
        else:
            failures.append((number, result.error or "转换失败"))
    if merge_to is not None:
        done = [r.target for r in results if r.ok]
        if not done:
            raise ConversionError("没有可合并的 PDF")
        merge_pdfs(done, merge_to)
    return failures
