"""The order, cancellation and return policy (brief §6), thresholds from settings.

- Non-custom orders: free cancellation within ``cancel_free_hours`` of ordering,
  afterwards a fee of at least ``cancel_fee_rate`` of the price.
- Custom-made / special orders: no cancellation, no return.
- Clearance items (处理品): final sale, no return, exchange or cancellation.
- Returns and exchanges within ``return_days`` of receipt, goods intact
  (self-pickup: packaging unopened).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal

from .money import figures, to_fen


@dataclass(frozen=True)
class Policy:
    cancel_free_hours: int = 48
    cancel_fee_rate: Decimal = Decimal("0.10")
    return_days: int = 7


@dataclass(frozen=True)
class Outcome:
    """``accepted``: the request is granted; ``fee``: what the customer pays; ``reason``: the rule applied."""

    accepted: bool
    fee: Decimal
    reason: str

    def as_dict(self) -> dict:
        return asdict(self)


def _days(start: date, end: date | datetime) -> int:
    end_day = end.date() if isinstance(end, datetime) else end
    return (end_day - start).days


def cancellation(doc: dict, policy: Policy) -> Outcome:
    if doc.get("clearance"):
        return Outcome(False, Decimal("0.00"), "该商品为处理品，售出后不退、不换、不取消")
    if doc.get("custom_order"):
        return Outcome(False, Decimal("0.00"), "该订单为定制或特殊订单，按约定不能取消")
    hours = (doc["request_at"] - doc["ordered_at"]).total_seconds() / 3600
    if hours <= policy.cancel_free_hours:
        return Outcome(True, Decimal("0.00"), f"取消申请在下单后{policy.cancel_free_hours}小时内提出，免费取消")
    minimum = to_fen(doc["price"] * policy.cancel_fee_rate)
    fee = max(minimum, to_fen(doc["fee"])) if doc.get("fee") is not None else minimum
    rate = f"{(policy.cancel_fee_rate * 100).normalize():f}%"
    return Outcome(True, fee, f"取消申请在下单{policy.cancel_free_hours}小时后提出，按售价的{rate}收取取消费{figures(fee)}")


def return_or_exchange(doc: dict, policy: Policy) -> Outcome:
    what = "退货" if doc["service_type"] == "return" else "换货"
    if doc.get("clearance"):
        return Outcome(False, Decimal("0.00"), "该商品为处理品，售出后不退、不换")
    if doc.get("custom_order") and doc["service_type"] == "return":
        return Outcome(False, Decimal("0.00"), "该商品为定制或特殊订单，按约定不能退货")
    received = doc.get("received_on") or doc["purchase_date"]
    days = _days(received, doc["request_at"])
    if days > policy.return_days:
        return Outcome(False, Decimal("0.00"), f"{what}申请在收货{days}天后提出，已超过{policy.return_days}天的{what}期限")
    condition = doc.get("goods_condition")
    if condition and condition != "intact":
        detail = "自提商品须包装未拆封" if doc.get("delivery") == "pickup" else "商品须完好、附原始票据"
        return Outcome(False, Decimal("0.00"), f"{detail}，所退商品{'已拆封' if condition == 'opened' else '已损坏'}，不符合{what}条件")
    return Outcome(True, Decimal("0.00"), f"{what}申请在收货后{policy.return_days}天内提出，商品完好，予以办理")


def repair(doc: dict, policy: Policy) -> Outcome:
    fee = to_fen(doc.get("fee") or 0)
    if doc.get("warranty") == "in" and fee == 0:
        return Outcome(True, fee, "产品在保修期内，免费维修")
    if fee:
        return Outcome(True, fee, f"按维修收费标准收取费用{figures(fee)}")
    return Outcome(True, fee, "经检测后免费维修")


def outcome(doc: dict, policy: Policy) -> Outcome:
    kind = doc["service_type"]
    if kind == "cancellation":
        return cancellation(doc, policy)
    if kind in ("return", "exchange"):
        return return_or_exchange(doc, policy)
    if kind == "repair":
        return repair(doc, policy)
    return Outcome(True, Decimal("0.00"), "感谢惠顾")
