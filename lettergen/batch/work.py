"""The per-letter work of a batch, run in worker processes (or in-process for one job).

The pool is forked before the spreadsheet is read, so workers inherit only
the compiled template, the kind's schema and the settings; each letter's
validation, computation, rendering, quality check and file write happen in
a worker, and only small results travel back.

Every record is validated once.  The worker that validates it appends the
normalised document and the template context (pickled) to its own spill
file in a private temporary folder, followed by what numbering needs (a
:class:`Registration`: date, customer, subject and the register's JSON
text), and returns where.  The batch process reads back only the
registration; the worker that renders the letter reads its context.  So
neither a second Cerberus pass nor the contexts of a whole sheet in memory
are needed, and the batch process never unpickles a context.
"""
from __future__ import annotations

import os
import pickle
import shutil
import signal
import tempfile
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Iterator

from ..config import Config
from ..errors import CheckFailed, InvalidInput
from ..files import write_unsynced
from ..housestyle.fit import FIT_KEY
from ..issuing import register_data
from ..letters import Prepared, prepare, render_context, render_with_text
from ..models import Problem
from ..register.entry import DumpedData, dump_data
from ..rendering import CompiledTemplate
from ..schemas import KindSchema

_state: dict[str, Any] = {}

#: Where a prepared letter was spilled: (spill file, offset, length of the letter, length of its registration).
Spilled = tuple[str, int, int, int]


@dataclass(slots=True)
class Registration:
    """What the batch process needs to number, name and register a letter (not its context):
    duck-types :class:`~lettergen.letters.Prepared` for ``reserve_spec`` and ``output_name``."""

    kind: KindSchema
    letter_date: date
    customer: str
    subject: str
    data: DumpedData  # register_data() as JSON text, made where the letter was validated


def registration(prepared: Prepared) -> Registration:
    return Registration(prepared.kind, prepared.letter_date, prepared.customer, prepared.subject,
                        DumpedData(dump_data(register_data(prepared))))


def _registration_blob(prepared: Prepared) -> bytes:
    r = registration(prepared)
    return pickle.dumps((r.letter_date, r.customer, r.subject, str(r.data)), pickle.HIGHEST_PROTOCOL)


def set_state(template: CompiledTemplate, kind: KindSchema, config: Config, strict: bool = False,
              spill_dir: str | None = None) -> None:
    close_spill()  # an earlier batch in this process
    _state.update(template=template, kind=kind, config=config, strict=strict, spill_dir=spill_dir)


SPILL_PREFIX = "lettergen-batch-"


@contextmanager
def spill_folder() -> Iterator[str]:
    """A private temporary folder for the batch's spill files, removed afterwards.

    Its name carries the batch process's pid; folders left by batches that
    were killed (their pid no longer runs) are removed first, so the letters'
    data does not linger in the temporary folder after a crash.
    """
    base = Path(tempfile.gettempdir())
    for stale in base.glob(SPILL_PREFIX + "*-*"):
        pid = stale.name[len(SPILL_PREFIX):].split("-")[0]
        try:
            if pid.isdigit() and stale.stat().st_uid == os.getuid() and not _running(int(pid)):
                shutil.rmtree(stale, ignore_errors=True)
        except OSError:
            continue
    with tempfile.TemporaryDirectory(prefix=f"{SPILL_PREFIX}{os.getpid()}-") as folder:
        yield folder


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def close_spill() -> None:
    if _state.pop("spill_pid", None) is not None:
        os.close(_state.pop("spill_fd"))


def init_worker(template: CompiledTemplate, kind: KindSchema, config: Config, strict: bool = False,
                spill_dir: str | None = None) -> None:
    set_state(template, kind, config, strict, spill_dir)
    # Ctrl-C goes to the parent, which stops the pool; workers must not die mid-write.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@dataclass
class Checked:
    """The validation outcome of one record (problems not yet placed on rows)."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    customer: str = ""
    spilled: Spilled | None = None


def _spill(letter: bytes, data: bytes) -> Spilled:
    """Append the pickled letter and register data to this process's spill file; where they went."""
    pid = os.getpid()
    if _state.get("spill_pid") != pid:  # first use in this process (a forked worker has its own file)
        path = os.path.join(_state["spill_dir"], f"{pid}.spill")
        _state.update(spill_pid=pid, spill_path=path,
                      spill_fd=os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), spill_end=0)
    offset = _state["spill_end"]
    os.write(_state["spill_fd"], letter + data)  # unbuffered: readable by every process at once
    _state["spill_end"] = offset + len(letter) + len(data)
    return _state["spill_path"], offset, len(letter), len(data)


def _read(path: str, length: int, offset: int) -> bytes:
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.pread(fd, length, offset)
    finally:
        os.close(fd)


def load_spilled(spilled: Spilled) -> tuple:
    """(document, context) a worker spilled for a valid record."""
    path, offset, length, _registration_length = spilled
    return pickle.loads(_read(path, length, offset))


def load_registration(kind: KindSchema, spilled: Spilled) -> Registration:
    """The :class:`Registration` a worker spilled for a valid record (its context is not read)."""
    path, offset, length, registration_length = spilled
    letter_date, customer, subject, data = pickle.loads(_read(path, registration_length, offset + length))
    return Registration(kind, letter_date, customer, subject, DumpedData(data))


def check_record(data: dict[str, Any]) -> Checked:
    """Validate one record and spill what issuing needs; with ``strict``, also render it and apply the quality gate."""
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
    if not checked.problems and _state.get("spill_dir"):
        # the register's JSON text is made here, in parallel, not in the batch process
        letter = pickle.dumps((prepared.document, prepared.context), pickle.HIGHEST_PROTOCOL)
        checked.spilled = _spill(letter, _registration_blob(prepared))
    return checked


def as_prepared(kind: KindSchema, spilled: Spilled) -> Prepared:
    """The spilled letter."""
    document, context = load_spilled(spilled)
    return Prepared(kind, document, context)


def fit_spilled(spilled: Spilled) -> dict[str, int] | None:
    """The fitted spacing of one spilled letter (:func:`lettergen.letters.fit_letter`), or None.

    Run in the workers, a chunk at a time before numbering: the pre-check and,
    for a letter it cannot clear, the LibreOffice measurement (each worker
    process its own warm office) happen on every core, not in the batch process.
    """
    from ..issuing import PLACEHOLDER_NUMBER
    from ..letters import fit_letter

    _document, context = load_spilled(spilled)
    fit_letter(_state["template"], context, _state["config"], PLACEHOLDER_NUMBER, trial=True)
    return context.get(FIT_KEY)


@dataclass
class Job:
    """One numbered letter to render; its context is read from the spill file by the worker."""

    index: int
    number: str
    path: str
    spilled: Spilled
    identity: dict[str, str] | None = None  # document properties naming the register
    fit: dict[str, int] | None = None  # the letter's fitted spacing (fit_spilled), stored in the register
    verify_code: str | None = None  # the register entry's, for the QR code of its check page


@dataclass
class Done:
    """A rendered letter, written under its temporary name ``part`` (not yet synced or renamed)."""

    index: int
    number: str
    path: str
    sha256: str | None
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    part: str | None = None


def run_job(job: Job) -> Done:
    """Render one numbered letter, note its wording/time-limit warnings, write it to a temporary name.

    The quality checks read the text the renderer produced (no reopening of
    the package).  Syncing and renaming into place happen a chunk at a time
    in the parent (:func:`lettergen.files.commit_parts`).
    """
    from ..quality import check_letter_quality

    try:
        _document, context = load_spilled(job.spilled)
        if job.fit:
            context[FIT_KEY] = job.fit
        docx, xml = render_with_text(_state["template"], context, job.number, job.identity, job.verify_code)
        kind = _state["kind"]
        notes = [str(f) for f in check_letter_quality(kind.kind, context, None, _state["config"], xml=xml)
                 if f.severity == "warning"]
        part, digest = write_unsynced(job.path, docx)
        return Done(job.index, job.number, job.path, digest, notes=notes, part=part)
    except Exception as exc:  # reported per letter; the batch goes on
        detail = str(exc).strip() or type(exc).__name__
        if os.environ.get("LETTERGEN_DEBUG"):
            detail += "\n" + traceback.format_exc()
        return Done(job.index, job.number, job.path, None, detail)
