"""Dependencies shared by the routers: settings, the register, JSON bodies, file answers."""
from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from ..config import Config
from ..register import Register
from .problems import ServiceProblem

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = "application/pdf"


# The cheap dependencies are coroutines: FastAPI runs a plain function dependency in its
# thread pool, a thread hop (and GIL handover) each, on every request.

async def config(request: Request) -> Config:
    return request.app.state.config


async def register(request: Request) -> Register:
    """This process's register (opened once per worker process, before the first request)."""
    return request.app.state.register()


async def json_body(request: Request) -> None:
    """415 unless the body is declared as JSON."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        raise ServiceProblem(415, f"请求体应为 JSON（Content-Type: application/json），收到「{media or '未声明'}」")


def wanted_format(request: Request, format: str | None) -> str:
    """``docx`` or ``pdf``, from ``?format=`` or else the Accept header; 406 for anything else."""
    if format:
        if format.lower() not in ("docx", "pdf"):
            raise ServiceProblem(406, f"format 只能是 docx 或 pdf，收到「{format}」")
        return format.lower()
    accept = request.headers.get("accept", "*/*").lower()
    if PDF in accept and DOCX not in accept:
        return "pdf"
    if DOCX in accept or "*/*" in accept or "application/*" in accept or not accept.strip():
        return "docx"
    raise ServiceProblem(406, f"只能提供 .docx（{DOCX}）或 PDF（{PDF}），请求的是「{accept}」")


def file_response(content: bytes, fmt: str, filename: str) -> Response:
    from urllib.parse import quote

    disposition = f"attachment; filename=\"letter.{fmt}\"; filename*=UTF-8''{quote(filename)}"
    return Response(content, media_type=DOCX if fmt == "docx" else PDF, headers={"Content-Disposition": disposition})
