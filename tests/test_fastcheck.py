"""The compiled fast path gives exactly Cerberus's results (differential tests with hypothesis).

Two copies of each kind are validated side by side: one with the fast path
(:mod:`lettergen.fastcheck`), one forced through Cerberus alone.  On random
and hostile documents — the samples with leaves replaced by odd values,
fields removed, unknown fields added — both must give the same problems
(path, label, message, value), the same warnings and the same normalised
document, down to the types and the key order.
"""
from __future__ import annotations

import copy
import dataclasses
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from lettergen.api import load_data
from lettergen.config import PROJECT_DIR
from lettergen.fastcheck import NoFastCheck, fast_check_for
from lettergen.schemas import load_kind
from lettergen.validation import _clean, _validator_for, parse_date, parse_datetime, validate
from lettergen.letters import with_defaults

from .conftest import KINDS

TODAY = date(2026, 11, 23)

HOSTILE = [
    "", " ", "\t", "abc", "A\x07B", "13800138000", "13800138000\n", "0571-88886666 转 8", "x" * 61, "x" * 201,
    "2026-11-22", "2026/02/30", "2026年11月22日", "20261122", "2026-11-22 14:30", "2026年11月22日 14时30分",
    "2026-13-01", "¥1,234.56", "1,234.567", "12345.67元", "-5", "0", "0.01", "0.001", "人民币100", "abc元",
    "是", "否", "true", "1", "首次提醒", "正式催告", "first", "final", "紧急", "name@example.com", "a@b",
    "91310000MA1FL8TQ3B", "91310000MA1FL8TQ3C", "6222 0000 1111 2222", "我方责任", "退货", "repair", "refund",
    0, 1, -1, 2, 0.01, 0.005, 1e20, True, False, None, Decimal("12.5"), Decimal("1.000"), Decimal("NaN"),
    Decimal("-0.01"), date(2026, 1, 1), date(2026, 12, 31), datetime(2026, 11, 22, 14, 30), [], {}, ["x"],
    {"a": 1}, [{"a": 1}], [1, 2],
]


def paths_of(value, prefix=()):
    """Every path to a value inside nested dicts and lists (including containers)."""
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            out += paths_of(item, prefix + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out += paths_of(item, prefix + (i,))
    return out


def schema_paths(rules, prefix=()):
    """Field paths from the schema (list items as index 0), for adding fields the sample lacks."""
    out = []
    for name, rule in rules.items():
        out.append(prefix + (name,))
        sub = rule.get("schema")
        if rule.get("type") == "dict" and isinstance(sub, dict):
            out += schema_paths(sub, prefix + (name,))
        elif rule.get("type") == "list" and isinstance(sub, dict) and isinstance(sub.get("schema"), dict):
            out += schema_paths(sub["schema"], prefix + (name, 0))
    return out


def parent_of(doc, path):
    """The container holding ``path``'s last step, or None when the path no longer exists."""
    for step in path[:-1]:
        try:
            doc = doc[step]
        except (KeyError, IndexError, TypeError):
            return None
    return doc


def set_at(doc, path, value):
    target = parent_of(doc, path)
    if isinstance(target, dict) or (isinstance(target, list) and isinstance(path[-1], int) and path[-1] < len(target)):
        target[path[-1]] = value


def delete_at(doc, path):
    target = parent_of(doc, path)
    if isinstance(target, dict):
        target.pop(path[-1], None)
    elif isinstance(target, list) and isinstance(path[-1], int) and path[-1] < len(target):
        del target[path[-1]]


def kinds(kind: str):
    """(fast, Cerberus-only) copies of a kind."""
    fast = load_kind(PROJECT_DIR / "schemas", kind)  # shared: load_kind returns one instance per kind
    slow = dataclasses.replace(fast, cache={"fastcheck": NoFastCheck()})
    return fast, slow


def outcome(result):
    return ([(p.path, p.label, p.message, repr(p.value), p.severity) for p in result.problems],
            [(p.path, p.label, p.message, repr(p.value)) for p in result.warnings],
            repr(result.document))


@st.composite
def documents(draw, kind: str, sample: dict, schema_rules: dict):
    doc = copy.deepcopy(sample)
    for _ in range(draw(st.integers(0, 4))):
        action = draw(st.sampled_from(["replace", "replace", "replace", "when", "when", "delete", "add", "unknown", "dup"]))
        present = paths_of(doc)
        dated = [p for p in present if parse_date(_get(doc, p)) is not None or parse_datetime(_get(doc, p)) is not None]
        if action == "when" and dated:  # dates around each other: after_field / not_before_field
            when = draw(st.dates(date(2025, 6, 1), date(2027, 6, 1)))
            shown = draw(st.sampled_from([when, when.isoformat(), when.strftime("%Y年%m月%d日"), f"{when} 09:30"]))
            set_at(doc, draw(st.sampled_from(dated)), shown)
        elif action == "replace" and present:
            set_at(doc, draw(st.sampled_from(present)), draw(st.sampled_from(HOSTILE) | st.text(max_size=8)))
        elif action == "delete" and present:
            delete_at(doc, draw(st.sampled_from(present)))
        elif action == "add":
            set_at(doc, draw(st.sampled_from(schema_paths(schema_rules))), draw(st.sampled_from(HOSTILE)))
        elif action == "unknown":
            containers = [()] + [p for p in present if isinstance(_get(doc, p), dict)]
            set_at(doc, draw(st.sampled_from(containers)) + (draw(st.sampled_from(["bogus", "备注", "x"])),), "1")
        elif action == "dup":
            lists = [p for p in present if isinstance(_get(doc, p), list) and _get(doc, p)]
            if lists:
                target = _get(doc, draw(st.sampled_from(lists)))
                target.append(copy.deepcopy(target[0]))
    return doc


def _get(doc, path):
    for step in path:
        doc = doc[step]
    return doc


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fast_path_and_cerberus_agree_on_random_and_hostile_documents(kind, data, project_config):
    fast_kind, slow_kind = kinds(kind)
    sample = load_data(PROJECT_DIR / "samples" / f"{kind}.yaml")
    document = data.draw(documents(kind, sample, fast_kind.rules))
    full = with_defaults(fast_kind, document, project_config)
    assert outcome(validate(fast_kind, full, today=TODAY)) == outcome(validate(slow_kind, copy.deepcopy(full), today=TODAY))


@pytest.mark.parametrize("kind", KINDS)
def test_every_sample_takes_the_fast_path(kind, project_config):
    fast_kind, slow_kind = kinds(kind)
    data = with_defaults(fast_kind, load_data(PROJECT_DIR / "samples" / f"{kind}.yaml"), project_config)
    problems: list = []
    cleaned = _clean(data, {"type": "dict", "schema": fast_kind.rules}, (), fast_kind, problems)
    answer = fast_check_for(fast_kind, _validator_for(fast_kind)).valid_document(cleaned, TODAY)
    assert answer is not None, "a valid sample fell back to Cerberus"
    assert repr(answer) == repr(validate(slow_kind, data, today=TODAY).document)
