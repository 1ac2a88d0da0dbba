"""Differential suite: every documented docxtpl feature renders as stock docxtpl renders it.

Each template of :mod:`tests.docx_features` is rendered by docxtpl (autoescape
on) and by ``lettergen.Template`` and compared part by part after
normalising (:mod:`tests.docx_compare`): paragraph texts, pictures and links
through their relationships, table grids and merges, numbering, headers,
footers, notes, comments and core properties.  The same again after the
template made a round trip through LibreOffice (``soffice --convert-to
docx``), as templates saved in LibreOffice or WPS do.

The only differences allowed are the deliberate ones the README lists; they
are asserted here too (lettergen renders endnotes and comments, and core
properties without docxtpl's double escaping).
"""
from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path

import pytest
from docxtpl import DocxTemplate

import lettergen
from lettergen.convert import find_soffice

from .docx_compare import normalise
from .docx_features import FEATURES, Feature, assets, render_docxtpl

NAMES = [f.name for f in FEATURES]


@pytest.fixture(scope="session")
def feature_files(tmp_path_factory) -> tuple[Path, dict[str, Path]]:
    folder = tmp_path_factory.mktemp("features")
    pictures = assets(folder / "assets")
    for feature in FEATURES:
        feature.build(folder / f"{feature.name}.docx", pictures)
    return folder, pictures


@pytest.fixture(scope="session")
def round_tripped(feature_files, tmp_path_factory) -> Path:
    """Every feature template opened and saved as .docx by LibreOffice, once per session."""
    soffice = find_soffice()
    if soffice is None:
        if os.environ.get("CI"):
            pytest.fail("soffice not found, but CI is set: LibreOffice is required there")
        pytest.skip("LibreOffice (soffice) not installed: apt-get install libreoffice-writer-nogui")
    folder, _ = feature_files
    out = tmp_path_factory.mktemp("round-trip")
    profile = tmp_path_factory.mktemp("lo-profile")
    sources = [str(folder / f"{name}.docx") for name in NAMES]
    subprocess.run([soffice, "--headless", "--norestore", f"-env:UserInstallation={profile.as_uri()}",
                    "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(out), *sources],
                   check=True, capture_output=True, timeout=300)
    missing = [name for name in NAMES if not (out / f"{name}.docx").is_file()]
    assert not missing, f"LibreOffice did not convert {missing}"
    return out


def render_lettergen(path: Path, feature: Feature, pictures: dict) -> bytes:
    tpl = lettergen.Template(path, filters=feature.filters)
    if feature.prepare:
        feature.prepare(tpl, pictures)
    return tpl.render(feature.context(tpl, pictures))


def assert_same_as_docxtpl(path: Path, feature: Feature, pictures: dict) -> None:
    theirs = normalise(render_docxtpl(path, feature, pictures))
    ours_bytes = render_lettergen(path, feature, pictures)
    ours = normalise(ours_bytes)
    assert ours["drawing ids unique"]
    for key in sorted(set(theirs) | set(ours)):
        if key in feature.differs_in:
            continue
        assert ours.get(key) == theirs.get(key), f"{feature.name}: {key} differs from docxtpl"
    for key in feature.differs_in:  # the deliberate differences: lettergen renders what docxtpl leaves
        if key == "core":
            context = feature.context(lettergen.Template(path), pictures)
            assert ours["core"]["title"] == context["title"] != theirs["core"]["title"]
        else:
            texts = "".join(ours[key]["paragraphs"])
            assert "{{" in "".join(theirs[key]["paragraphs"]) and "{{" not in texts and texts
    assert render_lettergen(path, feature, pictures) == ours_bytes  # same input, same bytes


@pytest.mark.parametrize("name", NAMES)
def test_feature_renders_as_docxtpl(name, feature_files):
    folder, pictures = feature_files
    feature = next(f for f in FEATURES if f.name == name)
    assert_same_as_docxtpl(folder / f"{name}.docx", feature, pictures)


@pytest.mark.libreoffice
@pytest.mark.parametrize("name", NAMES)
def test_feature_renders_as_docxtpl_after_libreoffice_round_trip(name, feature_files, round_tripped):
    _, pictures = feature_files
    feature = next(f for f in FEATURES if f.name == name)
    assert_same_as_docxtpl(round_tripped / f"{name}.docx", feature, pictures)


@pytest.mark.parametrize("name", ["paragraphs", "tables", "merges", "headers", "listing", "quoted"])
def test_undeclared_variables_as_docxtpl(name, feature_files):
    folder, _ = feature_files
    path = folder / f"{name}.docx"
    theirs = DocxTemplate(str(path)).get_undeclared_template_variables()
    tpl = lettergen.Template(path)
    assert tpl.undeclared_variables() == theirs == tpl.get_undeclared_template_variables()
    assert tpl.undeclared_variables({next(iter(theirs)): 1}) == theirs - {next(iter(theirs))}


def test_undeclared_variables_include_notes_and_core_properties(feature_files):
    folder, _ = feature_files
    assert lettergen.Template(folder / "notes.docx").undeclared_variables() == {"name", "reviewer", "footnote", "endnote"}
    assert lettergen.Template(folder / "core.docx").undeclared_variables() == {"title", "subject", "author"}


def test_save_writes_the_rendered_letter_like_docxtpl(feature_files, tmp_path):
    folder, pictures = feature_files
    tpl = lettergen.Template(folder / "paragraphs.docx")
    feature = FEATURES[0]
    data = tpl.render(feature.context(tpl, pictures))
    tpl.save(tmp_path / "out.docx")
    assert (tmp_path / "out.docx").read_bytes() == data


def test_data_with_docxtpl_escapes_is_printed_literally_also_with_a_subdoc(feature_files):
    folder, pictures = feature_files
    tpl = lettergen.Template(folder / "subdoc.docx")
    context = {**FEATURES[[f.name for f in FEATURES].index("subdoc")].context(tpl, pictures), "name": "{_{ x }_} {{ y }}"}
    assert normalise(tpl.render(context))["word/document.xml"]["paragraphs"][-1] == "结束，{_{ x }_} {{ y }}"


@pytest.mark.parametrize("name", ["images", "subdoc"])
def test_template_from_a_stream_renders_like_from_its_file(name, feature_files):
    folder, pictures = feature_files
    feature = next(f for f in FEATURES if f.name == name)
    path = folder / f"{name}.docx"
    with open(path, "rb") as stream:
        tpl = lettergen.Template(stream)
    from_stream = normalise(tpl.render(feature.context(tpl, pictures)))
    assert from_stream == normalise(render_lettergen(path, feature, pictures))
    from_bytes = lettergen.Template(io.BytesIO(path.read_bytes()))
    assert from_stream == normalise(from_bytes.render(feature.context(from_bytes, pictures)))
