"""管理 (admin only): web accounts and the service's API keys.

Forms post the session's CSRF token and redirect back (post/redirect/get);
a new API key's token is shown once, on the page that answers its creation.
"""
from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from .. import accounts, api
from ..accounts import Session
from ..errors import LettergenError
from ..register.keys import KEY_SCOPES
from .auth import require

router = APIRouter()
SCOPE_LABELS = {"read": "查询", "draft": "校验与草稿", "issue": "签发", "manage": "作废、订正、重新生成"}


def _page(request: Request, session: Session, *, message: str = "", error: str = "", token: str = "",
          status: int = 200) -> Response:
    from .pages import render

    web = request.app.state.web
    return render(request, "admin.html", session, status=status, users=accounts.list_users(web.config, web.register),
                  keys=api.list_keys(config=web.config), roles=accounts.ROLE_LABELS, scopes=SCOPE_LABELS,
                  message=message, error=error, token=token)


def _back(message: str = "", error: str = "") -> RedirectResponse:
    query = f"?message={quote(message)}" if message else f"?error={quote(error)}"
    return RedirectResponse("/ui/admin" + query, status_code=303)


@router.get("/admin")
def admin_page(request: Request, message: str = "", error: str = "",
               session: Session = Depends(require("users"))) -> Response:
    return _page(request, session, message=message, error=error)


@router.post("/admin/users")
def add_user(request: Request, name: str = Form(""), role: str = Form("clerk"), password: str = Form(""),
             session: Session = Depends(require("users"))) -> Response:
    web = request.app.state.web
    try:
        user = accounts.add_user(name, role, password, web.config, web.register)
    except LettergenError as exc:
        return _back(error=exc.message)
    return _back(message=f"已添加用户 {user.name}（{user.role_label}）")


@router.post("/admin/users/{name}/disable")
def disable_user(name: str, request: Request, session: Session = Depends(require("users"))) -> Response:
    if name == session.user.name:
        return _back(error="不能停用自己的账户")
    web = request.app.state.web
    try:
        accounts.disable_user(name, web.config, web.register)
    except LettergenError as exc:
        return _back(error=exc.message)
    return _back(message=f"已停用用户 {name}")


@router.post("/admin/keys")
async def create_key(request: Request, session: Session = Depends(require("keys"))) -> Response:
    form = await request.form()
    scopes = [s for s in form.getlist("scope") if s in KEY_SCOPES]
    try:
        key, token = api.create_key(str(form.get("name", "")).strip(), scopes, config=request.app.state.web.config)
    except LettergenError as exc:
        return _back(error=exc.message)
    return _page(request, session, message=f"已创建密钥「{key.name}」（{' '.join(key.scopes)}）；令牌只显示这一次：",
                 token=token)


@router.post("/admin/keys/{name}/revoke")
def revoke_key(name: str, request: Request, session: Session = Depends(require("keys"))) -> Response:
    try:
        api.revoke_key(name, config=request.app.state.web.config)
    except LettergenError as exc:
        return _back(error=exc.message)
    return _back(message=f"已吊销密钥「{name}」")
