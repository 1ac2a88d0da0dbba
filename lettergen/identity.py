"""The register is never fooled: letters name their register, registers check the letters.

* :func:`letter_identity` — what an issued letter carries in its document
  properties (see :mod:`lettergen.docprops`);
* :func:`check_register` — before any number is taken: a register that is new
  or empty refuses while the output folders hold letters numbered by a
  register, and any register refuses when the settings record another one
  (``[register] id``);
* :func:`unknown_letters` — letters on disk that the register does not know
  (for ``register verify``);
* :func:`letters_for_rebuild` — what ``register rebuild DIR`` reads.
"""
from __future__ import annotations

import heapq
from pathlib import Path
from typing import Iterable

from .config import Config
from .docprops import docx_entries, letter_files, read_identity
from .errors import RegisterError
from .files import sha256_file
from .register import Entry, Register
from .register.engine import safe_url


def restore_advice(folder: str | Path) -> str:
    return ("请先恢复登记簿：把备份（lettergen register backup 所做）复制回登记簿的位置，"
            f"或在空的登记簿上运行 lettergen register rebuild {folder} 从信函重建；"
            "若确要开始一个全新的登记簿，请先把这些信函移出输出文件夹，并删除设置中的 [register] id")


def letter_identity(entry: Entry, register_id: str) -> dict[str, str]:
    """The document properties of ``entry``'s letter (all text)."""
    return {
        "register_id": register_id, "number": entry.number, "kind": entry.kind,
        "sequence_key": entry.sequence_key, "seq": str(entry.seq), "year": str(entry.year),
        "letter_date": entry.letter_date.isoformat(), "customer": entry.customer, "subject": entry.subject,
        "template_name": entry.template_name, "template_hash": entry.template_hash,
        "source_key": entry.source_key or "",
    }


def check_register(register: Register, config: Config, folders: Iterable[str | Path]) -> None:
    """Refuse (:class:`RegisterError`) to number letters from a register that is not the office's register."""
    folders = list(dict.fromkeys(Path(f).resolve() for f in folders if f))
    here = register.register_id
    expected = str(config.data.get("register", {}).get("id") or "").strip()
    where = safe_url(register.url)
    if expected and expected != here:
        raise RegisterError(
            f"设置中记录的登记簿编号为 {expected}（[register] id），但登记簿 {where} 的编号是 {here}："
            "这不是签发过往信函的那个登记簿，继续编号会重复使用已签发的文号（未占用文号）。\n"
            + restore_advice(Path(config.output_dir).resolve()))
    top = Path(config.output_dir).resolve()
    # a folder inside another one that is searched at any depth is searched once
    folders = [f for f in folders if not any(g != f and g in f.parents and _inside(g, top) for g in folders)]
    if not register.is_empty():
        _check_newest_letters(register, folders, top)
        return
    for folder in folders:
        for path, ident in letter_files(folder, _inside(folder, top)):
            raise RegisterError(
                f"登记簿 {where} 是空的（新建或被清空），但 {folder} 中已有登记簿 {ident['register_id']} "
                f"签发的信函（如 {path.name}，文号 {ident['number']}）：继续编号会重复使用已签发的文号（未占用文号）。\n"
                + restore_advice(top if _inside(folder, top) else folder))


def _check_newest_letters(register: Register, folders: list[Path], top: Path, newest: int = 20) -> None:
    """Refuse when one of the newest letters on disk has a number beyond its sequence's last
    number in this register: the register is older than the letters (an old backup put back).

    Only when the folders hold more letters than the register has entries (counted without
    reading any file) are the newest letters opened.
    """
    here = register.register_id
    files = sum(1 for folder in folders for _ in docx_entries(folder, _inside(folder, top), stat=False))
    if files <= register.high_water():
        return
    found = heapq.nlargest(newest, (item for folder in folders for item in docx_entries(folder, _inside(folder, top))))
    for _mtime, name in found:
        path = Path(name)
        ident = read_identity(path)
        if not ident or ident["register_id"] != here or not ident.get("seq", "").isdigit():
            continue
        try:
            last = register.last_seq(ident["sequence_key"], int(ident["year"]))
        except (KeyError, ValueError):
            continue
        if int(ident["seq"]) > last:
            folder = next(f for f in folders if f == path.parent or f in path.parents)
            raise RegisterError(
                f"登记簿 {safe_url(register.url)} 比已签发的信函旧：{path.name} 的文号 {ident['number']} 超出了该序列"
                f"在登记簿中的最后一号（{last}），可能放回了较早的备份；继续编号会重复使用已签发的文号（未占用文号）。\n"
                "请放回最新的备份；或把这个登记簿移开，在新的空登记簿上运行 "
                f"lettergen register rebuild {top if _inside(folder, top) else folder} 从信函重建")


def _inside(folder: Path, top: Path) -> bool:
    """Whether ``folder`` is lettergen's output folder or below it (searched at any depth; other
    folders, such as that of ``render -o``, only at their top level)."""
    return folder == top or top in folder.parents


def unknown_letters(register: Register, folders: Iterable[str | Path], shown: int = 20) -> list[str]:
    """Problems: numbered letters under ``folders`` that this register did not issue (``shown`` at most, then a count)."""
    known = {e.number: e for e in register.list()}
    here = register.register_id
    empty = not known and register.is_empty()
    problems = []
    for folder in dict.fromkeys(Path(f).resolve() for f in folders):
        for path, ident in letter_files(folder):
            entry = known.get(ident["number"])
            if empty:
                problems.append(f"{path} 是登记簿 {ident['register_id']} 签发的信函（文号 {ident['number']}），"
                                f"但本登记簿是空的，不在登记簿中（可用 lettergen register rebuild {folder} 从信函重建）")
            elif ident["register_id"] != here:
                problems.append(f"{path} 是另一登记簿（{ident['register_id']}）签发的信函（文号 {ident['number']}），"
                                "本登记簿不认识它")
            elif entry is None:
                problems.append(f"{path} 的文号 {ident['number']} 不在登记簿中（登记簿被清空或换成了旧备份？"
                                f"可用 lettergen register rebuild {folder} 在空登记簿上重建）")
    if len(problems) > shown:
        problems[shown:] = [f"……另有 {len(problems) - shown} 封登记簿不认识的信函"]
    return problems


def letters_for_rebuild(folder: str | Path) -> list[tuple[Path, dict[str, str], str]]:
    """``(path, identity, sha256)`` of every numbered letter under ``folder``."""
    if not Path(folder).is_dir():
        raise RegisterError(f"找不到文件夹 {folder}")
    return [(path, ident, sha256_file(path)) for path, ident in letter_files(folder)]
