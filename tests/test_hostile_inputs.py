"""Hostile or careless input files get a clear refusal with bounded memory and time:
xlsx bombs, row/cell caps, a 200 MB CSV, YAML aliases, deep nesting, undecodable rows,
formulas without a saved result, a missing grouping column named in Chinese, and
``render`` of invalid input leaving no register behind."""
from __future__ import annotations

import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from lettergen.config import PROJECT_DIR
from lettergen.errors import InputFileError
from lettergen.sources import Limits
from lettergen.sources.readers import read_table
from tests.test_batch import HEADER, Workspace, _no_register_override, invoice_row, write_csv  # noqa: F401


@pytest.fixture
def ws(tmp_path, capsys) -> Workspace:
    return Workspace(tmp_path / "ws", capsys)


def _set_limits(ws: Workspace, **limits: int) -> None:
    text = ws.settings.read_text(encoding="utf-8")
    for key, value in limits.items():
        text, count = re.subn(rf"^{key} = \d+", f"{key} = {value}", text, flags=re.M)
        assert count == 1, key
    ws.settings.write_text(text, encoding="utf-8")


def _xlsx(path: Path, rows: list[list]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def _bomb(path: Path, megabytes: int) -> Path:
    """A valid workbook whose sheet XML is ``megabytes`` of one repeated cell (compresses ~1000x)."""
    small = _xlsx(path.with_name("small.xlsx"), [["客户名称"], ["甲"]])
    cell = b'<c t="inlineStr"><is><t>AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA</t></is></c>'
    row = b"<row>" + cell * 100 + b"</row>"
    body = row * (megabytes * (1 << 20) // len(row))
    xml = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
           b'spreadsheetml/2006/main"><sheetData>' + body + b"</sheetData></worksheet>")
    with zipfile.ZipFile(small) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            out.writestr(info.filename, xml if info.filename == "xl/worksheets/sheet1.xml" else src.read(info))
    return path


def test_an_xlsx_bomb_is_refused_before_parsing(ws, tmp_path):
    bomb = _bomb(tmp_path / "bomb.xlsx", 60)
    assert bomb.stat().st_size < 1 << 20
    started = time.monotonic()
    run = ws.batch("payment_reminder", bomb, "--dry-run")
    assert run.code == 2 and "压缩比" in run.err and "xl/worksheets/sheet1.xml" in run.err and "[limits] xlsx_max_ratio" in run.err
    assert time.monotonic() - started < 10
    _set_limits(ws, xlsx_max_member_mb=1)
    run = ws.batch("payment_reminder", _bomb(tmp_path / "big.xlsx", 2), "--dry-run")
    assert run.code == 2 and "超过上限 1 MB" in run.err and "[limits] xlsx_max_member_mb" in run.err


def test_row_and_cell_caps_refuse_with_the_setting_to_change(ws, tmp_path):
    _set_limits(ws, max_rows=50)
    rows = [invoice_row(i) for i in range(1, 61)]
    run = ws.batch("payment_reminder", write_csv(tmp_path / "rows.csv", rows), "--dry-run")
    assert run.code == 2 and "超过 50 行数据" in run.err and "[limits] max_rows" in run.err
    book = _xlsx(tmp_path / "rows.xlsx", [HEADER] + [[r[h] for h in HEADER] for r in rows])
    run = ws.batch("payment_reminder", book, "--dry-run")
    assert run.code == 2 and "超过 50 行数据" in run.err
    with pytest.raises(InputFileError, match="单元格超过 100 个.*max_cells"):
        read_table(book, limits=Limits(max_cells=100))
    assert ws.batch("payment_reminder", write_csv(tmp_path / "ok.csv", rows[:50]), "--dry-run").code == 0


MEASURE = r"""
import sys, time
from lettergen.errors import InputFileError
from lettergen.sources.readers import read_table
started = time.monotonic()
try:
    read_table(sys.argv[1])
    outcome = "read"
except InputFileError as exc:
    outcome = exc.reason
# VmHWM belongs to this program's memory; ru_maxrss would start from the (large) pytest that forked it
peak_kb = int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM:")).split()[1])
print(peak_kb // 1024, round(time.monotonic() - started, 1), outcome)
"""


def test_a_200_mb_csv_is_streamed_and_stopped_at_the_row_cap(tmp_path):
    line = ",".join(["2026-11-23", "C-0001", "测试客户有限公司" * 3, "张经理", "浙江省杭州市文一路 1 号" * 2, "首次提醒",
                     "发票 No. 00000001", "2026-08-15", "1.50", "2026-09-14", "货款" * 20]).encode() + b"\r\n"
    path = tmp_path / "huge.csv"
    with open(path, "wb") as fh:
        fh.write(",".join(HEADER).encode() + b"\r\n")
        block = line * 10_000
        while fh.tell() < 200 << 20:
            fh.write(block)
    done = subprocess.run([sys.executable, "-c", MEASURE, str(path)], capture_output=True, text=True,
                          cwd=PROJECT_DIR, timeout=300)
    assert done.returncode == 0, done.stderr
    peak_mb, seconds, outcome = done.stdout.split(maxsplit=2)
    print(f"200 MB CSV: peak {peak_mb} MB, {seconds} s: {outcome.strip()}")
    assert "超过 100000 行数据" in outcome
    assert int(peak_mb) < 400  # the whole file decoded at once took over 1 GB


def test_yaml_aliases_are_refused_at_once(ws, tmp_path):
    laughs = tmp_path / "laughs.yaml"
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    laughs.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert laughs.stat().st_size < 1000
    started = time.monotonic()
    run = ws.lettergen("validate", "payment_reminder", laughs)
    assert run.code == 2 and "不支持 YAML 锚点" in run.err and "第1行" in run.err
    assert time.monotonic() - started < 5
    alias_only = tmp_path / "alias.yaml"
    alias_only.write_text("recipient: *x\n", encoding="utf-8")
    assert "不支持 YAML 引用（别名 *x）" in ws.lettergen("validate", "payment_reminder", alias_only).err


@pytest.mark.parametrize("name, text", [
    ("deep.json", "[" * 10_000 + "]" * 10_000),
    ("deep.yaml", "recipient: " + "[" * 5_000 + "]" * 5_000),
    ("deep_block.yaml", "".join("  " * i + f"k{i}:\n" for i in range(5_000)) + "  " * 5_000 + "x\n"),
])
def test_deep_nesting_is_refused_with_a_clear_message(ws, tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    run = ws.lettergen("validate", "payment_reminder", path)
    assert run.code == 2, run.err
    assert "嵌套层数超过 64 层" in run.err and "RecursionError" not in run.err


def test_an_undecodable_row_is_named(ws, tmp_path):
    rows = [invoice_row(i) for i in range(1, 8)]
    path = write_csv(tmp_path / "mixed.csv", rows)
    lines = path.read_bytes().split(b"\r\n")
    lines[5] = lines[5].replace("测试客户0005有限公司".encode(), "测试客户0005有限公司".encode("gbk"))
    path.write_bytes(b"\r\n".join(lines))
    run = ws.batch("payment_reminder", path, "--dry-run")
    assert run.code == 2 and "第6行含有无法识别的字符" in run.err and "字节" in run.err


def test_a_formula_without_a_saved_result_is_reported_as_such(ws, tmp_path):
    rows = [[invoice_row(i)[h] for h in HEADER] for i in (1, 2)]
    rows[1][HEADER.index("金额")] = "=1+1"  # openpyxl saves the formula, never its result
    run = ws.batch("payment_reminder", _xlsx(tmp_path / "formula.xlsx", [HEADER] + rows), "--dry-run")
    assert run.code == 2
    assert "单元格 I3 是公式，但文件中没有保存计算结果（第3行）" in run.err and "在 Excel 中打开并保存" in run.err


def test_a_missing_grouping_column_is_named_by_its_chinese_label(ws, tmp_path):
    header = [h for h in HEADER if h != "客户名称"]
    rows = [{h: v for h, v in invoice_row(1).items() if h != "客户名称"}]
    run = ws.batch("payment_reminder", write_csv(tmp_path / "nogroup.csv", rows, header=header), "--dry-run")
    assert run.code == 2
    assert "找不到分组列「客户名称」" in run.err and "recipient.name" not in run.err


def test_render_of_invalid_input_creates_no_register(ws, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("recipient: {name: 李}\n", encoding="utf-8")
    run = ws.lettergen("render", "after_sales", bad)
    assert run.code == 2 and "输入数据有" in run.err
    assert not Path(ws.url.removeprefix("sqlite:///")).exists()
