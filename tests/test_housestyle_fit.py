"""Fitting, page furniture and table widths, read from the .docx as Word resolves it
(no LibreOffice needed; the PDF side is tests/test_pdf_layout.py)."""
from __future__ import annotations

import io
import zipfile

import docx
import pytest
from docx.oxml.ns import qn

from lettergen import api, jsondata
from lettergen.errors import ConfigError, TemplateError
from lettergen.housestyle import PROFILES, Resolver, build_template, load_profile, parse_source
from lettergen.housestyle.fit import FIT_KEY, apply_fit, choose_fit, fit_ladder
from lettergen.housestyle.tables import column_widths, text_width_pt
from lettergen.letters import fit_letter, prepare, render_context, template_for

from .conftest import KINDS


def spacing(data: bytes, style_id: str) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        root = docx.oxml.parse_xml(zf.read("word/styles.xml"))
    for st in root.findall(qn("w:style")):
        if st.get(qn("w:styleId")) == style_id:
            sp = st.find(f"{qn('w:pPr')}/{qn('w:spacing')}")
            return {k.split("}")[1]: v for k, v in sp.attrib.items()} if sp is not None else {}
    default = root.find(f"{qn('w:docDefaults')}/{qn('w:pPrDefault')}/{qn('w:pPr')}/{qn('w:spacing')}")
    return {k.split("}")[1]: v for k, v in default.attrib.items()}


@pytest.fixture
def letter(project_config, sample_data):
    project_config.data["layout"] = {"fit": "off"}
    prepared = prepare("payment_reminder", sample_data("payment_reminder"), project_config)
    template = template_for(project_config, "payment_reminder")
    return template, prepared


def test_ladder_stays_within_the_profile_limits():
    for name in PROFILES:
        p = load_profile(name)
        ladder = fit_ladder(p)
        lines = [step["line"] for step in ladder]
        assert lines == sorted(lines, reverse=True) and len(set(lines)) == p.fit_steps
        assert lines[-1] == round(p.fit_line_min * 20)
        assert all(50 <= step["para_pct"] < 100 for step in ladder)
        assert ladder[-1]["char"] < 0 and all(step["char"] == 0 for step in ladder[:-1])
    assert fit_ladder(load_profile("fangsong"))[-1]["line"] == 460  # 28 pt exact -> 23 pt


def test_apply_fit_sets_body_spacing_and_leaves_tables_alone(letter):
    template, prepared = letter
    plain = render_context(template, prepared.context, "禾丰催函〔2026〕1号")
    fit = {"line": 420, "para_pct": 50, "char": -12}
    fitted = apply_fit(plain, fit)
    assert spacing(plain, "LGBody") == {} and spacing(plain, "Normal")["line"] == "460"
    assert spacing(fitted, "Normal") == {"before": "0", "after": "0", "line": "420", "lineRule": "exact"}
    assert spacing(plain, "LGSignature")["before"] == "460" and spacing(fitted, "LGSignature")["before"] == "230"
    assert spacing(fitted, "LGSignature")["line"] == "420"
    assert spacing(fitted, "LGTableText") == spacing(plain, "LGTableText") == {
        "before": "0", "after": "0", "line": "240", "lineRule": "auto"}
    with zipfile.ZipFile(io.BytesIO(fitted)) as zf:
        assert b'<w:spacing w:val="-12"/><w:sz' in zf.read("word/styles.xml")
        assert zf.read("word/document.xml") == zipfile.ZipFile(io.BytesIO(plain)).read("word/document.xml")
    assert apply_fit(plain, fit) == fitted  # deterministic bytes
    assert apply_fit(plain, None) == plain


def test_choose_fit_takes_the_least_tightening_that_saves_a_page():
    profile = load_profile("fangsong")
    tried = []

    def render(fit):
        tried.append(fit)
        return repr(fit).encode()

    def pages_needing(line_at_most):
        return lambda data: 1 if data != b"None" and eval(data)["line"] <= line_at_most else 2

    assert choose_fit(render, pages_needing(520), profile) == fit_ladder(profile)[1]
    assert tried == [None, *fit_ladder(profile)[:2]]
    assert choose_fit(render, pages_needing(0), profile) is None  # nothing helps: keep the spacing
    assert choose_fit(render, lambda data: 1, profile) is None   # fits already


def test_fit_is_stored_in_the_context_and_reproduced(letter, project_config):
    template, prepared = letter
    project_config.data["layout"] = {"fit": "off"}
    fit_letter(template, prepared.context, project_config, "X")
    assert FIT_KEY not in prepared.context
    project_config.data["layout"] = {"fit": "sometimes"}
    with pytest.raises(ConfigError, match="layout.fit"):
        fit_letter(template, prepared.context, project_config, "X")
    # what the register keeps round-trips and renders the same bytes
    prepared.context[FIT_KEY] = fit_ladder(load_profile("song"))[1]
    first = render_context(template, prepared.context, "禾丰催函〔2026〕1号")
    stored = jsondata.decode(jsondata.encode(prepared.context))
    assert render_context(template, stored, "禾丰催函〔2026〕1号") == first
    assert spacing(first, "Normal")["line"] == str(fit_ladder(load_profile("song"))[1]["line"])


@pytest.mark.parametrize("profile", PROFILES)
def test_closing_block_keeps_with_the_last_body_lines(profile, project_config, sample_data):
    project_config.data["style"]["profile"] = profile
    project_config.data["layout"] = {"fit": "off"}
    for kind in KINDS:
        data = api.render(kind, sample_data(kind), number="禾丰催函〔2026〕1号", config=project_config)
        paragraphs = [p for p in Resolver.from_document(docx.Document(io.BytesIO(data))).paragraphs()
                      if p.text.strip()]
        closing = next(i for i, p in enumerate(paragraphs) if p.style_name == "LG Closing")
        chain = paragraphs[closing - 1:]
        assert chain[0].style_name in ("LG Body", "LG Attachment")
        keeps = [bool(p.element.find(f"{qn('w:pPr')}/{qn('w:keepNext')}") is not None
                      or p.style_name in ("LG Closing", "LG Regards", "LG Signature", "LG Attachment"))
                 for p in chain[:-1]]
        assert all(keeps), (kind, [(p.style_name, p.text[:8]) for p in chain])
        assert chain[-1].style_name == "LG Date"


@pytest.mark.parametrize("profile", PROFILES)
def test_page_furniture(profile):
    source = {"kind": "demo", "title": "标题", "body": ["正文。"]}
    doc = docx.Document(io.BytesIO(build_template(source, load_profile(profile))))
    section = doc.sections[0]
    assert section.different_first_page_header_footer
    assert section.first_page_header.paragraphs[0].text == ""
    assert section.first_page_footer.paragraphs[0].text == ""
    assert section.header.paragraphs[0].text == "{{ number }}"
    footer = section.footer._element
    instr = [t.text.strip() for t in footer.iter(qn("w:instrText"))]
    text = "".join(t.text for t in footer.iter(qn("w:t")))
    if profile == "song":
        assert instr == ["PAGE", "NUMPAGES"] and text == "第1页 共1页"
        assert section.footer.paragraphs[0].style.paragraph_format.alignment == 1  # centred (LG Footer)
        assert not doc.settings.odd_and_even_pages_header_footer
    else:
        assert instr == ["PAGE"] and text == "— 1 —"
        assert doc.settings.odd_and_even_pages_header_footer
        assert section.even_page_header.paragraphs[0].text == "{{ number }}"
        even = section.even_page_footer.paragraphs[0]
        assert even.alignment == 0 and section.footer.paragraphs[0].alignment == 2  # left / right
        assert even._p.pPr.find(qn("w:ind")).get(qn("w:left")) == "280"  # one 四号 character


def test_table_widths_fit_dates_amounts_counts_and_headers():
    source = parse_source({"kind": "demo", "title": "T", "body": [{"table": {"rows": "items", "columns": [
        {"header": "发票或合同号", "value": "{{ item.ref }}"},
        {"header": "开票日期", "value": "{{ item.date }}", "type": "date"},
        {"header": "金额（元）", "value": "{{ item.amount }}", "type": "amount", "align": "right"},
        {"header": "逾期天数", "value": "{{ item.days }}", "type": "count"},
        {"header": "单位", "value": "{{ item.unit }}", "sample": "平方米"}]}}]})
    for name in PROFILES:
        profile = load_profile(name)
        widths = column_widths(source.body[0], profile)
        assert sum(widths) == profile.text_width_twips
        inner = [w - 216 for w in widths]
        pt = profile.table_size_pt
        assert inner[1] >= text_width_pt("2026年12月31日", pt) * 20
        assert inner[2] >= text_width_pt("9,999,999,999.00", pt) * 20
        assert inner[3] >= text_width_pt("逾期天数", pt, bold=True) * 20
        assert inner[4] >= text_width_pt("平方米", pt) * 20
        assert widths[0] == max(widths)  # the text column takes the rest


def test_text_width_measures_han_latin_and_the_space_between():
    assert text_width_pt("逾期天数", 10.5) == 42.0
    assert text_width_pt("9,999.00", 10) == pytest.approx(4 * 5 + 2.5 + 5 + 5 + 2.5)
    assert text_width_pt("2026年", 10) == pytest.approx(20 + 10 + 2.5)  # quarter-em autospace


def test_a_table_too_wide_for_the_page_is_a_template_error():
    source = parse_source({"kind": "demo", "title": "T", "body": [{"table": {"rows": "items", "columns": [
        {"header": f"日期{n}", "value": "{{ item.d }}", "type": "date"} for n in range(8)]}}]})
    with pytest.raises(TemplateError, match="放不下"):
        build_template(source, load_profile("fangsong"))


def test_payee_lines_are_indented_like_the_body(project_config, sample_data):
    project_config.data["layout"] = {"fit": "off"}
    for profile in PROFILES:
        project_config.data["style"]["profile"] = profile
        data = api.render("payment_reminder", sample_data("payment_reminder"), number="X〔2026〕1号",
                          config=project_config)
        paras = list(Resolver.from_document(docx.Document(io.BytesIO(data))).paragraphs())
        body = next(p for p in paras if p.style_name == "LG Body")
        size = body.size_pt
        for p in paras:
            if p.text.startswith(("户", "开户行", "账")):
                assert p.style_name == "LG Field"
                assert p.indent.left_twips + p.indent.first_line_twips(size) == body.indent.first_line_twips(size)


def test_a_failed_measurement_refuses_the_letter_before_a_number(project_config, sample_data, monkeypatch):
    from lettergen.convert import measure
    from lettergen.errors import ConversionError
    from lettergen.register import Register

    def broken(docx: bytes) -> int:
        raise ConversionError("LibreOffice 启动失败")

    monkeypatch.setattr(measure, "can_measure", lambda: True)
    monkeypatch.setattr(measure, "count_pages", broken)
    project_config.data["layout"] = {"fit": "auto"}
    long = dict(sample_data("sales_letter"), intro="感谢贵公司多年来的信任与支持。" * 40)  # must be measured
    with pytest.raises(ConversionError, match=r"排版测量失败（未占用文号）.*fit = \"off\""):
        api.issue_letter("sales_letter", long, config=project_config)
    with Register(project_config.register_url) as register:
        assert register.list() == []
