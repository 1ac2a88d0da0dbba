"""Sign-in for the web page: the session cookie, CSRF tokens and role checks.

* The cookie ``lettergen_session`` holds a random token (HttpOnly,
  SameSite=Strict, Secure when the request came over https); the register
  keeps only its hash (:mod:`lettergen.accounts`).
* Every request that changes anything carries the session's CSRF token, in
  the form field ``csrf_token`` or the header ``X-CSRF-Token``.  The login
  form itself uses a double-submit cookie.
* :func:`require` turns a role's right (``issue``, ``void`` …) into a FastAPI
  dependency: pages redirect to the login page, JSON calls get 401/403.
"""
from __future__ import annotations

import secrets
from typing import Callable

from fastapi import Request

from .. import accounts
from ..accounts import Session
from ..service.auth import Principal
from ..service.problems import ServiceProblem

SESSION_COOKIE = "lettergen_session"
LOGIN_CSRF_COOKIE = "lettergen_login_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_UNSET = object()


class WebAuthError(Exception):
    """Not signed in (401), not allowed (403) or a missing/wrong CSRF token (403)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def is_https(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def set_cookie(response, request: Request, name: str, value: str, *, max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="strict",
                        secure=is_https(request))


def new_login_csrf() -> str:
    return secrets.token_urlsafe(24)


def session_of(request: Request) -> Session | None:
    """The signed-in session of this request (looked up once per request)."""
    found = getattr(request.state, "lettergen_session", _UNSET)
    if found is _UNSET:
        web = request.app.state.web
        found = accounts.session_for(request.cookies.get(SESSION_COOKIE), web.config, register=web.register)
        request.state.lettergen_session = found
    return found


async def sent_csrf(request: Request) -> str | None:
    token = request.headers.get(CSRF_HEADER)
    if token is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        token = (await request.form()).get(CSRF_FIELD)
    return token if isinstance(token, str) else None


#: The service's scopes of each role, for the service's own routes called from the page.
ROLE_SCOPES = {
    "clerk": frozenset({"read", "draft", "issue"}),
    "manager": frozenset({"read", "draft", "issue", "manage"}),
    "admin": frozenset({"read", "draft", "issue", "manage", "admin"}),
}
CSRF_REFUSED = "请求缺少有效的安全令牌（CSRF），已拒绝；请刷新页面后重试"


def principal_of_session(request: Request) -> Principal | None:
    """The service's resolver for a signed-in browser: ``user:NAME`` with the role's scopes.

    Unsafe methods must carry the session's CSRF token in ``X-CSRF-Token``
    (a cookie alone is what a forged cross-site request would have).
    """
    session = session_of(request)
    if session is None:
        return None
    if request.method not in SAFE_METHODS and not accounts.csrf_ok(session, request.headers.get(CSRF_HEADER)):
        raise ServiceProblem(403, CSRF_REFUSED)
    return Principal(session.user.name, "user", ROLE_SCOPES.get(session.user.role, frozenset()))


def require(right: str) -> Callable:
    """A dependency: the signed-in session with ``right``, CSRF-checked for unsafe methods."""

    async def dependency(request: Request) -> Session:
        session = session_of(request)
        if session is None:
            raise WebAuthError(401, "请先登录")
        if request.method not in SAFE_METHODS and not accounts.csrf_ok(session, await sent_csrf(request)):
            raise WebAuthError(403, CSRF_REFUSED)
        if not session.user.may(right):
            raise WebAuthError(403, f"您的角色（{session.user.role_label}）无权{RIGHT_LABELS.get(right, right)}")
        return session

    return dependency


RIGHT_LABELS = {
    "read": "查看", "draft": "起草信函", "issue": "签发信函", "void": "作废信函", "correct": "订正信函",
    "reissue": "重新生成信函", "export": "导出登记簿", "users": "管理用户", "keys": "管理 API 密钥",
}
