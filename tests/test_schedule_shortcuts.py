"""The shortcuts that make `report deadlines` and `list --status` fast at 100,000 contracts give
what the plain computation gives: a schedule at one fee (shared by every contract with the same
terms' days) is the year-by-year schedule, on leap days, month ends and days a holiday shifts,
with and without a fee changed by a 补充协议; arrears worked out from the years already due only
are the arrears of every year; a report's calendar events made when first read are the ones
made with it; the widths of ASCII text are counted as before."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from contracts import payments as money
from contracts.dates import payment_due, service_years
from contracts.register import (
    arrears_on,
    payment_deadlines,
    replay,
    service_schedule,
    terms_in_force,
    year_accounts,
)
from contracts.report_model import LaterEvents, text_width
from contracts.reports import deadlines_report
from renderers.report_files import render_report

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import bench_register as B  # noqa: E402  (the bench's generator of histories)

D = dt.date.fromisoformat
# every fifth issue day of the bench's 1,920 (every weekday, amended ones among them), and those
# whose terms begin on a leap day (signed and in effect five days after issue), on 2023-03-01 (a
# term that ends on a leap day), on a month's end, or whose due dates fall in a holiday
CHOSEN = sorted({*range(1, 1921, 5), 1514, 639, 687, 613, 774, 1789, 962, 1763, 618, 1767, 152, 1454})
AS_OF_DATES = (D("2022-02-28"), D("2024-02-29"), D("2024-10-08"), D("2025-12-31"), B.AS_OF, D("2028-02-29"))


@pytest.fixture(scope="module")
def profile():
    from service.sources import load_profile

    return load_profile(B.BENCH_PROFILE)


@pytest.fixture(scope="module")
def states(profile):
    return [replay(B._sealed_events(i, B.bodies(i)), profile) for i in CHOSEN]


def year_by_year(state, profile) -> list[tuple]:
    """The schedule as clause 8.3 reads, each year on its own (the fee in force on its first day)."""
    out = []
    for term in state.terms:
        for year in service_years(term.first_day, term.years, state.issued.counting):
            due = payment_due(year, state.issued.payment_days, profile.holidays)
            fee = terms_in_force(state, year.first_day).annual_fee
            out.append((len(out) + 1, term.number, year.first_day, year.last_day, due.due_on, due.shifted_from,
                        due.provisional, str(fee)))
    return out


def plain(schedule) -> list[tuple]:
    return [(d.service_year, d.term, d.first_day, d.last_day, d.due_on, d.shifted_from, d.provisional, str(d.amount))
            for d in schedule]


def test_the_schedule_at_one_fee_is_the_year_by_year_schedule(states, profile):
    firsts = {d.first_day for s in states for d in service_schedule(s, profile)}
    lasts = {d.last_day for s in states for d in service_schedule(s, profile)}
    assert {D("2024-02-29"), D("2023-03-01"), D("2024-01-31"), D("2022-08-31")} <= firsts
    assert D("2028-02-29") in lasts and D("2029-02-28") in lasts  # 2023-03-01 and 2024-02-29 + 5 years
    shifted = [d for s in states for d in service_schedule(s, profile) if d.shifted_from]
    assert shifted  # some due dates fall on a holiday or a weekend and move
    amended = [s for s in states if len({d.amount for d in service_schedule(s, profile)}) > 1]
    assert amended  # the fee changed by a 补充协议: the year-by-year path
    for state in states:
        assert plain(service_schedule(state, profile)) == year_by_year(state, profile), state.contract_no


def test_contracts_with_the_same_days_share_a_schedule_but_keep_their_own_fee(states, profile):
    state = next(s for s in states if len({d.amount for d in service_schedule(s, profile)}) == 1)
    for text in ("1000", "1000.00", "1000.5", "2000.00"):
        other = dataclasses.replace(state, issued=dataclasses.replace(state.issued, annual_fee=Decimal(text)))
        assert {str(d.amount) for d in service_schedule(other, profile)} == {text}
        assert plain(service_schedule(other, profile)) == year_by_year(other, profile)


def test_arrears_from_the_years_already_due_are_the_arrears_of_every_year(states, profile):
    late_somewhere = 0
    for state in states:
        for as_of in AS_OF_DATES:
            expected = money.arrears(year_accounts(state, as_of, profile)) if state.signed else money.arrears(())
            got = arrears_on(state, as_of, profile)
            assert got == expected, (state.contract_no, as_of)
            late_somewhere += got.days > 0
    assert late_somewhere > 20


def test_a_terminated_contract_is_late_on_its_cut_year_as_before(states, profile):
    from contracts.events import Terminated, TerminationReason

    state = next(s for s in states if s.signed and len(service_schedule(s, profile)) >= 3)
    year = service_schedule(state, profile)[1]
    ended = dataclasses.replace(state, terminated=Terminated(year.first_day + dt.timedelta(days=100), list(TerminationReason)[0]))
    for as_of in (year.due_on, year.due_on + dt.timedelta(days=1), year.first_day + dt.timedelta(days=200)):
        expected = money.accounts(payment_deadlines(ended, profile, as_of), ended.payments,
                                  ended.issued.late_fee, as_of, ended.late_fee_settlements)
        assert arrears_on(ended, as_of, profile) == money.arrears(expected)


def test_the_deadlines_calendar_is_made_when_read_and_is_the_same(states, profile):
    report = deadlines_report(states, B.AS_OF, profile)
    assert isinstance(report.calendar_events, LaterEvents)
    events = tuple(report.calendar_events)
    assert len(events) > 100 and len(report.calendar_events) == len(events)
    eager = dataclasses.replace(report, calendar_events=events)
    assert render_report(report, "ics", report) == render_report(eager, "ics", eager)
    assert report.calendar_events == events and report.calendar_events[0] == events[0]
    uids = [e.uid for e in events]
    assert len(set(uids)) == len(uids)


@pytest.mark.parametrize(("text", "width"), [("", 0), ("VIP-2025-000123", 15), ("12,800.00", 9),
                                             ("张三", 4), ("A张", 3), ("（提前60日）", 12), ("Ａ", 2)])
def test_text_widths(text, width):
    assert text_width(text) == width
