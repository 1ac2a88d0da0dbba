"""Document numbers (文号) from a configurable pattern.

A pattern such as ``{org}{code}函〔{year}〕{seq}号`` (the brackets are U+3014 /
U+3015, as in GB/T 9704) turns into ``华贸催函〔2026〕12号``.  The placeholders
are ``{org}`` (organisation abbreviation), ``{code}`` (the letter kind's code),
``{year}`` and ``{seq}`` (the running number); ``{seq}`` and ``{year}`` are
required, anything else is a configuration error.

Sequences restart every year and are separate per prefix: the *sequence key*
is the number with the ``{seq}`` placeholder left in
(``华贸催函〔2026〕{seq}号``), and the register counts 1, 2, 3 … per key.
"""
from __future__ import annotations

import string
from functools import lru_cache
from typing import Any, Callable

from .errors import ConfigError

DEFAULT_PATTERN = "{org}{code}函〔{year}〕{seq}号"
PLACEHOLDERS = ("org", "code", "year", "seq")
REQUIRED = ("year", "seq")
SEQ_PLACEHOLDER = "{seq}"


@lru_cache(maxsize=64)
def _fields(pattern: str) -> tuple[str, ...]:
    """The placeholder names in ``pattern``, validated (cached: called per letter)."""
    if not isinstance(pattern, str) or not pattern.strip():
        raise ConfigError("文号格式（numbering.pattern）不能为空")
    try:
        parsed = list(string.Formatter().parse(pattern))
    except ValueError as exc:
        raise ConfigError(f"文号格式「{pattern}」有误：花括号不配对（{exc}）") from None
    names: list[str] = []
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in PLACEHOLDERS:
            allowed = "、".join("{" + p + "}" for p in PLACEHOLDERS)
            raise ConfigError(f"文号格式「{pattern}」含有未知占位符「{{{name}}}」；可用的占位符：{allowed}")
        if spec or conversion:
            raise ConfigError(
                f"文号格式「{pattern}」中的占位符「{{{name}}}」不能带格式说明；"
                "序号补零请用 numbering.width 设置"
            )
        names.append(name)
    for name in REQUIRED:
        if name not in names:
            raise ConfigError(f"文号格式「{pattern}」缺少占位符「{{{name}}}」")
    if names.count("seq") > 1:
        raise ConfigError(f"文号格式「{pattern}」中「{{seq}}」只能出现一次")
    return tuple(names)


def validate_pattern(pattern: str) -> None:
    """Raise :class:`ConfigError` (in Chinese) unless ``pattern`` is usable."""
    _fields(pattern)


def _check_year(year: Any) -> int:
    if isinstance(year, bool) or not isinstance(year, int) or not 1 <= year <= 9999:
        raise ConfigError(f"文号年份应为四位整数，当前为 {year!r}")
    return year


def format_number(pattern: str, *, org: str, code: str, year: int, seq: int, width: int = 0) -> str:
    """The document number for sequence number ``seq``.

    ``width`` pads the sequence number with zeros (``width=3``: ``007``);
    ``0`` means no padding.
    """
    _fields(pattern)
    _check_year(year)
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        raise ValueError(f"sequence number must be a positive integer, got {seq!r}")
    if isinstance(width, bool) or not isinstance(width, int) or width < 0:
        raise ConfigError(f"序号位数（numbering.width）应为非负整数，当前为 {width!r}")
    return pattern.format(org=org, code=code, year=year, seq=str(seq).zfill(width))


def sequence_key(pattern: str, *, org: str, code: str, year: int) -> str:
    """The number with ``{seq}`` left in: numbers sharing a key share a sequence."""
    _fields(pattern)
    _check_year(year)
    return pattern.format(org=org, code=code, year=year, seq=SEQ_PLACEHOLDER)


def numbering_for(config: Any, kind: str, year: int) -> tuple[str, Callable[[int], str]]:
    """``(sequence_key, make_number)`` for ``kind`` in ``year`` from the settings.

    ``config`` is a :class:`lettergen.config.Config`; the pair is what
    :meth:`lettergen.register.Register.reserve` takes.
    """
    settings = config.data["numbering"]
    pattern = settings.get("pattern") or DEFAULT_PATTERN
    org = str(settings.get("org") or "")
    code = config.number_code(kind)
    width = settings.get("width", 0)
    key = sequence_key(pattern, org=org, code=code, year=year)
    format_number(pattern, org=org, code=code, year=year, seq=1, width=width)  # validates width now

    def make_number(seq: int) -> str:
        return format_number(pattern, org=org, code=code, year=year, seq=seq, width=width)

    return key, make_number
