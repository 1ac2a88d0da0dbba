"""Validation: every problem at once, in Chinese, with field path and label."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from lettergen import api
from lettergen.errors import InvalidInput
from lettergen.letters import prepare
from lettergen.validation import parse_date, parse_datetime, parse_decimal, uscc_is_valid

from .conftest import KINDS


@pytest.mark.parametrize("kind", KINDS)
def test_every_sample_is_valid(kind, project_config, sample_data):
    result = api.validate(kind, sample_data(kind), project_config)
    assert result.problems == []


def _messages(result):
    return {p.path: str(p) for p in result.problems}


def test_all_problems_reported_at_once_with_chinese_labels(project_config, sample_data):
    data = sample_data("payment_reminder")
    data["letter_date"] = "2026-13-01"
    data["recipient"] = {"name": "  "}
    data["items"][0]["amount"] = "12.345"
    data["items"][1]["amount"] = "abc"
    data["items"][1]["ref"] = "A\x07B"
    data["level"] = "紧急"
    data["bogus"] = 1
    result = api.validate("payment_reminder", data, project_config)
    got = _messages(result)
    assert set(got) == {
        "letter_date", "recipient.name", "items.0.amount", "items.1.amount", "items.1.ref", "level", "bogus",
    }
    assert "「发函日期」：不是有效的日期" in got["letter_date"]
    assert got["recipient.name"].startswith("「收函客户·客户名称」：必填")
    assert "「欠款明细第1项·金额」：最多保留2位小数" in got["items.0.amount"]
    assert "「欠款明细第2项·金额」：不是有效的金额" in got["items.1.amount"]
    assert "控制字符（U+0007）" in got["items.1.ref"] and "A\\x07B" in got["items.1.ref"]
    assert "首次提醒（first）、正式催告（formal）、最后通知（final）" in got["level"]
    assert "不是「催款通知」的字段" in got["bogus"]
    # problems come in form order: item 1 before item 2
    paths = [p.path for p in result.problems]
    assert paths.index("items.0.amount") < paths.index("items.1.ref")


def test_invalid_input_raises_with_every_problem(project_config, sample_data):
    data = sample_data("sales_letter")
    data["valid_to"] = "2026-11-30"  # before valid_from 2026-12-01
    del data["offer"]
    with pytest.raises(InvalidInput) as info:
        prepare("sales_letter", data, project_config)
    text = str(info.value)
    assert "「优惠截止日期」：不能早于「优惠开始日期」（2026-12-01）" in text
    assert "「优惠内容」：必填" in text
    assert len(info.value.problems) == 2


def test_deadline_must_fall_after_letter_date(project_config, sample_data):
    data = sample_data("payment_reminder")
    data["deadline"] = data["letter_date"]
    result = api.validate("payment_reminder", data, project_config)
    assert [str(p) for p in result.problems] == ["「付款期限」：须晚于「发函日期」（2026-11-23）（当前值：“2026-11-23”）"]


def test_apology_required_when_fault_is_ours(project_config, sample_data):
    data = sample_data("complaint_response")
    del data["apology"]
    result = api.validate("complaint_response", data, project_config)
    assert [str(p) for p in result.problems] == ["「致歉」：「责任认定」为“我方责任”时必填"]
    data["responsibility"] = "customer"
    assert api.validate("complaint_response", data, project_config).problems == []


def test_chinese_choice_names_are_accepted_and_normalised(project_config, sample_data):
    data = sample_data("complaint_response")
    data["category"] = "物流配送"
    result = api.validate("complaint_response", data, project_config)
    assert result.document["category"] == "logistics"
    assert result.document["responsibility"] == "ours"


def test_settings_fill_sender_contact_and_payee(project_config, sample_data):
    result = api.validate("payment_reminder", sample_data("payment_reminder"), project_config)
    assert result.document["sender"]["name"] == "杭州禾丰贸易有限公司"
    assert result.document["payee"]["bank"] == "中国工商银行杭州文三路支行"
    data = sample_data("payment_reminder")
    data["contact"] = {"name": "赵六"}
    result = api.validate("payment_reminder", data, project_config)
    assert result.document["contact"]["name"] == "赵六"
    assert result.document["contact"]["title"] == "客户服务部经理"


def test_uscc_mismatch_is_a_warning_not_a_rejection(project_config, sample_data):
    data = sample_data("sales_letter")
    data["sender"] = {"credit_code": "91330106MA2H3K7X0A"}
    result = api.validate("sales_letter", data, project_config)
    assert result.problems == []
    assert [p.path for p in result.warnings] == ["sender.credit_code"]
    assert "校验码" in result.warnings[0].message


@pytest.mark.parametrize("code,ok", [("91350100M000100Y43", True), ("91350100M000100Y44", False), ("91330106MA2H3K7X0H", True), ("123", False)])
def test_uscc_check_character(code, ok):
    assert uscc_is_valid(code) is ok


def test_letter_date_defaults_to_today(project_config, sample_data):
    data = sample_data("sales_letter")
    del data["letter_date"]
    result = api.validate("sales_letter", data, project_config, today=date(2026, 11, 20))
    assert result.document["letter_date"] == date(2026, 11, 20)


@pytest.mark.parametrize("text", ["2026-11-22", "2026/11/22", "2026.11.22", "2026年11月22日", "20261122", "2026-11-22 00:00:00", "２０２６－１１－２２"])
def test_dates_in_common_forms(text):
    assert parse_date(text) == date(2026, 11, 22)


@pytest.mark.parametrize("text", ["2026-02-30", "22/11/2026", "明天", ""])
def test_bad_dates_rejected(text):
    assert parse_date(text) is None


@pytest.mark.parametrize("text", ["2026-11-22 14:30", "2026/11/22 14:30:00", "2026年11月22日 14时30分", "2026年11月22日14:30", "2026-11-22T14:30"])
def test_datetimes(text):
    assert parse_datetime(text) == datetime(2026, 11, 22, 14, 30)


@pytest.mark.parametrize("text,value", [("12,345.67", "12345.67"), ("¥12,345.67", "12345.67"), ("￥1,000", "1000"), ("100元", "100"), ("人民币 88.5", "88.5"), (12.1, "12.1"), (7, "7")])
def test_amounts(text, value):
    assert parse_decimal(text) == Decimal(value)


@pytest.mark.parametrize("text", ["12,34", "1.2.3", "abc", "1e5", True, Decimal("NaN"), Decimal("-Infinity"), float("nan"), float("inf")])
def test_bad_amounts(text):
    assert parse_decimal(text) is None


@given(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_amount_text_round_trips_exactly(value):
    assert parse_decimal(f"¥{value:,.2f}") == value


def test_hostile_text_is_accepted_and_long_text_bounded(project_config, sample_data):
    data = sample_data("complaint_response")
    data["summary"] = "A&B <b>粗体</b> \"引号\" 'x' 😀\n第二行\t制表"
    assert api.validate("complaint_response", data, project_config).problems == []
    data["summary"] = "长" * 5001
    problems = api.validate("complaint_response", data, project_config).problems
    assert [str(p).split("（当前值")[0] for p in problems] == ["「投诉内容」：不能超过5000个字符（当前5001个）"]


def test_threads_validating_the_same_kind_get_their_own_answers(project_config, sample_data):
    """The service validates in many threads with one loaded kind: no answer leaks into another's."""
    import sys
    from concurrent.futures import ThreadPoolExecutor

    def broken(i):
        data = sample_data("payment_reminder")
        data["items"][0]["amount"] = f"abc{i}"
        return data

    inputs = [sample_data("payment_reminder") if i % 2 else broken(i) for i in range(200)]

    def answer(data):
        result = api.validate("payment_reminder", data, project_config)
        return [(p.path, p.message, repr(p.value)) for p in result.problems], repr(result.document)

    alone = [answer(d) for d in inputs]
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads take turns inside each validation
    try:
        with ThreadPoolExecutor(8) as pool:
            together = list(pool.map(answer, inputs))
    finally:
        sys.setswitchinterval(switch)
    assert together == alone
    assert {len(problems) for problems, _ in alone} == {0, 1}


@pytest.mark.parametrize("amount", [Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"), float("nan"), float("-inf")])
def test_an_amount_that_is_not_a_number_is_a_problem_not_a_crash(project_config, sample_data, amount):
    data = sample_data("payment_reminder")
    data["items"][0]["amount"] = amount  # a program can send these; a clerk's sheet cannot
    result = api.validate("payment_reminder", data, project_config)
    assert [(p.path, p.message.split("，")[0]) for p in result.problems] == [("items.0.amount", "不是有效的金额")]
