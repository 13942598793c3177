"""The date rules the register derives (民法典 第二百零一条 to 第二百零四条, clause 8.3, 13.5)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from contracts.dates import (
    SHANGHAI,
    DeliveryMethod,
    TermCounting,
    deemed_delivered_on,
    payment_due,
    service_years,
    term_first_day,
    term_last_day,
)
from contracts.workdays import HolidaySupplement, shift_to_workday

D = dt.date.fromisoformat
COUNTED = TermCounting.EFFECTIVE_DAY_COUNTED
CIVIL = TermCounting.CIVIL_CODE


@pytest.mark.parametrize(
    ("effective", "counting", "last"),
    [
        ("2025-03-10", COUNTED, "2030-03-09"),
        ("2024-02-29", COUNTED, "2029-02-28"),  # leap day: the day before is 02-28
        ("2024-03-01", COUNTED, "2029-02-28"),  # naive +5y-1d would give 2029-02-28 too, via 02-29
        ("2025-01-01", COUNTED, "2029-12-31"),
        ("2025-01-31", COUNTED, "2030-01-30"),
        ("2025-03-10", CIVIL, "2030-03-10"),
        ("2024-02-29", CIVIL, "2029-02-28"),  # no corresponding day: the month's last day
        ("2025-08-31", CIVIL, "2030-08-31"),
        ("2023-03-01", COUNTED, "2028-02-29"),  # the day before 2028-03-01 is a leap day
        ("2027-03-01", COUNTED, "2032-02-29"),
        ("2024-02-28", CIVIL, "2029-02-28"),  # first day 2024-02-29, a leap day
        ("2023-03-01", CIVIL, "2028-03-01"),
        ("2025-12-31", CIVIL, "2030-12-31"),  # a month end
    ],
)
def test_term_last_day(effective, counting, last):
    assert term_last_day(term_first_day(D(effective), counting), 5, counting) == D(last)


@pytest.mark.parametrize(
    ("effective", "first"),
    [("2025-03-10", "2025-03-11"), ("2024-02-28", "2024-02-29"), ("2024-02-29", "2024-03-01"),
     ("2025-12-31", "2026-01-01")],
)
def test_under_civil_code_the_term_begins_the_day_after_the_effective_day(effective, first):
    assert term_first_day(D(effective), CIVIL) == D(first)
    assert term_first_day(D(effective), COUNTED) == D(effective)


@pytest.mark.parametrize(
    ("previous_last", "counting", "last"),
    [("2030-03-10", CIVIL, "2035-03-10"), ("2029-02-28", CIVIL, "2034-02-28"),
     ("2028-02-29", CIVIL, "2033-02-28"), ("2030-03-09", COUNTED, "2035-03-09")],
)
def test_a_renewal_term_is_counted_from_the_previous_last_day_the_same_way(previous_last, counting, last):
    """A five-year renewal is five years, not five years and a day, under either counting."""
    first = D(previous_last) + dt.timedelta(days=1)
    assert term_last_day(first, 5, counting) == D(last)


@pytest.mark.parametrize(
    ("effective", "firsts", "lasts"),
    [
        # leap day effective: the term runs 2024-03-01 .. 2029-02-28
        ("2024-02-29", ["2024-03-01", "2025-03-01", "2026-03-01", "2027-03-01", "2028-03-01"],
         ["2025-02-28", "2026-02-28", "2027-02-28", "2028-02-29", "2029-02-28"]),
        # month end
        ("2025-12-31", ["2026-01-01", "2027-01-01", "2028-01-01", "2029-01-01", "2030-01-01"],
         ["2026-12-31", "2027-12-31", "2028-12-31", "2029-12-31", "2030-12-31"]),
    ],
)
def test_civil_code_service_years_begin_the_day_after_the_effective_day(effective, firsts, lasts):
    years = service_years(term_first_day(D(effective), CIVIL), 5, CIVIL)
    assert [y.first_day for y in years] == [D(d) for d in firsts]
    assert [y.last_day for y in years] == [D(d) for d in lasts]


def test_service_years_follow_each_other_and_end_with_the_term():
    years = service_years(D("2024-02-29"), 5, COUNTED)
    assert [y.first_day for y in years] == [D("2024-02-29"), D("2025-03-01"), D("2026-03-01"),
                                            D("2027-03-01"), D("2028-02-29")]
    assert years[-1].last_day == term_last_day(D("2024-02-29"), 5, COUNTED)
    for before, after in zip(years, years[1:], strict=False):
        assert after.first_day == before.last_day + dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("last_day", "due_on", "why"),
    [
        ("2026-10-01", "2026-10-08", "National Day holiday 10-01..10-07"),
        ("2025-10-01", "2025-10-09", "National Day + Mid-Autumn 10-01..10-08"),
        ("2026-02-15", "2026-02-24", "Spring Festival 02-15..02-23"),
        ("2026-01-03", "2026-01-04", "New Year's holiday; Sunday 01-04 is an adjusted working day"),
        ("2026-10-10", "2026-10-10", "an adjusted working Saturday stays"),
        ("2026-03-25", "2026-03-25", "an ordinary Wednesday"),
        ("2026-03-28", "2026-03-30", "an ordinary weekend"),
    ],
)
def test_deadline_on_a_rest_day_moves_to_the_next_working_day(last_day, due_on, why):
    deadline = shift_to_workday(D(last_day))
    assert deadline.due_on == D(due_on), why
    assert deadline.shifted_from == (None if last_day == due_on else D(last_day))
    assert deadline.provisional is False


def test_fee_of_a_year_beginning_2026_09_16_is_due_2026_10_08():
    year = service_years(D("2025-09-16"), 5, COUNTED)[1]
    assert year.first_day == D("2026-09-16")
    deadline = payment_due(year, 15)
    assert (deadline.due_on, deadline.shifted_from) == (D("2026-10-08"), D("2026-10-01"))


def test_years_after_the_published_calendar_are_provisional():
    saturday = shift_to_workday(D("2027-01-02"))
    assert saturday.due_on == D("2027-01-04") and saturday.provisional
    assert shift_to_workday(D("2027-03-10")).provisional


def test_a_holiday_list_in_the_profile_makes_a_later_year_final():
    supplement = HolidaySupplement(
        years=frozenset({2027}),
        holidays=frozenset({D("2027-01-01")}),
        workdays=frozenset({D("2027-02-14")}),  # a Sunday worked
    )
    new_year = shift_to_workday(D("2027-01-01"), supplement)
    assert (new_year.due_on, new_year.provisional) == (D("2027-01-04"), False)
    worked_sunday = shift_to_workday(D("2027-02-14"), supplement)
    assert (worked_sunday.due_on, worked_sunday.shifted_from) == (D("2027-02-14"), None)
    assert not worked_sunday.provisional


def test_payment_deadlines_use_the_profile_holidays(profile):
    from contracts.register import payment_deadlines
    from tests.test_register_fixtures import history_state

    state = history_state(effective="2025-09-16")
    plain = payment_deadlines(state, profile)
    assert [(d.due_on, d.shifted_from) for d in plain[:2]] == [
        (D("2025-10-09"), D("2025-10-01")), (D("2026-10-08"), D("2026-10-01"))]
    assert [d.provisional for d in plain] == [False, False, True, True, True]
    covered = dataclasses.replace(profile, holidays=HolidaySupplement(
        years=frozenset(range(2027, 2031))))
    assert [d.provisional for d in payment_deadlines(state, covered)] == [False] * 5


@pytest.mark.parametrize(
    ("method", "sent_at", "kwargs", "deemed"),
    [
        (DeliveryMethod.COURIER, dt.datetime(2026, 9, 29, 10, tzinfo=SHANGHAI), {}, "2026-10-02"),
        (DeliveryMethod.COURIER, dt.datetime(2026, 9, 29, 10, tzinfo=SHANGHAI),
         {"receipt_on": D("2026-09-30")}, "2026-09-30"),
        (DeliveryMethod.COURIER, dt.datetime(2026, 9, 29, 10, tzinfo=SHANGHAI),
         {"receipt_on": D("2026-10-05")}, "2026-10-02"),
        (DeliveryMethod.EMAIL, dt.datetime(2026, 3, 1, 17, 30, tzinfo=dt.UTC), {}, "2026-03-02"),
        (DeliveryMethod.EMAIL, dt.datetime(2026, 3, 1, 15, 59, tzinfo=dt.UTC), {}, "2026-03-01"),
        (DeliveryMethod.EMAIL, dt.datetime(2026, 3, 1, 17, 30, tzinfo=dt.UTC),
         {"bounced": True}, None),
        (DeliveryMethod.PERSONAL, dt.datetime(2026, 3, 1, 9, tzinfo=SHANGHAI), {}, None),
        (DeliveryMethod.PERSONAL, dt.datetime(2026, 3, 1, 9, tzinfo=SHANGHAI),
         {"receipt_on": D("2026-03-03")}, "2026-03-03"),
        (DeliveryMethod.COURIER, dt.datetime(2026, 9, 29, 10, tzinfo=SHANGHAI),
         {"returned_on": D("2026-09-30")}, "2026-09-30"),
    ],
)
def test_deemed_delivery(method, sent_at, kwargs, deemed):
    result = deemed_delivered_on(method, sent_at, 3, **kwargs)
    assert result == (D(deemed) if deemed else None)


def posted(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(D(day), dt.time(hour), SHANGHAI)


# Clause 13.5: the earliest of the days that apply (signed for, refused/returned, day N after
# posting for the post; the day it entered the mailbox for email, unless it bounced).
@pytest.mark.parametrize(
    ("method", "sent_at", "kwargs", "deemed"),
    [
        # returned after day N: day N, not the return date (the old text gave both)
        (DeliveryMethod.COURIER, posted("2026-03-02"), {"returned_on": D("2026-03-09")}, "2026-03-05"),
        # returned on day N or before: the return date
        (DeliveryMethod.COURIER, posted("2026-03-02"), {"returned_on": D("2026-03-05")}, "2026-03-05"),
        (DeliveryMethod.COURIER, posted("2026-03-02"), {"returned_on": D("2026-03-03")}, "2026-03-03"),
        # refused two days after posting
        (DeliveryMethod.COURIER, posted("2026-03-02"), {"returned_on": D("2026-03-04")}, "2026-03-04"),
        # refused by hand
        (DeliveryMethod.PERSONAL, posted("2026-03-02"), {"returned_on": D("2026-03-02")}, "2026-03-02"),
        # signed for after day N: day N
        (DeliveryMethod.COURIER, posted("2026-03-02"), {"receipt_on": D("2026-03-20")}, "2026-03-05"),
        # across the leap day: 2024-02-27 + 3 = 2024-03-01 (28, 29, 1)
        (DeliveryMethod.COURIER, posted("2024-02-27"), {}, "2024-03-01"),
        (DeliveryMethod.COURIER, posted("2024-02-27"), {"returned_on": D("2024-03-04")}, "2024-03-01"),
        (DeliveryMethod.COURIER, posted("2024-02-27"), {"returned_on": D("2024-02-29")}, "2024-02-29"),
        (DeliveryMethod.COURIER, posted("2025-02-27"), {}, "2025-03-02"),
        # month and year ends
        (DeliveryMethod.COURIER, posted("2025-01-30"), {}, "2025-02-02"),
        (DeliveryMethod.COURIER, posted("2026-12-30"), {"returned_on": D("2027-01-05")}, "2027-01-02"),
        # posted late in the evening: the Shanghai date of posting counts, not UTC's
        (DeliveryMethod.COURIER, dt.datetime(2026, 4, 30, 16, 30, tzinfo=dt.UTC), {}, "2026-05-04"),
        # email: the day it entered the mailbox, unless it bounced; a later receipt changes nothing
        (DeliveryMethod.EMAIL, posted("2026-03-02"), {"receipt_on": D("2026-03-04")}, "2026-03-02"),
        (DeliveryMethod.EMAIL, posted("2026-03-02"), {"bounced": True}, None),
    ],
    ids=["returned-after-day-n", "returned-on-day-n", "returned-before-day-n", "refused",
         "refused-by-hand", "signed-after-day-n", "leap-day", "leap-day-returned-later",
         "returned-on-the-leap-day", "no-leap-day", "month-end", "year-end-returned-later",
         "shanghai-date", "email", "email-bounced"],
)
def test_deemed_delivery_is_the_earliest_day_that_applies(method, sent_at, kwargs, deemed):
    result = deemed_delivered_on(method, sent_at, 3, **kwargs)
    assert result == (D(deemed) if deemed else None)


def test_a_return_after_day_n_in_the_register(profile):
    from contracts.events import NoticeKind, NoticeReturned, NoticeSent, ReturnReason
    from contracts.register import notice_views
    from tests.test_register_fixtures import CUSTOMER, history_state

    sent = NoticeSent("N-000001", NoticeKind.OTHER, DeliveryMethod.COURIER, CUSTOMER.address,
                      posted("2026-03-02"))
    state = history_state("2025-03-10", sent,
                          NoticeReturned("N-000001", D("2026-03-09"), ReturnReason.UNDELIVERABLE))
    [view] = notice_views(state, profile)
    assert (view.returned_on, view.deemed_delivered_on) == (D("2026-03-09"), D("2026-03-05"))
