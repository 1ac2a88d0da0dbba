"""Locked steps of a reservation: sequence rows and the input rows (source keys) already claimed.

Both run inside the reserving transaction, after the sequence rows are
locked, so two processes reserving for the same input row see each other:
the later one finds the earlier one's entry and takes no number for it.
The unique index on (kind, source key) of entries that are not void
(migration 0005) is the backstop for anything these locks do not serialise.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from ..errors import RegisterError

from .entry import VOID, Entry, entry_from_row
from .schema import entries, sequences

SOURCE_INDEX = "uq_register_entries_active_source"


# Built once: a statement object reused with parameters skips SQLAlchemy's construction per call.
_THIS_SEQUENCE = (sequences.c.sequence_key == sa.bindparam("b_key")) & (sequences.c.year == sa.bindparam("b_year"))
_LOCK_SEQUENCE = sa.select(sequences.c.last_seq).where(_THIS_SEQUENCE).with_for_update()
_ADVANCE_SEQUENCE = sa.update(sequences).where(_THIS_SEQUENCE).values(last_seq=sa.bindparam("b_last"))


def lock_sequence(conn: Connection, key: tuple[str, int]) -> int:
    """Lock (creating it at 0) the sequence row of ``key``; return its last number."""
    seq_key, year = key
    params = {"b_key": seq_key, "b_year": year}
    last = conn.execute(_LOCK_SEQUENCE, params).scalar()
    if last is None:  # a new sequence: concurrent creators meet at the primary key, then at the lock
        insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(sequences)
        conn.execute(insert.values(sequence_key=seq_key, year=year, last_seq=0).on_conflict_do_nothing())
        last = conn.execute(_LOCK_SEQUENCE, params).scalar_one()
    return last


def advance_sequence(conn: Connection, key: tuple[str, int], last: int) -> None:
    seq_key, year = key
    conn.execute(_ADVANCE_SEQUENCE, {"b_key": seq_key, "b_year": year, "b_last": last})


def claimed(conn: Connection, specs: list[dict[str, Any]], chunk: int = 500) -> dict[int, Entry]:
    """``{index: entry}`` for the specs whose (kind, source key) already has an entry that is not void."""
    wanted: dict[tuple[str, str], list[int]] = {}
    for index, spec in enumerate(specs):
        if spec.get("source_key"):
            wanted.setdefault((spec["kind"], spec["source_key"]), []).append(index)
    by_kind: dict[str, list[str]] = {}
    for kind, key in wanted:
        by_kind.setdefault(kind, []).append(key)
    found: dict[int, Entry] = {}
    for kind, keys in by_kind.items():
        for start in range(0, len(keys), chunk):
            query = (sa.select(entries).where(entries.c.kind == kind, entries.c.source_key.in_(keys[start:start + chunk]),
                                              entries.c.status != VOID).with_for_update())
            for row in conn.execute(query).mappings():
                for index in wanted[(kind, row["source_key"])]:
                    found[index] = entry_from_row(row)
    return found


class SourceConflict(Exception):
    """Another process claimed one of these input rows between our check and our insert."""


def insert(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert new entry rows; a clash on the source-key index is :class:`SourceConflict`."""
    if not rows:
        return
    try:
        conn.execute(sa.insert(entries), rows)  # plain executemany: fastest on both drivers
    except IntegrityError as exc:
        text = str(exc.orig)
        if SOURCE_INDEX in text or "register_entries.kind, register_entries.source_key" in text:
            raise SourceConflict() from exc
        # not a race on numbers: the sequence rows are locked
        raise RegisterError(f"文号重复：登记簿中已有相同文号（请检查文号格式是否含序号 {{seq}}）：{text}") from exc
