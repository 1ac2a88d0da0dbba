"""The HTML pages (under ``/ui``): login, 写信, 登记簿, one letter, and their forms.

Pages are Jinja2 templates; forms that change anything post the session's
CSRF token and answer with a redirect (post/redirect/get).
"""
from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from urllib.parse import quote, urlencode

import yaml
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.background import BackgroundTask

from .. import accounts, api, jsondata
from ..accounts import LoginRefused, Session
from ..errors import LettergenError
from ..register import STATUS_LABELS, STATUSES
from ..schemas import load_kind
from .auth import LOGIN_CSRF_COOKIE, SESSION_COOKIE, WebAuthError, new_login_csrf, require, set_cookie
from .forms import previewer

router = APIRouter()
PAGE_ROWS = 200  # rows per page of the register (newest first)


def _web(request: Request):
    return request.app.state.web


#: Pages load only their own scripts, styles and images (previews are data: URLs) and are never framed.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                               "frame-ancestors 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}


def render(request: Request, name: str, session: Session | None, status: int = 200, **context) -> Response:
    return _web(request).templates.TemplateResponse(
        request, name, {"session": session, "page": name.removesuffix(".html"), **context}, status_code=status,
        headers=PAGE_HEADERS)


def _safe_next(target: str | None) -> str:
    return target if target and target.startswith("/ui/") and not target.startswith("//") else "/ui/write"


def _letter_url(number: str, suffix: str = "") -> str:
    return f"/ui/letters/{quote(number, safe='')}{suffix}"


# --- signing in and out ------------------------------------------------------

@router.get("/login")
def login_page(request: Request, next: str = "/ui/write", error: str = "") -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or new_login_csrf()
    response = render(request, "login.html", None, status=401 if error else 200, next=_safe_next(next),
                      error=error, login_csrf=token)
    set_cookie(response, request, LOGIN_CSRF_COOKIE, token, max_age=3600)
    return response


@router.post("/login")
def login(request: Request, name: str = Form(""), password: str = Form(""), csrf_token: str = Form(""),
          next: str = Form("/ui/write")) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not expected or csrf_token != expected:
        return login_page(request, next, error="登录表单已过期或缺少安全令牌（CSRF），请重新登录")
    web = _web(request)
    try:
        session = accounts.login(name, password, web.config, register=web.register)
    except LoginRefused as exc:
        return login_page(request, next, error=exc.message)
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_cookie(response, request, SESSION_COOKIE, session.token)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, session: Session = Depends(require("read"))) -> Response:
    accounts.logout(session.token, _web(request).config, register=_web(request).register)
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("")
@router.get("/")
def ui_home() -> Response:
    return RedirectResponse("/ui/write", status_code=303)


# --- 写信 ----------------------------------------------------------------------

@router.get("/write")
def write_page(request: Request, kind: str = "payment_reminder", correct: str = "",
               session: Session = Depends(require("draft"))) -> Response:
    if correct and not session.user.may("correct"):
        raise WebAuthError(403, f"您的角色（{session.user.role_label}）无权订正信函")
    kinds = api.kinds(_web(request).config)
    if correct:
        kind = _web(request).register.get(correct).kind
    if kind not in {k.key for k in kinds}:
        kind = kinds[0].key
    _warm_up_preview(request, kind)
    return render(request, "write.html", session, kinds=kinds, kind=kind, correct=correct)


def _warm_up_preview(request: Request, kind: str) -> None:
    """Start LibreOffice for the live preview while the form is being filled (first page view only)."""
    config = _web(request).config

    def sample_draft() -> bytes:
        return api.draft(kind, yaml.safe_load(api.sample_text(kind, config)), config=config).docx

    previewer(request).warm_up(sample_draft)


# --- 登记簿 --------------------------------------------------------------------

def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _filters(kind: str, customer: str, status: str, date_from: str, date_to: str) -> dict:
    """The register page's search fields as :meth:`Register.list` filters (unusable values ignored)."""
    return dict(kind=kind or None, customer=customer.strip() or None, status=status if status in STATUSES else None,
                date_from=_day(date_from), date_to=_day(date_to))


@router.get("/register")
def register_page(request: Request, kind: str = "", customer: str = "", status: str = "", date_from: str = "",
                  date_to: str = "", message: str = "", page: int = 1,
                  session: Session = Depends(require("read"))) -> Response:
    web = _web(request)
    entries = web.register.list(**_filters(kind, customer, status, date_from, date_to))
    entries.sort(key=lambda e: e.created_at, reverse=True)  # newest first
    pages = max(1, -(-len(entries) // PAGE_ROWS))
    page = min(max(page, 1), pages)
    shown = {"kind": kind, "customer": customer, "status": status, "date_from": date_from, "date_to": date_to}
    query = urlencode({k: v for k, v in shown.items() if v})
    return render(request, "register.html", session, entries=entries[(page - 1) * PAGE_ROWS:page * PAGE_ROWS],
                  total=len(entries), page_no=page, pages=pages, query=query, kinds=api.kinds(web.config),
                  statuses=STATUS_LABELS, message=message, filters=shown, letter_url=_letter_url)


@router.get("/register/export.xlsx")
def export(request: Request, kind: str = "", customer: str = "", status: str = "", date_from: str = "",
           date_to: str = "", session: Session = Depends(require("export"))) -> Response:
    """The register (with the page's filters) as an Excel file."""
    web = _web(request)
    entries = web.register.list(**_filters(kind, customer, status, date_from, date_to))
    folder = Path(tempfile.mkdtemp(prefix="lettergen-export-"))
    path = folder / "register.xlsx"
    web.register.export(entries, path)
    return FileResponse(path, filename="登记簿.xlsx", background=BackgroundTask(_remove, folder),
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _remove(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


@router.get("/register/verify")
def verify(request: Request, session: Session = Depends(require("read"))) -> Response:
    report = _web(request).register.verify()
    return render(request, "verify.html", session, report=report)


# --- one letter -------------------------------------------------------------------

@router.get("/letters/{number}")
def letter_page(number: str, request: Request, message: str = "", error: str = "",
                session: Session = Depends(require("read"))) -> Response:
    web = _web(request)
    try:
        entry = web.register.get(number)
    except LettergenError as exc:
        return render(request, "error.html", session, status=404, message=exc.message)
    schema = load_kind(web.config.schemas_dir, entry.kind)
    rows = _data_rows(jsondata.plain(jsondata.decode(entry.data.get("input", {}))), schema)
    return render(request, "letter.html", session, entry=entry, rows=rows, message=message, error=error,
                  letter_url=_letter_url, kind_name=schema.name)


def _data_rows(data, schema, path: tuple = ()) -> list[tuple[str, str]]:
    """(Chinese label, value) for every leaf of the stored data."""
    rows: list[tuple[str, str]] = []
    items = data.items() if isinstance(data, dict) else enumerate(data)
    for key, value in items:
        here = path + (key,)
        if isinstance(value, (dict, list)):
            rows += _data_rows(value, schema, here)
        else:
            rows.append((schema.label_of(here), "" if value is None else str(value)))
    return rows


@router.post("/letters/{number}/void")
def void(number: str, request: Request, reason: str = Form(""), session: Session = Depends(require("void"))) -> Response:
    web = _web(request)
    try:
        api.void(number, reason, actor=session.user.actor, register=web.register)
    except LettergenError as exc:
        return RedirectResponse(_letter_url(number) + f"?error={quote(exc.message)}", status_code=303)
    return RedirectResponse(_letter_url(number) + f"?message={quote('已作废')}", status_code=303)


@router.post("/letters/{number}/reissue")
def reissue(number: str, request: Request, session: Session = Depends(require("reissue"))) -> Response:
    try:
        target = api.reissue(number, config=_web(request).config, register=_web(request).register)
    except LettergenError as exc:
        return RedirectResponse(_letter_url(number) + f"?error={quote(exc.message)}", status_code=303)
    return RedirectResponse(_letter_url(number) + f"?message={quote(f'已按登记数据重新生成，与原件一致：{target.name}')}",
                            status_code=303)


@router.get("/letters/{number}/docx")
def download_docx(number: str, request: Request, session: Session = Depends(require("read"))) -> Response:
    try:
        docx = api.letter_docx(number, config=_web(request).config, register=_web(request).register)
    except LettergenError as exc:
        return render(request, "error.html", session, status=404, message=exc.message)
    return Response(docx, media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(number)}.docx"})


@router.get("/letters/{number}/pdf")
def download_pdf(number: str, request: Request, session: Session = Depends(require("read"))) -> Response:
    """The letter's PDF; made on demand (and recorded) the first time it is asked for."""
    web = _web(request)
    try:
        pdf = api.letter_pdf(number, config=web.config, register=web.register)
    except LettergenError as exc:
        return render(request, "error.html", session, status=503, message=exc.message)
    return FileResponse(pdf, filename=f"{number}.pdf", media_type="application/pdf")


@router.get("/letters/{number}/preview")
def letter_preview(number: str, request: Request, session: Session = Depends(require("read"))):
    docx = api.letter_docx(number, config=_web(request).config, register=_web(request).register)
    return previewer(request).preview(docx).as_json()
