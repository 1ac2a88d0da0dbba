"""Running a batch: validate everything, then number, render and register in order.

Numbers are reserved in input order, a chunk at a time, in one transaction
per chunk; each chunk's letters render in parallel (``jobs`` processes) and
are then marked issued together.  An interrupted batch leaves reserved
entries whose files either exist (completed on the next run) or not (voided
on the next run); re-running the same command keeps every letter already
issued for the same input rows (recognised by their source key).
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

from ..config import Config
from ..errors import InvalidInput
from ..issuing import PLACEHOLDER_NUMBER, check_filename_pattern, open_register, output_name, recover, reserve_spec
from ..letters import render_context, template_for
from ..models import Problem
from ..numbering import numbering_for
from ..register import ISSUED, RESERVED, Register
from ..schemas import load_kind
from ..sources import NameSet
from .plan import PlannedLetter, plan_batch
from .work import Done, Job, as_prepared, init_worker, prepare_record, run_job, set_state

CHUNK = 100  # letters reserved per transaction; an interruption voids at most this many


@dataclass
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
    with _workers(jobs, template, kind_schema, config, strict) as mapper:
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
            if pending:
                # a template that cannot render this data must fail before numbers are taken
                render_context(template, pending[0].prepare(kind_schema, config).context, PLACEHOLDER_NUMBER)
            if dry_run:
                result.results += _would_issue(kind_schema, pending, config, register, mapper)
                return result
            check_filename_pattern(config.filename_pattern)  # a settings error must not cost numbers
            out_dir.mkdir(parents=True, exist_ok=True)
            used = NameSet(p.name for p in out_dir.iterdir())
            _issue(kind_schema, pending, result, config, register, template, out_dir, used, mapper, progress, actor)
        finally:
            if own_register:
                register.close()
    order = {id(letter): i for i, letter in enumerate(plan.letters)}
    result.results.sort(key=lambda r: order[id(r.letter)])
    return result


@contextmanager
def _workers(jobs: int, template, kind, config, strict: bool) -> Iterator[Callable]:
    """A ``map`` over worker processes (forked now, before the sheet is read), or in-process."""
    if jobs <= 1:
        set_state(template, kind, config, strict)
        yield lambda func, items: list(map(func, items))
        return
    pool = multiprocessing.get_context("fork").Pool(jobs, initializer=init_worker, initargs=(template, kind, config, strict))
    try:
        # imap streams: the inputs of a 10,000-row sheet are never all pickled at once
        yield lambda func, items: list(pool.imap(func, items, chunksize=16))
    except BaseException:
        pool.terminate()
        pool.join()
        raise
    pool.close()
    pool.join()


def _prepared_chunks(kind, pending, mapper) -> Iterator[tuple[list[PlannedLetter], list]]:
    """The pending letters CHUNK at a time, each with its prepared letter (computed by the workers)."""
    for start in range(0, len(pending), CHUNK):
        chunk = pending[start:start + CHUNK]
        yield chunk, [as_prepared(kind, parts) for parts in mapper(prepare_record, [l.record.data for l in chunk])]


def _would_issue(kind, pending, config, register, mapper) -> list[LetterResult]:
    """The numbers a real run would give, in input order, without taking any."""
    counters: dict[tuple[str, int], int] = {}
    planned = []
    for chunk, prepared_chunk in _prepared_chunks(kind, pending, mapper):
        for letter, prepared in zip(chunk, prepared_chunk):
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
    done = 0
    for chunk, prepared in _prepared_chunks(kind, pending, mapper):
        specs = [reserve_spec(config, p, template.name, template.sha256, actor=actor,
                              batch_id=result.batch_id, source_key=l.record.source_key) for l, p in zip(chunk, prepared)]
        entries = register.reserve_many(specs)
        seqs = {e.number: e.seq for e in entries}
        jobs_ = []
        for i, (p, entry) in enumerate(zip(prepared, entries)):
            name = output_name(config, p, entry.number, entry.seq, used)
            jobs_.append(Job(i, entry.number, str(out_dir / name), p.context))
        del prepared, specs
        register.plan_outputs([(j.number, j.path) for j in jobs_])
        _settle(mapper(run_job, jobs_), chunk, result, register, seqs)
        done += len(chunk)
        if progress:
            progress(done, len(pending))


def _settle(done: list[Done], chunk: list[PlannedLetter], result: BatchResult, register: Register, seqs: dict[str, int]) -> None:
    register.mark_issued_many([(d.number, d.path, d.sha256) for d in done if d.error is None])
    for d in done:
        letter = chunk[d.index]
        if d.error is None:
            result.results.append(LetterResult(letter, "issued", d.number, d.path, seq=seqs[d.number], notes=d.notes))
        else:
            register.mark_void(d.number, f"签发失败：{d.error}")
            result.results.append(LetterResult(letter, "failed", d.number, "", d.error, seqs[d.number]))
