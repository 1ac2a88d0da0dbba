"""Template source files: the per-kind YAML that says what a letter contains.

A source file ``templates/source/KIND.yaml`` describes the parts of a letter
that differ between kinds; the builder adds everything the house style fixes
(document number, salutation, closing, attachments, signature, date).  Files
whose name starts with ``_`` (such as ``_example.yaml``) are examples and are
skipped by :func:`~lettergen.housestyle.builder.build_all`.

Format::

    kind: payment_reminder          # required; the output is KIND.docx
    title: "关于{{ subject }}的函"   # required; Jinja text of the centred title
    body:                           # required; blocks between salutation and closing
      - "贵公司于{{ x }}……"          # string: body paragraph (LG Body, indented 2 chars)
      - {p: "{%p if level == 'final' %}"}   # docxtpl control paragraph, kept alone
      - {heading: "一、欠款明细"}     # sub-heading: body style, bold (LG Heading)
      - {plain: "户名：{{ payee.account_name }}"}  # body font, no indent (LG Plain)
      - {field: "开户行：{{ payee.bank }}"}  # a field line, indented two characters
                                     # like the body's first lines, wrapped lines too (LG Field)
      - {paragraphs: "complaint.findings"}  # one LG Body paragraph per line of the
                                     # field: {%p for para in FIELD|paragraphs %}
      - {table:                      # bordered table (LG Table), header row bold
          rows: "items",             # Jinja expression of the row list
          item: "item",              # loop variable (default "item")
          columns: [{header: "发票号", value: "{{ item.invoice_no }}",
                     align: left},                     # align: left|center|right
                    {header: "金额（元）", value: "{{ item.amount|money }}",
                     type: amount, align: right}],
          footer: ["合计", "{{ total|money }}"]}    # optional; if shorter than
                                     # the columns, its first cell spans the rest

Column widths: ``type`` says what a column holds, ``date`` (2026年12月31日),
``amount`` (up to 9,999,999,999.00), ``count`` (up to 99999) or ``text`` (the
default); a ``sample`` text can be given for a short text column that must not
wrap (``sample: 千克``).  Dates, amounts, counts, samples and every header are
measured in the table font (五号, bold headers) and never break; text columns
share the rest of the line and wrap.  ``width_cm`` fixes a column's width.

Text is Jinja as docxtpl renders it; each string becomes one run of one
paragraph, so tags are never split.  Filters provided by the rendering engine:
``cn_date``, ``money``, ``capital``, ``paragraphs``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

import yaml

from ..errors import TemplateError

_CONTROL = re.compile(r"^\{%p\s.*%\}$", re.DOTALL)
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_EXPR = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\[\]'\"]*$")
ALIGNS = ("left", "center", "right")
COLUMN_TYPES = ("text", "date", "amount", "count")


@dataclass(frozen=True)
class Para:
    """A paragraph of ``text`` in the LG style ``style`` (e.g. "LG Body")."""

    style: str
    text: str


@dataclass(frozen=True)
class Control:
    """A docxtpl ``{%p ... %}`` paragraph."""

    tag: str


@dataclass(frozen=True)
class Column:
    header: str
    value: str
    width_cm: float | None = None
    align: str = "left"
    type: str = "text"
    sample: str = ""


@dataclass(frozen=True)
class Table:
    rows: str
    item: str
    columns: tuple[Column, ...]
    footer: tuple[str, ...] = ()


Block = Union[Para, Control, Table]


@dataclass(frozen=True)
class Source:
    kind: str
    title: str
    body: tuple[Block, ...] = field(default_factory=tuple)


def load_source(path: str | Path) -> Source:
    """Read and validate a source file."""
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise TemplateError(f"无法读取模板源文件 {p}：{exc}") from None
    return parse_source(data, str(p))


def parse_source(data: Any, where: str = "模板源") -> Source:
    """Validate the parsed YAML ``data`` and return a :class:`Source`."""
    if isinstance(data, Source):
        return data
    if not isinstance(data, dict):
        _fail(where, "顶层应为映射（kind、title、body）")
    unknown = set(data) - {"kind", "title", "body"}
    if unknown:
        _fail(where, f"未知的键：{'、'.join(sorted(map(str, unknown)))}")
    kind = data.get("kind")
    if not isinstance(kind, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", kind):
        _fail(where, "kind 应为小写英文标识，如 payment_reminder")
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        _fail(where, "title 必须是非空字符串")
    body = data.get("body")
    if not isinstance(body, list) or not body:
        _fail(where, "body 必须是非空列表")
    blocks: list[Block] = []
    for i, raw in enumerate(body, 1):
        blocks.extend(_parse_block(raw, f"{where} body 第{i}项"))
    return Source(kind, title, tuple(blocks))


def _parse_block(raw: Any, where: str) -> list[Block]:
    if isinstance(raw, str):
        return [Para("LG Body", raw)]
    if not isinstance(raw, dict) or len(raw) != 1:
        _fail(where, "应为字符串或只有一个键的映射（p、heading、plain、field、paragraphs、table）")
    (key, value), = raw.items()
    if key == "table":
        return [_parse_table(value, where)]
    if not isinstance(value, str) or not value.strip():
        _fail(where, f"{key} 的值必须是非空字符串")
    if key == "p":
        if not _CONTROL.match(value.strip()):
            _fail(where, "p 的值必须是一个完整的 {%p ... %} 标签")
        return [Control(value.strip())]
    if key == "heading":
        return [Para("LG Heading", value)]
    if key == "plain":
        return [Para("LG Plain", value)]
    if key == "field":
        return [Para("LG Field", value)]
    if key == "paragraphs":
        if not _EXPR.match(value.strip()):
            _fail(where, "paragraphs 的值应为字段路径，如 complaint.findings")
        return [
            Control(f"{{%p for para in {value.strip()}|paragraphs %}}"),
            Para("LG Body", "{{ para }}"),
            Control("{%p endfor %}"),
        ]
    _fail(where, f"未知的块类型「{key}」")
    raise AssertionError  # unreachable


def _parse_table(spec: Any, where: str) -> Table:
    if not isinstance(spec, dict):
        _fail(where, "table 的值应为映射（rows、item、columns、footer）")
    unknown = set(spec) - {"rows", "item", "columns", "footer"}
    if unknown:
        _fail(where, f"table 有未知的键：{'、'.join(sorted(map(str, unknown)))}")
    rows, item = spec.get("rows"), spec.get("item", "item")
    if not isinstance(rows, str) or not _EXPR.match(rows.strip()):
        _fail(where, "table.rows 应为字段路径，如 items")
    if not isinstance(item, str) or not _IDENT.match(item):
        _fail(where, "table.item 应为变量名，如 item")
    cols_raw = spec.get("columns")
    if not isinstance(cols_raw, list) or not cols_raw:
        _fail(where, "table.columns 必须是非空列表")
    columns = []
    for j, c in enumerate(cols_raw, 1):
        cw = f"{where} 第{j}列"
        if not isinstance(c, dict) or not {"header", "value"} <= set(c):
            _fail(cw, "每列需要 header 和 value")
        if set(c) - {"header", "value", "width_cm", "align", "type", "sample"}:
            _fail(cw, "列只允许 header、value、width_cm、align、type、sample")
        align = c.get("align", "left")
        if align not in ALIGNS:
            _fail(cw, f"align 只能是 {'、'.join(ALIGNS)}")
        ctype = c.get("type", "text")
        if ctype not in COLUMN_TYPES:
            _fail(cw, f"type 只能是 {'、'.join(COLUMN_TYPES)}")
        width = c.get("width_cm")
        if width is not None and (not isinstance(width, (int, float)) or width <= 0):
            _fail(cw, "width_cm 应为正数")
        columns.append(Column(str(c["header"]), str(c["value"]),
                              float(width) if width else None, align, ctype, str(c.get("sample") or "")))
    footer = spec.get("footer") or []
    if not isinstance(footer, list) or len(footer) > len(columns):
        _fail(where, "table.footer 应为列表，且不多于列数")
    return Table(rows.strip(), item, tuple(columns), tuple(str(f) for f in footer))


def _fail(where: str, message: str) -> None:
    raise TemplateError(f"{where}：{message}")
