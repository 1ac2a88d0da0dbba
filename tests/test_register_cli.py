"""``lettergen register list/show/void/export/verify`` through click's CliRunner."""
from __future__ import annotations

import csv
import hashlib
import re
from datetime import date

import pytest
from click.testing import CliRunner

from lettergen.cli.options import cli
from lettergen.cli.register_cmds import _width, format_table  # importing attaches the "register" group
from lettergen.errors import LettergenError
from lettergen.register import Register


@pytest.fixture
def run(register_url, tmp_path):
    """Run ``lettergen register …``; exit codes as :func:`lettergen.cli.main` maps them."""
    def invoke(*args: str):
        result = CliRunner().invoke(cli, ["--config", str(tmp_path / "none.toml"), "register", *args],
                                    env={"LETTERGEN_REGISTER_URL": register_url})
        code = result.exception.exit_code if isinstance(result.exception, LettergenError) else result.exit_code
        if result.exception and not isinstance(result.exception, (LettergenError, SystemExit)):
            raise result.exception
        return code, result.output, result.exception
    return invoke


@pytest.fixture
def filled(register_url, spec, tmp_path):
    """Three letters: two issued (with files), one reserved by a live process."""
    with Register(register_url) as register:
        for customer, day in (("上海甲公司", 1), ("=cmd|' /C calc'!A0", 2)):
            entry = register.reserve(**spec(customer=customer, letter_date=date(2026, 3, day)))
            path = tmp_path / f"{entry.seq}.docx"
            path.write_bytes(customer.encode())
            register.mark_issued(entry.number, output_path=str(path),
                                 file_hash=hashlib.sha256(path.read_bytes()).hexdigest())
        register.reserve(**spec(code="销", kind="sales_letter", customer="北京乙公司", letter_date=date(2026, 4, 1)))
    (tmp_path / "none.toml").write_text("")
    return register_url


def test_list_prints_an_aligned_table_with_filters(run, filled):
    code, out, _ = run("list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["文号", "日期", "客户", "事由", "状态"]
    assert "华贸催函〔2026〕1号" in out and "已签发" in out and "预留" in out and "共 3 条" in out
    code, out, _ = run("list", "--customer", "乙", "--status", "reserved")
    assert "华贸销函〔2026〕1号" in out and "上海甲公司" not in out and "共 1 条" in out
    code, out, _ = run("list", "--from", "2026-03-02", "--to", "2026-03-31")
    assert "华贸催函〔2026〕2号" in out and "共 1 条" in out
    code, out, _ = run("list", "--year", "2030")
    assert code == 0 and "没有符合条件的登记" in out
    code, _, _ = run("list", "--status", "deleted")
    assert code == 2


def test_format_table_aligns_wide_characters():
    table = format_table(["文号", "x"], [["甲乙", "1"], ["ab", "2"]]).splitlines()
    columns = [_width(line[:line.index(mark)]) for line, mark in zip(table[0:1] + table[2:], "x12")]
    assert columns == [6, 6, 6]  # 甲乙 is 4 columns wide, like 文号; "ab" is padded to 4


def test_show_prints_fields_and_data(run, filled):
    code, out, _ = run("show", "华贸催函〔2026〕1号")
    assert code == 0
    assert "上海甲公司" in out and "关于支付逾期货款的函" in out and '"amount": "12345.67"' in out
    with Register(filled) as register:
        code_of_letter = register.get("华贸催函〔2026〕1号").verify_code
    assert re.search(rf"核验码\s+{code_of_letter}", out)
    code, out, exc = run("show", "华贸催函〔2026〕9号")
    assert code == 5 and "登记簿中没有文号 华贸催函〔2026〕9号" in str(exc)


def test_void_requires_a_reason_and_records_it(run, filled):
    code, out, _ = run("void", "华贸催函〔2026〕1号")
    assert code == 2 and "--reason" in out
    code, out, _ = run("void", "华贸催函〔2026〕1号", "--reason", "客户名称有误")
    assert code == 0 and "已作废 华贸催函〔2026〕1号" in out
    with Register(filled) as register:
        assert register.get("华贸催函〔2026〕1号").status_reason == "客户名称有误"
    code, _, exc = run("void", "华贸催函〔2026〕1号", "--reason", "again")
    assert code == 5 and "已作废" in str(exc)


def test_export_csv_with_filters_is_injection_safe(run, filled, tmp_path):
    target = tmp_path / "out" / "登记.csv"
    code, out, _ = run("export", str(target), "--kind", "payment_reminder")
    assert code == 0 and "已导出 2 条" in out
    rows = list(csv.DictReader(target.read_text(encoding="utf-8-sig").splitlines()))
    assert [r["客户"] for r in rows] == ["上海甲公司", "'=cmd|' /C calc'!A0"]
    code, _, exc = run("export", str(tmp_path / "x.pdf"))
    assert code == 5 and ".xlsx" in str(exc)


def test_verify_passes_then_fails_with_problems_listed(run, filled, tmp_path):
    code, out, _ = run("verify")
    assert code == 0, out
    assert "登记簿校验通过：3 条登记" in out and "2 个文件" in out and "签发中：华贸销函〔2026〕1号" in out
    (tmp_path / "1.docx").write_bytes(b"changed")
    code, out, exc = run("verify")
    assert code == 1
    assert "华贸催函〔2026〕1号 的文件已被改动" in out and "1 个问题" in str(exc)
    code, out, _ = run("verify", "--no-files")
    assert code == 0
