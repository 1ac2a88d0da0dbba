"""The pre-check that spares sure one-page letters from LibreOffice's measuring.

Small cases, no LibreOffice; tests/test_fit_estimate_office.py proves the
bound against LibreOffice's page count.
"""
from __future__ import annotations

import copy

import pytest

from lettergen.config import Config
from lettergen.convert import measure
from lettergen.housestyle.estimate import page_bound, surely_one_page
from lettergen.housestyle.fit import FIT_KEY
from lettergen.housestyle.linebreak import Glyph, Unknown, count_lines, pieces
from lettergen.letters import fit_letter, prepare, render_context, template_for


NUMBER = "禾丰函〔2026〕1号"


def glyphs(text: str, size: float = 12.0) -> list[Glyph]:
    return [Glyph(ch, size) for ch in text]


def test_pieces_break_only_where_libreoffice_surely_may():
    assert pieces(glyphs("我们")) == [12.0, 12.0]
    assert len(pieces(glyphs("我们，你"))) == 3  # no break before the comma: 们， stays together
    assert len(pieces(glyphs("No. 33012345"))) == 2  # after the space, before a digit
    assert len(pieces(glyphs("（发票"))) == 2  # nothing breaks after an opening bracket
    assert pieces(glyphs("合同HF")) == [12.0, 12.0 + 24.0 + 0.25 * 12.0]  # Asian-Western spacing
    with pytest.raises(Unknown):
        pieces(glyphs("\U0001F600"))  # an emoji: width unknown, the letter is measured


def test_count_lines_first_fit_with_one_em_less_per_line():
    assert count_lines([12.0] * 10, 120.0, 120.0, 12.0) == 1
    assert count_lines([12.0] * 11, 120.0, 120.0, 12.0) == 2
    assert count_lines([12.0] * 10, 96.0, 120.0, 12.0) == 2  # an indented first line
    assert count_lines([12.0, 300.0, 12.0], 120.0, 120.0, 12.0) == 1 + 3 + 1  # a piece broken anywhere


def config_for(project_config: Config, profile: str) -> Config:
    data = copy.deepcopy(project_config.data)
    data["style"]["profile"] = profile
    return Config(data, project_config.base_dir, project_config.source)


def rendered(config: Config, kind: str, data: dict) -> bytes:
    prepared = prepare(kind, data, config)
    return render_context(template_for(config, kind), {**prepared.context, FIT_KEY: None}, NUMBER)


def test_short_letter_is_not_measured_and_a_page_break_is(project_config, sample_data, monkeypatch):
    calls = []
    monkeypatch.setattr(measure, "can_measure", lambda: True)
    monkeypatch.setattr(measure, "count_pages", lambda docx: calls.append(docx) or 1)
    config = config_for(project_config, "song")
    short = sample_data("after_sales")
    prepared = prepare("after_sales", short, config)
    template = template_for(config, "after_sales")
    assert surely_one_page(rendered(config, "after_sales", short))
    fit_letter(template, prepared.context, config, NUMBER)
    assert calls == [] and FIT_KEY not in prepared.context
    long = dict(short, details="设备故障说明。" * 400)
    assert not surely_one_page(rendered(config, "after_sales", long))
    fit_letter(template, prepare("after_sales", long, config).context, config, NUMBER)
    assert len(calls) == 1  # measured as before (one page counted: no fit tried)


def test_the_bound_grows_with_the_text_and_refuses_what_it_does_not_model(project_config, sample_data):
    config = config_for(project_config, "song")
    data = sample_data("after_sales")
    short, available, pitch = page_bound(rendered(config, "after_sales", data))
    longer = page_bound(rendered(config, "after_sales", dict(data, details=data["details"] * 3)))[0]
    assert 0 < short < longer and available > 600 and pitch == 23.0
    with pytest.raises(Unknown):
        page_bound(rendered(config, "after_sales", dict(data, details="控制\U0001F600")))


def test_what_the_bound_cannot_read_is_measured():
    assert not surely_one_page(b"not a docx")
