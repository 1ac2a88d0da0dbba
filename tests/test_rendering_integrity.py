"""The renderer's fixes for docxtpl templates, and the integrity check that refuses a damaged letter.

Each bug of issue 9 has a test through ``load_template(path).render`` (the
renderer every letter goes through); each defect the integrity check catches
has a test with a template or a render that produces it.
"""
from __future__ import annotations

import io
import zipfile
from collections import Counter
from pathlib import Path

import docx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from docx.shared import Mm
from lxml import etree

import lettergen
from lettergen.errors import TemplateError
from lettergen.rendering import load_template
from lettergen.rendering.integrity import check_letter_parts

from .docx_compare import normalise
from .docx_features import assets, build_headers, build_quoted, build_tables, document_of, write_parts


def _parts(docx_bytes: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(docx_bytes)) as zf:
        return {i.filename: zf.read(i.filename) for i in zf.infolist()}


def test_quotes_stored_as_entities_compile_and_render(tmp_path):
    path = tmp_path / "quoted.docx"
    build_quoted(path, {})
    assert b"&quot;" in _parts(path.read_bytes())["word/document.xml"]
    out = normalise(load_template(path).render({"name": "", "vip": False, "company": "禾丰"}))
    assert out["word/document.xml"]["paragraphs"] == ["称呼：客户，级别：普通"]
    assert out["word/header1.xml"]["paragraphs"] == ["禾丰（盖章）"]


def test_tag_split_across_runs_in_a_header_is_rendered_and_comment_only_footer_too(tmp_path):
    path = tmp_path / "headers.docx"
    build_headers(path, {})
    out = normalise(load_template(path).render({"company": "禾丰", "number": "1号", "page_label": "一", "body": "x"}))
    assert out["word/header1.xml"]["paragraphs"] == ["禾丰 函件 1号"]
    assert out["word/footer1.xml"]["paragraphs"] == ["", "第一页"]  # the {# … #} is gone


def test_header_whose_only_tag_is_split_across_runs_is_rendered(tmp_path):
    doc = document_of("正文")
    paragraph = doc.sections[0].header.paragraphs[0]
    for text in ("{", "{ company }", "}"):
        paragraph.add_run(text).bold = text == "{ company }"
    doc.save(tmp_path / "split.docx")
    out = normalise(load_template(tmp_path / "split.docx").render({"company": "禾丰"}))
    assert out["word/header1.xml"]["paragraphs"] == ["禾丰"]


def test_part_with_only_comments_is_rendered(tmp_path):
    path = tmp_path / "comment.docx"
    doc = document_of("正文")
    doc.sections[0].header.paragraphs[0].text = "{# 仅供起草人参考 #}页眉"
    doc.save(path)
    out = normalise(load_template(path).render({}))
    assert out["word/header1.xml"]["paragraphs"] == ["页眉"]


def test_core_properties_are_rendered_and_escaped_once(tmp_path):
    path = tmp_path / "core.docx"
    doc = document_of("{{ title }}")
    doc.core_properties.title = "{{ title }}"
    doc.core_properties.subject = "关于{{ subject }}的函"
    doc.core_properties.author = "{{ author }}"
    doc.save(path)
    out = load_template(path).render({"title": "催款 <1> & 2", "subject": "货款", "author": "禾丰 {_{ x }_}"})
    props = docx.Document(io.BytesIO(out)).core_properties
    assert (props.title, props.subject, props.author) == ("催款 <1> & 2", "关于货款的函", "禾丰 {_{ x }_}")


def test_table_grid_follows_the_cells_after_tc_loops(tmp_path):
    path = tmp_path / "tables.docx"
    build_tables(path, {})
    context = {"items": [], "total": "0", "months": list("一二三四五"), "values": [1, 2, 3, 4, 5], "span": 1,
               "colour": "FFFFFF", "groups": []}
    tables = normalise(load_template(path).render(context))["word/document.xml"]["tables"]
    assert tables[1]["grid"] == 6 and [len(r) for r in tables[1]["rows"]] == [6, 6]


def test_picture_repeated_in_a_body_loop_gets_unique_drawing_ids(tmp_path):
    a = assets(tmp_path / "a")
    doc = document_of("{%p for i in items %}")
    doc.add_picture(str(a["seal"]), width=Mm(10))
    doc.add_paragraph("{%p endfor %}")
    doc.save(tmp_path / "loop.docx")
    out = load_template(tmp_path / "loop.docx").render({"items": [1, 2, 3]})
    ids = [e.get("id") for e in etree.fromstring(_parts(out)["word/document.xml"]).iter(
        "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr")]
    assert ids == ["1001", "1002", "1003"]  # as docxtpl numbers them


def test_inline_image_and_custom_filter(tmp_path):
    a = assets(tmp_path / "a")
    document_of("{{ seal }} {{ amount|yuan }}").save(tmp_path / "img.docx")
    tpl = lettergen.Template(tmp_path / "img.docx", filters={"yuan": lambda v: f"¥{v:,.2f}"})
    out = tpl.render({"seal": lettergen_inline_image(tpl, a["seal"]), "amount": 1200})
    paragraphs = normalise(out)["word/document.xml"]["paragraphs"]
    assert len(paragraphs) == 1 and paragraphs[0].startswith("[图:") and paragraphs[0].endswith(" ¥1,200.00")
    assert "word/media/image1.png" in _parts(out) and b'Extension="png"' in _parts(out)["[Content_Types].xml"]


def lettergen_inline_image(tpl, path: Path):
    from docxtpl import InlineImage
    return InlineImage(tpl, str(path), width=Mm(20))


# -- the integrity check: one test per defect -------------------------------------------------

def test_leftover_tag_is_refused(tmp_path):
    xml = '<w:document xmlns:w="w"><w:p><w:r><w:t>{</w:t></w:r><w:r><w:t>{ name }}</w:t></w:r></w:p></w:document>'
    with pytest.raises(TemplateError, match="未处理的模板标记"):
        check_letter_parts("t", {"word/document.xml": xml.encode()}, {"word/document.xml": xml}, data_tags=0)
    check_letter_parts("t", {"word/document.xml": xml.encode()}, {"word/document.xml": xml}, data_tags=1)  # from data


def test_tags_in_a_chart_or_smartart_are_refused(tmp_path):
    path = tmp_path / "chart.docx"
    document_of("{{ name }}").save(path)
    with zipfile.ZipFile(path) as zf:
        parts = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    parts["word/charts/chart1.xml"] = b'<c:chartSpace xmlns:c="c"><c:t>{{ name }}</c:t></c:chartSpace>'
    write_parts(path, parts)
    with pytest.raises(TemplateError, match="chart1.xml"):
        load_template(path)


def test_data_that_looks_like_a_tag_is_text(tmp_path):
    document_of("{{ name }}").save(tmp_path / "t.docx")
    out = load_template(tmp_path / "t.docx").render({"name": "{{ x }} {% if %} {# c #}"})
    assert normalise(out)["word/document.xml"]["paragraphs"] == ["{{ x }} {% if %} {# c #}"]


def test_undefined_relationship_is_refused(tmp_path):
    from docxtpl import RichText
    document_of("{{r link }}").save(tmp_path / "link.docx")
    link = RichText("官网", url_id="rId77")  # an id no relationship defines
    with pytest.raises(TemplateError, match="rId77"):
        load_template(tmp_path / "link.docx").render({"link": link})


def test_hyperlink_id_built_for_the_body_used_in_a_header_is_refused(tmp_path):
    from docxtpl import RichText
    doc = document_of("正文")
    doc.sections[0].header.paragraphs[0].text = "{{r link }}"
    doc.save(tmp_path / "h.docx")
    tpl = lettergen.Template(tmp_path / "h.docx")
    with pytest.raises(TemplateError, match="header1.xml"):  # docxtpl writes a dangling link here
        tpl.render({"link": RichText("官网", url_id=tpl.build_url_id("https://example.com"))})


def test_repeated_drawing_id_is_refused(tmp_path):
    a = assets(tmp_path / "a")
    doc = document_of("正文")
    header = doc.sections[0].header
    header.paragraphs[0].text = "{%p for i in items %}"
    header.add_paragraph().add_run().add_picture(str(a["logo"]), width=Mm(10))
    header.add_paragraph("{%p endfor %}")
    doc.save(tmp_path / "dup.docx")
    template = load_template(tmp_path / "dup.docx")
    template.render({"items": [1]})
    with pytest.raises(TemplateError, match="图形编号重复"):  # docxtpl renumbers only the body
        template.render({"items": [1, 2]})


def test_malformed_xml_is_refused(tmp_path):
    doc = document_of("前文")
    doc.add_table(rows=1, cols=1).cell(0, 0).text = "单元格{% if show %}"
    doc.add_paragraph("{% endif %}后文")
    doc.save(tmp_path / "bad.docx")
    template = load_template(tmp_path / "bad.docx")
    template.render({"show": True})
    with pytest.raises(TemplateError, match="不是合法的 XML"):
        template.render({"show": False})


def test_docpr_counter_sees_every_part(tmp_path):
    parts = {"word/document.xml": b'<w:document xmlns:w="w" xmlns:wp="wp"><wp:docPr id="5"/></w:document>',
             "word/header1.xml": b'<w:hdr xmlns:w="w" xmlns:wp="wp"><wp:docPr id="5"/></w:hdr>'}
    with pytest.raises(TemplateError, match="id=5"):
        check_letter_parts("t", parts, {"word/document.xml": parts["word/document.xml"].decode()}, 0, Counter({b"5": 1}))



def test_inline_image_with_the_compiled_template_in_body_table_header_and_loop(tmp_path):
    """What a letter's context does: ``InlineImage(load_template(path), …)``."""
    from docxtpl import InlineImage
    a = assets(tmp_path / "a")
    doc = document_of("{{ seal }}", "{%p for p in pics %}", "{{ p }}", "{%p endfor %}")
    doc.add_table(rows=1, cols=1).cell(0, 0).text = "{{ logo }}"
    doc.sections[0].header.paragraphs[0].text = "{{ logo }}"
    doc.save(tmp_path / "letter.docx")
    template = load_template(tmp_path / "letter.docx")
    context = {"seal": InlineImage(template, str(a["seal"]), width=Mm(30)),
               "logo": InlineImage(template, str(a["logo"]), width=Mm(20)),
               "pics": [InlineImage(template, str(a["photo"]), width=Mm(10))] * 2}
    out = normalise(template.render(context))
    body, header = out["word/document.xml"]["paragraphs"], out["word/header1.xml"]["paragraphs"]
    assert [p[:3] for p in body] == ["[图:"] * 4 and header[0].startswith("[图:") and out["drawing ids unique"]
    assert body[1] == body[2] != body[0]  # the loop shows the same picture twice, one media part
    assert sum(name.startswith("word/media/") for name in _parts(template.render(context))) == 3


def test_filter_registered_through_the_api_serves_letters_too(tmp_path):
    from lettergen.rendering import environment
    document_of("{{ amount|wan }}").save(tmp_path / "f.docx")
    with pytest.raises(TemplateError, match="wan"):
        load_template(tmp_path / "f.docx")
    try:
        lettergen.register_filter("wan", lambda v: f"{v / 10000:g}万元")
        assert normalise(load_template(tmp_path / "f.docx").render({"amount": 25000}))["word/document.xml"]["paragraphs"] == ["2.5万元"]
        assert normalise(lettergen.Template(tmp_path / "f.docx").render({"amount": 1e4}))["word/document.xml"]["paragraphs"] == ["1万元"]
    finally:
        environment.REGISTERED_FILTERS.pop("wan")
        from lettergen.rendering.compiled import default_environment
        default_environment().filters.pop("wan")


# -- deliberate differences from docxtpl: refused, naming the template, the part and the paragraph ---

@pytest.mark.parametrize("paragraph, context, reason", [
    ("收件人：{{ recipient.name }}", {"recipient": {}}, "has no attribute 'name'"),
    ("称呼：{{ salutation }}", {}, "'salutation' is undefined"),
    ("{{ ''.__class__.__mro__ }}", {}, "unsafe"),
    ("{{ 'a'*10**9 }}", {}, "过大"),
])
def test_deliberate_difference_names_template_part_and_paragraph(tmp_path, paragraph, context, reason):
    doc = document_of("第一段", paragraph)
    doc.sections[0].header.paragraphs[0].text = paragraph
    doc.save(tmp_path / "letter.docx")
    with pytest.raises(TemplateError) as info:
        load_template(tmp_path / "letter.docx").render(context)
    message = str(info.value)
    assert "letter" in message and reason in message
    assert "（word/document.xml，第2段「" + paragraph[:20] in message or "（word/header1.xml，第1段「" + paragraph[:20] in message


def test_none_prints_as_nothing(tmp_path):
    document_of("备注：{{ note }}。").save(tmp_path / "none.docx")
    assert normalise(load_template(tmp_path / "none.docx").render({"note": None}))["word/document.xml"]["paragraphs"] == ["备注：。"]


def test_same_picture_id_in_two_static_headers_is_the_templates_own(tmp_path):
    """python-docx numbers pictures per part: two headers with a logo both have id 1; rendering adds nothing wrong."""
    a = assets(tmp_path / "a")
    doc = document_of("{{ name }}")
    section = doc.sections[0]
    section.different_first_page_header_footer = True
    for header in (section.header, section.first_page_header):
        header.paragraphs[0].add_run().add_picture(str(a["logo"]), width=Mm(10))
    doc.save(tmp_path / "logos.docx")
    out = normalise(load_template(tmp_path / "logos.docx").render({"name": "钱女士"}))
    assert out["word/document.xml"]["paragraphs"] == ["钱女士"] and not out["drawing ids unique"]


def test_control_character_in_data_is_named_not_blamed_on_the_template(tmp_path):
    document_of("{{ x }}").save(tmp_path / "ctl.docx")
    with pytest.raises(TemplateError, match="控制字符（U\\+0001"):
        load_template(tmp_path / "ctl.docx").render({"x": "a\x01b"})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.lists(st.text(st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\ufffe\uffff"),
                             max_size=5)
                     | st.sampled_from(["{{", "}}", "{%", "%}", "{#", "{_{", "<", "&", "\"", "'", "\n", "\t", " "]),
                     max_size=12).map("".join))
@example(text="{\n%")  # the newline becomes a <w:br/> between "{" and "%": still the data's text
@example(text="{\t{")
def test_any_text_data_is_printed_literally(tmp_path, text):
    path = tmp_path / "literal.docx"
    if not path.exists():
        document_of("前{{ value }}后").save(path)
    paragraphs = normalise(load_template(path).render({"value": text}))["word/document.xml"]["paragraphs"]
    assert paragraphs == [f"前{text}后"]


def test_compiled_template_cache_is_bounded(tmp_path, monkeypatch):
    from lettergen.rendering import compiled
    monkeypatch.setattr(compiled, "CACHE_SIZE", 2)
    paths = []
    for i in range(3):
        document_of(f"{{{{ x }}}} {i}").save(tmp_path / f"t{i}.docx")
        paths.append(tmp_path / f"t{i}.docx")
    first = load_template(paths[0])
    assert load_template(paths[0]) is first
    load_template(paths[1]), load_template(paths[2])
    assert load_template(paths[0]) is not first  # evicted, compiled again
    assert len(compiled._cache) <= 2


def test_a_letter_whose_table_the_house_style_refits_is_still_refused_when_damaged(project_config, sample_data):
    """The refit (an XML parser's output) spares the second parse of word/document.xml; a
    control character makes that parser fail, so the check still parses and names it."""
    from lettergen.housestyle.tablefit import fit_document
    from lettergen.letters import prepare, template_for

    context = {"corrects": None, **prepare("payment_reminder", sample_data("payment_reminder"), project_config).context}
    template = template_for(project_config, "payment_reminder")
    assert fit_document.returns_parsed_xml
    refitted = template.render({**context, "number": "1号"}, document_hook=fit_document)
    assert refitted != template.render({**context, "number": "1号"})  # the hook did change the table
    context["recipient"] = {**context["recipient"], "name": "禾丰\x01贸易"}
    with pytest.raises(TemplateError, match="控制字符（U\\+0001"):
        template.render({**context, "number": "1号"}, document_hook=fit_document)


def test_a_hook_that_does_not_say_it_parsed_its_output_has_it_checked(tmp_path):
    document_of("前文{{ x }}").save(tmp_path / "plain.docx")
    template = load_template(tmp_path / "plain.docx")

    def broken(xml, part):
        return xml.replace(b"</w:body>", b"")

    with pytest.raises(TemplateError, match="不是合法的 XML"):
        template.render({"x": 1}, document_hook=broken)
    broken.returns_parsed_xml = False
    with pytest.raises(TemplateError, match="不是合法的 XML"):
        template.render({"x": 1}, document_hook=broken)
