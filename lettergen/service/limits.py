"""Rate limits and the access log of the HTTP service.

Limits are per worker process (a sliding one-minute window in memory): with
``--workers N`` a key may make up to N times the configured rate.  That keeps
a runaway client from starving others without a shared store on every call.
"""
from __future__ import annotations

import json
import logging
import sys
import threading
import time
from collections import deque

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .problems import ServiceProblem

access_log = logging.getLogger("lettergen.access")


class RateLimiter:
    """At most ``per_minute`` calls per name in any 60 seconds (0: unlimited)."""

    def __init__(self, per_minute: int, what: str):
        self.per_minute = int(per_minute or 0)
        self.what = what
        self._calls: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, name: str) -> None:
        if self.per_minute <= 0:
            return
        now = time.monotonic()
        with self._lock:
            calls = self._calls.setdefault(name, deque())
            while calls and now - calls[0] >= 60.0:
                calls.popleft()
            if len(calls) >= self.per_minute:
                retry = max(1, int(60.0 - (now - calls[0])) + 1)
                raise ServiceProblem(429, f"{self.what}每分钟最多 {self.per_minute} 次请求，请 {retry} 秒后重试",
                                     headers={"Retry-After": str(retry)})
            calls.append(now)


def setup_access_log() -> None:
    """One JSON line per request on stderr (unless logging was configured already)."""
    if not access_log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        access_log.addHandler(handler)
        access_log.setLevel(logging.INFO)
        access_log.propagate = False


class AccessLog:
    """ASGI middleware: logs key name, method, route, status and duration of every request as JSON."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            route = scope.get("route")
            principal = scope.get("state", {}).get("principal")
            access_log.info(json.dumps({
                "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()), "key": principal.name if principal else None,
                "method": scope["method"], "route": getattr(route, "path", None) or scope["path"],
                "status": status["code"], "ms": round((time.perf_counter() - started) * 1000, 2),
            }, ensure_ascii=False))


class BodyLimit:
    """ASGI middleware: bodies over ``max_bytes`` get 413 (problem+json) before they are read or stored."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    def _problem(self) -> ServiceProblem:
        mb = self.max_bytes / (1024 * 1024)
        return ServiceProblem(413, f"上传内容超过 {mb:g} MB 的上限（[service] max_upload_mb）；未处理，未占用文号")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from .problems import problem_response

        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await problem_response(413, self._problem().detail, headers={"Connection": "close"})(scope, receive, send)
            return
        seen, too_big, replaced = 0, False, False

        async def counted() -> Message:
            nonlocal seen, too_big
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    too_big = True
                    raise self._problem()
            return message

        async def answer(message: Message) -> None:
            # the body parser may turn the error into its own 400: answer 413 instead
            nonlocal replaced
            if too_big:
                if not replaced and message["type"] == "http.response.start":
                    replaced = True
                    await problem_response(413, self._problem().detail, headers={"Connection": "close"})(
                        scope, receive, send)
                return
            await send(message)

        await self.app(scope, counted, answer)
