"""Tone and content rules per letter kind (data in ``tone.yaml``).

Each rule may be limited to letters whose data has certain values (``when``)
and requires words (``require_any``) or the letter's own values, formatted as
the letter should show them (``require_values``), to appear in the text: e.g.
a complaint response whose responsibility is ours must apologise, a payment
reminder must give the total in figures and in capitals.  Rules for new kinds
are added in the data file (or the user's ``[checks] tone_file``), not code.
Rules listed under ``"*"`` apply to every kind.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable

from ..config import Config
from ..errors import ConfigError
from ..models import value_at
from ..money import capital, figures, to_fen
from .datafiles import data_files, read_yaml
from .findings import Finding
from .text import widen

_SPACES = re.compile(r"\s+")
FORMATS = ("text", "date", "money", "capital")


def load_rules(kind: str, config: Config | None = None) -> list[dict[str, Any]]:
    """The rules for ``kind``: bundled, then the user's, ``"*"`` rules first."""
    rules: list[dict[str, Any]] = []
    for path in data_files("tone.yaml", "tone_file", config):
        doc = read_yaml(path)
        for key in ("*", kind):
            for rule in doc.get(key) or []:
                if not isinstance(rule, dict) or not rule.get("code") or not rule.get("message"):
                    raise ConfigError(f"{path}：「{key}」下的规则需要 code 和 message")
                rules.append(rule)
    return rules


def shown_forms(value: Any, fmt: str) -> list[str]:
    """How a value may appear in the letter text (spaces removed)."""
    if fmt == "date":
        day = value.date() if isinstance(value, datetime) else value
        if isinstance(day, date):
            return [f"{day.year}年{day.month}月{day.day}日"]
    if fmt in ("money", "capital"):
        try:
            amount = to_fen(value if isinstance(value, Decimal) else str(value))
        except (InvalidOperation, ValueError):
            return [str(value)]
        if fmt == "capital":
            return [capital(amount)]
        return [figures(amount), f"{amount:,.2f}", f"{amount:.2f}"]
    if fmt not in FORMATS:
        raise ConfigError(f"语气规则的格式「{fmt}」未知；可用：{'、'.join(FORMATS)}")
    return [_SPACES.sub("", widen(str(value)))]


def applies(rule: dict[str, Any], context: dict[str, Any]) -> bool:
    for path, values in (rule.get("when") or {}).items():
        allowed = values if isinstance(values, list) else [values]
        if value_at(context, path) not in allowed:
            return False
    return True


def check_tone(kind: str, context: dict[str, Any], paragraphs: Iterable[str], config: Config | None = None) -> list[Finding]:
    """Findings of the kind's tone rules on one letter (its ``context`` and text)."""
    rules = load_rules(kind, config)
    if not rules:
        return []
    text = _SPACES.sub("", widen("".join(paragraphs)))
    out = []
    for rule in rules:
        if not applies(rule, context):
            continue
        missing = []
        words = rule.get("require_any") or []
        if words and not any(w in text for w in words):
            missing.append("、".join(f"“{w}”" for w in words) + "之一")
        for req in rule.get("require_values") or []:
            value = value_at(context, req["field"])
            if value in (None, ""):
                missing.append(f"字段 {req['field']}（数据中没有）")
            elif not any(form in text for form in shown_forms(value, req.get("format", "text"))):
                missing.append(f"“{shown_forms(value, req.get('format', 'text'))[0]}”")
        if missing:
            out.append(Finding(rule["code"], f"{rule['message']}；信中未见：{'，'.join(missing)}",
                               None, "全文", rule.get("severity", "warning")))
    return out
