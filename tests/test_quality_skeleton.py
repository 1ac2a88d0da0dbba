"""New kind skeleton: files that validate, render and pass every check at once."""
from __future__ import annotations


import pytest

from lettergen import api
from lettergen.cli import main
from lettergen.cli import quality_cmds  # noqa: F401  (registers `templates new`)
from lettergen.config import PROJECT_DIR
from lettergen.housestyle import check_letter, load_profile
from lettergen.quality import check_letter_quality, check_templates, new_kind
from lettergen.quality.skeleton import SkeletonError




def test_new_kind_renders_and_passes_every_check(project_copy, tmp_path):
    paths = new_kind(project_copy, "thank_you", "答谢信")
    assert {p.relative_to(tmp_path).as_posix() for p in paths} == {
        "schemas/thank_you.yaml", "templates/source/thank_you.yaml", "templates/letters/thank_you.docx",
        "samples/thank_you.yaml", "templates/letters/fangsong/thank_you.docx"}
    assert "thank_you" in [k.key for k in api.kinds(project_copy)]
    data = api.load_data(project_copy.samples_dir / "thank_you.yaml")
    assert api.validate("thank_you", data, project_copy).problems == []
    letter = api.render_letter("thank_you", data, number="禾丰答函〔2026〕3号", config=project_copy)
    assert letter.data["title"] == "关于答谢信的函"
    assert [f for f in check_letter(letter.docx, load_profile("song")) if f.severity != "info"] == []
    assert [f for f in check_templates(project_copy) if "thank_you" in f.paragraph_text] == []
    assert check_letter_quality("thank_you", letter.data, letter.docx, project_copy, strict=True) == []
    # the fangsong variant is used when the settings choose that profile
    project_copy.data["style"]["profile"] = "fangsong"
    letter = api.render_letter("thank_you", data, number="禾丰答函〔2026〕3号", config=project_copy)
    assert [f for f in check_letter(letter.docx, load_profile("fangsong")) if f.severity == "error"] == []


def test_new_kind_never_overwrites(project_copy):
    source = project_copy.templates_dir.parent / "source" / "revisit.yaml"
    source.write_text("kind: revisit\n", encoding="utf-8")
    with pytest.raises(SkeletonError, match="已存在"):
        new_kind(project_copy, "revisit", "回访函")
    assert source.read_text(encoding="utf-8") == "kind: revisit\n"
    assert not (project_copy.schemas_dir / "revisit.yaml").exists()
    with pytest.raises(SkeletonError):
        new_kind(project_copy, "payment_reminder", "催款函")


@pytest.mark.parametrize("key", ["Thank_you", "1letter", "thank-you", "_hidden", "", "a/b"])
def test_new_kind_rejects_bad_keys(project_copy, key):
    with pytest.raises(SkeletonError, match="类型标识"):
        new_kind(project_copy, key, "答谢信")
    assert sorted(p.name for p in project_copy.schemas_dir.iterdir()) == sorted(p.name for p in (PROJECT_DIR / "schemas").iterdir())


def test_cli_templates_new(project_copy, project_copy_settings, capsys):
    toml = project_copy_settings
    with pytest.raises(SystemExit) as done:
        main(["--config", str(toml), "templates", "new", "revisit_letter", "--name", "回访函"])
    out = capsys.readouterr().out
    assert done.value.code == 0 and "revisit_letter.docx" in out and "[numbering.codes]" in out
    letter = api.render_letter("revisit_letter", api.load_data(project_copy.samples_dir / "revisit_letter.yaml"),
                               number="禾丰函〔2026〕1号", config=project_copy)
    assert letter.data["title"] == "关于回访的函"
    with pytest.raises(SystemExit) as again:
        main(["--config", str(toml), "templates", "new", "revisit_letter", "--name", "回访函"])
    assert again.value.code == 2
