"""Export register entries to CSV (UTF-8 with BOM, for Excel) or XLSX.

Both are safe against formula injection.  In CSV a text cell starting with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
apostrophe, so spreadsheet programs show it as text.  In XLSX every text
cell is a string cell, never a formula, shown exactly as it is (no
apostrophe); a formula-like text also carries Excel's "quote prefix" style,
so editing the cell keeps it text.
"""
from __future__ import annotations

import csv
import os
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable, Iterable

from ..errors import RegisterError
from .entry import Entry

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _local(value: datetime | None) -> datetime | None:
    return value.astimezone().replace(tzinfo=None, microsecond=0) if value else None


#: (header, value of an entry) in column order.
COLUMNS: list[tuple[str, Callable[[Entry], Any]]] = [
    ("文号", lambda e: e.number),
    ("日期", lambda e: e.letter_date),
    ("客户", lambda e: e.customer),
    ("事由", lambda e: e.subject),
    ("类型", lambda e: e.kind),
    ("状态", lambda e: e.status_label),
    ("状态说明", lambda e: e.status_reason),
    ("状态时间", lambda e: _local(e.status_at)),
    ("订正文号", lambda e: e.supersedes),
    ("被订正为", lambda e: e.superseded_by),
    ("批次", lambda e: e.batch_id),
    ("来源", lambda e: e.source_key),
    ("模板", lambda e: e.template_name),
    ("文件", lambda e: e.output_path),
    ("文件 SHA-256", lambda e: e.file_hash),
    ("PDF", lambda e: e.pdf_path),
    ("签发人", lambda e: e.issued_by),
    ("登记时间", lambda e: _local(e.created_at)),
]


def safe_text(value: str) -> str:
    """``value`` with a leading apostrophe if a spreadsheet could read it as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (date, datetime, int)):
        return value
    return str(value)


def export(entries: Iterable[Entry], path: str | os.PathLike) -> int:
    """Write ``entries`` to ``path``; the suffix (.csv / .xlsx) picks the format."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise RegisterError(f"无法导出到 {target}：只支持 .csv 和 .xlsx 文件")
    rows = [[_cell(get(e)) for _h, get in COLUMNS] for e in entries]
    try:
        if target.parent:
            target.parent.mkdir(parents=True, exist_ok=True)
        (_write_csv if suffix == ".csv" else _write_xlsx)(target, rows)
    except OSError as exc:
        raise RegisterError(f"无法写入导出文件 {target}：{exc.strerror or exc}") from None
    return len(rows)


def _csv_value(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return safe_text(str(value))


def _write_csv(target: Path, rows: list[list[Any]]) -> None:
    with open(target, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, quoting=csv.QUOTE_MINIMAL)
        writer.writerow([h for h, _get in COLUMNS])
        writer.writerows([[_csv_value(v) for v in row] for row in rows])


def _write_xlsx(target: Path, rows: list[list[Any]]) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    book = Workbook(write_only=True)  # streams rows: fast for 10,000 entries
    sheet = book.create_sheet("发文登记簿")
    for letter, width in zip("ABCD", (26, 12, 24, 36)):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)

    def cell(value: Any) -> WriteOnlyCell:
        out = WriteOnlyCell(sheet)
        if isinstance(value, str):
            out.value = ILLEGAL_CHARACTERS_RE.sub("", value)
            out.data_type = "s"  # never a formula, whatever the text
            if value.startswith(FORMULA_STARTS):
                out.quotePrefix = True
        else:
            out.value = value
            if isinstance(value, datetime):
                out.number_format = "yyyy-mm-dd hh:mm:ss"
            elif isinstance(value, date):
                out.number_format = "yyyy-mm-dd"
        return out

    header = [cell(h) for h, _get in COLUMNS]
    for c in header:
        c.font = bold
    sheet.append(header)
    for row in rows:
        sheet.append([cell(v) for v in row])
    book.save(target)
