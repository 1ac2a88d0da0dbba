"""Who is calling: :class:`Principal`, resolved by a chain of resolvers, and scope checks.

A resolver takes the request and returns a :class:`Principal`, ``None``
(not its kind of credentials) or raises :class:`ServiceProblem` 401 (its
kind, but wrong).  The service installs :func:`bearer_key` (API keys sent as
``Authorization: Bearer …``, verified keys kept for a few seconds by :class:`KeyCache`); the web page adds a cookie-session resolver
with :func:`add_resolver`.  Routes declare what they need with
``Depends(require("issue"))``, which also applies the per-key rate limit.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .. import api
from ..register.keys import revocations, token_hash
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
    token = _bearer_token(header)
    if token is None:
        raise ServiceProblem(401, "Authorization 头格式应为「Bearer <API 密钥>」", headers={"WWW-Authenticate": "Bearer"})
    cache: KeyCache = request.app.state.key_cache
    digest = cache.digest(token)
    principal = cache.get(digest)
    if principal is not None:
        return principal
    key = api.authenticate(token, config=request.app.state.config, register=request.app.state.register())
    if key is None:
        raise ServiceProblem(401, "API 密钥无效或已被吊销", headers={"WWW-Authenticate": "Bearer"})
    principal = Principal(key.name, "key", frozenset(key.scopes))
    cache.put(digest, principal)
    return principal


class KeyCache:
    """API keys verified in the last ``seconds``, by the SHA-256 of their token (never the token itself).

    Checking a key is a register read on every request; a key just verified
    is taken as valid for ``seconds`` more (``[service] key_cache_seconds``;
    0: every request reads the register).  So ``lettergen keys revoke`` takes
    effect in every worker process within that many seconds; a key revoked by
    this process (the web page's admin) at once.  Unknown or revoked tokens
    are never cached: a new key works at once.
    """

    MAX_KEYS = 1000  # distinct tokens kept; beyond that the cache starts afresh

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.seconds = float(seconds or 0)
        self._clock = clock
        self._keys: dict[str, tuple[float, Principal, int]] = {}

    digest = staticmethod(token_hash)

    def get(self, digest: str) -> Principal | None:
        found = self._keys.get(digest)
        if found is None or self._clock() >= found[0] or found[2] != revocations():
            return None
        return found[1]

    def put(self, digest: str, principal: Principal) -> None:
        if self.seconds <= 0:
            return
        if len(self._keys) >= self.MAX_KEYS:
            self._keys = {}
        self._keys[digest] = (self._clock() + self.seconds, principal, revocations())


def add_resolver(app, resolver: Resolver, *, first: bool = False) -> None:
    """Let ``resolver`` identify callers too (e.g. a web session cookie)."""
    resolvers = app.state.principal_resolvers
    resolvers.insert(0, resolver) if first else resolvers.append(resolver)


async def current_principal(request: Request,
                            _credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> Principal:
    """The caller, from the first resolver that recognises the request; 401 if none does.

    An API key verified a moment ago is answered from :class:`KeyCache` on the event
    loop; anything that may read the register runs in the thread pool.
    """
    cached = getattr(request.state, "principal", None)
    if cached is None and request.app.state.principal_resolvers[0] is bearer_key:
        cached = _cached_key(request)
    if cached is not None:
        request.state.principal = cached
        return cached
    return await run_in_threadpool(_resolve, request)


def _cached_key(request: Request) -> Principal | None:
    """The caller of a well-formed Bearer header whose key :class:`KeyCache` holds, else None."""
    token = _bearer_token(request.headers.get("authorization") or "")
    if token is None:
        return None
    cache: KeyCache = request.app.state.key_cache
    return cache.get(cache.digest(token))


def _bearer_token(header: str) -> str | None:
    """The token of ``Bearer <token>``; None when the header is not of that form."""
    scheme, _, token = header.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _resolve(request: Request) -> Principal:
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

    async def dependency(request: Request, principal: Principal = Depends(current_principal)) -> Principal:
        if scope not in principal.scopes:
            held = "、".join(sorted(principal.scopes)) or "无"
            raise ServiceProblem(403, f"「{principal.name}」没有「{scope}」权限（现有：{held}）；此操作需要 {scope}",
                                 required_scope=scope)
        request.app.state.key_limiter.check(principal.actor)
        return principal

    dependency.__name__ = f"require_{scope}"
    return dependency
