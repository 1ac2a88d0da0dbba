"""Who is calling: :class:`Principal`, resolved by a chain of resolvers, and scope checks.

A resolver takes the request and returns a :class:`Principal`, ``None``
(not its kind of credentials) or raises :class:`ServiceProblem` 401 (its
kind, but wrong).  The service installs :func:`bearer_key` (API keys sent as
``Authorization: Bearer …``); the web page adds a cookie-session resolver
with :func:`add_resolver`.  Routes declare what they need with
``Depends(require("issue"))``, which also applies the per-key rate limit.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .. import api
from .problems import ServiceProblem

#: Scopes of the service.  API keys carry the first four; ``admin`` is for web users.
SCOPES = ("read", "draft", "issue", "manage", "admin")

Resolver = Callable[[Request], "Principal | None"]
_bearer = HTTPBearer(auto_error=False, description="API key: `Authorization: Bearer lg_…` (lettergen keys create)")


@dataclass(frozen=True)
class Principal:
    """Who acts: ``kind`` is ``key`` (API key) or ``user`` (web page); ``scopes`` what they may do."""

    name: str
    kind: str
    scopes: frozenset[str]

    @property
    def actor(self) -> str:
        """As recorded in the register: ``key:NAME`` or ``user:NAME``."""
        return f"{self.kind}:{self.name}"


def bearer_key(request: Request) -> Principal | None:
    """The API key in ``Authorization: Bearer``; 401 if it is unknown or revoked."""
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ServiceProblem(401, "Authorization 头格式应为「Bearer <API 密钥>」", headers={"WWW-Authenticate": "Bearer"})
    key = api.authenticate(token.strip(), config=request.app.state.config, register=request.app.state.register())
    if key is None:
        raise ServiceProblem(401, "API 密钥无效或已被吊销", headers={"WWW-Authenticate": "Bearer"})
    return Principal(key.name, "key", frozenset(key.scopes))


def add_resolver(app, resolver: Resolver, *, first: bool = False) -> None:
    """Let ``resolver`` identify callers too (e.g. a web session cookie)."""
    resolvers = app.state.principal_resolvers
    resolvers.insert(0, resolver) if first else resolvers.append(resolver)


def current_principal(request: Request,
                      _credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> Principal:
    """The caller, from the first resolver that recognises the request; 401 if none does."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    for resolver in request.app.state.principal_resolvers:
        principal = resolver(request)
        if principal is not None:
            request.state.principal = principal
            return principal
    raise ServiceProblem(401, "缺少 API 密钥：请在请求头中发送「Authorization: Bearer <API 密钥>」",
                         headers={"WWW-Authenticate": "Bearer"})


def require(scope: str) -> Callable[..., Principal]:
    """A dependency: the caller, who must hold ``scope`` (403 otherwise) and be within the rate limit (429)."""
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")

    def dependency(request: Request, principal: Principal = Depends(current_principal)) -> Principal:
        if scope not in principal.scopes:
            held = "、".join(sorted(principal.scopes)) or "无"
            raise ServiceProblem(403, f"「{principal.name}」没有「{scope}」权限（现有：{held}）；此操作需要 {scope}",
                                 required_scope=scope)
        request.app.state.key_limiter.check(principal.actor)
        return principal

    dependency.__name__ = f"require_{scope}"
    return dependency
