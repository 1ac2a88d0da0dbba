"""Time limits of the brief (§5): replies, complaints, thank-you letters, Chinese working days."""
from __future__ import annotations

import copy
from datetime import date, datetime, timedelta

import chinese_calendar
import pytest

from lettergen.api import render_letter
from lettergen.config import Config
from lettergen.quality import check_letter_quality, check_time_limits, escalate

NUMBER = "禾丰诉函〔2026〕9号"


def _codes(findings):
    return [f.code for f in findings]


def _chinese_workdays(start: date, end: date) -> int:
    """Working days after ``start`` up to ``end`` according to chinese_calendar itself."""
    return sum(chinese_calendar.is_workday(start + timedelta(days=n)) for n in range(1, (end - start).days + 1))


def _complaint(received: str, letter: str, **extra) -> dict:
    ctx = {"letter_date": date.fromisoformat(letter), "received_at": datetime.fromisoformat(received),
           "category": "quality", "severity": "hard", "remedies": [], "follow_up": {}}
    ctx.update(extra)
    return ctx


@pytest.mark.parametrize("received, letter", [
    ("2026-09-30 09:00", "2026-10-12"),   # across National Day: 4 working days, 8 Mondays-to-Fridays
    ("2026-10-08 09:00", "2026-10-15"),   # Saturday 10-10 is an adjusted working day (调休): 6
    ("2026-10-08 09:00", "2026-10-14"),   # 5
    ("2026-02-13 09:00", "2026-02-26"),   # across Spring Festival with the 2-14 adjusted Saturday: 4
    ("2026-02-13 09:00", "2026-03-02"),   # ... and the 2-28 one: 7
])
def test_reply_limit_counts_chinese_working_days(received, letter, project_config):
    ctx = _complaint(received, letter, remedies=[{"type": "repair", "date": date.fromisoformat(letter)}])
    used = _chinese_workdays(ctx["received_at"].date(), ctx["letter_date"])
    limit = project_config.policy_int("reply_working_days")
    findings = check_time_limits("complaint_response", ctx, project_config)
    assert ("reply-late" in _codes(findings)) == (used > limit)
    if used > limit:
        assert f"相隔{used}个工作日" in findings[0].message


def test_national_day_makes_a_reply_on_time_that_weekdays_alone_would_call_late(project_config):
    ctx = _complaint("2026-09-30 09:00", "2026-10-12", remedies=[{"type": "repair", "date": date(2026, 10, 12)}])
    assert _chinese_workdays(date(2026, 9, 30), date(2026, 10, 12)) == 4
    assert check_time_limits("complaint_response", ctx, project_config) == []


def test_uncovered_year_falls_back_with_a_warning(project_config):
    ctx = _complaint("2026-12-30 09:00", "2027-01-12", remedies=[{"type": "repair", "date": date(2027, 1, 12)}])
    findings = check_time_limits("complaint_response", ctx, project_config)
    assert _codes(findings) == ["reply-late", "calendar-uncovered"]
    assert "2027" in findings[-1].message
    # strict mode does not fail a letter because the holiday library is out of date
    assert [f.severity for f in escalate(findings, strict=True)] == ["error", "warning"]
    # the year configured in [calendar]: no warning, and its holidays count
    data = copy.deepcopy(project_config.data)
    data["calendar"] = {"holidays": ["2027-01-01", "2027-01-04", "2027-01-05", "2027-01-06", "2027-01-07"], "workdays": []}
    findings = check_time_limits("complaint_response", ctx, Config(data, project_config.base_dir))
    assert _codes(findings) == []


def test_hard_complaint_answered_after_the_limit(project_config, sample_data):
    data = sample_data("complaint_response")
    data.update(letter_date="2026-11-20", received_at="2026-11-02 09:40")
    data["remedies"][0]["date"] = "2026-11-21"
    data["follow_up"]["by"] = "2026-11-25 17:00"     # 4 days after handling; hard complaints: 24 hours
    letter = render_letter("complaint_response", data, number=NUMBER, config=project_config)
    assert letter.data["severity"] == "hard"
    findings = check_letter_quality("complaint_response", letter.data, letter.docx, project_config)
    assert _codes(findings) == ["reply-late", "follow-up-late"]
    assert "14个工作日" in findings[0].message and "处理完毕后24小时内跟进" in findings[1].message


def test_follow_up_limits_by_severity(project_config):
    base = dict(remedies=[{"type": "refund", "date": date(2026, 11, 24)}])
    for severity, by, late in (("hard", "2026-11-25 17:00", False), ("hard", "2026-11-26 09:00", True),
                               ("soft", "2026-11-27 17:00", False), ("soft", "2026-11-28 09:00", True)):
        ctx = _complaint("2026-11-20 10:00", "2026-11-23", severity=severity,
                         follow_up={"by": datetime.fromisoformat(by)}, **base)
        assert ("follow-up-late" in _codes(check_time_limits("complaint_response", ctx, project_config))) == late, (severity, by)


def test_hard_complaint_needs_a_resolution_time_and_timely_responses(project_config):
    ctx = _complaint("2026-11-20 10:00", "2026-11-20", remedies=[{"type": "refund"}],
                     first_response_at=datetime(2026, 11, 20, 11, 30), second_response_at=datetime(2026, 11, 20, 12, 30))
    findings = check_time_limits("complaint_response", ctx, project_config)
    assert _codes(findings) == ["response-late", "resolution-time-missing"]
    assert "1小时" in findings[0].message and "90分钟" in findings[0].message
    # a soft complaint: react in 15 minutes, verify in 30
    ctx.update(severity="soft", first_response_at=datetime(2026, 11, 20, 10, 10), second_response_at=datetime(2026, 11, 20, 10, 45))
    assert [f.message[:13] for f in check_time_limits("complaint_response", ctx, project_config)] == ["软性投诉的核实答复应在受理"]


def _after_sales(sample_data, **changes) -> dict:
    data = sample_data("after_sales")
    for key in ("price", "ordered_at", "request_at", "details"):
        data.pop(key, None)
    data.update(changes)
    return data


def test_thank_you_letter_later_than_seven_days(project_config, sample_data):
    data = _after_sales(sample_data, service_type="回访致谢", purchase_date="2026-11-02", letter_date="2026-11-12")
    letter = render_letter("after_sales", data, number=NUMBER, config=project_config)
    findings = check_letter_quality("after_sales", letter.data, letter.docx, project_config)
    assert _codes(findings) == ["thanks-late"]
    assert "10天" in findings[0].message and "7天" in findings[0].message
    data["letter_date"] = "2026-11-09"
    letter = render_letter("after_sales", data, number=NUMBER, config=project_config)
    assert check_letter_quality("after_sales", letter.data, letter.docx, project_config) == []


def test_after_sales_reply_and_repair_answer(project_config, sample_data):
    data = _after_sales(sample_data, service_type="退货", price=6800, request_at="2026-11-02 10:00",
                        letter_date="2026-11-12", purchase_date="2026-10-30")
    letter = render_letter("after_sales", data, number=NUMBER, config=project_config)
    assert "reply-late" in _codes(check_letter_quality("after_sales", letter.data, letter.docx, project_config))
    repair = {"letter_date": date(2026, 11, 6), "service_type": "repair", "request_at": datetime(2026, 11, 2, 10)}
    assert _codes(check_time_limits("after_sales", repair, project_config)) == ["repair-answer-late"]
    repair["letter_date"] = date(2026, 11, 5)
    assert check_time_limits("after_sales", repair, project_config) == []


def test_any_kind_with_a_request_time_gets_the_ordinary_limit(project_config):
    ctx = {"letter_date": date(2026, 11, 30), "request_at": datetime(2026, 11, 20, 9)}
    assert _codes(check_time_limits("revisit_letter", ctx, project_config)) == ["reply-late"]
    assert check_time_limits("sales_letter", {"letter_date": date(2026, 11, 30)}, project_config) == []

