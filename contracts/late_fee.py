"""The late-payment rate of clause 8.4 and the late fee it gives.

A fixed daily rate such as 万分之五 (18.25% a year) is far above the market rate of interest and
invites reduction under 民法典 第五百八十五条 and 合同编通则解释 第六十五条. The agreement
instead ties the rate to the one-year loan prime rate (LPR) published by 全国银行间同业拆借中心,
times a multiple: for 逾期付款损失 without an agreed rate, courts use the LPR plus 30%–50%
(买卖合同司法解释 第十八条第四款), so 1.5 times the LPR is a rate they uphold. The annual rate is
fixed when the agreement is issued, printed with its basis, and kept in the issued event: a
later LPR or profile edit never changes what a signed agreement says.

The late fee accrues daily at 1/365 of the annual rate, from the day after the payment period
ends up to and including the day of payment, on the amount still unpaid; it is rounded once,
to the fen, at the end (rounding each day would drift from the clause's arithmetic).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")
DAYS_IN_YEAR = 365  # the clause says 日利率为年利率的三百六十五分之一, leap years included


@dataclass(frozen=True)
class LateFeeRate:
    """The rate the agreement prints: all figures in percent, as the clause prints them."""

    annual_rate: Decimal  # lpr_one_year × lpr_multiple, e.g. 4.5 (percent a year)
    lpr_one_year: Decimal  # e.g. 3.0 (percent), as published
    lpr_published_on: dt.date
    lpr_multiple: Decimal  # e.g. 1.5


def rate_from_lpr(lpr_one_year: Decimal, published_on: dt.date, multiple: Decimal) -> LateFeeRate:
    """The exact product, not rounded: the printed rate must be what its stated basis gives.
    The LPR and the multiple keep the digits they were typed with (the center prints "3.0%")."""
    return LateFeeRate(_plain(lpr_one_year * multiple), lpr_one_year, published_on, multiple)


def _plain(value: Decimal) -> Decimal:
    # 4.50 -> 4.5, 3.00 -> 3, but never 1E+1: the figures are printed and stored as typed
    normal = value.normalize()
    return normal.quantize(Decimal(1)) if normal == normal.to_integral_value() else normal


def percent_text(value: Decimal) -> str:
    """4.5 -> "4.5%", 3.0 -> "3.0%": the digits as stored, never an exponent."""
    return f"{format(value, 'f')}%"


def overdue_days(due_on: dt.date, paid_on: dt.date) -> int:
    """Days of delay under clause 8.4: from the day after `due_on` (the last day of the payment
    period, after any holiday shift) up to and including `paid_on`; 0 when paid in time."""
    return max((paid_on - due_on).days, 0)


def late_fee(amount: Decimal, annual_rate: Decimal, days: int) -> Decimal:
    """The late fee on `amount` (yuan, still unpaid) for `days` days at `annual_rate` percent a
    year, in yuan, rounded half up to the fen."""
    if amount < 0 or annual_rate < 0 or days < 0:
        raise ValueError("amount, rate and days must not be negative")
    exact = amount * annual_rate / 100 * days / DAYS_IN_YEAR
    return exact.quantize(FEN, rounding=ROUND_HALF_UP)


def late_fee_between(amount: Decimal, rate: LateFeeRate, due_on: dt.date, paid_on: dt.date) -> Decimal:
    """The late fee on `amount` due on `due_on` and paid on `paid_on`, at the frozen rate."""
    return late_fee(amount, rate.annual_rate, overdue_days(due_on, paid_on))
