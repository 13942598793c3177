"""Money: parsing, figures and Chinese capitals (人民币大写)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import cn2an

from . import limits
from .errors import InvalidInput, Problem

CENT = Decimal("0.01")


def parse_amount(value: object, field: str = "annual_fee") -> Decimal:
    """A positive amount in yuan with at most two decimals; never goes through float."""
    if isinstance(value, float):
        value = repr(value)
    text = str(value).strip().replace(",", "").replace("，", "")
    for prefix in ("人民币", "¥", "￥", "RMB"):
        text = text.removeprefix(prefix)
    text = text.removesuffix("元").strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise InvalidInput(Problem(field, f"“{value}”不是金额，请填写数字，例如 12800 或 12800.50")) from None
    if not amount.is_finite():
        raise InvalidInput(Problem(field, f"“{value}”不是金额"))
    if amount <= 0:
        raise InvalidInput(Problem(field, "金额必须大于零"))
    # The ceiling before any rounding: quantizing 1e30 to the cent needs more digits than the
    # decimal context holds.
    limits.check_fee(amount, field)
    if amount != amount.quantize(CENT):
        raise InvalidInput(Problem(field, "金额最多保留两位小数（到分）"))
    return amount.quantize(CENT)


def rmb_capitals(amount: Decimal) -> str:
    """人民币大写, e.g. 12800 -> 壹万贰仟捌佰元整 (rounded half up to the cent first)."""
    cents = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    return cn2an.an2cn(format(cents, "f"), "rmb")


def rmb_figures(amount: Decimal) -> str:
    """Figures with thousands separators: 12,800.00."""
    return f"{amount.quantize(CENT, rounding=ROUND_HALF_UP):,.2f}"
