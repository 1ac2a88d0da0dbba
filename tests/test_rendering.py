"""Rendering: every sample renders in house style, escaping, determinism, new kinds by files."""
from __future__ import annotations

import io
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from docx import Document

import lettergen
from lettergen.config import PROJECT_DIR
from lettergen.errors import TemplateError
from lettergen.housestyle import Resolver
from lettergen.housestyle.check import check_letter
from lettergen.rendering import load_template

from .conftest import KINDS

NUMBER = "禾丰催函〔2026〕12号"


def _texts(docx: bytes) -> list[str]:
    doc = Document(io.BytesIO(docx))
    texts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            texts += [cell.text for cell in row.cells]
    return texts


@pytest.mark.parametrize("kind", KINDS)
def test_every_sample_renders_in_house_style(kind, project_config, sample_data):
    docx = lettergen.render(kind, sample_data(kind), number=NUMBER, config=project_config)
    findings = [f for f in check_letter(docx) if f.severity == "error"]
    assert findings == []
    # effective formatting, resolved through docDefaults, styles and direct formatting
    paragraphs = [p for p in Resolver.from_document(Document(io.BytesIO(docx))).paragraphs() if p.text.strip()]
    number, title, salutation = paragraphs[:3]
    assert number.text == NUMBER and number.alignment == "right"
    assert title.text.startswith("关于") and title.alignment == "center"
    body = [p for p in paragraphs if p.style_name == "LG Body"]
    assert body and all(p.alignment == "left" and p.indent.first_line_chars == 200 for p in body)
    assert all(r.east_asia_font == "宋体" and r.size_pt == 12.0 and r.lang_east_asia == "zh-CN" for p in body for r in p.runs)
    assert all(r.size_pt > 12.0 for r in title.runs)
    assert salutation.text.endswith("：") and salutation.alignment == "left"
    texts = [p.text for p in paragraphs]
    signature = [p for p in paragraphs if p.text in ("杭州禾丰贸易有限公司", "客户服务部经理：王敏")]
    assert len(signature) == 2 and all(p.alignment == "right" for p in signature)
    date_line = paragraphs[-1]
    assert date_line.text == _cn_date(sample_data(kind)["letter_date"]) and date_line.alignment == "right"
    assert texts.index("客户服务部经理：王敏") < len(texts) - 1


def _cn_date(value) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def test_payment_reminder_content(project_config, sample_data):
    texts = _texts(lettergen.render("payment_reminder", sample_data("payment_reminder"), number=NUMBER, config=project_config))
    body = "\n".join(texts)
    assert "敬请贵公司于2026年11月30日前将上述款项合计¥60,945.67（大写：人民币陆万零玖佰肆拾伍元陆角柒分）汇入以下账户：" in body
    assert "最长已逾期70天" in body  # formal reminder wording
    assert "48,600.00" in texts and "12,345.67" in texts and "60,945.67" in texts
    assert "1. 对账单（2026年11月）" in body


def test_reminder_level_changes_wording(project_config, sample_data):
    data = sample_data("payment_reminder")
    words = {}
    for level in ("first", "formal", "final"):
        data["level"] = level
        words[level] = "\n".join(_texts(lettergen.render("payment_reminder", data, number=NUMBER, config=project_config)))
    assert "特此提醒" in words["first"] and "特此提醒" not in words["final"]
    assert "维护自身的合法权益" in words["final"] and "维护自身的合法权益" not in words["first"]
    assert len({words["first"], words["formal"], words["final"]}) == 3


def test_hostile_text_renders_literally(project_config, sample_data):
    data = sample_data("complaint_response")
    data["recipient"]["name"] = "A&B <公司> \"引号\" 'x' 😀"
    data["summary"] = "第一行 & <tag/>\n第二行 ]]> {{ number }}"
    docx = lettergen.render("complaint_response", data, number=NUMBER, config=project_config)
    texts = _texts(docx)
    assert "A&B <公司> \"引号\" 'x' 😀：" in texts
    assert "第一行 & <tag/>" in texts and "第二行 ]]> {{ number }}" in texts  # data is never template code
    zipfile.ZipFile(io.BytesIO(docx)).testzip()


def test_newline_in_single_line_field_becomes_line_break(project_config, sample_data):
    data = sample_data("complaint_response")
    data["remedies"][0]["description"] = "上门换货\n并回收旧件"
    docx = lettergen.render("complaint_response", data, number=NUMBER, config=project_config)
    xml = zipfile.ZipFile(io.BytesIO(docx)).read("word/document.xml").decode()
    assert "上门换货</w:t><w:br/>" in xml


def test_same_input_same_bytes_across_processes(project_config, sample_data, tmp_path):
    first = lettergen.render("payment_reminder", sample_data("payment_reminder"), number=NUMBER, config=project_config)
    script = (
        "import sys, lettergen; from lettergen.config import load_config;"
        f"cfg = load_config({str(PROJECT_DIR / 'lettergen.toml')!r});"
        f"data = lettergen.load_data({str(PROJECT_DIR / 'samples' / 'payment_reminder.yaml')!r});"
        f"sys.stdout.buffer.write(lettergen.render('payment_reminder', data, number={NUMBER!r}, config=cfg))"
    )
    second = subprocess.run([sys.executable, "-c", script], capture_output=True, check=True, cwd=tmp_path).stdout
    assert first == second
    other = lettergen.render("payment_reminder", sample_data("payment_reminder"), number="禾丰催函〔2026〕13号", config=project_config)
    assert other != first


def _edit_template(src: Path, dst: Path, old: str, new: str) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            blob = zin.read(info.filename)
            if info.filename == "word/document.xml":
                assert old.encode() in blob
                blob = blob.replace(old.encode(), new.encode(), 1)
            zout.writestr(info, blob)


def test_new_kind_is_a_schema_plus_a_template(tmp_path, project_copy):
    from lettergen.housestyle import build_template, load_profile

    config = project_copy
    (tmp_path / "schemas" / "thanks_letter.yaml").write_text(yaml.safe_dump({
        "kind": "thanks_letter", "name": "答谢信", "description": "感谢客户", "title_suffix": "信",
        "fields": {"subject": {"default": "感谢惠顾"}, "order_no": {"use": "short_text", "required": True, "meta": {"label": "订单号"}}},
    }, allow_unicode=True), encoding="utf-8")
    source = {"kind": "thanks_letter", "title": "{{ title }}", "body": ["感谢您的订单{{ order_no }}，我们将在七日后回访。"]}
    (tmp_path / "templates" / "letters" / "thanks_letter.docx").write_bytes(build_template(source, load_profile("song")))
    assert "thanks_letter" in [k.key for k in lettergen.kinds(config)]
    result = lettergen.validate("thanks_letter", {"recipient": {"name": "钱女士"}}, config)
    assert [str(p) for p in result.problems] == ["「订单号」：必填，不能缺少"]
    data = {"recipient": {"name": "钱女士"}, "order_no": "SO-1", "letter_date": "2026-11-22"}
    docx = lettergen.render("thanks_letter", data, number="禾丰函〔2026〕1号", config=config)
    texts = _texts(docx)
    assert "关于感谢惠顾的信" in texts and "感谢您的订单SO-1，我们将在七日后回访。" in texts
    assert [f for f in check_letter(docx) if f.severity == "error"] == []


def test_template_with_undeclared_variable_fails_clearly(tmp_path, project_copy, sample_data):
    config = project_copy
    path = tmp_path / "templates" / "letters" / "sales_letter.docx"
    _edit_template(PROJECT_DIR / "templates" / "letters" / "sales_letter.docx", path, "现将我公司的产品与服务介绍如下：", "{{ discount_code }}")
    with pytest.raises(TemplateError) as info:
        lettergen.render("sales_letter", sample_data("sales_letter"), number="X", config=config)
    assert "discount_code" in str(info.value) and "sales_letter" in str(info.value)


def test_template_cannot_escape_the_sandbox(tmp_path, project_copy, sample_data):
    config = project_copy
    path = tmp_path / "templates" / "letters" / "sales_letter.docx"
    _edit_template(PROJECT_DIR / "templates" / "letters" / "sales_letter.docx", path, "现将我公司的产品与服务介绍如下：",
                   "{{ number.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(TemplateError) as info:
        lettergen.render("sales_letter", sample_data("sales_letter"), number="X", config=config)
    assert "unsafe" in str(info.value) or "__class__" in str(info.value)


def test_compiled_template_is_cached_and_reloaded_on_change(tmp_path):
    src = PROJECT_DIR / "templates" / "letters" / "sales_letter.docx"
    path = tmp_path / "t.docx"
    shutil.copy(src, path)
    first = load_template(path)
    assert load_template(path) is first
    _edit_template(src, path, "现将我公司的产品与服务介绍如下：", "新的说明文字：")
    assert load_template(path) is not first


@pytest.mark.parametrize("kind", KINDS)
def test_fangsong_profile_follows_gbt9704_margins(kind, project_config, sample_data):
    from lettergen.housestyle import load_profile

    project_config.data["style"]["profile"] = "fangsong"
    docx = lettergen.render(kind, sample_data(kind), number=NUMBER, config=project_config)
    assert [f for f in check_letter(docx, load_profile("fangsong")) if f.severity == "error"] == []
    body = [p for p in Resolver.from_document(Document(io.BytesIO(docx))).paragraphs() if p.style_name == "LG Body"]
    assert all(r.east_asia_font == "仿宋" and r.size_pt == 14.0 for p in body for r in p.runs)
    section = Document(io.BytesIO(docx)).sections[0]
    assert round(section.top_margin.mm) == 37 and round(section.left_margin.mm) == 28


@pytest.mark.parametrize("kind", KINDS)
def test_every_batch_letter_passes_the_layout_and_wording_checks(kind, project_config, tmp_path):
    from lettergen.batch import run_batch
    from lettergen.quality import check_text
    from lettergen.quality.text import docx_paragraphs

    result = run_batch(kind, PROJECT_DIR / "samples" / f"{kind}.csv", project_config, tmp_path / kind, jobs=1)
    paths = [Path(r.path) for r in result.results if r.status == "issued"]
    assert paths and len(paths) == len(result.results)
    assert [(r.number, r.notes) for r in result.results if r.notes] == []  # samples meet every time limit
    for path in paths:
        assert [str(f) for f in check_letter(path) if f.severity == "error"] == []
        text = "\n".join(p.text for p in docx_paragraphs(path.read_bytes()))
        assert [str(f) for f in check_text(text) if f.severity != "info"] == []


def test_a_trial_rendering_holds_the_same_parts_stored_not_compressed(project_config, sample_data):
    """The rendering made only to be checked and measured before numbering (``trial``) skips
    deflate's work: the same parts, byte for byte, in a valid and bigger package.  A letter that
    is kept is always compressed the default way (its bytes are what reissues reproduce)."""
    from lettergen.letters import prepare, render_context, template_for
    from lettergen.schemas import load_kind

    kind = load_kind(project_config.schemas_dir, "payment_reminder")
    context = prepare(kind, sample_data("payment_reminder"), project_config).context
    template = template_for(project_config, "payment_reminder")
    kept = render_context(template, context, NUMBER)
    trial = render_context(template, context, NUMBER, trial=True)
    with zipfile.ZipFile(io.BytesIO(kept)) as a, zipfile.ZipFile(io.BytesIO(trial)) as b:
        assert a.namelist() == b.namelist() and b.testzip() is None
        assert all(a.read(name) == b.read(name) for name in a.namelist())
        document = b.getinfo("word/document.xml")
        assert document.compress_size > document.file_size  # stored blocks inside deflate
    assert len(trial) > len(kept) and render_context(template, context, NUMBER) == kept
