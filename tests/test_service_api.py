"""The HTTP service against a real ``lettergen serve`` process: kinds, validation, drafts, letters, errors."""
from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from docx import Document

from lettergen import api
from lettergen.api import DRAFT_NUMBER
from lettergen.config import load_config
from tests.service_fixtures import Server, create_token, sample_json, write_settings  # noqa: F401

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """One server for the module: ``(server, client with every scope, settings)``."""
    tmp = tmp_path_factory.mktemp("service")
    settings = write_settings(tmp, public_url="https://letters.example.cn")
    token = create_token(settings, "crm", "read", "draft", "issue", "manage")
    server = Server(settings).start()
    with server.client(token) as client:
        yield server, client, settings
    server.stop()


def text_of(docx: bytes) -> str:
    doc = Document(io.BytesIO(docx))
    return "\n".join(p.text for p in doc.paragraphs) + "\n".join(
        c.text for t in doc.tables for r in t.rows for c in r.cells)


def issue(client, kind="payment_reminder", data=None, **headers):
    return client.post("/letters", json={"kind": kind, "data": data or sample_json(kind)}, headers=headers)


def test_kinds_list_and_detail_with_schema_labels_and_sample(live):
    _server, client, _ = live
    kinds = client.get("/kinds").json()
    assert {k["key"] for k in kinds} == {"sales_letter", "payment_reminder", "complaint_response", "after_sales"}
    detail = client.get("/kinds/payment_reminder").json()
    assert detail["name"] == "催款通知" and detail["number_code"] == "催"
    assert detail["json_schema"]["properties"]["recipient"]["title"] == "收函客户"
    assert client.post("/kinds/payment_reminder/validate", json=detail["sample"]).json()["valid"] is True
    missing = client.get("/kinds/no_such_kind")
    assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM
    assert "未知的信函类型「no_such_kind」" in missing.json()["detail"] and "payment_reminder" in missing.json()["known"]


def test_validate_lists_every_problem_with_path_label_and_value(live):
    _server, client, _ = live
    data = sample_json("payment_reminder")
    data["recipient"]["name"] = ""
    data["items"][0]["amount"] = "12.345"
    data["level"] = "紧急"
    body = client.post("/kinds/payment_reminder/validate", json=data).json()
    assert body["valid"] is False
    by_path = {p["path"]: p for p in body["problems"]}
    assert set(by_path) == {"recipient.name", "items.0.amount", "level"}
    assert by_path["items.0.amount"]["label"] == "欠款明细第1项·金额"
    assert by_path["items.0.amount"]["value"] == "12.345" and "最多保留2位小数" in by_path["items.0.amount"]["message"]
    assert by_path["level"]["label"] == "催告级别"


def test_draft_is_an_unnumbered_docx_and_takes_no_number(live):
    _server, client, _ = live
    before = client.get("/letters").json()["total"]
    response = client.post("/kinds/payment_reminder/drafts", json=sample_json("payment_reminder"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.wordprocessingml")
    text = text_of(response.content)
    assert DRAFT_NUMBER in text and "宁波海曙恒达五金有限公司" in text
    assert client.get("/letters").json()["total"] == before
    again = client.post("/kinds/payment_reminder/drafts?format=docx", json=sample_json("payment_reminder"))
    assert again.content == response.content  # same data, same bytes
    refused = client.post("/kinds/payment_reminder/drafts", json=sample_json("payment_reminder"),
                          headers={"Accept": "image/png"})
    assert refused.status_code == 406 and refused.headers["content-type"] == PROBLEM


@pytest.mark.libreoffice
def test_draft_as_pdf_by_accept_header(live):
    _server, client, _ = live
    response = client.post("/kinds/after_sales/drafts", json=sample_json("after_sales"),
                           headers={"Accept": "application/pdf"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_issue_find_fetch_and_the_file_is_the_registered_one(live):
    _server, client, settings = live
    response = issue(client)
    assert response.status_code == 201
    letter = response.json()
    number = letter["number"]
    assert re.fullmatch(r"禾丰催函〔2026〕\d+号", number)
    assert letter["status"] == "issued" and letter["actor"] == "key:crm" and len(letter["verify_code"]) == 10
    assert letter["verify_url"] == f"https://letters.example.cn/v/{quote(number, safe='')}?c={letter['verify_code']}"
    assert response.headers["location"] == letter["links"]["self"]
    assert client.get(letter["links"]["self"]).json()["number"] == number
    docx = client.get(letter["links"]["docx"])
    assert docx.status_code == 200 and number in text_of(docx.content)
    import hashlib
    from lettergen.api import letter as entry_of
    from lettergen.config import load_config
    assert hashlib.sha256(docx.content).hexdigest() == entry_of(number, config=load_config(settings)).file_hash
    found = client.get("/letters", params={"kind": "payment_reminder", "customer": "恒达", "status": "issued"}).json()
    assert number in [i["number"] for i in found["items"]]
    assert client.get("/letters", params={"customer": "没有这个客户"}).json() == {"items": [], "total": 0, "offset": 0, "limit": 50}


def test_list_is_paginated_in_register_order(live):
    _server, client, _ = live
    for _ in range(3):
        assert issue(client, "after_sales").status_code == 201
    total = client.get("/letters", params={"kind": "after_sales"}).json()["total"]
    pages = [client.get("/letters", params={"kind": "after_sales", "limit": 2, "offset": o}).json() for o in range(0, total, 2)]
    numbers = [i["number"] for p in pages for i in p["items"]]
    assert len(numbers) == total >= 3 and all(p["total"] == total for p in pages)
    seqs = [int(re.search(r"〕(\d+)号", n).group(1)) for n in numbers]
    assert seqs == sorted(seqs) and len(set(seqs)) == total


def test_void_correct_reissue_record_the_key(live):
    _server, client, settings = live
    first = issue(client).json()
    second = issue(client).json()
    voided = client.post(f"{first['links']['self']}/void", json={"reason": "客户已付款"})
    assert voided.status_code == 200
    assert voided.json()["status"] == "void" and voided.json()["status_actor"] == "key:crm"
    again = client.post(f"{first['links']['self']}/void", json={"reason": "再作废"})
    assert again.status_code == 409 and "已作废" in again.json()["detail"]
    data = sample_json("payment_reminder")
    data["items"][0]["amount"] = "1000.00"
    corrected = client.post(f"{second['links']['self']}/correct", json={"data": data, "reason": "金额有误"})
    assert corrected.status_code == 201
    new = corrected.json()
    assert new["supersedes"] == second["number"] and new["actor"] == "key:crm"
    old = client.get(second["links"]["self"]).json()
    assert old["status"] == "superseded" and old["superseded_by"] == new["number"] and old["status_actor"] == "key:crm"
    assert second["number"] in text_of(client.get(new["links"]["docx"]).content)  # the correction says what it corrects
    before = client.get(new["links"]["docx"]).content
    assert client.post(f"{new['links']['self']}/reissue").status_code == 200  # intact file: compared, kept
    Path(api.letter(new["number"], config=load_config(settings)).output_path).unlink()  # the file is lost
    assert client.post(f"{new['links']['self']}/reissue").status_code == 200
    assert client.get(new["links"]["docx"]).content == before
    recorded = Path(api.letter(new["number"], config=load_config(settings)).output_path)
    recorded.write_bytes(b"altered on the server")  # never overwritten; the client is not told server folders
    refused = client.post(f"{new['links']['self']}/reissue")
    assert refused.status_code == 409 and refused.headers["content-type"] == "application/problem+json"
    assert recorded.name in refused.json()["detail"] and str(recorded.parent) not in refused.text
    recorded.unlink()  # put back as issued, for the register checks of the later tests
    assert client.post(f"{new['links']['self']}/reissue").status_code == 200


def test_errors_are_problem_json_without_tracebacks(live):
    _server, client, _ = live
    cases = [
        (client.get("/letters/" + quote("禾丰催函〔2026〕9999号")), 404),
        (client.post("/letters", content=b"kind=x", headers={"Content-Type": "application/x-www-form-urlencoded"}), 415),
        (client.post("/letters", content=b"{not json", headers={"Content-Type": "application/json"}), 422),
        (client.post("/letters", json={"data": {}}), 422),
        (issue(client, data={"recipient": {"name": "x"}}), 422),
        (client.post("/letters/x/void", json={}), 422),
        (client.get("/letters", params={"status": "bogus"}), 422),
        (client.get("/letters", params={"limit": 0}), 422),
        (client.get("/no/such/route"), 404),
        (client.delete("/kinds"), 405),
    ]
    for response, status in cases:
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == PROBLEM
        body = response.json()
        assert body["status"] == status and body["title"] and body["detail"]
        assert "Traceback" not in response.text and 'File "' not in response.text
    invalid = cases[4][0].json()
    assert {"path", "label", "message", "value"} <= set(invalid["problems"][0])


def test_invalid_data_consumes_no_number(live):
    _server, client, _ = live
    before = client.get("/letters").json()["total"]
    assert issue(client, data={**sample_json("payment_reminder"), "level": "紧急"}).status_code == 422
    assert client.get("/letters").json()["total"] == before


def test_openapi_document_is_valid_and_docs_need_no_cdn(live):
    from openapi_spec_validator import validate

    server, client, _ = live
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    validate(spec)
    assert {"/kinds", "/kinds/{kind}/validate", "/kinds/{kind}/drafts", "/letters", "/letters/{number}",
            "/letters/{number}.docx", "/letters/{number}.pdf", "/letters/{number}/void", "/letters/{number}/correct",
            "/letters/{number}/reissue", "/batches", "/batches/{job_id}", "/register/verify", "/healthz",
            "/readyz", "/v/{number}"} <= set(spec["paths"])
    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html
        for asset in re.findall(r'(?:src|href)="([^"]+)"', html):
            assert client.get(asset).status_code == 200, asset


def test_health_and_readiness_need_no_key(live):
    server, _client, _ = live
    import httpx
    assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok", "checks": {}}
    ready = httpx.get(f"{server.url}/readyz").json()
    assert ready["status"] == "ok" and ready["checks"]["register"] == "ok"


def test_register_verify_over_http(live):
    _server, client, _ = live
    report = client.get("/register/verify").json()
    assert report["ok"] is True and report["checked"]["issued"] >= 1


def test_each_request_is_one_json_log_line(live):
    server, client, _ = live
    client.get("/kinds")
    client.get("/letters/nope")
    lines = server.access_lines()
    kinds_line = [l for l in lines if l["route"] == "/kinds"][-1]
    assert set(kinds_line) == {"ts", "key", "method", "route", "status", "ms"}
    assert (kinds_line["key"], kinds_line["method"], kinds_line["status"]) == ("crm", "GET", 200)
    missing = [l for l in lines if l["route"] == "/letters/{number}"][-1]
    assert missing["status"] == 404


@pytest.mark.libreoffice
def test_pdf_is_made_on_demand_and_recorded(live):
    _server, client, settings = live
    from lettergen.api import letter as entry_of
    from lettergen.config import load_config

    letter = issue(client, "complaint_response").json()
    assert entry_of(letter["number"], config=load_config(settings)).pdf_path is None
    first = client.get(letter["links"]["pdf"])
    assert first.status_code == 200 and first.headers["content-type"] == "application/pdf"
    assert first.content.startswith(b"%PDF")
    entry = entry_of(letter["number"], config=load_config(settings))
    import hashlib
    assert entry.pdf_path and entry.pdf_hash == hashlib.sha256(first.content).hexdigest()
    assert client.get(letter["links"]["pdf"]).content == first.content  # the recorded file, not a new one


def test_without_libreoffice_pdf_requests_get_503_and_the_letter_stays(tmp_path, server_factory):
    settings = write_settings(tmp_path)
    token = create_token(settings, "crm", "read", "draft", "issue")
    server = server_factory(settings, env={"LETTERGEN_SOFFICE": str(tmp_path / "no-soffice")})
    with server.client(token) as client:
        letter = issue(client).json()
        for response in (client.get(letter["links"]["pdf"]),
                         client.post("/kinds/payment_reminder/drafts?format=pdf", json=sample_json("payment_reminder"))):
            assert response.status_code == 503, response.text
            assert response.headers["content-type"] == PROBLEM and response.json()["title"] == "PDF 转换不可用"
        assert client.get(letter["links"]["self"]).json()["status"] == "issued"
        assert client.get(letter["links"]["docx"]).status_code == 200
