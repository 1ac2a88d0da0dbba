"""``GET /v/{number}?c=code``: the public page that says whether a letter is genuine.

No key needed.  It shows issuer, date and status, nothing else.  A wrong code
gets exactly the same answer as an unknown number (same status, same bytes),
and each client address is rate-limited, so codes cannot be guessed.
"""
from __future__ import annotations

from html import escape

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from ... import verification
from ..deps import config, register

router = APIRouter(tags=["verification"])

_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{title}</title>
<style>body{{font-family:sans-serif;max-width:32em;margin:2em auto;padding:0 1em;line-height:1.6}}
h1{{font-size:1.4em}} .ok{{color:#17623a}} .bad{{color:#a11}} dt{{color:#555}} dd{{margin:0 0 .6em 0;font-size:1.1em}}</style>
</head><body>{body}</body></html>"""
NOT_FOUND = _PAGE.format(title="信函核验", body=(
    '<h1 class="bad">未能核验此信函</h1><p>没有与此文号和核验码相符的信函。请核对二维码或链接是否完整，'
    '或向发函单位查询。</p>'))
STATUS_NOTES = {"issued": "此信函有效。", "void": "此信函已作废，不再有效。",
                "superseded": "此信函已被订正，请以订正后的信函为准。"}


def _genuine(found: verification.Verified) -> str:
    cls = "ok" if found.status == "issued" else "bad"
    body = (f'<h1 class="{cls}">此信函由发函单位签发</h1><dl>'
            f"<dt>文号</dt><dd>{escape(found.number)}</dd>"
            f"<dt>发函单位</dt><dd>{escape(found.issuer)}</dd>"
            f"<dt>发函日期</dt><dd>{found.letter_date.isoformat()}</dd>"
            f'<dt>状态</dt><dd class="{cls}">{escape(found.status_label)}</dd></dl>'
            f"<p>{STATUS_NOTES.get(found.status, '')}</p>")
    return _PAGE.format(title="信函核验", body=body)


@router.get("/v/{number}", response_class=HTMLResponse, summary="Public check page of a letter (no key)",
            responses={404: {"content": {"text/html": {}}, "description": "Unknown number or wrong code"}})
def check(number: str, request: Request, c: str = Query("", description="The letter's verification code"),
          cfg=Depends(config), reg=Depends(register)) -> HTMLResponse:
    request.app.state.verify_limiter.check(request.client.host if request.client else "?")
    found = verification.check(number, c, config=cfg, register=reg)
    if found is None:
        return HTMLResponse(NOT_FOUND, status_code=404, headers={"Cache-Control": "no-store"})
    return HTMLResponse(_genuine(found), headers={"Cache-Control": "no-store"})
