"""Legal dates of the agreement: the term, service years, payment due dates, deemed delivery.

The agreement's text states the same rules; the document generator prints dates computed here.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from .workdays import NO_SUPPLEMENT, Deadline, HolidaySupplement, shift_to_workday

ONE_DAY = dt.timedelta(days=1)
SHANGHAI = ZoneInfo("Asia/Shanghai")


class TermCounting(StrEnum):
    # The effective day is the first day of the term; the last day is the day before the
    # anniversary, or the month's last day where there is no anniversary (see term_last_day).
    EFFECTIVE_DAY_COUNTED = "effective_day_counted"
    # 民法典 第二百零一条/第二百零二条: the effective day is not counted, the term begins the next
    # day; the corresponding day N years later is the last day, or the month's last day where
    # there is none.
    CIVIL_CODE = "civil_code"


def term_first_day(effective: dt.date, counting: TermCounting) -> dt.date:
    """First day of the term of an agreement that takes effect on `effective`.

    With the effective day counted it is that day; under 第二百零一条 the day of effect is not
    counted and the term begins the next day, as clause 1.4 states."""
    return effective + ONE_DAY if counting is TermCounting.CIVIL_CODE else effective


@functools.lru_cache(maxsize=65536)  # pure, and asked for the same few thousand days over and over
def term_last_day(first_day: dt.date, years: int, counting: TermCounting) -> dt.date:
    """Last day of a term of `years` years whose first day is `first_day` (term_first_day, or
    the day after the previous term for a renewal).

    relativedelta clamps to the month's end (2024-02-29 + 5 years = 2029-02-28), which is
    第二百零二条's rule. With the effective day counted, the term ends the day before the
    anniversary of its first day (2025-03-10 -> 2030-03-09; 2023-03-01 -> 2028-02-29, a leap
    day), except when the anniversary does not exist: a term from 2024-02-29 ends on 2029-02-28,
    the month's last day, as the agreement states. (Subtracting the day first, (first - 1 day)
    + N years, gets 2023-03-01 wrong: it gives 2028-02-28 and leaves the leap day out.)

    Under civil_code the period is counted from the day before the first day (the day of effect,
    or the previous term's last day), which is not counted: its corresponding day N years later
    is the last day, or the month's last day where there is none (effective 2025-03-10: first day
    2025-03-11, last day 2030-03-10; effective 2024-02-29: 2024-03-01 to 2029-02-28).
    """
    if years < 1:
        raise ValueError("years must be at least 1")
    if counting is TermCounting.CIVIL_CODE:
        return first_day - ONE_DAY + relativedelta(years=years)
    anniversary = first_day + relativedelta(years=years)
    if anniversary.day != first_day.day:
        return anniversary
    return anniversary - ONE_DAY


@dataclass(frozen=True)
class ServiceYear:
    number: int  # 1-based within the term
    first_day: dt.date
    last_day: dt.date


def service_years(first_day: dt.date, years: int, counting: TermCounting) -> list[ServiceYear]:
    """The term (from its first day, see term_first_day) split into service years: the first
    begins on the term's first day, year k ends where a k-year term would end (clause 8.3)."""
    result, start = [], first_day
    for k in range(1, years + 1):
        end = term_last_day(first_day, k, counting)
        result.append(ServiceYear(k, start, end))
        start = end + ONE_DAY
    return result


def period_last_day(start: dt.date, days: int) -> dt.date:
    """A period of `days` days from `start`, the start day not counted (第二百零一条)."""
    return start + dt.timedelta(days=days)


def payment_due(
    year: ServiceYear, days: int, supplement: HolidaySupplement = NO_SUPPLEMENT
) -> Deadline:
    """Fee for a service year: within `days` days from the day the year begins (clause 8.3)."""
    return shift_to_workday(period_last_day(year.first_day, days), supplement)


class DeliveryMethod(StrEnum):
    PERSONAL = "personal"
    COURIER = "courier"
    EMAIL = "email"

    @property
    def label(self) -> str:
        return {"personal": "直接送达", "courier": "快递/EMS", "email": "电子邮件"}[self.value]


def local_date(moment: dt.datetime) -> dt.date:
    """The calendar day in Asia/Shanghai; a bare date-time is read as Shanghai time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    return moment.astimezone(SHANGHAI).date()


def deemed_delivered_on(
    method: DeliveryMethod,
    sent_at: dt.datetime,
    courier_days: int,
    *,
    receipt_on: dt.date | None = None,
    returned_on: dt.date | None = None,
    bounced: bool = False,
) -> dt.date | None:
    """When a notice takes effect under clause 13.5; None while it cannot be said yet.

    The clause gives one rule: the earliest of the days that apply. Personal delivery: the day
    of the signed receipt or of the refusal. Courier/EMS: the day signed for, the day refused
    or returned (from the address in force: the caller passes `returned_on` only then), and the
    Nth calendar day after posting, posting day not counted. So an item signed for, refused or
    returned after day N is delivered on day N, and one returned before day N on the day it was
    returned. Email: the day (Shanghai time) it entered the designated mailbox (第一百三十七条),
    which is the day it was sent; never if it bounced.
    """
    if method is DeliveryMethod.EMAIL:
        return None if bounced else local_date(sent_at)
    days = [d for d in (receipt_on, returned_on) if d is not None]
    if method is DeliveryMethod.COURIER:
        days.append(local_date(sent_at) + dt.timedelta(days=courier_days))
    return min(days, default=None)
