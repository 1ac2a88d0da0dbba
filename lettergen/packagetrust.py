"""Templates from elsewhere are not trusted: no external links, no macros.

A template whose image, OLE object, style sheet, frame or attached template
points outside the package (``TargetMode="External"``, ``http://``,
``file://``) would make LibreOffice fetch that address or embed a local file
while converting a letter; a macro-enabled template carries code.  Both are
refused when a template is built, checked and loaded, as is any part with a
DOCTYPE or entity declaration (Office never writes one; it is how XXE reads
local files).  Hyperlinks are the one kind of external relationship a letter
may carry: they are only followed by a reader who clicks them.
"""
from __future__ import annotations

import re

from .errors import TemplateError

HYPERLINK = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
_REL = re.compile(rb"<(?:\w+:)?Relationship\b([^>]*)>")
_ATTR = re.compile(rb'(\w+)\s*=\s*"([^"]*)"|(\w+)\s*=\s*\'([^\']*)\'')
_SCHEME = re.compile(rb"^\s*[A-Za-z][A-Za-z0-9+.-]*:|^\s*[\\/]{2}")
_MACRO_TYPES = re.compile(rb"macroEnabled|vbaProject|vbaData|\.ms-office\.activeX|keyMapCustomizations", re.I)
_LINKING_FIELD = re.compile(rb"\b(INCLUDEPICTURE|INCLUDETEXT|LINK|DDE|DDEAUTO|IMPORT)\b.*?(?:https?:|file:|\\\\)", re.I | re.S)
_FIELD_CODE = re.compile(rb"<w:instrText\b[^>]*>([^<]*)</w:instrText>|\bw:instr=\"([^\"]*)\"")
_DOCTYPE = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.I)
_MACRO_PARTS = re.compile(r"(^|/)(vbaProject\.bin|vbaData\.xml|activeX\d*\.(xml|bin))$", re.I)


def untrusted_reasons(name: str, entries: dict[str, bytes]) -> list[str]:
    """Why the package ``entries`` (zip name -> bytes) may not be used as a template; [] if it may."""
    reasons = []
    for part in sorted(entries):
        if _MACRO_PARTS.search(part):
            reasons.append(f"含有宏或 ActiveX 控件（{part}）：不接受启用宏的模板，请另存为普通 .docx")
    types = entries.get("[Content_Types].xml", b"")
    found = _MACRO_TYPES.search(types)
    if found:
        reasons.append(f"内容类型声明了宏（{found.group().decode()}）：不接受启用宏的模板，请另存为普通 .docx")
    for part, blob in sorted(entries.items()):
        if part.endswith((".xml", ".rels")) and _DOCTYPE.search(blob):
            reasons.append(f"{part} 含有 DOCTYPE 或实体声明：Office 文档从不使用，可被用来读取本机文件（XXE），拒绝使用")
        if part.endswith(".rels"):
            reasons += _external_relationships(part, blob)
        elif part.endswith(".xml") and b"instr" in blob:
            codes = b"".join(m.group(1) or m.group(2) for m in _FIELD_CODE.finditer(blob))  # a field may span runs
            linking = _LINKING_FIELD.search(codes)
            if linking:
                field = linking.group().decode("utf-8", "replace")[:80]
                reasons.append(f"{part} 中的域代码引用外部文件或网址（{field}）：模板不得链接外部内容")
    return [f"模板 {name} {r}" for r in reasons]


def _external_relationships(part: str, blob: bytes) -> list[str]:
    out = []
    for match in _REL.finditer(blob):
        attrs = {m.group(1) or m.group(3): m.group(2) if m.group(1) else m.group(4) for m in _ATTR.finditer(match.group(1))}
        reltype = attrs.get(b"Type", b"").decode("utf-8", "replace")
        target = attrs.get(b"Target", b"")
        external = attrs.get(b"TargetMode", b"").lower() == b"external" or _SCHEME.search(target)
        if external and reltype != HYPERLINK:
            kind = reltype.rsplit("/", 1)[-1] or "relationship"
            out.append(f"{part} 中的 {kind} 关系指向外部地址 {target.decode('utf-8', 'replace')[:100]}："
                       "模板不得链接外部图片、对象、样式或附加模板，请把内容嵌入文档")
    return out


def refuse_untrusted(name: str, entries: dict[str, bytes]) -> None:
    """Raise TemplateError naming every reason the package may not be used."""
    reasons = untrusted_reasons(name, entries)
    if reasons:
        raise TemplateError("；\n".join(reasons))
