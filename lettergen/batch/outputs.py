"""A whole batch as users run it: the letters plus everything written beside them.

:func:`generate` is what ``lettergen batch`` calls: it runs the batch, then
writes the manifest, the error report, the combined document and the PDFs.
An invalid sheet still gets its error report, and nothing else.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..config import Config
from ..errors import InputFileError, InvalidInput
from ..issuing import open_register
from ..models import Problem
from .combine import combine_docx
from .report import write_error_report, write_manifest
from .run import BatchResult, run_batch


def pdf_instances(config: Config) -> int | None:
    """``[pdf] instances``: warm LibreOffices converting in parallel (0 or unset: one per core)."""
    return int(config.section("pdf").get("instances") or 0) or None

NOTHING_DONE = "未生成任何信函，也未占用文号"


@dataclass
class BatchOutputs:
    """Files written beside the letters (None when not asked for or not needed)."""

    manifest_csv: Path | None = None
    manifest_json: Path | None = None
    error_report: Path | None = None
    combined_docx: Path | None = None
    combined_pdf: Path | None = None
    pdf_failures: list[tuple[str, str]] = field(default_factory=list)


def generate(kind: str, source: Path, config: Config, out_dir: Path, *, combine: Path | None = None,
             pdf: bool = False, combine_pdf: Path | None = None, **options) -> tuple[BatchResult, BatchOutputs]:
    """Run a batch (``options`` as :func:`run_batch`) and write its manifest, reports and print files.

    Raises :class:`InvalidInput` / :class:`InputFileError` (naming the error
    report) when the sheet is invalid and nothing was generated, and
    :class:`~lettergen.errors.ConversionError` before anything is numbered
    when PDFs are asked for (``pdf`` or ``combine_pdf``) and LibreOffice is missing.
    """
    pdf = pdf or combine_pdf is not None
    if pdf and not options.get("dry_run"):
        from ..convert import require_converter

        require_converter()
    try:
        result = run_batch(kind, source, config, out_dir, **options)
    except InvalidInput as exc:
        report = write_error_report(exc.problems, out_dir / "errors.csv")
        raise InvalidInput(exc.problems, source=f"{source}（{NOTHING_DONE}；错误报告：{report}）") from None
    except InputFileError as exc:
        report = write_error_report([Problem("", "文件", exc.reason)], out_dir / "errors.csv")
        raise InputFileError(exc.path, f"{exc.reason}（{NOTHING_DONE}；错误报告：{report}）") from None
    outputs = BatchOutputs()
    if result.dry_run:
        return result, outputs
    outputs.manifest_csv, outputs.manifest_json = write_manifest(result, out_dir)
    if result.problems:
        outputs.error_report = write_error_report(result.problems, out_dir / "errors.csv")
    written = [r for r in result.iter_results() if r.status in ("issued", "kept") and r.path] if combine or pdf else []
    if combine and written:
        outputs.combined_docx = combine_docx([Path(r.path) for r in written], combine)
    if pdf and written:
        from ..pdfs import archival, convert_issued  # PDF support only when asked for

        in_register_order = sorted(written, key=lambda r: r.number_sort)
        with open_register(config) as register:
            outputs.pdf_failures = convert_issued(register, [(r.number, r.path) for r in in_register_order],
                                                  merge_to=combine_pdf, instances=pdf_instances(config),
                                                  pdfa=archival(config))
        outputs.combined_pdf = combine_pdf
    return result, outputs
