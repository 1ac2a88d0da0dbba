"""Templates for every feature docxtpl documents, built here with python-docx (and hand XML).

Each :class:`Feature` builds its template into a folder and makes the render
context for a given template object (docxtpl's ``DocxTemplate`` or
``lettergen.Template``: InlineImage, hyperlinks and sub-documents need it).
The differential suite renders each with docxtpl and with lettergen and
compares what a reader sees (:mod:`tests.docx_compare`).
"""
from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import docx
import jinja2
from docx.shared import Mm
from docxtpl import DocxTemplate


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A small solid-colour PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def assets(folder: Path) -> dict[str, Path]:
    """Pictures and a sub-document the features use."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, size, colour in (("seal", (40, 40), (200, 20, 20)), ("logo", (60, 20), (20, 20, 200)),
                               ("dummy", (10, 10), (128, 128, 128)), ("photo", (30, 30), (20, 160, 20))):
        out[name] = folder / f"{name}.png"
        out[name].write_bytes(png(*size, colour))
    sub = docx.Document()
    sub.add_heading("附件：服务条款", level=1)
    sub.add_paragraph("第一条 保修期内免费维修。", style="List Number")
    sub.add_paragraph("第二条 人为损坏不在保修范围。", style="List Number")
    table = sub.add_table(rows=2, cols=2)
    table.style = "Table Grid"
    table.cell(0, 0).text, table.cell(0, 1).text = "项目", "期限"
    table.cell(1, 0).text, table.cell(1, 1).text = "整机", "一年"
    sub.add_picture(str(out["photo"]), width=Mm(15))
    out["subdoc"] = folder / "terms.docx"
    sub.save(out["subdoc"])
    for n in range(1, 5):  # stand-ins for embedded workbooks: any bytes, told apart by content
        out[f"sheet{n}"] = folder / f"sheet{n}.xlsx"
        out[f"sheet{n}"].write_bytes(f"PK-workbook-{n}".encode() * (n + 3))
    return out


@dataclass
class Feature:
    """One documented docxtpl feature: a template builder and a context maker."""

    name: str
    build: Callable[[Path, dict[str, Path]], None]
    context: Callable[[Any, dict[str, Path]], dict[str, Any]]
    filters: dict[str, Callable[..., Any]] = field(default_factory=dict)
    prepare: Callable[[Any, dict[str, Path]], None] | None = None
    # parts where docxtpl is knowingly different (see README, deliberate differences)
    differs_in: tuple[str, ...] = ()


def _table(doc, rows: list[list[str]], style: str | None = "Table Grid"):
    table = doc.add_table(rows=len(rows), cols=len(rows[0]))
    if style:
        table.style = style
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    return table


def build_paragraphs(path: Path, a: dict) -> None:
    doc = document_of("尊敬的{{ name }}：", "{%p if show %}", "显示的段落，金额 {{ amount }} 元。", "{%p else %}",
                      "隐藏的段落", "{%p endif %}", "{#p 这是模板注释 #}", "{%p for item in items %}",
                      "{{ loop.index }}. {{ item }}", "{%p endfor %}", "特殊字符：{{ special }}",
                      "字面标记：{_{ not_a_tag }_} 与 {_% raw %_}")
    p = doc.add_paragraph("拆开的标记：")
    p.add_run("{")
    p.add_run("{ name }").bold = True
    p.add_run("}")
    doc.save(path)


def build_tables(path: Path, a: dict) -> None:
    doc = docx.Document()
    doc.add_paragraph("行循环：")
    _table(doc, [["品名", "数量", "金额"], ["{%tr for it in items %}", "", ""],
                 ["{{ it.desc }}", "{{ it.qty }}", "{{ it.price }}"], ["{%tr endfor %}", "", ""],
                 ["合计", "", "{{ total }}"]])
    doc.add_paragraph("列循环：")
    _table(doc, [["月份", "{%tc for m in months %}", "{{ m }}", "{%tc endfor %}"],
                 ["金额", "{%tc for v in values %}", "{{ v }}", "{%tc endfor %}"]])
    doc.add_paragraph("单元格跨列与底色：")
    table = _table(doc, [["{% colspan span %}跨列", "B", "C"], ["{% cellbg colour %}有底色", "E", "F"]])
    table.cell(0, 0).width = Mm(40)
    doc.add_paragraph("{%p for group in groups %}")
    doc.add_paragraph("分组：{{ group.name }}")
    _table(doc, [["{%tr for line in group.lines %}", ""], ["{{ line.k }}", "{{ line.v }}"], ["{%tr endfor %}", ""]])
    doc.add_paragraph("{%p endfor %}")
    doc.save(path)


def build_merges(path: Path, a: dict) -> None:
    doc = docx.Document()
    doc.add_paragraph("横向合并：")
    _table(doc, [["标题", "{%tc for c in cols %}", "{% hm %}{{ c }}", "{%tc endfor %}"],
                 ["行", "{%tc for c in cols %}", "{{ c }}", "{%tc endfor %}"]])
    doc.add_paragraph("纵向合并：")
    _table(doc, [["类别", "品名", "数量"], ["{%tr for it in items %}", "", ""],
                 ["{% vm %}{{ category }}", "{{ it.desc }}", "{{ it.qty }}"], ["{%tr endfor %}", "", ""]])
    doc.save(path)


def build_runs(path: Path, a: dict) -> None:
    doc = docx.Document()
    p = doc.add_paragraph()
    p.add_run("您好")
    p.add_run("{%r if vip %}")
    p.add_run("，尊贵的会员").bold = True
    p.add_run("{%r endif %}")
    p.add_run("，{{ name }}。")
    doc.add_paragraph("富文本：{{r rt }}")
    doc.add_paragraph("带链接：{{r link }}")
    doc.add_paragraph("{{p rp }}")
    doc.save(path)


def document_of(*texts: str) -> Any:
    """A python-docx document with one paragraph per text."""
    doc = docx.Document()
    for text in texts:
        doc.add_paragraph(text)
    return doc


def build_listing(path: Path, a: dict) -> None:
    document_of("清单：{{ listing }}", "多行：{{ multiline }}", "转义：{{ html }}", "已转义：{{ html|e }}",
                "我住在", "{%- if in_town -%}", " 城区", "{%- else -%}", " 乡村", "{%- endif -%}", "，我很喜欢。").save(path)


def build_headers(path: Path, a: dict) -> None:
    doc = docx.Document()
    section = doc.sections[0]
    hp = section.header.paragraphs[0]
    hp.add_run("{")
    hp.add_run("{ company }").italic = True
    hp.add_run("} 函件 {{ number }}")
    section.footer.paragraphs[0].text = "{# 页脚只有注释 #}"
    section.footer.add_paragraph("第{{ page_label }}页")
    section.different_first_page_header_footer = True
    section.first_page_header.paragraphs[0].text = "首页页眉：{{ company|upper }}"
    doc.add_paragraph("正文：{{ body }}")
    doc.save(path)


def build_notes(path: Path, a: dict) -> None:
    doc = docx.Document()
    p = doc.add_paragraph("正文带脚注与尾注：{{ name }}")
    doc.add_comment(p.runs, text="审核：{{ reviewer }}", author="lettergen")
    p.add_run("[fn]")
    doc.save(path)
    _add_notes(path)


_FOOTNOTES = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:{kind}s xmlns:w="http://schemas.openxmlformats.org/'
              'wordprocessingml/2006/main"><w:{kind} w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:{kind}>'
              '<w:{kind} w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r></w:p></w:{kind}>'
              '<w:{kind} w:id="1"><w:p><w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p></w:{kind}></w:{kind}s>')


def _add_notes(path: Path) -> None:
    with zipfile.ZipFile(path) as zf:
        parts = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    parts["word/footnotes.xml"] = _FOOTNOTES.format(kind="footnote", text="脚注：{{ footnote }}").encode()
    parts["word/endnotes.xml"] = _FOOTNOTES.format(kind="endnote", text="尾注：{{ endnote }}").encode()
    doc = parts["word/document.xml"].decode()
    doc = doc.replace("<w:t>[fn]</w:t>", '<w:footnoteReference w:id="1"/></w:r><w:r><w:endnoteReference w:id="1"/>')
    parts["word/document.xml"] = doc.encode()
    rels = parts["word/_rels/document.xml.rels"].decode()
    base = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
    rels = rels.replace("</Relationships>", f'<Relationship Id="rId90" Type="{base}footnotes" Target="footnotes.xml"/>'
                        f'<Relationship Id="rId91" Type="{base}endnotes" Target="endnotes.xml"/></Relationships>')
    parts["word/_rels/document.xml.rels"] = rels.encode()
    ct = parts["[Content_Types].xml"].decode()
    wml = "application/vnd.openxmlformats-officedocument.wordprocessingml."
    ct = ct.replace("</Types>", f'<Override PartName="/word/footnotes.xml" ContentType="{wml}footnotes+xml"/>'
                    f'<Override PartName="/word/endnotes.xml" ContentType="{wml}endnotes+xml"/></Types>')
    parts["[Content_Types].xml"] = ct.encode()
    write_parts(path, parts)


def write_parts(path: Path, parts: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, blob in parts.items():
            zf.writestr(name, blob)


def edit_part(path: Path, part: str, edit: Callable[[str], str]) -> None:
    with zipfile.ZipFile(path) as zf:
        parts = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    parts[part] = edit(parts[part].decode("utf-8")).encode("utf-8")
    write_parts(path, parts)


def build_quoted(path: Path, a: dict) -> None:
    """Quotes inside tags stored as entities, as LibreOffice and WPS store them."""
    doc = docx.Document()
    doc.add_paragraph("称呼：{{ name or \"客户\" }}，级别：{{ 'VIP' if vip else \"普通\" }}")
    doc.sections[0].header.paragraphs[0].text = "{{ company ~ '（盖章）' }}"
    doc.save(path)
    for part in ("word/document.xml", "word/header1.xml"):
        edit_part(path, part, lambda xml: re.sub(r">[^<]*<", lambda m: m.group().replace('"', "&quot;").replace("'", "&apos;"), xml))


def build_images(path: Path, a: dict) -> None:
    doc = docx.Document()
    doc.sections[0].header.paragraphs[0].text = "页眉标志：{{ logo }}"
    doc.add_paragraph("正文印章：{{ seal }}")
    table = _table(doc, [["图片", "{{ photo }}"]])
    table.cell(0, 0).width = Mm(20)
    doc.add_paragraph("{%p for pic in pics %}")
    doc.add_paragraph("第{{ loop.index }}张：{{ pic }}")
    doc.add_paragraph("{%p endfor %}")
    doc.save(path)


def build_replace(path: Path, a: dict) -> None:
    doc = docx.Document()
    doc.sections[0].header.paragraphs[0].add_run().add_picture(str(a["logo"]), width=Mm(20))
    doc.add_paragraph("替换图片：")
    shape = doc.add_picture(str(a["dummy"]), width=Mm(10))
    for props in (shape._inline.docPr, shape._inline.graphic.graphicData.pic.nvPicPr.cNvPr):
        props.set("descr", "dummy.png")  # the alt text survives a LibreOffice round trip, the name does not
    doc.add_paragraph("{{ name }}")
    doc.save(path)


def build_subdoc(path: Path, a: dict) -> None:
    document_of("以下为子文档：", "{{p built }}", "{{p loaded }}", "结束，{{ name }}").save(path)


def build_core(path: Path, a: dict) -> None:
    doc = docx.Document()
    doc.core_properties.title = "{{ title }}"
    doc.core_properties.subject = "关于{{ subject }}的函"
    doc.core_properties.author = "{{ author }}"
    doc.core_properties.comments = "固定说明"
    doc.add_paragraph("{{ title }}")
    doc.save(path)


def build_filters(path: Path, a: dict) -> None:
    doc = docx.Document()
    doc.add_paragraph("金额：{{ amount|yuan }}，客户：{{ name|shout }}")
    doc.save(path)


def build_more_tables(path: Path, a: dict) -> None:
    """Fewer cells after a column loop, nested vertical merges, row and cell comments."""
    doc = document_of("列变少：")
    _table(doc, [["{%tc for c in cols %}", "{{ c }}", "{%tc endfor %}", "尾"],
                 ["{%tc for c in cols %}", "{{ c }}x", "{%tc endfor %}", "d"]])
    doc.add_paragraph("嵌套纵向合并：")
    _table(doc, [["{%tr for g in groups %}", "", ""], ["{%tr for it in g.lines %}", "", ""],
                 ["{% vm %}{{ g.name }}", "{{ it }}", "{#tc 单元格注释 #}"], ["{%tr endfor %}", "", ""],
                 ["{%tr endfor %}", "", ""], ["{#tr 行注释 #}", "", ""]])
    doc.add_paragraph("  前导空格 {{ word }}  与尾随空格  ")
    doc.save(path)


def build_more_text(path: Path, a: dict) -> None:
    """Entities in headers, RichText inside {%r if %}, R() with paragraphs, East Asian fonts."""
    doc = document_of("{%p if show %}", "{{r red }}", "{%p endif %}", "{{r shortcut }}", "{{r eastasia }}")
    doc.sections[0].header.paragraphs[0].text = "A&B <公司> “{{ title }}” ‘{{ title|upper }}’"
    doc.save(path)


_EMBEDDED = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/package"


def build_embedded(path: Path, a: dict) -> None:
    """Two embedded workbooks (as Word stores OLE packages), replaced by content and by zip name."""
    document_of("嵌入对象：{{ name }}").save(path)
    with zipfile.ZipFile(path) as zf:
        parts = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    for n, blob in ((1, a["sheet1"].read_bytes()), (2, a["sheet2"].read_bytes())):
        parts[f"word/embeddings/sheet{n}.xlsx"] = blob
    rels = parts["word/_rels/document.xml.rels"].decode()
    parts["word/_rels/document.xml.rels"] = rels.replace("</Relationships>", "".join(
        f'<Relationship Id="rId8{n}" Type="{_EMBEDDED}" Target="embeddings/sheet{n}.xlsx"/>' for n in (1, 2))
        + "</Relationships>").encode()
    types = parts["[Content_Types].xml"].decode()
    parts["[Content_Types].xml"] = types.replace("</Types>", '<Default Extension="xlsx" ContentType="application/'
                                                 'vnd.openxmlformats-officedocument.spreadsheetml.sheet"/></Types>').encode()
    write_parts(path, parts)


def _embedded(tpl: Any, a: dict) -> None:
    tpl.replace_embedded(str(a["sheet1"]), str(a["sheet3"]))
    tpl.replace_zipname("word/embeddings/sheet2.xlsx", str(a["sheet4"]))


def _richtext(tpl: Any) -> dict[str, Any]:
    from docxtpl import RichText, RichTextParagraph
    rt = RichText("加粗", bold=True)
    rt.add("、斜体", italic=True)
    rt.add("、红色 <&>", color="#ff0000")
    rt.add("\n第二行", size=20)
    link = RichText("请访问")
    link.add("官网", url_id=tpl.build_url_id("https://example.com/禾丰"), underline=True, color="#0000ff")
    rp = RichTextParagraph()
    rp.add("新段落的富文本", parastyle="Heading 2")
    return {"rt": rt, "link": link, "rp": rp}


def _more_text(tpl: Any) -> dict[str, Any]:
    from docxtpl import R, RichText
    return {"show": True, "title": "A&B <x>", "red": RichText("红字 <&>", color="ff0000"),
            "shortcut": R("第一段\a第二段\f分页后", bold=True), "eastasia": RichText("测试TEST", font="eastAsia:微软雅黑")}


def _images(tpl: Any, a: dict) -> dict[str, Any]:
    from docxtpl import InlineImage
    return {"logo": InlineImage(tpl, str(a["logo"]), width=Mm(20)),
            "seal": InlineImage(tpl, str(a["seal"]), width=Mm(25), height=Mm(25)),
            "photo": InlineImage(tpl, str(a["photo"]), width=Mm(15), anchor="https://example.com/照片"),
            "pics": [InlineImage(tpl, str(a["seal"]), width=Mm(10)), InlineImage(tpl, str(a["photo"]), width=Mm(10)),
                     InlineImage(tpl, str(a["seal"]), width=Mm(12))]}


def _subdoc(tpl: Any, a: dict) -> dict[str, Any]:
    built = tpl.new_subdoc()
    built.add_paragraph("子文档段落一")
    built.add_paragraph("子文档段落二")
    return {"built": built, "loaded": tpl.new_subdoc(str(a["subdoc"])), "name": "钱女士"}


def _replace(tpl: Any, a: dict) -> None:
    tpl.replace_pic("dummy.png", str(a["seal"]))
    tpl.replace_media(str(a["logo"]), str(a["photo"]))


ITEMS = [{"desc": "空调 <KFR-35>", "qty": 2, "price": "6,400.00"}, {"desc": "冰箱 & 冷柜", "qty": 1, "price": "3,200.00"}]

FEATURES = [
    Feature("paragraphs", build_paragraphs, lambda tpl, a: {
        "name": "钱女士", "show": True, "amount": "1,200.00", "items": ["第一项", "第二项 <b>", "第三项"],
        "special": "A&B <公司> \"引号\" 'x' {{ 数据里的花括号 }}"}),
    Feature("tables", build_tables, lambda tpl, a: {
        "items": ITEMS, "total": "9,600.00", "months": ["一月", "二月", "三月", "四月"], "values": [1, 2, 3, 4],
        "span": 2, "colour": "FFCC00",
        "groups": [{"name": "甲", "lines": [{"k": "a", "v": 1}, {"k": "b", "v": 2}]}, {"name": "乙", "lines": [{"k": "c", "v": 3}]}]}),
    Feature("merges", build_merges, lambda tpl, a: {"cols": ["一", "二", "三"], "items": ITEMS, "category": "家电"}),
    Feature("runs", build_runs, lambda tpl, a: {"vip": True, "name": "钱女士", **_richtext(tpl)}),
    Feature("listing", build_listing, lambda tpl, a: {
        "listing": __import__("docxtpl").Listing("第一行\n第二行\t制表\a新段落 <&>\f分页后"),
        "multiline": "甲行\n乙行\t丙", "html": "<b>粗体</b> & 其他", "in_town": True}),
    Feature("headers", build_headers, lambda tpl, a: {"company": "Hefeng 禾丰", "number": "禾丰函〔2026〕1号",
                                                      "page_label": "一", "body": "内容"}),
    Feature("notes", build_notes, lambda tpl, a: {"name": "钱女士", "reviewer": "王敏", "footnote": "依据合同第3条",
                                                  "endnote": "完"}, differs_in=("word/endnotes.xml", "word/comments.xml")),
    Feature("quoted", build_quoted, lambda tpl, a: {"name": "", "vip": True, "company": "禾丰"}),
    Feature("images", build_images, lambda tpl, a: _images(tpl, a)),
    Feature("replace", build_replace, lambda tpl, a: {"name": "钱女士"}, prepare=_replace),
    Feature("subdoc", build_subdoc, _subdoc),
    Feature("more_tables", build_more_tables, lambda tpl, a: {
        "cols": ["唯一"], "word": "词", "groups": [{"name": "甲", "lines": [1, 2]}, {"name": "乙", "lines": [3]}]}),
    Feature("more_text", build_more_text, lambda tpl, a: _more_text(tpl)),
    Feature("embedded", build_embedded, lambda tpl, a: {"name": "钱女士"}, prepare=_embedded),
    Feature("core", build_core, lambda tpl, a: {"title": "催款通知 <第1号> & 附件", "subject": "货款", "author": "禾丰"},
            differs_in=("core",)),
    Feature("filters", build_filters, lambda tpl, a: {"amount": 1234.5, "name": "qian"},
            filters={"yuan": lambda v: f"¥{v:,.2f}", "shout": lambda v: str(v).upper() + "！"}),
]


def render_docxtpl(path: Path, feature: Feature, pictures: dict) -> bytes:
    """The oracle: ``feature`` rendered by stock docxtpl (autoescape on)."""
    tpl = DocxTemplate(str(path))
    env = jinja2.Environment(autoescape=True)
    env.filters.update(feature.filters)
    if feature.prepare:
        feature.prepare(tpl, pictures)
    tpl.render(feature.context(tpl, pictures), env, autoescape=True)
    buf = io.BytesIO()
    tpl.save(buf)
    return buf.getvalue()
