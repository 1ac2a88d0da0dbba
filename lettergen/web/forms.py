"""JSON calls of the 写信 page (under ``/ui/api``): form, checks, preview, issue.

Each handler parses, calls :mod:`lettergen.api` and answers JSON.  Errors are
raised and become ``application/problem+json`` in the service's one place
(:mod:`lettergen.service.problems`), with the same problem list as the CLI
(path, Chinese label, message, value).
"""
from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Body, Depends, Request

from .. import api, jsondata
from ..accounts import Session
from ..letters import CONFIG_DEFAULTS, with_defaults
from ..quality import check_letter_quality
from ..service.problems import problem_item
from .auth import WebAuthError, require
from .preview import Previewer

router = APIRouter()


def web(request: Request):
    return request.app.state.web


def finding_json(f: Any) -> dict[str, Any]:
    where = f.paragraph_text or ""
    return {"code": f.code, "message": f.message, "severity": f.severity, "text": f"{where}：{f.message}" if where else f.message}


def previewer(request: Request) -> Previewer:
    state = web(request)
    if "previewer" not in state.extra:
        state.extra["previewer"] = Previewer(state.config)
    return state.extra["previewer"]


@router.get("/kinds/{kind}/form")
def form(kind: str, request: Request, session: Session = Depends(require("draft"))) -> dict[str, Any]:
    """The kind's JSON Schema and the settings' defaults to prefill the form with."""
    config = web(request).config
    schema = api.schema(kind, config)
    defaults = with_defaults(schema, {}, config)
    defaults.setdefault("letter_date", date.today().isoformat())
    from_settings = [name for name in CONFIG_DEFAULTS if isinstance(defaults.get(name), dict)]
    return {"kind": kind, "name": schema.name, "description": schema.description,
            "schema": schema.json_schema(), "defaults": jsondata.plain(defaults), "from_settings": from_settings}


@router.post("/kinds/{kind}/check")
def check(kind: str, request: Request, data: dict = Body(..., embed=True),
          session: Session = Depends(require("draft"))) -> dict[str, Any]:
    """Every problem with the data; when there is none, the wording and time-limit warnings too."""
    config = web(request).config
    result = api.validate(kind, data, config)
    warnings = [problem_item(w) for w in result.warnings]
    if result.ok:
        draft = api.draft(kind, data, config=config)
        warnings = [problem_item(w) for w in draft.warnings]
        warnings += [finding_json(f) for f in check_letter_quality(kind, draft.data, draft.docx, config)
                     if f.severity != "info"]
    return {"ok": result.ok, "problems": [problem_item(p) for p in result.problems], "warnings": warnings}


@router.post("/kinds/{kind}/preview")
def preview(kind: str, request: Request, data: dict = Body(...), corrects: str | None = Body(None),
            session: Session = Depends(require("draft"))) -> dict[str, Any]:
    """Page images of the draft's PDF (no number taken yet), or an HTML approximation.

    With ``corrects``, the draft is that letter's correction, saying what it corrects.
    """
    state = web(request)
    if corrects:
        draft = api.draft_correction(corrects, data, config=state.config, register=state.register)
    else:
        draft = api.draft(kind, data, config=state.config)
    return previewer(request).preview(draft.docx).as_json()


def letter_links(number: str) -> dict[str, str]:
    base = f"/ui/letters/{quote(number, safe='')}"
    return {"view_url": base, "docx_url": f"{base}/docx", "pdf_url": f"{base}/pdf"}


@router.post("/letters")
def issue(request: Request, kind: str = Body(...), data: dict = Body(...), corrects: str | None = Body(None),
          reason: str = Body(""), session: Session = Depends(require("issue"))) -> dict[str, Any]:
    """签发: take the next number and register the letter; with ``corrects``, issue its correction (订正)."""
    state = web(request)
    actor = session.user.actor
    if corrects:
        if not session.user.may("correct"):
            raise WebAuthError(403, f"您的角色（{session.user.role_label}）无权订正信函")
        issued = api.correct(corrects, data, reason=reason, config=state.config, actor=actor, register=state.register)
    else:
        issued = api.issue_letter(kind, data, config=state.config, actor=actor, register=state.register,
                                  issuer=request.app.state.issuer)
    return {"number": issued.entry.number, **letter_links(issued.entry.number),
            "warnings": [finding_json(f) for f in issued.findings]}


@router.get("/letters/{number}/data")
def letter_data(number: str, request: Request, session: Session = Depends(require("read"))) -> dict[str, Any]:
    """The stored input of a letter, as the form shows it (to correct it)."""
    entry = api.letter(number, register=web(request).register)
    return {"number": entry.number, "kind": entry.kind, "status": entry.status,
            "data": jsondata.plain(jsondata.decode(entry.data.get("input", {})))}
