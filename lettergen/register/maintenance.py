"""Keeping a register safe: its identity, online backups, rebuilding it from the letters.

* every register has an id (``register_meta``, migration 0005) that each
  letter it numbers carries in its document properties
  (:mod:`lettergen.docprops`), so an emptied or replaced register is noticed
  before it hands out a number twice (:mod:`lettergen.register_guard`);
* :meth:`RegisterMaintenance.backup` copies a SQLite register with SQLite's
  online backup (consistent while letters are being issued); PostgreSQL
  registers are backed up with ``pg_dump``;
* :meth:`RegisterMaintenance.rebuild` recreates entries and sequences in an
  empty register from the identities of issued letters.  Numbers of a
  sequence with no letter on disk are entered as void, so the sequence stays
  gap-free and no number is ever handed out again.
"""
from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from ..errors import OutputExists, RegisterError
from .engine import safe_url
from .entry import ISSUED, VOID, dump_data, utcnow
from .schema import entries, meta, sequences

REBUILT_VOID_REASON = "重建登记簿时没有找到该文号的信函（可能已作废或文件丢失）"
REBUILT_BY = "register rebuild"
IDENTITY_KEYS = ("register_id", "number", "kind", "sequence_key", "seq", "year", "letter_date", "customer",
                 "subject", "template_name", "template_hash")


_WATERMARK = sa.select(  # one statement, built once: it runs before every group of letters
    sa.select(meta.c.value).where(meta.c.key == "register_id").scalar_subquery(),
    sa.select(sa.func.max(entries.c.id)).scalar_subquery())


class RegisterMaintenance:
    """Methods of :class:`lettergen.register.Register` about the register as a whole."""

    url: str

    @property
    def register_id(self) -> str:
        """This register's id (a random hex string made when its schema was created)."""
        if getattr(self, "_register_id", None) is None:
            with self._tx(write=False) as conn:
                self._register_id = conn.execute(sa.select(meta.c.value).where(meta.c.key == "register_id")).scalar()
        return self._register_id

    def is_empty(self) -> bool:
        """True when no number was ever handed out (no entries, no sequences)."""
        with self._tx(write=False) as conn:
            return (conn.execute(sa.select(entries.c.id).limit(1)).first() is None
                    and conn.execute(sa.select(sequences.c.year).limit(1)).first() is None)

    def watermark(self) -> tuple[str | None, int]:
        """This register's id and :meth:`high_water`, read afresh in one snapshot.

        Entries are never deleted, so the high water only grows: lower than seen
        before, or another id, means the register was replaced (an older backup
        put back, another register) since.
        """
        with self._tx(write=False) as conn:
            register_id, high = conn.execute(_WATERMARK).one()
            return register_id, high or 0

    def high_water(self) -> int:
        """The id of the newest entry (0 if none): at least the number of letters ever issued."""
        with self._tx(write=False) as conn:
            return conn.execute(sa.select(sa.func.max(entries.c.id))).scalar() or 0

    def backup(self, target: str | Path) -> Path:
        """Copy the register to ``target`` (SQLite online backup); never overwrites."""
        target = Path(target)
        url = make_url(self.url)
        if url.get_backend_name() != "sqlite":
            raise RegisterError(
                f"登记簿 {safe_url(self.url)} 是 PostgreSQL 数据库，请用 pg_dump 备份，例如：\n"
                f"  pg_dump --format=custom --file={target} '{_libpq_url(url)}'\n"
                "恢复：pg_restore --clean --dbname=<数据库地址> " + str(target))
        if target.exists():
            raise OutputExists(str(target))
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(f".~{target.name}.part")
        source = sqlite3.connect(url.database)
        try:
            copy = sqlite3.connect(part)
            try:
                source.backup(copy)
            finally:
                copy.close()
            part.replace(target)
        finally:
            source.close()
            part.unlink(missing_ok=True)
        return target

    def rebuild(self, letters: list[tuple[Path, dict[str, str], str]]) -> dict[str, int]:
        """Fill an empty register from ``(path, identity, sha256)`` of issued letters.

        Returns counts: ``issued`` entries from letters, ``void`` numbers with
        no letter, ``sequences``.
        """
        if not self.is_empty():
            raise RegisterError(f"登记簿 {safe_url(self.url)} 不是空的：只能在空的（新建的）登记簿中重建")
        rows, register_id = _rows_from_letters(letters)
        with self._tx() as conn:
            last: dict[tuple[str, int], int] = {}
            for row in rows:
                key = (row["sequence_key"], row["year"])
                last[key] = max(last.get(key, 0), row["seq"])
            rows += _void_rows(rows, last)
            conn.execute(sa.insert(sequences), [{"sequence_key": k, "year": y, "last_seq": n} for (k, y), n in last.items()])
            conn.execute(sa.insert(entries), sorted(rows, key=lambda r: (r["sequence_key"], r["year"], r["seq"])))
            conn.execute(sa.update(meta).where(meta.c.key == "register_id").values(value=register_id))
        self._register_id = register_id
        return {"issued": sum(r["status"] == ISSUED for r in rows), "void": sum(r["status"] == VOID for r in rows),
                "sequences": len(last)}


def _libpq_url(url) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=True)


def _base(now, **values: Any) -> dict[str, Any]:
    row = {c.name: None for c in entries.columns if c.name != "id"}
    row.update(status_at=now, created_at=now, issued_by=REBUILT_BY, **values)
    return row


def _rows_from_letters(letters) -> tuple[list[dict[str, Any]], str]:
    now = utcnow()
    by_number: dict[str, dict[str, Any]] = {}
    ids: set[str] = set()
    problems: list[str] = []
    for path, ident, digest in letters:
        missing = [k for k in IDENTITY_KEYS if not ident.get(k)]
        if missing:
            problems.append(f"{path}：文档属性缺少 {'、'.join(missing)}")
            continue
        ids.add(ident["register_id"])
        try:
            seq, year, day = int(ident["seq"]), int(ident["year"]), date.fromisoformat(ident["letter_date"])
        except ValueError as exc:
            problems.append(f"{path}：文档属性无效（{exc}）")
            continue
        earlier = by_number.get(ident["number"])
        if earlier is not None:
            if earlier["file_hash"] != digest:
                problems.append(f"文号 {ident['number']} 有两个内容不同的文件：{earlier['output_path']} 与 {path}")
            continue
        by_number[ident["number"]] = _base(
            now, number=ident["number"], sequence_key=ident["sequence_key"], seq=seq, year=year, kind=ident["kind"],
            letter_date=day, customer=ident["customer"], subject=ident["subject"],
            data=dump_data({"rebuilt_from": str(path)}), template_name=ident["template_name"],
            template_hash=ident["template_hash"], output_path=str(Path(path).resolve()), file_hash=digest,
            source_key=ident.get("source_key") or None, batch_id=ident.get("batch_id") or None, status=ISSUED,
            status_reason="由 register rebuild 从信函重建")
    if len(ids) > 1:
        problems.append(f"这些信函来自 {len(ids)} 个不同的登记簿（{'、'.join(sorted(ids))}）；请只给出同一登记簿的信函")
    if problems:
        raise RegisterError("无法重建登记簿：\n" + "\n".join(f"  - {p}" for p in problems[:20]))
    if not by_number:
        raise RegisterError("没有找到带登记簿标识的信函（.docx），无法重建")
    return list(by_number.values()), ids.pop()


def _void_rows(rows: list[dict[str, Any]], last: dict[tuple[str, int], int]) -> list[dict[str, Any]]:
    """Void entries for the numbers of each sequence that have no letter."""
    now = utcnow()
    by_seq: dict[tuple[str, int], dict[int, dict[str, Any]]] = {}
    for row in rows:
        by_seq.setdefault((row["sequence_key"], row["year"]), {})[row["seq"]] = row
    out = []
    for key, found in by_seq.items():
        prefix, _, suffix = key[0].partition("{seq}")
        texts = [r["number"][len(prefix):len(r["number"]) - len(suffix)] for r in found.values()]
        width = max((len(t) for t in texts if t.startswith("0")), default=0)  # numbering.width
        for seq in range(1, last[key] + 1):
            if seq in found:
                continue
            near = found[min(found, key=lambda s: abs(s - seq))]
            out.append(_base(now, number=f"{prefix}{str(seq).zfill(width)}{suffix}", sequence_key=key[0], seq=seq,
                             year=key[1], kind=near["kind"], letter_date=near["letter_date"], customer="", subject="",
                             data=dump_data({}), template_name=near["template_name"],
                             template_hash=near["template_hash"], status=VOID, status_reason=REBUILT_VOID_REASON))
    return out
