"""The web page's sign-in, CSRF and roles over HTTP, against a real ``lettergen serve``."""
from __future__ import annotations

import io
import re

import httpx
import openpyxl
import pytest
import yaml

from lettergen.config import PROJECT_DIR
from tests.web_fixtures import PASSWORD, start_site, stop_site, web_site  # noqa: F401

pytestmark = pytest.mark.slow


def login_form(client: httpx.Client, name: str, password: str = PASSWORD, **headers: str) -> httpx.Response:
    page = client.get("/ui/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return client.post("/ui/login", data={"name": name, "password": password, "csrf_token": token,
                                          "next": "/ui/write"}, headers=headers)


class Person:
    """A signed-in browser without a browser: cookie jar plus the session's CSRF token."""

    def __init__(self, site, name: str):
        self.client = httpx.Client(base_url=site.url, timeout=120)
        assert login_form(self.client, name).status_code == 303
        self.csrf = re.search(r'data-csrf="([^"]+)"', self.client.get("/ui/write").text).group(1)

    def post(self, url: str, *, csrf: bool = True, headers: dict | None = None, **kwargs) -> httpx.Response:
        headers = {**({"X-CSRF-Token": self.csrf} if csrf else {}), **(headers or {})}
        return self.client.post(url, headers=headers, **kwargs)

    def get(self, url: str, **kwargs) -> httpx.Response:
        return self.client.get(url, **kwargs)


def reminder() -> dict:
    data = yaml.safe_load((PROJECT_DIR / "samples" / "payment_reminder.yaml").read_text(encoding="utf-8"))
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in data.items()} | {
        "items": [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in item.items()} for item in data["items"]]}


def issue(person: Person) -> str:
    answer = person.post("/ui/api/letters", json={"kind": "payment_reminder", "data": reminder()})
    assert answer.status_code == 200, answer.text
    return answer.json()["number"]


def test_session_cookie_is_httponly_strict_and_secure_behind_https(web_site):
    with httpx.Client(base_url=web_site.url) as client:
        answer = login_form(client, "li")
        assert answer.status_code == 303 and answer.headers["location"] == "/ui/write"
        cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("lettergen_session="))
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
        assert "Secure" not in cookie
    with httpx.Client(base_url=web_site.url) as client:
        answer = login_form(client, "li", **{"X-Forwarded-Proto": "https"})
        cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("lettergen_session="))
        assert "Secure" in cookie


def test_pages_load_only_their_own_assets_and_refuse_framing(web_site):
    answer = httpx.get(web_site.url + "/ui/login")
    assert "default-src 'self'" in answer.headers["content-security-policy"]
    assert answer.headers["x-frame-options"] == "DENY"
    clerk = Person(web_site, "li")
    for page in (answer, clerk.get("/ui/write"), clerk.get("/ui/batch"), clerk.get("/ui/register")):
        links = re.findall(r'(?:src|href|action)="([^"]*)"', page.text)
        assert links and all(link.startswith(("/", "#", "data:", "?")) for link in links), links
        for asset in re.findall(r'(?:src|href)="(/ui/static/[^"]+)"', page.text):
            assert clerk.get(asset).status_code == 200


def test_failed_logins_lock_the_account(web_site):
    web_site.lettergen("users", "add", "zhou", "--role", "clerk", stdin=PASSWORD + "\n")
    with httpx.Client(base_url=web_site.url) as client:
        for _ in range(4):
            answer = login_form(client, "zhou", "wrong")
            assert answer.status_code == 401 and "用户名或密码错误" in answer.text
        answer = login_form(client, "zhou", "wrong")
        assert "锁定" in answer.text
        answer = login_form(client, "zhou")  # the right password, but locked
        assert answer.status_code == 401 and "锁定" in answer.text
        assert "lettergen_session" not in client.cookies


def test_unsigned_and_forged_requests_are_refused(web_site):
    with httpx.Client(base_url=web_site.url) as anonymous:
        assert anonymous.get("/ui/register", headers={"Accept": "text/html"}).status_code == 303
        answer = anonymous.post("/ui/api/kinds/payment_reminder/check", json={"data": {}})
        assert answer.status_code == 401 and answer.headers["content-type"] == "application/problem+json"
    clerk = Person(web_site, "li")
    answer = clerk.post("/ui/api/letters", csrf=False, json={"kind": "payment_reminder", "data": reminder()})
    assert answer.status_code == 403 and "CSRF" in answer.json()["detail"]
    answer = clerk.post("/batches", csrf=False, data={"kind": "payment_reminder"},
                        files={"file": ("a.csv", "客户名称\n甲\n".encode(), "text/csv")})
    assert answer.status_code == 403 and "CSRF" in answer.json()["detail"]
    assert clerk.get("/letters?limit=1").status_code == 200  # reading with the session needs no token


def test_roles_clerk_issues_manager_voids_corrects_exports(web_site):
    clerk, manager = Person(web_site, "li"), Person(web_site, "wang")
    number = issue(clerk)
    refused = clerk.post(f"/ui/letters/{number}/void", csrf=False, data={"reason": "x", "csrf_token": clerk.csrf},
                         headers={"Accept": "text/html"})
    assert refused.status_code == 403 and "无权作废信函" in refused.text
    assert clerk.get("/ui/register/export.xlsx").status_code == 403
    answer = clerk.post("/ui/api/letters", json={"kind": "payment_reminder", "data": reminder(), "corrects": number})
    assert answer.status_code == 403
    assert clerk.post(f"/letters/{number}/void", json={"reason": "x"}).status_code == 403  # the service agrees

    data = manager.get(f"/ui/api/letters/{number}/data").json()
    assert data["kind"] == "payment_reminder" and data["data"]["recipient"]["name"] == "宁波海曙恒达五金有限公司"
    data["data"]["items"][0]["amount"] = "48,000.00"
    corrected = manager.post("/ui/api/letters", json={"kind": "payment_reminder", "data": data["data"],
                                                      "corrects": number, "reason": "金额有误"})
    assert corrected.status_code == 200, corrected.text
    old, new = web_site.entry(number), web_site.entry(corrected.json()["number"])
    assert (old.status, old.superseded_by, old.status_actor) == ("superseded", new.number, "user:wang")
    assert new.supersedes == number and new.actor == "user:wang"

    export = manager.get("/ui/register/export.xlsx")
    assert export.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    assert {number, new.number} <= {str(c.value) for row in sheet.iter_rows() for c in row}


def test_logout_ends_the_session(web_site):
    clerk = Person(web_site, "li")
    assert clerk.post("/ui/logout", data={"csrf_token": clerk.csrf}).status_code == 303
    assert clerk.get("/ui/api/letters/x/data").status_code == 401


def test_disabled_account_is_signed_out(web_site):
    web_site.lettergen("users", "add", "sun", "--role", "clerk", stdin=PASSWORD + "\n")
    person = Person(web_site, "sun")
    assert person.get("/ui/register").status_code == 200
    web_site.lettergen("users", "disable", "sun")
    assert person.get("/ui/register", headers={"Accept": "text/html"}).status_code == 303


def test_check_names_fields_and_warns_before_issuing(web_site):
    clerk = Person(web_site, "li")
    data = reminder() | {"items": [{"ref": "A-1", "date": "2026-08-15", "amount": "¥12,34x", "due_date": "2026-09-14"}]}
    found = clerk.post("/ui/api/kinds/payment_reminder/check", json={"data": data}).json()
    assert [(p["path"], p["label"]) for p in found["problems"]] == [("items.0.amount", "欠款明细第1项·金额")]
    data["items"][0]["amount"] = "¥12,345.67"
    found = clerk.post("/ui/api/kinds/payment_reminder/check", json={"data": data}).json()
    assert found["ok"] and found["problems"] == []


@pytest.fixture(scope="module")
def site_without_office(tmp_path_factory):
    site = start_site(tmp_path_factory.mktemp("web-no-office"), env={"LETTERGEN_SOFFICE": "/nonexistent/soffice"})
    yield site
    stop_site(site)


def test_preview_without_libreoffice_is_html_with_a_notice(site_without_office):
    clerk = Person(site_without_office, "li")
    answer = clerk.post("/ui/api/kinds/payment_reminder/preview", json={"data": reminder()})
    body = answer.json()
    assert answer.status_code == 200 and body["mode"] == "html" and body["pages"] == []
    assert "LibreOffice" in body["notice"] and "近似预览" in body["notice"]
    texts = [b["text"] for b in body["blocks"] if b["type"] == "p"]
    assert any("宁波海曙恒达五金有限公司" in t for t in texts)
    assert next(b for b in body["blocks"] if b["text"] == "关于催付逾期款项的通知")["align"] == "center"
    table = next(b for b in body["blocks"] if b["type"] == "table")
    assert table["rows"][0][:2] == ["发票或合同号", "开票日期"] and "48,600.00" in table["rows"][1]


def test_register_pages_and_filters(web_site):
    clerk, manager = Person(web_site, "li"), Person(web_site, "wang")
    numbers = [issue(clerk) for _ in range(3)]
    listed = clerk.get("/ui/register", params={"customer": "恒达", "status": "issued"}).text
    assert all(n in listed for n in numbers)
    assert "没有符合条件的登记" in clerk.get("/ui/register", params={"customer": "不存在的客户"}).text
    assert numbers[0] not in clerk.get("/ui/register", params={"date_from": "2099-01-01"}).text
    export = manager.get("/ui/register/export.xlsx", params={"status": "void"})
    cells = {str(c.value) for row in openpyxl.load_workbook(io.BytesIO(export.content)).active.iter_rows() for c in row}
    assert not set(numbers) & cells  # only void letters were asked for
