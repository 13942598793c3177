"""The money of a contract: what each service year owes, what was paid, what is late, and the
late fee of clause 8.4. Pure functions over the payment deadlines and the recorded payments.

A payment is applied to service years when it is recorded (its `Allocation`s); here it only
counts, from its date. The late fee runs from the day after the holiday-shifted due date up to
and including the day the fee is paid (contracts.late_fee), on the amount still unpaid each
day: a partial payment lowers the base from the day after it is made, a refund raises it again.
The fee is linear in amount × days, so it is computed once on the sum of the amount-days and
rounded once, as the clause's arithmetic (and contracts.late_fee) asks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from .events import LateFeePaid, LateFeeSettled, Paid
from .late_fee import LateFeeRate, late_fee, overdue_days

if TYPE_CHECKING:
    from .register import PaymentDeadline

ZERO = Decimal("0.00")  # sums keep the fen: "0.00", as every amount the register prints

# Receivables ageing buckets by days overdue: (label, lowest, highest).
AGEING = (("≤30日", 1, 30), ("31-60日", 31, 60), ("61-90日", 61, 90), (">90日", 91, None))
NOT_OVERDUE = "未逾期"


@dataclass(frozen=True)
class YearAccount:
    """One service year on a date: its fee, what was paid towards it by then, and the delay."""

    deadline: PaymentDeadline
    paid: Decimal
    outstanding: Decimal  # fee less paid; negative when more was paid than the year's fee
    days_overdue: int  # 0 when nothing is overdue on the date
    late_fee: Decimal | None  # accrued by the date; None when the register has no rate
    settled_on: dt.date | None  # the day the fee was paid in full, if it was by the date
    late_fee_paid: Decimal = ZERO  # of the late fee, received by the date
    late_fee_waived: Decimal = ZERO  # of the late fee, given up by the provider by the date

    @property
    def late_fee_owed(self) -> Decimal | None:
        """The late fee accrued and neither paid nor waived by the date."""
        if self.late_fee is None:
            return None
        return self.late_fee - self.late_fee_paid - self.late_fee_waived

    @property
    def service_year(self) -> int:
        return self.deadline.service_year

    @property
    def overdue(self) -> bool:
        return self.days_overdue > 0


@dataclass(frozen=True)
class Arrears:
    """What is late on a date: the longest delay, the sums, the years."""

    days: int
    outstanding: Decimal
    late_fee: Decimal | None
    years: tuple[YearAccount, ...]


Moves = Sequence[tuple[dt.date, Decimal]]  # (day, amount) applied to one service year, by day


def _movements(payments: Iterable[Paid], as_of: dt.date) -> dict[int, list[tuple[dt.date, Decimal]]]:
    """Each service year's moves by the payments made on or before as_of (grouped once: a
    report asks for every year of thousands of contracts)."""
    moves: dict[int, list[tuple[dt.date, Decimal]]] = {}
    for payment in sorted(payments, key=lambda p: p.on):
        if payment.on <= as_of:
            for part in payment.allocations:
                moves.setdefault(part.service_year, []).append((payment.on, part.amount))
    return moves


def _amount_days(due: PaymentDeadline, moves: Moves, as_of: dt.date
                 ) -> tuple[Decimal, dt.date | None]:
    """Σ unpaid amount × overdue days up to as_of, and the day the fee was settled in full."""
    balance, settled, total = due.amount, None, ZERO
    counted = 0  # overdue days already charged
    for day, amount in moves:
        days = overdue_days(due.due_on, day)  # the payment day itself is still overdue
        total += max(balance, ZERO) * (days - counted)
        counted = max(counted, days)
        balance -= amount
        if balance > 0:
            settled = None  # a refund reopened it
        elif settled is None:
            settled = day
    total += max(balance, ZERO) * (overdue_days(due.due_on, as_of) - counted)
    return total, settled


def year_account(due: PaymentDeadline, moves: Moves, rate: LateFeeRate | None, as_of: dt.date,
                 fee_settled: tuple[Decimal, Decimal] = (ZERO, ZERO)) -> YearAccount:
    """`fee_settled`: the year's late fee (paid, waived) by as_of."""
    paid = sum((amount for _day, amount in moves), ZERO)
    outstanding = due.amount - paid
    amount_days, settled = _amount_days(due, moves, as_of)
    if rate is None:
        fee = None
    else:
        fee = late_fee(amount_days, rate.annual_rate, 1) if amount_days else ZERO
    days = overdue_days(due.due_on, as_of) if outstanding > 0 else 0
    return YearAccount(due, paid, outstanding, days, fee, settled, *fee_settled)


def _fee_settled(settlements: Iterable[LateFeeSettled], as_of: dt.date) -> dict[int, tuple[Decimal, Decimal]]:
    """Each service year's late fee (paid, waived) by as_of."""
    totals: dict[int, tuple[Decimal, Decimal]] = {}
    for item in settlements:
        if item.on <= as_of:
            for part in item.allocations:
                paid, waived = totals.get(part.service_year, (ZERO, ZERO))
                if isinstance(item, LateFeePaid):
                    paid += part.amount
                else:
                    waived += part.amount
                totals[part.service_year] = (paid, waived)
    return totals


def accounts(
    deadlines: Sequence[PaymentDeadline], payments: Sequence[Paid], rate: LateFeeRate | None,
    as_of: dt.date, fee_settlements: Sequence[LateFeeSettled] = (),
) -> list[YearAccount]:
    """Every service year's account on as_of (years not begun yet too: nothing is due on them);
    `fee_settlements`: the late fee paid or waived, counted from their day."""
    moves = _movements(payments, as_of) if payments else {}
    fees = _fee_settled(fee_settlements, as_of) if fee_settlements else {}
    return [year_account(d, moves.get(d.service_year, ()), rate, as_of, fees.get(d.service_year, (ZERO, ZERO)))
            for d in deadlines]


def arrears(years: Iterable[YearAccount]) -> Arrears:
    """The late years; their late fee as still owed (accrued, less what was paid or waived)."""
    late = tuple(y for y in years if y.overdue)
    fees = [y.late_fee_owed for y in late]
    fee = None if any(f is None for f in fees) else sum((f for f in fees if f is not None), ZERO)
    return Arrears(max((y.days_overdue for y in late), default=0),
                   sum((y.outstanding for y in late), ZERO), fee, late)


def ageing_bucket(days_overdue: int) -> str:
    for label, low, high in AGEING:
        if days_overdue >= low and (high is None or days_overdue <= high):
            return label
    return NOT_OVERDUE


def allocate(
    amount: Decimal, open_years: Sequence[tuple[int, Decimal]]
) -> tuple[tuple[int, Decimal], ...]:
    """A payment spread over (service_year, still owed) oldest first; a refund (negative) over
    (service_year, paid) newest first. What is left over is returned as year 0: the caller
    refuses it."""
    left, parts = abs(amount), []
    ordered = open_years if amount > 0 else list(reversed(open_years))
    for year, room in ordered:
        if left <= 0:
            break
        part = min(left, room)
        if part > 0:
            parts.append((year, part if amount > 0 else -part))
            left -= part
    if left > 0:
        parts.append((0, left if amount > 0 else -left))
    return tuple(parts)
