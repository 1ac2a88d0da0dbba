"""A template package read and prepared for Jinja, as docxtpl prepares it.

docxtpl reads each story part through lxml and python-docx, which normalises
the XML before its tag clean-up (``DocxTemplate.patch_xml``).  Reading the raw
bytes instead, this module makes the same normalisations that matter for tags:

* quotes stored as ``&quot;`` / ``&apos;`` in text (LibreOffice, WPS) become
  plain quotes, so ``{{ x or &quot;-&quot; }}`` compiles;
* a part is a template when it holds a tag *after* the clean-up, so a tag that
  Word split across runs (``{</w:t>…<w:t>{``) in a header is found, and a part
  with only ``{# … #}`` comments is rendered (and loses its comments).

Story parts are the body, headers, footers, footnotes, endnotes and comments
(docxtpl itself leaves tags in endnotes and comments as they are; here they
render, see the README's deliberate differences).
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from docxtpl import DocxTemplate

from ..errors import TemplateError
from ..packagetrust import refuse_untrusted

STORY_PART = re.compile(r"^word/(document|header\d*|footer\d*|footnotes|endnotes|comments)\.xml$")
CORE_PART = "docProps/core.xml"
#: The core properties docxtpl renders (title, subject, author, comments, identifier, language).
CORE_FIELDS = re.compile(r"(<(dc:title|dc:subject|dc:creator|dc:description|dc:identifier|dc:language)>)([^<]*)(</\2>)")
_TAG_START = re.compile(r"\{(?:<[^>]*>)*[{%#]")
_TEXT = re.compile(r">[^<]*<")
_TABLE_TAGS = re.compile(r"\{%-?\s*(?:tc\s|hm\s*-?%\}|vm\s*-?%\}|colspan\s|cellbg\s)")
MAX_UNPACKED = 200 * 2**20  # a template (pictures and fonts included) unpacks to less; a zip bomb to far more
_UNRENDERED_STORY = re.compile(r"^word/(diagrams|charts)/[^/]+\.xml$")
_patcher = DocxTemplate.__new__(DocxTemplate)  # patch_xml uses no instance state


@dataclass
class TemplatePackage:
    """The entries of a template (.docx) in order, and the Jinja source of its story parts."""

    name: str
    blobs: dict[str, bytes]
    order: list[str]
    sources: dict[str, str] = field(default_factory=dict)
    core: dict[str, str] = field(default_factory=dict)  # "dc:title" -> Jinja source
    table_fix: bool = False

    def all_sources(self) -> dict[str, str]:
        """Story parts and core properties (``docProps/core.xml#dc:title``), for checks."""
        return {**self.sources, **{f"{CORE_PART}#{tag}": source for tag, source in self.core.items()}}


def has_tag(text: str | bytes) -> bool:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return bool(_TAG_START.search(text))


def unescape_text_quotes(xml: str) -> str:
    """``&quot;`` / ``&apos;`` in element text become quotes (attributes keep theirs), as lxml writes them."""
    if "&quot;" not in xml and "&apos;" not in xml and "&#3" not in xml:
        return xml
    return _TEXT.sub(lambda m: m.group().replace("&quot;", '"').replace("&apos;", "'")
                     .replace("&#34;", '"').replace("&#39;", "'"), xml)


def patch_part(xml: str) -> str:
    """docxtpl's tag clean-up of one story part, with one ``\\n`` before each paragraph."""
    xml = _patcher.patch_xml(unescape_text_quotes(xml))
    return re.sub(r"<w:p([ >])", r"\n<w:p\1", xml)


def read_entries(path: Path, data: bytes | None = None) -> tuple[list[str], dict[str, bytes]]:
    """The zip entries of a template (names in order, contents), refusing a zip bomb before unpacking."""
    try:
        with zipfile.ZipFile(io.BytesIO(data) if data is not None else path) as zf:
            infos = zf.infolist()
            size = sum(info.file_size for info in infos)
            if size > MAX_UNPACKED:
                raise TemplateError(f"模板文件 {path} 解压后有 {size // 2**20} MB，超过 {MAX_UNPACKED // 2**20} MB 的上限（疑为压缩炸弹）")
            order = [info.filename for info in infos]
            return order, {name: zf.read(name) for name in order}
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise TemplateError(f"模板文件 {path} 无法打开：{exc}") from None


def read_package(path: Path, data: bytes | None = None) -> TemplatePackage:
    """Read, check (macros, external links) and prepare the template at ``path`` (or ``data``, named ``path``)."""
    order, blobs = read_entries(path, data)
    if "word/document.xml" not in blobs:
        raise TemplateError(f"模板文件 {path} 不是 Word 文档（缺少 word/document.xml）")
    refuse_untrusted(path.name, blobs)
    package = TemplatePackage(path.stem, blobs, order)
    for name in order:
        if STORY_PART.match(name) and b"{" in blobs[name]:
            try:
                raw = blobs[name].decode("utf-8")
            except UnicodeDecodeError:
                raise TemplateError(f"模板 {path.name} 的 {name} 不是 UTF-8 编码") from None
            if has_tag(raw):
                package.sources[name] = patch_part(raw)
                if name == "word/document.xml":
                    package.table_fix = bool(_TABLE_TAGS.search(re.sub(r"<[^>]+>", "", raw)))
    core_xml = blobs.get(CORE_PART, b"").decode("utf-8", "replace")
    if has_tag(core_xml):
        package.core = {m.group(2): unescape_text_quotes(">" + m.group(3) + "<")[1:-1]
                        for m in CORE_FIELDS.finditer(core_xml) if has_tag(m.group(3))}
    unrendered = [n for n in order if _UNRENDERED_STORY.match(n) and has_tag(blobs[n])]
    if unrendered:
        raise TemplateError(f"模板 {path.name} 的 {', '.join(unrendered)} 中有模板标记，但图表和 SmartArt 中的标记不会被渲染"
                            "（docxtpl 也不渲染）：请把标记移到正文、表格、页眉或页脚中")
    return package
