"""The web page in a real browser (Debian's chromium) against a real ``lettergen serve``.

Each scenario asserts what the person sees; the same run saves a screenshot
of each page (``make screenshots``: to ``docs/``, shown in the README).
"""
from __future__ import annotations

import io
import time

import pdfplumber
import pytest
from docx import Document

from tests.web_fixtures import (PASSWORD, browser, error_beside, fill_reminder, issue_reminder, log_in,  # noqa: F401
                                new_page, screenshot, wait_path, wait_preview, web_site)

pytestmark = pytest.mark.slow


def test_login_page_and_wrong_password_refused(web_site, new_page):
    page = new_page()
    page.goto(web_site.url + "/")
    assert page.url.endswith("/ui/login?next=/ui/write")
    screenshot(page, "web-login")
    log_in(page, web_site, "li", password="wrong-password")
    assert "用户名或密码错误" in page.inner_text("#login-error")
    assert page.get_attribute("#login-error", "aria-live") == "assertive"
    assert page.evaluate("location.pathname") == "/ui/login"
    page.goto(web_site.url + "/ui/register")
    wait_path(page, "/ui/login")  # still not signed in


def test_invalid_amount_shows_message_beside_field_then_preview_updates(web_site, new_page):
    page = new_page()
    log_in(page, web_site, "li")
    assert page.inner_text("h1") == "写信"
    assert page.input_value("[data-path='sender.name']") == "杭州禾丰贸易有限公司"  # settings prefilled
    assert page.input_value("[data-path='level']") == "first"
    assert page.inner_text("[data-path='level'] option[value='final']") == "最后通知"
    fill_reminder(page, amount="12,34x")
    page.wait_for_function("() => document.querySelector(\"[data-path='items.0.amount']\").getAttribute('aria-invalid') === 'true'")
    assert "不是有效的金额" in error_beside(page, "items.0.amount")
    assert error_beside(page, "recipient.name") == ""
    before = float(page.get_attribute("#preview", "data-updated") or 0)
    assert before == 0  # no preview of invalid data
    screenshot(page, "web-write-error")
    page.fill("[data-path='items.0.amount']", "12,345.67")
    typed = time.time() * 1000
    shown = wait_preview(page, before)
    assert error_beside(page, "items.0.amount") == ""
    pages = page.query_selector_all("#preview img.page")
    assert pages and page.get_attribute("#preview img.page", "src").startswith("data:image/png;base64,")
    print(f"preview shown {(shown - typed) / 1000:.2f} s after typing stopped (incl. 0.4 s pause)")
    # typing on updates the preview again
    page.fill("[data-path='recipient.name']", "宁波海曙恒达五金有限公司（总部）")
    wait_preview(page, shown)
    screenshot(page, "web-write", top=True)
    assert not page.js_errors


def test_wording_warning_is_shown_before_issuing(web_site, new_page):
    page = new_page()
    log_in(page, web_site, "li")
    fill_reminder(page)
    page.fill("[data-path='subject']", "催付老赖欠款")
    page.wait_for_selector("#warnings:not([hidden])")
    listed = page.inner_text("#warning-list")
    assert "老赖" in listed and "侮辱" in listed, listed
    page.locator("#issue").scroll_into_view_if_needed()
    screenshot(page, "web-write-warning")
    assert page.get_attribute("#warnings", "aria-live") == "polite"
    page.fill("[data-path='subject']", "催付逾期款项")
    page.wait_for_selector("#warnings[hidden]", state="attached")


def test_issue_shows_number_and_docx_download_has_it(web_site, new_page):
    page = new_page()
    number = issue_reminder(page, web_site)
    assert number.startswith("禾丰催函〔") and number.endswith("号")
    screenshot(page, "web-issued")
    with page.expect_download() as info:
        page.click("#download-docx")
    document = Document(io.BytesIO(open(info.value.path(), "rb").read()))
    texts = [p.text for p in document.paragraphs]
    assert any(number in t for t in texts), texts[:5]
    assert web_site.entry(number).actor == "user:li"  # the register records who issued it
    with page.expect_download() as info:
        page.click("#download-pdf")
    with pdfplumber.open(info.value.path()) as pdf:
        assert number in pdf.pages[0].extract_text().replace(" ", "")


def test_void_refused_for_clerk_done_for_manager(web_site, new_page):
    clerk = new_page()
    number = issue_reminder(clerk, web_site)
    clerk.click("text=在登记簿中查看")
    clerk.wait_for_selector("#void-reason")
    clerk.fill("#void-reason", "金额有误")
    clerk.click("button.danger")
    assert "无权作废信函" in clerk.inner_text("main")
    manager = new_page()
    log_in(manager, web_site, "wang", then="/ui/register")
    manager.click(f"text={number}")
    manager.wait_for_selector("#preview img.page, #preview .html-page")
    screenshot(manager, "web-letter")
    manager.fill("#void-reason", "金额有误")
    manager.click("button.danger")
    assert "已作废" in manager.inner_text("#status")
    manager.goto(web_site.url + "/ui/register")
    row = manager.locator("tr", has_text=number)
    assert "已作废" in row.inner_text()
    entry = web_site.entry(number)
    assert (entry.status, entry.status_reason, entry.status_actor) == ("void", "金额有误", "user:wang")
    screenshot(manager, "web-register")


def test_form_without_csrf_token_is_refused(web_site, new_page):
    page = new_page()
    number = issue_reminder(page, web_site)
    manager = new_page()
    log_in(manager, web_site, "wang", then="/ui/register")
    manager.click(f"text={number}")
    manager.wait_for_selector("#void-reason")
    manager.evaluate("document.querySelector('form.inline-form input[name=csrf_token]').remove()")
    manager.fill("#void-reason", "测试")
    manager.click("button.danger")
    assert "CSRF" in manager.inner_text("main")
    manager.goto(web_site.url + "/ui/register")
    assert "已签发" in manager.locator("tr", has_text=number).inner_text()
    login = new_page()
    login.goto(web_site.url + "/ui/login")
    login.evaluate("document.querySelector('input[name=csrf_token]').value = 'forged'")
    login.fill("#name", "wang")
    login.fill("#password", PASSWORD)
    login.click("form button[type=submit]")
    assert "安全令牌" in login.inner_text("#login-error")


def test_every_input_has_a_label_and_errors_are_announced(web_site, new_page):
    page = new_page()
    log_in(page, web_site, "li")
    page.wait_for_selector("[data-path='recipient.name']")
    page.click(".add-row >> nth=0")
    unlabelled = page.evaluate("""() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
        .filter(el => !el.labels || el.labels.length === 0).map(el => el.outerHTML)""")
    assert unlabelled == []
    live = page.evaluate("() => [...document.querySelectorAll('.field-error')].every(el => el.getAttribute('aria-live'))")
    assert live and page.get_attribute("#form-status", "aria-live") == "polite"


def test_keyboard_alone_logs_in_fills_and_issues(web_site, new_page):
    page = new_page()
    page.goto(web_site.url + "/ui/login")
    for _ in range(10):  # the name field has autofocus; Tab there if the browser has not focused it yet
        if page.evaluate("document.activeElement.id") == "name":
            break
        page.keyboard.press("Tab")
    page.keyboard.type("li")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    wait_path(page, "/ui/write")
    page.wait_for_selector("[data-path='recipient.name']")
    wanted = {"recipient.name": "温州瓯海精工机械厂", "items.0.ref": "发票 No. 1", "items.0.date": "2026-08-15",
              "items.0.amount": "8,000", "items.0.due_date": "2026-09-14"}
    for _ in range(120):  # Tab through the page; type into the fields we need
        page.keyboard.press("Tab")
        path = page.evaluate("document.activeElement.getAttribute('data-path')")
        if path in wanted:
            value = wanted.pop(path)
            if path.endswith("date"):  # headless chromium's date inputs read mm/dd/yyyy
                year, month, day = value.split("-")
                page.keyboard.type(month + day + year)
                assert page.evaluate("document.activeElement.value") == value
            else:
                page.keyboard.type(value)
        if not wanted and page.evaluate("document.activeElement.id") == "issue":
            break
    assert not wanted and page.evaluate("document.activeElement.id") == "issue"
    wait_preview(page)
    page.keyboard.press("Enter")
    page.wait_for_selector("#issued-number")
    assert "禾丰催函" in page.inner_text("#issued-number")


@pytest.mark.parametrize("width,height", [(1280, 800), (768, 1024)])
def test_pages_fit_the_screen(web_site, new_page, width, height):
    page = new_page(width, height)
    log_in(page, web_site, "wang")
    fill_reminder(page)
    wait_preview(page)
    for path in ("/ui/write", "/ui/register", "/ui/batch"):
        if path != "/ui/write":
            page.goto(web_site.url + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow} px at {width} px"
    if width == 768:
        page.goto(web_site.url + "/ui/write")
        page.wait_for_selector("[data-path='recipient.name']")
        screenshot(page, "web-write-768")


def test_manager_corrects_a_letter_with_the_form_prefilled(web_site, new_page):
    number = issue_reminder(new_page(), web_site)
    page = new_page()
    log_in(page, web_site, "wang", then="/ui/register")
    page.fill("#f-customer", "恒达")
    page.click("form[role=search] button")
    page.click(f"text={number}")
    page.click("text=订正")
    wait_path(page, "/ui/write")
    page.wait_for_selector("[data-path='items.0.amount']")
    assert page.inner_text("h1") == f"订正 {number}"
    assert page.input_value("[data-path='recipient.name']") == "宁波海曙恒达五金有限公司"
    assert page.input_value("[data-path='items.0.amount']") == "12345.67"
    first = wait_preview(page)  # the stored letter's correction, before any change
    page.fill("[data-path='items.0.amount']", "12,000.00")
    wait_preview(page, first)
    page.fill("#correct-reason", "金额有误")
    screenshot(page, "web-correct")
    page.click("#issue")
    page.wait_for_selector("#issued-number")
    new_number = page.inner_text("#issued-number")
    assert new_number != number
    page.goto(web_site.url + "/ui/register")
    assert "已被订正" in page.locator("tr", has_text=number).inner_text()
    old = web_site.entry(number)
    assert (old.superseded_by, old.status_reason, old.status_actor) == (new_number, "金额有误", "user:wang")


def test_logging_out_in_another_tab_leads_the_form_back_to_login(web_site, new_page):
    page = new_page()
    log_in(page, web_site, "li")
    page.wait_for_selector("[data-path='recipient.name']")
    other = page.context.new_page()
    other.goto(web_site.url + "/ui/register")
    other.click("text=退出")
    wait_path(other, "/ui/login")
    page.fill("[data-path='recipient.name']", "宁波海曙恒达五金有限公司")
    wait_path(page, "/ui/login")
    assert page.evaluate("new URLSearchParams(location.search).get('next')") == "/ui/write"
