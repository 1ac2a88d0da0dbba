"""Batch jobs: a CSV / Excel sheet uploaded once, issued in the background, reported from the register.

:func:`submit_batch` stores the sheet and checks it as ``lettergen batch
--dry-run`` would (bad files and invalid rows are refused before anything is
numbered); :func:`run_job` runs the batch exactly as the CLI does and
records progress and results in the register's database.  A job whose
process died is run again from the start: the batch's resume by source key
keeps the letters already issued, so there is no gap and no duplicate.

``run_job(job_id)`` is all a runner needs: the embedded runner calls it in a
thread of the server; a Celery task would call the same function.
"""
from __future__ import annotations

import logging
import secrets
import shutil
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

from .batch import generate
from .batch.run import run_batch
from .config import Config
from .errors import InputFileError, InvalidInput, LettergenError
from .files import open_atomic
from .register import Register
from .register.jobs import JobState, JobStore
from .sources.readers import EXCEL_SUFFIXES

log = logging.getLogger("lettergen.jobs")
SOURCE_SUFFIXES = {".csv", *EXCEL_SUFFIXES}
OPTION_NAMES = ("sheet", "group_by", "skip_invalid", "strict", "combine", "pdf", "combine_pdf")
#: Result files of a job, by the name clients ask for.
RESULT_FILES = {"manifest.csv": "letters/manifest.csv", "manifest.json": "letters/manifest.json",
                "errors.csv": "letters/errors.csv", "letters.zip": "letters.zip",
                "combined.docx": "combined.docx", "combined.pdf": "combined.pdf"}


def jobs_dir(config: Config) -> Path:
    return config.path(config.service("data_dir")) / "jobs"


def submit_batch(kind: str, filename: str, content: bytes, options: dict[str, Any], *, config: Config,
                 register: Register, actor: str | None = None) -> JobState:
    """Store an uploaded sheet and queue its batch; invalid files or rows raise and leave nothing."""
    suffix = Path(filename or "").suffix.lower()
    if suffix not in SOURCE_SUFFIXES:
        raise InputFileError(filename or "（未命名）", "只接受 .csv 或 .xlsx 文件")
    options = {k: v for k, v in options.items() if k in OPTION_NAMES and v not in (None, "", False)}
    job_id = datetime.now().strftime("J%Y%m%d-%H%M%S-") + secrets.token_hex(3)
    work = jobs_dir(config) / job_id
    source = work / f"source{suffix}"
    with open_atomic(source) as fh:
        fh.write(content)
    try:
        trial = run_batch(kind, source, config, work / "trial", jobs=1, dry_run=True, register=register,
                          **_batch_options(options))
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    store = JobStore(register)
    store.create(job_id, kind=kind, options=options, source_name=Path(filename).name, work_dir=str(work), actor=actor)
    store.progress(job_id, 0, trial.count("planned"))
    return store.get(job_id)


def _batch_options(options: dict[str, Any]) -> dict[str, Any]:
    return {k: options.get(k) or None if k in ("sheet", "group_by") else bool(options.get(k))
            for k in ("sheet", "group_by", "skip_invalid", "strict")}


def run_job(job_id: str, *, config: Config, register: Register) -> JobState:
    """Run (or finish, after a restart) the batch of ``job_id``; its state ends ``done`` or ``failed``."""
    store = JobStore(register)
    job = store.get(job_id)
    if job.finished:
        return job
    store.start(job_id)
    work = Path(job.work_dir)
    source = next(work.glob("source.*"))
    out = work / "letters"
    opts = job.options
    try:
        result, outputs = generate(
            job.kind, source, config, out, combine=work / "combined.docx" if opts.get("combine") else None,
            pdf=bool(opts.get("pdf")), combine_pdf=work / "combined.pdf" if opts.get("combine_pdf") else None,
            jobs=int(config.service("batch_jobs")), register=register, actor=job.actor,
            progress=lambda done, total: store.progress(job_id, done, total), **_batch_options(opts))
    except LettergenError as exc:
        store.fail(job_id, _error(exc))
        return store.get(job_id)
    except Exception as exc:  # noqa: BLE001 (a job must end in a state, not vanish)
        log.exception("batch job %s failed", job_id)
        store.fail(job_id, {"message": f"批量任务意外失败：{type(exc).__name__}"})
        return store.get(job_id)
    _zip_letters(work / "letters.zip", [Path(r.path) for r in result.iter_results() if r.path])
    summary = {
        "batch_id": result.batch_id, "issued": result.count("issued"), "kept": result.count("kept"),
        "invalid": result.count("invalid"), "failed": result.count("failed"), "recovered": result.recovered,
        "letters": [{"rows": r.letter.rows, "status": r.status, "number": r.number, "customer": r.letter.customer,
                     "message": r.message} for r in result.iter_results()],
        "pdf_failures": [{"number": n, "reason": why} for n, why in outputs.pdf_failures],
        "files": sorted(name for name, rel in RESULT_FILES.items() if (work / rel).is_file()),
    }
    total = result.count("issued") + result.count("kept")
    store.progress(job_id, total, total)
    if result.count("failed"):
        store.fail(job_id, {"message": f"{result.count('failed')} 封信函生成失败，其文号已作废并注明原因"}, summary)
    else:
        store.finish(job_id, summary)
    return store.get(job_id)


def _error(exc: LettergenError) -> dict[str, Any]:
    error: dict[str, Any] = {"message": exc.message}
    if isinstance(exc, InvalidInput):
        error["problems"] = [{"path": p.path, "label": p.label, "message": p.message, "row": p.row,
                              "column": p.column, "text": str(p)} for p in exc.problems]
    return error


def _zip_letters(target: Path, files: list[Path]) -> None:
    with open_atomic(target) as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED) as package:
        for path in files:  # .docx are zip packages already: storing them again is enough
            if path.is_file():
                package.write(path, path.name)
                pdf = path.with_suffix(".pdf")
                if pdf.is_file():
                    package.write(pdf, pdf.name)


def result_file(job: JobState, name: str) -> Path | None:
    """The result file ``name`` (see :data:`RESULT_FILES`) of a job, if it exists."""
    rel = RESULT_FILES.get(name)
    path = Path(job.work_dir) / rel if rel else None
    return path if path is not None and path.is_file() else None


def job(job_id: str, *, register: Register) -> JobState:
    return JobStore(register).get(job_id)


def orphaned_jobs(*, register: Register) -> list[JobState]:
    """Unfinished jobs whose process died, now claimed by this process (to be run again)."""
    return JobStore(register).claim_orphans()
