"""Tests for lettergen.sources: reading CSV/.xlsx into records, safe file names."""
from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lettergen.errors import InputFileError
from lettergen.sources import Field, NameSet, read_records, safe_filename
from lettergen.sources.fields import Catalogue
from lettergen.sources.readers import excel_text

FIELDS = [
    Field("recipient", "客户"),
    Field("recipient.code", "客户编号"),
    Field("recipient.name", "客户名称", aliases=("公司名称",)),
    Field("sender.phone", "电话"),
    Field("contact", "联系人"),
    Field("contact.name", "姓名"),
    Field("contact.phone", "电话"),
    Field("items[]", "欠款明细"),
    Field("items[].invoice_no", "发票号"),
    Field("items[].date", "开票日期"),
    Field("items[].amount", "金额"),
    Field("attachments[]", "附件"),
]

HEADER = ["客户编号", "客户名称", "发票号", "开票日期", "金额", "附件"]
ROWS = [
    ["K001", "华东贸易有限公司", "20260001", "2026-11-22", "1200.5", "对账单；发票复印件"],
    ["K002", "北方机械股份公司", "20260002", "2026-11-23", "80", ""],
]


def write_csv(path: Path, rows, encoding="utf-8", delimiter=",") -> Path:
    lines = []
    for row in rows:
        cells = []
        for cell in row:
            text = str(cell)
            if any(c in text for c in ('"', "\n", delimiter)):
                text = '"' + text.replace('"', '""') + '"'
            cells.append(text)
        lines.append(delimiter.join(cells))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def problems_text(result) -> str:
    return "\n".join(str(p) for p in result.problems)


# --- encodings and formats --------------------------------------------------

@pytest.mark.parametrize("encoding, reported", [
    ("utf-8", "utf-8"),
    ("utf-8-sig", "utf-8-sig"),
    ("gb18030", "gb18030"),
    ("gbk", "gb18030"),
])
def test_csv_encodings_detected(tmp_path, encoding, reported):
    path = write_csv(tmp_path / "in.csv", [HEADER, *ROWS], encoding=encoding)
    result = read_records(path, FIELDS)
    assert result.encoding == reported
    assert result.problems == []
    assert result.headers == HEADER
    assert [r.rows for r in result.records] == [[2], [3]]
    assert result.records[0].data == {
        "recipient": {"code": "K001", "name": "华东贸易有限公司"},
        "items": [{"invoice_no": "20260001", "date": "2026-11-22", "amount": "1200.5"}],
        "attachments": ["对账单", "发票复印件"],
    }
    assert "attachments" not in result.records[1].data


def test_undecodable_csv_is_an_input_file_error(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes("客户名称\n".encode("utf-8") + b"\xff\xfe\xff\x80\n")
    with pytest.raises(InputFileError) as info:
        read_records(path, FIELDS)
    assert "编码" in info.value.reason and "GB18030" in info.value.reason


def test_missing_file_and_xls_are_input_file_errors(tmp_path):
    with pytest.raises(InputFileError, match="不存在"):
        read_records(tmp_path / "nope.csv", FIELDS)
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    with pytest.raises(InputFileError, match=r"\.xls"):
        read_records(old, FIELDS)


def test_utf16_binary_and_fake_xlsx(tmp_path):
    path = tmp_path / "unicode.txt"
    path.write_bytes("客户编号\t客户名称\nK1\t甲\n".encode("utf-16"))
    result = read_records(path, FIELDS)
    assert result.encoding == "utf-16" and result.records[0].data["recipient"]["name"] == "甲"
    binary = tmp_path / "blob.csv"
    binary.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(InputFileError):
        read_records(binary, FIELDS)
    fake = tmp_path / "fake.xlsx"
    fake.write_text("客户编号\nK1\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="xlsx"):
        read_records(fake, FIELDS)


def test_data_under_a_blank_header_is_a_warning(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("客户编号,,\nK1,,\nK2,备注,\n", encoding="utf-8")
    result = read_records(path, FIELDS)
    (problem,) = result.problems
    assert problem.severity == "warning" and problem.row == 3 and problem.column == "第2列"
    assert len(result.records) == 2


def test_xlsx_cells_are_shown_as_the_user_sees_them(tmp_path):
    path = write_xlsx(tmp_path / "in.xlsx", {"Sheet1": [
        HEADER,
        ["K001", "华东贸易有限公司", 20260001, dt.datetime(2026, 11, 22), 1200.5, "对账单；发票复印件"],
        ["K002", "北方机械股份公司", 20260002.0, dt.date(2026, 11, 23), 80, None],
    ]})
    xlsx = read_records(path, FIELDS)
    csv_result = read_records(write_csv(tmp_path / "in.csv", [HEADER, *ROWS]), FIELDS)
    assert xlsx.encoding is None
    assert xlsx.problems == []
    assert [r.data for r in xlsx.records] == [r.data for r in csv_result.records]
    assert [r.source_key for r in xlsx.records] == [r.source_key for r in csv_result.records]


@pytest.mark.parametrize("value, fmt, text", [
    (dt.datetime(2026, 11, 22, 14, 30), "", "2026-11-22 14:30"),
    (dt.datetime(2026, 11, 22, 0, 0), "", "2026-11-22"),
    (dt.date(2026, 1, 2), "", "2026-01-02"),
    (dt.time(9, 5), "", "09:05"),
    (20260001.0, "", "20260001"),
    (0.1 + 0.2, "", "0.3"),
    (1234.5678, "", "1234.5678"),
    (1e-7, "", "0.0000001"),
    (1e20, "", "100000000000000000000"),
    (-0.0, "", "0"),
    (0.05, "0%", "5%"),
    (True, "", "是"),
    (False, "", "否"),
    ("  ", "", "  "),  # whitespace is dropped later, with text cells from CSV
    (None, "", None),
])
def test_excel_text(value, fmt, text):
    assert excel_text(value, fmt) == text


def test_xlsx_named_sheet_and_unknown_sheet(tmp_path):
    path = write_xlsx(tmp_path / "in.xlsx", {
        "说明": [["这是说明页"]],
        "十一月": [HEADER, ROWS[0]],
    })
    result = read_records(path, FIELDS, sheet="十一月")
    assert [r.data["recipient"]["code"] for r in result.records] == ["K001"]
    first = read_records(path, FIELDS)  # default: the first sheet
    assert first.records == [] and "这是说明页" in problems_text(first)
    with pytest.raises(InputFileError) as info:
        read_records(path, FIELDS, sheet="十二月")
    assert "「十二月」" in info.value.reason and "「说明」" in info.value.reason and "「十一月」" in info.value.reason


def test_xlsx_row_numbers_survive_empty_rows(tmp_path):
    path = tmp_path / "gaps.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["A1"], sheet["B1"] = "客户编号", "客户名称"
    sheet["A2"], sheet["B2"] = "K1", "甲"
    sheet["A5"], sheet["B5"] = "K2", "乙"
    sheet["A6"] = "   "  # whitespace only: the row counts as empty
    sheet["A7"] = "K3"
    workbook.save(path)
    result = read_records(path, FIELDS)
    assert [r.rows for r in result.records] == [[2], [5], [7]]
    assert result.records[2].data == {"recipient": {"code": "K3"}}


def test_semicolon_and_tab_delimiters(tmp_path):
    for delimiter in (";", "\t"):
        path = write_csv(tmp_path / "in.csv", [HEADER, *ROWS], delimiter=delimiter)
        result = read_records(path, FIELDS)
        assert result.records[0].data["recipient"]["name"] == "华东贸易有限公司"


# --- headers -----------------------------------------------------------------

def test_dotted_and_normalised_headers(tmp_path):
    header = [" RECIPIENT.CODE ", "ｒｅｃｉｐｉｅｎｔ．ｎａｍｅ", "items.invoice_no", "items[].amount", "attachments[]"]
    path = write_csv(tmp_path / "in.csv", [header, ["K1", "甲", "7", "9", "a\nb"]])
    result = read_records(path, FIELDS)
    assert result.problems == []
    assert result.records[0].data == {
        "recipient": {"code": "K1", "name": "甲"},
        "items": [{"invoice_no": "7", "amount": "9"}],
        "attachments": ["a", "b"],
    }
    assert result.records[0].columns["recipient.name"] == "ｒｅｃｉｐｉｅｎｔ．ｎａｍｅ"


def test_alias_and_fullwidth_label(tmp_path):
    path = write_csv(tmp_path / "in.csv", [["公司名称", "客户编号 "], ["甲", "K1"]])
    result = read_records(path, FIELDS)
    assert result.problems == []
    assert result.records[0].data == {"recipient": {"name": "甲", "code": "K1"}}


def test_ambiguous_label_needs_qualification(tmp_path):
    header = ["电话", "联系人·电话", "sender.phone", "联系人.姓名"]
    path = write_csv(tmp_path / "in.csv", [header, ["1", "2", "3", "王五"]])
    result = read_records(path, FIELDS)
    assert result.records[0].data == {"contact": {"phone": "2", "name": "王五"}, "sender": {"phone": "3"}}
    (problem,) = result.problems
    assert problem.row == 1 and problem.column == "电话" and problem.severity == "error"
    assert "歧义" in problem.message
    assert "contact.phone" in problem.message and "sender.phone" in problem.message


@pytest.mark.parametrize("header", ["联系人・电话", "联系人．电话", "contact·电话", "sender.电话"])
def test_qualified_label_variants(header):
    (slot,) = Catalogue(FIELDS).resolve(header)
    assert slot.path in ("contact.phone", "sender.phone")


def test_unknown_header_suggests_closest_label(tmp_path):
    path = write_csv(tmp_path / "in.csv", [["客户名", "金额"], ["甲", "5"]])
    result = read_records(path, FIELDS)
    (problem,) = result.problems
    assert problem.column == "客户名" and problem.row == 1
    assert "未知的列" in problem.message and "「客户名称」" in problem.message
    assert result.records[0].data == {"items": [{"amount": "5"}]}


def test_duplicate_headers_for_one_field(tmp_path):
    path = write_csv(tmp_path / "in.csv", [["客户名称", "recipient.name"], ["甲", "乙"]])
    result = read_records(path, FIELDS)
    (problem,) = result.problems
    assert problem.column == "recipient.name" and problem.path == "recipient.name"
    assert "重复" in problem.message
    assert result.records[0].data == {"recipient": {"name": "甲"}}


def test_nested_lists_of_dicts_are_rejected():
    with pytest.raises(ValueError):
        Catalogue([Field("a[].b[].c", "x")])


# --- rows and cells ------------------------------------------------------------

def test_quoted_multiline_cells_keep_row_numbers(tmp_path):
    rows = [HEADER, ["K1", "甲公司\r\n（总部）", "1", "", "", "清单\n合同"], ["K2", "乙", "2", "", "", ""]]
    path = write_csv(tmp_path / "in.csv", rows)
    result = read_records(path, FIELDS)
    assert [r.rows for r in result.records] == [[2], [3]]
    assert result.records[0].data["recipient"]["name"] == "甲公司\n（总部）"
    assert result.records[0].data["attachments"] == ["清单", "合同"]


def test_empty_cells_are_missing_and_empty_rows_skipped(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("客户编号,客户名称,金额\n\nK1,  ,\n,,\nK2,乙,3\n", encoding="utf-8")
    result = read_records(path, FIELDS)
    assert [r.rows for r in result.records] == [[3], [5]]
    assert result.records[0].data == {"recipient": {"code": "K1"}}
    assert "items" not in result.records[0].data


def test_header_need_not_be_on_row_one(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("\n\n客户编号\nK1\n", encoding="utf-8")
    assert read_records(path, FIELDS).records[0].rows == [4]


def test_exact_duplicate_rows_are_reported(tmp_path):
    path = write_csv(tmp_path / "in.csv", [HEADER, ROWS[0], ROWS[1], ROWS[0]])
    result = read_records(path, FIELDS)
    (problem,) = result.problems
    assert problem.row == 4 and "与第2行完全重复" in problem.message
    assert [r.rows for r in result.records] == [[2], [3]]


def test_control_characters_are_kept(tmp_path):
    path = write_csv(tmp_path / "in.csv", [["客户名称"], ["甲\x07乙\x00丙\x1b"]])
    result = read_records(path, FIELDS)
    assert result.records[0].data["recipient"]["name"] == "甲\x07乙\x00丙\x1b"


# --- grouping -----------------------------------------------------------------

GROUPED = [
    HEADER,
    ["K001", "华东贸易有限公司", "20260001", "2026-11-01", "100", "对账单"],
    ["K002", "北方机械股份公司", "20260002", "2026-11-02", "200", ""],
    ["K001", "", "20260003", "2026-11-03", "300", ""],
    ["K001", "华东贸易有限公司", "20260004", "2026-11-04", "400", "对账单"],
]


@pytest.mark.parametrize("group_by", ["客户编号", "recipient.code", "RECIPIENT.CODE"])
def test_grouping_collects_items(tmp_path, group_by):
    result = read_records(write_csv(tmp_path / "in.csv", GROUPED), FIELDS, group_by=group_by)
    assert result.problems == []
    first, second = result.records
    assert first.rows == [2, 4, 5] and second.rows == [3]
    assert first.data["recipient"] == {"code": "K001", "name": "华东贸易有限公司"}
    assert [i["invoice_no"] for i in first.data["items"]] == ["20260001", "20260003", "20260004"]
    assert first.data["attachments"] == ["对账单"]
    assert len(second.data["items"]) == 1


def test_grouping_by_name_and_by_unknown_column(tmp_path):
    rows = [["编号", "客户名称", "发票号"], ["x", "甲", "1"], ["y", "甲", "2"]]
    path = write_csv(tmp_path / "in.csv", rows)
    by_name = read_records(path, FIELDS, group_by="recipient.name")
    assert [r.rows for r in by_name.records] == [[2, 3]]
    by_extra = read_records(path, FIELDS, group_by="编号")
    assert [r.rows for r in by_extra.records] == [[2], [3]]
    assert by_extra.problems == []  # a group column is never an "unknown" header
    with pytest.raises(InputFileError, match="分组列"):
        read_records(path, FIELDS, group_by="客户代码")


def test_grouping_conflict_names_rows_column_and_values(tmp_path):
    rows = [r[:] for r in GROUPED]
    rows[4][1] = "华东贸易公司"
    result = read_records(write_csv(tmp_path / "in.csv", rows), FIELDS, group_by="客户编号")
    (problem,) = result.problems
    assert (problem.row, problem.column, problem.path) == (5, "客户名称", "recipient.name")
    assert "第2行" in problem.message and "第5行" in problem.message
    assert "华东贸易有限公司" in problem.message and "华东贸易公司" in problem.message


def test_grouping_row_without_key(tmp_path):
    rows = [HEADER, ["K1", "甲", "1", "", "", ""], ["", "乙", "2", "", "", ""]]
    result = read_records(write_csv(tmp_path / "in.csv", rows), FIELDS, group_by="客户编号")
    assert [r.rows for r in result.records] == [[2], [3]]
    (problem,) = result.problems
    assert problem.row == 3 and "为空" in problem.message


def test_groups_come_in_order_of_first_appearance_with_duplicates_and_blank_keys_between(tmp_path):
    rows = [HEADER, ["K2", "乙", "1", "", "", ""], ["K1", "甲", "2", "", "", ""], ["K2", "乙", "1", "", "", ""],
            ["", "丙", "3", "", "", ""], ["K1", "", "4", "", "", ""], ["K2", "", "5", "", "", ""]]
    result = read_records(write_csv(tmp_path / "in.csv", rows), FIELDS, group_by="客户编号")
    assert [r.rows for r in result.records] == [[2, 7], [3, 6], [5]]
    assert [[i["invoice_no"] for i in r.data["items"]] for r in result.records] == [["1", "5"], ["2", "4"], ["3"]]
    assert [(p.row, "完全重复" in p.message or "为空" in p.message) for p in result.problems] == [(4, True), (5, True)]


# --- source keys --------------------------------------------------------------

def test_source_key_ignores_column_order_row_position_and_header_spelling(tmp_path):
    base = read_records(write_csv(tmp_path / "a.csv", [HEADER, *ROWS]), FIELDS)
    order = [5, 3, 1, 0, 4, 2]
    shuffled = [[row[i] for i in order] for row in [HEADER, *ROWS]]
    shuffled[0][order.index(1)] = "recipient.name"
    moved = read_records(write_csv(tmp_path / "b.csv", [shuffled[0], shuffled[2], shuffled[1]]), FIELDS)
    assert {r.source_key for r in base.records} == {r.source_key for r in moved.records}
    assert base.records[0].source_key == moved.records[1].source_key
    assert len(base.records[0].source_key) == 32
    assert base.records[0].source_key != base.records[1].source_key


def test_source_key_of_groups_ignores_row_order(tmp_path):
    a = read_records(write_csv(tmp_path / "a.csv", GROUPED), FIELDS, group_by="客户编号")
    reordered = [GROUPED[0], GROUPED[4], GROUPED[2], GROUPED[3], GROUPED[1]]
    b = read_records(write_csv(tmp_path / "b.csv", reordered), FIELDS, group_by="客户编号")
    assert a.records[0].source_key == b.records[0].source_key
    changed = [r[:] for r in GROUPED]
    changed[3][4] = "301"
    c = read_records(write_csv(tmp_path / "c.csv", changed), FIELDS, group_by="客户编号")
    assert a.records[0].source_key != c.records[0].source_key


# --- safe_filename --------------------------------------------------------------

WINDOWS_FORBIDDEN = set('<>:"/\\|?*') | {chr(c) for c in range(32)}
RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


@pytest.mark.parametrize("text, expected", [
    ("../../etc/passwd", "_._etc_passwd.docx"),
    ("CON", "_CON.docx"),
    ("con.txt", "_con.txt.docx"),
    ("a:b*c?", "a_b_c_.docx"),
    ("2026001_华东贸易有限公司", "2026001_华东贸易有限公司.docx"),
    ("...", "未命名.docx"),
    ("", "未命名.docx"),
    ("名称. . ", "名称.docx"),
    ("evil\u202excod.exe", "evilxcod.exe.docx"),
])
def test_safe_filename_examples(text, expected):
    assert safe_filename(text) == expected


def test_safe_filename_long_chinese_and_emoji():
    name = safe_filename("债" * 300)
    assert len(name) == 80 and name.endswith(".docx")
    assert safe_filename("😀" * 100, max_length=200).encode("utf-8").__len__() <= 240
    assert safe_filename("客户😀").startswith("客户😀")


def test_safe_filename_unique_case_insensitively():
    used: set[str] = set()
    names = [safe_filename(t, used=used) for t in ["Acme", "ACME", "acme", "a/b", "a:b"]]
    assert names == ["Acme.docx", "ACME(2).docx", "acme(3).docx", "a_b.docx", "a_b(2).docx"]
    assert used == set(names)
    long = [safe_filename("长" * 300, used=used) for _ in range(3)]
    assert len(set(long)) == 3 and all(len(n) <= 80 for n in long)


@settings(max_examples=300, deadline=None)
@given(st.text(), st.integers(min_value=13, max_value=300), st.sampled_from([".docx", ".pdf", ""]))
def test_safe_filename_properties(text, max_length, suffix):
    used = {"x.docx"}
    name = safe_filename(text, used=used, max_length=max_length, suffix=suffix)
    stem = name[: len(name) - len(suffix)] if suffix else name
    assert name.endswith(suffix) and stem
    assert len(name) <= max_length and len(name.encode("utf-8")) <= 240
    assert not WINDOWS_FORBIDDEN & set(name)
    assert ".." not in name and not name.startswith(".")
    assert name[-1] not in ". " and stem[-1] not in ". "
    assert stem.split(".")[0].strip().upper() not in RESERVED
    assert name in used and len(used) == 2
    assert unicodedata.normalize("NFC", name) == name
    # Cleaning is idempotent: a safe name stays as it is.
    assert safe_filename(stem, max_length=max_length, suffix=suffix) == name


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from(["a", "A", "CON", "", "..", "名"]), min_size=1, max_size=30))
def test_safe_filename_never_repeats(texts):
    used: set[str] = set()
    names = [safe_filename(t, used=used) for t in texts]
    assert len({n.casefold() for n in names}) == len(names)


def test_names_in_a_folder_are_taken_whatever_their_case(tmp_path):
    (tmp_path / "催款通知-甲.docx").write_bytes(b"")
    (tmp_path / "Letter.DOCX").write_bytes(b"")
    (tmp_path / ".~tmp.part").write_bytes(b"")
    taken = NameSet.in_folder(tmp_path)
    assert len(taken) == 3 and "letter.docx" in taken and "催款通知-甲.docx" in taken
    assert safe_filename("催款通知-甲.docx", used=taken) != "催款通知-甲.docx"
    assert len(NameSet.in_folder(tmp_path / "missing")) == 0
    assert len(NameSet.in_folder(tmp_path / "Letter.DOCX")) == 0  # a file, not a folder: nothing taken
