"""Reading .xlsx sheets with bounds: the package is checked before openpyxl parses it.

* every zip member's uncompressed size, and its compression ratio, are
  checked first (a 1.2 MB "zip bomb" must not become 10 GB of XML);
* rows stream from openpyxl's read-only mode; the row and cell caps are
  applied by :func:`lettergen.sources.readers.read_table`;
* a formula whose result was never saved (a file written by a program and
  never opened in Excel) is refused, naming the cells, instead of being
  read as an empty cell.
"""
from __future__ import annotations

import datetime as dt
import re
import zipfile
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

from ..errors import InputFileError

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RATIO_FLOOR = 1 << 20  # small members may compress as well as they like


def check_package(path: Path, max_member_bytes: int, max_ratio: int) -> None:
    """Refuse a package whose members are too large, or compressed suspiciously well, before parsing."""
    try:
        with zipfile.ZipFile(path) as zf:
            members = zf.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputFileError(str(path), f"不是有效的 Excel .xlsx 文件（{exc}）") from None
    for info in members:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > max_member_bytes:
            raise InputFileError(str(path), f"其中的 {info.filename} 解压后有 {info.file_size / (1 << 20):.0f} MB，"
                                 f"超过上限 {max_member_bytes / (1 << 20):.0f} MB（[limits] xlsx_max_member_mb）；"
                                 "请把表格拆成几个文件")
        if info.file_size > _RATIO_FLOOR and ratio > max_ratio:
            raise InputFileError(str(path), f"其中的 {info.filename} 压缩比为 {ratio:.0f} 倍，超过上限 {max_ratio} 倍"
                                 "（[limits] xlsx_max_ratio），疑似“压缩炸弹”，未读取")


def formulas_without_values(worksheet, limit: int = 10) -> list[str]:
    """Cells (e.g. ``C5``) holding a formula with no saved result; at most ``limit``."""
    source = worksheet._get_source()  # openpyxl's read-only sheet: the sheet XML stream
    try:
        if not _contains(source, b"<f"):
            return []
    finally:
        source.close()
    found: list[str] = []
    source = worksheet._get_source()
    try:
        for _event, element in ElementTree.iterparse(source):
            if element.tag != _MAIN + "c":
                continue
            formula, value = element.find(_MAIN + "f"), element.find(_MAIN + "v")
            if formula is not None and (value is None or not (value.text or "")) and element.get("t") != "inlineStr":
                found.append(element.get("r") or "?")
                if len(found) >= limit:
                    break
            element.clear()
    finally:
        source.close()
    return found


def _contains(stream, needle: bytes, block: int = 1 << 20) -> bool:
    tail = b""
    for chunk in iter(lambda: stream.read(block), b""):
        if needle in tail + chunk:
            return True
        tail = chunk[-len(needle):]
    return False


def cell_row(ref: str) -> int:
    return int(re.sub(r"^[A-Z]+", "", ref) or 0)


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
