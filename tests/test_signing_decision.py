"""The signing decision (contracts.commands.decide_signing) and contract numbering
(contracts.register.contract_number) as pure functions: state, request, profile, today in;
the event or the problems out; the service only loads and appends."""

from __future__ import annotations

import pytest

from contracts.commands import decide_signing
from contracts.events import Signed, Voided
from contracts.register import contract_number, contract_number_head, replay
from tests.test_payments import PROFILE
from tests.test_register_fixtures import NO, D, chain, issued


def draft(effective_date: str | None = None, *more):
    stated = D(effective_date) if effective_date else None
    return replay(chain(issued("2025-03-01", effective_date=stated), *more))


def test_effective_the_day_it_is_signed_when_the_agreement_states_no_date():
    assert decide_signing(draft(), D("2025-03-10"), PROFILE, D("2025-03-12")) == Signed(D("2025-03-10"), D("2025-03-10"))


def test_effective_on_the_day_the_agreement_states():
    assert decide_signing(draft("2025-04-01"), D("2025-03-10"), PROFILE, D("2025-03-10")) == \
        Signed(D("2025-03-10"), D("2025-04-01"))
    # signed on the stated day itself: effective that day
    assert decide_signing(draft("2025-04-01"), D("2025-04-01"), PROFILE, D("2025-04-01")) == \
        Signed(D("2025-04-01"), D("2025-04-01"))


@pytest.mark.parametrize(("state", "signed_on", "today", "field", "words"), [
    (draft(), D("2025-03-13"), D("2025-03-12"), "on", "签署日期 2025-03-13 晚于登记之日 2025-03-12"),
    (draft(), D("2025-02-28"), D("2025-03-12"), "on", "早于合同 VIP-2025-000001 的签发日期 2025-03-01"),
    (draft("2025-04-01"), D("2025-04-02"), D("2025-04-02"), "on", "协议写明的生效日期为 2025-04-01，签署日期不能晚于该日"),
    (draft(None, Signed(D("2025-03-10"), D("2025-03-10"))), D("2025-03-11"), D("2025-03-12"), "", "不能重复签署"),
    (draft(None, Voided(D("2025-03-05"))), D("2025-03-10"), D("2025-03-12"), "", "已于 2025-03-05 作废"),
])
def test_what_cannot_be_signed(state, signed_on, today, field, words):
    [problem] = decide_signing(state, signed_on, PROFILE, today)
    assert problem.field == field and words in problem.message


def test_contract_numbers_are_the_year_and_six_digits():
    assert contract_number("VIP", 2025, 1) == NO
    assert contract_number("ABC1", 2031, 123456) == "ABC1-2031-123456"
    assert contract_number_head("VIP", 2025) == "VIP-2025-"
    with pytest.raises(ValueError):
        contract_number("VIP", 2025, 1_000_000)
