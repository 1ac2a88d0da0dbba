"""The :class:`Register`: hands out consecutive numbers and records every letter.

Rules kept here:

* a number exists only through a committed reservation (status ``reserved``);
  sequence numbers per (sequence key, year) are 1, 2, 3 … with no gaps, and a
  number is never handed out twice;
* entries are never deleted: a failed or wrong letter is ``void`` (with a
  reason and time) or ``superseded`` by a correction that references it;
* every write is one transaction through :func:`engine.transaction`, which on
  SQLite holds the write lock from ``BEGIN IMMEDIATE``; on PostgreSQL the
  sequence row is locked with ``SELECT … FOR UPDATE``.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import date
from typing import Any, Callable, Iterable, Iterator

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from ..errors import RegisterError, UnknownNumber
from . import engine as db
from . import claims, process
from .entry import ISSUED, RESERVED, STATUS_LABELS, SUPERSEDED, VOID, Entry
from .entry import entry_from_row, utcnow
from .maintenance import RegisterMaintenance
from .reading import CHUNK as _CHUNK, RegisterReading, chunks as _chunks, entries_by_number
from .reading import holder_alive as _holder_alive
from .rows import (base_row, check_spec, check_unique, key_of, require_status,
                   require_text, set_number)
from .schema import entries

STALE_REASON = "签发中断（进程已退出）"
Planner = Callable[[int, str, int], str]  # (index of the spec, number, seq) -> the letter's output path


class Register(RegisterReading, RegisterMaintenance):
    """The register of issued letters (发文登记簿) behind a database URL.

    ``Register("sqlite:///path/register.sqlite")`` creates the file on first
    use; ``postgresql+psycopg://…`` uses a server.  Opening a register migrates
    its schema to the newest revision in place.  Create one ``Register`` per
    process (a forked child reconnects by itself).
    """

    def __init__(self, url: str, *, journal: str = "wal"):
        self.url = url
        self._engine = db.create_register_engine(url, journal=journal)
        self._pid = os.getpid()
        try:
            db.migrate(self._engine)
        except BaseException:
            self._engine.dispose()
            raise

    # --- plumbing -------------------------------------------------------

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> "Register":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Register({db.safe_url(self.url)!r})"

    def _tx(self, *, write: bool = True):
        self._pid = db.process_after_fork(self._engine, self._pid)
        return db.transaction(self._engine, write=write)

    def transaction(self, *, write: bool = True):
        """One committed-or-rolled-back block on the register's database (see :func:`engine.transaction`)."""
        return self._tx(write=write)

    def schema_revision(self) -> str | None:
        return db.current_revision(self._engine)

    @staticmethod
    def _row(conn: Connection, number: str, *, lock: bool = False) -> sa.RowMapping:
        query = sa.select(entries).where(entries.c.number == number)
        row = conn.execute(query.with_for_update() if lock else query).mappings().first()
        if row is None:
            raise UnknownNumber(number)
        return row

    # --- reserving ------------------------------------------------------

    def reserve(self, *, kind: str, sequence_key: str, year: int, make_number: Callable[[int], str],
                letter_date: date, customer: str, subject: str, data: dict[str, Any], template_name: str,
                template_hash: str, issued_by: str, batch_id: str | None = None,
                source_key: str | None = None, supersedes: str | None = None, actor: str | None = None,
                idempotency_key: str | None = None) -> Entry:
        """Reserve the next number of ``sequence_key`` in ``year``; committed before returning.

        ``make_number(seq)`` turns the sequence number into the document number
        (see :func:`lettergen.numbering.numbering_for`).  ``data`` is stored as
        JSON; ``supersedes`` names the number this letter corrects; ``actor`` who
        issues it (``key:NAME``); ``idempotency_key`` the HTTP retry key.  The entry's
        status is ``reserved`` until :meth:`mark_issued` or :meth:`mark_void`.
        """
        spec = dict(locals())
        del spec["self"]
        return self.reserve_many([spec])[0]

    def reserve_many(self, specs: list[dict[str, Any]], *, plan: Planner | None = None) -> list[Entry]:
        """Reserve one number per spec (same keys as :meth:`reserve`) in one transaction.

        Numbers are consecutive per sequence, in list order.  A spec whose
        (kind, source key) already has an entry that is not void is refused.
        ``plan(index, number, seq)``, if given, names the file each letter will
        be written to, recorded in the same transaction (as :meth:`plan_outputs`
        would, without a second commit).
        """
        return self.claim_many(specs, keep_claimed=False, plan=plan)[0]

    def claim_many(self, specs: list[dict[str, Any]], *, keep_claimed: bool = True,
                   plan: Planner | None = None) -> tuple[list[Entry], dict[int, Entry]]:
        """:meth:`reserve_many`, except that specs whose input row is already claimed take no number.

        Returns the new entries (in list order) and ``{index: existing entry}``
        for the specs whose (kind, source key) already has an entry that is
        not void: a sheet run twice at the same time gives one letter per row.
        """
        specs = [check_spec(s) for s in specs]
        if not specs:
            return [], {}
        proc, now = process.current(), utcnow()
        rows = [base_row(s, proc, now) for s in specs]  # JSON etc. before taking the lock
        try:
            return self._claim_many(specs, rows, keep_claimed, plan)
        except claims.SourceConflict:  # a concurrent claim these locks did not serialise: look again
            if not keep_claimed:
                raise RegisterError("同一输入行已由另一进程登记（同一表格同时运行了两次？），未占用文号") from None
            return self._claim_many(specs, [dict(r, seq=None, number=None) for r in rows], keep_claimed, plan)

    def _claim_many(self, specs, rows, keep_claimed: bool, plan: Planner | None) -> tuple[list[Entry], dict[int, Entry]]:
        with self._tx() as conn:
            last = {key: claims.lock_sequence(conn, key) for key in sorted({key_of(s) for s in specs})}
            first = dict(last)
            taken = claims.claimed(conn, specs)
            if taken and not keep_claimed:
                shown = "、".join(f"{specs[i]['source_key']}（{e.number}）" for i, e in list(taken.items())[:5])
                raise RegisterError(f"这些输入行已有文号，未再占用：{shown}")
            fresh = [(i, spec, row) for i, (spec, row) in enumerate(zip(specs, rows)) if i not in taken]
            self._check_supersedes(conn, {s["supersedes"] for _, s, _ in fresh if s.get("supersedes")})
            for i, spec, row in fresh:
                last[key_of(spec)] += 1
                set_number(row, last[key_of(spec)], spec["make_number"])
                if plan is not None:
                    row["output_path"] = str(plan(i, row["number"], row["seq"]))
            for key, value in last.items():
                if value != first[key]:
                    claims.advance_sequence(conn, key, value)
            new_rows = [row for _, _, row in fresh]
            check_unique(new_rows)
            claims.insert(conn, new_rows)
            ids = _ids(conn, new_rows)
        return [entry_from_row({**row, "id": ids[row["number"]]}) for row in new_rows], taken

    @staticmethod
    def _check_supersedes(conn: Connection, numbers: set[str]) -> None:
        found = _existing(conn, numbers)
        missing = sorted(numbers - found)
        if missing:
            raise RegisterError(f"要订正的文号不在登记簿中：{'、'.join(missing[:10])}")

    @contextmanager
    def issuing(self, **spec: Any) -> Iterator[Entry]:
        """Reserve a number for the block; if the block raises, void it and re-raise.

        The block is expected to write the letter and call :meth:`mark_issued`;
        an error after that (e.g. in PDF conversion) still voids the number, as
        the letter did not go out.  The void reason is ``签发失败：<error>``.
        """
        entry = self.reserve(**spec)
        try:
            yield entry
        except BaseException as exc:
            detail = str(exc).strip() or type(exc).__name__
            try:
                self.mark_void(entry.number, f"签发失败：{detail}")
            except Exception as void_exc:  # keep the original error in front
                exc.add_note(f"（文号 {entry.number} 未能作废：{void_exc}）")
            raise

    # --- status changes -------------------------------------------------

    def _change(self, number: str, allowed: tuple[str, ...], action: str, values: dict[str, Any]) -> Entry:
        with self._tx() as conn:
            row = self._row(conn, number, lock=True)
            require_status(row, allowed, action)
            conn.execute(sa.update(entries).where(entries.c.id == row["id"]).values(**values))
            return entry_from_row(self._row(conn, number))

    def mark_issued(self, number: str, *, output_path: str, file_hash: str,
                    pdf_path: str | None = None, pdf_hash: str | None = None) -> Entry:
        """Record that the letter ``number`` was written to ``output_path`` (sha256 ``file_hash``)."""
        require_text(output_path, "文件路径")
        require_text(file_hash, "文件校验值")
        values = dict(status=ISSUED, status_at=utcnow(), output_path=str(output_path), file_hash=file_hash)
        if pdf_path is not None:
            values.update(pdf_path=str(pdf_path), pdf_hash=pdf_hash)
        return self._change(number, (RESERVED,), "登记为已签发", values)

    def mark_issued_many(self, items: Iterable[tuple[str, str, str]]) -> int:
        """:meth:`mark_issued` for many ``(number, output_path, file_hash)`` in one transaction."""
        items = self._issued_items(items)
        self._mark_issued(items)
        return len(items)

    def mark_issued_entries(self, items: Iterable[tuple[str, str, str]]) -> dict[str, Entry]:
        """:meth:`mark_issued_many`, returning the entries as stored, read in the same transaction."""
        return self._mark_issued(self._issued_items(items), read_back=True)

    @staticmethod
    def _issued_items(items: Iterable[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
        items = list(items)
        check_unique([{"number": n} for n, _p, _h in items])
        for number, path, digest in items:
            require_text(path, f"文号 {number} 的文件路径")
            require_text(digest, f"文号 {number} 的文件校验值")
        return items

    def _mark_issued(self, items: list[tuple[str, str, str]], *, read_back: bool = False) -> dict[str, Entry]:
        """Mark ``items`` issued, all or none: one that is not reserved is named in the error."""
        if not items:
            return {}
        try:
            with self._tx() as conn:
                counted = conn.dialect.supports_sane_multi_rowcount
                if not counted:  # the driver cannot count what an executemany changed: look first
                    _refuse_unreserved(conn, items)
                now = utcnow()
                done = conn.execute(_MARK_ISSUED, [{"b_number": n, "b_path": str(p), "b_hash": h, "b_at": now}
                                                   for n, p, h in items])
                if counted and done.rowcount != len(items):
                    raise _NotReserved  # undoes the transaction
                return entries_by_number(conn, [n for n, _p, _h in items]) if read_back else {}
        except _NotReserved:
            with self._tx(write=False) as conn:
                _refuse_unreserved(conn, items)
            raise RegisterError("登记为已签发的文号中有的不是预留状态（刚被其他进程改变），未作任何登记") from None

    def set_pdf(self, number: str, pdf_path: str, pdf_hash: str) -> Entry:
        """Record the PDF copy of a (reserved or issued) letter."""
        require_text(pdf_path, "PDF 文件路径")
        require_text(pdf_hash, "PDF 校验值")
        return self._change(number, (RESERVED, ISSUED), "登记 PDF", dict(pdf_path=str(pdf_path), pdf_hash=pdf_hash))

    def mark_void(self, number: str, reason: str, *, actor: str | None = None) -> Entry:
        """Void a reserved or issued number; the entry stays, with the reason, time and ``actor``."""
        require_text(reason, "作废原因")
        return self._change(number, (RESERVED, ISSUED), "作废",
                            dict(status=VOID, status_reason=reason.strip(), status_at=utcnow(), status_actor=actor))

    def mark_superseded(self, number: str, by_number: str, reason: str, *, actor: str | None = None) -> Entry:
        """Record that the issued letter ``number`` is corrected by ``by_number``."""
        if by_number == number:
            raise RegisterError(f"文号 {number} 不能订正它自己")
        reason = (reason or "").strip() or f"已由 {by_number} 订正"
        with self._tx() as conn:
            old = self._row(conn, number, lock=True)
            new = self._row(conn, by_number, lock=True)
            require_status(old, (ISSUED,), "标记为已被订正")
            require_status(new, (RESERVED, ISSUED), f"用作 {number} 的订正文书")
            if new["supersedes"] not in (None, number):
                raise RegisterError(f"文号 {by_number} 已登记为订正 {new['supersedes']}，不能再订正 {number}")
            conn.execute(sa.update(entries).where(entries.c.id == new["id"]).values(supersedes=number))
            conn.execute(sa.update(entries).where(entries.c.id == old["id"]).values(
                status=SUPERSEDED, superseded_by=by_number, status_reason=reason, status_at=utcnow(),
                status_actor=actor))
            return entry_from_row(self._row(conn, number))

    def plan_outputs(self, items: Iterable[tuple[str, str]]) -> None:
        """Record where reserved letters are about to be written (``(number, path)``).

        A process that dies after writing a file but before :meth:`mark_issued`
        leaves the path behind, so :meth:`recover_stale` can complete the entry.
        """
        items = [(n, str(p)) for n, p in items]
        if not items:
            return
        with self._tx() as conn:
            status = _statuses(conn, [n for n, _ in items])
            bad = [n for n, _ in items if status.get(n) != RESERVED]
            if bad:
                raise RegisterError(f"以下文号不是预留状态，不能登记输出路径：{'、'.join(bad[:10])}")
            stmt = (sa.update(entries).where(entries.c.number == sa.bindparam("b_number"))
                    .values(output_path=sa.bindparam("b_path")))
            conn.execute(stmt, [{"b_number": n, "b_path": p} for n, p in items])

    def recover_stale(self, complete: Callable[[Entry], tuple[str, str] | None] | None = None) -> list[Entry]:
        """Settle reservations whose process (on this host) has exited; return them.

        ``complete(entry)`` may return ``(output_path, file_hash)`` when the
        letter's file was fully written: the entry is then marked issued.
        Every other stale reservation is voided with :data:`STALE_REASON`.
        """
        recovered = []
        with self._tx(write=False) as conn:  # usually nothing to do: no write lock, no commit to disk
            holders = conn.execute(sa.select(entries.c.pid, entries.c.host, entries.c.proc_start)
                                   .where(entries.c.status == RESERVED)).mappings().all()
        if not any(_holder_alive(h) is False for h in holders):
            return recovered
        with self._tx() as conn:
            rows = conn.execute(sa.select(entries).where(entries.c.status == RESERVED)
                                .order_by(entries.c.id).with_for_update()).mappings().all()
            for row in rows:
                if _holder_alive(row) is False:
                    done = complete(entry_from_row(row)) if complete else None
                    values = (dict(status=ISSUED, output_path=done[0], file_hash=done[1]) if done
                              else dict(status=VOID, status_reason=STALE_REASON))
                    conn.execute(sa.update(entries).where(entries.c.id == row["id"]).values(status_at=utcnow(), **values))
                    recovered.append(entry_from_row(self._row(conn, row["number"])))
        return recovered


# --- helpers ----------------------------------------------------------------

#: Marks one reserved entry issued; an entry in any other state is left alone (and counted out).
_MARK_ISSUED = (sa.update(entries)
                .where(entries.c.number == sa.bindparam("b_number"), entries.c.status == RESERVED)
                .values(status=ISSUED, status_at=sa.bindparam("b_at"), output_path=sa.bindparam("b_path"),
                        file_hash=sa.bindparam("b_hash")))


class _NotReserved(Exception):
    """An entry to be marked issued was not reserved (the marking transaction is undone)."""


def _refuse_unreserved(conn: Connection, items: list[tuple[str, str, str]]) -> None:
    """Raise naming the numbers of ``items`` that are not reserved (nothing when all are)."""
    status = _statuses(conn, [n for n, _p, _h in items])
    bad = [f"{n}（{STATUS_LABELS.get(status[n], status[n]) if n in status else '不在登记簿中'}）"
           for n, _p, _h in items if status.get(n) != RESERVED]
    if bad:
        raise RegisterError(f"以下文号不是预留状态，不能登记为已签发：{'、'.join(bad[:10])}"
                            + (f" 等 {len(bad)} 个" if len(bad) > 10 else ""))


def _statuses(conn: Connection, numbers: list[str]) -> dict[str, str]:
    """``{number: status}`` of those ``numbers`` that exist, rows locked for update."""
    found: dict[str, str] = {}
    pg = conn.dialect.name == "postgresql"
    for chunk in _chunks(list(dict.fromkeys(numbers)), 5000 if pg else _CHUNK):
        match = (entries.c.number == sa.any_(sa.literal(chunk, postgresql.ARRAY(sa.String))) if pg
                 else entries.c.number.in_(chunk))
        query = sa.select(entries.c.number, entries.c.status).where(match).with_for_update()
        found.update({n: s for n, s in conn.execute(query)})
    return found


def _existing(conn: Connection, numbers: set[str]) -> set[str]:
    return set(_statuses(conn, sorted(numbers))) if numbers else set()


def _ids(conn: Connection, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Database ids of the rows just inserted, read back per sequence (one query each)."""
    spans: dict[tuple[str, int], list[int]] = {}
    for row in rows:
        spans.setdefault((row["sequence_key"], row["year"]), []).append(row["seq"])
    ids: dict[str, int] = {}
    for (key, year), seqs in spans.items():
        found = conn.execute(_IDS, {"b_key": key, "b_year": year, "b_low": min(seqs), "b_high": max(seqs)})
        ids.update({number: id_ for number, id_ in found})
    return ids


_IDS = sa.select(entries.c.number, entries.c.id).where(
    entries.c.sequence_key == sa.bindparam("b_key"), entries.c.year == sa.bindparam("b_year"),
    entries.c.seq.between(sa.bindparam("b_low"), sa.bindparam("b_high")))


__all__ = ["Register", "STALE_REASON"]
