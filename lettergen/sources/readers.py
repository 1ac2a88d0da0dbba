"""Read a CSV or .xlsx file into a plain table of text cells.

Everything format-specific lives here: encoding detection, delimiter
sniffing, openpyxl, and turning Excel's Python values into the text the user
sees in the cell.  The result is a :class:`Table` whose cells are ``str`` or
``None`` (missing), with row numbers as shown in the spreadsheet.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from ..errors import InputFileError

EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
_SAVE_AS_HINT = "请在 Excel 中另存为“CSV UTF-8（逗号分隔）”或 .xlsx 后重试"


@dataclass
class Table:
    """Header row and data rows of one sheet; cells are text or None."""

    headers: list[str]
    header_row: int
    rows: list[tuple[int, list[str | None]]]
    encoding: str | None


def read_table(path: str | Path, sheet: str | None = None) -> Table:
    """Read ``path`` (CSV or .xlsx, chosen by suffix and magic bytes)."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            magic = fh.read(8)
    except FileNotFoundError:
        raise InputFileError(str(path), "文件不存在") from None
    except IsADirectoryError:
        raise InputFileError(str(path), "这是一个目录，不是文件") from None
    except OSError as exc:
        raise InputFileError(str(path), f"无法打开文件（{exc.strerror or exc}）") from None
    if magic.startswith(b"\xd0\xcf\x11\xe0") or path.suffix.lower() == ".xls":
        # Both old .xls files and password-protected .xlsx files are OLE containers.
        raise InputFileError(
            str(path), "文件是旧版 Excel 97-2003（.xls）格式或设置了打开密码，无法读取；" + _SAVE_AS_HINT
        )
    if path.suffix.lower() in EXCEL_SUFFIXES or magic.startswith(b"PK\x03\x04"):
        rows, encoding = _xlsx_rows(path, sheet), None
    else:
        if sheet is not None:
            raise InputFileError(str(path), f"CSV 文件没有工作表，不能指定工作表「{sheet}」")
        rows, encoding = _csv_rows(path)
    return _to_table(str(path), rows, encoding)


def _to_table(path: str, rows, encoding: str | None) -> Table:
    """Find the header (first non-empty row) and normalise every cell."""
    headers: list[str] | None = None
    header_row = 0
    data: list[tuple[int, list[str | None]]] = []
    seen: dict[str, str] = {}  # one object per distinct cell text: sheets repeat dates, names, levels
    for number, raw in rows:
        cells = [None if c is None else seen.setdefault(c, c) for c in map(_clean, raw)]
        if not any(c is not None for c in cells):
            continue
        if headers is None:
            headers = [c or "" for c in cells]
            header_row = number
        else:
            _refuse_formulas(path, number, headers, cells)
            data.append((number, cells))
    if headers is None:
        raise InputFileError(path, "文件是空的（没有表头行）")
    width = max([len(headers), *(len(c) for _, c in data)])
    headers += [""] * (width - len(headers))
    for _, cells in data:
        cells += [None] * (width - len(cells))
    return Table(headers, header_row, data, encoding)


EXCEL_ERRORS = {"#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#N/A", "#NUM!", "#NULL!", "#SPILL!", "#CALC!"}


def _refuse_formulas(path: str, number: int, headers: list[str], cells: list[str | None]) -> None:
    """An Excel error value (a formula that failed) would be printed as is: refuse the file instead.

    (Formula text in a CSV is kept as written; the manifest and exports escape it.)
    """
    for index, cell in enumerate(cells):
        if cell in EXCEL_ERRORS:
            column = headers[index] if index < len(headers) and headers[index] else f"第{index + 1}列"
            raise InputFileError(path, f"第{number}行「{column}」是公式的错误值 {cell}；请修正公式或粘贴为数值后重试")


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    return value or None


# --- CSV -------------------------------------------------------------------

def _decode(path: Path, data: bytes) -> tuple[str, str]:
    """Strict UTF-8 (with or without BOM), then UTF-16 by BOM, then GB18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]  # Excel's "Unicode text" export
    else:
        candidates = ["utf-8", "gb18030"]
    error: UnicodeDecodeError | None = None
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            error = error or exc
            continue
        # A stray NUL in a cell is kept (validation reports it); many NULs mean
        # a binary file or UTF-16 without BOM, which would only yield garbage.
        if text.count("\x00") > max(8, len(text) // 100):
            raise InputFileError(str(path), "文件含有空字符，不是文本格式的 CSV；" + _SAVE_AS_HINT)
        return text, encoding
    assert error is not None
    raise InputFileError(
        str(path),
        f"无法识别文件编码（既不是 UTF-8，也不是 GB18030/GBK；第 {error.start + 1} 字节附近）；"
        + _SAVE_AS_HINT,
    )


def _sniff_delimiter(text: str) -> str:
    """Comma unless the first line has clearly more tabs or semicolons."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def _csv_rows(path: Path):
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputFileError(str(path), f"无法读取文件（{exc.strerror or exc}）") from None
    text, encoding = _decode(path, data)
    del data
    return _csv_records(path, text), encoding


def _csv_records(path: Path, text: str):
    """(row number, cells) one record at a time: the sheet is never held twice."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text))
    number = 0
    try:
        # Excel shows one row per CSV record, even if a quoted cell spans lines.
        for number, record in enumerate(reader, start=1):
            yield number, record
    except csv.Error as exc:
        raise InputFileError(str(path), f"CSV 格式错误（第 {number + 1} 行附近）：{exc}") from None


# --- Excel -----------------------------------------------------------------

MAX_UNPACKED = 256 * 1024 * 1024  # bytes an .xlsx may unpack to
MAX_RATIO = 200  # compression ratio of any part; real sheets stay far below


def _refuse_zip_bomb(path: Path) -> None:
    """Refuse a package that would unpack to far more than it weighs (a "zip bomb")."""
    try:
        with zipfile.ZipFile(path) as package:
            infos = package.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputFileError(str(path), f"不是有效的 Excel .xlsx 文件（{exc}）") from None
    total = sum(i.file_size for i in infos)
    ratio = max((i.file_size / max(i.compress_size, 1) for i in infos), default=0)
    if total > MAX_UNPACKED or ratio > MAX_RATIO:
        raise InputFileError(str(path), f"文件解压后过大（{total // (1024 * 1024)} MB，压缩比 {ratio:.0f}），"
                                        "疑似压缩炸弹，未读取；" + _SAVE_AS_HINT)


def _xlsx_rows(path: Path, sheet: str | None):
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    _refuse_zip_bomb(path)
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InputFileError(str(path), f"不是有效的 Excel .xlsx 文件（{exc}）") from None
    try:
        worksheet = _pick_sheet(str(path), workbook, sheet)
    except BaseException:
        workbook.close()
        raise
    return _xlsx_records(workbook, worksheet)


def _xlsx_records(workbook, worksheet):
    """(row number, cells) one row at a time, closing the workbook at the end."""
    try:
        # Dimensions recorded by other tools are sometimes wrong; read everything.
        worksheet.reset_dimensions()
        for number, cells in enumerate(worksheet.iter_rows(min_row=1, min_col=1), start=1):
            yield number, [excel_text(c.value, getattr(c, "number_format", "")) for c in cells]
    finally:
        workbook.close()


def _pick_sheet(path: str, workbook, sheet: str | None):
    names = workbook.sheetnames
    if sheet is None:
        return workbook[names[0]]
    if sheet in names:
        return workbook[sheet]
    loose = [n for n in names if n.strip().casefold() == sheet.strip().casefold()]
    if len(loose) == 1:
        return workbook[loose[0]]
    listed = "、".join(f"「{n}」" for n in names)
    raise InputFileError(path, f"没有名为「{sheet}」的工作表；现有工作表：{listed}")


def excel_text(value, number_format: str = "") -> str | None:
    """Text of an Excel cell value as the user sees it (None if empty)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M" if value.second == 0 else "%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M" if value.second == 0 else "%H:%M:%S")
    if isinstance(value, (int, float, Decimal)):
        if "%" in (number_format or ""):
            return number_text(Decimal(str(value)) * 100) + "%"
        return number_text(value)
    return str(value)


def number_text(value: int | float | Decimal) -> str:
    """Plain decimal text, no exponent, no ``.0``; floats at Excel's 15 digits.

    ``0.1 + 0.2`` is shown as ``0.3`` (as Excel does), 20260001.0 as
    ``20260001``.
    """
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        value = Decimal(f"{value:.15g}")
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text
