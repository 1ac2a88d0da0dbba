"""Read spreadsheets (CSV or .xlsx) into nested records for a letter kind.

The caller passes the kind's field catalogue (:class:`Field` objects, built
by the schema module); this package maps column headers onto it, converts
cells to text as the user sees them and groups rows into records.  It never
validates values: problems here are about the file's shape (headers,
duplicates, conflicting group rows); the schema validates the data.

Public API: :class:`Field`, :func:`read_records` → :class:`SourceResult`
of :class:`Record`, and :func:`safe_filename` for output file names.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import InputFileError
from ..models import Problem
from .fields import Catalogue, Field, normalise
from .filenames import NameSet, safe_filename
from .headers import column_name, map_headers
from .readers import Limits, Table, read_table
from .records import Record, SourceResult, build_records, iter_records, source_key

__all__ = ["Field", "Limits", "NameSet", "Record", "SourceResult", "read_records", "safe_filename", "source_key"]


def read_records(
    path: str | Path,
    fields: list[Field],
    *,
    sheet: str | None = None,
    group_by: str | None = None,
    limits: Limits | None = None,
    lazy: bool = False,
) -> SourceResult:
    """Read ``path`` into records for ``fields``.

    ``sheet`` names an Excel sheet (default: the first).  ``group_by`` is a
    header or field path; rows with the same value in that column become one
    record.  Unreadable files raise :class:`InputFileError`; everything else
    is reported in ``SourceResult.problems`` (with row and column).  With
    ``lazy``, ``records`` is an iterator building each record when asked
    for, and ``problems`` is complete once it is exhausted.
    """
    catalogue = Catalogue(fields)
    table = read_table(path, sheet, limits)
    group_col = _group_column(str(path), table, catalogue, group_by)
    # A group key column the schema does not know is still wanted: not "unknown".
    keep = {group_col} if group_col is not None else set()
    mapping = map_headers(table.headers, catalogue, table.header_row, keep=keep)
    columns = mapping.header_of(table.headers)
    found = mapping.problems + _headerless_columns(table)
    if lazy:
        records = iter_records(table, mapping.slots, columns, group_col, found)
        return SourceResult(records, found, table.encoding, list(table.headers))
    records, problems = build_records(table, mapping.slots, columns, group_col)
    return SourceResult(records, found + problems, table.encoding, list(table.headers))


def _headerless_columns(table: Table) -> list[Problem]:
    """Warn about data in columns that have no header (it is ignored)."""
    found = []
    for index, header in enumerate(table.headers):
        if header:
            continue
        row = table.first_filled[index]
        if row is not None:
            name = column_name(table.headers, index)
            found.append(Problem(
                "", name, f"{name}没有表头，该列内容将被忽略（第{row}行起有内容）",
                row=row, column=name, severity="warning",
            ))
    return found


def _group_column(path: str, table: Table, catalogue: Catalogue, group_by: str | None) -> int | None:
    if group_by is None:
        return None
    wanted = normalise(group_by)
    for index, header in enumerate(table.headers):
        if normalise(header) == wanted:
            return index
    targets = catalogue.resolve(group_by)
    if len(targets) == 1:
        for index, header in enumerate(table.headers):
            if catalogue.resolve(header) == targets:
                return index
    name = catalogue.display(targets[0]) if len(targets) == 1 else group_by
    shown = "、".join(f"「{h}」" for h in table.headers if h)
    raise InputFileError(path, f"找不到分组列「{name}」（同一{name}的多行合成一封信函）；表头中的列：{shown}")
