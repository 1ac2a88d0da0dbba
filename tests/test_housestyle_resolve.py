"""Formatting resolver: docDefaults, basedOn chains, direct formatting, theme fonts."""
from __future__ import annotations

import io

import docx
from docx.oxml import parse_xml

from lettergen.housestyle import build_template, load_profile
from lettergen.housestyle.resolve import Resolver

NS = ('xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
      'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"')


def styles(inner: str):
    return parse_xml(f"<w:styles {NS}>{inner}</w:styles>")


def theme(ea: str = "", scripts: str = '<a:font script="Hans" typeface="宋体"/><a:font script="Jpan" typeface="ＭＳ 明朝"/>'):
    return parse_xml(
        f'<a:theme {NS}><a:themeElements><a:fontScheme name="x">'
        f'<a:majorFont><a:latin typeface="Cambria"/><a:ea typeface=""/><a:cs typeface=""/>'
        f'<a:font script="Hans" typeface="黑体"/></a:majorFont>'
        f'<a:minorFont><a:latin typeface="Calibri"/><a:ea typeface="{ea}"/><a:cs typeface=""/>{scripts}'
        f'</a:minorFont></a:fontScheme></a:themeElements></a:theme>')


def para(xml: str, resolver: Resolver):
    return resolver.paragraph(parse_xml(f"<w:p {NS}>{xml}</w:p>"))


DEFAULTS = ('<w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Times New Roman" w:eastAsia="宋体"/>'
            '<w:sz w:val="24"/><w:lang w:eastAsia="zh-CN"/></w:rPr></w:rPrDefault>'
            '<w:pPrDefault><w:pPr><w:jc w:val="both"/></w:pPr></w:pPrDefault></w:docDefaults>')


def test_doc_defaults_apply_without_any_style():
    res = Resolver(styles(DEFAULTS))
    p = para("<w:r><w:t>正文</w:t></w:r>", res)
    run, = p.runs
    assert (run.east_asia_font, run.ascii_font, run.size_pt) == ("宋体", "Times New Roman", 12.0)
    assert p.alignment == "both" and p.style_name is None


def test_no_size_anywhere_falls_back_to_word_default_10pt():
    run, = para("<w:r><w:t>x</w:t></w:r>", Resolver(styles(""))).runs
    assert run.size_pt == 10.0 and run.east_asia_font is None


CHAIN = DEFAULTS + (
    '<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/>'
    '<w:rPr><w:sz w:val="21"/></w:rPr></w:style>'
    '<w:style w:type="paragraph" w:styleId="A"><w:name w:val="Style A"/><w:basedOn w:val="Normal"/>'
    '<w:pPr><w:ind w:firstLineChars="200" w:firstLine="560"/></w:pPr>'
    '<w:rPr><w:rFonts w:eastAsia="仿宋"/><w:sz w:val="28"/></w:rPr></w:style>'
    '<w:style w:type="paragraph" w:styleId="B"><w:name w:val="Style B"/><w:basedOn w:val="A"/>'
    '<w:pPr><w:jc w:val="center"/></w:pPr></w:style>'
    '<w:style w:type="paragraph" w:styleId="C"><w:name w:val="Style C"/><w:basedOn w:val="B"/>'
    '<w:rPr><w:sz w:val="32"/></w:rPr></w:style>'
    '<w:style w:type="character" w:styleId="Em"><w:name w:val="Emph"/>'
    '<w:rPr><w:rFonts w:eastAsia="楷体"/><w:b/></w:rPr></w:style>'
    '<w:style w:type="paragraph" w:styleId="Loop1"><w:name w:val="L1"/><w:basedOn w:val="Loop2"/></w:style>'
    '<w:style w:type="paragraph" w:styleId="Loop2"><w:name w:val="L2"/><w:basedOn w:val="Loop1"/></w:style>'
)


def test_based_on_chain_merges_property_by_property():
    res = Resolver(styles(CHAIN))
    p = para('<w:pPr><w:pStyle w:val="C"/></w:pPr><w:r><w:t>文字</w:t></w:r>', res)
    run, = p.runs
    assert p.style_name == "Style C"
    assert run.size_pt == 16.0                 # C overrides A
    assert run.east_asia_font == "仿宋"        # from A, through B
    assert run.ascii_font == "Times New Roman"  # from docDefaults
    assert p.alignment == "center"             # from B
    assert p.indent.first_line_chars == 200 and p.indent.form == "chars"
    assert p.indent.first_line_twips(16.0) == 640  # characters follow the font size


def test_default_paragraph_style_applies_when_no_pstyle():
    run, = para("<w:r><w:t>x</w:t></w:r>", Resolver(styles(CHAIN))).runs
    assert run.size_pt == 10.5


def test_cyclic_based_on_does_not_hang():
    p = para('<w:pPr><w:pStyle w:val="Loop1"/></w:pPr><w:r><w:t>x</w:t></w:r>', Resolver(styles(CHAIN)))
    assert p.runs[0].size_pt == 12.0


def test_direct_formatting_overrides_styles():
    res = Resolver(styles(CHAIN))
    p = para('<w:pPr><w:pStyle w:val="C"/><w:jc w:val="right"/></w:pPr>'
             '<w:r><w:rPr><w:rFonts w:eastAsia="黑体"/><w:sz w:val="36"/></w:rPr><w:t>甲</w:t></w:r>'
             '<w:r><w:rPr><w:rStyle w:val="Em"/></w:rPr><w:t>乙</w:t></w:r>'
             '<w:r><w:rPr><w:rStyle w:val="Em"/><w:b w:val="0"/></w:rPr><w:t>丙</w:t></w:r>', res)
    direct, styled, unbolded = p.runs
    assert p.alignment == "right"
    assert (direct.east_asia_font, direct.size_pt) == ("黑体", 18.0)
    assert (styled.east_asia_font, styled.size_pt, styled.bold) == ("楷体", 16.0, True)
    assert unbolded.bold is False
    assert p.size_pt == 18.0 and p.text == "甲乙丙"


def test_indent_characters_beat_twips_unless_zero():
    res = Resolver(styles(CHAIN))
    # Inherited firstLineChars wins over a direct twips value (as in Word) …
    p = para('<w:pPr><w:pStyle w:val="A"/><w:ind w:firstLine="0"/></w:pPr>', res)
    assert p.indent.first_line_twips(14) == 560
    # … unless the characters are reset to 0, which is how Word writes a twips indent.
    p = para('<w:pPr><w:pStyle w:val="A"/><w:ind w:firstLineChars="0" w:firstLine="0"/></w:pPr>', res)
    assert p.indent.first_line_twips(14) == 0 and p.indent.form is None
    p = para('<w:pPr><w:ind w:firstLine="480"/></w:pPr>', res)
    assert p.indent.form == "twips" and p.indent.first_line_twips(12) == 480
    p = para('<w:pPr><w:ind w:hanging="420" w:left="420"/></w:pPr>', res)
    assert p.indent.first_line_twips(12) == -420 and p.indent.left_twips == 420


THEMED = ('<w:docDefaults><w:rPrDefault><w:rPr>'
          '<w:rFonts w:asciiTheme="minorHAnsi" w:eastAsia="黑体" w:eastAsiaTheme="minorEastAsia"/>'
          '<w:lang w:eastAsia="zh-CN"/></w:rPr></w:rPrDefault></w:docDefaults>'
          '<w:style w:type="paragraph" w:styleId="Explicit"><w:name w:val="Explicit"/>'
          '<w:rPr><w:rFonts w:eastAsia="仿宋"/></w:rPr></w:style>'
          '<w:style w:type="paragraph" w:styleId="Major"><w:name w:val="Major"/>'
          '<w:rPr><w:rFonts w:eastAsiaTheme="majorEastAsia"/></w:rPr></w:style>')


def test_theme_font_beats_explicit_name_and_uses_script_font_when_ea_is_empty():
    run, = para("<w:r><w:t>字</w:t></w:r>", Resolver(styles(THEMED), theme(ea=""))).runs
    assert run.east_asia_font == "宋体"      # a:ea empty -> script font for zh-CN (Hans)
    assert run.ascii_font == "Calibri"


def test_theme_ea_typeface_when_present():
    run, = para("<w:r><w:t>字</w:t></w:r>", Resolver(styles(THEMED), theme(ea="SimSun"))).runs
    assert run.east_asia_font == "SimSun"


def test_theme_font_lang_from_settings_picks_the_script():
    settings = parse_xml(f'<w:settings {NS}><w:themeFontLang w:val="en-US" w:eastAsia="ja-JP"/></w:settings>')
    run, = para("<w:r><w:t>字</w:t></w:r>", Resolver(styles(THEMED), theme(), settings)).runs
    assert run.east_asia_font == "ＭＳ 明朝"


def test_explicit_name_at_a_later_level_replaces_an_inherited_theme_font():
    res = Resolver(styles(THEMED), theme())
    assert para('<w:pPr><w:pStyle w:val="Explicit"/></w:pPr><w:r><w:t>字</w:t></w:r>', res).runs[0].east_asia_font == "仿宋"
    assert para('<w:pPr><w:pStyle w:val="Major"/></w:pPr><w:r><w:t>字</w:t></w:r>', res).runs[0].east_asia_font == "黑体"


def test_from_document_reads_a_built_template():
    data = build_template({"kind": "demo", "title": "标题", "body": ["正文"]}, load_profile("fangsong"))
    res = Resolver.from_document(docx.Document(io.BytesIO(data)))
    body = next(p for p in res.paragraphs() if p.style_name == "LG Body")
    assert body.runs[0].east_asia_font == "仿宋" and body.runs[0].size_pt == 14.0
    assert res.theme_ea_lang == "zh-CN"
