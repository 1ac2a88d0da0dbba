"""Fields lettergen computes from validated data (never trusted from input).

Generic for every kind: the title, and ``<field>_name`` beside every field
that has Chinese choice names.  Per kind: totals, overdue days, 大写 and the
default deadline (payment_reminder), complaint severity, the after-sales
policy outcome, the offer period.  A kind without an entry here still works.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Callable

from .config import Config
from .models import copy_tree
from .money import capital, to_fen
from .policy import Policy, outcome
from .schemas import KindSchema
from .workdays import WorkCalendar

SOFT_CATEGORIES = {"service", "price"}


def _choice_names(rules: dict, doc: Any) -> None:
    if not isinstance(doc, dict):
        return
    for name, rule in rules.items():
        choices = (rule.get("meta") or {}).get("choices")
        if choices:
            doc[f"{name}_name"] = choices.get(doc[name], doc[name]) if doc.get(name) is not None else None
        if rule.get("type") == "dict" and isinstance(rule.get("schema"), dict):
            _choice_names(rule["schema"], doc.get(name))
        elif rule.get("type") == "list" and isinstance(doc.get(name), list):
            item = rule.get("schema") or {}
            for element in doc[name]:
                if isinstance(item.get("schema"), dict):
                    _choice_names(item["schema"], element)


def _payment_reminder(doc: dict, config: Config, calendar: WorkCalendar) -> None:
    total = sum((item["amount"] for item in doc["items"]), start=to_fen(0))
    doc["total"] = to_fen(total)
    doc["total_capital"] = capital(total)
    for item in doc["items"]:
        item["days_overdue"] = max((doc["letter_date"] - item["due_date"]).days, 0)
    doc["max_days_overdue"] = max(item["days_overdue"] for item in doc["items"])
    if "deadline" not in doc:
        doc["deadline"] = calendar.add_workdays(doc["letter_date"], config.policy_int("payment_deadline_working_days"))
        doc["deadline_computed"] = True


def _complaint_response(doc: dict, config: Config, calendar: WorkCalendar) -> None:
    if "severity" not in doc:
        doc["severity"] = "soft" if doc["category"] in SOFT_CATEGORIES else "hard"
        doc["severity_name"] = {"soft": "软性投诉", "hard": "硬性投诉"}[doc["severity"]]


def _after_sales(doc: dict, config: Config, calendar: WorkCalendar) -> None:
    policy = Policy(
        cancel_free_hours=config.policy_int("cancel_free_hours"),
        cancel_fee_rate=config.policy_decimal("cancel_fee_rate"),
        return_days=config.policy_int("return_days"),
    )
    doc["outcome"] = outcome(doc, policy).as_dict()
    doc.setdefault("subject", AFTER_SALES_SUBJECTS[doc["service_type"]])


AFTER_SALES_SUBJECTS = {
    "repair": "产品维修服务", "return": "退货申请处理结果", "exchange": "换货申请处理结果",
    "cancellation": "订单取消申请处理结果", "thanks": "感谢惠顾",
}


def _sales_letter(doc: dict, config: Config, calendar: WorkCalendar) -> None:
    doc["validity"] = f"{cn_date(doc['valid_from'])}至{cn_date(doc['valid_to'])}"


ENRICHERS: dict[str, Callable[[dict, Config, WorkCalendar], None]] = {
    "payment_reminder": _payment_reminder,
    "complaint_response": _complaint_response,
    "after_sales": _after_sales,
    "sales_letter": _sales_letter,
}


def cn_date(value: date) -> str:
    """2026年11月22日 (no zero padding)."""
    return f"{value.year}年{value.month}月{value.day}日"


def enrich(kind: KindSchema, document: dict, config: Config, calendar: WorkCalendar) -> dict:
    """A new dict: the validated document plus computed fields."""
    doc = copy_tree(document)
    _choice_names(kind.rules, doc)
    doc.setdefault("attachments", [])
    enricher = ENRICHERS.get(kind.kind)
    if enricher:
        enricher(doc, config, calendar)
    subject = doc.get("subject") or kind.name
    doc.setdefault("title", f"关于{subject}的{kind.title_suffix}")
    return doc
