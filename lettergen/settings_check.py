"""Checking a settings file (``lettergen.toml``) as a whole, once, when it is loaded.

The schema is data (``settings_schema.yaml``, Cerberus); this module adds the
few rules Cerberus lacks (dates, house-style profiles, format patterns) and
turns Cerberus' errors into one :class:`ConfigError` that names the file, the
section and the key of every problem, with a "did you mean" suggestion for a
misspelt section or key.
"""
from __future__ import annotations

import difflib
import string
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from cerberus import Validator, errors

from .errors import ConfigError

SCHEMA_FILE = Path(__file__).with_name("settings_schema.yaml")

_TYPE_NAMES = {"string": "文本（加引号）", "integer": "整数", "float": "数字", "list": "列表 […]",
               "dict": "一节设置 [..]", "boolean": "true 或 false"}


@lru_cache(maxsize=1)
def settings_schema() -> dict[str, Any]:
    with open(SCHEMA_FILE, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


class _SettingsValidator(Validator):
    def _validate_date_text(self, wanted, field, value):
        """{'type': 'boolean'}"""
        if not wanted or isinstance(value, date):
            return
        try:
            date.fromisoformat(str(value))
            ok = isinstance(value, str) and len(value) == 10
        except ValueError:
            ok = False
        if not ok:
            self._error(field, f"应为日期 YYYY-MM-DD（如 \"2027-01-01\"），当前为 {value!r}")

    def _validate_decimal_text(self, wanted, field, value):
        """{'type': 'boolean'}"""
        try:
            Decimal(str(value))
        except InvalidOperation:
            self._error(field, f"应为数字，当前为 {value!r}")

    def _validate_profile(self, wanted, field, value):
        """{'type': 'boolean'}"""
        from .housestyle.profiles import PROFILES

        if wanted and isinstance(value, str) and value not in PROFILES:
            self._error(field, f"未知的版式方案「{value}」{_suggest(value, PROFILES)}；可用：{'、'.join(PROFILES)}")

    def _validate_format_pattern(self, wanted, field, value):
        """{'type': 'boolean'}"""
        if wanted and isinstance(value, str):
            try:
                list(string.Formatter().parse(value))
            except ValueError:
                self._error(field, f"格式「{value}」的花括号不配对（字面的花括号请写成 {{{{ 或 }}}}）")


def _suggest(word: str, choices) -> str:
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"，是否想写「{close[0]}」？" if close else ""


def _where(path: tuple, value: Any = None) -> str:
    """``[section] key`` for a document path such as ('register', 'url') or ('calendar', 'holidays', 0)."""
    item = f"（第 {path[-1] + 1} 项）" if path and isinstance(path[-1], int) else ""
    names = [str(p) for p in path if not isinstance(p, int)]
    if not names:
        return "（整个文件）"
    if len(names) == 1:
        section = isinstance(value, dict) or isinstance(settings_schema().get(names[0], {}).get("schema"), dict)
        return f"[{names[0]}]" if section else names[0]
    return f"[{'.'.join(names[:-1])}] {names[-1]}{item}"


def _schema_at(path: tuple) -> dict[str, Any]:
    """The mapping of allowed keys at ``path`` (for suggestions)."""
    level: Any = settings_schema()
    for part in path:
        rules = level.get(part, {}) if isinstance(level, dict) else {}
        level = rules.get("schema", {}) if isinstance(rules, dict) else {}
    return level if isinstance(level, dict) else {}


def _flatten(errs) -> list:
    out = []
    for err in errs:
        if err.is_group_error and err.child_errors:
            out += _flatten(err.child_errors)
        else:
            out.append(err)
    return out


def _message(err) -> str:
    path = tuple(err.document_path)
    where = _where(path, err.value)
    value = err.value
    if err.code == errors.UNKNOWN_FIELD.code:
        kind = "设置节" if len(path) == 1 and isinstance(value, dict) else "设置项"
        return f"{where}：未知的{kind}{_suggest(path[-1], _schema_at(path[:-1]))}"
    if err.code == errors.REQUIRED_FIELD.code:
        return f"{where}：缺少必填的设置" + ("（发函单位名称，所有信函都要用）" if path[0] == "organisation" else "")
    if err.code == errors.BAD_TYPE.code:
        wanted = err.constraint if isinstance(err.constraint, list) else [err.constraint]
        names = "或".join(_TYPE_NAMES.get(w, w) for w in wanted)
        return f"{where}：应为{names}，当前为 {value!r}"
    if err.code == errors.EMPTY_NOT_ALLOWED.code:
        return f"{where}：不能为空"
    if err.code == errors.MIN_VALUE.code:
        return f"{where}：不能小于 {err.constraint}，当前为 {value!r}"
    if err.code == errors.MAX_VALUE.code:
        return f"{where}：不能大于 {err.constraint}，当前为 {value!r}"
    if err.code == errors.CUSTOM.code:
        return f"{where}：{err.info[0]}"
    return f"{where}：{err.rule} {err.constraint!r}，当前为 {value!r}"


def check_settings(raw: dict[str, Any], file: str | Path) -> None:
    """Raise :class:`ConfigError` (exit 3) listing every problem of the settings ``raw`` read from ``file``."""
    validator = _SettingsValidator(settings_schema())
    if validator.validate(raw):
        return
    lines = sorted({_message(err) for err in _flatten(validator._errors)})
    problem = ConfigError(f"配置文件 {file} 有 {len(lines)} 处问题：\n" + "\n".join(f"  - {line}" for line in lines))
    problem.problems = lines
    raise problem
