"""Document numbers from patterns: formatting, validation, sequence keys."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lettergen.config import DEFAULTS, Config
from lettergen.errors import ConfigError
from lettergen.numbering import DEFAULT_PATTERN, format_number, numbering_for, sequence_key, validate_pattern


def test_default_pattern_gives_gbt_style_number_with_u3014_brackets():
    number = format_number(DEFAULT_PATTERN, org="华贸", code="催", year=2026, seq=12)
    assert number == "华贸催函〔2026〕12号"
    assert "\u3014" in number and "\u3015" in number


def test_zero_padding_by_width():
    assert format_number(DEFAULT_PATTERN, org="华贸", code="销", year=2026, seq=7, width=3) == "华贸销函〔2026〕007号"
    assert format_number(DEFAULT_PATTERN, org="华贸", code="销", year=2026, seq=1234, width=3) == "华贸销函〔2026〕1234号"
    assert format_number(DEFAULT_PATTERN, org="华贸", code="销", year=2026, seq=7, width=0) == "华贸销函〔2026〕7号"


def test_sequence_key_leaves_seq_placeholder_in():
    assert sequence_key(DEFAULT_PATTERN, org="华贸", code="催", year=2026) == "华贸催函〔2026〕{seq}号"


def test_sequence_restarts_each_year_and_is_separate_per_prefix():
    keys = {
        sequence_key(DEFAULT_PATTERN, org="华贸", code="催", year=2026),
        sequence_key(DEFAULT_PATTERN, org="华贸", code="催", year=2027),
        sequence_key(DEFAULT_PATTERN, org="华贸", code="销", year=2026),
        sequence_key(DEFAULT_PATTERN, org="远航", code="催", year=2026),
    }
    assert len(keys) == 4


@pytest.mark.parametrize("pattern, fragment", [
    ("{org}{code}函〔{year}〕号", "{seq}"),
    ("{org}{code}函第{seq}号", "{year}"),
    ("{org}{dept}函〔{year}〕{seq}号", "{dept}"),
    ("{org}函〔{year}〕{seq:03d}号", "numbering.width"),
    ("{org}函〔{year}〕{seq}号{seq}", "只能出现一次"),
    ("{org}函〔{year}〕{seq号", "花括号"),
    ("", "不能为空"),
])
def test_bad_patterns_are_config_errors_in_chinese(pattern, fragment):
    with pytest.raises(ConfigError) as info:
        validate_pattern(pattern)
    assert fragment in str(info.value)
    with pytest.raises(ConfigError):
        format_number(pattern, org="华贸", code="催", year=2026, seq=1)


def test_bad_width_and_year_are_rejected():
    with pytest.raises(ConfigError):
        format_number(DEFAULT_PATTERN, org="", code="", year=2026, seq=1, width=-1)
    with pytest.raises(ConfigError):
        sequence_key(DEFAULT_PATTERN, org="", code="", year="2026")
    with pytest.raises(ValueError):
        format_number(DEFAULT_PATTERN, org="", code="", year=2026, seq=0)


def test_numbering_for_reads_the_settings():
    data = {**DEFAULTS, "numbering": {**DEFAULTS["numbering"], "org": "华贸", "width": 4}}
    key, make = numbering_for(Config(data, base_dir=None), "complaint_response", 2026)
    assert key == "华贸诉函〔2026〕{seq}号"
    assert make(5) == "华贸诉函〔2026〕0005号"


@given(seq=st.integers(min_value=1, max_value=10**7), width=st.integers(min_value=0, max_value=8),
       year=st.integers(min_value=1000, max_value=9999))
def test_number_is_key_with_padded_seq(seq, width, year):
    key = sequence_key(DEFAULT_PATTERN, org="华贸", code="催", year=year)
    number = format_number(DEFAULT_PATTERN, org="华贸", code="催", year=year, seq=seq, width=width)
    assert number == key.replace("{seq}", str(seq).zfill(width))
    assert int(number.split("〕")[1].rstrip("号")) == seq
