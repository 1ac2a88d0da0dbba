"""The per-letter work of a batch, run in worker processes (or in-process for one job).

The pool is forked before the spreadsheet is read, so workers inherit only
the compiled template, the kind's schema and the settings; each letter's
validation, computation, rendering, quality check and file write happen in
a worker, and only small results travel back.
"""
from __future__ import annotations

import os
import signal
import traceback
from dataclasses import dataclass, field
from typing import Any

from ..config import Config
from ..errors import CheckFailed, InvalidInput
from ..files import write_atomic
from ..letters import Prepared, prepare, render_context
from ..models import Problem
from ..rendering import CompiledTemplate
from ..schemas import KindSchema

_state: dict[str, Any] = {}


def set_state(template: CompiledTemplate, kind: KindSchema, config: Config, strict: bool = False) -> None:
    _state.update(template=template, kind=kind, config=config, strict=strict)


def init_worker(template: CompiledTemplate, kind: KindSchema, config: Config, strict: bool = False) -> None:
    set_state(template, kind, config, strict)
    # Ctrl-C goes to the parent, which stops the pool; workers must not die mid-write.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@dataclass
class Checked:
    """The validation outcome of one record (problems not yet placed on rows)."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    customer: str = ""


def check_record(data: dict[str, Any]) -> Checked:
    """Validate one record; with ``strict``, also render it and apply the quality gate."""
    from ..issuing import PLACEHOLDER_NUMBER, quality_gate

    try:
        prepared = prepare(_state["kind"], data, _state["config"])
    except InvalidInput as exc:
        return Checked(exc.problems)
    checked = Checked(warnings=prepared.warnings, customer=prepared.customer)
    if _state["strict"]:
        docx = render_context(_state["template"], prepared.context, PLACEHOLDER_NUMBER)
        try:
            quality_gate(prepared, docx, _state["config"], strict=True)
        except CheckFailed as exc:
            checked.problems = [Problem("", "措辞与时限", str(f)) for f in exc.findings]
    return checked


def prepare_record(data: dict[str, Any]) -> tuple[dict, dict, list[Problem]]:
    """The validated document and template context of a record already checked valid."""
    prepared = prepare(_state["kind"], data, _state["config"])
    return prepared.document, prepared.context, prepared.warnings


def as_prepared(kind: KindSchema, parts: tuple[dict, dict, list[Problem]]) -> Prepared:
    document, context, warnings = parts
    return Prepared(kind, document, context, warnings)


@dataclass
class Job:
    index: int
    number: str
    path: str
    context: dict[str, Any]
    identity: dict[str, str] | None = None  # document properties naming the register


@dataclass
class Done:
    index: int
    number: str
    path: str
    sha256: str | None
    error: str | None = None
    notes: list[str] = field(default_factory=list)


def run_job(job: Job) -> Done:
    """Render one numbered letter, note its wording/time-limit warnings, write it."""
    from ..quality import check_letter_quality

    try:
        docx = render_context(_state["template"], job.context, job.number, job.identity)
        kind = _state["kind"]
        notes = [str(f) for f in check_letter_quality(kind.kind, job.context, docx, _state["config"]) if f.severity == "warning"]
        digest = write_atomic(job.path, docx)
        return Done(job.index, job.number, job.path, digest, notes=notes)
    except Exception as exc:  # reported per letter; the batch goes on
        detail = str(exc).strip() or type(exc).__name__
        if os.environ.get("LETTERGEN_DEBUG"):
            detail += "\n" + traceback.format_exc()
        return Done(job.index, job.number, job.path, None, detail)
