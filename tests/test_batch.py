"""``lettergen batch``: a whole spreadsheet to numbered, registered letters.

Driven the way a clerk drives it — the command line (:func:`lettergen.cli.main`,
with ``--config`` pointing at a copy of the bundled ``lettergen.toml`` whose
register and output folder live in ``tmp_path``) — and through
:func:`lettergen.batch.run_batch`.  Assertions are on what the user sees
(terminal text, exit code), on the files (letters opened with python-docx,
manifest, error report) and on the register (``Register.list()/verify()``).

The interrupted-batch tests (real SIGINT / SIGKILL of a running process)
are in ``test_batch_interrupt.py``; the helpers defined here are shared.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from docx.oxml.ns import qn

from lettergen.batch import run_batch
from lettergen.cli import main
from lettergen.config import PROJECT_DIR, load_config
from lettergen.errors import InvalidInput
from lettergen.register import Register

SAMPLES = PROJECT_DIR / "samples"
KINDS = ("sales_letter", "payment_reminder", "complaint_response", "after_sales")

#: The columns of ``samples/payment_reminder.csv``.
HEADER = ["发函日期", "客户编号", "客户名称", "客户联系人", "客户地址", "催告级别",
          "发票或合同号", "开票日期", "金额", "到期日", "摘要"]
MANIFEST_HEADER = ["行号", "客户", "状态", "文号", "文件", "说明", "提示", "来源键"]
WINDOWS_FORBIDDEN = set('<>:"/\\|?*')
WINDOWS_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


# --- helpers (also used by test_batch_interrupt.py) ---------------------------

def write_settings(folder: Path, *, filename: str | None = None) -> Path:
    """A copy of the bundled lettergen.toml with register and output inside ``folder``."""
    text = (PROJECT_DIR / "lettergen.toml").read_text(encoding="utf-8")
    replacements = {
        r'^url = .*$': f'url = "sqlite:///{(folder / "register.sqlite").as_posix()}"',
        r'^dir = .*$': f'dir = "{(folder / "out").as_posix()}"',
        # these tests are about numbering, files and interruptions; fitting (LibreOffice,
        # ~0.2 s a letter) is tested with batches in tests/test_pdf_layout.py
        r'^fit = .*$': 'fit = "off"',
    }
    if filename is not None:
        replacements[r'^filename = .*$'] = f"filename = {json.dumps(filename, ensure_ascii=False)}"
    for pattern, line in replacements.items():
        text, count = re.subn(pattern, line.replace("\\", "\\\\"), text, count=1, flags=re.M)
        assert count == 1, pattern
    path = folder / "lettergen.toml"
    path.write_text(text, encoding="utf-8")
    return path


def register_url(folder: Path) -> str:
    return f"sqlite:///{(folder / 'register.sqlite').as_posix()}"


def invoice_row(i: int, changes: dict[str, str] | None = None) -> dict[str, str]:
    """One valid payment_reminder row (customer i), with ``changes`` by header."""
    row = dict(zip(HEADER, [
        "2026-11-23", f"C-{i:04d}", f"测试客户{i:04d}有限公司", "张经理", "浙江省杭州市文一路 1 号", "首次提醒",
        f"发票 No. {i:08d}", "2026-08-15", f"{i}.50", "2026-09-14", "货款",
    ]))
    row.update(changes or {})
    return row


def write_csv(path: Path, rows: list[dict[str, str]] | list[list[str]], *, header: list[str] = HEADER,
              encoding: str = "utf-8", newline: str = "\r\n") -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(h, "") for h in header] if isinstance(row, dict) else row)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def read_csv_rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def docx_text(path: Path) -> str:
    """Every paragraph and table cell of a letter, one per line."""
    doc = Document(str(path))
    lines = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text.replace("\n", " / ") for cell in row.cells))
    return "\n".join(lines)


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def seq_of(number: str) -> int:
    return int(re.search(r"〕(\d+)号", number).group(1))


@dataclass
class Run:
    code: int
    out: str
    err: str


class Workspace:
    """A tmp folder with settings, register and output folder; runs ``lettergen``."""

    def __init__(self, folder: Path, capsys, *, filename: str | None = None):
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.settings = write_settings(folder, filename=filename)
        self.out = folder / "out"
        self.url = register_url(folder)
        self.config = load_config(self.settings)
        self._capsys = capsys

    def lettergen(self, *args: str | Path) -> Run:
        """``lettergen --config SETTINGS ARGS…`` in-process; exit code as the shell sees it."""
        with pytest.raises(SystemExit) as exited:
            main(["--config", str(self.settings), *map(str, args)])
        out, err = self._capsys.readouterr()
        return Run(exited.value.code, out, err)

    def batch(self, kind: str, source: Path, *options: str | Path) -> Run:
        return self.lettergen("batch", kind, source, "--out", self.out, *options)

    def entries(self, **filters):
        with Register(self.url) as register:
            return register.list(**filters)

    def verify(self):
        with Register(self.url) as register:
            return register.verify()

    def letters(self) -> list[Path]:
        return sorted(self.out.glob("*.docx")) if self.out.is_dir() else []

    def manifest(self) -> list[dict[str, str]]:
        return read_csv_rows(self.out / "manifest.csv")


@pytest.fixture(autouse=True)
def _no_register_override(monkeypatch):
    monkeypatch.delenv("LETTERGEN_REGISTER_URL", raising=False)


@pytest.fixture
def ws(tmp_path, capsys) -> Workspace:
    return Workspace(tmp_path / "ws", capsys)


@pytest.fixture
def make_ws(tmp_path, capsys):
    def make(name: str, **kwargs) -> Workspace:
        return Workspace(tmp_path / name, capsys, **kwargs)
    return make


def sample_customers(kind: str) -> list[str]:
    """Customer names of a sample CSV in order of first appearance (one letter each)."""
    names = [row["客户名称"] for row in read_csv_rows(SAMPLES / f"{kind}.csv") if row["客户名称"]]
    return list(dict.fromkeys(names))


# --- 1. bundled samples --------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_every_sample_csv_issues_consecutive_numbers_in_input_order(ws, kind):
    run = ws.batch(kind, SAMPLES / f"{kind}.csv", "--jobs", "2")
    assert run.code == 0, run.err
    customers = sample_customers(kind)
    assert f"签发 {len(customers)} 封" in run.out

    entries = ws.entries()
    assert [e.seq for e in entries] == list(range(1, len(customers) + 1))
    assert [e.customer for e in entries] == customers  # number order == input order
    assert {e.status for e in entries} == {"issued"}
    report = ws.verify()
    assert report.ok, report.problems
    assert report.checked["files"] == len(customers)

    manifest = ws.manifest()
    assert [row["客户"] for row in manifest] == customers
    assert [row["状态"] for row in manifest] == ["已签发"] * len(customers)
    for row, entry in zip(manifest, entries):
        letter = ws.out / row["文件"]
        assert letter.is_file()
        assert row["文号"] == entry.number and Path(entry.output_path) == letter
        assert sha256(letter) == entry.file_hash
        text = docx_text(letter)
        assert text.startswith(entry.number) and f"{entry.customer}：" in text
    assert sorted(ws.letters()) == sorted(ws.out / row["文件"] for row in manifest)
    body = json.loads((ws.out / "manifest.json").read_text(encoding="utf-8"))
    assert body["kind"] == kind
    assert [(r["number"], r["file"], r["status"]) for r in body["letters"]] == [
        (row["文号"], row["文件"], "issued") for row in manifest]


def test_grouped_sample_rows_are_reported_per_letter(ws):
    assert ws.batch("payment_reminder", SAMPLES / "payment_reminder.csv", "--jobs", "1").code == 0
    assert [(row["行号"], row["文号"]) for row in ws.manifest()] == [
        ("2-3", "禾丰催函〔2026〕1号"), ("4", "禾丰催函〔2026〕2号"), ("5-7", "禾丰催函〔2026〕3号")]


def test_running_the_same_sheet_again_keeps_every_letter(ws):
    source = SAMPLES / "complaint_response.csv"
    assert ws.batch("complaint_response", source, "--jobs", "1").code == 0
    before = {p.name: sha256(p) for p in ws.letters()}
    again = ws.batch("complaint_response", source, "--jobs", "1")
    assert again.code == 0
    assert "签发 0 封，保留此前已签发 3 封" in again.out
    assert {p.name: sha256(p) for p in ws.letters()} == before
    assert [e.seq for e in ws.entries()] == [1, 2, 3]
    assert [row["状态"] for row in ws.manifest()] == ["已存在（保留）"] * 3


def test_run_batch_api_returns_results_in_input_order(tmp_path, capsys):
    ws = Workspace(tmp_path / "api", capsys)
    source = write_csv(tmp_path / "rows.csv", [invoice_row(i) for i in (3, 1, 2)])
    result = run_batch("payment_reminder", source, ws.config, ws.out, jobs=2)
    assert result.ok and result.count("issued") == 3
    assert [r.letter.rows for r in result.results] == ["2", "3", "4"]
    assert [r.number for r in result.results] == [f"禾丰催函〔2026〕{n}号" for n in (1, 2, 3)]
    customers = ["测试客户0003有限公司", "测试客户0001有限公司", "测试客户0002有限公司"]
    for r, customer in zip(result.results, customers):
        assert r.status == "issued"
        text = docx_text(Path(r.path))
        assert text.startswith(r.number) and f"{customer}：" in text
    assert [(e.number, e.customer) for e in ws.entries()] == [(r.number, c) for r, c in zip(result.results, customers)]


# --- 2. encodings and Excel -----------------------------------------------------

def _excel_value(header: str, text: str):
    """The sample's text as Excel stores it: real dates and numbers."""
    if not text:
        return None
    if header in ("发函日期", "开票日期", "到期日"):
        y, m, d = map(int, re.findall(r"\d+", text))
        return dt.datetime(y, m, d)
    if header == "金额":
        value = Decimal(text.replace("¥", "").replace(",", ""))
        return int(value) if value == value.to_integral() else float(value)
    return text


def sample_as_xlsx(path: Path) -> Path:
    rows = read_csv_rows(SAMPLES / "payment_reminder.csv")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "催款"
    sheet.append(HEADER)
    for row in rows:
        sheet.append([_excel_value(h, row[h]) for h in HEADER])
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, dt.datetime):
                cell.number_format = "yyyy/m/d"
            elif isinstance(cell.value, (int, float)):
                cell.number_format = "#,##0.00"
    book.save(path)
    return path


def test_utf8_bom_gb18030_and_xlsx_give_identical_letters(tmp_path, make_ws):
    text = (SAMPLES / "payment_reminder.csv").read_text(encoding="utf-8")
    windows = text.replace("\r\n", "\n").replace("\n", "\r\n")
    sources = {
        "utf8": tmp_path / "utf8.csv",
        "bom": tmp_path / "bom.csv",
        "gb18030": tmp_path / "gb18030.csv",
        "xlsx": tmp_path / "sheet.xlsx",
    }
    sources["utf8"].write_bytes(text.encode("utf-8"))
    sources["bom"].write_bytes(windows.encode("utf-8-sig"))
    sources["gb18030"].write_bytes(windows.encode("gb18030"))  # Excel "CSV (逗号分隔)" on Chinese Windows
    with pytest.raises(UnicodeDecodeError):
        sources["gb18030"].read_bytes().decode("utf-8")  # really not UTF-8
    sample_as_xlsx(sources["xlsx"])

    texts = {}
    for name, source in sources.items():
        ws = make_ws(name)
        run = ws.batch("payment_reminder", source, "--jobs", "1")
        assert run.code == 0, (name, run.err)
        texts[name] = [docx_text(ws.out / row["文件"]) for row in ws.manifest()]
    assert len(texts["utf8"]) == 3
    assert "宁波海曙恒达五金有限公司：" in texts["utf8"][0] and "48,600.00" in texts["utf8"][0]
    for name in ("bom", "gb18030", "xlsx"):
        assert texts[name] == texts["utf8"], name


def test_xlsx_rows_are_numbered_as_excel_shows_them(ws, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append([None] * len(HEADER))  # an empty row 2 is skipped but still counts
    good, bad = invoice_row(1), invoice_row(2, {"金额": "12.345"})
    for row in (good, bad):
        sheet.append([_excel_value(h, row[h]) for h in HEADER])
    sheet["I4"].value = 12.345  # a real number cell with three decimals
    source = tmp_path / "rows.xlsx"
    book.save(source)
    run = ws.batch("payment_reminder", source)
    assert run.code == 2
    assert "第4行" in run.err and "金额" in run.err and "12.345" in run.err and "最多保留2位小数" in run.err
    assert "第3行" not in run.err


# --- 3. headers, grouping, totals ----------------------------------------------

PATH_HEADER = ["letter_date", "recipient.code", "recipient.name", "recipient.contact", "recipient.address",
               "level", "items.ref", "items.date", "items.amount", "items.due_date", "items.description"]


def test_field_path_headers_give_the_same_letters_as_chinese_headers(tmp_path, make_ws):
    rows = [list(r.values()) for r in read_csv_rows(SAMPLES / "payment_reminder.csv")]
    by_path = write_csv(tmp_path / "paths.csv", rows, header=PATH_HEADER)
    chinese, paths = make_ws("chinese"), make_ws("paths")
    assert chinese.batch("payment_reminder", SAMPLES / "payment_reminder.csv", "-j", "1").code == 0
    run = paths.batch("payment_reminder", by_path, "-j", "1")
    assert run.code == 0, run.err
    assert [row["行号"] for row in paths.manifest()] == ["2-3", "4", "5-7"]  # grouped by recipient.name
    assert [docx_text(p) for p in paths.letters()] == [docx_text(p) for p in chinese.letters()]


def test_grouped_reminder_lists_every_invoice_with_total_in_figures_and_capitals(ws, tmp_path):
    rows = [
        invoice_row(7, {"客户名称": "绍兴柯桥锦程纺织有限公司", "发票或合同号": "发票 No. 1", "金额": "126,000.00"}),
        invoice_row(8, {"客户名称": "温州瓯江建材贸易有限公司", "发票或合同号": "发票 No. 9", "金额": "9800"}),
        # the customer's details need only be filled on its first row
        invoice_row(7, {"客户名称": "绍兴柯桥锦程纺织有限公司", "客户编号": "", "客户联系人": "", "客户地址": "",
                        "发票或合同号": "发票 No. 2", "金额": "3500.5"}),
        invoice_row(7, {"客户名称": "绍兴柯桥锦程纺织有限公司", "发票或合同号": "合同 HT-3", "金额": "¥880"}),
    ]
    source = write_csv(tmp_path / "grouped.csv", rows)
    run = ws.batch("payment_reminder", source, "-j", "1")
    assert run.code == 0, run.err
    assert [(row["行号"], row["客户"]) for row in ws.manifest()] == [
        ("2,4,5", "绍兴柯桥锦程纺织有限公司"), ("3", "温州瓯江建材贸易有限公司")]
    text = docx_text(ws.out / ws.manifest()[0]["文件"])
    invoice_lines = [line for line in text.splitlines() if line.startswith(("发票 No.", "合同 HT"))]
    # the reference, and below it (a line break in the cell) the description
    assert [line.split(" | ")[0].split(" / ")[0] for line in invoice_lines] == ["发票 No. 1", "发票 No. 2", "合同 HT-3"]
    assert [line.split(" | ")[3] for line in invoice_lines] == ["126,000.00", "3,500.50", "880.00"]
    assert "合计 |  |  | 130,380.50" in text
    assert "合计¥130,380.50（大写：人民币壹拾叁万零叁佰捌拾元伍角）" in text
    other = docx_text(ws.out / ws.manifest()[1]["文件"])
    assert "合计¥9,800.00（大写：人民币玖仟捌佰元整）" in other and "发票 No. 1 " not in other


# --- 4. invalid input: nothing generated, nothing numbered ----------------------

def _csv(rows, header=HEADER):
    def build(path: Path) -> Path:
        return write_csv(path, rows, header=header)
    return build


ERROR_CASES = {
    # name: (file builder, row, column header, value, what is wrong)
    "amount_three_decimals": (_csv([invoice_row(1), invoice_row(2, {"金额": "12.345"})]),
                              3, "金额", "12.345", "最多保留2位小数"),
    "amount_not_a_number": (_csv([invoice_row(1, {"金额": "abc"}), invoice_row(2)]),
                            2, "金额", "abc", "不是有效的金额"),
    "bad_date": (_csv([invoice_row(1), invoice_row(2), invoice_row(3, {"开票日期": "2026-02-30"})]),
                 4, "开票日期", "2026-02-30", "不是有效的日期"),
    "missing_required_value": (_csv([invoice_row(1, {"发票或合同号": ""})]),
                               2, "发票或合同号", None, "必填"),
    "unknown_header": (_csv([[*invoice_row(1).values(), "x"]], header=[*HEADER, "备注栏"]),
                       1, "备注栏", None, "未知的列"),
    "control_character": (_csv([invoice_row(1, {"摘要": "货\x07款"})]),
                          2, "摘要", "货\\x07款", "控制字符"),
    "duplicate_row": (_csv([invoice_row(1), invoice_row(2), invoice_row(1)]),
                      4, None, None, "与第2行完全重复"),
    "conflicting_group_values": (_csv([invoice_row(1), invoice_row(1, {"发票或合同号": "发票 No. 2", "客户联系人": "李四"})]),
                                 3, "客户联系人", "李四", "取值不一致"),
}


@pytest.mark.parametrize("case", list(ERROR_CASES))
def test_invalid_row_rejects_the_whole_batch(ws, tmp_path, case):
    build, row, column, value, message = ERROR_CASES[case]
    source = build(tmp_path / f"{case}.csv")
    run = ws.batch("payment_reminder", source, "-j", "1")
    assert run.code == 2
    problem = next((line for line in run.err.splitlines() if line.startswith(f"  - 第{row}行")), None)
    assert problem is not None, run.err
    assert message in problem
    if column:
        assert column in problem
    if value:
        assert f"“{value}”" in problem
    assert "未生成任何信函，也未占用文号" in run.err
    assert ws.letters() == []
    assert ws.entries() == []
    report = read_csv_rows(ws.out / "errors.csv")
    assert [r for r in report if r["行号"] == str(row) and message in r["问题"]], report
    if column:
        assert any(r["列"] == column for r in report)


def test_every_problem_of_a_sheet_is_reported_at_once(ws, tmp_path):
    source = write_csv(tmp_path / "many.csv", [
        invoice_row(1, {"金额": "abc"}), invoice_row(2), invoice_row(3, {"到期日": "明天"}),
        invoice_row(4, {"发票或合同号": ""})])
    run = ws.batch("payment_reminder", source)
    assert run.code == 2
    assert "输入数据有 3 处问题" in run.err
    report = read_csv_rows(ws.out / "errors.csv")
    assert [(r["行号"], r["列"]) for r in report] == [("2", "金额"), ("4", "到期日"), ("5", "发票或合同号")]


def test_row_numbers_count_records_as_excel_shows_them_not_text_lines(ws, tmp_path):
    source = write_csv(tmp_path / "multiline.csv", [
        invoice_row(1, {"摘要": "第一行\n第二行"}), invoice_row(2, {"金额": "-5"})])
    run = ws.batch("payment_reminder", source)
    assert run.code == 2
    assert "第3行" in run.err and "“-5”" in run.err  # line 4 of the text file, row 3 in Excel


FILE_ERRORS = {
    "empty_file": (lambda p: p.write_bytes(b""), "payment_reminder", "文件是空的"),
    "binary_file": (lambda p: p.write_bytes(bytes(range(256)) * 8), "payment_reminder", "无法识别文件编码"),
    "unknown_kind": (lambda p: write_csv(p, [invoice_row(1)]), "overdue_letter", "未知的信函类型「overdue_letter」"),
}


@pytest.mark.parametrize("case", list(FILE_ERRORS))
def test_unusable_file_or_kind_exits_2_and_writes_nothing(ws, tmp_path, case):
    build, kind, message = FILE_ERRORS[case]
    source = tmp_path / f"{case}.csv"
    build(source)
    run = ws.batch(kind, source)
    assert run.code == 2
    assert message in run.err and run.err.startswith("错误：")
    assert ws.letters() == []
    assert ws.entries() == []


@pytest.mark.parametrize("case", ["empty_file", "binary_file"])
def test_unreadable_file_is_also_reported_in_errors_csv(ws, tmp_path, case):
    build, kind, message = FILE_ERRORS[case]
    source = tmp_path / f"{case}.csv"
    build(source)
    assert ws.batch(kind, source).code == 2
    assert message in (ws.out / "errors.csv").read_text(encoding="utf-8-sig")


def test_skip_invalid_issues_the_valid_rows_and_reports_the_rest(ws, tmp_path):
    source = write_csv(tmp_path / "mixed.csv", [
        invoice_row(1), invoice_row(2, {"金额": "abc"}), invoice_row(3), invoice_row(4, {"开票日期": "2026-13-01"}),
        invoice_row(5)])
    run = ws.batch("payment_reminder", source, "--skip-invalid", "-j", "2")
    assert run.code == 2
    assert "签发 3 封" in run.out and "数据有误 2 条" in run.out
    assert "第3行" in run.err and "第5行" in run.err and "有误的行未生成" in run.err
    entries = ws.entries()
    assert [(e.seq, e.customer, e.status) for e in entries] == [
        (1, "测试客户0001有限公司", "issued"), (2, "测试客户0003有限公司", "issued"), (3, "测试客户0005有限公司", "issued")]
    assert len(ws.letters()) == 3
    manifest = ws.manifest()
    assert [(r["行号"], r["状态"], r["文号"]) for r in manifest] == [
        ("2", "已签发", entries[0].number), ("3", "数据有误", ""), ("4", "已签发", entries[1].number),
        ("5", "数据有误", ""), ("6", "已签发", entries[2].number)]
    assert "不是有效的金额" in manifest[1]["说明"] and manifest[1]["文件"] == ""
    assert [(r["行号"], r["列"]) for r in read_csv_rows(ws.out / "errors.csv")] == [("3", "金额"), ("5", "开票日期")]
    assert ws.verify().ok


def test_run_batch_raises_before_numbering_when_a_row_is_invalid(ws, tmp_path):
    source = write_csv(tmp_path / "bad.csv", [invoice_row(1), invoice_row(2, {"金额": "0"})])
    with pytest.raises(InvalidInput) as raised:
        run_batch("payment_reminder", source, ws.config, ws.out, jobs=1)
    [problem] = raised.value.problems
    assert (problem.row, problem.column, str(problem.value)) == (3, "金额", "0")
    assert ws.entries() == [] and ws.letters() == []


# --- 5. hostile data ------------------------------------------------------------

HOSTILE_NAMES = [
    'A&B <贸易> "引号" \'单引号\' 公司',
    "表情😀🏭有限公司",
    "换行第一行\n第二行公司",
    "../../etc/passwd",
    "CON",
    "con",
    "a:b*c?",
    "..",
    "nul.txt",
    "名" * 200,
]


def test_hostile_names_become_safe_unique_files_and_literal_text(tmp_path, make_ws):
    ws = make_ws("hostile", filename="{customer}")  # names made from the data alone
    rows = [invoice_row(i, {"客户名称": name}) for i, name in enumerate(HOSTILE_NAMES, start=1)]
    rows.append(invoice_row(99, {"客户名称": "超" * 300}))
    source = write_csv(tmp_path / "hostile.csv", rows)
    ws.entries()  # creates the register file
    before = {p for p in tmp_path.rglob("*") if ws.out not in p.parents}

    run = ws.batch("payment_reminder", source, "--skip-invalid", "-j", "2")
    assert run.code == 2  # only the 300-character name is rejected
    assert "第12行" in run.err and "客户名称" in run.err and "不能超过200个字符" in run.err

    after = {p for p in tmp_path.rglob("*") if ws.out not in p.parents}
    assert after - before == {ws.out}  # nothing written outside --out
    files = [p for p in ws.out.iterdir() if p.suffix == ".docx"]
    assert all(p.parent == ws.out for p in ws.out.rglob("*"))
    assert len(files) == len(HOSTILE_NAMES)
    names = [p.name for p in files]
    assert len({n.casefold() for n in names}) == len(names)  # unique even on Windows/macOS
    for name in names:
        stem = name[: -len(".docx")]
        assert not set(name) & WINDOWS_FORBIDDEN, name
        assert not any(unicodedata.category(c) == "Cc" for c in name), name
        assert not name.startswith(".") and ".." not in name and stem == stem.rstrip(". ")
        assert stem.split(".")[0].upper() not in WINDOWS_DEVICES, name
        assert len(name) <= 80 and len(name.encode("utf-8")) <= 240, name

    manifest = {row["客户"]: row for row in ws.manifest()}
    for name in HOSTILE_NAMES:
        row = manifest[name]
        assert row["状态"] == "已签发"
        text = docx_text(ws.out / row["文件"])
        assert f"{name}：" in text  # the data, literally (XML characters escaped, not interpreted)
        assert text.startswith(row["文号"])
    assert manifest["超" * 300]["状态"] == "数据有误"
    report = ws.verify()
    assert report.ok, report.problems


# --- 6. dry run -----------------------------------------------------------------

def test_dry_run_consumes_no_number_and_writes_no_letter(ws):
    source = SAMPLES / "payment_reminder.csv"
    run = ws.batch("payment_reminder", source, "--dry-run")
    assert run.code == 0
    assert "试运行：将签发 3 封" in run.out and "未占用文号" in run.out
    for customer in sample_customers("payment_reminder"):
        assert customer in run.out
    assert ws.letters() == [] and not (ws.out / "manifest.csv").exists()
    assert ws.entries() == []

    assert ws.batch("payment_reminder", source, "-j", "1").code == 0
    assert [e.number for e in ws.entries()] == [f"禾丰催函〔2026〕{n}号" for n in (1, 2, 3)]


def test_dry_run_of_invalid_sheet_exits_2_without_numbers(ws, tmp_path):
    source = write_csv(tmp_path / "bad.csv", [invoice_row(1, {"金额": "abc"})])
    run = ws.batch("payment_reminder", source, "--dry-run")
    assert run.code == 2 and "第2行" in run.err
    assert ws.entries() == [] and ws.letters() == []


# --- 8. combined document -------------------------------------------------------

def test_combine_writes_one_document_with_page_breaks_and_single_styles(ws):
    combined = ws.folder / "print" / "全部信函.docx"
    run = ws.batch("payment_reminder", SAMPLES / "payment_reminder.csv", "-j", "1", "--combine", combined)
    assert run.code == 0 and f"合并文档：{combined}" in run.out
    letters = [ws.out / row["文件"] for row in ws.manifest()]
    singles = [Document(str(p)) for p in letters]
    doc = Document(str(combined))

    assert [p.text for p in doc.paragraphs] == [p.text for d in singles for p in d.paragraphs]
    assert [[c.text for c in t._cells] for t in doc.tables] == [[c.text for c in t._cells] for d in singles for t in d.tables]
    starts, offset = [], 0
    for single in singles:
        starts.append(offset)
        offset += len(single.paragraphs)
    for i, start in enumerate(starts):
        first = doc.paragraphs[start]
        assert first.text == singles[i].paragraphs[0].text  # the letter's number
        assert bool(first.paragraph_format.page_break_before) == (i > 0), i
    style_ids = [s.get(qn("w:styleId")) for s in doc.styles.element.findall(qn("w:style"))]
    assert len(style_ids) == len(singles[0].styles.element.findall(qn("w:style")))
    assert len(style_ids) == len(set(style_ids))


# --- 9. manifest ----------------------------------------------------------------

def test_manifest_is_excel_friendly_and_formula_safe(ws, tmp_path):
    formula = '=HYPERLINK("http://x.example/","点我")'
    source = write_csv(tmp_path / "formula.csv", [invoice_row(1), invoice_row(2, {"客户名称": formula}),
                                                  invoice_row(3, {"客户名称": "+86 客户", "金额": "abc"})])
    run = ws.batch("payment_reminder", source, "-j", "1", "--skip-invalid")
    assert run.code == 2
    raw = (ws.out / "manifest.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == MANIFEST_HEADER
    for row in rows[1:]:
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row), row
    assert rows[2][1] == "'" + formula and rows[3][1] == "'+86 客户"
    letter = ws.out / rows[2][4]
    assert f"{formula}：" in docx_text(letter)  # the letter itself shows the name as written
    body = json.loads((ws.out / "manifest.json").read_text(encoding="utf-8"))
    assert body["letters"][1]["customer"] == formula and body["letters"][2]["status"] == "invalid"


def test_manifest_of_a_rerun_into_another_folder_points_at_the_kept_files(ws, tmp_path):
    source = SAMPLES / "payment_reminder.csv"
    first = tmp_path / "first"
    assert ws.lettergen("batch", "payment_reminder", source, "--out", first, "-j", "1").code == 0
    assert ws.batch("payment_reminder", source, "-j", "1").code == 0  # same rows, another folder: kept
    for row in ws.manifest():
        assert row["状态"] == "已存在（保留）"
        assert (ws.out / row["文件"]).is_file(), row["文件"]


# --- 10. PDF --------------------------------------------------------------------

def _needs_soffice():
    if shutil.which("soffice") is None and not os.environ.get("CI"):
        pytest.skip("LibreOffice (soffice) is not installed")


@pytest.mark.libreoffice
def test_pdf_per_letter_registered_and_combined_in_register_order(ws, tmp_path):
    _needs_soffice()
    from pypdf import PdfReader

    late = write_csv(tmp_path / "late.csv", [invoice_row(2)])
    assert ws.batch("payment_reminder", late, "-j", "1").code == 0  # 测试客户0002 gets number 1
    source = write_csv(tmp_path / "small.csv", [invoice_row(1), invoice_row(2), invoice_row(3)])
    combined = ws.folder / "all.pdf"
    run = ws.batch("payment_reminder", source, "-j", "1", "--pdf", "--combine-pdf", combined)
    assert run.code == 0, run.err
    assert "保留此前已签发 1 封" in run.out

    entries = ws.entries()
    assert [(e.seq, e.customer) for e in entries] == [
        (1, "测试客户0002有限公司"), (2, "测试客户0001有限公司"), (3, "测试客户0003有限公司")]
    page_texts = []
    for entry in entries:
        pdf = Path(entry.pdf_path)
        assert pdf.is_file() and pdf.suffix == ".pdf" and pdf.stem == Path(entry.output_path).stem
        assert entry.pdf_hash == sha256(pdf)
        page_texts += [page.extract_text() for page in PdfReader(pdf).pages]
    merged = [page.extract_text() for page in PdfReader(combined).pages]
    assert len(merged) == len(page_texts)
    assert merged == page_texts  # register order: number 1 first, though it is row 3 of the sheet
    report = ws.verify()
    assert report.ok, report.problems


def test_dry_run_shows_the_numbers_a_real_run_would_give(project_config, sample_data, tmp_path):
    from lettergen import api
    from lettergen.batch import run_batch

    api.issue_letter("payment_reminder", sample_data("payment_reminder"), config=project_config)  # takes 〔2026〕1号
    source = SAMPLES / "payment_reminder.csv"
    planned = run_batch("payment_reminder", source, project_config, tmp_path / "dry", dry_run=True, jobs=1)
    assert [(r.status, r.number) for r in planned.results] == [("planned", f"禾丰催函〔2026〕{n}号") for n in (2, 3, 4)]
    real = run_batch("payment_reminder", source, project_config, tmp_path / "real", jobs=1)
    assert [r.number for r in real.results] == [r.number for r in planned.results]


def test_a_clerks_own_headers_just_work(project_config, tmp_path):
    """The issue's example: a sheet headed 客户名称, 发票号, 金额 (aliases from the schema)."""
    from lettergen.batch import run_batch

    source = tmp_path / "应收.csv"
    source.write_text(
        "客户名称,发票号,金额,开票日期,到期日\n"
        "宁波海曙恒达五金有限公司,33012345,\"48,600.00\",2026-08-15,2026-09-14\n"
        "宁波海曙恒达五金有限公司,33012346,¥1200,2026-08-20,2026-09-19\n", encoding="gb18030")
    result = run_batch("payment_reminder", source, project_config, tmp_path / "out", jobs=1)
    (letter,) = result.results
    assert letter.status == "issued" and letter.letter.rows == "2-3"
    text = docx_text(Path(letter.path))
    assert "33012345" in text and "33012346" in text and "¥49,800.00" in text
