"""Layout checker: a good letter passes; each real defect is caught."""
from __future__ import annotations

import io
from datetime import date

import docx
import pytest
from click.testing import CliRunner
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from lettergen.errors import CheckFailed
from lettergen.housestyle import PROFILES, Resolver, build_template, check_letter, load_profile
from lettergen.housestyle.locate import locate
from tests.test_housestyle_build import example_source, render, render_example


def failures(data, profile=None):
    return sorted({f.code for f in check_letter(data, profile) if f.is_failure()})


def edit(data: bytes, change) -> bytes:
    doc = docx.Document(io.BytesIO(data))
    change(doc)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def para(doc, style: str, nth: int = 0):
    return [p for p in doc.paragraphs if p.style.name == style][nth]


@pytest.fixture(scope="module")
def good() -> bytes:
    return render_example("song")


@pytest.mark.parametrize("name", PROFILES)
def test_rendered_letters_pass(name):
    data = render_example(name)
    assert failures(data) == []
    assert failures(data, load_profile(name)) == []
    assert [f.code for f in check_letter(data, load_profile(name))] == ["indent-form"]


def _rename_lg_styles(doc):
    for style in doc.styles.element.findall(qn("w:style")):
        name = style.find(qn("w:name"))
        name.set(qn("w:val"), name.get(qn("w:val")).replace("LG ", "Custom "))


def test_letter_without_lg_styles_is_read_by_structure(good):
    plain = edit(good, _rename_lg_styles)
    assert failures(plain) == []
    parts = locate(Resolver.from_document(docx.Document(io.BytesIO(plain))), 8306)
    assert not parts.by_style
    assert parts.title.text == "关于支付货款的函" and parts.number.text.endswith("12号")
    assert parts.salutation.text == "上海某某贸易有限公司：" and parts.closing.text == "此致"
    assert [b.line.text for b in parts.body if not b.needs_indent] == ["户名：华贸实业有限公司", "开户行：中国银行上海分行", "附件："]
    assert [ln.text for ln in parts.signature][0] == "华贸实业有限公司" and parts.date.text == "2026年11月22日"


def test_structure_mode_catches_date_above_signature_and_missing_indent(good):
    def damage(doc):
        _rename_lg_styles(doc)
        body = [p for p in doc.paragraphs if p.style.name == "Custom Body"][0]
        ind = OxmlElement("w:ind")
        ind.set(qn("w:firstLineChars"), "0")
        ind.set(qn("w:firstLine"), "0")
        body._p.get_or_add_pPr().append(ind)
        signature = [p for p in doc.paragraphs if p.style.name == "Custom Signature"]
        dated = [p for p in doc.paragraphs if p.style.name == "Custom Date"][0]
        signature[0]._p.addprevious(dated._p)
    assert failures(edit(good, damage)) == ["date-above-signature", "indent"]


def test_profile_mismatch_reports_margins_font_and_size():
    codes = failures(render_example("fangsong"), load_profile("song"))
    assert {"margin", "body-font", "body-size"} <= set(codes)


def test_template_without_east_asian_font_is_caught():
    template = build_template(example_source(), load_profile("song"))

    def drop_east_asia(doc):
        for rfonts in doc.styles.element.iter(qn("w:rFonts")):
            rfonts.attrib.pop(qn("w:eastAsia"), None)
    findings = check_letter(render(edit(template, drop_east_asia)))
    font = [f for f in findings if f.code == "body-font"]
    assert font and "未设置" in font[0].message and font[0].paragraph_index is not None


def test_body_paragraph_without_indent(good):
    def no_indent(doc):
        ind = OxmlElement("w:ind")
        ind.set(qn("w:firstLineChars"), "0")
        ind.set(qn("w:firstLine"), "0")
        para(doc, "LG Body", 1)._p.get_or_add_pPr().append(ind)
    findings = [f for f in check_letter(edit(good, no_indent)) if f.code == "indent"]
    assert len(findings) == 1 and findings[0].paragraph_text.startswith("本函为最后一次催告")


def test_indent_in_twips_only_is_accepted_and_noted(good):
    def twips_only(doc):
        for p in doc.paragraphs:
            p._p.get_or_add_pPr()
        for st in doc.styles.element.iter(qn("w:ind")):
            st.attrib.pop(qn("w:firstLineChars"), None)
    findings = check_letter(edit(good, twips_only))
    assert not [f for f in findings if f.is_failure()]
    assert [f.severity for f in findings if f.code == "indent-form"] == ["info"]


def test_right_aligned_body_paragraph(good):
    def right(doc):
        para(doc, "LG Body").alignment = WD_ALIGN_PARAGRAPH.RIGHT
    assert failures(edit(good, right)) == ["body-align"]


def test_title_not_centred_and_not_larger(good):
    def left(doc):
        para(doc, "LG Title").alignment = WD_ALIGN_PARAGRAPH.LEFT
    assert failures(edit(good, left)) == ["title-not-centred"]

    def small(doc):
        for run in para(doc, "LG Title").runs:
            run.font.size = Pt(12)
    assert failures(edit(good, small)) == ["title-not-larger"]


@pytest.mark.parametrize("text, code", [
    ("2026年01月05日", "date-format"),
    ("2026-11-22", "date-format"),
    ("二〇二六年十一月二十二日", "date-format"),
    ("2026年2月30日", "date-invalid"),
])
def test_date_in_the_wrong_form(good, text, code):
    def retext(doc):
        p = para(doc, "LG Date")
        p.runs[0].text = text
    assert failures(edit(good, retext)) == [code]


def test_date_not_at_the_right(good):
    def left(doc):
        para(doc, "LG Date").alignment = WD_ALIGN_PARAGRAPH.LEFT
    assert failures(edit(good, left)) == ["date-not-right"]


def test_date_above_the_signature(good):
    def move(doc):
        para(doc, "LG Signature")._p.addprevious(para(doc, "LG Date")._p)
    assert failures(edit(good, move)) == ["date-above-signature"]


def test_signature_not_at_the_right(good):
    def left(doc):
        para(doc, "LG Signature", 1).alignment = WD_ALIGN_PARAGRAPH.LEFT
    assert failures(edit(good, left)) == ["signature-not-right"]


def test_missing_or_misformatted_document_number(good):
    def remove(doc):
        p = para(doc, "LG Number")._p
        p.getparent().remove(p)
    assert failures(edit(good, remove)) == ["number-missing"]
    assert failures(render_example(number="华贸催函[2026]12号")) == ["number-format"]
    assert failures(render_example(number="华贸催函〔2026〕第012号")) == ["number-format"]


def test_leftover_tags_and_empty_values():
    findings = check_letter(render_example(payee={"account_name": "华贸", "bank": None}))
    value = [f for f in findings if f.code == "leftover-value"]
    assert len(value) == 1 and "None" in value[0].message and value[0].paragraph_text.startswith("开户行")

    def tag(doc):
        para(doc, "LG Body").runs[0].text += "{{ x }}"
    assert "leftover-tag" in failures(edit(render_example(), tag))
    table_hit = render_example(items=[{"invoice_no": "nan", "date": date(2026, 4, 1), "amount": 1}])
    cell = [f for f in check_letter(table_hit) if f.code == "leftover-value"]
    assert cell and cell[0].paragraph_index is None and "表格" in cell[0].where()


def test_wrong_page_size(good):
    def letter(doc):
        doc.sections[0].page_width, doc.sections[0].page_height = Mm(215.9), Mm(279.4)
    assert failures(edit(good, letter)) == ["page-size"]


def test_unreadable_file():
    assert failures(b"not a docx") == ["unreadable"]


def test_cli_check_reports_file_and_paragraph(tmp_path, good):
    from lettergen.cli import style_cmds  # noqa: F401  (registers the commands)
    from lettergen.cli.options import cli

    ok = tmp_path / "ok.docx"
    ok.write_bytes(good)
    bad = tmp_path / "bad.docx"
    bad.write_bytes(edit(good, lambda d: setattr(para(d, "LG Body"), "alignment", WD_ALIGN_PARAGRAPH.RIGHT)))
    result = CliRunner().invoke(cli, ["check", str(ok), "--profile", "song"])
    assert result.exit_code == 0 and f"{ok}：通过" in result.output
    result = CliRunner().invoke(cli, ["check", str(ok), str(bad)])
    assert isinstance(result.exception, CheckFailed)
    assert any(str(bad) in line and "第4段" in line and "左对齐" in line for line in result.output.splitlines())
    assert {f.code for f in result.exception.findings if f.is_failure()} == {"body-align"}


def test_strict_makes_warnings_fail(tmp_path, good):
    from lettergen.cli import style_cmds  # noqa: F401
    from lettergen.cli.options import cli

    def one_line_signature(doc):
        for p in [p for p in doc.paragraphs if p.style.name == "LG Signature"][1:]:
            p._p.getparent().remove(p._p)
    path = tmp_path / "sig.docx"
    path.write_bytes(edit(good, one_line_signature))
    assert CliRunner().invoke(cli, ["check", str(path)]).exit_code == 0
    assert isinstance(CliRunner().invoke(cli, ["check", "--strict", str(path)]).exception, CheckFailed)

