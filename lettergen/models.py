"""Plain data types shared across lettergen (no behaviour, no dependencies)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Problem:
    """One problem found in the user's data.

    ``path`` is the field path (``items.0.amount``), ``label`` its Chinese
    label chain (``欠款明细第1项·金额``); ``row`` and ``column`` are set when
    the data came from a spreadsheet (row as the user sees it in the file).
    ``severity`` is ``"error"`` (rejects the letter) or ``"warning"``.
    """

    path: str
    label: str
    message: str
    value: Any = None
    row: int | None = None
    column: str | None = None
    severity: str = "error"

    def __str__(self) -> str:
        return self.describe()

    def describe(self, *, keys: bool = False) -> str:
        """The message as shown to the user; with ``keys`` (input written as YAML / JSON, not a
        spreadsheet) the key path stands beside the label: 「收函客户」（recipient）."""
        where = f"第{self.row}行 " if self.row is not None else ""
        key = f"（{self.path}）" if keys and self.path and self.row is None else ""
        col = f"（列「{self.column}」）" if self.column and self.column != self.label else ""
        shown = ""
        if self.value not in (None, "") and not isinstance(self.value, (dict, list)):
            text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(self.value))
            if len(text) > 40:
                text = text[:40] + "…"
            shown = f"（当前值：“{text}”）"
        kind = "警告：" if self.severity == "warning" else ""
        return f"{where}「{self.label}」{key}{col}：{kind}{self.message}{shown}"

    def with_location(self, row: int | None, column: str | None) -> "Problem":
        return Problem(self.path, self.label, self.message, self.value, row, column, self.severity)


@dataclass(frozen=True)
class KindInfo:
    """A letter kind: its key, Chinese name and where its files live."""

    key: str
    name: str
    description: str
    schema_path: str
    template_path: str
    number_code: str = ""


@dataclass
class RenderedLetter:
    """The outcome of rendering one letter."""

    kind: str
    number: str
    data: dict[str, Any]
    docx: bytes
    template_name: str
    template_hash: str
    warnings: list[Problem] = field(default_factory=list)


def value_at(mapping: Any, dotted: str) -> Any:
    """The value at a dotted path (``follow_up.by``) of nested dicts, or None."""
    value = mapping
    for step in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(step)
    return value


def copy_tree(value: Any) -> Any:
    """A copy of nested dicts and lists (the shape of a letter's data); the values in them
    (text, numbers, dates, decimals: immutable) are shared.  ``copy.deepcopy`` does the same
    for such data at several times the cost, which counts per letter in a batch."""
    if isinstance(value, dict):
        return {k: copy_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy_tree(v) for v in value]
    return value
