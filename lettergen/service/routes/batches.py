"""``/batches``: upload a CSV / XLSX sheet, follow the job (JSON or Server-Sent Events), fetch its results."""
from __future__ import annotations

import asyncio
from pathlib import Path
import json
from typing import AsyncIterable, AsyncIterator

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, StreamingResponse
from fastapi.sse import EventSourceResponse, ServerSentEvent, format_sse_event

from ... import jobs
from ...register.jobs import JobState
from ..auth import Principal, require
from ..deps import config, register
from ..models import JobOut
from ..problems import ServiceProblem, problem_openapi

router = APIRouter(prefix="/batches", tags=["batches"], responses=problem_openapi(401, 403, 429))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Content types browsers and clients send for the two accepted formats.
ACCEPTED_TYPES = {
    ".csv": {"text/csv", "application/csv", "text/plain", "application/vnd.ms-excel", "application/octet-stream"},
    ".xlsx": {XLSX, "application/octet-stream"},
    ".xlsm": {"application/vnd.ms-excel.sheet.macroenabled.12", XLSX, "application/octet-stream"},
}
POLL = 0.5  # seconds between progress events


def job_out(job: JobState) -> JobOut:
    base = f"/batches/{job.id}"
    links = {"self": base, "events": f"{base}/events"}
    links.update({name: f"{base}/files/{name}" for name in (job.result or {}).get("files", [])})
    return JobOut(id=job.id, kind=job.kind, status=job.status, source_name=job.source_name, done=job.done,
                  total=job.total, attempts=job.attempts, actor=job.actor, created_at=job.created_at,
                  updated_at=job.updated_at, error=job.error, result=job.result, links=links)


def _check_upload(request: Request, file: UploadFile) -> str:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "multipart/form-data":
        raise ServiceProblem(415, f"请以 multipart/form-data 上传文件（字段 file），收到「{media or '未声明'}」")
    suffix = Path(file.filename or "").suffix.lower()
    declared = (file.content_type or "application/octet-stream").split(";")[0].strip().lower()
    if suffix not in ACCEPTED_TYPES or declared not in ACCEPTED_TYPES[suffix]:
        raise ServiceProblem(415, f"只接受 CSV（.csv）或 Excel（.xlsx）文件；收到「{file.filename}」（{declared}）")
    return suffix


@router.post("", status_code=202, response_model=JobOut, summary="Upload a sheet: every row becomes a letter",
             responses=problem_openapi(404, 413, 415, 422))
def submit(request: Request, kind: str = Form(..., examples=["payment_reminder"]),
           file: UploadFile = File(..., description=".csv (UTF-8 or GB18030) or .xlsx"),
           sheet: str | None = Form(None), group_by: str | None = Form(None), skip_invalid: bool = Form(False),
           strict: bool = Form(False), combine: bool = Form(False, description="Also one combined .docx"),
           pdf: bool = Form(False), combine_pdf: bool = Form(False, description="With pdf: one combined PDF"),
           cfg=Depends(config), reg=Depends(register), principal: Principal = Depends(require("issue"))) -> JobOut:
    _check_upload(request, file)
    options = dict(sheet=sheet, group_by=group_by, skip_invalid=skip_invalid, strict=strict, combine=combine,
                   pdf=pdf, combine_pdf=combine_pdf and pdf)
    job = jobs.submit_batch(kind, file.filename or "", file.file.read(), options, config=cfg, register=reg,
                            actor=principal.actor)
    request.app.state.runner.submit(job.id)
    return job_out(job)


def existing_job(job_id: str, reg=Depends(register)) -> JobState:
    """The job (404 before any response starts when there is none)."""
    return jobs.job(job_id, register=reg)


@router.get("/{job_id}", response_model=JobOut,
            summary="Progress and results (with `Accept: text/event-stream`: as Server-Sent Events)",
            responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}, **problem_openapi(404)})
def get(request: Request, _=Depends(require("read")), job: JobState = Depends(existing_job),
        reg=Depends(register)):  # noqa: ANN201
    if "text/event-stream" in request.headers.get("accept", ""):
        stream = (format_sse_event(data_str=json.dumps(e.data, ensure_ascii=False), event=e.event, id=e.id)
                  async for e in _job_events(job, reg))
        return StreamingResponse(stream, media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
    return job_out(job)


@router.get("/{job_id}/events", response_class=EventSourceResponse,
            summary="Progress as Server-Sent Events: `progress` events, then one `done`", responses=problem_openapi(404))
async def events(_=Depends(require("read")), job: JobState = Depends(existing_job),
                 reg=Depends(register)) -> AsyncIterable[ServerSentEvent]:
    async for event in _job_events(job, reg):
        yield event


async def _job_events(job: JobState, reg) -> AsyncIterator[ServerSentEvent]:
    """An event whenever the job's state changes; the last one is ``done`` (finished or failed)."""
    last = None
    while True:
        state = (job.status, job.done, job.total)
        if state != last:
            yield ServerSentEvent(event="done" if job.finished else "progress", id=f"{job.done}-{job.status}",
                                  data=job_out(job).model_dump(mode="json"))
            last = state
        if job.finished:
            return
        await asyncio.sleep(POLL)
        job = await run_in_threadpool(jobs.job, job.id, register=reg)


@router.get("/{job_id}/files/{name}", response_class=FileResponse,
            summary="A result: manifest.csv, manifest.json, errors.csv, letters.zip, combined.docx, combined.pdf",
            responses=problem_openapi(404))
def result_file(name: str, _=Depends(require("read")), job: JobState = Depends(existing_job)) -> FileResponse:
    path = jobs.result_file(job, name)
    if path is None:
        raise ServiceProblem(404, f"批量任务 {job.id} 没有结果文件「{name}」（任务未完成，或未要求此文件）")
    return FileResponse(path, filename=name)
