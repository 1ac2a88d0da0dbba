"""Money: exact decimals rounded half-up to fen, figures and 人民币大写 (cn2an)."""
from __future__ import annotations

import functools
from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")


def to_fen(amount: Decimal | int | str) -> Decimal:
    """Round half-up to two places (the only rounding lettergen does)."""
    return Decimal(str(amount)).quantize(FEN, rounding=ROUND_HALF_UP)


def figures(amount: Decimal | int | str, *, symbol: str = "¥") -> str:
    """¥12,345.67: thousands separators, always two decimals."""
    return f"{symbol}{to_fen(amount):,.2f}"


def capital(amount: Decimal | int | str) -> str:
    """人民币壹万贰仟叁佰肆拾伍元陆角柒分, rounded half-up to fen first."""
    value = to_fen(amount)
    if value < 0:
        return "负" + capital(-value)
    if value == 0:
        return "人民币零元整"
    return _capital_text(format(value, "f"))


@functools.lru_cache(maxsize=4096)
def _capital_text(figures_text: str) -> str:
    """人民币… of a positive amount (asked twice a letter: for the text and for the tone check)."""
    import cn2an  # ~0.15 s to import: only when a letter needs capitals

    return "人民币" + cn2an.an2cn(figures_text, "rmb")
