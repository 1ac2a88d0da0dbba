"""Computed fields: totals, overdue days, 大写, default deadlines, policy outcomes."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import chinese_calendar
import pytest
from hypothesis import given, strategies as st

from lettergen.letters import prepare
from lettergen.money import capital, figures, to_fen
from lettergen.workdays import WorkCalendar


def test_payment_total_is_computed_never_trusted(project_config, sample_data):
    data = sample_data("payment_reminder")
    data["total"] = "1.00"  # not a field: rejected rather than trusted
    with pytest.raises(Exception) as info:
        prepare("payment_reminder", data, project_config)
    assert "不是「催款通知」的字段" in str(info.value)
    del data["total"]
    ctx = prepare("payment_reminder", data, project_config).context
    assert ctx["total"] == Decimal("60945.67")
    assert ctx["total_capital"] == "人民币陆万零玖佰肆拾伍元陆角柒分"
    assert [i["days_overdue"] for i in ctx["items"]] == [70, 44]
    assert ctx["max_days_overdue"] == 70


def test_not_yet_due_items_are_not_overdue(project_config, sample_data):
    data = sample_data("payment_reminder")
    data["items"][1]["due_date"] = "2026-12-31"
    ctx = prepare("payment_reminder", data, project_config).context
    assert [i["days_overdue"] for i in ctx["items"]] == [70, 0]


def test_default_deadline_counts_chinese_working_days_across_national_day(project_config, sample_data):
    data = sample_data("payment_reminder")
    data["letter_date"] = "2026-09-30"
    data["items"] = [{"ref": "X1", "date": "2026-08-01", "amount": "100", "due_date": "2026-08-31"}]
    ctx = prepare("payment_reminder", data, project_config).context
    expected, day, left = None, date(2026, 9, 30), 5
    while left:
        day += timedelta(days=1)
        left -= chinese_calendar.is_workday(day)
    expected = day
    assert ctx["deadline"] == expected
    # the holiday week is skipped: five weekdays would have ended on 2026-10-07
    assert expected > date(2026, 10, 7)
    assert chinese_calendar.is_holiday(date(2026, 10, 5))


def test_adjusted_working_day_counts_as_working_day():
    cal = WorkCalendar()
    # take an adjusted working day (a weekend day that is a working day) from the library
    adjusted = next(d for d in (date(2026, 1, 1) + timedelta(n) for n in range(365)) if d.weekday() >= 5 and chinese_calendar.is_workday(d))
    assert cal.is_workday(adjusted)
    assert cal.add_workdays(adjusted - timedelta(days=1), 1) == adjusted


def test_uncovered_year_falls_back_with_warning():
    cal = WorkCalendar()
    assert cal.add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 1)  # a Friday, assumed working
    assert cal.warnings and "2027年" in cal.warnings[0]


def test_configured_holidays_cover_a_new_year():
    cal = WorkCalendar(holidays=["2027-01-01"], workdays=["2027-01-09"])
    assert not cal.is_workday(date(2027, 1, 1))
    assert cal.is_workday(date(2027, 1, 9))  # a Saturday made a working day
    assert cal.add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 4)
    assert cal.warnings == []


def test_deadline_in_uncovered_year_warns_not_crashes(project_config, sample_data):
    data = sample_data("payment_reminder")
    data["letter_date"] = "2026-12-28"
    prepared = prepare("payment_reminder", data, project_config)
    assert prepared.context["deadline"].year == 2027
    assert any("2027年" in w.message for w in prepared.warnings)


@pytest.mark.parametrize("amount,text", [
    ("12345.67", "人民币壹万贰仟叁佰肆拾伍元陆角柒分"),
    ("10000", "人民币壹万元整"),
    ("1010", "人民币壹仟零壹拾元整"),
    ("0.05", "人民币伍分"),
    ("1000000.05", "人民币壹佰万元零伍分"),
    ("0.005", "人民币壹分"),   # half-up before conversion
    ("2.675", "人民币贰元陆角捌分"),
    ("0", "人民币零元整"),
])
def test_capitals(amount, text):
    assert capital(amount) == text


def test_figures():
    assert figures("1234567.5") == "¥1,234,567.50"
    assert figures(Decimal("2.675")) == "¥2.68"


_DIGITS = dict(zip("零壹贰叁肆伍陆柒捌玖", range(10)))
_UNITS = {"拾": 10, "佰": 100, "仟": 1000}


def _parse_capital(text: str) -> Decimal:
    """An independent reading of 大写 back to a number, to cross-check cn2an."""
    body = text.removeprefix("人民币").removesuffix("整")
    yuan, _, rest = body.partition("元") if "元" in body else ("", "", body)
    total, section, digit = 0, 0, 0
    for ch in yuan:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        elif ch in _UNITS:
            section += (digit or 1) * _UNITS[ch]
            digit = 0
        elif ch == "万":
            total += (section + digit) * 10_000
            section = digit = 0
        elif ch == "亿":
            total = (total + section + digit) * 100_000_000
            section = digit = 0
    total += section + digit
    jiao = fen = 0
    m = rest.split("角")
    if len(m) == 2:
        jiao = _DIGITS[m[0][-1]]
        rest = m[1]
    if rest.endswith("分"):
        fen = _DIGITS[rest[-2]]
    return Decimal(total) + Decimal(jiao) / 10 + Decimal(fen) / 100


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2))
def test_capitals_agree_with_figures(value):
    assert _parse_capital(capital(value)) == to_fen(value)


def test_cancellation_policy(project_config, sample_data):
    data = sample_data("after_sales")
    outcome = prepare("after_sales", data, project_config).context["outcome"]
    assert outcome["accepted"] and outcome["fee"] == Decimal("680.00")
    data["request_at"] = "2026-11-22 10:15"  # exactly 48 hours
    outcome = prepare("after_sales", data, project_config).context["outcome"]
    assert outcome["fee"] == Decimal("0.00") and "免费取消" in outcome["reason"]
    data["fee"] = "1000"  # a fee above the minimum is kept; below it, the minimum applies
    data["request_at"] = "2026-11-24 10:15"
    assert prepare("after_sales", data, project_config).context["outcome"]["fee"] == Decimal("1000.00")
    data["fee"] = "100"
    assert prepare("after_sales", data, project_config).context["outcome"]["fee"] == Decimal("680.00")
    data["custom_order"] = "是"
    outcome = prepare("after_sales", data, project_config).context["outcome"]
    assert not outcome["accepted"] and "定制" in outcome["reason"]


def test_policy_thresholds_come_from_settings(project_config, sample_data):
    project_config.data["policy"]["cancel_free_hours"] = 120
    outcome = prepare("after_sales", sample_data("after_sales"), project_config).context["outcome"]
    assert outcome["fee"] == Decimal("0.00")
    project_config.data["policy"]["cancel_free_hours"] = 1
    project_config.data["policy"]["cancel_fee_rate"] = "0.15"
    outcome = prepare("after_sales", sample_data("after_sales"), project_config).context["outcome"]
    assert outcome["fee"] == Decimal("1020.00")


@pytest.mark.parametrize("changes,accepted,words", [
    ({"request_at": "2026-11-27 09:00"}, True, "予以办理"),
    ({"request_at": "2026-11-28 09:00"}, False, "已超过7天"),
    ({"clearance": "是"}, False, "处理品"),
    ({"goods_condition": "已拆封", "delivery": "自提"}, False, "包装未拆封"),
    ({"received_on": "2026-11-23", "request_at": "2026-11-30 09:00"}, True, "予以办理"),
])
def test_return_policy(project_config, sample_data, changes, accepted, words):
    data = sample_data("after_sales")
    data.update({"service_type": "退货", "purchase_date": "2026-11-20"}, **changes)
    data.setdefault("request_at", "2026-11-24 10:00")
    outcome = prepare("after_sales", data, project_config).context["outcome"]
    assert outcome["accepted"] is accepted
    assert words in outcome["reason"]


def test_complaint_severity_follows_category(project_config, sample_data):
    data = sample_data("complaint_response")
    assert prepare("complaint_response", data, project_config).context["severity"] == "hard"
    data["category"] = "服务态度"
    assert prepare("complaint_response", data, project_config).context["severity"] == "soft"
