"""``lettergen register …``: look into and maintain the register (发文登记簿).

Each command opens the register named in the settings (``register.url``, or
``LETTERGEN_REGISTER_URL``), makes one library call and prints the result.
"""
from __future__ import annotations

import json
import unicodedata
from datetime import date, datetime
from pathlib import Path

import click

from .. import jsondata
from ..errors import CheckFailed
from ..issuing import open_register
from ..register import STATUSES, Entry, Register
from .options import cli, pass_app


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _clip(text: str, width: int) -> str:
    if _width(text) <= width:
        return text
    out = ""
    for ch in text:
        if _width(out + ch) > width - 1:
            break
        out += ch
    return out + "…"


def format_table(headers: list[str], rows: list[list[str]], *, max_width: int = 30) -> str:
    """A plain-text table aligned for CJK text (wide characters count twice)."""
    rows = [[_clip(cell, max_width) for cell in row] for row in rows]
    widths = [max(_width(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    lines = ["  ".join(_pad(h, w) for h, w in zip(headers, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(_pad(c, w) for c, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)


def _filters(func):
    """The entry filters shared by ``list`` and ``export``."""
    options = [
        click.option("--kind", help="Letter kind, e.g. payment_reminder (催款通知)."),
        click.option("--year", type=int, help="Year of the number (文号年份)."),
        click.option("--customer", help="Part of the customer's name (客户名称，部分匹配)."),
        click.option("--status", type=click.Choice(STATUSES),
                     help="reserved 预留 / issued 已签发 / void 已作废 / superseded 已被订正."),
        click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), help="Letter date on or after (YYYY-MM-DD)."),
        click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), help="Letter date on or before (YYYY-MM-DD)."),
        click.option("--batch", "batch_id", help="Batch id of a batch run (批次)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _query(register: Register, filters: dict) -> list[Entry]:
    for key in ("date_from", "date_to"):
        if isinstance(filters.get(key), datetime):
            filters[key] = filters[key].date()
    return register.list(**filters)


@cli.group("register")
def register_group() -> None:
    """The register of issued letters (发文登记簿): list, show, void, export, verify."""


@register_group.command("list")
@_filters
@pass_app
def list_cmd(app, **filters) -> None:
    """List registered letters as a table, by number."""
    with open_register(app.config) as register:
        found = _query(register, filters)
    if not found:
        click.echo("没有符合条件的登记。")
        return
    rows = [[e.number, e.letter_date.isoformat(), e.customer, e.subject, e.status_label] for e in found]
    click.echo(format_table(["文号", "日期", "客户", "事由", "状态"], rows))
    click.echo(f"共 {len(found)} 条")


def _show_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@register_group.command("show")
@click.argument("number")
@pass_app
def show_cmd(app, number: str) -> None:
    """Show everything recorded for NUMBER (文号), including the letter data."""
    with open_register(app.config) as register:
        entry = register.get(number)
    fields = [
        ("文号", entry.number), ("类型", entry.kind), ("日期", entry.letter_date), ("客户", entry.customer),
        ("事由", entry.subject), ("状态", entry.status_label), ("状态说明", entry.status_reason),
        ("状态时间", entry.status_at), ("订正文号", entry.supersedes), ("被订正为", entry.superseded_by),
        ("模板", f"{entry.template_name}（{entry.template_hash}）"), ("文件", entry.output_path),
        ("文件 SHA-256", entry.file_hash), ("PDF", entry.pdf_path), ("PDF SHA-256", entry.pdf_hash),
        ("批次", entry.batch_id), ("来源", entry.source_key), ("签发人", entry.issued_by),
        ("经办", entry.actor), ("状态经办", entry.status_actor), ("核验码", entry.verify_code),
        ("登记时间", entry.created_at),
    ]
    width = max(_width(label) for label, _value in fields) + 2
    for label, value in fields:
        text = _show_value(value)
        if text:
            click.echo(f"{_pad(label, width)}{text}")
    click.echo("输入数据：")
    shown = jsondata.plain(jsondata.decode(entry.data.get("input", entry.data)))
    click.echo(json.dumps(shown, ensure_ascii=False, indent=2))


@register_group.command("void")
@click.argument("number")
@click.option("--reason", required=True, help="Why the number is voided (作废原因); recorded in the register.")
@pass_app
def void_cmd(app, number: str, reason: str) -> None:
    """Void NUMBER (作废): the entry stays in the register with the reason and time."""
    with open_register(app.config) as register:
        entry = register.mark_void(number, reason)
    click.echo(f"已作废 {entry.number}：{entry.status_reason}")


@register_group.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@_filters
@pass_app
def export_cmd(app, path: Path, **filters) -> None:
    """Export entries to PATH (.csv for Excel, UTF-8 with BOM; or .xlsx)."""
    with open_register(app.config) as register:
        count = register.export(_query(register, filters), path)
    click.echo(f"已导出 {count} 条登记到 {path}")


@register_group.command("verify")
@click.option("--no-files", is_flag=True, help="Skip checking the letters' files and hashes.")
@pass_app
def verify_cmd(app, no_files: bool) -> None:
    """Check the register: numbers 1..n without gaps, files unchanged, references valid.

    Exit code 1 with the problems listed when the register is not consistent.
    """
    with open_register(app.config) as register:
        report = register.verify(check_files=not no_files)
    c = report.checked
    summary = (f"{c['entries']} 条登记（已签发 {c['issued']}，作废 {c['void']}，已被订正 {c['superseded']}，"
               f"预留 {c['reserved']}），{c['sequences']} 个序列，{c['files']} 个文件")
    for number in report.in_progress:
        click.echo(f"签发中：{number}")
    if not report.ok:
        for problem in report.problems:
            click.echo(f"  - {problem}")
        raise CheckFailed(f"登记簿校验未通过：{len(report.problems)} 个问题（检查了 {summary}）")
    click.echo(f"登记簿校验通过：{summary}")
