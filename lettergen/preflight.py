"""Checks made before any number is reserved: what can be known to fail must fail here.

A number, once reserved, is either issued or voided with a reason; so the
settings' types, the filename pattern, the output folder (exists or can be made, writable) and
the free space a batch needs (an estimate from a trial letter) are checked
first, and a problem costs no number.
"""
from __future__ import annotations

import os
import shutil
import string
import tempfile
from functools import lru_cache
from pathlib import Path

from .config import Config
from .errors import ConfigError, OutputFolderError
from .settings_check import check_settings

FILENAME_FIELDS = ("number", "customer", "kind", "kind_name", "date", "seq")
_TRIAL = dict(number="禾丰催函〔2026〕1号", customer="客户", kind="payment_reminder", kind_name="催款通知",
              date="2026-01-01", seq=1)
MARGIN_BYTES = 1 << 20  # manifest, error report, file-system slack


@lru_cache(maxsize=16)
def check_filename_pattern(pattern: str) -> None:
    """``[output] filename`` must give a name for every letter: placeholders known, no format
    specs or conversions that fail (``{number:d}``, ``{number!x}``), no ``{}``, braces balanced."""
    where = f"[output] filename 文件名格式「{pattern}」"
    available = "、".join("{" + f + "}" for f in FILENAME_FIELDS)
    try:
        parsed = list(string.Formatter().parse(pattern))
    except ValueError as exc:
        raise ConfigError(f"{where}的花括号不配对（{exc}）；字面的花括号请写成 {{{{ 或 }}}}") from None
    names = [n for _, n, _, _ in parsed if n is not None]
    if any(n == "" or n.isdigit() for n in names):
        raise ConfigError(f"{where}含有空的或按位置的占位符 {{}}；请写出名字，可用：{available}")
    unknown = sorted({n for n in names if n not in FILENAME_FIELDS})
    if unknown:
        raise ConfigError(f"{where}含有未知占位符：{'、'.join(unknown)}；可用：{available}")
    try:
        pattern.format(**_TRIAL)
    except (ValueError, TypeError, IndexError, KeyError) as exc:
        raise ConfigError(f"{where}无法生成文件名（{exc}）；占位符请不要带格式说明或转换（如 :d、!x）") from None


def check_config(config: Config) -> None:
    """The settings' types, for a :class:`Config` built by a program rather than loaded from a
    file (a loaded file was checked then); once per Config object."""
    if getattr(config, "_checked", False):
        return
    data = {k: v for k, v in config.data.items() if not (k == "organisation" and not v)}  # see letters.with_defaults
    check_settings(data, config.source or "（程序传入的设置）")
    config._checked = True


def check_output_folder(folder: str | Path, letters: int = 1, letter_bytes: int = 0, *, probe: bool = True) -> None:
    """The folder exists (or is made), takes a file, and has room for ``letters`` of ``letter_bytes``.

    ``probe=False`` skips making the folder and writing a synced test file in it
    (for a caller that has just written files there); the room is checked all the same.
    """
    folder = Path(folder)
    if probe:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputFolderError(f"无法创建输出文件夹 {folder}：{exc.strerror or exc}（未占用文号）") from None
        try:
            with tempfile.TemporaryFile(dir=folder, prefix=".~check") as fh:
                fh.write(b"lettergen")
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise OutputFolderError(f"输出文件夹 {folder} 不能写入文件：{exc.strerror or exc}；"
                                    "请换一个文件夹或检查权限（未占用文号）") from None
    needed = int(letters * letter_bytes * 1.1) + MARGIN_BYTES
    free = shutil.disk_usage(folder).free
    if letters and letter_bytes and needed > free:
        raise OutputFolderError(
            f"输出文件夹 {folder} 所在磁盘只剩 {_size(free)}，这 {letters} 封信函约需 {_size(needed)}"
            f"（每封约 {_size(letter_bytes)}，另加清单与余量）；请腾出空间或换一个文件夹（未占用文号）")


def _size(n: int) -> str:
    return f"{n / (1 << 20):.1f} MB" if n >= 1 << 20 else f"{max(1, n // 1024)} KB"
