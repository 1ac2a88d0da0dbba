"""Read a CSV or .xlsx file into a plain table of text cells.

Everything format-specific lives here: encoding detection, delimiter
sniffing, openpyxl (bounded, in :mod:`.excel`), and turning Excel's Python
values into the text the user sees in the cell.  The result is a
:class:`Table` whose cells are ``str`` or ``None`` (missing), with row
numbers as shown in the spreadsheet.

Files stream in: a CSV is decoded line by line (an encoding error names its
row), and both formats stop with a clear message at the row and cell caps of
:class:`Limits` (``[limits]`` in the settings), so a huge or hostile file
costs bounded memory and time.  The data rows are kept in an anonymous
temporary file (:class:`RowStore`), not in memory: a 100,000-row sheet costs
a few bytes per row here.
"""
from __future__ import annotations

import csv
import zipfile
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Iterator, Mapping

from ..errors import InputFileError
from ..spilled import SpilledList
from .excel import cell_row, check_package, excel_text, formulas_without_values, number_text  # noqa: F401

EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
_SAVE_AS_HINT = "请在 Excel 中另存为“CSV UTF-8（逗号分隔）”或 .xlsx 后重试"


@dataclass(frozen=True)
class Limits:
    """Bounds on an input sheet (``[limits]`` in the settings; these are the defaults)."""

    max_rows: int = 100_000
    max_cells: int = 2_000_000
    xlsx_max_member_mb: int = 200
    xlsx_max_ratio: int = 200

    @classmethod
    def of(cls, section: Mapping[str, Any] | None) -> "Limits":
        known = {f.name for f in fields(cls)}
        return cls(**{k: int(v) for k, v in (section or {}).items() if k in known})


class RowStore(SpilledList):
    """The data rows of a sheet as a sequence of (row number, cells), kept in an anonymous temporary file.

    Rows are appended while the sheet is read and read back one at a time
    (by index or in order), padded to ``width`` cells.
    """

    def __init__(self) -> None:
        super().__init__()
        self.width = 0

    def append(self, number: int, cells: list[str | None]) -> None:  # type: ignore[override]
        super().append((number, cells))
        self.width = max(self.width, len(cells))

    def __getitem__(self, index: int) -> tuple[int, list[str | None]]:
        number, cells = super().__getitem__(index)
        return number, cells + [None] * (self.width - len(cells))

    def __iter__(self) -> Iterator[tuple[int, list[str | None]]]:
        for number, cells in super().__iter__():
            yield number, cells + [None] * (self.width - len(cells))


@dataclass
class Table:
    """Header row and data rows of one sheet; cells are text or None.

    ``first_filled[i]`` is the first data row with something in column ``i`` (None: empty column).
    """

    headers: list[str]
    header_row: int
    rows: RowStore
    encoding: str | None
    first_filled: list[int | None] = field(default_factory=list)


def read_table(path: str | Path, sheet: str | None = None, limits: Limits | None = None) -> Table:
    """Read ``path`` (CSV or .xlsx, chosen by suffix and magic bytes) within ``limits``."""
    path = Path(path)
    limits = limits or Limits()
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
        check_package(path, limits.xlsx_max_member_mb << 20, limits.xlsx_max_ratio)
        rows, encoding = _xlsx_rows(path, sheet), None
    else:
        if sheet is not None:
            raise InputFileError(str(path), f"CSV 文件没有工作表，不能指定工作表「{sheet}」")
        reader = _CsvReader(path)
        rows, encoding = reader.records(), reader
    try:
        table = _to_table(str(path), rows, None, limits)
    finally:
        rows.close()
    table.encoding = encoding.encoding if isinstance(encoding, _CsvReader) else encoding
    return table


def _to_table(path: str, rows, encoding: str | None, limits: Limits = Limits()) -> Table:
    """Find the header (first non-empty row) and normalise every cell; the rows go to a :class:`RowStore`."""
    headers: list[str] | None = None
    header_row = 0
    data = RowStore()
    first_filled: list[int | None] = []
    cells_read = 0
    try:
        for number, raw in rows:
            cells_read += len(raw)
            if len(data) >= limits.max_rows or cells_read > limits.max_cells:
                what = (f"超过 {limits.max_rows} 行数据" if len(data) >= limits.max_rows
                        else f"单元格超过 {limits.max_cells} 个")
                raise InputFileError(path, f"表格{what}（第{number}行处停止读取；上限见设置 [limits] "
                                     f"{'max_rows' if len(data) >= limits.max_rows else 'max_cells'}）；请把表格拆成几个文件")
            cells = list(map(_clean, raw))
            if not any(c is not None for c in cells):
                continue
            if headers is None:
                headers = [c or "" for c in cells]
                header_row = number
            else:
                _refuse_formulas(path, number, headers, cells)
                data.append(number, cells)
                first_filled += [None] * (len(cells) - len(first_filled))
                for index, cell in enumerate(cells):
                    if cell is not None and first_filled[index] is None:
                        first_filled[index] = number
        if headers is None:
            raise InputFileError(path, "文件是空的（没有表头行）")
    except BaseException:
        data.close()
        raise
    data.width = width = max(len(headers), data.width)
    headers += [""] * (width - len(headers))
    first_filled += [None] * (width - len(first_filled))
    return Table(headers, header_row, data, encoding, first_filled)


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

_HEAD = 1 << 16  # bytes looked at to recognise the encoding and the delimiter


class _CsvReader:
    """A CSV file decoded line by line: UTF-8 (with or without BOM), UTF-16 by BOM, else GB18030.

    Until the first line that is not ASCII the encoding is open; that line
    decides (UTF-8 if it decodes, else GB18030), and a later line that does
    not decode is an error naming its row.
    """

    def __init__(self, path: Path):
        self.path = path
        try:
            with path.open("rb") as fh:
                head = fh.read(_HEAD)
        except OSError as exc:
            raise InputFileError(str(path), f"无法读取文件（{exc.strerror or exc}）") from None
        self.bom = b""
        self.encoding: str | None = None
        if head.startswith(b"\xef\xbb\xbf"):
            self.bom, self.encoding = b"\xef\xbb\xbf", "utf-8-sig"
        elif head.startswith((b"\xff\xfe", b"\xfe\xff")):
            self.encoding = "utf-16"  # Excel's "Unicode text" export
        # A stray NUL in a cell is kept (validation reports it); many NULs mean
        # a binary file or UTF-16 without BOM, which would only yield garbage.
        if self.encoding != "utf-16" and head.count(b"\x00") > max(8, len(head) // 100):
            raise InputFileError(str(path), "文件含有空字符，不是文本格式的 CSV；" + _SAVE_AS_HINT)
        self.record = 0

    def _decode(self, raw: bytes) -> str:
        if self.encoding is None:
            if raw.isascii():
                return raw.decode("ascii")
            try:
                text = raw.decode("utf-8")
                self.encoding = "utf-8"
                return text
            except UnicodeDecodeError:
                self.encoding = "gb18030"
        try:
            return raw.decode("utf-8" if self.encoding == "utf-8-sig" else self.encoding)
        except UnicodeDecodeError as exc:
            shown = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "gb18030": "GB18030/GBK"}[self.encoding]
            raise InputFileError(
                str(self.path), f"无法识别文件编码：第{self.record + 1}行含有无法识别的字符（该行第 {exc.start + 1} 字节附近）："
                f"文件前面是 {shown} 编码，这一行不是；整个文件应为同一种编码（UTF-8 或 GB18030/GBK）；" + _SAVE_AS_HINT) from None

    def _lines(self, fh) -> Iterator[str]:
        if self.encoding == "utf-16":
            import io

            yield from io.TextIOWrapper(fh, encoding="utf-16", newline="")
            return
        first = True
        for raw in fh:
            if first and self.bom:
                raw = raw[len(self.bom):]
            first = False
            yield self._decode(raw)

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """(row number, cells) one record at a time; Excel shows one row per CSV record."""
        with self.path.open("rb") as fh:
            lines = self._lines(fh)
            first = next(lines, "")
            delimiter = _sniff_delimiter(first)
            reader = csv.reader(_chain(first, lines), delimiter=delimiter)
            try:
                for self.record, record in enumerate(reader, start=1):
                    yield self.record, record
            except csv.Error as exc:
                raise InputFileError(str(self.path), f"CSV 格式错误（第 {self.record + 1} 行附近）：{exc}") from None
            except UnicodeDecodeError:
                raise InputFileError(str(self.path), f"第{self.record + 1}行附近含有无法识别的字符；" + _SAVE_AS_HINT) from None


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    if first:
        yield first
    yield from rest


def _sniff_delimiter(text: str) -> str:
    """Comma unless the first line has clearly more tabs or semicolons."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


# --- Excel -----------------------------------------------------------------

def _xlsx_rows(path: Path, sheet: str | None):
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InputFileError(str(path), f"不是有效的 Excel .xlsx 文件（{exc}）") from None
    try:
        worksheet = _pick_sheet(str(path), workbook, sheet)
        missing = formulas_without_values(worksheet)
    except BaseException:
        workbook.close()
        raise
    if missing:
        workbook.close()
        rows = sorted({cell_row(ref) for ref in missing})
        raise InputFileError(str(path), f"单元格 {'、'.join(missing)} 是公式，但文件中没有保存计算结果（第{'、'.join(map(str, rows))}行）："
                             "文件可能由其他程序生成、从未在 Excel 中打开保存；请在 Excel 中打开并保存后重试，或把公式改为数值")
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
