"""Reading and validating a whole spreadsheet before anything is generated."""
from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from .. import interrupts
from ..config import Config
from ..letters import Prepared
from ..models import Problem
from ..schemas import KindSchema, load_kind
from ..spilled import DigestMap
from ..sources import Field, Limits, Record, read_records
from .work import Registration, Spilled, as_prepared, check_record, load_registration, set_state


@dataclass(slots=True)
class PlannedLetter:
    """One input record (one or more rows): valid or not, and what is wrong.

    The prepared letter is not kept in memory (it must not grow with the
    batch): the worker that validated it spilled it to a file, ``spilled``
    says where, and :meth:`prepared` reads it back when its turn comes.  A
    valid record's cells are then dropped (``record.data`` becomes empty).
    """

    record: Record
    valid: bool = False
    customer: str = ""
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    spilled: Spilled | None = None

    def prepared(self, kind: KindSchema) -> Prepared:
        """The validated letter, read back from the spill file."""
        return as_prepared(kind, self.spilled)

    def registration(self, kind: KindSchema) -> Registration:
        """What numbering and the register need of the letter, read back from the spill file."""
        return load_registration(kind, self.spilled)

    @property
    def rows(self) -> str:
        rows = self.record.rows
        return str(rows[0]) if len(rows) == 1 else f"{rows[0]}-{rows[-1]}" if rows == list(range(rows[0], rows[-1] + 1)) else ",".join(map(str, rows))

    @property
    def ok(self) -> bool:
        return self.valid and not self.problems


@dataclass
class Plan:
    kind: KindSchema
    letters: list[PlannedLetter]
    file_problems: list[Problem]
    encoding: str | None

    @property
    def problems(self) -> list[Problem]:
        found = [p for p in self.file_problems if p.severity == "error"]
        for letter in self.letters:
            found += letter.problems
        return sorted(found, key=lambda p: (p.row or 0, p.column or ""))


def source_fields(kind: KindSchema) -> list[Field]:
    """The spreadsheet columns a kind understands: leaves and containers, with labels."""
    infos = kind.fields()
    paths = {f.path for f in infos}
    return [Field(f.path, f.label, f.aliases) for f in infos if f.path + "[]" not in paths]


def _locate(problem: Problem, record: Record) -> Problem:
    """Put a validation problem at the spreadsheet row and column it came from."""
    path = problem.path
    generic = ".".join(p for p in path.split(".") if not p.isdigit())
    index = next((int(p) for p in path.split(".") if p.isdigit()), None)
    column = None
    for candidate in (path, generic.replace(".", "[].", 1) if index is not None else generic, generic):
        column = record.columns.get(candidate) or column
    if column is None:  # a missing field: name the column it would have
        column = None
    rows = record.rows
    row = rows[index] if index is not None and index < len(rows) else rows[0]
    return problem.with_location(row, column)


def plan_batch(kind: str | KindSchema, path: Path, config: Config, *, sheet: str | None = None,
               group_by: str | None = None, mapper: Callable | None = None) -> Plan:
    """Read ``path`` and validate every record; nothing is written or numbered.

    ``mapper`` (``pool.imap``) validates the records in worker processes set up
    by :func:`lettergen.batch.work.init_worker`; by default they are validated here.
    The whole plan is kept in memory: a batch streams it instead (:func:`stream_plan`).
    """
    stream = stream_plan(kind, path, config, sheet=sheet, group_by=group_by, mapper=mapper)
    letters = list(stream)
    return Plan(stream.kind, letters, stream.file_problems, stream.encoding)


#: Records handed out for validation and not yet taken back, at most.  ``Pool.imap`` reads its
#: input as fast as the workers take it and keeps their results until they are asked for, so
#: while this process lagged behind its workers a whole sheet's records and results piled up
#: (100,000 rows: the batch process peaked 33 MB higher than for 1,000).  More than the rows
#: of one task (128, see ``batch.run._Mapper``): a task being filled never waits for itself.
AHEAD_RECORDS = 1024


class PlanStream:
    """The planned letters of a sheet, one at a time, in input order.

    Each letter is read, validated (by ``mapper``, possibly in workers) and
    handed on; nothing of it stays here but its source key (to spot the same
    content twice).  At most :data:`AHEAD_RECORDS` records are being validated
    at a time.  ``file_problems`` is complete once the stream is exhausted.
    """

    def __init__(self, kind: KindSchema, path: Path, config: Config, sheet: str | None, group_by: str | None,
                 mapper: Callable | None):
        if mapper is None:
            set_state(None, kind, config)
            mapper = map
        self.kind, self.mapper = kind, mapper
        self.source = read_records(path, source_fields(kind), sheet=sheet, group_by=group_by,
                                   limits=Limits.of(config.section("limits")), lazy=True)
        self.encoding = self.source.encoding
        self.file_problems: list[Problem] = []

    def __iter__(self) -> Iterator[PlannedLetter]:
        source = self.source
        handed_out: deque[PlannedLetter] = deque()  # records being validated, in order
        room = threading.Semaphore(AHEAD_RECORDS)  # taken by each record handed out, given back when checked
        closed = False

        def data_to_check() -> Iterator[dict]:
            # Records are built as the workers ask for them (in the pool's task thread), no
            # further ahead than AHEAD_RECORDS; a validated one keeps no cells.
            for record in source.records:
                interrupts.check()
                room.acquire()
                if closed:
                    return
                handed_out.append(PlannedLetter(record))
                yield record.data

        try:
            yield from self._checked(source, handed_out, room, data_to_check())
        finally:  # a reader that stops early must not leave the task thread waiting for room
            closed = True
            room.release()

    def _checked(self, source, handed_out: deque[PlannedLetter], room: threading.Semaphore,
                 data: Iterator[dict]) -> Iterator[PlannedLetter]:
        row_problems: dict[int, list[Problem]] = {}
        placed: set[int] = set()  # ids of the reading problems put on a record's rows
        scanned = 0
        seen_keys = DigestMap()  # source key → first row of its first letter
        group_rows: dict[int, str] = {}  # first row → rows of a letter made of several rows
        for checked in self.mapper(check_record, data):
            letter = handed_out.popleft()  # appended before its data was handed out
            room.release()
            record = letter.record
            for problem in source.problems[scanned:]:  # found while reading, up to this record
                if problem.severity == "error" and problem.row is not None:
                    row_problems.setdefault(problem.row, []).append(problem)
            scanned = len(source.problems)
            letter.problems = [p for row in record.rows for p in row_problems.pop(row, ())]  # and validated: every problem at once
            placed.update(id(p) for p in letter.problems)
            first = seen_keys.setdefault(bytes.fromhex(record.source_key), record.rows[0])
            if first != record.rows[0]:
                letter.problems.append(Problem("", "整行", f"与第{group_rows.get(first, first)}行的内容相同，不会重复生成",
                                               row=record.rows[0]))
                yield letter
                continue
            if len(record.rows) > 1:
                group_rows[record.rows[0]] = letter.rows
            letter.problems += [_locate(p, record) for p in checked.problems]
            letter.warnings = [w.with_location(record.rows[0], None) for w in checked.warnings]
            letter.customer = checked.customer
            letter.valid = not letter.problems
            letter.spilled = checked.spilled
            if letter.valid and checked.spilled:
                record.data = {}  # validated once; issuing reads the spilled letter
            yield letter
        # Problems not on a record's rows (header row, ignored duplicate rows) concern the whole file.
        self.file_problems = [p for p in source.problems if id(p) not in placed]


def stream_plan(kind: str | KindSchema, path: Path, config: Config, *, sheet: str | None = None,
                group_by: str | None = None, mapper: Callable | None = None) -> PlanStream:
    """:func:`plan_batch` one letter at a time (iterate the result once)."""
    if not isinstance(kind, KindSchema):
        kind = load_kind(config.schemas_dir, kind)
    if group_by is None:
        group_by = (kind.batch or {}).get("group_by")
    return PlanStream(kind, path, config, sheet, group_by, mapper)
