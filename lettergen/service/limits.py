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
