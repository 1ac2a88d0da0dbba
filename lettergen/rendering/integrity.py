"""Never a silent wrong letter: a cheap check of every rendered letter.

:func:`check_letter_parts` refuses a rendered package (TemplateError naming
the template and the part) when

* a part still holds template tags that did not come from the data (a tag the
  clean-up missed is printed literally otherwise);
* a part references a relationship id (``r:id``, ``r:embed`` …) its ``.rels``
  does not define;
* a drawing id (``wp:docPr/@id``) of a rendered part repeats in the document
  (ids that only the template's unrendered parts share are left as saved);
* a part is not well-formed XML.

Only the parts the render produced are parsed; the template's own parts were
checked when it was compiled.
"""
from __future__ import annotations

import functools
import re
from collections import Counter

import pyexpat

from ..errors import TemplateError
from .package import rels_name

R_NS = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_R_PREFIX = re.compile(rb'xmlns:(\w+)="' + re.escape(R_NS) + rb'"')
_REL_ID = re.compile(rb'\bId="([^"]+)"')
_DOCPR_ID = re.compile(rb'<wp:docPr\b[^>]*?\bid="(\d+)"')
_TAG_START = re.compile(r"\{(?:<[^>]*>)*[{%#]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def tags_in(text: str) -> int:
    """How many template tag openings (``{{``, ``{%``, ``{#``, also split by XML) ``text`` holds."""
    return len(_TAG_START.findall(text)) if "{" in text else 0


def drawing_ids(blobs: dict[str, bytes], names: set[str] | None = None) -> Counter:
    """How often each drawing id occurs in the parts ``names`` (default: all)."""
    return Counter(i for name, blob in blobs.items() if (names is None or name in names) and b"docPr" in blob
                   for i in _DOCPR_ID.findall(blob))


@functools.lru_cache(maxsize=16)
def _attributes(prefix: bytes) -> re.Pattern[bytes]:
    """Values of the attributes in namespace ``prefix`` (literal-first, so the scan is fast)."""
    return re.compile(b" " + re.escape(prefix) + rb':[A-Za-z]+="([^"]*)"')


def check_letter_parts(name: str, parts: dict[str, bytes], rendered: dict[str, str], data_tags: int,
                       static_ids: Counter | None = None, parsed: set[str] | frozenset[str] = frozenset()) -> None:
    """Refuse the letter when a rendered part is damaged (see the module docstring).

    ``parts`` is the whole package (zip name -> bytes); ``rendered`` the XML
    text of the parts the render produced; ``data_tags`` how many tag openings
    the data itself brought (they are text, not template code); ``static_ids``
    the drawing ids of the parts that were not rendered; ``parsed`` the parts
    known to be well-formed already (an XML parser read the rendered part and
    wrote it anew), which are not parsed again.
    """
    leftover = sum(tags_in(xml) for xml in rendered.values()) - data_tags
    if leftover > 0:
        where = next(p for p, xml in rendered.items() if tags_in(xml))
        raise TemplateError(f"模板 {name} 渲染后 {where} 中仍有 {leftover} 处未处理的模板标记（如被拆开的 {{{{ }}}}）：拒绝生成可能有误的信函")
    for part, xml in rendered.items():
        blob = parts[part]
        try:
            if part not in parsed:
                pyexpat.ParserCreate().Parse(blob, True)
        except pyexpat.ExpatError as exc:
            control = _CONTROL.search(xml)
            if control:
                raise TemplateError(f"模板 {name} 的数据含有 Word 文档不允许的控制字符（U+{ord(control.group()):04X}，"
                                    f"在 {part}）：请删除后重试") from None
            raise TemplateError(f"模板 {name} 渲染后 {part} 不是合法的 XML（{exc}）：请检查模板中跨段落或表格的标记") from None
        prefixes = set(_R_PREFIX.findall(blob))
        if not prefixes:
            continue
        used = set()
        for prefix in prefixes:
            used |= set(_attributes(prefix).findall(blob))
        defined = set(_REL_ID.findall(parts.get(rels_name(part), b"")))
        missing = sorted(u.decode() for u in used - defined if u)
        if missing:
            raise TemplateError(f"模板 {name} 渲染后 {part} 引用了不存在的关系 {', '.join(missing)}（图片、超链接或子文档丢失）")
    if static_ids is None:
        static_ids = drawing_ids(parts, set(parts) - set(rendered))
    made = drawing_ids(parts, set(rendered))  # the template's own ids elsewhere are as its author saved them
    repeated = sorted(i.decode() for i, n in made.items() if n + static_ids.get(i, 0) > 1)
    if repeated:
        raise TemplateError(f"模板 {name} 渲染后图形编号重复（wp:docPr id={', '.join(repeated)}）：Word 会报告文档损坏")
