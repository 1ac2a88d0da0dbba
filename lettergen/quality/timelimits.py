"""Time limits of the brief (§5) checked against one letter's data.

Rules (limits from ``[policy]`` where the settings have them):

* **Ordinary reply** – a letter answering a request is dated within
  ``policy.reply_working_days`` (default 5; the brief says 3–5) Chinese
  working days after the request: ``received_at`` (complaint responses and
  any kind with that field) or ``request_at`` (after-sales returns, exchanges,
  cancellations, and any other kind with that field).  Working days follow
  the State Council schedule (holidays and adjusted working days 调休) via
  :class:`~lettergen.workdays.WorkCalendar`; years it does not know produce a
  ``calendar-uncovered`` warning.
* **Complaint responses** – if the data records the verbal responses
  (``first_response_at``, ``second_response_at``; optional fields a schema may
  add), a soft complaint must be reacted to within 15 minutes and verified
  within 30 minutes, a hard one answered within 1 hour and again within 3
  hours.  A hard complaint's answer must give the expected resolution time
  (a completion date on at least one remedy other than an explanation).  The
  follow-up (``follow_up.by``) is due within 24 hours after the case is
  handled for hard complaints and within 3 days after it is closed (revisit)
  for soft ones; "handled/closed" is the latest remedy date, or the letter
  date if no remedy has one.  A follow-up dated before the letter is flagged.
  Severity defaults from the category (service and price are soft) as
  :mod:`lettergen.compute` does.
* **Repairs** – a repair letter with a ``request_at`` gives the concrete
  answer within 72 hours, i.e. at most 3 calendar days after the request.
* **Thank-you letters** (``after_sales`` with ``service_type: thanks``) – within
  ``policy.thank_you_days`` (default 7) calendar days of the order
  (``ordered_at``, else ``purchase_date``).

Not checkable from a letter's data and therefore not checked: "urgent
correspondence within 24 hours" (no urgency field), satisfaction calls, the
second contact 7 days after a thank-you letter.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from ..config import Config
from ..letters import calendar_for
from ..workdays import WorkCalendar
from .findings import Finding

SOFT_CATEGORIES = {"service", "price"}
#: (first response, second response / verification) per complaint severity.
RESPONSE_LIMITS = {"soft": (timedelta(minutes=15), timedelta(minutes=30)),
                   "hard": (timedelta(hours=1), timedelta(hours=3))}
#: Days after handling (hard) or closing (soft) by which to follow up.
FOLLOW_UP_DAYS = {"hard": 1, "soft": 3}
REPAIR_ANSWER_DAYS = 3
REQUEST_FIELDS = (("received_at", "来函/投诉受理时间"), ("request_at", "客户申请时间"))


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def _cn(value: date | datetime) -> str:
    text = f"{value.year}年{value.month}月{value.day}日"
    return text + f"{value.hour}时{value.minute:02d}分" if isinstance(value, datetime) else text


def _late(code: str, message: str, where: str) -> Finding:
    return Finding(code, message, None, where, "warning")


def check_time_limits(kind: str, context: dict[str, Any], config: Config,
                      calendar: WorkCalendar | None = None) -> list[Finding]:
    """Findings for the time limits that apply to this letter's data."""
    calendar = calendar or calendar_for(config)
    letter_date = _day(context.get("letter_date"))
    if letter_date is None:
        return []
    out: list[Finding] = []
    service = context.get("service_type")
    if kind == "after_sales" and service == "thanks":
        out += _thanks(context, letter_date, config)
    elif kind == "after_sales" and service == "repair":
        out += _repair(context, letter_date)
    else:
        out += _ordinary_reply(context, letter_date, config, calendar)
    if kind == "complaint_response":
        out += _complaint(context, letter_date)
    out += [Finding("calendar-uncovered", w, None, "工作日", "warning") for w in calendar.warnings]
    return out


def _ordinary_reply(context: dict, letter_date: date, config: Config, calendar: WorkCalendar) -> list[Finding]:
    for name, label in REQUEST_FIELDS:
        received = context.get(name)
        day = _day(received)
        if day is None:
            continue
        limit = config.policy_int("reply_working_days")
        used = calendar.workdays_between(day, letter_date)
        if used > limit:
            return [_late("reply-late",
                          f"{label}为{_cn(received)}，发函日期为{_cn(letter_date)}，相隔{used}个工作日，"
                          f"超过一般来函{limit}个工作日内答复的时限；确需更长时间的，应先告知客户进展并约定答复日期",
                          "发函日期")]
        return []
    return []


def _thanks(context: dict, letter_date: date, config: Config) -> list[Finding]:
    ordered = context.get("ordered_at") or context.get("purchase_date")
    day = _day(ordered)
    limit = config.policy_int("thank_you_days")
    if day is None or (letter_date - day).days <= limit:
        return []
    return [_late("thanks-late",
                  f"订单日期为{_cn(day)}，答谢信发函日期为{_cn(letter_date)}，相隔{(letter_date - day).days}天，"
                  f"超过售后答谢信应在下单后{limit}天内发出的时限", "发函日期")]


def _repair(context: dict, letter_date: date) -> list[Finding]:
    requested = context.get("request_at")
    day = _day(requested)
    if day is None or (letter_date - day).days <= REPAIR_ANSWER_DAYS:
        return []
    return [_late("repair-answer-late",
                  f"报修时间为{_cn(requested)}，发函日期为{_cn(letter_date)}，超过报修后72小时内给出明确答复的时限",
                  "发函日期")]


def severity_of(context: dict) -> str:
    return context.get("severity") or ("soft" if context.get("category") in SOFT_CATEGORIES else "hard")


def _complaint(context: dict, letter_date: date) -> list[Finding]:
    received = context.get("received_at")
    if not isinstance(received, datetime):
        return []
    severity = severity_of(context)
    name = {"soft": "软性投诉", "hard": "硬性投诉"}[severity]
    out = []
    for field, limit, what in zip(("first_response_at", "second_response_at"), RESPONSE_LIMITS[severity],
                                  ("首次响应", "核实答复" if severity == "soft" else "第二次答复")):
        at = context.get(field)
        if isinstance(at, datetime) and at - received > limit:
            minutes = int((at - received).total_seconds() // 60)
            out.append(_late("response-late", f"{name}的{what}应在受理后{_span(limit)}内完成，"
                             f"实际用时{minutes}分钟（{_cn(received)}至{_cn(at)}）", what))
    remedies = [r for r in context.get("remedies") or [] if isinstance(r, dict)]
    dates = [r["date"] for r in remedies if _day(r.get("date"))]
    if severity == "hard" and not dates and any(r.get("type") != "explanation" for r in remedies):
        out.append(_late("resolution-time-missing",
                         "硬性投诉的答复应告知预计最终解决时间：请为处理措施填写完成日期", "处理措施·完成日期"))
    handled = max([_day(d) for d in dates] + [letter_date])
    by = (context.get("follow_up") or {}).get("by")
    day = _day(by)
    if day is not None:
        days = FOLLOW_UP_DAYS[severity]
        if day > handled + timedelta(days=days):
            rule = "处理完毕后24小时内跟进" if severity == "hard" else "结案后3天内回访"
            out.append(_late("follow-up-late", f"{name}应{rule}；处理完成日为{_cn(handled)}，"
                             f"回访时限却为{_cn(by)}", "回访安排·回访时限"))
        if day < letter_date:
            out.append(_late("follow-up-before-letter",
                             f"回访时限{_cn(by)}早于发函日期{_cn(letter_date)}，信中承诺的回访已经过期",
                             "回访安排·回访时限"))
    return out


def _span(limit: timedelta) -> str:
    minutes = int(limit.total_seconds() // 60)
    return f"{minutes // 60}小时" if minutes % 60 == 0 else f"{minutes}分钟"
