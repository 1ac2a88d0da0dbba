"""Checking reservation requests, building their rows and query filters (no database access).

Everything that can be done before the register's lock is taken happens
here, so the locked part of a reservation is short even for 10,000 letters.
"""
from __future__ import annotations

import secrets
from collections import Counter
from datetime import date, datetime
from typing import Any

from ..errors import RegisterError
from .entry import RESERVED, STATUS_LABELS, STATUSES, dump_data
from .schema import entries
from .process import ProcessId

REQUIRED = ("kind", "sequence_key", "year", "make_number", "letter_date", "customer", "subject",
            "data", "template_name", "template_hash", "issued_by")
OPTIONAL = ("batch_id", "source_key", "supersedes", "actor", "idempotency_key")


def check_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` if it is a complete reservation request; ``TypeError`` / ``RegisterError`` if not."""
    missing = [k for k in REQUIRED if k not in spec]
    unknown = [k for k in spec if k not in REQUIRED and k not in OPTIONAL]
    if missing or unknown:
        raise TypeError(f"reserve(): missing {missing}, unknown {unknown}")
    if not callable(spec["make_number"]):
        raise TypeError("reserve(): make_number must be callable")
    year = spec["year"]
    if isinstance(year, bool) or not isinstance(year, int):
        raise RegisterError(f"登记年份应为整数，当前为 {year!r}")
    if not isinstance(spec["letter_date"], date):
        raise RegisterError(f"登记日期应为日期，当前为 {spec['letter_date']!r}")
    require_text(spec["sequence_key"], "文号序列")
    return spec


def key_of(spec: dict[str, Any]) -> tuple[str, int]:
    """The sequence a request draws from: (sequence key, year)."""
    return spec["sequence_key"], spec["year"]


def base_row(spec: dict[str, Any], proc: ProcessId, now: datetime) -> dict[str, Any]:
    """The entry row for ``spec``, except ``seq`` and ``number`` (set under the lock)."""
    return {
        "number": None, "sequence_key": spec["sequence_key"], "seq": None, "year": spec["year"],
        "kind": spec["kind"], "letter_date": as_date(spec["letter_date"]),
        "customer": str(spec["customer"]), "subject": str(spec["subject"]),
        "data": dump_data(spec["data"]), "template_name": str(spec["template_name"]),
        "template_hash": str(spec["template_hash"]), "output_path": None, "file_hash": None,
        "pdf_path": None, "pdf_hash": None, "batch_id": spec.get("batch_id"),
        "source_key": spec.get("source_key"), "status": RESERVED, "status_reason": None,
        "status_at": now, "supersedes": spec.get("supersedes"), "superseded_by": None,
        "issued_by": str(spec["issued_by"]), "created_at": now,
        "pid": proc.pid, "host": proc.host, "proc_start": proc.start,
        "verify_code": new_verify_code(), "actor": spec.get("actor"), "status_actor": None,
        "idempotency_key": spec.get("idempotency_key"),
    }


VERIFY_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read off paper


def new_verify_code(length: int = 10) -> str:
    """A random verification code (50 bits), stored with the entry: reissues print the same one."""
    return "".join(VERIFY_ALPHABET[byte & 31] for byte in secrets.token_bytes(length))  # 32 letters: uniform


def set_number(row: dict[str, Any], seq: int, make_number) -> None:
    number = make_number(seq)
    if not isinstance(number, str) or not number.strip():
        raise RegisterError(f"文号格式生成了空文号（序号 {seq}）")
    row["seq"], row["number"] = seq, number


def as_date(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


def require_text(value: Any, what: str) -> None:
    if value is None or not str(value).strip():
        raise RegisterError(f"{what}不能为空")


def require_status(row: Any, allowed: tuple[str, ...], action: str) -> None:
    if row["status"] not in allowed:
        label = STATUS_LABELS.get(row["status"], row["status"])
        raise RegisterError(f"文号 {row['number']} 当前状态为「{label}」，不能{action}")


def check_unique(rows: list[dict[str, Any]]) -> None:
    """Refuse a batch whose numbers repeat (the pattern lacks ``{seq}``)."""
    repeated = sorted(n for n, times in Counter(r["number"] for r in rows).items() if times > 1)
    if repeated:
        raise RegisterError(f"文号重复：{'、'.join(repeated[:5])}（请检查文号格式是否含序号 {{seq}}）")


def filter_conditions(kind, year, customer, status, date_from, date_to, batch_id) -> list:
    """The WHERE conditions of :meth:`Register.list` (``register list``'s filters)."""
    if status is not None and status not in STATUSES:
        raise RegisterError(f"未知的登记状态「{status}」；可用：{'、'.join(STATUSES)}")
    c = entries.c
    wanted = [(kind, c.kind == kind), (year is not None, c.year == year), (status, c.status == status),
              (batch_id, c.batch_id == batch_id)]
    conditions = [condition for given, condition in wanted if given]
    if customer:
        conditions.append(c.customer.contains(customer, autoescape=True))
    if date_from is not None:
        conditions.append(c.letter_date >= as_date(date_from))
    if date_to is not None:
        conditions.append(c.letter_date <= as_date(date_to))
    return conditions
