"""Template contract: templates against their schemas and the Jinja sandbox."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
import yaml

from lettergen.cli import main
from lettergen.cli import quality_cmds  # noqa: F401  (registers `templates check` / `templates new`)
from lettergen.config import PROJECT_DIR, Config
from lettergen.housestyle import build_template, load_profile
from lettergen.quality import check_templates




def _source(kind: str) -> dict:
    return yaml.safe_load((PROJECT_DIR / "templates" / "source" / f"{kind}.yaml").read_text(encoding="utf-8"))


def _rebuild(config: Config, kind: str, extra: list, profile: str = "song") -> Path:
    """Rebuild ``kind``'s template with ``extra`` body paragraphs appended."""
    source = _source(kind)
    source["body"] = source["body"] + extra
    folder = config.templates_dir if profile == "song" else config.templates_dir / profile
    path = folder / f"{kind}.docx"
    path.write_bytes(build_template(source, load_profile(profile)))
    return path


def _errors(findings):
    return [f for f in findings if f.severity == "error"]


def test_bundled_templates_honour_the_contract(project_config):
    findings = check_templates(project_config)
    assert findings == []  # no errors, warnings or notes on the bundled kinds


def test_undeclared_variable_is_an_error(project_copy):
    _rebuild(project_copy, "complaint_response", ["补偿合计{{ compensation_total|money }}。", "{{ recipient.nmae }}"])
    errors = _errors(check_templates(project_copy))
    assert [(f.code, f.paragraph_text) for f in errors] == [("template-undeclared", "complaint_response.docx")] * 2
    assert "compensation_total" in errors[0].message and "recipient.nmae" in errors[1].message


def test_profile_variant_is_checked(project_copy):
    _rebuild(project_copy, "sales_letter", ["{{ discount_rate }}"], profile="fangsong")
    errors = _errors(check_templates(project_copy))
    assert [(f.code, f.paragraph_text) for f in errors] == [("template-undeclared", "fangsong/sales_letter.docx")]


@pytest.mark.parametrize("expression, code", [
    ("{{ ''.__class__ }}", "sandbox-attribute"),
    ("{{ title['__class__'] }}", "sandbox-attribute"),
    ("{{ cycler.__init__ }}", "sandbox-attribute"),
    ("{{ self }}", "sandbox-name"),
    ("{% for i in range(10000000) %}{{ i }}{% endfor %}", "sandbox-name"),
    ("{% for i in range(total) %}x{% endfor %}", "sandbox-name"),
])
def test_sandbox_escape_attempts_are_flagged(project_copy, expression, code):
    _rebuild(project_copy, "payment_reminder", [f"说明：{expression}"])
    flagged = [f for f in _errors(check_templates(project_copy)) if f.code.startswith("sandbox-")]
    assert flagged and flagged[0].code == code
    assert flagged[0].paragraph_text.startswith("payment_reminder.docx（word/document.xml）「说明：")


def test_small_constant_range_is_allowed(project_copy):
    _rebuild(project_copy, "payment_reminder", ["{% for i in range(3) %}*{% endfor %}"])
    assert _errors(check_templates(project_copy)) == []


def test_template_that_does_not_compile(project_copy):
    path = project_copy.templates_dir / "after_sales.docx"
    with zipfile.ZipFile(path) as zf:
        parts = {info.filename: zf.read(info) for info in zf.infolist()}
    xml = parts["word/document.xml"].decode("utf-8")
    assert "{{ order_no }}" in xml
    parts["word/document.xml"] = xml.replace("{{ order_no }}", "{{ order_no ", 1).encode("utf-8")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, blob in parts.items():
            zf.writestr(name, blob)
    path.write_bytes(buf.getvalue())
    assert [(f.code, f.paragraph_text) for f in _errors(check_templates(project_copy))] == [("template-syntax", "after_sales.docx")]


def test_required_field_that_no_template_shows(project_copy):
    source = _source("complaint_response")
    source["body"] = [b for b in source["body"] if "case_no" not in str(b)]
    for profile in ("song", "fangsong"):
        folder = project_copy.templates_dir if profile == "song" else project_copy.templates_dir / profile
        (folder / "complaint_response.docx").write_bytes(build_template(source, load_profile(profile)))
    unused = [f for f in check_templates(project_copy) if f.code == "required-unused"]
    assert [(f.severity, f.paragraph_text) for f in unused if "case_no" in f.message] == [("warning", "complaint_response.yaml")]


def test_missing_and_orphan_templates(project_copy):
    (project_copy.templates_dir / "sales_letter.docx").rename(project_copy.templates_dir / "old_letter.docx")
    codes = {(f.code, f.severity) for f in check_templates(project_copy)}
    assert {("template-missing", "error"), ("template-orphan", "warning")} <= codes


def test_cli_templates_check_exit_codes(project_copy, project_copy_settings, capsys):
    toml = project_copy_settings
    with pytest.raises(SystemExit) as ok:
        main(["--config", str(toml), "templates", "check"])
    assert ok.value.code == 0 and "模板检查通过" in capsys.readouterr().out
    _rebuild(project_copy, "payment_reminder", ["{{ ''.__class__.__mro__ }}"])
    with pytest.raises(SystemExit) as failed:
        main(["--config", str(toml), "templates", "check"])
    out = capsys.readouterr()
    assert failed.value.code == 1 and "__mro__" in out.out and "模板检查未通过" in out.err


def test_computed_from_counts_as_shown(project_copy):
    assert [f for f in check_templates(project_copy) if f.code == "required-unused"] == []
    path = project_copy.schemas_dir / "sales_letter.yaml"
    schema = yaml.safe_load(path.read_text(encoding="utf-8"))
    del schema["computed"]["validity"]["from"]  # valid_from/valid_to are shown only through `validity`
    path.write_text(yaml.safe_dump(schema, allow_unicode=True), encoding="utf-8")
    unused = {f.message for f in check_templates(project_copy) if f.code == "required-unused"}
    assert any("valid_from" in m for m in unused) and any("valid_to" in m for m in unused)
