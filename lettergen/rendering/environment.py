"""The Jinja environment templates render in: sandboxed, strict, autoescaping, bounded.

Jinja's sandbox keeps templates away from Python internals; :class:`BoundedSandbox`
also keeps them from exhausting memory or time:

* ``*`` on text or lists may not build more than :data:`Limits.repeat` items
  (``{{ 'a'*10**9 }}``), ``**`` may not have an exponent above
  :data:`Limits.exponent`; both are intercepted, so they are never folded at
  compile time either;
* ``range`` has at most :data:`Limits.range` items, and is a TemplateError
  rather than Jinja's OverflowError;
* every call, attribute access, intercepted operator and ``range`` step checks
  the letter's deadline (:data:`Limits.seconds`), so nested loops stop;
* the rendered size of each part is checked against :data:`Limits.output`.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Callable, Iterator

from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from ..errors import TemplateError
from ..money import capital, figures


@dataclass(frozen=True)
class Limits:
    """What one letter may cost."""

    repeat: int = 1_000_000        # items a `*` on text or a list may produce
    exponent: int = 64             # largest exponent of `**`
    range: int = 100_000           # items of one range()
    output: int = 50_000_000       # characters of one rendered part
    seconds: float = 10.0          # wall time to render one letter


LIMITS = Limits()
#: Filters added with :func:`lettergen.register_filter`: every environment made afterwards has them.
REGISTERED_FILTERS: dict[str, Callable[..., Any]] = {}
_state = threading.local()


class RenderBudget:
    """The deadline of the letter being rendered on this thread (a context manager)."""

    def __init__(self, limits: Limits):
        self.limits = limits

    def __enter__(self) -> "RenderBudget":
        self.outer = getattr(_state, "deadline", None)
        _state.deadline = time.monotonic() + self.limits.seconds
        _state.limits = self.limits
        return self

    def __exit__(self, *exc: Any) -> None:
        _state.deadline = self.outer


def check_deadline() -> None:
    deadline = getattr(_state, "deadline", None)
    if deadline is not None and time.monotonic() > deadline:
        raise TemplateError(f"渲染超时：一封信函的渲染超过 {_limits().seconds:g} 秒的上限（循环过多或模板过于复杂）")


def _limits() -> Limits:
    return getattr(_state, "limits", LIMITS)


def _bounded_range(*args: int) -> Iterator[int]:
    try:
        items = range(*args)
    except (TypeError, ValueError) as exc:
        raise TemplateError(f"range 参数无效：{exc}") from None
    if len(items) > _limits().range:
        raise TemplateError(f"range 最多 {_limits().range} 项，模板要求 {len(items)} 项")
    return _checked(items)


def _checked(items: range) -> Iterator[int]:
    for i, value in enumerate(items):
        if not i % 1000:
            check_deadline()
        yield value


def _size(value: Any) -> int | None:
    if isinstance(value, (str, bytes, list, tuple)):
        return len(value)
    return None


class BoundedSandbox(SandboxedEnvironment):
    """A sandbox whose templates cannot exhaust memory or time (see the module docstring)."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        check_deadline()
        limits = _limits()
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                size = _size(seq)
                if size is not None and isinstance(count, int) and size * count > limits.repeat:
                    raise TemplateError(f"重复运算 * 的结果过大（{size}×{count}，上限 {limits.repeat}）")
        elif operator == "**" and isinstance(right, (int, float)) and abs(right) > limits.exponent:
            raise TemplateError(f"乘方运算 ** 的指数过大（{right}，上限 {limits.exponent}）")
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        check_deadline()
        return super().call(__context, __obj, *args, **kwargs)

    def getattr(self, obj: Any, attribute: str) -> Any:
        check_deadline()
        return super().getattr(obj, attribute)


def check_output_size(text: str, where: str) -> None:
    limit = _limits().output
    if len(text) > limit:
        raise TemplateError(f"{where} 渲染结果过大（{len(text)} 字符，上限 {limit}）")


def cn_date(value: Any) -> str:
    """2026年11月22日 (no zero padding); datetimes keep their time as 9时30分."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        return f"{value.year}年{value.month}月{value.day}日{value.hour}时{value.minute:02d}分"
    if isinstance(value, date):
        return f"{value.year}年{value.month}月{value.day}日"
    return str(value)


def paragraphs(value: Any) -> list[str]:
    """The non-empty lines of a multi-line text, for one paragraph each."""
    if value is None:
        return []
    return [line.strip() for line in str(value).splitlines() if line.strip()]


def _money(value: Any) -> str:
    return "" if value is None else figures(value)


def _capital(value: Any) -> str:
    return "" if value is None else capital(value)


def _plain_number(value: Any) -> str:
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return str(value)


def _finalize(value: Any) -> Any:
    return "" if value is None else value


def make_environment(filters: dict[str, Callable[..., Any]] | None = None) -> BoundedSandbox:
    """The environment every template renders in; ``filters`` adds custom Jinja filters."""
    env = BoundedSandbox(
        undefined=StrictUndefined,
        autoescape=True,
        keep_trailing_newline=True,
        finalize=_finalize,
    )
    env.globals["range"] = _bounded_range
    env.filters.update(
        cn_date=cn_date,
        money=_money,
        capital=_capital,
        paragraphs=paragraphs,
        amount=_plain_number,
    )
    env.filters.update(REGISTERED_FILTERS)
    env.filters.update(filters or {})
    return env
