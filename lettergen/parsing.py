"""Values as clerks type them: dates, times, amounts, 统一社会信用代码.

Plain functions with no Cerberus in them, used by the validator's coercers
and rules (:mod:`lettergen.validation`) and by the fast path
(:mod:`lettergen.fastcheck`).  Each answers ``None`` (or ``False``) for a
value it cannot read; the caller turns that into a Chinese message.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_COMPACT_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_TIME_RE = re.compile(r"^(\d{1,2})\s*[:：时]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2})\s*秒?)?\s*分?$")
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def parse_date(value: Any) -> date | None:
    """A date from the forms users type (2026-11-22, 2026/11/22, 2026年11月22日, 20261122)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    text = unicodedata.normalize("NFKC", value).strip()
    text = re.sub(r"\s+0{1,2}:0{2}(:0{2})?$", "", text)  # Excel's midnight suffix
    m = _DATE_RE.match(text) or _COMPACT_DATE_RE.match(text)
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def parse_datetime(value: Any) -> datetime | None:
    """A date with a time of day (2026-11-22 14:30, 2026年11月22日 14时30分, ISO 8601)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None, microsecond=0)
    if not isinstance(value, str):
        return None
    text = unicodedata.normalize("NFKC", value).strip().replace("T", " ")
    day_part, _, time_part = text.partition(" ")
    if not time_part:
        m = re.match(r"^(.*日)\s*(\d.*)$", text)
        if not m:
            return None
        day_part, time_part = m.group(1), m.group(2)
    day = parse_date(day_part)
    t = _TIME_RE.match(time_part.strip())
    if day is None or not t:
        return None
    try:
        return datetime(day.year, day.month, day.day, int(t.group(1)), int(t.group(2)), int(t.group(3) or 0))
    except ValueError:
        return None


def parse_decimal(value: Any) -> Decimal | None:
    """An exact amount: ints, strings with ¥ signs, 元 and thousands separators; floats via their text."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None  # NaN and infinities are not amounts
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        number = Decimal(repr(value))
        return number if number.is_finite() else None
    if not isinstance(value, str):
        return None
    text = unicodedata.normalize("NFKC", value).strip()
    text = re.sub(r"^(人民币|RMB|CNY)", "", text, flags=re.I).strip()
    text = text.lstrip("¥").rstrip("元").strip()
    if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", text):
        text = text.replace(",", "")
    if not re.fullmatch(r"-?\d+(\.\d+)?", text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def uscc_is_valid(code: str) -> bool:
    """GB 32100-2015 check character of a 统一社会信用代码."""
    code = code.strip().upper()
    if len(code) != 18 or any(c not in _USCC_CHARS for c in code):
        return False
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(code[:17], _USCC_WEIGHTS))
    return _USCC_CHARS[(31 - total % 31) % 31] == code[17]
