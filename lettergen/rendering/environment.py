"""The Jinja environment templates render in: sandboxed, strict, autoescaping, bounded.

Jinja's sandbox keeps templates away from Python internals; :class:`BoundedSandbox`
also keeps them from exhausting memory or time:

* ``*`` on text or lists may not build more than :data:`Limits.repeat` items
  (``{{ 'a'*10**9 }}``), ``**`` may not have an exponent above
  :data:`Limits.exponent`; both are intercepted, so they are never folded at
  compile time either;
* ``range`` has at most :data:`Limits.range` items, and is a TemplateError
  rather than Jinja's OverflowError;
* text methods and filters whose result size an argument chooses
  (``ljust``, ``center``, ``replace``, ``format``, ``%``, ``indent`` …) are
  checked against :data:`Limits.repeat` before they run;
* every call, attribute access, intercepted operator and ``range`` step checks
  the letter's deadline (:data:`Limits.seconds`), so nested loops stop;
* the rendered size of each part is checked against :data:`Limits.output`.
"""
from __future__ import annotations

import re
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
        self.outer = getattr(_state, "deadline", None), getattr(_state, "limits", LIMITS)
        _state.deadline = time.monotonic() + self.limits.seconds
        _state.limits = self.limits
        return self

    def __exit__(self, *exc: Any) -> None:
        _state.deadline, _state.limits = self.outer


def check_deadline() -> None:
    deadline = getattr(_state, "deadline", None)
    if deadline is not None and time.monotonic() > deadline:
        raise TemplateError(f"渲染超时：一封信函的渲染超过 {_limits().seconds:g} 秒的上限（循环过多或模板过于复杂）")


def _limits() -> Limits:
    return getattr(_state, "limits", LIMITS)


class BoundedRange:
    """What ``range()`` gives a template: a range (``|length``, indexing) whose iteration checks the deadline."""

    __slots__ = ("items",)

    def __init__(self, items: range):
        self.items = items

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[int]:
        for i, value in enumerate(self.items):
            if not i % 1000:
                check_deadline()
            yield value

    def __reversed__(self) -> Iterator[int]:
        return iter(BoundedRange(self.items[::-1]))

    def __getitem__(self, index: Any) -> Any:
        got = self.items[index]
        return BoundedRange(got) if isinstance(got, range) else got

    def __contains__(self, value: Any) -> bool:
        return value in self.items

    def __repr__(self) -> str:
        return repr(self.items)


def _bounded_range(*args: int) -> BoundedRange:
    try:
        items = range(*args)
    except (TypeError, ValueError) as exc:
        raise TemplateError(f"range 参数无效：{exc}") from None
    if len(items) > _limits().range:
        raise TemplateError(f"range 最多 {_limits().range} 项，模板要求 {len(items)} 项")
    return BoundedRange(items)


def _size(value: Any) -> int | None:
    if isinstance(value, (str, bytes, list, tuple)):
        return len(value)
    return None


_PERCENT_WIDTH = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d*)(?:\.(\*|\d+))?")
_BRACE_SPEC = re.compile(r"\{[^{}:]*:([^{}]*)\}")
_NESTED_SPEC = re.compile(r"\{[^{}:]*:[^{}]*\{")


def _refuse_large(size: int, what: str) -> None:
    limit = _limits().repeat
    if size > limit:
        raise TemplateError(f"{what}的结果过大（约 {size} 个字符，上限 {limit}）")


def _check_format(spec: Any, what: str, args: tuple = (), kwargs: dict | None = None) -> None:
    """A format string may not ask for widths or precisions above the limit (``'{:>100000000}'``, ``'%0100000000d'``)."""
    if not isinstance(spec, str):
        return
    percent = [n for m in _PERCENT_WIDTH.finditer(spec) for n in m.groups() if n]
    numbers = [n for n in percent if n != "*"]
    numbers += [n for m in _BRACE_SPEC.finditer(spec) for n in re.findall(r"\d+", m.group(1))]
    if _NESTED_SPEC.search(spec) or "*" in percent:
        numbers += [str(a) for a in (*args, *(kwargs or {}).values()) if isinstance(a, int)]  # widths given as arguments
    _refuse_large(max((int(n) if len(n) < 30 else 10 ** 30 for n in numbers), default=0), what)


def _check_text_call(obj: Any, args: tuple, kwargs: dict) -> None:
    """Text methods whose result size an argument chooses: ``ljust``, ``center``, ``replace`` …"""
    obj = getattr(obj, "__wrapped__", obj)  # the sandbox wraps str.format
    text, name = getattr(obj, "__self__", None), getattr(obj, "__name__", "")
    if not isinstance(text, str):
        return
    first = args[0] if args else None
    if name in ("ljust", "rjust", "center", "zfill") and isinstance(first, int):
        _refuse_large(first, f"文本方法 {name}")
    elif name == "expandtabs":
        _refuse_large(len(text) * (first if isinstance(first, int) else 8), "文本方法 expandtabs")
    elif name == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
        count = text.count(args[0]) if args[0] else len(text) + 1
        _refuse_large(len(text) + count * len(args[1]), "文本方法 replace")
    elif name in ("format", "format_map"):
        _check_format(text, "格式化", args, kwargs)


def _bounded_filters() -> dict[str, Callable[..., Any]]:
    """Jinja's filters whose result size an argument chooses, checked first (also when folded at compile time)."""
    from jinja2 import filters as jf

    def center(value: Any, width: int = 80) -> str:
        _refuse_large(width if isinstance(width, int) else 0, "过滤器 center")
        return jf.do_center(value, width)

    def indent(s: str, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
        lines = str(s).count("\n") + 1
        _refuse_large(len(str(s)) + lines * (width if isinstance(width, int) else len(str(width))), "过滤器 indent")
        return jf.do_indent(s, width, first, blank)

    def format_(value: str, *args: Any, **kwargs: Any) -> str:
        _check_format(value, "过滤器 format", args, kwargs)
        return jf.do_format(value, *args, **kwargs)

    def replace(eval_ctx: Any, s: str, old: str, new: str, count: int | None = None) -> str:
        text = str(s)
        found = text.count(str(old)) if old else len(text) + 1
        _refuse_large(len(text) + min(found, count if isinstance(count, int) and count >= 0 else found) * len(str(new)),
                      "过滤器 replace")
        return jf.do_replace(eval_ctx, s, old, new, count)

    replace.jinja_pass_arg = jf.do_replace.jinja_pass_arg  # type: ignore[attr-defined]
    return {"center": center, "indent": indent, "format": format_, "replace": replace}


class BoundedSandbox(SandboxedEnvironment):
    """A sandbox whose templates cannot exhaust memory or time (see the module docstring)."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        check_deadline()
        limits = _limits()
        if operator == "%":
            _check_format(left, "格式化运算 %", right if isinstance(right, tuple) else (right,))
        elif operator == "*":
            for seq, count in ((left, right), (right, left)):
                size = _size(seq)
                if size is not None and isinstance(count, int) and size * count > limits.repeat:
                    raise TemplateError(f"重复运算 * 的结果过大（{size}×{count}，上限 {limits.repeat}）")
        elif operator == "**" and isinstance(right, (int, float)) and abs(right) > limits.exponent:
            raise TemplateError(f"乘方运算 ** 的指数过大（{right}，上限 {limits.exponent}）")
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        check_deadline()
        _check_text_call(__obj, args, kwargs)
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
    env.filters.update(_bounded_filters())
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
