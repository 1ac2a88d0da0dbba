"""A letter's number put into a rendering made with a placeholder, when that is exact.

Issuing renders every letter twice: once with a placeholder before its
number is taken (template errors, wording and layout are found without
consuming a number), then with the number.  When the template prints the
number only as a whole ``{{ number }}``, the second rendering is the first
with the placeholder's text replaced by the number's, in the parts the
template rendered, compressed as a letter is.  :func:`renumber` does that,
and answers ``None`` (render again) whenever it cannot be sure the result
is byte for byte what rendering with the number gives:

* the template uses ``number`` in any other way (a filter, a test, a macro,
  a captured or filtered block …): see :func:`plain_output_names`;
* the number or the placeholder has a character that escaping, the data-tag
  handling or line breaks would change (``<>&"'{}%``, control characters,
  the private-use characters the renderer uses as markers);
* the placeholder's text occurs anywhere but in the number: in the
  template's own text or in the letter's data;
* the placeholder stands in a table of the document (the house style fits a
  table's columns to its text, so a longer number could move them);
* the rendering is not one lettergen's renderer wrote.

The tests compare both ways on every sample letter and on generated ones.
"""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from jinja2 import nodes

from .. import zipwriter
from .sources import CORE_PART

DOCUMENT_PART = "word/document.xml"

#: Text that prints as it is: nothing escaping, the data-tag markers or line breaks touch.
_PRINTS_AS_IS = re.compile("[^<>&\"'{}%\x00-\x1f\x7f\ue000-\uf8ff]+")

#: Blocks whose body is printed where it stands (any other block may capture or transform it).
_PASS_THROUGH = (nodes.Template, nodes.Output, nodes.If, nodes.For, nodes.With)


def plain_output_names(env: Any, sources: list[str]) -> frozenset[str]:
    """Names that every one of ``sources`` uses only as a whole ``{{ name }}`` printed in place."""
    plain: set[str] = set()
    other: set[str] = set()
    for source in sources:
        _walk(env.parse(source), [], plain, other)
    return frozenset(plain - other)


def _walk(node: nodes.Node, ancestors: list[nodes.Node], plain: set[str], other: set[str]) -> None:
    if isinstance(node, nodes.Name):
        printed = (node.ctx == "load" and ancestors and isinstance(ancestors[-1], nodes.Output)
                   and all(isinstance(a, _PASS_THROUGH) for a in ancestors))
        (plain if printed else other).add(node.name)
    ancestors.append(node)
    for child in node.iter_child_nodes():
        _walk(child, ancestors, plain, other)
    ancestors.pop()


def renumber(template: Any, package: bytes, placeholder: str, number: str, context: dict[str, Any]) -> bytes | None:
    """``package`` (``template`` rendered from ``context`` with ``placeholder`` as its
    number, at any compression level) as rendered with ``number``; None when that
    is not certainly exact (see the module's notes)."""
    if "number" not in template.plain_outputs:
        return None
    if not (_PRINTS_AS_IS.fullmatch(number) and _PRINTS_AS_IS.fullmatch(placeholder)):
        return None
    if any(placeholder in source for source in template.sources.values()) or mentions(context, placeholder):
        return None
    parts = zipwriter.read_parts(package)
    if parts is None:
        return None
    rendered = set(template.compiled) | ({CORE_PART} if template.core else set())
    static = {name: part for name, part in template.entries if part is not None}
    old, new = placeholder.encode("utf-8"), number.encode("utf-8")
    out = []
    for part in parts:
        name = part.name.decode("utf-8")
        known = static.get(name)
        if name not in rendered and known is not None and part.data == known.data:
            out.append(known)  # a static part, copied as the renderer copies it
            continue
        content = zipwriter.unpack(part)
        if name in rendered:
            if name == DOCUMENT_PART and _in_table(content, old):
                return None
            content = content.replace(old, new)
        out.append(zipwriter.compress(name, content))
    return zipwriter.build(out)


def _in_table(xml: bytes, text: bytes) -> bool:
    at = xml.find(text)
    while at >= 0:
        opened = xml.count(b"<w:tbl>", 0, at) + xml.count(b"<w:tbl ", 0, at)
        if opened > xml.count(b"</w:tbl>", 0, at):
            return True
        at = xml.find(text, at + len(text))
    return False


def mentions(value: Any, text: str) -> bool:
    """Whether ``text`` occurs in any string of ``value`` (objects other than plain data: assume so)."""
    if isinstance(value, str):
        return text in value
    if value is None or isinstance(value, (bool, int, float)):
        return False
    if isinstance(value, dict):
        return any(mentions(k, text) or mentions(v, text) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(mentions(v, text) for v in value)
    return text in str(value) if isinstance(value, (Decimal, date)) else True
