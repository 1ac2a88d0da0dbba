"""The HTTP service (``lettergen serve``): a thin FastAPI adapter over :mod:`lettergen.api`.

* :mod:`.app` — :func:`create_app`: routers, docs, middleware, error handlers;
* :mod:`.problems` — the one place where errors become HTTP statuses (RFC 9457);
* :mod:`.auth` — :class:`Principal` and the scope dependencies (API keys; more resolvers plug in);
* :mod:`.limits` — rate limits and the access log;
* :mod:`.runner` — the embedded batch-job runner (swappable);
* :mod:`.routes` — one router per resource.

Handlers parse the request, call one library function and present the
result; they hold no business logic.
"""
from .app import create_app

__all__ = ["create_app"]
