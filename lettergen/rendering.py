"""Rendering Word templates: the only docxtpl / Jinja user.

A template is compiled once (docxtpl's tag clean-up, then a sandboxed,
strict, autoescaping Jinja environment) and cached; rendering a letter then
only renders the parts that carry tags and zips them with the template's
other parts unchanged.  The zip is written deterministically (fixed entry
order, timestamps and attributes), so the same context and template give
byte-identical .docx files.
"""
from __future__ import annotations

import hashlib
import re
import threading
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from docxtpl import DocxTemplate
from jinja2 import StrictUndefined, TemplateSyntaxError, nodes
from jinja2 import TemplateError as JinjaTemplateError
from jinja2.sandbox import SandboxedEnvironment

from . import zipwriter
from .errors import TemplateError
from .money import capital, figures

_TAGGED_PART = re.compile(r"^word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml$")
_LISTING_CHARS = re.compile(r"<w:t(?: [^>]*)?>[^<]*[\t\n\a\f]")


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


def make_environment() -> SandboxedEnvironment:
    """The Jinja environment every template renders in: sandboxed, strict, autoescaping."""
    env = SandboxedEnvironment(
        undefined=StrictUndefined,
        autoescape=True,
        keep_trailing_newline=True,
        finalize=lambda v: "" if v is None else v,
    )
    env.filters.update(
        cn_date=cn_date,
        money=_money,
        capital=_capital,
        paragraphs=paragraphs,
        amount=_plain_number,
    )
    return env


@dataclass
class CompiledTemplate:
    """A template ready to render: static parts compressed once, tagged parts compiled."""

    name: str
    path: Path
    sha256: str
    entries: list[tuple[str, zipwriter.Part | None]]
    compiled: dict[str, Any]
    helper: DocxTemplate

    def render(self, context: dict[str, Any]) -> bytes:
        """Render ``context`` into a complete .docx (bytes)."""
        parts = [
            part if part is not None else zipwriter.compress(name, self._render_part(name, self.compiled[name], context))
            for name, part in self.entries
        ]
        return zipwriter.build(parts)

    def _render_part(self, name: str, template: Any, context: dict[str, Any]) -> bytes:
        try:
            xml = template.render(context)
        except JinjaTemplateError as exc:
            raise TemplateError(f"模板 {self.name} 渲染失败（{name}）：{exc}") from exc
        xml = re.sub(r"\n<w:p([ >])", r"<w:p\1", xml)
        xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
        if _LISTING_CHARS.search(xml):
            xml = self.helper.resolve_listing(xml)
        return xml.encode("utf-8")


_cache: dict[tuple[str, int, int], CompiledTemplate] = {}
_cache_lock = threading.Lock()
_env = make_environment()


def template_hash(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _patched_parts(path: Path) -> tuple[DocxTemplate, list[tuple[str, zipwriter.Part | None]], dict[str, str]]:
    helper = DocxTemplate(str(path))
    entries: list[tuple[str, zipwriter.Part | None]] = []
    sources: dict[str, str] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                blob = zf.read(info.filename)
                if _TAGGED_PART.match(info.filename) and (b"{{" in blob or b"{%" in blob):
                    xml = helper.patch_xml(blob.decode("utf-8"))
                    sources[info.filename] = re.sub(r"<w:p([ >])", r"\n<w:p\1", xml)
                    entries.append((info.filename, None))
                else:
                    entries.append((info.filename, zipwriter.compress(info.filename, blob)))
    except (zipfile.BadZipFile, OSError, KeyError) as exc:
        raise TemplateError(f"模板文件 {path} 无法打开：{exc}") from None
    return helper, entries, sources


def load_template(path: str | Path) -> CompiledTemplate:
    """Compile (or fetch from the cache) the template at ``path``."""
    path = Path(path)
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise TemplateError(f"找不到模板文件 {path}") from None
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    helper, entries, sources = _patched_parts(path)
    compiled = {}
    for name, source in sources.items():
        try:
            compiled[name] = _env.from_string(source)
        except TemplateSyntaxError as exc:
            raise TemplateError(f"模板 {path.name} 的标记有语法错误（{name} 第{exc.lineno}行附近）：{exc.message}") from None
    template = CompiledTemplate(path.stem, path, template_hash(path), entries, compiled, helper)
    with _cache_lock:
        _cache[key] = template
    return template


def template_sources(path: str | Path) -> dict[str, str]:
    """The Jinja source of each tagged part (``word/document.xml`` …), exactly as compiled."""
    return _patched_parts(Path(path))[2]


def template_references(path: str | Path) -> set[str]:
    """Dotted data paths a template reads (``recipient.name``, ``items[].amount``).

    Loop variables are resolved to their list (``{% for item in items %}``
    makes ``item.amount`` read ``items[].amount``); names the template binds
    itself (``loop``, ``set`` targets) are not data.
    """
    sources = template_sources(path)
    refs: set[str] = set()
    for source in sources.values():
        try:
            ast = _env.parse(source)
        except TemplateSyntaxError as exc:
            raise TemplateError(f"模板 {Path(path).name} 的标记有语法错误：{exc.message}") from None
        _collect(ast, {}, refs)
    return refs


def _expr_path(node: Any, scope: dict[str, str]) -> str | None:
    if isinstance(node, nodes.Name):
        return scope.get(node.name, node.name)
    if isinstance(node, nodes.Getattr):
        base = _expr_path(node.node, scope)
        return f"{base}.{node.attr}" if base else None
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
        base = _expr_path(node.node, scope)
        return f"{base}.{node.arg.value}" if base else None
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, int):
        base = _expr_path(node.node, scope)
        return f"{base}[]" if base else None
    return None


def _collect(node: Any, scope: dict[str, str], refs: set[str]) -> None:
    if isinstance(node, nodes.For):
        _collect(node.iter, scope, refs)
        iterated = _expr_path(node.iter.node if isinstance(node.iter, nodes.Filter) else node.iter, scope)
        inner = dict(scope)
        for target in node.target.find_all(nodes.Name) if not isinstance(node.target, nodes.Name) else [node.target]:
            inner[target.name] = f"{iterated}[]" if iterated else ""
        inner["loop"] = ""
        for child in node.body + node.else_:
            _collect(child, inner, refs)
        if node.test is not None:
            _collect(node.test, inner, refs)
        return
    if isinstance(node, nodes.Assign):
        _collect(node.node, scope, refs)
        for target in node.target.find_all(nodes.Name) if not isinstance(node.target, nodes.Name) else [node.target]:
            scope[target.name] = ""
        return
    if isinstance(node, (nodes.Name, nodes.Getattr, nodes.Getitem)):
        path = _expr_path(node, scope)
        if path:
            refs.add(path)
            return
        if path == "":
            return
    for child in node.iter_child_nodes():
        _collect(child, scope, refs)


def to_context(document: dict[str, Any], rules: dict[str, Any]) -> dict[str, Any]:
    """Give every field the schema declares a value (None, or [] for lists) so
    templates can test optional fields with ``{% if x %}`` under StrictUndefined."""
    out = dict(document)
    for name, rule in rules.items():
        ftype = rule.get("type")
        if name not in out:
            out[name] = [] if ftype == "list" else ({} if ftype == "dict" else None)
        if ftype == "dict" and isinstance(rule.get("schema"), dict) and isinstance(out[name], dict):
            out[name] = to_context(out[name], rule["schema"])
        elif ftype == "list" and isinstance(out[name], list):
            item = rule.get("schema") or {}
            if item.get("type") == "dict" and isinstance(item.get("schema"), dict):
                out[name] = [to_context(v, item["schema"]) if isinstance(v, dict) else v for v in out[name]]
    return out
