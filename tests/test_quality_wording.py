"""Wording and tone: taboo phrases (服务忌语) and per-kind tone rules on rendered letters."""
from __future__ import annotations

import copy
import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

import pytest
import yaml
from docx import Document
from hypothesis import given
from hypothesis import strategies as st

from lettergen.api import render_letter
from lettergen.config import PROJECT_DIR, Config
from lettergen.housestyle import build_template, load_profile
from lettergen.quality import check_letter_quality, check_text, check_tone, escalate
from lettergen.quality.text import docx_paragraphs

from .conftest import KINDS

NUMBER = "禾丰诉函〔2026〕7号"


def _codes(findings, severities=("warning", "error")):
    return [f.code for f in findings if f.severity in severities]


@pytest.mark.parametrize("kind", KINDS)
def test_clean_samples_have_no_quality_findings(kind, project_config, sample_data):
    letter = render_letter(kind, sample_data(kind), number=NUMBER, config=project_config)
    assert check_letter_quality(kind, letter.data, letter.docx, project_config, strict=True) == []


def test_taboo_phrase_in_rendered_letter_names_phrase_category_and_paragraph(project_config, sample_data):
    data = sample_data("complaint_response")
    data["findings"] = "经核实，这是公司规定，我们也没有办法。\n请您理解。"
    letter = render_letter("complaint_response", data, number=NUMBER, config=project_config)
    findings = [f for f in check_letter_quality("complaint_response", letter.data, letter.docx, project_config)
                if f.code == "taboo"]
    assert {f.message.split("”")[0] for f in findings} == {"服务忌语“这是公司规定", "服务忌语“我们也没有办法"}
    assert all(f.severity == "warning" for f in findings)
    assert any("顶撞、反驳、教训客户的话" in f.message for f in findings)
    # the index is python-docx's paragraph index, as in the layout checker
    paragraphs = Document(io.BytesIO(letter.docx)).paragraphs
    for f in findings:
        assert "这是公司规定" in paragraphs[f.paragraph_index].text
        assert "这是公司规定" in f.paragraph_text


def test_strict_turns_warnings_into_errors(project_config, sample_data):
    data = sample_data("complaint_response")
    data["findings"] = "你自己先查清楚再说。"
    letter = render_letter("complaint_response", data, number=NUMBER, config=project_config)
    normal = check_letter_quality("complaint_response", letter.data, letter.docx, project_config)
    strict = check_letter_quality("complaint_response", letter.data, letter.docx, project_config, strict=True)
    assert _codes(normal, ("warning",)) == ["taboo"] and _codes(strict, ("error",)) == ["taboo"]


@pytest.mark.parametrize("text, phrase", [
    ("你 自己  看着办吧。", "你自己看着办"),                       # spaces
    ("有意见找领导去！！", "有意见找领导去"),                     # full-width punctuation
    ("您问我，我问谁？", "你问我我问谁"),                          # 您 read as 你, punctuation ignored
    ("有问题找物流公司去。", "有问题找……去"),                      # pattern entry
    ("如仍不付款，后果自负。", "后果自负"),                        # escalation
])
def test_check_text_normalises_width_whitespace_and_punctuation(text, phrase):
    findings = check_text(f"尊敬的客户：\n{text}")
    assert [f.paragraph_index for f in findings] == [1]
    assert f"“{phrase}”" in findings[0].message


def test_escalation_phrases_have_their_own_category():
    (finding,) = check_text("逾期不付，我们将起诉你。")
    assert "威胁性语言" in finding.message


def test_polite_text_is_not_flagged():
    text = ("对于给您带来的不便，我们深表歉意。根据公司有关规定，我们将为您免费更换。\n"
            "如贵公司在上述期限前仍未付款，我公司将依照合同约定及有关法律规定维护自身的合法权益。")
    assert check_text(text) == []


def test_quoted_phrase_is_only_a_note():
    (finding,) = check_text("您反映客服人员曾说“这不关我的事”，我们已严肃处理。")
    assert finding.code == "taboo-quoted" and finding.severity == "info"
    assert escalate([finding], strict=True)[0].severity == "info"


def test_user_taboo_file_adds_and_ignores_entries(tmp_path, project_config):
    (tmp_path / "mine.yaml").write_text(yaml.safe_dump({
        "categories": {"house": {"name": "本公司禁用语", "reason": "本公司规定不用"}},
        "phrases": [{"phrase": "亲们", "category": "house"}, {"phrase": "爱买不买", "category": "provoke"}],
        "ignore": ["我不清楚"],
    }, allow_unicode=True), encoding="utf-8")
    data = copy.deepcopy(project_config.data)
    data["checks"] = {"taboo_file": "mine.yaml"}
    config = Config(data, tmp_path)
    findings = check_text("亲们，爱买不买。\n我不清楚。", config=config)
    assert [(f.paragraph_index, f.message.split("：")[0]) for f in findings] == [
        (0, "服务忌语“亲们”（本公司禁用语）"), (0, "服务忌语“爱买不买”（刺激客户、激化矛盾的话）")]
    assert check_text("我不清楚。") != []  # still in the bundled list without the user file


def _complaint_ours(sample_data, **changes):
    data = sample_data("complaint_response")
    data.update(changes)
    return data


def test_missing_apology_when_responsibility_is_ours(project_config, sample_data):
    data = _complaint_ours(sample_data,
                           apology="我们已对该批次产品全部复检，并改进了客服热线的排班安排。",
                           remedies=[{"type": "换货", "description": "为您免费更换同型号全新产品", "date": "2026-11-26"}])
    letter = render_letter("complaint_response", data, number=NUMBER, config=project_config)
    findings = check_letter_quality("complaint_response", letter.data, letter.docx, project_config)
    assert _codes(findings) == ["apology-missing"]
    # the same letter with customer responsibility needs no apology
    data.update(responsibility="客户使用不当")
    del data["apology"]
    letter = render_letter("complaint_response", data, number=NUMBER, config=project_config)
    assert _codes(check_letter_quality("complaint_response", letter.data, letter.docx, project_config)) == []


def test_follow_up_person_and_time_must_be_in_the_text():
    context = {"responsibility": "ours", "follow_up": {"person": "赵静", "by": datetime(2026, 11, 27, 17)}}
    found = check_tone("complaint_response", context, ["我们深表歉意。", "我们将尽快与您联系。"])
    assert [f.code for f in found] == ["follow-up-missing"]
    assert "赵静" in found[0].message
    assert check_tone("complaint_response", context, ["我们深表歉意。赵静将于2026年11月27日17时00分前与您联系。"]) == []


@pytest.fixture
def template_without_capitals(tmp_path, project_config) -> Config:
    """A payment-reminder template whose total is in figures only, in a private templates folder."""
    source = yaml.safe_load((PROJECT_DIR / "templates" / "source" / "payment_reminder.yaml").read_text(encoding="utf-8"))
    body = [b.replace("（大写：{{ total_capital }}）", "") if isinstance(b, str) else b for b in source["body"]]
    assert body != source["body"]
    source["body"] = body
    folder = tmp_path / "letters"
    folder.mkdir()
    (folder / "payment_reminder.docx").write_bytes(build_template(source, load_profile("song")))
    data = copy.deepcopy(project_config.data)
    data["paths"]["templates"] = str(folder)
    data["style"]["profile"] = "song"
    return Config(data, project_config.base_dir)


def test_payment_reminder_without_capitals(template_without_capitals, sample_data):
    config = template_without_capitals
    letter = render_letter("payment_reminder", sample_data("payment_reminder"), number=NUMBER, config=config)
    findings = check_letter_quality("payment_reminder", letter.data, letter.docx, config)
    assert _codes(findings) == ["amount-capital"]
    assert "人民币陆万零玖佰肆拾伍元陆角柒分" in findings[0].message


def test_payment_reminder_needs_deadline_and_account():
    context = {"total": Decimal("100"), "deadline": date(2026, 12, 1),
               "payee": {"account_name": "杭州禾丰贸易有限公司", "bank": "工行", "account_no": "1202 0212"}}
    text = ["上述款项合计¥100.00（人民币壹佰元整）。"]
    assert sorted(f.code for f in check_tone("payment_reminder", context, text)) == ["deadline-missing", "payment-account-missing"]
    text.append("请于2026年12月1日前汇入：户名杭州禾丰贸易有限公司，开户行工行，账号12020212。")
    assert check_tone("payment_reminder", context, text) == []


def test_final_notice_must_stay_polite(project_config, sample_data):
    data = sample_data("payment_reminder")
    data["level"] = "最后通知"
    letter = render_letter("payment_reminder", data, number=NUMBER, config=project_config)
    assert check_letter_quality("payment_reminder", letter.data, letter.docx, project_config) == []
    blunt = ["上述款项合计¥60,945.67（人民币陆万零玖佰肆拾伍元陆角柒分），限2026年11月30日前付清，否则后果自负。"]
    found = check_tone("payment_reminder", letter.data, blunt)
    assert "final-notice-impolite" in [f.code for f in found]
    assert [f.code for f in check_text(blunt)] == ["taboo"]


def test_text_extraction_matches_python_docx(project_config, sample_data):
    letter = render_letter("payment_reminder", sample_data("payment_reminder"), number=NUMBER, config=project_config)
    doc = Document(io.BytesIO(letter.docx))
    top = [(i, p.text.strip()) for i, p in enumerate(doc.paragraphs) if p.text.strip()]
    ours = docx_paragraphs(letter.docx)
    assert [(p.index, p.text) for p in ours if p.index is not None] == top
    cells = {c.text for t in doc.tables for r in t.rows for c in r.cells if c.text}
    assert {p.text for p in ours if p.index is None} == cells


def test_paragraphs_are_read_alike_with_and_without_text_boxes(project_config, sample_data):
    """The one-match-per-paragraph reading gives what the token-by-token reading gives."""
    from lettergen.quality.text import _nested_paragraphs, xml_paragraphs

    for kind in ("payment_reminder", "sales_letter", "complaint_response", "after_sales"):
        letter = render_letter(kind, sample_data(kind), number=NUMBER, config=project_config)
        xml = zipfile.ZipFile(io.BytesIO(letter.docx)).read("word/document.xml").decode()
        assert xml_paragraphs(xml) == _nested_paragraphs(xml) and len(xml_paragraphs(xml)) > 10
    made = ('<w:body><w:p/><w:p><w:r><w:t>甲</w:t><w:tab/><w:t xml:space="preserve"> 乙&amp;丙 </w:t></w:r></w:p>'
            '<w:p w:rsidR="1"/><w:tbl><w:tr><w:tc><w:p><w:r><w:t>单元</w:t><w:br/><w:t>格</w:t></w:r></w:p></w:tc></w:tr></w:tbl>'
            '<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr><w:r><w:t>末段</w:t><w:br w:type="page"/></w:r></w:p></w:body>')
    assert xml_paragraphs(made) == _nested_paragraphs(made)
    assert [(p.index, p.text) for p in xml_paragraphs(made)] == [(1, "甲\t 乙&丙"), (None, "单元\n格"), (3, "末段")]


@given(st.text(st.sampled_from("ＡＺａｚ０９！～　￥，：（）你好ab 1\t") | st.characters(), max_size=60))
def test_widen_maps_exactly_the_width_table_character_by_character(text):
    from lettergen.quality.text import WIDTH, widen

    assert widen(text) == text.translate(WIDTH)
    assert len(widen(text)) == len(text)


def test_widen_on_a_letter_line():
    from lettergen.quality.text import widen

    assert widen("合计：人民币１２，３４５．６７元（ＶＩＰ客户）　谢谢！") == "合计:人民币12,345.67元(VIP客户) 谢谢!"
