"""Working days and rest days (法定休假日) under the State Council's yearly arrangement.

chinese-calendar carries the arrangements up to its last published year and raises for later
years. There the profile may add the year's list; without it, only weekends count as rest days
and every date derived from that year is marked provisional.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field

import chinese_calendar


@dataclass(frozen=True)
class HolidaySupplement:
    """A later year's arrangement, from the profile: rest weekdays and working weekend days."""

    years: frozenset[int] = frozenset()
    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()


NO_SUPPLEMENT = HolidaySupplement()


@dataclass(frozen=True)
class DayKind:
    workday: bool
    provisional: bool  # no published arrangement for the year: weekends only


@functools.lru_cache(maxsize=8192)
def day_kind(day: dt.date, supplement: HolidaySupplement = NO_SUPPLEMENT) -> DayKind:
    if day.year in supplement.years:
        if day in supplement.holidays:
            return DayKind(False, False)
        if day in supplement.workdays:
            return DayKind(True, False)
        return DayKind(day.weekday() < 5, False)
    try:
        return DayKind(chinese_calendar.is_workday(day), False)
    except NotImplementedError:
        return DayKind(day.weekday() < 5, True)


@dataclass(frozen=True)
class Deadline:
    """The last day of a period for an act, after the rest-day rule (民法典 第二百零三条)."""

    due_on: dt.date
    shifted_from: dt.date | None = None
    provisional: bool = False
    rule: str = field(default="")


@functools.lru_cache(maxsize=8192)
def shift_to_workday(last_day: dt.date, supplement: HolidaySupplement = NO_SUPPLEMENT) -> Deadline:
    """A last day that is a rest day moves to the first working day after the rest ends."""
    day, provisional = last_day, False
    while True:
        kind = day_kind(day, supplement)
        provisional = provisional or kind.provisional
        if kind.workday:
            break
        day += dt.timedelta(days=1)
    if day == last_day:
        return Deadline(day, None, provisional, "")
    rule = "期间最后一日为法定休假日，顺延至休假日结束的次日（民法典第二百零三条）"
    return Deadline(day, last_day, provisional, rule)
