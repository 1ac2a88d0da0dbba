"""Reading and validating a whole spreadsheet before anything is generated."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from .. import interrupts
from ..config import Config
from ..letters import Prepared
from ..models import Problem
from ..schemas import KindSchema, load_kind
from ..sources import Field, Limits, Record, read_records
from .work import Spilled, as_prepared, check_record, set_state


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

    def prepared(self, kind: KindSchema) -> tuple[Prepared, dict]:
        """The validated letter and its register data, read back from the spill file."""
        return as_prepared(kind, self.spilled)

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

    ``mapper`` (``pool.map``) validates the records in worker processes set up
    by :func:`lettergen.batch.work.init_worker`; by default they are validated here.
    """
    if not isinstance(kind, KindSchema):
        kind = load_kind(config.schemas_dir, kind)
    if mapper is None:
        set_state(None, kind, config)
        mapper = map
    if group_by is None:
        group_by = (kind.batch or {}).get("group_by")
    result = read_records(path, source_fields(kind), sheet=sheet, group_by=group_by,
                          limits=Limits.of(config.section("limits")), lazy=True)
    letters: list[PlannedLetter] = []

    def data_to_check() -> Iterator[dict]:
        # Records are built as the workers ask for them; a validated one keeps no cells.
        for record in result.records:
            interrupts.check()
            letters.append(PlannedLetter(record))
            yield record.data

    row_problems: dict[int, list[Problem]] = {}
    scanned = 0
    seen_keys: dict[str, str] = {}
    for i, checked in enumerate(mapper(check_record, data_to_check())):
        letter = letters[i]  # appended before its data was handed out
        record = letter.record
        for problem in result.problems[scanned:]:  # found while reading, up to this record
            if problem.severity == "error" and problem.row is not None:
                row_problems.setdefault(problem.row, []).append(problem)
        scanned = len(result.problems)
        letter.problems = [p for row in record.rows for p in row_problems.get(row, ())]  # and validated: every problem at once
        if record.source_key in seen_keys:
            letter.problems.append(Problem("", "整行", f"与第{seen_keys[record.source_key]}行的内容相同，不会重复生成", row=record.rows[0]))
            continue
        seen_keys[record.source_key] = letter.rows
        letter.problems += [_locate(p, record) for p in checked.problems]
        letter.warnings = [w.with_location(record.rows[0], None) for w in checked.warnings]
        letter.customer = checked.customer
        letter.valid = not letter.problems
        letter.spilled = checked.spilled
        if letter.valid and checked.spilled:
            record.data = {}  # validated once; issuing reads the spilled letter
    # Problems not on a record's rows (header row, ignored duplicate rows) concern the whole file.
    record_rows = {row for letter in letters for row in letter.record.rows}
    file_problems = [p for p in result.problems if p.row not in record_rows or p.severity != "error"]
    return Plan(kind, letters, file_problems, result.encoding)
