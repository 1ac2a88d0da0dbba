"""``create_app(config)``: the FastAPI application of ``lettergen serve``.

Each worker process opens the register once (lazily, after uvicorn has
started it) and starts its batch-job runner in the lifespan.  Everything
else is wiring: routers, the docs served from the package, the problem+json
handlers, the access log and the body-size limit (413, problem+json).
"""
from __future__ import annotations

import os
import threading
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from ..config import Config, load_config
from ..issuing import open_register
from ..issuing_group import GroupIssuer
from ..register import Register
from ..web import mount as mount_web
from . import docs, problems
from .auth import KeyCache, bearer_key
from .limits import AccessLog, BodyLimit, RateLimiter, setup_access_log
from .routes import ROUTERS
from .runner import make_runner

CONFIG_ENV = "LETTERGEN_CONFIG"  # settings file of `lettergen serve` workers
DESCRIPTION = """Formal Chinese business letters over HTTP: validate, draft, issue (numbered and registered),
find, fetch, void and correct letters; batches from CSV / Excel.

Send an API key as `Authorization: Bearer lg_…` (create one with `lettergen keys create NAME --scope …`).
Errors are `application/problem+json` (RFC 9457) with the same problem list as the CLI."""


class RegisterHolder:
    """The register of this process, opened on first use (after the worker process started)."""

    def __init__(self, config: Config):
        self.config = config
        self._register: Register | None = None
        self._pid: int | None = None
        self._lock = threading.Lock()

    def __call__(self) -> Register:
        if self._register is None or self._pid != os.getpid():
            with self._lock:
                if self._register is None or self._pid != os.getpid():
                    self._register, self._pid = open_register(self.config), os.getpid()
        return self._register

    def close(self) -> None:
        if self._register is not None and self._pid == os.getpid():
            self._register.close()
        self._register = None


def _version() -> str:
    try:
        return version("lettergen")
    except PackageNotFoundError:
        return "0"


def create_app(config: Config | None = None) -> FastAPI:
    """The service for ``config`` (default: ``lettergen.toml`` of the working folder)."""
    cfg = config if config is not None else load_config()
    holder = RegisterHolder(cfg)
    runner = make_runner(cfg, holder)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):  # noqa: ANN202
        holder()  # open (and migrate) the register before the first request
        runner.start()
        try:
            yield
        finally:
            runner.stop()
            holder.close()

    app = FastAPI(title="lettergen", version=_version(), description=DESCRIPTION, docs_url=None, redoc_url=None,
                  lifespan=lifespan)
    app.state.config = cfg
    app.state.register = holder
    app.state.runner = runner
    app.state.issuer = GroupIssuer(cfg, holder)  # concurrent POST /letters share the register's commits
    app.state.principal_resolvers = [bearer_key]
    app.state.key_cache = KeyCache(cfg.service("key_cache_seconds"))
    app.state.key_limiter = RateLimiter(cfg.service("rate_limit"), "每个 API 密钥")
    app.state.verify_limiter = RateLimiter(cfg.service("verify_rate_limit"), "核验页面每个地址")
    problems.install(app)
    for router in ROUTERS:
        app.include_router(router)
    docs.install(app)
    mount_web(app, cfg)  # the web page for clerks (lettergen.web), at / and /ui
    app.add_middleware(BodyLimit, max_bytes=int(float(cfg.service("max_upload_mb")) * 1024 * 1024))
    app.add_middleware(AccessLog)
    setup_access_log()

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = problems.PROBLEM_SCHEMA
            _sse_as_openapi_31(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi
    return app


def _sse_as_openapi_31(schema: dict) -> None:
    """FastAPI describes event streams with OpenAPI 3.2's ``itemSchema``; 3.1 only knows ``schema``."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for response in operation.get("responses", {}).values():
                stream = response.get("content", {}).get("text/event-stream")
                if stream and "itemSchema" in stream:
                    stream.pop("itemSchema")
                    stream["schema"] = {"type": "string", "description": "Server-Sent Events (event: progress | done; data: the job as JSON)"}


def app_from_env() -> FastAPI:
    """Factory for uvicorn workers: settings from ``$LETTERGEN_CONFIG`` (set by ``lettergen serve``)."""
    return create_app(load_config(os.environ.get(CONFIG_ENV) or None))
