"""The per-letter work of a batch, run in worker processes.

Workers inherit the compiled template from the parent (it is compiled before
the pool starts) and only render the tagged XML and write the zip per letter.
"""
from __future__ import annotations

import os
import signal
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..files import write_atomic
from ..letters import render_context
from ..rendering import CompiledTemplate

_template: CompiledTemplate | None = None


@dataclass
class Job:
    index: int
    number: str
    path: str
    context: dict[str, Any]


@dataclass
class Done:
    index: int
    number: str
    path: str
    sha256: str | None
    error: str | None = None


def init_worker(template: CompiledTemplate) -> None:
    global _template
    _template = template
    # Ctrl-C goes to the parent, which stops the pool; workers must not die mid-write.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_job(job: Job) -> Done:
    assert _template is not None
    try:
        docx = render_context(_template, job.context, job.number)
        digest = write_atomic(job.path, docx)
        return Done(job.index, job.number, job.path, digest)
    except Exception as exc:  # reported per letter; the batch goes on
        detail = str(exc).strip() or type(exc).__name__
        if os.environ.get("LETTERGEN_DEBUG"):
            detail += "\n" + traceback.format_exc()
        return Done(job.index, job.number, job.path, None, detail)


def output_exists(path: str) -> bool:
    return Path(path).is_file()
