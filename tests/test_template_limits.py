"""Templates cannot exhaust memory or time, and templates from elsewhere are not trusted.

Every case is a TemplateError (exit 4 on the command line): ``*`` on text or
lists, ``**``, ``range``, nested loops (the per-letter time limit), the
rendered size; external relationships and macros are refused when a template
is built, checked and loaded; ``templates check`` flags all of them without
crashing.
"""
from __future__ import annotations

import re
import time
import zipfile
from pathlib import Path

import pytest
import yaml

import lettergen
from lettergen.cli import main
from lettergen.cli import quality_cmds  # noqa: F401  (registers `templates check`)
from lettergen.config import PROJECT_DIR
from lettergen.errors import TemplateError
from lettergen.housestyle import build_template, load_profile
from lettergen.quality import check_templates
from lettergen.rendering import Limits, environment, load_template

from .docx_features import assets, document_of, write_parts


def _template(tmp_path: Path, *paragraphs: str) -> Path:
    path = tmp_path / "t.docx"
    document_of(*paragraphs).save(path)
    return path


@pytest.mark.parametrize("expression, context", [
    ("{{ 'a'*10**9 }}", {}),
    ("{{ name*10**8 }}", {"name": "钱女士"}),
    ("{{ items*10**7 }}", {"items": [1, 2]}),
    ("{{ 10**9 * 'a' }}", {}),
    ("{{ 7**1000000 }}", {}),
    ("{{ 'a'|center(100000000) }}", {}),  # a constant Jinja would fold while compiling
    ("{{ name.ljust(100000000) }}", {"name": "钱"}),
    ("{{ '%0100000000d' % 1 }}", {}),
    ("{{ '%*d' % (100000000, 1) }}", {}),
    ("{{ '{:>{w}}'.format(1, w=100000000) }}", {}),
    ("{{ '%0100000000d'|format(1) }}", {}),
    ("{{ (name*1000)|replace('钱', 'x'*2000) }}", {"name": "钱"}),
    ("{{ name|indent(100000000) }}", {"name": "钱\n女士"}),
])
def test_huge_repetition_is_a_template_error(tmp_path, expression, context):
    start = time.monotonic()
    with pytest.raises(TemplateError, match="过大"):
        load_template(_template(tmp_path, f"说明：{expression}")).render(context)
    assert time.monotonic() - start < 5


def test_huge_range_is_a_template_error_not_overflow(tmp_path):
    with pytest.raises(TemplateError, match="range 最多"):
        load_template(_template(tmp_path, "{% for i in range(10**9) %}x{% endfor %}")).render({})


def test_nested_ranges_stop_at_the_time_limit(tmp_path):
    path = _template(tmp_path, "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}")
    start = time.monotonic()
    with pytest.raises(TemplateError, match="渲染超时"):
        lettergen.Template(path, limits=Limits(seconds=0.5)).render({})
    assert time.monotonic() - start < 5


def test_rendered_size_is_bounded(tmp_path):
    path = _template(tmp_path, "{% for i in range(50000) %}{{ text }}{% endfor %}")
    with pytest.raises(TemplateError, match="渲染结果过大"):
        lettergen.Template(path, limits=Limits(output=1_000_000)).render({"text": "x" * 100})


def test_recursion_is_a_template_error(tmp_path):
    path = _template(tmp_path, "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}")
    with pytest.raises(TemplateError, match="RecursionError|超出限制"):
        load_template(path).render({})


def test_ordinary_repetition_and_formatting_still_work(tmp_path):
    source = "{{ '—'*10 }}{{ n*3 }}|{{ '%05d'|format(n) }}|{{ '%s-%s' % (n, 7 % 4) }}|{{ '{:>4}'.format(n) }}|{{ 'ab'|center(6) }}|" \
             "{{ '编号 20261234567 {}'.format(100000000) }}"
    out = load_template(_template(tmp_path, source)).render({"n": 2})
    xml = zipfile.ZipFile(__import__("io").BytesIO(out)).read("word/document.xml").decode()
    assert "——————————6|00002|2-3|   2|  ab  |编号 20261234567 100000000" in xml


def _edit_sales_letter(project_copy, new: str) -> None:
    source = yaml.safe_load((PROJECT_DIR / "templates" / "source" / "sales_letter.yaml").read_text(encoding="utf-8"))
    source["body"] = source["body"] + [new]
    (project_copy.templates_dir / "sales_letter.docx").write_bytes(build_template(source, load_profile("song")))


@pytest.mark.parametrize("expression", [
    "{{ 'a'*10**9 }}",
    "{{ recipient.name*10**8 }}",
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
])
def test_templates_check_flags_and_render_refuses_with_exit_4(project_copy, project_copy_settings, expression, capsys,
                                                             tmp_path, monkeypatch):
    monkeypatch.setattr(environment, "LIMITS", Limits(seconds=0.5))  # the nested loops would run for the default 10 s
    _edit_sales_letter(project_copy, f"说明：{expression}")
    flagged = [f for f in check_templates(project_copy) if f.code == "sandbox-expensive" and f.severity == "error"]
    assert flagged and "sales_letter.docx" in flagged[0].paragraph_text
    with pytest.raises(SystemExit) as check:
        main(["--config", str(project_copy_settings), "templates", "check"])
    out = capsys.readouterr().out
    assert check.value.code == 1 and ("重复或乘法运算" in out or "嵌套的 range" in out)
    sample = PROJECT_DIR / "samples" / "sales_letter.yaml"
    with pytest.raises(SystemExit) as render:
        main(["--config", str(project_copy_settings), "render", "sales_letter", str(sample), "--number", "禾丰函〔2026〕1号",
              "-o", str(tmp_path / "x.docx")])
    err = capsys.readouterr().err
    assert render.value.code == 4 and "Traceback" not in err and "sales_letter" in err
    assert not (tmp_path / "x.docx").exists()


# -- templates from elsewhere ------------------------------------------------------------------

EXTERNAL = [
    ("image", "http://198.51.100.7/track.png"),
    ("image", "file:///etc/passwd"),
    ("oleObject", "file:///home/user/secret.xlsx"),
    ("attachedTemplate", "https://example.com/Normal.dotm"),
    ("stylesheet", "http://example.com/styles.css"),
]


def _with_parts(tmp_path: Path, extra: dict[str, bytes], rels: str = "", types: str = "") -> Path:
    path = _template(tmp_path, "{{ name }}")
    with zipfile.ZipFile(path) as zf:
        parts = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    name = "word/_rels/document.xml.rels"
    parts[name] = parts[name].replace(b"</Relationships>", rels.encode() + b"</Relationships>")
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(b"</Types>", types.encode() + b"</Types>")
    parts.update(extra)
    write_parts(path, parts)
    return path


@pytest.mark.parametrize("kind, target", EXTERNAL)
def test_external_relationship_is_refused(tmp_path, kind, target):
    rel = (f'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/{kind}" '
           f'Target="{target}" TargetMode="External"/>')
    path = _with_parts(tmp_path, {}, rels=rel)
    with pytest.raises(TemplateError, match=kind):
        load_template(path)
    with pytest.raises(TemplateError, match="外部"):
        lettergen.Template(path)


def test_external_hyperlink_is_allowed(tmp_path):
    rel = ('<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" '
           'Target="https://example.com" TargetMode="External"/>')
    assert load_template(_with_parts(tmp_path, {}, rels=rel)).render({"name": "x"})


def test_linked_picture_field_is_refused(tmp_path):
    path = _template(tmp_path, "{{ name }}")
    with zipfile.ZipFile(path) as zf:
        parts = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    parts["word/document.xml"] = parts["word/document.xml"].replace(
        b"</w:body>", b'<w:p><w:r><w:instrText> INCLUDEPICTURE "http://198.51.100.7/x.png" \\d </w:instrText></w:r></w:p></w:body>')
    write_parts(path, parts)
    with pytest.raises(TemplateError, match="INCLUDEPICTURE"):
        load_template(path)


@pytest.mark.parametrize("extra, types", [
    ({"word/vbaProject.bin": b"\xd0\xcf\x11\xe0macro"}, ""),
    ({}, '<Override PartName="/word/document.xml" ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/>'),
])
def test_macro_enabled_template_is_refused(tmp_path, extra, types):
    path = _with_parts(tmp_path, extra, types=types)
    with pytest.raises(TemplateError, match="宏"):
        load_template(path)


def test_templates_check_reports_untrusted_templates(project_copy):
    path = project_copy.templates_dir / "after_sales.docx"
    with zipfile.ZipFile(path) as zf:
        parts = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    parts["word/vbaProject.bin"] = b"macro"
    name = "word/_rels/document.xml.rels"
    parts[name] = parts[name].replace(b"</Relationships>", b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/'
                                      b'officeDocument/2006/relationships/image" Target="http://198.51.100.7/a.png" '
                                      b'TargetMode="External"/></Relationships>')
    write_parts(path, parts)
    found = [f for f in check_templates(project_copy) if f.code == "template-untrusted"]
    assert len(found) == 2 and all(f.severity == "error" and f.paragraph_text == "after_sales.docx" for f in found)
    assert any("vbaProject.bin" in f.message for f in found) and any("198.51.100.7" in f.message for f in found)


def test_build_refuses_a_package_with_macros(monkeypatch):
    from lettergen.housestyle import builder

    real = builder.save_reproducibly

    def with_macro(doc):
        data = real(doc)
        import io
        buf = io.BytesIO(data)
        with zipfile.ZipFile(buf, "a") as zf:
            zf.writestr("word/vbaProject.bin", b"macro")
        return buf.getvalue()

    monkeypatch.setattr(builder, "save_reproducibly", with_macro)
    source = yaml.safe_load((PROJECT_DIR / "templates" / "source" / "after_sales.yaml").read_text(encoding="utf-8"))
    with pytest.raises(TemplateError, match="vbaProject.bin"):
        build_template(source, load_profile("song"))


def test_pictures_made_by_the_render_are_embedded_not_linked(tmp_path):
    a = assets(tmp_path / "a")
    from docxtpl import InlineImage
    from docx.shared import Mm
    tpl = lettergen.Template(_template(tmp_path, "{{ seal }}"))
    out = tpl.render({"seal": InlineImage(tpl, str(a["seal"]), width=Mm(20))})
    rels = zipfile.ZipFile(__import__("io").BytesIO(out)).read("word/_rels/document.xml.rels")
    assert b"media/image1.png" in rels and b"External" not in rels


def test_field_split_across_runs_is_refused_but_plain_text_is_not(tmp_path):
    path = _template(tmp_path, "LINK 与 INCLUDEPICTURE http://example.com 只是正文文字 {{ name }}")
    assert load_template(path).render({"name": "x"})
    with zipfile.ZipFile(path) as zf:
        parts = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    parts["word/document.xml"] = parts["word/document.xml"].replace(
        b"</w:body>", b'<w:p><w:r><w:instrText> INCLUDE</w:instrText></w:r><w:r><w:instrText>TEXT "file:///etc/'
                      b'passwd" </w:instrText></w:r></w:p></w:body>')
    write_parts(path, parts)
    with pytest.raises(TemplateError, match="INCLUDETEXT"):
        load_template(path)


def test_templates_check_reads_core_properties_too(project_copy):
    path = project_copy.templates_dir / "after_sales.docx"
    with zipfile.ZipFile(path) as zf:
        parts = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    core = parts["docProps/core.xml"].decode()
    parts["docProps/core.xml"] = re.sub(r"<dc:title>[^<]*</dc:title>", "<dc:title>{{ ticket_title }} {{ ''.__class__ }}</dc:title>",
                                        core).encode()
    write_parts(path, parts)
    findings = {(f.code, f.paragraph_text.split("「")[0]) for f in check_templates(project_copy) if f.severity == "error"}
    assert ("template-undeclared", "after_sales.docx") in findings
    assert ("sandbox-attribute", "after_sales.docx（docProps/core.xml#dc:title）") in findings


def test_zip_bomb_template_is_refused_before_unpacking(tmp_path, monkeypatch):
    from lettergen.rendering import sources
    monkeypatch.setattr(sources, "MAX_UNPACKED", 2**20)
    path = _template(tmp_path, "{{ name }}")
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("word/media/bomb.bin", b"\0" * (3 * 2**20))  # 3 MB of zeros, a few KB packed
    assert path.stat().st_size < 100_000
    with pytest.raises(TemplateError, match="压缩炸弹"):
        load_template(path)


def test_template_with_an_entity_declaration_is_refused(tmp_path):
    """The renderer copies template XML as it is: a DOCTYPE would reach the letter and LibreOffice (XXE)."""
    path = _template(tmp_path, "{{ name }}")
    with zipfile.ZipFile(path) as zf:
        parts = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    xml = parts["word/document.xml"]
    head, rest = xml.split(b"?>", 1)
    parts["word/document.xml"] = head + b'?><!DOCTYPE w:document [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + \
        rest.replace(b"{{ name }}", b"{{ name }}&x;")
    write_parts(path, parts)
    with pytest.raises(TemplateError, match="DOCTYPE"):
        load_template(path)


def test_range_behaves_like_a_range(tmp_path):
    source = "{{ range(5)|length }}|{{ range(5)|list }}|{{ range(10)[2] }}|{{ 3 in range(5) }}|{{ range(3)|reverse|join(',') }}|" \
             "{% for i in range(3) %}{{ loop.revindex }}{% endfor %}"
    out = load_template(_template(tmp_path, source)).render({})
    xml = zipfile.ZipFile(__import__("io").BytesIO(out)).read("word/document.xml").decode()
    assert "5|[0, 1, 2, 3, 4]|2|True|2,1,0|321" in xml


def test_templates_check_does_not_crash_on_odd_ranges(project_copy):
    _edit_sales_letter(project_copy, "{% for i in range(1, 5, 0) %}{% for j in range(10**400) %}x{% endfor %}{% endfor %}")
    assert any(f.code.startswith("sandbox-") for f in check_templates(project_copy))
