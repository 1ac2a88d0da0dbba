"""Consistency check of a register (:meth:`Register.verify`).

Checked:

* each (sequence key, year) sequence is exactly 1..n, n being the counter's
  last value: no gaps, no duplicates, no numbers beyond the counter;
* every issued letter has its file, with the recorded SHA-256 (and the PDF,
  if one is recorded);
* reservations of running processes are "in progress", not problems; those
  of exited processes are problems until :meth:`Register.recover_stale`;
* corrections reference numbers that exist, in both directions.
"""
from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from .entry import ISSUED, RESERVED, STATUS_LABELS, STATUSES, SUPERSEDED, VOID, VerifyReport


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _same_hash(recorded: str, actual: str) -> bool:
    recorded = recorded.strip().lower()
    return recorded.removeprefix("sha256:") == actual


def _advice(label: str, number: str, what: str) -> str:
    """A command that restores a letter's .docx (its PDF is made again with ``lettergen pdf``)."""
    return f"（可用 lettergen register reissue {number} {what}）" if label == "文件" else ""


def _check_file(label: str, number: str, path: str | None, recorded: str | None, problems: list[str]) -> bool:
    """Append a problem unless ``path`` exists with hash ``recorded``; return whether a file was checked."""
    if not path or not recorded:
        problems.append(f"文号 {number} 已签发，但登记簿中没有{label}的路径或校验值")
        return False
    if not Path(path).is_file():
        problems.append(f"文号 {number} 的{label}不存在：{path}" + _advice(label, number, "重新生成"))
        return False
    if not _same_hash(recorded, sha256_file(path)):
        problems.append(f"文号 {number} 的{label}已被改动（SHA-256 与登记不符）：{path}"
                        + _advice(label, number, "移走改动过的文件后重新生成原件"))
    return True


def _check_sequences(seq_rows: Sequence[Mapping[str, Any]], rows: Sequence[Mapping[str, Any]],
                     problems: list[str]) -> int:
    last = {(r["sequence_key"], r["year"]): r["last_seq"] for r in seq_rows}
    seen: dict[tuple[str, int], list[int]] = defaultdict(list)
    for row in rows:
        seen[(row["sequence_key"], row["year"])].append(row["seq"])
    for key in sorted(set(last) | set(seen)):
        name = key[0].replace("{seq}", "…")
        seqs = sorted(seen.get(key, []))
        if key not in last:
            problems.append(f"序列 {name}（{key[1]}年）没有计数记录")
        n = last.get(key, max(seqs, default=0))
        dupes = sorted(s for s, times in Counter(seqs).items() if times > 1)
        missing = sorted(set(range(1, n + 1)) - set(seqs))
        beyond = sorted(s for s in set(seqs) if s < 1 or s > n)
        if dupes:
            problems.append(f"序列 {name}（{key[1]}年）序号重复：{_few(dupes)}")
        if missing:
            problems.append(f"序列 {name}（{key[1]}年）缺号：{_few(missing)}")
        if beyond:
            problems.append(f"序列 {name}（{key[1]}年）有超出计数 {n} 的序号：{_few(beyond)}")
    return len(set(last) | set(seen))


def _few(values: list[int]) -> str:
    shown = "、".join(str(v) for v in values[:20])
    return shown + (f" 等 {len(values)} 个" if len(values) > 20 else "")


def verify(seq_rows: Sequence[Mapping[str, Any]], rows: Sequence[Mapping[str, Any]], *,
           check_files: bool, is_alive: Callable[[Mapping[str, Any]], bool | None]) -> VerifyReport:
    """Check the rows of both tables (read in one snapshot) and the files on disk."""
    report = VerifyReport()
    problems = report.problems
    sequences = _check_sequences(seq_rows, rows, problems)
    numbers = {row["number"] for row in rows}
    counts = dict.fromkeys(STATUSES, 0)
    files = 0
    for row in rows:
        number, status = row["number"], row["status"]
        counts[status] = counts.get(status, 0) + 1
        if status not in STATUSES:
            problems.append(f"文号 {number} 的状态「{status}」无效")
        if status == RESERVED:
            if is_alive(row) is False:
                problems.append(f"文号 {number} 仍为“预留”，但签发它的进程已退出（请运行 lettergen register recover）")
            else:
                report.in_progress.append(number)
        if status in (VOID, SUPERSEDED) and not (row["status_reason"] or "").strip():
            problems.append(f"文号 {number} {STATUS_LABELS[status]}，但没有记录原因")
        if status == SUPERSEDED and row["superseded_by"] not in numbers:
            problems.append(f"文号 {number} 标为已被订正，但订正文号「{row['superseded_by'] or ''}」不在登记簿中")
        if row["supersedes"] and row["supersedes"] not in numbers:
            problems.append(f"文号 {number} 订正的文号「{row['supersedes']}」不在登记簿中")
        if check_files and status in (ISSUED, SUPERSEDED):
            files += _check_file("文件", number, row["output_path"], row["file_hash"], problems)
            if row["pdf_path"] or row["pdf_hash"]:
                files += _check_file("PDF 文件", number, row["pdf_path"], row["pdf_hash"], problems)
    report.checked = {"entries": len(rows), "sequences": sequences, "files": files,
                      "in_progress": len(report.in_progress), **counts}
    return report
