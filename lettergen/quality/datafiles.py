"""Reading the checks' data files: the bundled one plus the user's additions.

The bundled files live beside this module (``taboo.yaml``, ``tone.yaml``);
``[checks] taboo_file`` / ``tone_file`` in lettergen.toml name a user file in
the same format whose entries are added.  Parsed files are cached by path and
modification time, so a batch reads them once.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ..config import Config
from ..errors import ConfigError

PACKAGE_DIR = Path(__file__).resolve().parent

_cache: dict[tuple[str, int], Any] = {}


def read_yaml(path: Path) -> dict[str, Any]:
    """A YAML mapping, cached by modification time; :class:`ConfigError` if unreadable."""
    try:
        key = (str(path), path.stat().st_mtime_ns)
    except OSError:
        raise ConfigError(f"找不到检查规则文件 {path}") from None
    if key not in _cache:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise ConfigError(f"无法读取检查规则文件 {path}：{exc}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"检查规则文件 {path} 应为映射（YAML 字典）")
        _cache[key] = data
    return _cache[key]


def data_files(name: str, config_key: str, config: Config | None) -> list[Path]:
    """The bundled ``name`` and, if configured, the user's file (in that order)."""
    files = [PACKAGE_DIR / name]
    extra = ((config.data.get("checks") or {}) if config is not None else {}).get(config_key)
    if extra:
        files.append(config.path(extra))
    return files
