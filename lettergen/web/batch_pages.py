"""批量: upload a sheet, see its problems row by row, then issue it as a service job.

The check is :func:`lettergen.api.check_sheet` (nothing numbered); issuing
posts the same file to the service's ``/batches`` from the page (the session
acts as ``user:NAME``), and the page follows the job's Server-Sent Events.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response

from .. import api
from ..accounts import Session
from ..service.problems import ServiceProblem, problem_item
from .auth import require

router = APIRouter()
SUFFIXES = (".csv", ".xlsx", ".xlsm")


@router.get("/batch")
def batch_page(request: Request, session: Session = Depends(require("issue"))) -> Response:
    from .pages import render

    return render(request, "batch.html", session, kinds=api.kinds(request.app.state.web.config))


@router.post("/api/batches/check")
def check(request: Request, kind: str = Form(...), file: UploadFile = File(...), sheet: str | None = Form(None),
          session: Session = Depends(require("issue"))) -> dict[str, Any]:
    """Every problem of the sheet, row by row (row, column, value, message); nothing is issued."""
    suffix = Path(file.filename or "").suffix.lower()
    if suffix not in SUFFIXES:
        raise ServiceProblem(415, f"只接受 CSV（.csv）或 Excel（.xlsx）文件；收到「{file.filename}」")
    with tempfile.TemporaryDirectory(prefix="lettergen-check-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(file.file.read())
        plan = api.check_sheet(kind, path, sheet=sheet or None, config=request.app.state.web.config)
    letters = plan.letters
    return {"letters": len(letters), "valid": sum(1 for letter in letters if letter.ok),
            "problems": [problem_item(p) for p in plan.problems],
            "warnings": [problem_item(w) for letter in letters for w in letter.warnings],
            "encoding": plan.encoding}
