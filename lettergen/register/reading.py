"""Methods of :class:`lettergen.register.Register` that only read: one entry, lists, counts, verify, export.

Every read is one snapshot: a deferred transaction on SQLite (in WAL mode it
never waits for a writer), ``REPEATABLE READ`` on PostgreSQL.
"""
from __future__ import annotations

import os
from datetime import date
from typing import Any, Iterable, Iterator

import sqlalchemy as sa

from . import process
from .entry import VOID, Entry, VerifyReport, entry_from_row
from .rows import filter_conditions
from .schema import entries, sequences

CHUNK = 500  # numbers per IN (...) query


def chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


class RegisterReading:
    """The register's queries (mixed into :class:`~lettergen.register.Register`)."""

    def get(self, number: str) -> Entry:
        with self._tx(write=False) as conn:
            return entry_from_row(self._row(conn, number))

    def get_many(self, numbers: Iterable[str]) -> dict[str, Entry]:
        """The entries of ``numbers`` (those that exist), read in one snapshot."""
        with self._tx(write=False) as conn:
            return entries_by_number(conn, sorted(set(numbers)))

    def find_by_source_key(self, kind: str, source_key: str) -> Entry | None:
        """The latest entry (not void) of ``kind`` made from ``source_key``, if any."""
        query = (sa.select(entries)
                 .where(entries.c.kind == kind, entries.c.source_key == source_key, entries.c.status != VOID)
                 .order_by(entries.c.id.desc()).limit(1))
        with self._tx(write=False) as conn:
            row = conn.execute(query).mappings().first()
        return entry_from_row(row) if row else None

    def last_seq(self, sequence_key: str, year: int) -> int:
        """The last sequence number handed out for ``(sequence_key, year)`` (0 if none); reads only."""
        where = (sequences.c.sequence_key == sequence_key) & (sequences.c.year == year)
        with self._tx(write=False) as conn:
            return conn.execute(sa.select(sequences.c.last_seq).where(where)).scalar() or 0

    def find_by_source_keys(self, kind: str, source_keys: Iterable[str]) -> dict[str, Entry]:
        """:meth:`find_by_source_key` for many keys at once (a batch resuming)."""
        keys = sorted(set(source_keys))
        found: dict[str, Entry] = {}
        with self._tx(write=False) as conn:
            for part in chunks(keys):
                query = (sa.select(entries)
                         .where(entries.c.kind == kind, entries.c.source_key.in_(part), entries.c.status != VOID)
                         .order_by(entries.c.id))
                for row in conn.execute(query).mappings():
                    found[row["source_key"]] = entry_from_row(row)  # the latest wins
        return found

    def list(self, *, kind: str | None = None, year: int | None = None, customer: str | None = None,
             status: str | None = None, date_from: date | None = None, date_to: date | None = None,
             batch_id: str | None = None, limit: int | None = None, offset: int = 0) -> list[Entry]:
        """Entries matching all given filters (``customer``: substring), by sequence key, year, seq.

        ``limit`` / ``offset`` page through them (:meth:`count` gives the total).
        """
        c = entries.c
        query = (sa.select(entries).where(*filter_conditions(kind, year, customer, status, date_from, date_to, batch_id))
                 .order_by(c.sequence_key, c.year, c.seq).offset(offset or None).limit(limit))
        with self._tx(write=False) as conn:
            return [entry_from_row(row) for row in conn.execute(query).mappings()]

    def count(self, *, kind: str | None = None, year: int | None = None, customer: str | None = None,
              status: str | None = None, date_from: date | None = None, date_to: date | None = None,
              batch_id: str | None = None) -> int:
        """How many entries :meth:`list` would give without a limit."""
        where = filter_conditions(kind, year, customer, status, date_from, date_to, batch_id)
        with self._tx(write=False) as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(entries).where(*where)).scalar_one()

    def verify(self, *, check_files: bool = True) -> VerifyReport:
        """Check sequences, files and references; see :func:`lettergen.register.verify.verify`."""
        from .verify import verify

        with self._tx(write=False) as conn:
            seq_rows = conn.execute(sa.select(sequences)).mappings().all()
            rows = conn.execute(sa.select(entries).order_by(entries.c.id)).mappings().all()
        return verify(seq_rows, rows, check_files=check_files, is_alive=holder_alive)

    def export(self, entries: Iterable[Entry], path: str | os.PathLike) -> int:  # noqa: F811 (shadows the table)
        """Write ``entries`` to ``path`` (.csv or .xlsx); return how many were written."""
        from .export import export

        return export(entries, path)


def entries_by_number(conn, numbers: list[str]) -> dict[str, Entry]:
    """``{number: entry}`` of those ``numbers`` that exist (on ``conn``, in its transaction)."""
    found: dict[str, Entry] = {}
    for part in chunks(numbers):
        for row in conn.execute(_BY_NUMBER, {"numbers": part}).mappings():
            found[row["number"]] = entry_from_row(row)
    return found


_BY_NUMBER = sa.select(entries).where(entries.c.number.in_(sa.bindparam("numbers", expanding=True)))


def holder_alive(row: Any) -> bool | None:
    return process.is_alive(process.ProcessId(row["pid"], row["host"], row["proc_start"]))
