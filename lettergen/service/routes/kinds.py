"""``/kinds``: the letter kinds, their JSON Schema and sample, validation and unnumbered drafts."""
from __future__ import annotations

from typing import Any

import yaml
from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import Response

from ... import api
from ..auth import require
from ..deps import DOCX, PDF, config, file_response, json_body, wanted_format
from ..models import KindDetail, KindSummary, ValidationReport
from ..problems import problem_item, problem_openapi

router = APIRouter(prefix="/kinds", tags=["kinds"], responses=problem_openapi(401, 403, 429))
DataBody = Body(..., description="The letter's input (as in `lettergen sample KIND`)",
                examples=[{"recipient": {"name": "上海晨光文具有限公司"}}])


@router.get("", response_model=list[KindSummary], summary="Letter kinds")
def list_kinds(cfg=Depends(config), _=Depends(require("read"))) -> list[KindSummary]:
    return [KindSummary(key=k.key, name=k.name, description=k.description, number_code=k.number_code)
            for k in api.kinds(cfg)]


@router.get("/{kind}", response_model=KindDetail, summary="A kind's JSON Schema and a sample",
            responses=problem_openapi(404))
def get_kind(kind: str, cfg=Depends(config), _=Depends(require("read"))) -> KindDetail:
    schema = api.schema(kind, cfg)
    return KindDetail(key=kind, name=schema.name, description=schema.description, number_code=cfg.number_code(kind),
                      json_schema=api.json_schema(kind, cfg), sample=yaml.safe_load(api.sample_text(kind, cfg)))


@router.post("/{kind}/validate", response_model=ValidationReport, summary="Every problem in the data",
             dependencies=[Depends(json_body)], responses=problem_openapi(404, 415))
def validate(kind: str, data: dict[str, Any] = DataBody, cfg=Depends(config),
             _=Depends(require("draft"))) -> ValidationReport:
    result = api.validate(kind, data, cfg)
    return ValidationReport(valid=not result.problems, problems=[problem_item(p) for p in result.problems],
                            warnings=[problem_item(p) for p in result.warnings])


@router.post("/{kind}/drafts", summary="An unnumbered draft (.docx or PDF), not registered",
             dependencies=[Depends(json_body)], response_class=Response,
             responses={200: {"content": {DOCX: {}, PDF: {}}, "description": "The draft"},
                        **problem_openapi(404, 406, 415, 422, 503)})
def draft(kind: str, request: Request, data: dict[str, Any] = DataBody,
          format: str | None = Query(None, description="docx or pdf (default: from Accept, else docx)"),
          cfg=Depends(config), _=Depends(require("draft"))) -> Response:
    fmt = wanted_format(request, format)
    letter = api.draft(kind, data, pdf=fmt == "pdf", config=cfg)
    return file_response(letter.docx, fmt, f"{kind}-draft.{fmt}")
