"""The one place where errors become HTTP statuses: ``application/problem+json`` (RFC 9457).

Library errors (:mod:`lettergen.errors`) map to statuses by class in
:data:`STATUS_BY_ERROR`; the service's own refusals (401, 403, 413, 415,
429) are :class:`ServiceProblem`.  Every body carries ``title``, ``status``,
``detail`` and, for data errors, the same problem list the CLI prints: path
(key), Chinese label, message and value.  No traceback ever reaches a client:
unexpected errors are logged and answered with a plain 500.
"""
from __future__ import annotations

import logging
from datetime import date, datetime
from decimal import Decimal
from http import HTTPStatus
from pathlib import PurePath
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import errors
from ..models import Problem

log = logging.getLogger("lettergen.service")
PROBLEM_JSON = "application/problem+json"

#: Most specific class first: the first match decides.
STATUS_BY_ERROR: list[tuple[type[errors.LettergenError], int, str]] = [
    (errors.UnknownKind, 404, "未知的信函类型"),
    (errors.UnknownNumber, 404, "没有这个文号"),
    (errors.UnknownJob, 404, "没有这个批量任务"),
    (errors.InvalidInput, 422, "输入数据有误"),
    (errors.InputFileError, 422, "无法读取上传的文件"),
    (errors.CheckFailed, 422, "未通过措辞与时限检查"),
    (errors.IdempotencyConflict, 409, "Idempotency-Key 冲突"),
    (errors.OutputExists, 409, "文件已存在"),
    (errors.RegisterUnavailable, 503, "登记簿暂不可用"),
    (errors.RegisterError, 409, "登记簿拒绝了此操作"),
    (errors.ConversionError, 503, "PDF 转换不可用"),
    (errors.ConfigError, 500, "服务配置错误"),
    (errors.TemplateError, 500, "模板错误"),
    (errors.LettergenError, 500, "处理失败"),
]

HTTP_TITLES = {400: "请求有误", 401: "需要有效的 API 密钥", 403: "权限不足", 404: "没有这个资源",
               405: "不支持此请求方法", 406: "无法提供所要求的格式", 409: "冲突",
               413: "上传内容超过大小限制", 415: "不支持的内容类型", 422: "输入数据有误",
               429: "请求过于频繁", 500: "服务器内部错误", 503: "服务暂不可用"}


class ServiceProblem(Exception):
    """A refusal by the service itself (auth, limits, media types), already with its status."""

    def __init__(self, status: int, detail: str, *, headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(detail)
        self.status, self.detail, self.headers, self.extra = status, detail, headers or {}, extra


def jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (date, datetime, Decimal)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return str(value)


def problem_item(p: Problem) -> dict[str, Any]:
    """One data problem as the CLI names it: key path, Chinese label, message, value (and row/column)."""
    item = {"path": p.path, "label": p.label, "message": p.message, "value": jsonable(p.value),
            "severity": p.severity, "text": p.describe(keys=True)}
    if p.row is not None:
        item.update(row=p.row, column=p.column)
    return item


def problem_response(status: int, detail: str, *, request: Request | None = None, title: str | None = None,
                     headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title or HTTP_TITLES.get(status, "错误"), "status": status,
            "detail": detail}
    if request is not None:
        body["instance"] = request.url.path
    body.update({k: jsonable(v) for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def status_of(exc: errors.LettergenError) -> tuple[int, str]:
    for cls, status, title in STATUS_BY_ERROR:
        if isinstance(exc, cls):
            return status, title
    return 500, "处理失败"


def _lettergen_error(request: Request, exc: errors.LettergenError) -> JSONResponse:
    status, title = status_of(exc)
    extra: dict[str, Any] = {}
    detail = exc.message
    if isinstance(exc, errors.InvalidInput):  # sent as JSON by a program: name the keys too
        detail = errors.InvalidInput(exc.problems, exc.source, keys=True).message
        extra["problems"] = [problem_item(p) for p in exc.problems]
    if isinstance(exc, errors.CheckFailed):
        extra["problems"] = [{"message": str(f)} for f in exc.findings]
    if isinstance(exc, errors.UnknownKind):
        extra["known"] = exc.known
    if isinstance(exc, errors.OutputExists):  # the file's name, not the server's folders
        detail = errors.OutputExists(PurePath(exc.path).name).message
    headers = {"Retry-After": "1"} if isinstance(exc, errors.IdempotencyConflict) and exc.in_progress else None
    if status >= 500:
        log.warning("%s %s: %s", request.method, request.url.path, exc)
    return problem_response(status, detail, request=request, title=title, headers=headers, **extra)


def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = []
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ()) if part not in ("body", "query", "path", "header")]
        path = ".".join(loc)
        problems.append({"path": path, "label": path, "message": err.get("msg", ""),
                         "value": jsonable(err.get("input")) if err.get("type") != "missing" else None,
                         "severity": "error", "text": f"「{path}」：{err.get('msg', '')}"})
    return problem_response(422, f"请求有 {len(problems)} 处问题", request=request, problems=problems)


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into problem+json."""

    @app.exception_handler(errors.LettergenError)
    async def lettergen_error(request: Request, exc: errors.LettergenError):  # noqa: ANN202
        return _lettergen_error(request, exc)

    @app.exception_handler(ServiceProblem)
    async def service_problem(request: Request, exc: ServiceProblem):  # noqa: ANN202
        return problem_response(exc.status, exc.detail, request=request, headers=exc.headers, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):  # noqa: ANN202
        return _validation_error(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):  # noqa: ANN202
        standard = HTTPStatus(exc.status_code).phrase if exc.status_code in HTTPStatus._value2member_map_ else ""
        own = isinstance(exc.detail, str) and exc.detail not in ("", standard)
        detail = exc.detail if own else HTTP_TITLES.get(exc.status_code, standard or "错误")
        return problem_response(exc.status_code, detail, request=request, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):  # noqa: ANN202
        log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        return problem_response(500, "服务器内部错误，已记录日志；请联系管理员", request=request)


def problem_openapi(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries documenting problem+json answers for ``statuses``."""
    schema = {"$ref": "#/components/schemas/Problem"}
    return {s: {"description": HTTP_TITLES.get(s, "错误"), "content": {PROBLEM_JSON: {"schema": schema}}}
            for s in statuses}


PROBLEM_SCHEMA = {
    "type": "object",
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"}, "instance": {"type": "string"},
        "problems": {"type": "array", "items": {"type": "object", "properties": {
            "path": {"type": "string"}, "label": {"type": "string"}, "message": {"type": "string"},
            "value": {}, "row": {"type": "integer"}, "column": {"type": "string"},
            "severity": {"type": "string"}, "text": {"type": "string"}}}},
    },
    "required": ["title", "status", "detail"],
}

