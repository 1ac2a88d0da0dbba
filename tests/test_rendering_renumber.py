"""Numbering a trial rendering (lettergen.rendering.renumber, letters.numbered) gives the
bytes of rendering with the number, or declines and the letter is rendered again."""
from __future__ import annotations

import copy
import io
from pathlib import Path

import docx
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from lettergen.config import Config
from lettergen.issuing import PLACEHOLDER_NUMBER
from lettergen.letters import numbered, prepare, render_context, template_for, trial_letter
from lettergen.rendering import load_template, renumber
from lettergen.rendering.renumber import mentions

from .conftest import KINDS
from .docx_features import document_of

IDENTITY = {"register_id": "ab" * 16, "number": "x", "kind": "k"}


def _config(base: Config, profile: str, public_url: str | None) -> Config:
    data = copy.deepcopy(base.data)
    data.setdefault("style", {})["profile"] = profile
    if public_url:
        data.setdefault("service", {})["public_url"] = public_url
    return Config(data, base.base_dir, base.source)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("profile", ["song", "fangsong"])
@pytest.mark.parametrize("public_url", [None, "https://letters.example.cn"])
def test_every_sample_is_numbered_from_its_trial_with_the_same_bytes(kind, profile, public_url, project_config,
                                                                    sample_data):
    config = _config(project_config, profile, public_url)
    template = template_for(config, kind)
    prepared = prepare(kind, sample_data(kind), config)
    trial = trial_letter(template, prepared.context, config, PLACEHOLDER_NUMBER)
    for number in ("禾丰〔2026〕7号", "HF-2026-00042", "售后函〔2026〕第1234567号"):
        identity = dict(IDENTITY, number=number)
        assert renumber(template, trial.raw, PLACEHOLDER_NUMBER, number, prepared.context) is not None
        made = numbered(template, trial, prepared.context, PLACEHOLDER_NUMBER, number, identity, "K7Q2M9XA")
        assert made == render_context(template, prepared.context, number, identity, "K7Q2M9XA")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(number=st.text(alphabet="禾丰函〔〕号第-/ABCxyz0123456789<>&'\"{}%_\n\t ", min_size=1, max_size=24))
def test_any_number_gives_the_bytes_of_rendering_with_it(number, project_config, sample_data):
    template = template_for(project_config, "payment_reminder")
    prepared = prepare("payment_reminder", sample_data("payment_reminder"), project_config)
    trial = trial_letter(template, prepared.context, project_config, PLACEHOLDER_NUMBER)
    made = numbered(template, trial, prepared.context, PLACEHOLDER_NUMBER, number, dict(IDENTITY, number=number))
    assert made == render_context(template, prepared.context, number, dict(IDENTITY, number=number))
    risky = set("<>&'\"{}%\n\t")
    if not risky & set(number):
        assert renumber(template, trial.raw, PLACEHOLDER_NUMBER, number, prepared.context) is not None


def test_data_that_holds_the_placeholder_text_is_rendered_again(project_config, sample_data):
    data = sample_data("payment_reminder")
    data["attachments"][0] = f"回函请注明{PLACEHOLDER_NUMBER}"
    template = template_for(project_config, "payment_reminder")
    prepared = prepare("payment_reminder", data, project_config)
    trial = trial_letter(template, prepared.context, project_config, PLACEHOLDER_NUMBER)
    assert renumber(template, trial.raw, PLACEHOLDER_NUMBER, "催〔2026〕1号", prepared.context) is None
    made = numbered(template, trial, prepared.context, PLACEHOLDER_NUMBER, "催〔2026〕1号")
    assert made == render_context(template, prepared.context, "催〔2026〕1号")
    assert "回函请注明〔文号〕" in _text(made) and "催〔2026〕1号" in _text(made)


def _text(package: bytes) -> str:
    return "\n".join(p.text for p in docx.Document(io.BytesIO(package)).paragraphs)


def _small(tmp_path: Path, *paragraphs: str, table: str | None = None) -> Path:
    doc = document_of(*paragraphs)
    if table is not None:
        doc.add_table(rows=1, cols=2).rows[0].cells[0].text = table
    path = tmp_path / "small.docx"
    doc.save(path)
    return path


def _both(path: Path, context: dict, number: str) -> tuple[bytes | None, bytes]:
    template = load_template(path)
    trial = template.render({**context, "number": PLACEHOLDER_NUMBER}, level=0)
    return renumber(template, trial, PLACEHOLDER_NUMBER, number, context), template.render({**context, "number": number})


@pytest.mark.parametrize("paragraphs", [
    ["文号：{{ number }}", "{% if name %}{{ name }}{% endif %}", "{% for i in items %}{{ number }}·{{ i }}{% endfor %}"],
    ["{{ number }}", "{%- with n = name -%}{{ number }}{{ n }}{%- endwith -%}"],
])
def test_plain_uses_of_the_number_are_renumbered_exactly(tmp_path, paragraphs):
    made, direct = _both(_small(tmp_path, *paragraphs), {"name": "钱女士", "items": [1, 2]}, "华贸催函〔2026〕12号")
    assert made is not None and made == direct


@pytest.mark.parametrize("paragraphs, table", [
    (["{{ number|upper }}"], None),                                       # a filter
    (["{{ number ~ '号' }}"], None),                                      # an expression
    (["{% if number|length > 5 %}长{% endif %}{{ number }}"], None),     # a test on it
    (["{% filter upper %}{{ number }}{% endfilter %}"], None),           # a filtered block
    (["{% set x %}{{ number }}{% endset %}{{ x|lower }}"], None),        # a captured block
    (["{% macro m() %}{{ number }}{% endmacro %}{{ m()|upper }}"], None),  # a macro's body
    (["{% set number = 'x' %}{{ number }}"], None),                      # rebinding it
    (["说明：本函文号为〔文号〕", "{{ number }}"], None),               # the placeholder in the template's text
    (["{{ name }}"], "{{ number }}"),                                     # in a table (the house style refits columns)
])
def test_other_uses_are_declined_and_the_letter_is_rendered(tmp_path, paragraphs, table):
    made, direct = _both(_small(tmp_path, *paragraphs, table=table), {"name": "钱女士"}, "hm〔2026〕12号")
    assert made is None
    assert direct  # rendering with the number still works


def test_only_plain_data_is_searched_for_the_placeholder():
    from datetime import date
    from decimal import Decimal

    assert not mentions({"a": [1, 2.5, None, True, Decimal("3.10"), date(2026, 5, 1)], "b": "x"}, "〔文号〕")
    assert mentions({"a": ("x", {"b": "见〔文号〕"})}, "〔文号〕")
    assert mentions({"〔文号〕": 1}, "〔文号〕")
    assert mentions({"a": object()}, "〔文号〕")  # unknown objects: assume it may print it
