"""Batches over HTTP against a real server: upload, progress (SSE), results, restart after kill -9, hostile uploads."""
from __future__ import annotations

import csv
import io
import json
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from lettergen.config import PROJECT_DIR, load_config
from lettergen.issuing import open_register
from tests.service_fixtures import Server, create_token, write_settings

SAMPLE = PROJECT_DIR / "samples" / "payment_reminder.csv"
HEADER = ["发函日期", "客户编号", "客户名称", "客户联系人", "客户地址", "催告级别", "发票或合同号", "开票日期", "金额", "到期日", "摘要"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def rows_csv(count: int, *, start: int = 1) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for i in range(start, start + count):
        writer.writerow(["2026-11-23", f"C-{i:04d}", f"测试客户{i:04d}有限公司", "张经理", "浙江省杭州市文三路 1 号",
                         "首次提醒", f"发票 No. {i:08d}", "2026-08-15", "1,000.00", "2026-09-14", "货款"])
    return out.getvalue().encode("utf-8")


def upload(client, content: bytes, *, name="letters.csv", media="text/csv", kind="payment_reminder", **options):
    data = {"kind": kind, **{k: str(v).lower() if isinstance(v, bool) else v for k, v in options.items()}}
    return client.post("/batches", data=data, files={"file": (name, content, media)})


def wait_done(client, job_id: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/batches/{job_id}").json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish: {job}")


def register_entries(settings: Path):
    with open_register(load_config(settings)) as register:
        return register.list(), register.verify(check_files=False)


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("batches")
    settings = write_settings(tmp, max_upload_mb=1)
    token = create_token(settings, "clerk-app", "read", "issue")
    server = Server(settings).start()
    with server.client(token) as client:
        yield server, client, settings
    server.stop()


def test_upload_gives_202_then_progress_events_and_results(live):
    _server, client, settings = live
    response = upload(client, SAMPLE.read_bytes(), name="payment_reminder.csv", combine=True)
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["status"] == "queued" and job["total"] == 3 and job["actor"] == "key:clerk-app"
    events = []
    with client.stream("GET", job["links"]["events"]) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        for line in stream.iter_lines():
            if line.startswith("event: "):
                events.append(line[7:])
            if line.startswith("data: ") and events[-1] == "done":
                final = json.loads(line[6:])
                break
    assert events[-1] == "done" and set(events[:-1]) <= {"progress"}
    assert final["status"] == "done" and final["result"]["issued"] == 3 and final["done"] == final["total"] == 3
    with client.stream("GET", job["links"]["self"], headers={"Accept": "text/event-stream"}) as stream:
        lines = list(stream.iter_lines())  # the job is finished: one "done" event, then the stream ends
    assert stream.headers["content-type"].startswith("text/event-stream")
    assert lines[0] == "event: done" and json.loads(lines[1][6:])["status"] == "done"
    numbers = [l["number"] for l in final["result"]["letters"]]
    manifest = client.get(final["links"]["manifest.csv"])
    assert manifest.status_code == 200
    rows = list(csv.reader(io.StringIO(manifest.content.decode("utf-8-sig"))))
    assert [r[3] for r in rows[1:]] == numbers
    package = zipfile.ZipFile(io.BytesIO(client.get(final["links"]["letters.zip"]).content))
    assert sorted(n.split("_")[0] for n in package.namelist()) == sorted(numbers)
    assert client.get(final["links"]["combined.docx"]).content.startswith(b"PK")
    assert client.get(f"/batches/{job['id']}/files/combined.pdf").status_code == 404  # not asked for
    entries, report = register_entries(settings)
    mine = [e for e in entries if e.number in numbers]
    assert {e.actor for e in mine} == {"key:clerk-app"} and {e.batch_id for e in mine} == {final["result"]["batch_id"]}
    assert report.ok


def test_invalid_rows_get_422_with_every_problem_and_nothing_issued(live):
    _server, client, settings = live
    before = len(register_entries(settings)[0])
    bad = rows_csv(3).decode().replace("1,000.00", "abc", 1).replace("首次提醒", "紧急", 1).encode()
    response = upload(client, bad)
    assert response.status_code == 422
    problems = response.json()["problems"]
    assert {(p["row"], p["column"]) for p in problems} >= {(2, "金额"), (2, "催告级别")}
    assert len(register_entries(settings)[0]) == before
    skipped = upload(client, bad, skip_invalid=True)
    assert skipped.status_code == 202
    job = wait_done(client, skipped.json()["id"])
    assert job["result"]["issued"] == 2 and job["result"]["invalid"] == 1
    assert "errors.csv" in job["links"]
    errors = client.get(job["links"]["errors.csv"]).content.decode("utf-8-sig")
    assert "金额" in errors and "催告级别" in errors


def test_gb18030_csv_is_read_like_the_cli_does(live):
    _server, client, settings = live
    content = rows_csv(2, start=501).decode().encode("gb18030")
    response = upload(client, content)
    assert response.status_code == 202
    job = wait_done(client, response.json()["id"])
    assert [l["customer"] for l in job["result"]["letters"]] == ["测试客户0501有限公司", "测试客户0502有限公司"]


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("xl/worksheets/sheet1.xml", b"<x>" + b" " * (60 * 1024 * 1024) + b"</x>")
    return out.getvalue()


def _xlsx(cells: list[list]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in cells:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _formula_rows() -> list[list]:
    row = ["2026-11-23", "C-9001", "公式客户有限公司", "张经理", "杭州", "首次提醒", "发票 1", "2026-08-15",
           "=B2*100", "2026-09-14", "货款"]
    return [HEADER, row]


def _error_value_rows() -> list[list]:
    rows = _formula_rows()
    rows[1][8] = "#DIV/0!"  # what Excel stores when the formula failed
    return rows


@pytest.mark.parametrize("name, content, media, status, detail", [
    ("bomb.xlsx", _zip_bomb, XLSX, 422, "压缩炸弹"),
    ("big.csv", lambda: rows_csv(12000), "text/csv", 413, "上传内容超过大小限制"),
    ("picture.png", lambda: b"\x89PNG\r\n\x1a\n" + b"0" * 100, "image/png", 415, "只接受 CSV"),
    ("letters.csv", lambda: rows_csv(1), "application/pdf", 415, "只接受 CSV"),
    ("garbage.csv", lambda: HEADER[0].encode("utf-8") + b",\xff\xfe\x80\x81\xfe\xff\n", "text/csv", 422, "无法识别文件编码"),
    ("formula.xlsx", lambda: _xlsx(_formula_rows()), XLSX, 422, "金额"),
    ("errors.xlsx", lambda: _xlsx(_error_value_rows()), XLSX, 422, "#DIV/0!"),
])
def test_hostile_uploads_get_a_clear_4xx_and_issue_nothing(live, name, content, media, status, detail):
    _server, client, settings = live
    before = register_entries(settings)[0]
    response = upload(client, content(), name=name, media=media)
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"] == "application/problem+json"
    assert detail in response.text
    assert register_entries(settings)[0] == before


def test_a_batch_needs_multipart(live):
    _server, client, _settings = live
    response = client.post("/batches", json={"kind": "payment_reminder"})
    assert response.status_code in (415, 422) and response.headers["content-type"] == "application/problem+json"


@pytest.mark.slow
def test_kill_9_during_a_batch_then_restart_completes_without_gap_or_duplicate(tmp_path, server_factory):
    settings = write_settings(tmp_path)
    token = create_token(settings, "night-run", "read", "issue")
    first = Server(settings).start()
    try:
        with first.client(token) as client:
            job = upload(client, rows_csv(300)).json()
            deadline = time.monotonic() + 120
            while client.get(f"/batches/{job['id']}").json()["done"] < 100:  # the first chunk is issued
                assert time.monotonic() < deadline
                time.sleep(0.05)
            first.kill9()
    finally:
        first.kill9()
    interrupted = client_state = None
    with open_register(load_config(settings)) as register:
        interrupted = register.list()
    assert 100 <= len([e for e in interrupted if e.status == "issued"]) < 300  # really cut short
    second = server_factory(settings)
    with second.client(token) as client:
        client_state = wait_done(client, job["id"])
    assert client_state["status"] == "done" and client_state["attempts"] == 2
    assert client_state["result"]["issued"] + client_state["result"]["kept"] == 300
    entries, report = register_entries(settings)
    issued = [e for e in entries if e.status == "issued"]
    customers = [e.customer for e in issued]
    assert len(customers) == len(set(customers)) == 300  # every row once: no duplicate
    seqs = sorted(e.seq for e in entries)
    assert seqs == list(range(1, len(entries) + 1))  # no gap (numbers cut off by the kill are voided, not lost)
    assert all(e.status_reason for e in entries if e.status == "void")
    assert report.ok, report.problems


def test_an_oversized_body_without_content_length_is_cut_off_too(live):
    _server, client, settings = live
    before = register_entries(settings)[0]

    def chunks():  # chunked transfer: the server cannot know the size in advance
        yield b"--x\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\npayment_reminder\r\n"
        yield b"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\n"
        for _ in range(40):
            yield b"a" * 65536
        yield b"\r\n--x--\r\n"

    response = client.post("/batches", content=chunks(), headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert response.status_code == 413 and response.headers["content-type"] == "application/problem+json"
    assert register_entries(settings)[0] == before


@pytest.mark.libreoffice
def test_batch_with_pdfs_gives_a_combined_pdf_in_register_order(live):
    _server, client, settings = live
    response = upload(client, rows_csv(3, start=701), pdf=True, combine_pdf=True)
    assert response.status_code == 202
    job = wait_done(client, response.json()["id"], timeout=300)
    assert job["status"] == "done" and job["result"]["pdf_failures"] == []
    combined = client.get(job["links"]["combined.pdf"])
    assert combined.status_code == 200 and combined.content.startswith(b"%PDF")
    import pdfplumber
    with pdfplumber.open(io.BytesIO(combined.content)) as document:
        text = "".join("".join((page.extract_text() or "").split()) for page in document.pages)
    numbers = [l["number"] for l in job["result"]["letters"]]
    where = [text.find(n) for n in numbers]
    assert -1 not in where and where == sorted(where), (where, text[:200])
    package = zipfile.ZipFile(io.BytesIO(client.get(job["links"]["letters.zip"]).content))
    assert sum(n.endswith(".pdf") for n in package.namelist()) == 3
