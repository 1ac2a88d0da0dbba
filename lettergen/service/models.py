"""Typed request and response bodies of the HTTP service (what OpenAPI documents).

Letter data itself stays a free JSON object: its contract is the kind's
JSON Schema (``GET /kinds/{kind}``), checked by the library with Chinese
messages, not by pydantic.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, Field

from ..config import Config
from ..register import Entry
from ..verification import verification_url


class KindSummary(BaseModel):
    key: str = Field(examples=["payment_reminder"])
    name: str = Field(examples=["催款通知"])
    description: str
    number_code: str = Field(examples=["催"])


class KindDetail(KindSummary):
    json_schema: dict[str, Any] = Field(description="The kind's input contract (JSON Schema, with Chinese labels as titles)")
    sample: dict[str, Any] = Field(description="A valid sample input")


class ProblemItem(BaseModel):
    path: str = Field(description="Key path in the data, e.g. recipient.name")
    label: str = Field(description="Chinese label, e.g. 收函客户·名称")
    message: str
    value: Any = None
    row: int | None = None
    column: str | None = None
    severity: str = "error"
    text: str = Field(description="The whole message as the CLI prints it")


class ValidationReport(BaseModel):
    valid: bool
    problems: list[ProblemItem]
    warnings: list[ProblemItem]


class IssueRequest(BaseModel):
    kind: str = Field(examples=["payment_reminder"])
    data: dict[str, Any] = Field(description="The letter's input, as in `lettergen sample KIND`")
    strict: bool = Field(False, description="Refuse on wording or time-limit warnings (no number used)")
    pdf: bool = Field(False, description="Also make the PDF now (else on first GET …/pdf)")


class VoidRequest(BaseModel):
    reason: str = Field(min_length=1, description="作废原因, recorded in the register")


class CorrectRequest(BaseModel):
    data: dict[str, Any] = Field(description="The corrected letter's full input")
    reason: str = Field("", description="订正原因, recorded with the superseded letter")


class LetterOut(BaseModel):
    number: str
    kind: str
    status: str = Field(description="reserved | issued | void | superseded")
    status_label: str
    letter_date: date
    customer: str
    subject: str
    issued_by: str
    actor: str | None = Field(None, description="Who issued it: key:NAME or user:NAME")
    status_actor: str | None = Field(None, description="Who voided or superseded it")
    status_reason: str | None = None
    status_at: datetime
    created_at: datetime
    supersedes: str | None = None
    superseded_by: str | None = None
    batch_id: str | None = None
    verify_code: str | None = None
    verify_url: str | None = None
    links: dict[str, str]
    warnings: list[str] = []
    replayed: bool = Field(False, description="True when an Idempotency-Key retry returned this earlier letter")


def letter_links(number: str) -> dict[str, str]:
    base = f"/letters/{quote(number, safe='')}"
    return {"self": base, "docx": f"{base}.docx", "pdf": f"{base}.pdf"}


def letter_out(entry: Entry, config: Config, *, warnings: list | None = None, replayed: bool = False) -> LetterOut:
    return LetterOut(
        number=entry.number, kind=entry.kind, status=entry.status, status_label=entry.status_label,
        letter_date=entry.letter_date, customer=entry.customer, subject=entry.subject, issued_by=entry.issued_by,
        actor=entry.actor, status_actor=entry.status_actor, status_reason=entry.status_reason,
        status_at=entry.status_at, created_at=entry.created_at, supersedes=entry.supersedes,
        superseded_by=entry.superseded_by, batch_id=entry.batch_id, verify_code=entry.verify_code,
        verify_url=verification_url(config, entry), links=letter_links(entry.number),
        warnings=[str(w) for w in warnings or []], replayed=replayed)


class LetterPage(BaseModel):
    items: list[LetterOut]
    total: int
    offset: int
    limit: int


class JobOut(BaseModel):
    id: str
    kind: str
    status: str = Field(description="queued | running | done | failed")
    source_name: str
    done: int
    total: int
    attempts: int
    actor: str | None
    created_at: datetime
    updated_at: datetime
    error: dict[str, Any] | None = None
    result: dict[str, Any] | None = None
    links: dict[str, str]


class RegisterReport(BaseModel):
    ok: bool
    problems: list[str]
    in_progress: list[str]
    checked: dict[str, int]


class Health(BaseModel):
    status: str
    checks: dict[str, str] = {}
