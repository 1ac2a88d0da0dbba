"""``/healthz``, ``/readyz`` (no key needed) and ``/register/verify``."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from ... import api
from ...convert import find_soffice
from ..auth import require
from ..deps import config, register
from ..models import Health, RegisterReport
from ..problems import problem_openapi

router = APIRouter(tags=["system"])


@router.get("/healthz", response_model=Health, summary="The process answers")
def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Health, summary="Ready to serve: register reachable, templates present",
            responses={503: {"model": Health, "description": "Not ready"}})
def readyz(request: Request, cfg=Depends(config)):  # noqa: ANN201
    checks: dict[str, str] = {}
    try:
        request.app.state.register().schema_revision()
        checks["register"] = "ok"
    except Exception as exc:  # noqa: BLE001 (any failure means not ready)
        checks["register"] = f"unavailable: {type(exc).__name__}"
    checks["templates"] = "ok" if api.kinds(cfg) else "no kinds with templates"
    checks["pdf"] = "ok" if find_soffice() else "LibreOffice not found: PDF requests get 503"
    ready = checks["register"] == "ok" and checks["templates"] == "ok"
    body = Health(status="ok" if ready else "unavailable", checks=checks)
    return body if ready else JSONResponse(body.model_dump(), status_code=503)


@router.get("/register/verify", response_model=RegisterReport, tags=["register"],
            summary="`register verify`: numbers without gaps, files unchanged, references valid",
            responses=problem_openapi(401, 403, 429))
def verify(no_files: bool = False, cfg=Depends(config), reg=Depends(register), _=Depends(require("read"))) -> RegisterReport:
    report = api.verify_register(check_files=not no_files, config=cfg, register=reg)
    return RegisterReport(ok=report.ok, problems=report.problems, in_progress=report.in_progress, checked=report.checked)
