"""The register: numbering without gaps, status changes, queries, verify, export, migrations.

Every test runs on SQLite and on PostgreSQL (see ``register_fixtures``).
"""
from __future__ import annotations

import csv
import hashlib
import json
import zipfile
import os
import re
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
import sqlalchemy as sa

from lettergen.errors import RegisterError
from lettergen.register import STALE_REASON, Register, engine as db
from lettergen.register.schema import metadata


def issue(register, spec, tmp_path, **overrides):
    """Reserve, write a file and mark the letter issued; return the entry."""
    entry = register.reserve(**spec(**overrides))
    path = tmp_path / f"{entry.seq}-{entry.year}-{abs(hash(entry.sequence_key))}.docx"
    path.write_bytes(f"letter {entry.number}".encode())
    return register.mark_issued(entry.number, output_path=str(path),
                                file_hash=hashlib.sha256(path.read_bytes()).hexdigest())


def raw(url, sql, **params):
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            return conn.execute(sa.text(sql), params)
    finally:
        engine.dispose()


# --- reserving -----------------------------------------------------------------

def test_reserve_hands_out_consecutive_numbers_visible_to_other_connections(register, register_url, spec):
    first = register.reserve(**spec())
    second = register.reserve(**spec(customer="北京某公司"))
    assert (first.seq, second.seq) == (1, 2)
    assert first.number == "华贸催函〔2026〕1号" and second.number == "华贸催函〔2026〕2号"
    assert first.status == "reserved" and first.pid is not None
    with Register(register_url) as other:
        assert other.get(second.number).customer == "北京某公司"


def test_data_round_trips_as_json_with_dates_and_decimals_as_strings(register, spec):
    data = {"z_first": 1, "amount": Decimal("12345.670"), "due": date(2026, 2, 28),
            "nested": {"list": [Decimal("0.10"), "文字"]}}
    entry = register.reserve(**spec(data=data))
    expected = {"z_first": 1, "amount": "12345.670", "due": "2026-02-28", "nested": {"list": ["0.10", "文字"]}}
    stored = register.get(entry.number).data
    assert stored == expected == entry.data
    assert list(stored) == ["z_first", "amount", "due", "nested"]  # key order kept
    import pickle  # entries are decoded when first read, also after travelling between processes

    copy = pickle.loads(pickle.dumps(register.get(entry.number)))
    assert copy.data == expected and copy == register.get(entry.number)


def test_unserialisable_data_is_refused_and_nothing_is_reserved(register, spec):
    with pytest.raises(RegisterError, match="JSON"):
        register.reserve(**spec(data={"x": object()}))
    assert register.list() == []
    assert register.reserve(**spec()).seq == 1


def test_sequences_restart_each_year_and_are_separate_per_prefix(register, spec):
    seqs = [register.reserve(**spec(**kw)).number for kw in (
        {}, {}, {"year": 2027}, {"code": "销", "kind": "sales_letter"}, {"org": "远航"}, {"year": 2027})]
    assert seqs == ["华贸催函〔2026〕1号", "华贸催函〔2026〕2号", "华贸催函〔2027〕1号",
                    "华贸销函〔2026〕1号", "远航催函〔2026〕1号", "华贸催函〔2027〕2号"]


def test_reserve_many_is_consecutive_in_list_order_across_keys(register, spec):
    register.reserve(**spec())
    specs = [spec(customer=f"客户{i}", code="催" if i % 2 else "销", batch_id="B1", source_key=f"row{i}")
             for i in range(1, 7)]
    got = register.reserve_many(specs)
    assert [e.customer for e in got] == [f"客户{i}" for i in range(1, 7)]
    assert [e.number for e in got if "催" in e.number] == ["华贸催函〔2026〕2号", "华贸催函〔2026〕3号", "华贸催函〔2026〕4号"]
    assert [e.number for e in got if "销" in e.number] == ["华贸销函〔2026〕1号", "华贸销函〔2026〕2号", "华贸销函〔2026〕3号"]
    assert [e.id for e in got] == [register.get(e.number).id for e in got]
    assert register.reserve_many([]) == []


def test_reserve_many_is_one_transaction(register, spec):
    specs = [spec(customer="好"), spec(customer="坏", data={"bad": {1, object()}})]
    with pytest.raises(RegisterError):
        register.reserve_many(specs)
    assert register.list() == []
    assert register.reserve(**spec()).seq == 1


def test_reserve_many_records_the_planned_paths_with_the_numbers(register, spec):
    planned = []

    def plan(index, number, seq):
        planned.append((index, number, seq))
        return f"/out/{seq}-{index}.docx"

    register.reserve(**spec())
    got = register.reserve_many([spec(customer="甲"), spec(customer="乙")], plan=plan)
    assert planned == [(0, "华贸催函〔2026〕2号", 2), (1, "华贸催函〔2026〕3号", 3)]
    assert [e.output_path for e in got] == ["/out/2-0.docx", "/out/3-1.docx"]
    assert [register.get(e.number).output_path for e in got] == ["/out/2-0.docx", "/out/3-1.docx"]

    def broken(index, number, seq):
        raise OSError("文件夹不可读")

    with pytest.raises(OSError):
        register.reserve_many([spec()], plan=broken)  # a path that cannot be planned takes no number
    assert register.reserve(**spec()).seq == 4


def test_mark_issued_entries_returns_the_entries_as_stored(register, spec):
    a, b = register.reserve_many([spec(), spec()])
    got = register.mark_issued_entries([(a.number, "/a.docx", "h1"), (b.number, "/b.docx", "h2")])
    assert got == {a.number: register.get(a.number), b.number: register.get(b.number)}
    assert [(got[n].status, got[n].file_hash) for n in (a.number, b.number)] == [("issued", "h1"), ("issued", "h2")]
    with pytest.raises(RegisterError, match="不是预留状态"):
        register.mark_issued_entries([(a.number, "/a.docx", "h1")])


def test_marking_a_group_with_one_unreserved_number_marks_none_and_names_it(register, spec):
    a, b, c = register.reserve_many([spec(), spec(), spec()])
    register.mark_void(b.number, "作废测试")
    items = [(a.number, "/a.docx", "h1"), (b.number, "/b.docx", "h2"), (c.number, "/c.docx", "h3"),
             ("不存在〔2026〕9号", "/x.docx", "h4")]
    for mark in (register.mark_issued_entries, register.mark_issued_many):
        with pytest.raises(RegisterError) as caught:
            mark(items)
        assert f"{b.number}（已作废）" in str(caught.value) and "不存在〔2026〕9号（不在登记簿中）" in str(caught.value)
        assert a.number not in str(caught.value) and c.number not in str(caught.value)
        assert [register.get(n).status for n in (a.number, b.number, c.number)] == ["reserved", "void", "reserved"]
    assert register.mark_issued_many([(a.number, "/a.docx", "h1"), (c.number, "/c.docx", "h3")]) == 2
    assert [register.get(n).file_hash for n in (a.number, c.number)] == ["h1", "h3"]


def test_pattern_without_seq_gives_duplicate_numbers_which_are_refused(register, spec):
    constant = spec(make_number=lambda seq: "华贸催函〔2026〕号")
    register.reserve(**constant)
    with pytest.raises(RegisterError, match="文号重复"):
        register.reserve(**constant)
    with pytest.raises(RegisterError, match="文号重复"):
        register.reserve_many([spec(make_number=lambda seq: "X"), spec(make_number=lambda seq: "X")])


def test_missing_spec_field_is_a_programming_error(register, spec):
    bad = spec()
    del bad["customer"]
    with pytest.raises(TypeError, match="customer"):
        register.reserve(**bad)


# --- issuing, voiding, superseding -----------------------------------------------

def test_mark_issued_records_file_and_refuses_twice(register, spec, tmp_path):
    entry = issue(register, spec, tmp_path)
    assert entry.status == "issued" and entry.output_path and len(entry.file_hash) == 64
    with pytest.raises(RegisterError, match="已签发"):
        register.mark_issued(entry.number, output_path="x", file_hash="y")
    with pytest.raises(RegisterError, match="登记簿中没有文号 无此号"):
        register.mark_issued("无此号", output_path="x", file_hash="y")


def test_mark_issued_many_is_atomic(register, spec):
    a, b, c = register.reserve_many([spec(), spec(), spec()])
    register.mark_void(c.number, "录入错误")
    with pytest.raises(RegisterError, match=re.escape(c.number)):
        register.mark_issued_many([(a.number, "/a.docx", "h1"), (c.number, "/c.docx", "h3")])
    assert register.get(a.number).status == "reserved"
    with pytest.raises(RegisterError, match="文号重复"):
        register.mark_issued_many([(a.number, "/a.docx", "h1"), (a.number, "/a2.docx", "h2")])
    assert register.mark_issued_many([(a.number, "/a.docx", "h1"), (b.number, "/b.docx", "h2")]) == 2
    assert [(e.status, e.output_path) for e in (register.get(a.number), register.get(b.number))] == [
        ("issued", "/a.docx"), ("issued", "/b.docx")]


def test_void_keeps_entry_with_reason_and_number_is_never_reused(register, spec, tmp_path):
    entry = issue(register, spec, tmp_path)
    with pytest.raises(RegisterError, match="作废原因"):
        register.mark_void(entry.number, "  ")
    voided = register.mark_void(entry.number, "客户名称写错")
    assert (voided.status, voided.status_reason) == ("void", "客户名称写错")
    assert voided.status_at >= entry.status_at
    with pytest.raises(RegisterError, match="已作废"):
        register.mark_void(entry.number, "再次")
    with pytest.raises(RegisterError, match="已作废"):
        register.mark_issued(entry.number, output_path="x", file_hash="y")
    assert register.reserve(**spec()).seq == 2
    assert [e.number for e in register.list()] == [entry.number, "华贸催函〔2026〕2号"]


def test_issuing_voids_the_number_when_the_block_fails(register, spec):
    with pytest.raises(ValueError, match="模板渲染出错"):
        with register.issuing(**spec()) as entry:
            raise ValueError("模板渲染出错")
    failed = register.get(entry.number)
    assert failed.status == "void" and failed.status_reason == "签发失败：模板渲染出错"
    with register.issuing(**spec()) as nxt:
        register.mark_issued(nxt.number, output_path="/x.docx", file_hash="h")
    assert nxt.seq == 2 and register.get(nxt.number).status == "issued"


def test_supersede_links_both_ways_and_verifies(register, spec, tmp_path):
    old = issue(register, spec, tmp_path)
    with pytest.raises(RegisterError, match="不在登记簿"):
        register.reserve(**spec(supersedes="华贸催函〔2026〕99号"))
    new = issue(register, spec, tmp_path, supersedes=old.number, subject=f"订正{old.number}")
    with pytest.raises(RegisterError, match="它自己"):
        register.mark_superseded(old.number, old.number, "x")
    marked = register.mark_superseded(old.number, new.number, "金额有误")
    assert (marked.status, marked.superseded_by, marked.status_reason) == ("superseded", new.number, "金额有误")
    assert register.get(new.number).supersedes == old.number
    with pytest.raises(RegisterError, match="已被订正"):
        register.mark_superseded(old.number, new.number, "again")
    report = register.verify()
    assert report.ok, report.problems
    assert report.checked["superseded"] == 1 and report.checked["files"] == 2


def test_superseding_an_unissued_number_is_refused(register, spec, tmp_path):
    reserved = register.reserve(**spec())
    new = issue(register, spec, tmp_path)
    with pytest.raises(RegisterError, match="预留"):
        register.mark_superseded(reserved.number, new.number, "x")


def test_set_pdf_records_pdf_and_verify_checks_it(register, spec, tmp_path):
    entry = issue(register, spec, tmp_path)
    pdf = tmp_path / "x.pdf"
    pdf.write_bytes(b"%PDF-1.7")
    updated = register.set_pdf(entry.number, str(pdf), hashlib.sha256(b"%PDF-1.7").hexdigest())
    assert updated.pdf_path == str(pdf)
    assert register.verify().checked["files"] == 2
    pdf.write_bytes(b"%PDF-changed")
    assert any("PDF 文件已被改动" in p for p in register.verify().problems)


# --- queries -----------------------------------------------------------------------

def test_get_unknown_number_is_a_register_error(register):
    with pytest.raises(RegisterError, match="登记簿中没有文号 华贸催函〔2026〕1号"):
        register.get("华贸催函〔2026〕1号")


def test_find_by_source_key_returns_latest_non_void(register, spec):
    assert register.find_by_source_key("payment_reminder", "orders.xlsx#3") is None
    first = register.reserve(**spec(source_key="orders.xlsx#3"))
    with pytest.raises(RegisterError, match="已有文号"):  # one active letter per input row
        register.reserve(**spec(source_key="orders.xlsx#3"))
    register.reserve(**spec(source_key="orders.xlsx#3", kind="sales_letter", code="销"))
    assert register.find_by_source_key("payment_reminder", "orders.xlsx#3").number == first.number
    register.mark_void(first.number, "作废后可重新签发")
    assert register.find_by_source_key("payment_reminder", "orders.xlsx#3") is None
    second = register.reserve(**spec(source_key="orders.xlsx#3"))
    assert register.find_by_source_key("payment_reminder", "orders.xlsx#3").number == second.number


def test_find_by_source_keys_agrees_with_one_by_one(register, spec):
    keys = [f"row-{i}" for i in range(700)]  # more than one IN (...) chunk
    for key in keys[:600]:
        register.reserve(**spec(source_key=key))
    register.mark_void(register.find_by_source_key("payment_reminder", "row-5").number, "重开")
    latest = register.reserve(**spec(source_key="row-5"))
    register.reserve(**spec(source_key="row-7", kind="sales_letter", code="销"))
    register.mark_void(register.find_by_source_key("payment_reminder", "row-9").number, "重复")
    found = register.find_by_source_keys("payment_reminder", keys)
    assert set(found) == set(keys[:600]) - {"row-9"}
    assert found["row-5"].number == latest.number
    for key in ("row-0", "row-7", "row-599"):
        assert found[key].number == register.find_by_source_key("payment_reminder", key).number


def test_list_filters_and_order(register, spec):
    register.reserve(**spec(code="销", kind="sales_letter", customer="甲100%公司", letter_date=date(2026, 1, 2)))
    register.reserve(**spec(customer="乙公司", letter_date=date(2026, 2, 1), batch_id="B"))
    register.reserve(**spec(customer="丙公司", letter_date=date(2026, 3, 1), batch_id="B"))
    register.reserve(**spec(year=2025, customer="丁公司", letter_date=date(2025, 12, 1)))
    register.mark_void("华贸催函〔2026〕2号", "测试")
    numbers = lambda **kw: [e.number for e in register.list(**kw)]  # noqa: E731
    assert numbers() == ["华贸催函〔2025〕1号", "华贸催函〔2026〕1号", "华贸催函〔2026〕2号", "华贸销函〔2026〕1号"]
    assert numbers(kind="sales_letter") == ["华贸销函〔2026〕1号"]
    assert numbers(year=2025) == ["华贸催函〔2025〕1号"]
    assert numbers(customer="100%") == ["华贸销函〔2026〕1号"]
    assert numbers(customer="0%公") == ["华贸销函〔2026〕1号"]
    assert numbers(customer="%") == ["华贸销函〔2026〕1号"]
    assert numbers(status="void") == ["华贸催函〔2026〕2号"]
    assert numbers(date_from=date(2026, 1, 15), date_to=date(2026, 2, 1)) == ["华贸催函〔2026〕1号"]
    assert numbers(batch_id="B", status="reserved") == ["华贸催函〔2026〕1号"]
    with pytest.raises(RegisterError, match="未知的登记状态"):
        register.list(status="deleted")


# --- verify ----------------------------------------------------------------------------

def test_verify_reports_missing_and_changed_files(register, spec, tmp_path):
    a = issue(register, spec, tmp_path)
    b = issue(register, spec, tmp_path)
    assert register.verify().ok
    with open(a.output_path, "ab") as fh:
        fh.write(b"tampered")
    os.remove(b.output_path)
    report = register.verify()
    assert not report.ok
    assert any(a.number in p and "已被改动" in p for p in report.problems)
    assert any(b.number in p and "不存在" in p for p in report.problems)
    assert register.verify(check_files=False).ok


def test_verify_finds_a_gap_made_behind_the_registers_back(register, register_url, spec):
    for _ in range(3):
        register.reserve(**spec())
    raw(register_url, "DELETE FROM register_entries WHERE seq = 2")
    report = register.verify()
    assert any("缺号：2" in p for p in report.problems), report.problems


def test_live_reservation_is_in_progress_not_a_problem(register, spec):
    entry = register.reserve(**spec())
    report = register.verify()
    assert report.ok and report.in_progress == [entry.number]
    assert register.recover_stale() == []
    assert register.get(entry.number).status == "reserved"


def test_reservation_of_other_host_is_left_alone(register, register_url, spec):
    entry = register.reserve(**spec())
    raw(register_url, "UPDATE register_entries SET host = 'elsewhere', pid = 999999")
    assert register.recover_stale() == []
    assert register.verify().in_progress == [entry.number]


def test_reservation_of_exited_process_is_recovered(register, register_url, spec):
    entry = register.reserve(**spec())
    raw(register_url, "UPDATE register_entries SET pid = 2147483000")  # no such process
    report = register.verify()
    assert not report.ok and entry.number in report.problems[0]
    [recovered] = register.recover_stale()
    assert (recovered.number, recovered.status, recovered.status_reason) == (entry.number, "void", STALE_REASON)
    assert register.verify().ok


# --- export ------------------------------------------------------------------------------

DANGEROUS = ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\r=1"]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_is_formula_injection_safe(register, spec, tmp_path, suffix):
    for text in DANGEROUS:
        register.reserve(**spec(customer=text, subject="正常事由"))
    path = tmp_path / f"导出{suffix}"
    assert register.export(register.list(), path) == len(DANGEROUS)
    if suffix == ".csv":
        raw_bytes = path.read_bytes()
        assert raw_bytes.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(raw_bytes.decode("utf-8-sig").splitlines(keepends=True)))
        header, body = rows[0], rows[1:]
        customers = [row[header.index("客户")] for row in body]
        dates = [row[header.index("日期")] for row in body]
        assert dates[0] == "2026-03-15"
    else:
        sheet = openpyxl.load_workbook(path).active
        header = [c.value for c in sheet[1]]
        column = header.index("客户") + 1
        cells = [sheet.cell(row=r, column=column) for r in range(2, sheet.max_row + 1)]
        assert all(c.data_type == "s" for c in cells)
        customers = [c.value for c in cells]
        date_cell = sheet.cell(row=2, column=header.index("日期") + 1)
        assert date_cell.is_date and date_cell.value.date() == date(2026, 3, 15)
        # text cells, shown as written (no visible apostrophe), kept text when edited (quote prefix)
        assert customers == DANGEROUS and all(c.quotePrefix for c in cells)
        with zipfile.ZipFile(path) as zf:
            assert b"<f>" not in zf.read("xl/worksheets/sheet1.xml")
        return
    assert customers == ["'" + text for text in DANGEROUS]
    assert all(not c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in customers)


def test_export_refuses_other_formats(register, tmp_path):
    with pytest.raises(RegisterError, match=".csv 和 .xlsx"):
        register.export([], tmp_path / "x.json")


# --- schema and migrations ------------------------------------------------------------

def test_register_created_at_0001_upgrades_in_place_and_keeps_rows(register_url):
    engine = db.create_register_engine(register_url)
    db.migrate(engine, "0001")
    assert db.current_revision(engine) == "0001"
    with engine.begin() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("register_entries")}
        assert "pdf_path" not in columns
        conn.execute(sa.text("INSERT INTO register_sequences VALUES ('老函〔2025〕{seq}号', 2025, 1)"))
        conn.execute(sa.text(
            "INSERT INTO register_entries (number, sequence_key, seq, year, kind, letter_date, customer, subject,"
            " data, template_name, template_hash, output_path, file_hash, status, status_at, issued_by, created_at)"
            " VALUES ('老函〔2025〕1号', '老函〔2025〕{seq}号', 1, 2025, 'after_sales', '2025-06-01', '老客户',"
            " '旧函', :data, 'old.docx', 'abc', '/old.docx', 'def', 'issued', '2025-06-01 10:00:00', '李四',"
            " '2025-06-01 10:00:00')"), {"data": json.dumps({"金额": "1.00"}, ensure_ascii=False)})
    engine.dispose()

    register = Register(register_url)
    assert register.schema_revision() == db.head_revision() == db.HEAD == "0005"
    old = register.get("老函〔2025〕1号")
    assert old.verify_code and len(old.verify_code) == 10  # letters issued before get a code too
    assert (old.customer, old.data, old.pdf_path, old.letter_date) == ("老客户", {"金额": "1.00"}, None, date(2025, 6, 1))
    register.set_pdf(old.number, "/old.pdf", "123")
    assert register.get(old.number).pdf_hash == "123"
    nxt = register.reserve(kind="after_sales", sequence_key="老函〔2025〕{seq}号", year=2025,
                           make_number=lambda s: f"老函〔2025〕{s}号", letter_date=date(2025, 7, 1),
                           customer="c", subject="s", data={}, template_name="t", template_hash="h", issued_by="i")
    assert nxt.number == "老函〔2025〕2号"
    assert register.verify(check_files=False).ok
    register.close()


def test_migrations_match_schema(register):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with register._engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"version_table": db.VERSION_TABLE})
        diff = compare_metadata(context, metadata)
    assert diff == []


def test_register_newer_than_program_is_refused(register_url):
    Register(register_url).close()
    raw(register_url, f"UPDATE {db.VERSION_TABLE} SET version_num = '9999'")
    with pytest.raises(RegisterError, match="比本程序新"):
        Register(register_url)


def test_bad_urls_are_register_errors(tmp_path):
    with pytest.raises(RegisterError, match="无法识别"):
        Register("not a url")
    with pytest.raises(RegisterError, match="只支持 SQLite 和 PostgreSQL"):
        Register("mysql://u:p@localhost/x")
    with pytest.raises(RegisterError, match="无法访问登记簿") as info:
        Register("postgresql+psycopg://nobody:secret@127.0.0.1:1/none")
    assert "secret" not in str(info.value)


def test_sqlite_file_and_folder_are_created_on_first_use(tmp_path):
    path = tmp_path / "new" / "folder" / "reg.sqlite"
    Register(f"sqlite:///{path}").close()
    assert path.is_file()


def _pragma(path, name: str):
    import sqlite3
    with sqlite3.connect(path) as conn:
        return conn.execute(f"PRAGMA {name}").fetchone()[0]


def test_sqlite_register_is_wal_with_synced_commits(tmp_path):
    path = tmp_path / "register.sqlite"
    with Register(f"sqlite:///{path}") as register:
        with register._engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL: on disk when commit returns
        assert _pragma(path, "journal_mode") == "wal"


def test_sqlite_register_can_keep_the_classic_journal(tmp_path):
    path = tmp_path / "register.sqlite"
    Register(f"sqlite:///{path}").close()
    with Register(f"sqlite:///{path}", journal="delete"):
        pass
    assert _pragma(path, "journal_mode") == "delete"
    assert not (tmp_path / "register.sqlite-wal").exists()
    with pytest.raises(RegisterError, match=r"\[register\] journal"):
        Register(f"sqlite:///{tmp_path / 'other.sqlite'}", journal="memory")


def test_get_many_reads_the_entries_that_exist(register, spec, tmp_path):
    numbers = [register.reserve(**spec()).number for _ in range(2)] + [issue(register, spec, tmp_path).number]
    got = register.get_many(numbers + ["不存在的文号"])
    assert sorted(got) == sorted(numbers)
    assert all(got[n] == register.get(n) for n in numbers) and got[numbers[2]].status == "issued"
