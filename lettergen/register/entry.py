"""Plain types of the register (:class:`Entry`, :class:`VerifyReport`) and the JSON codec.

Letter data is stored as JSON text: dates and datetimes become ISO strings,
decimals become strings (never floats, so amounts keep every digit), tuples
and sets become lists.  Keys keep their order, so the stored data reads back
as the same dict a letter was rendered from.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from decimal import Decimal
from typing import Any, Mapping

from ..errors import RegisterError

RESERVED, ISSUED, VOID, SUPERSEDED = "reserved", "issued", "void", "superseded"
STATUSES = (RESERVED, ISSUED, VOID, SUPERSEDED)
STATUS_LABELS = {RESERVED: "预留", ISSUED: "已签发", VOID: "已作废", SUPERSEDED: "已被订正"}


@dataclass
class Entry:
    """One registered number (one row of the 发文登记簿)."""

    id: int
    number: str
    sequence_key: str
    seq: int
    year: int
    kind: str
    letter_date: date
    customer: str
    subject: str
    template_name: str
    template_hash: str
    output_path: str | None
    file_hash: str | None
    pdf_path: str | None
    pdf_hash: str | None
    batch_id: str | None
    source_key: str | None
    status: str
    status_reason: str | None
    status_at: datetime
    supersedes: str | None
    superseded_by: str | None
    issued_by: str
    created_at: datetime
    pid: int | None = None
    host: str | None = None
    verify_code: str | None = None
    actor: str | None = None  # who issued: "key:NAME" (HTTP API), "user:NAME" (web page)
    status_actor: str | None = None  # who voided or superseded it
    idempotency_key: str | None = None
    data_json: str = field(default="{}", repr=False)  # the stored JSON text of ``data``
    #: The letter's stored data (input and context), decoded from ``data_json`` when first read:
    #: numbering a batch reads thousands of entries and none of their data.
    data: dict[str, Any] = field(init=False, repr=False, compare=False)

    def __getattr__(self, name: str) -> Any:
        if name == "data":  # not decoded yet (an attribute that is set is never looked up here)
            self.data = load_data(self.data_json)
            return self.data
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


@dataclass
class VerifyReport:
    """Outcome of :meth:`Register.verify`: ``ok`` unless ``problems`` (Chinese) is non-empty."""

    problems: list[str] = field(default_factory=list)
    in_progress: list[str] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def _default(value: Any) -> Any:
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(type(value).__name__)


class DumpedData(str):
    """Letter data turned into JSON text by :func:`dump_data` already (in a batch's
    worker process, in parallel): stored as it is."""

    __slots__ = ()


def dump_data(data: Mapping[str, Any] | DumpedData) -> str:
    """``data`` as JSON text (see the module docstring for the conversions)."""
    if isinstance(data, DumpedData):
        return str(data)
    if not isinstance(data, Mapping):
        raise RegisterError(f"登记的信函数据应为字典，当前为 {type(data).__name__}")
    try:
        return json.dumps(dict(data), ensure_ascii=False, allow_nan=False, default=_default)
    except (TypeError, ValueError) as exc:
        raise RegisterError(f"信函数据无法存入登记簿（无法转为 JSON：{exc}）") from None


def load_data(text: str) -> dict[str, Any]:
    return json.loads(text)


def utcnow() -> datetime:
    """Now, in UTC, naive (as stored); :func:`aware` adds the zone back on reading."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=timezone.utc)


def entry_from_row(row: Mapping[str, Any]) -> Entry:
    return Entry(
        id=row["id"],
        number=row["number"],
        sequence_key=row["sequence_key"],
        seq=row["seq"],
        year=row["year"],
        kind=row["kind"],
        letter_date=row["letter_date"],
        customer=row["customer"],
        subject=row["subject"],
        data_json=row["data"],
        template_name=row["template_name"],
        template_hash=row["template_hash"],
        output_path=row["output_path"],
        file_hash=row["file_hash"],
        pdf_path=row["pdf_path"],
        pdf_hash=row["pdf_hash"],
        batch_id=row["batch_id"],
        source_key=row["source_key"],
        status=row["status"],
        status_reason=row["status_reason"],
        status_at=aware(row["status_at"]),
        supersedes=row["supersedes"],
        superseded_by=row["superseded_by"],
        issued_by=row["issued_by"],
        created_at=aware(row["created_at"]),
        pid=row["pid"],
        host=row["host"],
        verify_code=row.get("verify_code"),
        actor=row.get("actor"),
        status_actor=row.get("status_actor"),
        idempotency_key=row.get("idempotency_key"),
    )
