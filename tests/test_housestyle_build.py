"""Template builder: effective formatting of rendered letters, determinism, sources."""
from __future__ import annotations

import copy
import io
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import docx
import jinja2
import pytest
import yaml
from click.testing import CliRunner
from docxtpl import DocxTemplate

from lettergen.errors import TemplateError
from lettergen.housestyle import PROFILES, Resolver, build_all, build_template, load_profile

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "templates" / "source" / "_example.yaml"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

SAMPLE = {
    "number": "华贸催函〔2026〕12号",
    "subject": "支付货款",
    "recipient": {"name": "上海某某贸易有限公司"},
    "order_date": date(2026, 3, 5),
    "total": Decimal("12345.67"),
    "level": "final",
    "deadline": date(2026, 12, 1),
    "items": [
        {"invoice_no": "No.0001", "date": date(2026, 4, 1), "amount": Decimal("10000")},
        {"invoice_no": "No.0002 <&>", "date": date(2026, 5, 1), "amount": Decimal("2345.67")},
    ],
    "notes": "第一行说明。\n\n第二行说明。",
    "payee": {"account_name": "华贸实业有限公司", "bank": "中国银行上海分行"},
    "attachments": ["对账单", "发票复印件"],
    "sender": {"name": "华贸实业有限公司"},
    "contact": {"title": "财务经理", "name": "王芳", "phone": "021-12345678", "email": "wf@example.com"},
    "letter_date": date(2026, 11, 22),
}


def jinja_env() -> jinja2.Environment:
    env = jinja2.Environment(autoescape=True)
    env.filters.update(
        cn_date=lambda d: f"{d.year}年{d.month}月{d.day}日",
        money=lambda v: f"¥{Decimal(v):,.2f}",
        capital=lambda v: "人民币壹万贰仟叁佰肆拾伍元陆角柒分",
        paragraphs=lambda t: [line.strip() for line in str(t).splitlines() if line.strip()],
    )
    return env


def example_source() -> dict:
    return yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))


def render(template: bytes, **overrides) -> bytes:
    context = copy.deepcopy(SAMPLE)
    context.update(overrides)
    tpl = DocxTemplate(io.BytesIO(template))
    tpl.render(context, jinja_env(), autoescape=True)
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()


def render_example(profile_name: str = "song", **overrides) -> bytes:
    return render(build_template(example_source(), load_profile(profile_name)), **overrides)


def resolved(data: bytes):
    doc = docx.Document(io.BytesIO(data))
    res = Resolver.from_document(doc)
    return doc, list(res.paragraphs())


def by_style(paras, name):
    return [p for p in paras if p.style_name == name]


@pytest.mark.parametrize("name", PROFILES)
def test_rendered_body_has_profile_font_size_indent_and_left_alignment(name):
    profile = load_profile(name)
    _, paras = resolved(render_example(name))
    body = by_style(paras, "LG Body")
    assert len(body) >= 4
    for p in body:
        assert p.alignment == "left"
        assert p.indent.attrs["firstLineChars"] == "200"
        assert int(p.indent.attrs["firstLine"]) == 2 * profile.body_size_pt * 20
        assert p.indent.first_line_twips(profile.body_size_pt) == 2 * profile.body_size_pt * 20
        for run in p.runs:
            assert run.east_asia_font == profile.body_font
            assert run.ascii_font == "Times New Roman"
            assert run.size_pt == profile.body_size_pt
            assert run.lang_east_asia == "zh-CN"
    for p in by_style(paras, "LG Plain") + by_style(paras, "LG Salutation") + by_style(paras, "LG Regards"):
        assert p.indent.first_line_twips(profile.body_size_pt) == 0


@pytest.mark.parametrize("name", PROFILES)
def test_title_number_signature_and_date_placement(name):
    profile = load_profile(name)
    _, paras = resolved(render_example(name))
    texts = [p.text for p in paras]
    title, = by_style(paras, "LG Title")
    assert title.alignment == "center" and title.text == "关于支付货款的函"
    assert title.size_pt == profile.title_size_pt > profile.body_size_pt
    assert title.runs[0].east_asia_font == profile.title_font
    number, = by_style(paras, "LG Number")
    assert number.alignment == "right" and number.text == "华贸催函〔2026〕12号"
    salutation, = by_style(paras, "LG Salutation")
    assert salutation.text == "上海某某贸易有限公司：" and salutation.alignment == "left"
    signature = by_style(paras, "LG Signature")
    assert [p.text for p in signature] == ["华贸实业有限公司", "财务经理：王芳",
                                           "联系电话：021-12345678", "电子邮箱：wf@example.com"]
    assert all(p.alignment == "right" for p in signature)
    date_para, = by_style(paras, "LG Date")
    assert date_para.alignment == "right" and date_para.text == "2026年11月22日"
    assert texts.index("2026年11月22日") == texts.index("电子邮箱：wf@example.com") + 1
    closing, = by_style(paras, "LG Closing")
    assert closing.text == "此致" and closing.indent.first_line_chars == 200
    assert texts.index("敬礼！") == texts.index("此致") + 1
    assert texts[texts.index("附件：") + 1:texts.index("附件：") + 3] == ["1. 对账单", "2. 发票复印件"]


@pytest.mark.parametrize("name", PROFILES)
def test_page_is_a4_with_profile_margins(name):
    profile = load_profile(name)
    doc, _ = resolved(render_example(name))
    section = doc.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    for side in ("top", "bottom", "left", "right"):
        actual = getattr(section, f"{side}_margin").mm
        assert actual == pytest.approx(getattr(profile, f"margin_{side}_mm"), abs=0.05)


def test_optional_blocks_and_loops_follow_the_data():
    _, paras = resolved(render_example(attachments=[], level="first",
                                       contact={**SAMPLE["contact"], "email": ""}))
    texts = [p.text for p in paras]
    assert "附件：" not in texts and not any(t.startswith("电子邮箱") for t in texts)
    assert not any("最后一次催告" in t for t in texts)
    assert "第一行说明。" in texts and "第二行说明。" in texts
    assert all("{" not in t for t in texts)
    doc = docx.Document(io.BytesIO(render_example()))
    rows = [[c.text for c in r.cells] for r in doc.tables[0].rows]
    assert rows[0] == ["发票号", "开票日期", "金额（元）"]
    assert rows[1] == ["No.0001", "2026年4月1日", "¥10,000.00"]
    assert rows[2][0] == "No.0002 <&>"  # escaped by autoescape, shown verbatim
    assert rows[-1][0] == "合计" and rows[-1][-1] == "¥12,345.67" and len(rows) == 4


def test_fonts_are_explicit_everywhere_and_theme_attributes_are_gone():
    data = build_template(example_source(), load_profile("song"))
    styles = docx.Document(io.BytesIO(data)).styles.element
    for rfonts in styles.iter(f"{W}rFonts"):
        assert not any(k.endswith("Theme") or k.endswith("theme") for k in rfonts.attrib)
    default_fonts = styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}rFonts")
    assert default_fonts.get(f"{W}eastAsia") == "宋体"
    named = {s.find(f"{W}name").get(f"{W}val"): s for s in styles.findall(f"{W}style")}
    lg = [n for n in named if n.startswith("LG ")]
    assert {"LG Number", "LG Title", "LG Salutation", "LG Body", "LG Plain", "LG Closing",
            "LG Signature", "LG Date", "LG Table"} <= set(lg)
    for name in ["Normal"] + [n for n in lg if n != "LG Table"]:
        assert named[name].find(f"{W}rPr/{W}rFonts").get(f"{W}eastAsia"), name
        assert named[name].find(f"{W}rPr/{W}lang").get(f"{W}eastAsia") == "zh-CN"


@pytest.mark.parametrize("name", PROFILES)
def test_builds_are_byte_identical(name):
    first = build_template(example_source(), load_profile(name))
    second = build_template(example_source(), load_profile(name))
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert z.namelist()[0] == "[Content_Types].xml"
        assert not any("thumbnail" in n or "customXml" in n for n in z.namelist())


@pytest.mark.parametrize("block, message", [
    ({"quote": "x"}, "未知的块类型"),
    ({"p": "{% if x %}"}, "{%p"),
    ({"table": {"rows": "items", "columns": []}}, "columns"),
])
def test_invalid_sources_are_rejected(block, message):
    src = {"kind": "demo", "title": "标题", "body": [block]}
    with pytest.raises(TemplateError, match=message):
        build_template(src, load_profile("song"))


def test_broken_jinja_fails_the_build():
    src = {"kind": "demo", "title": "标题", "body": ["金额{{ total|money "]}
    with pytest.raises(TemplateError, match="Jinja"):
        build_template(src, load_profile("song"))


def test_build_all_skips_examples_and_rewrites_only_changes(tmp_path):
    source_dir = tmp_path / "source"
    source_dir.mkdir()
    (source_dir / "_example.yaml").write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    src = example_source() | {"kind": "demo"}
    (source_dir / "demo.yaml").write_text(yaml.safe_dump(src, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "letters"
    assert build_all(source_dir, out, load_profile("song")) == [(out / "demo.docx", True)]
    assert build_all(source_dir, out, load_profile("song")) == [(out / "demo.docx", False)]
    assert sorted(p.name for p in out.iterdir()) == ["demo.docx"]


def test_cli_templates_build_writes_each_profile(tmp_path):
    from lettergen.cli.options import cli
    from lettergen.cli import style_cmds  # noqa: F401  (registers the commands)

    (tmp_path / "templates" / "source").mkdir(parents=True)
    src = example_source() | {"kind": "demo"}
    (tmp_path / "templates" / "source" / "demo.yaml").write_text(
        yaml.safe_dump(src, allow_unicode=True), encoding="utf-8")
    config = tmp_path / "lettergen.toml"
    config.write_text('[paths]\ntemplates = "templates/letters"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config), "templates", "build"])
    assert result.exit_code == 0, result.output
    letters = tmp_path / "templates" / "letters"
    assert (letters / "demo.docx").read_bytes() == build_template(src, load_profile("song"))
    assert (letters / "fangsong" / "demo.docx").read_bytes() == build_template(src, load_profile("fangsong"))
    again = CliRunner().invoke(cli, ["--config", str(config), "templates", "build", "--profile", "song"])
    assert "未变化" in again.output and "fangsong" not in again.output


@pytest.mark.parametrize("profile_name", ["song", "fangsong"])
def test_committed_templates_are_what_the_sources_build(profile_name):
    """The .docx files in templates/letters/ are never stale against templates/source/."""
    from lettergen.config import PROJECT_DIR
    from lettergen.housestyle import build_template, load_source, template_dir_for

    source_dir = PROJECT_DIR / "templates" / "source"
    out_dir = template_dir_for(PROJECT_DIR / "templates" / "letters", profile_name)
    sources = [p for p in sorted(source_dir.glob("*.yaml")) if not p.name.startswith("_")]
    assert sources
    for path in sources:
        built = build_template(load_source(path), load_profile(profile_name))
        assert built == (out_dir / f"{path.stem}.docx").read_bytes(), f"run `lettergen templates build`: {path.stem} is stale"
