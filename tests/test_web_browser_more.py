"""More of the web page in a real browser: 批量, 管理, reissue and verify, every kind's form.

Same set-up as ``test_web_browser.py`` (a real ``lettergen serve``, Debian's chromium);
screenshots as in test_web_browser.
"""
from __future__ import annotations

import csv
import zipfile

import httpx
import pytest
import yaml

from lettergen.config import PROJECT_DIR
from tests.web_fixtures import (browser, issue_reminder, log_in, new_page, screenshot, wait_path,  # noqa: F401
                                wait_preview, web_site)

pytestmark = pytest.mark.slow


BATCH_CSV = """发函日期,客户名称,催告级别,发票或合同号,开票日期,金额,到期日
2026-11-23,宁波海曙恒达五金有限公司,正式催告,发票 No. 33012345,2026-08-15,"48,600.00",2026-09-14
2026-11-23,温州瓯江建材贸易有限公司,首次提醒,发票 No. 33019876,2026-09-28,十二元,2026-10-28
2026-11-23,绍兴柯桥锦程纺织有限公司,最后通知,发票 No. 33005521,2026-06-30,"126,000.00",2026-07-30
2026-11-23,,首次提醒,发票 No. 1,2026-06-30,100,2026-07-30
"""


def test_batch_lists_bad_rows_then_issues_the_valid_ones(web_site, new_page, tmp_path):
    sheet = tmp_path / "催款.csv"
    sheet.write_text(BATCH_CSV, encoding="utf-8")
    page = new_page()
    log_in(page, web_site, "li", then="/ui/batch")
    page.select_option("#batch-kind", "payment_reminder")
    page.set_input_files("#batch-file", str(sheet))
    page.click("#batch-check")
    page.wait_for_selector("#problem-rows tr")
    rows = [[c.inner_text() for c in r.query_selector_all("td")] for r in page.query_selector_all("#problem-rows tr")]
    by_row = {r[0]: r for r in rows}
    assert set(by_row) == {"3", "5"}, rows
    assert by_row["3"][1] == "金额" and by_row["3"][2] == "十二元" and "不是有效的金额" in by_row["3"][3]
    assert by_row["5"][1] == "客户名称" and "为空" in by_row["5"][3]
    assert "有效 2 封" in page.inner_text("#batch-status")
    assert page.is_disabled("#issue-all")
    screenshot(page, "web-batch-check")
    page.click("#issue-valid")
    page.wait_for_function("() => document.getElementById('job-status').textContent.startsWith('已完成')",
                           timeout=180_000)
    progress = page.evaluate("[document.getElementById('batch-progress').value, document.getElementById('batch-progress').max]")
    assert progress == [2, 2]
    assert "签发 2 封" in page.inner_text("#job-status")
    screenshot(page, "web-batch")
    with page.expect_download() as info:
        page.click("a[data-file='manifest.csv']")
    manifest = list(csv.DictReader(open(info.value.path(), encoding="utf-8-sig")))
    issued = {row["客户"]: row["文号"] for row in manifest if row["文号"]}
    assert set(issued) == {"宁波海曙恒达五金有限公司", "绍兴柯桥锦程纺织有限公司"}, manifest
    job_url = page.get_attribute("a[data-file='manifest.csv']", "href").split("/files/")[0]
    job = page.evaluate("url => fetch(url).then(r => r.json())", job_url)  # the page's session reads it
    assert job["actor"] == "user:li" and job["result"]["issued"] == 2
    assert {web_site.entry(number).actor for number in issued.values()} == {"user:li"}  # each letter names the clerk
    with page.expect_download() as info:
        page.click("a[data-file='combined.pdf']")
    assert open(info.value.path(), "rb").read(5) == b"%PDF-"
    with page.expect_download() as info:
        page.click("a[data-file='letters.zip']")
    names = zipfile.ZipFile(info.value.path()).namelist()
    assert sum(n.endswith(".docx") for n in names) == 2


def test_admin_manages_users_and_api_keys(web_site, new_page):
    manager = new_page()
    log_in(manager, web_site, "wang", then="/ui/register")
    assert manager.locator("nav >> text=管理").count() == 0
    manager.goto(web_site.url + "/ui/admin")
    assert "无权管理用户" in manager.inner_text("main")
    admin = new_page()
    log_in(admin, web_site, "root", then="/ui/admin")
    admin.fill("#new-name", "zhao")
    admin.select_option("#new-role", "clerk")
    admin.fill("#new-password", "zhao-pass-1")
    admin.click("text=添加用户")
    assert "已添加用户 zhao（经办）" in admin.inner_text("main")
    admin.fill("#key-name", "crm")
    admin.check("#scope-issue")
    admin.click("text=创建密钥")
    token = admin.inner_text("#new-token")
    assert token.startswith("lg_")
    answer = httpx.get(web_site.url + "/letters?limit=1", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    admin.goto(web_site.url + "/ui/admin")
    screenshot(admin, "web-admin")
    admin.click("button[aria-label='吊销 crm']")
    assert "已吊销密钥「crm」" in admin.inner_text("main")
    assert httpx.get(web_site.url + "/letters?limit=1", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    newcomer = new_page()
    log_in(newcomer, web_site, "zhao", password="zhao-pass-1")
    wait_path(newcomer, "/ui/write")


def test_manager_reissues_and_verifies_the_register(web_site, new_page):
    number = issue_reminder(new_page(), web_site)
    page = new_page()
    log_in(page, web_site, "wang", then="/ui/register")
    page.click(f"text={number}")
    page.click("text=按登记数据重新生成")
    assert "与原件一致" in page.inner_text("main")
    page.goto(web_site.url + "/ui/register")
    page.click("text=校验登记簿")
    assert "登记簿校验通过" in page.inner_text("main")
    screenshot(page, "web-verify")


@pytest.mark.parametrize("kind", ["sales_letter", "complaint_response", "after_sales"])
def test_every_kind_gets_a_form_that_fills_from_its_sample(web_site, new_page, kind):
    """The form is built from each kind's schema; the kind's sample, typed in, previews without a problem."""
    sample = yaml.safe_load((PROJECT_DIR / "samples" / f"{kind}.yaml").read_text(encoding="utf-8"))
    page = new_page()
    log_in(page, web_site, "li", then=f"/ui/write?kind={kind}")
    page.wait_for_selector("[data-path='recipient.name']")
    filled = page.evaluate("""([sample]) => {
        const form = document.getElementById('letter-form');
        const put = (value, path) => {
            if (Array.isArray(value)) {
                const box = form.querySelector(`fieldset.list[data-path="${path}"]`);
                value.forEach((item, i) => {
                    if (!form.querySelector(`[data-path^="${path}.${i}"]`)) box.querySelector(':scope > .add-row').click();
                    put(item, `${path}.${i}`);
                });
            } else if (value && typeof value === 'object' && !(value instanceof Date)) {
                Object.entries(value).forEach(([k, v]) => put(v, path ? `${path}.${k}` : k));
            } else {
                const input = form.querySelector(`[data-path="${path}"]`);
                if (!input) throw new Error('no input for ' + path);
                const text = typeof value === 'boolean' ? (value ? '是' : '否') : String(value);
                const option = input.tagName === 'SELECT'  // a person picks a choice by its Chinese name
                    ? [...input.options].find(o => o.value === text || o.text === text) : null;
                input.value = option ? option.value : text;
            }
        };
        put(sample, '');
        form.dispatchEvent(new Event('input', {bubbles: true}));
        return true; }""", [json_ready(sample)])
    assert filled
    page.wait_for_function("() => /检查通过|数据无误|需要修改/.test(document.getElementById('form-status').textContent)")
    problems = page.evaluate("""() => [...document.querySelectorAll('[aria-invalid], #warning-list li')]
        .map(el => (el.getAttribute('data-path') || '') + ' ' + el.textContent)""")
    assert page.inner_text("#form-status").startswith(("检查通过", "数据无误")), problems
    wait_preview(page)
    assert not page.js_errors
    screenshot(page, f"web-write-{kind}", top=True)


def json_ready(value):
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_ready(v) for v in value]
    return value.isoformat() if hasattr(value, "isoformat") else value
