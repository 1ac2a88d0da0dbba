"""Interactive API docs served from the package itself: no CDN.

Swagger UI 5 and ReDoc come from the ``fastapi-offline`` package (MIT, a
wheel that ships ``swagger-ui-bundle.js``, ``swagger-ui.css`` and
``redoc.standalone.js``); they are mounted under ``/docs/static`` and
FastAPI's own docs pages point at them.  Swagger UI 5 is needed for the
OpenAPI 3.1 document FastAPI writes (``swagger-ui-bundle`` on PyPI still
ships 4.x, which cannot show 3.1).  Intranets that cannot reach a CDN still
get working docs.
"""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC = "/docs/static"


def assets_dir() -> Path:
    import fastapi_offline

    return Path(fastapi_offline.__file__).resolve().parent / "static"


def install(app: FastAPI) -> None:
    app.mount(STATIC, StaticFiles(directory=str(assets_dir())), name="docs-static")
    spec = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=spec, title="lettergen API",
                                   swagger_js_url=f"{STATIC}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{STATIC}/swagger-ui.css",
                                   swagger_favicon_url=f"{STATIC}/favicon.png")

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url=spec, title="lettergen API", redoc_js_url=f"{STATIC}/redoc.standalone.js",
                              redoc_favicon_url=f"{STATIC}/favicon.png", with_google_fonts=False)
