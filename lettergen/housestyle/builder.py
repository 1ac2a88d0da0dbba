"""Build a letter template (.docx with docxtpl tags) from a source and a profile.

The fixed frame of every letter comes from here; the kind-specific part from
the source file (see :mod:`lettergen.housestyle.source` for the format)::

    {{ number }}                                  LG Number (right)
    <title>                                       LG Title (centred, larger)
    {{ recipient.name }}：                        LG Salutation (flush left)
    <body blocks>                                 LG Body / Heading / Plain / table
    {%p if attachments %} 附件： 1. … {%p endif %}  LG Attachment (GB/T 9704:
                                                  after the body, before the
                                                  closing and signature)
    此致 / 敬礼！                                 LG Closing (indented) / LG Regards
    {{ sender.name }} … 联系电话 … [电子邮箱]      LG Signature (right)
    {{ letter_date|cn_date }}                     LG Date (right)
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
import jinja2
from docx.document import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Twips
from docxtpl import DocxTemplate

from ..errors import TemplateError
from ..packagetrust import refuse_untrusted
from .package import save_reproducibly, set_core_properties, strip_package
from .pages import add_page_furniture
from .profiles import DEFAULT_PROFILE, Profile
from .source import Control, Para, Source, Table, load_source, parse_source
from .styles import TABLE_STYLE, apply_profile
from .tables import column_widths

_ALIGN = {"left": WD_ALIGN_PARAGRAPH.LEFT, "center": WD_ALIGN_PARAGRAPH.CENTER,
          "right": WD_ALIGN_PARAGRAPH.RIGHT}


def build_template(source: dict | Source, profile: Profile) -> bytes:
    """Return the bytes of the .docx template for ``source`` in ``profile``."""
    src = parse_source(source)
    doc = docx.Document()
    body = doc.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    apply_profile(doc, profile)
    _compose(doc, src, profile)
    add_page_furniture(doc, profile)
    strip_package(doc)
    set_core_properties(doc, src.kind, f"lettergen house style: {profile.name}")
    data = save_reproducibly(doc)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        refuse_untrusted(f"{src.kind}.docx", {name: zf.read(name) for name in zf.namelist()})
    check_jinja(data, src.kind)
    return data


def build_all(source_dir: str | Path, out_dir: str | Path, profile: Profile) -> list[tuple[Path, bool]]:
    """Build every ``KIND.yaml`` in ``source_dir`` (skipping ``_*``) into ``out_dir``.

    Returns ``(path, changed)`` pairs; unchanged files are not rewritten, so
    their timestamps stay put.
    """
    src_dir, dst_dir = Path(source_dir), Path(out_dir)
    if not src_dir.is_dir():
        raise TemplateError(f"找不到模板源目录 {src_dir}")
    results = []
    for path in sorted(src_dir.glob("*.yaml")):
        if path.name.startswith("_"):
            continue
        src = load_source(path)
        if src.kind != path.stem:
            raise TemplateError(f"{path}：kind「{src.kind}」与文件名不一致")
        data = build_template(src, profile)
        target = dst_dir / f"{src.kind}.docx"
        changed = not target.is_file() or target.read_bytes() != data
        if changed:
            dst_dir.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        results.append((target, changed))
    return results


def template_dir_for(templates_dir: str | Path, profile_name: str) -> Path:
    """Where a profile's templates live: the default profile in ``templates_dir``
    itself, any other in a sub-folder named after it."""
    base = Path(templates_dir)
    return base if profile_name == DEFAULT_PROFILE else base / profile_name


def check_jinja(data: bytes, kind: str) -> None:
    """Parse the template as docxtpl will, so a broken tag fails the build."""
    tpl = DocxTemplate(io.BytesIO(data))
    tpl.init_docx()
    xml = tpl.patch_xml(tpl.xml_to_string(tpl.docx._element.body))
    try:
        jinja2.Environment().parse(xml)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"模板「{kind}」的 Jinja 语法错误：{exc.message}") from None


def _compose(doc: Document, src: Source, profile: Profile) -> None:
    add = doc.add_paragraph
    add("{{ number }}", style="LG Number")
    add(src.title.strip(), style="LG Title")
    add("{{ recipient.name }}：", style="LG Salutation")
    for n, block in enumerate(src.body, 1):
        if isinstance(block, Para):
            para = add(block.text.strip(), style=block.style)
            if n == len(src.body):  # the last lines of the body go with the closing
                para.paragraph_format.keep_with_next = True
        elif isinstance(block, Control):
            add(block.tag, style="LG Control")
        else:
            _add_table(doc, block, profile)
    for text, style in (
        ("{%p if attachments %}", "LG Control"),
        ("附件：", "LG Attachment"),
        ("{%p for a in attachments %}", "LG Control"),
        ("{{ loop.index }}. {{ a }}", "LG Attachment"),
        ("{%p endfor %}", "LG Control"),
        ("{%p endif %}", "LG Control"),
        ("此致", "LG Closing"),
        ("敬礼！", "LG Regards"),
        ("{{ sender.name }}", "LG Signature"),
        ("{{ contact.title }}：{{ contact.name }}", "LG Signature"),
        ("联系电话：{{ contact.phone }}", "LG Signature"),
        ("{%p if contact.email %}", "LG Control"),
        ("电子邮箱：{{ contact.email }}", "LG Signature"),
        ("{%p endif %}", "LG Control"),
        ("{{ letter_date|cn_date }}", "LG Date"),
    ):
        add(text, style=style)


def _fill(cell, text: str, style: str, align: str | None = None) -> None:
    para = cell.paragraphs[0]
    para.style = style
    if align:
        para.alignment = _ALIGN[align]
    if text:
        para.add_run(text)


def _add_table(doc: Document, spec: Table, profile: Profile) -> None:
    ncols = len(spec.columns)
    nrows = 4 + (1 if spec.footer else 0)
    table = doc.add_table(rows=nrows, cols=ncols)
    table.style = TABLE_STYLE
    table.autofit = False  # fixed layout: the measured widths, not the content's whim
    widths = column_widths(spec, profile)
    for row in table.rows:
        for cell, width in zip(row.cells, widths):
            cell.width = Twips(width)
    for i, width in enumerate(widths):
        table.columns[i].width = Twips(width)
    tblw = table._tbl.tblPr.find(qn("w:tblW"))
    tblw.set(qn("w:type"), "dxa")
    tblw.set(qn("w:w"), str(sum(widths)))
    header, loop_start, data, loop_end = table.rows[:4]
    header._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    for row in table.rows[1:]:  # a row never splits across pages
        row._tr.get_or_add_trPr().insert(0, OxmlElement("w:cantSplit"))
    for cell, col in zip(header.cells, spec.columns):
        _fill(cell, col.header, "LG Table Header")
    _fill(loop_start.cells[0], f"{{%tr for {spec.item} in {spec.rows} %}}", "LG Table Text")
    for cell, col in zip(data.cells, spec.columns):
        _fill(cell, col.value, "LG Table Text", col.align)
    _fill(loop_end.cells[0], "{%tr endfor %}", "LG Table Text")
    if spec.footer:
        row = table.rows[4]
        span = ncols - len(spec.footer) + 1
        first = row.cells[0].merge(row.cells[span - 1]) if span > 1 else row.cells[0]
        _fill(first, spec.footer[0], "LG Table Header")
        for j, text in enumerate(spec.footer[1:], start=span):
            _fill(row.cells[j], text, "LG Table Text", spec.columns[j].align)
