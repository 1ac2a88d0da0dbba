"""The web page for clerks (写信、批量、登记簿), served by ``lettergen serve`` at ``/``.

A thin adapter like the CLI and the HTTP API: routes parse the request, call
:mod:`lettergen.api` (and :mod:`lettergen.accounts`), and present the result
as HTML pages (Jinja2 templates in ``templates/``) or JSON for the page's own
scripts (``static/*.js``, plain JavaScript written here; nothing comes from a
CDN).  :func:`mount` adds everything under ``/ui`` to a FastAPI app.

Modules: :mod:`.auth` (cookie, CSRF, roles), :mod:`.pages` (HTML pages and
their forms), :mod:`.forms` (JSON calls of the 写信 page), :mod:`.preview`
(page images of a draft's PDF, or an HTML approximation).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from ..config import Config
from ..register import Register
from ..service.problems import problem_response
from .auth import WebAuthError, principal_of_session, session_of

HERE = Path(__file__).resolve().parent
PREFIX = "/ui"


@dataclass
class WebState:
    """What the web routes share in one server process (``app.state.web``)."""

    config: Config
    open_register: Callable[[], Register]  # the service's register of this worker process
    templates: Jinja2Templates
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def register(self) -> Register:
        return self.open_register()


def wants_html(request: Request) -> bool:
    return not request.url.path.startswith(f"{PREFIX}/api/") and "text/html" in request.headers.get("accept", "")


def mount(app: FastAPI, config: Config) -> None:
    """Add the web page (routes under ``/ui``, ``/`` redirecting there) to the service's ``app``.

    Signed-in people may also call the service's own routes (``/batches`` …)
    from the page: their session becomes a ``user:NAME`` principal with the
    scopes of their role, CSRF-checked like the page's own forms.
    """
    from . import admin_pages, batch_pages, forms, pages

    templates = Jinja2Templates(directory=str(HERE / "templates"))
    app.state.web = WebState(config, app.state.register, templates)
    app.state.principal_resolvers.append(principal_of_session)
    app.mount(f"{PREFIX}/static", StaticFiles(directory=str(HERE / "static")), name="web-static")
    app.include_router(pages.router, prefix=PREFIX, include_in_schema=False)
    app.include_router(forms.router, prefix=f"{PREFIX}/api", include_in_schema=False)
    app.include_router(batch_pages.router, prefix=PREFIX, include_in_schema=False)
    app.include_router(admin_pages.router, prefix=PREFIX, include_in_schema=False)

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/write", status_code=303)

    @app.exception_handler(WebAuthError)
    async def auth_error(request: Request, exc: WebAuthError) -> Response:
        if wants_html(request):
            if exc.status == 401:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"{PREFIX}/login?next={quote(target, safe='/')}", status_code=303)
            return templates.TemplateResponse(request, "error.html", {"message": exc.message, "session": session_of(request)},
                                              status_code=exc.status)
        return problem_response(exc.status, exc.message, request=request)
