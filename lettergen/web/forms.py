"""JSON calls of the 写信 page (under ``/ui/api``): form, checks, preview, issue.

Each handler parses, calls :mod:`lettergen.api` and answers JSON; problems
with the data come back as ``application/problem+json`` with the same problem
list as the CLI (path, Chinese label, message, value).
"""
from __future__ import annotations

import copy
from datetime import date
from typing import Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse
from urllib.parse import quote

from .. import api, jsondata
from ..accounts import Session
from ..config import Config
from ..errors import CheckFailed, InvalidInput, LettergenError, RegisterError, UnknownKind
from ..issuing import PLACEHOLDER_NUMBER, quality_gate
from ..letters import prepare, render_context, template_for, with_defaults
from ..models import Problem
from . import problem
from .auth import require
from .preview import Previewer

router = APIRouter()


def web(request: Request):
    return request.app.state.web


def problem_json(p: Problem) -> dict[str, Any]:
    value = p.value if isinstance(p.value, (str, int, float, bool)) or p.value is None else str(p.value)
    return {"path": p.path, "label": p.label, "message": p.message, "value": value, "severity": p.severity,
            "text": str(p)}


def finding_json(f: Any) -> dict[str, Any]:
    return {"code": f.code, "message": f.message, "severity": f.severity, "where": f.paragraph_text or ""}


def config_for(config: Config, session: Session) -> Config:
    """The settings with the signed-in person as the one who acts (``user:NAME``)."""
    data = copy.deepcopy(config.data)
    data["issued_by"] = session.user.actor
    return Config(data, config.base_dir, config.source)


def error_response(exc: LettergenError) -> JSONResponse:
    """One place where the page's errors become statuses."""
    if isinstance(exc, InvalidInput):
        return problem(422, "输入数据有误", exc.message, problems=[problem_json(p) for p in exc.problems])
    if isinstance(exc, CheckFailed):
        return problem(422, "未通过措辞与时限检查", exc.message, findings=[finding_json(f) for f in exc.findings])
    if isinstance(exc, UnknownKind):
        return problem(404, "未知的信函类型", exc.message)
    if isinstance(exc, RegisterError):
        status = 404 if "没有文号" in exc.message else 409
        return problem(status, "登记簿拒绝了操作", exc.message)
    return problem(500 if exc.exit_code == 1 else 400, "操作失败", exc.message)


def previewer(request: Request) -> Previewer:
    state = web(request)
    if "previewer" not in state.extra:
        state.extra["previewer"] = Previewer(state.config)
    return state.extra["previewer"]


@router.get("/kinds")
def kinds(request: Request, session: Session = Depends(require("read"))) -> list[dict[str, str]]:
    return [{"key": k.key, "name": k.name, "description": k.description} for k in api.kinds(web(request).config)]


@router.get("/kinds/{kind}/form")
def form(kind: str, request: Request, session: Session = Depends(require("draft"))):
    """The kind's JSON Schema and the settings' defaults to prefill the form with."""
    config = web(request).config
    try:
        schema = api.schema(kind, config)
    except LettergenError as exc:
        return error_response(exc)
    defaults = with_defaults(schema, {}, config)
    defaults.setdefault("letter_date", date.today().isoformat())
    return {"kind": kind, "name": schema.name, "description": schema.description,
            "schema": schema.json_schema(), "defaults": jsondata.plain(defaults)}


def _draft(kind: str, data: dict, config: Config) -> tuple[Any, bytes]:
    prepared = prepare(kind, data, config)
    return prepared, render_context(template_for(config, kind), prepared.context, PLACEHOLDER_NUMBER)


@router.post("/kinds/{kind}/check")
def check(kind: str, request: Request, data: dict = Body(..., embed=True),
          session: Session = Depends(require("draft"))):
    """Every problem with the data, and when there is none, the wording and time-limit warnings."""
    config = web(request).config
    try:
        result = api.validate(kind, data, config)
    except LettergenError as exc:
        return error_response(exc)
    findings: list[dict] = []
    if result.ok:
        try:
            prepared, docx = _draft(kind, data, config)
            findings = [finding_json(f) for f in quality_gate(prepared, docx, config, strict=False)]
            findings += [problem_json(w) for w in prepared.warnings]
        except LettergenError as exc:
            return error_response(exc)
    return {"ok": result.ok, "problems": [problem_json(p) for p in result.problems],
            "warnings": [problem_json(w) for w in result.warnings] + findings}


@router.post("/kinds/{kind}/preview")
def preview(kind: str, request: Request, data: dict = Body(..., embed=True),
            session: Session = Depends(require("draft"))):
    """Page images of the draft's PDF (number not yet taken), or an HTML approximation."""
    try:
        _prepared, docx = _draft(kind, data, web(request).config)
    except LettergenError as exc:
        return error_response(exc)
    return previewer(request).preview(docx).as_json()


def letter_links(number: str) -> dict[str, str]:
    base = f"/ui/letters/{quote(number, safe='')}"
    return {"view_url": base, "docx_url": f"{base}/docx", "pdf_url": f"{base}/pdf"}


@router.post("/letters")
def issue(request: Request, kind: str = Body(...), data: dict = Body(...), corrects: str | None = Body(None),
          reason: str = Body(""), session: Session = Depends(require("issue"))):
    """签发: take the next number and register the letter; or, with ``corrects``, issue its correction."""
    config = config_for(web(request).config, session)
    try:
        if corrects:
            if not session.user.may("correct"):
                return problem(403, "无权操作", f"您的角色（{session.user.role_label}）无权订正信函")
            issued = api.correct(corrects, data, reason=reason or "", config=config)
        else:
            issued = api.issue_letter(kind, data, config=config)
    except LettergenError as exc:
        return error_response(exc)
    return {"number": issued.entry.number, **letter_links(issued.entry.number),
            "warnings": [finding_json(f) for f in issued.findings]}


@router.get("/letters/{number}/data")
def letter_data(number: str, request: Request, session: Session = Depends(require("read"))):
    """The stored input of a letter, as the form shows it (for 订正)."""
    try:
        entry = web(request).register.get(number)
    except LettergenError as exc:
        return error_response(exc)
    return {"number": entry.number, "kind": entry.kind, "status": entry.status,
            "data": jsondata.plain(jsondata.decode(entry.data.get("input", {})))}
