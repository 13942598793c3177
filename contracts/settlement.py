"""Settlement when a contract ends early (agreement 12.3): the fee of the service year in
progress, pro rata to the day, against what was paid; what the customer still owes and what the
provider must refund. Pure functions.

The rule, as clause 12.3 prints it (templates/agreement/chapters/12-effect-termination.yaml):

- service is provided up to the day before the termination takes effect; the day it takes
  effect is not a day of service (the register shows the contract terminated from that day);
- the fee of the service year in progress is the year's fee × days served ÷ the year's actual
  days (365 or 366, from its first to its last day), rounded half up to the fen once; that
  amount is the year's fee from then on (what is owed, what the late fee of 8.4 runs on);
- years fully served before the termination keep their whole fee; years that had not begun
  owe nothing, and whatever was paid towards them is refunded;
- the balance is settled within thirty days of the day the termination takes effect.

Amounts paid are counted per service year as the payments were applied when recorded, so a
year overpaid (the whole fee paid, the year then cut short) shows a refund owed, and a refund
recorded with `pay --amount -… --year N` settles it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .late_fee import FEN
from .payments import ZERO, YearAccount

SETTLEMENT_DAYS = 30  # clause 12.3: the refund, or the balance owed, within thirty days


@dataclass(frozen=True)
class Proration:
    """A service year cut short by a termination: its whole fee and the days it was served."""

    annual_fee: Decimal  # the fee of the whole year (as agreed when it began)
    days_served: int  # from the year's first day up to the day before the termination
    days_in_year: int  # the year's actual days, first to last day

    @property
    def earned(self) -> Decimal:
        return earned(self.annual_fee, self.days_served, self.days_in_year)


def earned(annual_fee: Decimal, days_served: int, days_in_year: int) -> Decimal:
    """The fee earned for `days_served` of a `days_in_year`-day service year, to the fen."""
    if days_in_year <= 0 or not 0 <= days_served <= days_in_year:
        raise ValueError("days served must lie within the service year")
    exact = annual_fee * days_served / days_in_year
    return exact.quantize(FEN, rounding=ROUND_HALF_UP)


def proration(
    annual_fee: Decimal, first_day: dt.date, last_day: dt.date, ends_on: dt.date
) -> Proration | None:
    """The year first_day..last_day cut by a termination taking effect on ends_on; None when the
    termination does not fall inside it (the year is served whole, or never begun)."""
    if not first_day < ends_on <= last_day:
        return None
    return Proration(annual_fee, (ends_on - first_day).days, (last_day - first_day).days + 1)


@dataclass(frozen=True)
class Settlement:
    """The settlement of a terminated contract on a date (what was paid by then counts)."""

    ends_on: dt.date  # the day the termination takes effect
    settle_by: dt.date  # the last day of clause 12.3's thirty days
    last_year: YearAccount | None  # the last service year begun; None: none had begun
    proration: Proration | None  # how last_year was cut (days served of days in the year)
    unbegun_paid: Decimal  # paid towards service years that never began
    still_owed: Decimal  # the customer's: the unpaid fees of the years begun
    refund_owed: Decimal  # the provider's: years overpaid, and the years never begun

    @property
    def last_service_day(self) -> dt.date:
        return self.ends_on - dt.timedelta(days=1)


def settlement(
    ends_on: dt.date, begun: Sequence[YearAccount], unbegun: Iterable[YearAccount]
) -> Settlement:
    """The settlement from the accounts of the years begun before ends_on (the last one
    prorated) and of the years a termination left unbegun (their fee is nil)."""
    last = begun[-1] if begun else None
    cut = last.deadline.proration if last is not None else None
    if last is not None and cut is None:  # served whole: its days are all of it
        days = (last.deadline.last_day - last.deadline.first_day).days + 1
        cut = Proration(last.deadline.amount, days, days)
    unbegun_paid = sum((y.paid for y in unbegun), ZERO)
    still_owed = sum((y.outstanding for y in begun if y.outstanding > 0), ZERO)
    overpaid = sum((-y.outstanding for y in begun if y.outstanding < 0), ZERO)
    return Settlement(ends_on, ends_on + dt.timedelta(days=SETTLEMENT_DAYS), last, cut,
                      unbegun_paid, still_owed, overpaid + unbegun_paid)
