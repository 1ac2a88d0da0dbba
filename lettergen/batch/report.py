"""What a batch leaves beside its letters: the manifest and the error report.

Both are written atomically, CSV in UTF-8 with BOM so Excel on Chinese
Windows opens them, and protected against formula injection.
"""
from __future__ import annotations

import csv
import os
import json
from pathlib import Path
from typing import Iterable, Iterator

from ..files import open_atomic
from ..models import Problem
from ..register import safe_text
from .run import BatchResult

MANIFEST_FIELDS = ("rows", "customer", "status", "number", "file", "message", "notes", "source_key")
STATUS_NAMES = {"issued": "已签发", "kept": "已存在（保留）", "invalid": "数据有误", "failed": "失败", "planned": "将签发"}


def _write_csv(path: Path, header: list[str], rows: Iterable[list]) -> Path:
    """CSV for Excel (UTF-8 with BOM), written row by row, atomically."""
    with open_atomic(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([safe_text(str(v)) for v in row])
    return path


def _shown_path(path: str, out_dir: Path) -> str:
    """The file relative to the batch folder when it is inside it, else in full."""
    if not path:
        return ""
    inside = str(out_dir) + os.sep
    if path.startswith(inside) and ".." not in path:  # the usual case (out_dir / name), without pathlib per row
        return path[len(inside):]
    try:
        return str(Path(path).relative_to(out_dir))
    except ValueError:
        return str(path)


def manifest_rows(result: BatchResult, out_dir: Path) -> Iterator[dict[str, str]]:
    """One manifest row per input record, in input order (read back from the batch's results on disk)."""
    out_dir = out_dir.resolve()
    for r in result.iter_results():
        customer = r.letter.customer or (r.letter.record.data.get("recipient") or {}).get("name", "")
        yield {
            "rows": r.letter.rows, "customer": customer, "status": r.status, "number": r.number,
            "file": _shown_path(r.path, out_dir), "message": r.message, "notes": "；".join(r.notes),
            "source_key": r.letter.record.source_key,
        }


def write_manifest(result: BatchResult, out_dir: Path) -> tuple[Path, Path]:
    """``manifest.csv`` and ``manifest.json``: each input row to its number, file and status."""
    csv_path, json_path = out_dir / "manifest.csv", out_dir / "manifest.json"
    header = ["行号", "客户", "状态", "文号", "文件", "说明", "提示", "来源键"]
    _write_csv(csv_path, header, ([row[f] if f != "status" else STATUS_NAMES[row[f]] for f in MANIFEST_FIELDS]
                                  for row in manifest_rows(result, out_dir)))
    with open_atomic(json_path, "w", encoding="utf-8") as fh:
        head = json.dumps({"batch_id": result.batch_id, "kind": result.kind}, ensure_ascii=False)
        fh.write(head[:-1] + ', "letters": [')
        for i, row in enumerate(manifest_rows(result, out_dir)):
            fh.write(("," if i else "") + "\n  " + json.dumps(row, ensure_ascii=False))
        fh.write("\n]}\n")
    return csv_path, json_path


def write_error_report(problems: list[Problem], path: Path) -> Path:
    """One line per problem: row, column, value, message."""
    rows = ([p.row or "", p.column or p.label, "" if p.value is None else str(p.value), p.message] for p in problems)
    return _write_csv(path, ["行号", "列", "当前值", "问题"], rows)
