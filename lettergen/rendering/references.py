"""What a template reads: its Jinja sources, the data paths it uses, and the context it gets."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import TemplateSyntaxError, nodes

from ..errors import TemplateError
from .compiled import default_environment
from .sources import read_package

_env = default_environment()


def template_sources(path: str | Path) -> dict[str, str]:
    """The Jinja source of each tagged part (``word/document.xml`` …, ``docProps/core.xml#dc:title``), as compiled."""
    return read_package(Path(path)).all_sources()
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
