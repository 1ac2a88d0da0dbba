"""``/letters``: issue (numbered, registered, idempotent), find, fetch files, void, correct, reissue."""
from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import FileResponse, Response

from ... import api
from ..auth import Principal, require
from ..deps import DOCX, PDF, config, file_response, json_body, register
from ..models import CorrectRequest, IssueRequest, LetterOut, LetterPage, VoidRequest, letter_out
from ..problems import ServiceProblem, problem_openapi

router = APIRouter(prefix="/letters", tags=["letters"], responses=problem_openapi(401, 403, 429))
MAX_PAGE = 500


def _scoped_key(principal: Principal, key: str | None) -> str | None:
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > 200:
        raise ServiceProblem(400, "Idempotency-Key 应为 1 到 200 个字符")
    return f"{principal.actor}|{key}"  # one client's keys never collide with another's


@router.post("", status_code=201, response_model=LetterOut, summary="Issue a letter (numbered and registered)",
             dependencies=[Depends(json_body)], responses=problem_openapi(404, 409, 415, 422, 503))
def issue(body: IssueRequest, request: Request, response: Response, cfg=Depends(config), reg=Depends(register),
          idempotency_key: str | None = Header(None, alias="Idempotency-Key",
                                               description="Retries with the same key and body return the same letter"),
          principal: Principal = Depends(require("issue"))) -> LetterOut:
    issued = api.issue_letter(body.kind, body.data, config=cfg, register=reg, pdf=body.pdf, strict=body.strict,
                              actor=principal.actor, idempotency_key=_scoped_key(principal, idempotency_key),
                              issuer=request.app.state.issuer)
    out = letter_out(issued.entry, cfg, replayed=issued.replayed,
                     warnings=[] if issued.replayed else [*issued.prepared.warnings, *issued.findings])
    response.headers["Location"] = out.links["self"]
    if issued.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return out


@router.get("", response_model=LetterPage, summary="Find letters (the filters of `register list`), paginated")
def find(kind: str | None = None, year: int | None = None,
         customer: str | None = Query(None, description="Part of the customer's name"),
         status: Literal["reserved", "issued", "void", "superseded"] | None = None,
         date_from: date | None = Query(None, alias="from"), date_to: date | None = Query(None, alias="to"),
         batch: str | None = None, offset: int = Query(0, ge=0), limit: int = Query(50, ge=1, le=MAX_PAGE),
         cfg=Depends(config), reg=Depends(register), _=Depends(require("read"))) -> LetterPage:
    found, total = api.letters(kind=kind, year=year, customer=customer, status=status, date_from=date_from,
                               date_to=date_to, batch_id=batch, limit=limit, offset=offset, register=reg, config=cfg)
    return LetterPage(items=[letter_out(e, cfg) for e in found], total=total, offset=offset, limit=limit)


@router.get("/{number}.docx", response_class=Response, summary="The letter's .docx",
            responses={200: {"content": {DOCX: {}}}, **problem_openapi(404, 409)})
def docx(number: str, cfg=Depends(config), reg=Depends(register), _=Depends(require("read"))) -> Response:
    return file_response(api.letter_docx(number, config=cfg, register=reg), "docx", f"{number}.docx")


@router.get("/{number}.pdf", response_class=FileResponse, summary="The letter's PDF (made on first request and recorded)",
            responses={200: {"content": {PDF: {}}}, **problem_openapi(404, 409, 503)})
def pdf(number: str, cfg=Depends(config), reg=Depends(register), _=Depends(require("read"))) -> FileResponse:
    path = api.letter_pdf(number, config=cfg, register=reg)
    return FileResponse(path, media_type=PDF, filename=f"{number}.pdf")


@router.get("/{number}", response_model=LetterOut, summary="One letter's register entry", responses=problem_openapi(404))
def get(number: str, cfg=Depends(config), reg=Depends(register), _=Depends(require("read"))) -> LetterOut:
    return letter_out(api.letter(number, config=cfg, register=reg), cfg)


@router.post("/{number}/void", response_model=LetterOut, summary="Void a letter (作废)",
             dependencies=[Depends(json_body)], responses=problem_openapi(404, 409, 415))
def void(number: str, body: VoidRequest, cfg=Depends(config), reg=Depends(register),
         principal: Principal = Depends(require("manage"))) -> LetterOut:
    return letter_out(api.void(number, body.reason, actor=principal.actor, config=cfg, register=reg), cfg)


@router.post("/{number}/correct", status_code=201, response_model=LetterOut,
             summary="Issue a correction that supersedes the letter (订正)",
             dependencies=[Depends(json_body)], responses=problem_openapi(404, 409, 415, 422))
def correct(number: str, body: CorrectRequest, response: Response, cfg=Depends(config), reg=Depends(register),
            principal: Principal = Depends(require("manage"))) -> LetterOut:
    issued = api.correct(number, body.data, reason=body.reason, config=cfg, actor=principal.actor, register=reg)
    out = letter_out(issued.entry, cfg, warnings=[*issued.prepared.warnings, *issued.findings])
    response.headers["Location"] = out.links["self"]
    return out


@router.post("/{number}/reissue", response_model=LetterOut,
             summary="Write the letter's file again, byte-identical, from the register", responses=problem_openapi(404, 409))
def reissue(number: str, cfg=Depends(config), reg=Depends(register), _=Depends(require("manage"))) -> LetterOut:
    api.reissue(number, config=cfg, register=reg)
    return letter_out(api.letter(number, config=cfg, register=reg), cfg)
