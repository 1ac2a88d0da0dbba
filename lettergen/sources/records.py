"""Turn mapped spreadsheet rows into nested records, optionally grouped.

One record per row, or with a group column one record per distinct key value
(in order of first appearance): its list-of-dicts fields collect one element
per row and its other fields must agree across the rows (blank cells inherit,
so a customer's details need only be filled on its first row).
"""
from __future__ import annotations

import hashlib
import json
import re
from array import array
from dataclasses import dataclass, field
from typing import Any, Iterator

from ..models import Problem
from ..spilled import DigestMap, text_digest
from .fields import Slot
from .readers import Table

_LIST_SPLIT = re.compile(r"[\n;；]")


@dataclass(slots=True)
class Record:
    """One letter's data and where it came from.

    ``rows`` are the file rows (as the user sees them) that made it; ``data``
    is nested dicts and lists; ``columns`` maps field path → header as
    written; ``source_key`` identifies the content across runs.
    """

    rows: list[int]
    data: dict[str, Any]
    columns: dict[str, str]
    source_key: str


@dataclass
class SourceResult:
    """Everything read from one file; ``encoding`` is None for Excel."""

    records: list[Record] | Iterator[Record]  # an iterator from read_records(lazy=True)
    problems: list[Problem]
    encoding: str | None
    headers: list[str]


@dataclass
class _Group:
    rows: list[int] = field(default_factory=list)
    values: dict[Slot, tuple[str, int]] = field(default_factory=dict)  # scalar → (text, row)
    items: dict[tuple[str, ...], list[dict[str, Any]]] = field(default_factory=dict)


def build_records(
    table: Table,
    slots: dict[int, Slot],
    columns: dict[str, str],
    group_col: int | None = None,
) -> tuple[list[Record], list[Problem]]:
    """Build records from ``table``; ``slots`` maps column index → field."""
    problems: list[Problem] = []
    records = list(iter_records(table, slots, columns, group_col, problems))
    problems.sort(key=lambda p: p.row)  # stable: in the order the rows were read
    return records, problems


def iter_records(
    table: Table,
    slots: dict[int, Slot],
    columns: dict[str, str],
    group_col: int | None,
    problems: list[Problem],
) -> Iterator[Record]:
    """The records of ``table`` one at a time (problems appended to ``problems`` as found).

    Without a group column each row is a record, built as it is read.  With
    one, a first pass only notes which rows make each record (row indexes,
    not copies); each record's nested data is built when it is asked for,
    from the rows kept on disk (:class:`~lettergen.sources.readers.RowStore`),
    so a caller that lets go of each record never holds the data of the
    whole sheet.  What stays in memory is a digest per row (to spot
    duplicate rows) and, when grouping, a digest per group and its rows'
    indexes, in flat arrays (about 60 bytes a row in all).
    """
    seen = DigestMap()  # a digest per row, not a copy of its cells
    group_header = table.headers[group_col] if group_col is not None else ""

    def is_new(number: int, cells: list[str | None]) -> bool:
        identical = seen.setdefault(text_digest(repr(tuple(cells))), number)
        if identical != number:
            problems.append(Problem("", "整行", f"与第{identical}行完全重复，已忽略", row=number))
        return identical == number

    if group_col is None:
        for number, cells in table.rows:
            if is_new(number, cells):
                group = _Group([number])
                _add_row(group, number, cells, slots, columns, group_header, number, problems)
                data = _nest(group)
                yield Record(group.rows, data, columns, source_key(data))  # columns: shared, read-only
        return
    # the group of each kept row, by a digest of its group cell (not the text), then the rows of
    # each group in order by a counting sort: a few flat arrays, whatever the size of the sheet
    group_ids = DigestMap()  # group cell's digest → group number, in order of first appearance
    kept, group_of = array("I"), array("I")  # row indexes (duplicates left out) and their groups
    groups = 0
    for index, (number, cells) in enumerate(table.rows):
        if not is_new(number, cells):
            continue
        if cells[group_col] is None:
            problems.append(Problem(
                "", group_header, f"分组列「{group_header}」为空，无法确定本行属于哪封信函",
                row=number, column=group_header,
            ))
            group = groups  # a letter of its own
        else:
            group = group_ids.setdefault(text_digest(cells[group_col]), groups)
        groups += group == groups
        kept.append(index)
        group_of.append(group)
    del seen, group_ids
    starts = array("I", bytes(4 * (groups + 1)))  # group g's rows: order[starts[g]:starts[g + 1]]
    for group in group_of:
        starts[group + 1] += 1
    for group in range(groups):
        starts[group + 1] += starts[group]
    order, free = array("I", bytes(4 * len(kept))), starts[:-1]
    for index, group in zip(kept, group_of):
        order[free[group]] = index
        free[group] += 1
    del kept, group_of, free
    for group_number in range(groups):
        group, key = _Group(), None
        for index in order[starts[group_number]:starts[group_number + 1]]:
            number, cells = table.rows[index]
            if key is None:  # the group's cell, as on its first row
                key = cells[group_col] if cells[group_col] is not None else ("row", number)
            group.rows.append(number)
            _add_row(group, number, cells, slots, columns, group_header, key, problems)
        data = _nest(group)
        yield Record(group.rows, data, columns, source_key(data))  # columns: shared, read-only


def _add_row(group: _Group, number: int, cells, slots, columns, group_header, key, problems) -> None:
    elements: dict[tuple[str, ...], dict[str, Any]] = {}
    for index, slot in slots.items():
        text = cells[index]
        if text is None:
            continue
        if slot.list_at is not None:
            element = elements.setdefault(slot.list_names, {})
            _set(element, slot.names[slot.list_at + 1:], _value(slot, text))
            continue
        earlier = group.values.get(slot)
        if earlier is None:
            group.values[slot] = (text, number)
        elif earlier[0] != text:
            problems.append(Problem(
                slot.path, slot.label,
                f"同一分组（{group_header}「{key}」）中第{earlier[1]}行为“{earlier[0]}”，"
                f"第{number}行为“{text}”，取值不一致",
                value=text, row=number, column=columns[slot.path],
            ))
    for names, element in elements.items():
        group.items.setdefault(names, []).append(element)


def _value(slot: Slot, text: str) -> Any:
    if not slot.splits:
        return text
    return [part.strip() for part in _LIST_SPLIT.split(text) if part.strip()]


def _set(target: dict[str, Any], names: tuple[str, ...], value: Any) -> None:
    for name in names[:-1]:
        target = target.setdefault(name, {})
    target[names[-1]] = value


def _nest(group: _Group) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for slot, (text, _row) in group.values.items():
        _set(data, slot.names, _value(slot, text))
    for names, elements in group.items.items():
        _set(data, names, elements)
    return data


def source_key(data: dict[str, Any]) -> str:
    """sha256 (first 32 hex digits) of the data, ignoring list-of-dict order.

    Independent of row numbers, column order and header spelling, so the same
    row(s) are recognised on a later run even if the sheet was re-sorted.
    """
    text = json.dumps(_canonical(data), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_canonical(v) for v in value]
        if all(isinstance(v, dict) for v in items):
            items.sort(key=lambda v: json.dumps(v, ensure_ascii=False, sort_keys=True))
        return items
    return value
