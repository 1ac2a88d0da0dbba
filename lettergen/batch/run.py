"""Running a batch: validate everything, then number, render and register in order.

Numbers are reserved in input order, a chunk at a time, in one transaction
per chunk; each chunk's letters render in parallel (``jobs`` processes)
while the previous chunk is synced to disk and marked issued together.  An
interrupted batch leaves reserved entries whose files either exist
(completed on the next run) or not (voided on the next run); re-running the
same command keeps every letter already issued for the same input rows
(recognised by their source key).
"""
from __future__ import annotations

import multiprocessing
import os
import secrets
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterator

from .. import interrupts
from ..config import Config
from ..errors import InvalidInput
from ..files import commit_parts
from ..identity import check_register, letter_identity
from ..housestyle.fit import FIT_KEY
from ..issuing import PLACEHOLDER_NUMBER, open_register, output_name, recover, register_data, reserve_spec
from ..letters import Prepared, fit_mode, render_context, template_for
from ..models import Problem
from ..numbering import numbering_for
from ..preflight import check_config, check_filename_pattern, check_output_folder
from ..register import ISSUED, RESERVED, SUPERSEDED, Register
from ..schemas import load_kind
from ..sources import NameSet
from .plan import PlannedLetter, plan_batch
from .work import Done, Job, close_spill, fit_spilled, init_worker, run_job, set_state, spill_folder

CHUNK = 100  # letters reserved per transaction; an interruption voids at most this many


@dataclass(slots=True)
class LetterResult:
    """What happened to one input record."""

    letter: PlannedLetter
    status: str  # issued | kept | invalid | failed | planned
    number: str = ""
    path: str = ""
    message: str = ""
    seq: int = 0
    notes: list[str] = field(default_factory=list)  # wording / time-limit warnings

    @property
    def number_sort(self) -> tuple:
        """Register order: by number sequence, not by text."""
        return (self.number.split("〔")[0], self.seq, self.number)


@dataclass
class BatchResult:
    batch_id: str
    kind: str
    results: list[LetterResult] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    recovered: int = 0
    dry_run: bool = False

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def ok(self) -> bool:
        return not self.problems and self.count("failed") == 0


def new_batch_id() -> str:
    return datetime.now().strftime("B%Y%m%d-%H%M%S-") + secrets.token_hex(2)


def _kept(entry, letter: PlannedLetter) -> LetterResult | None:
    if entry is None or entry.status != ISSUED:
        return None
    return LetterResult(letter, "kept", entry.number, entry.output_path or "", "此前已签发，保留原文号与文件", entry.seq)


def run_batch(
    kind: str,
    source: Path,
    config: Config,
    out_dir: Path,
    *,
    sheet: str | None = None,
    group_by: str | None = None,
    jobs: int | None = None,
    skip_invalid: bool = False,
    dry_run: bool = False,
    strict: bool = False,
    progress: Callable[[int, int], None] | None = None,
    register: Register | None = None,
    actor: str | None = None,
) -> BatchResult:
    """Validate every row of ``source``, then issue its letters into ``out_dir``.

    With invalid rows and not ``skip_invalid``, :class:`InvalidInput` is raised
    before anything is numbered or written.  ``strict`` also refuses letters
    with wording or time-limit warnings, at validation time.  ``progress(done,
    total)`` is called as letters are issued.  ``actor`` (``key:NAME``) is
    recorded as who issued the letters.
    """
    out_dir = Path(out_dir).resolve()
    kind_schema = load_kind(config.schemas_dir, kind)
    template = template_for(config, kind)
    jobs = jobs or os.cpu_count() or 1
    own_register = register is None
    with spill_folder() as spill_dir, \
            _workers(jobs, template, kind_schema, config, strict, spill_dir) as mapper:
        plan = plan_batch(kind_schema, source, config, sheet=sheet, group_by=group_by, mapper=mapper)
        result = BatchResult(new_batch_id(), kind, dry_run=dry_run)
        result.problems = plan.problems
        result.warnings = [p for p in plan.file_problems if p.severity == "warning"]
        for letter in plan.letters:
            result.warnings += letter.warnings
        if result.problems and not skip_invalid:
            raise InvalidInput(result.problems, source=str(source))
        register = register or open_register(config)
        try:
            check_register(register, config, [out_dir, config.output_dir])
            if not dry_run:
                # before looking for kept letters: a letter whose file was written by an
                # interrupted run is completed here and then kept, not issued twice
                result.recovered = len(recover(register))
                _remove_stale_parts(register, out_dir)
            pending: list[PlannedLetter] = []
            earlier = register.find_by_source_keys(kind, (l.record.source_key for l in plan.letters if l.ok))
            for letter in plan.letters:
                if not letter.ok:
                    result.results.append(LetterResult(letter, "invalid", message="；".join(str(p) for p in letter.problems)))
                    continue
                kept = _kept(earlier.get(letter.record.source_key), letter)
                if kept:
                    result.results.append(kept)
                else:
                    pending.append(letter)
            trial = b""
            if pending:
                # a template that cannot render this data must fail before numbers are taken
                trial = render_context(template, pending[0].prepared(kind_schema)[0].context, PLACEHOLDER_NUMBER)
            check_config(config)
            check_filename_pattern(config.filename_pattern)  # a settings error must not cost numbers
            if dry_run:
                result.results += _would_issue(kind_schema, pending, config, register)
                return result
            check_output_folder(out_dir, len(pending), len(trial))
            used = NameSet(p.name for p in out_dir.iterdir())
            _issue(kind_schema, pending, result, config, register, template, out_dir, used, mapper, progress, actor)
        finally:
            if own_register:
                register.close()
    order = {id(letter): i for i, letter in enumerate(plan.letters)}
    result.results.sort(key=lambda r: order[id(r.letter)])
    return result


class _Ready:
    """A result computed already (one job: letters are rendered in this process)."""

    def __init__(self, value: list):
        self.value = value

    def get(self) -> list:
        return self.value


class _Mapper:
    """``map`` over the workers (or in-process), and ``submit`` to start a map and collect it later."""

    def __init__(self, pool=None):
        self.pool = pool

    def __call__(self, func: Callable, items) -> list:
        if self.pool is None:
            return list(map(func, items))
        # imap streams: the inputs of a 10,000-row sheet are never all pickled at once
        return list(self.pool.imap(func, items, chunksize=16))

    def submit(self, func: Callable, items: list):
        if self.pool is None:
            return _Ready(list(map(func, items)))
        return self.pool.map_async(func, items, chunksize=8)


@contextmanager
def _workers(jobs: int, template, kind, config, strict: bool, spill_dir: str) -> Iterator[_Mapper]:
    """A ``map`` over worker processes (forked now, before the sheet is read), or in-process."""
    if jobs <= 1:
        set_state(template, kind, config, strict, spill_dir)
        try:
            yield _Mapper()
        finally:
            close_spill()
        return
    pool = multiprocessing.get_context("fork").Pool(jobs, initializer=init_worker,
                                                    initargs=(template, kind, config, strict, spill_dir))
    try:
        yield _Mapper(pool)
    except BaseException:
        pool.terminate()
        pool.join()
        raise
    pool.close()
    pool.join()


def _prepared_chunks(kind, pending) -> Iterator[tuple[list[PlannedLetter], list[tuple[Prepared, dict]]]]:
    """The pending letters CHUNK at a time, each with its prepared letter and register data (as validated, read back)."""
    for start in range(0, len(pending), CHUNK):
        chunk = pending[start:start + CHUNK]
        yield chunk, [letter.prepared(kind) for letter in chunk]


def _would_issue(kind, pending, config, register) -> list[LetterResult]:
    """The numbers a real run would give, in input order, without taking any."""
    counters: dict[tuple[str, int], int] = {}
    planned = []
    for chunk, prepared_chunk in _prepared_chunks(kind, pending):
        for letter, (prepared, _data) in zip(chunk, prepared_chunk):
            key, make_number = numbering_for(config, kind.kind, prepared.letter_date.year)
            slot = (key, prepared.letter_date.year)
            if slot not in counters:
                counters[slot] = register.last_seq(*slot)
            counters[slot] += 1
            planned.append(LetterResult(letter, "planned", make_number(counters[slot]), seq=counters[slot]))
    return planned


def _remove_stale_parts(register: Register, out_dir: Path) -> None:
    """Delete temporary files of writers killed mid-write, when no letter is being issued."""
    if out_dir.is_dir() and not register.list(status=RESERVED):
        for part in out_dir.glob(".~*.part"):
            part.unlink(missing_ok=True)


def _issue(kind, pending, result, config, register, template, out_dir, used, mapper, progress, actor) -> None:
    """Number, render and register ``pending`` a chunk at a time, one chunk ahead.

    While the workers render chunk k+1, this process reserves the numbers of
    the next chunk and settles chunk k (sync, rename, mark issued), so
    neither side waits for the other.  An interruption leaves at most two
    chunks reserved; the next run completes or voids them.
    """
    done = 0
    register_id = register.register_id
    in_flight = None
    for chunk, prepared in _prepared_chunks(kind, pending):
        interrupts.check()  # a Ctrl-C swallowed by a finaliser still stops the batch here
        fits = {}
        if fit_mode(config) != "off":  # measured by the workers, in parallel
            for i, fit in enumerate(mapper(fit_spilled, [letter.spilled for letter in chunk])):
                if fit:  # kept with the register's data (reissues) and sent to the worker that renders it
                    p = prepared[i][0]
                    p.context[FIT_KEY] = fits[i] = fit
                    prepared[i] = (p, register_data(p))
        specs = [reserve_spec(config, p, template.name, template.sha256, data=data, actor=actor,
                              batch_id=result.batch_id, source_key=l.record.source_key) for l, (p, data) in zip(chunk, prepared)]
        entries, taken = register.claim_many(specs)  # rows another run claimed meanwhile are kept, not issued twice
        for i, entry in taken.items():
            why = (f"此前已签发，并已由 {entry.superseded_by} 订正" if entry.status == SUPERSEDED
                   else "同时运行的另一批次已为此行签发，保留其文号")
            result.results.append(LetterResult(chunk[i], "kept", entry.number, entry.output_path or "", why, entry.seq))
        seqs = {e.number: e.seq for e in entries}
        jobs_ = []
        for i, entry in zip([i for i in range(len(chunk)) if i not in taken], entries):
            p, _data = prepared[i]
            name = output_name(config, p, entry.number, entry.seq, used)
            jobs_.append(Job(i, entry.number, str(out_dir / name), chunk[i].spilled, letter_identity(entry, register_id),
                             fits.get(i), entry.verify_code))
        del prepared, specs
        register.plan_outputs([(j.number, j.path) for j in jobs_])
        started = (mapper.submit(run_job, jobs_), chunk, seqs)
        if in_flight is not None:
            done += _settle(*in_flight, result, register, out_dir)
            if progress:
                progress(done, len(pending))
        in_flight = started
    if in_flight is not None:
        done += _settle(*in_flight, result, register, out_dir)
        if progress:
            progress(done, len(pending))


def _settle(rendering, chunk: list[PlannedLetter], seqs: dict[str, int], result: BatchResult, register: Register,
            out_dir: Path) -> int:
    """Wait for a chunk's letters, put them in place durably, then record them; how many."""
    done: list[Done] = rendering.get()
    # durable under their final names before the register says issued (see lettergen.files)
    commit_parts([(d.part, d.path) for d in done if d.error is None], out_dir)
    register.mark_issued_many([(d.number, d.path, d.sha256) for d in done if d.error is None])
    for d in done:
        letter = chunk[d.index]
        if d.error is None:
            result.results.append(LetterResult(letter, "issued", d.number, d.path, seq=seqs[d.number], notes=d.notes))
        else:
            register.mark_void(d.number, f"签发失败：{d.error}")
            result.results.append(LetterResult(letter, "failed", d.number, "", d.error, seqs[d.number]))
    return len(chunk)  # kept rows of the chunk count as done too
