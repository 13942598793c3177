"""contracts.signed_rows as pure functions: the columns of a signed agreement parsed, the events
they state, and the register's own rules (as `check` replays them) applied to those events."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from contracts.customer import CustomerType, customer_from_mapping
from contracts.dates import SHANGHAI
from contracts.errors import InvalidInput
from contracts.events import Issued, Paid, Signed
from contracts.register import replay, validate_history
from contracts.signed_rows import SignedFacts, parse_signed_columns, signed_bodies, signed_events
from service.sources import load_profile
from tests.conftest import INDIVIDUAL, TEST_PROFILE

TODAY = dt.date(2026, 11, 24)
NOW = dt.datetime(2026, 11, 24, 9, tzinfo=SHANGHAI)


@pytest.fixture(scope="module")
def profile():
    return load_profile(TEST_PROFILE)


def issued(profile, on=dt.date(2025, 3, 1), effective=None, fee="12800") -> Issued:
    customer = customer_from_mapping(CustomerType.INDIVIDUAL, INDIVIDUAL, TODAY)
    return Issued(on, customer, Decimal(fee), profile.term_years, profile.term_counting, profile.payment_days,
                  profile.courier_deemed_days, effective)


def test_unsigned_row_keeps_only_its_issue_date():
    assert parse_signed_columns({"issued_on": "2025-03-01"}, TODAY) == (dt.date(2025, 3, 1), None)
    assert parse_signed_columns({}, TODAY) == (None, None)


def test_signed_row_with_its_payments():
    day, facts = parse_signed_columns({"issued_on": dt.date(2025, 3, 1), "signed_on": "2025-03-08",
                                       "paid_until": 2.0, "paid_on": "2026-03-20"}, TODAY)
    assert day == dt.date(2025, 3, 1)
    assert facts == SignedFacts(dt.date(2025, 3, 8), 2, dt.date(2026, 3, 20))


@pytest.mark.parametrize("columns, field", [
    ({"issued_on": "2025-03-01", "signed_on": "2026-11-25"}, "signed_on"),
    ({"issued_on": "2026-11-25"}, "issued_on"),
    ({"signed_on": "2025-03-08"}, "issued_on"),
    ({"issued_on": "2025-03-01", "signed_on": "2025-03-08", "paid_until": "1"}, "paid_on"),
    ({"issued_on": "2025-03-01", "signed_on": "2025-03-08", "paid_on": "2025-03-20"}, "paid_until"),
    ({"issued_on": "2025-03-01", "paid_until": "1", "paid_on": "2025-03-20"}, "paid_until"),
    ({"issued_on": "2025-03-01", "signed_on": "2025-03-08", "paid_until": "-1", "paid_on": "2025-03-20"},
     "paid_until"),
    ({"issued_on": "2025-03-01", "signed_on": "2025-03-08", "paid_until": True, "paid_on": "2025-03-20"},
     "paid_until"),
])
def test_columns_refused_name_their_field(columns, field):
    with pytest.raises(InvalidInput) as caught:
        parse_signed_columns(columns, TODAY)
    assert [p.field for p in caught.value.problems] == [field]


def test_effective_on_signing_unless_the_agreement_states_a_day(profile):
    on_signing = signed_bodies(issued(profile), SignedFacts(dt.date(2025, 3, 8)), profile, TODAY)
    assert on_signing == (Signed(dt.date(2025, 3, 8), dt.date(2025, 3, 8)),)
    stated = signed_bodies(issued(profile, effective=dt.date(2025, 4, 1)), SignedFacts(dt.date(2025, 3, 8)),
                           profile, TODAY)
    assert stated == (Signed(dt.date(2025, 3, 8), dt.date(2025, 4, 1)),)


def test_paid_years_are_one_payment_applied_to_each_year(profile):
    bodies = signed_bodies(issued(profile), SignedFacts(dt.date(2025, 3, 8), 2, dt.date(2026, 3, 20)), profile,
                           TODAY)
    assert not isinstance(bodies, list)
    payment = bodies[1]
    assert isinstance(payment, Paid)
    assert payment.on == dt.date(2026, 3, 20) and payment.amount == Decimal("25600.00")
    assert [(a.service_year, a.amount) for a in payment.allocations] == [(1, Decimal("12800")),
                                                                       (2, Decimal("12800"))]


def test_years_not_begun_cannot_be_paid(profile):
    # signed 2025-03-08: year 2 begins 2026-03-08, year 3 on 2027-03-08
    facts = SignedFacts(dt.date(2025, 3, 8), 3, dt.date(2026, 3, 20))
    found = signed_bodies(issued(profile), facts, profile, TODAY)
    assert isinstance(found, list) and [p.field for p in found] == ["paid_until"]
    early = signed_bodies(issued(profile), SignedFacts(dt.date(2025, 3, 8), 1, dt.date(2025, 3, 9)), profile,
                          dt.date(2025, 3, 7))
    assert isinstance(early, list) and "尚未开始" in early[0].message


def test_signed_events_are_one_chained_history_check_accepts(profile):
    events = signed_events("VIP-2025-000001", issued(profile),
                           SignedFacts(dt.date(2025, 3, 8), 1, dt.date(2025, 3, 20)), profile, NOW)
    assert not isinstance(events, list)
    assert [e.seq for e in events] == [1, 2, 3]
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    assert validate_history(events, profile) == []
    state = replay(events, profile)
    assert state.signed is not None and len(state.payments) == 1


def test_signed_events_refused_by_the_register_name_a_column(profile):
    # the register refuses a fact recorded before it happened: the recording day is "today"
    facts = SignedFacts(dt.date(2025, 3, 8), 1, dt.date(2025, 3, 20))
    early = dt.datetime(2025, 3, 10, 9, tzinfo=SHANGHAI)
    found = signed_events("VIP-2025-000001", issued(profile), facts, profile, early)
    assert isinstance(found, list) and found[0].field == "paid_on"
