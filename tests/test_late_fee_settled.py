"""The late fee of clause 8.4 paid or waived: new records, never edits; the fee stops growing the
day the fee it runs on is paid; nothing settles more than had accrued by its day, even when a
payment entered later is dated earlier; a waiver says who decided and why; show and receivables
give what is still owed."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from contracts.commands import LateFeeRequest, decide_late_fee
from contracts.dates import SHANGHAI
from contracts.events import Allocation, LateFeePaid, LateFeeWaived, seal
from contracts.register import check_new_event, year_accounts
from contracts.reports import receivables_report
from tests.test_payments import PROFILE, contract, paid
from tests.test_register_fixtures import NO, D, chain, fake_renderer, signed_contract_cli  # noqa: F401
from tests.test_settlement import money

PAID_LATE = paid("2025-05-10", (1, "12800"))  # due 2025-03-25: 46 days late, 12,800 × 4.5% × 46 / 365 = 72.59


def year1(state, as_of: str):
    return year_accounts(state, D(as_of), PROFILE)[0]


def pay_fee(on: str, amount: str | None, year: int | None = None) -> LateFeeRequest:
    return LateFeeRequest(False, D(on), None if amount is None else money(amount), year)


def waive_fee(on: str, amount: str | None = None, by: str = "王经理", note: str = "首次逾期，予以减免") -> LateFeeRequest:
    return LateFeeRequest(True, D(on), None if amount is None else money(amount), by=by, note=note)


def test_the_late_fee_stops_growing_the_day_the_fee_is_paid():
    state = contract("2025-03-10", PAID_LATE)
    assert [year1(state, day).late_fee for day in ("2025-05-09", "2025-05-10", "2025-05-11", "2027-01-01")] == \
        [money("71.01"), money("72.59"), money("72.59"), money("72.59")]
    assert year1(state, "2027-01-01").days_overdue == 0


def test_paid_in_part_then_waived_and_nothing_left_owed():
    state = contract("2025-03-10", PAID_LATE)
    part = decide_late_fee(state, pay_fee("2025-06-01", "50"), PROFILE, D("2025-06-01"))
    assert part == LateFeePaid(D("2025-06-01"), money("50"), (Allocation(1, money("50.00")),))
    state = contract("2025-03-10", PAID_LATE, part)
    assert year1(state, "2025-06-01").late_fee_owed == money("22.59")
    assert year1(state, "2025-05-31").late_fee_owed == money("72.59")  # counted from its day
    rest = decide_late_fee(state, waive_fee("2025-06-02"), PROFILE, D("2025-06-02"))
    assert rest == LateFeeWaived(D("2025-06-02"), money("22.59"), (Allocation(1, money("22.59")),), "王经理",
                                 "首次逾期，予以减免")
    state = contract("2025-03-10", PAID_LATE, part, rest)
    account = year1(state, "2026-01-01")
    assert (account.late_fee, account.late_fee_paid, account.late_fee_waived, account.late_fee_owed) == \
        (money("72.59"), money("50.00"), money("22.59"), money("0.00"))


def test_receivables_lists_a_late_fee_owed_after_the_fee_was_paid_until_it_is_settled():
    owed = receivables_report([contract("2025-03-10", PAID_LATE)], D("2025-06-01"), PROFILE)
    assert [(r["service_year"], r["outstanding"], r["late_fee"], r["late_fee_owed"]) for r in owed.rows] == \
        [(1, money("0.00"), money("72.59"), money("72.59"))]
    waived = decide_late_fee(contract("2025-03-10", PAID_LATE), waive_fee("2025-06-01"), PROFILE, D("2025-06-01"))
    settled = receivables_report([contract("2025-03-10", PAID_LATE, waived)], D("2025-06-01"), PROFILE)
    assert settled.rows == ()


def test_a_late_fee_paid_while_the_fee_is_still_unpaid_and_the_fee_running_on():
    state = contract("2025-03-10")
    early = decide_late_fee(state, pay_fee("2025-04-25", "48.92"), PROFILE, D("2025-04-25"))  # 31 days accrued
    too_much = decide_late_fee(state, pay_fee("2025-04-25", "60"), PROFILE, D("2025-04-25"))
    assert too_much[0].field == "amount" and "尚未结清的逾期付款违约金 48.92 元" in too_much[0].message
    state = contract("2025-03-10", early, PAID_LATE)
    assert year1(state, "2025-06-01").late_fee_owed == money("23.67")  # 72.59 − 48.92


def test_a_payment_dated_earlier_cannot_take_away_the_grounds_of_a_late_fee_paid():
    """48.92 of late fee paid on 2025-04-25; a payment of the fee entered afterwards but dated
    2025-04-01 would leave only 11.05 accrued by then: refused, naming the record it undermines."""
    early = LateFeePaid(D("2025-04-25"), money("48.92"), (Allocation(1, money("48.92")),))
    state = contract("2025-03-10", early)
    back_dated = seal(NO, state.last_seq + 1, dt.datetime(2025, 5, 1, 9, tzinfo=SHANGHAI),
                      paid("2025-04-01", (1, "12800")), state.last_hash)
    problems = check_new_event(state, back_dated, PROFILE)
    assert len(problems) == 1 and "已登记的第 3 条记录（违约金付款）将失去依据" in problems[0].message
    assert "截至 2025-04-25 的逾期付款违约金为 11.05 元" in problems[0].message


@pytest.mark.parametrize(("request_", "field"), [
    (waive_fee("2025-06-01", by=""), "by"),
    (waive_fee("2025-06-01", note=""), "note"),
    (pay_fee("2025-06-01", "0"), "amount"),
    (pay_fee("2025-06-02", "10"), "on"),  # after today
    (pay_fee("2025-06-01", "10", year=3), "year"),  # year 3 has no late fee
])
def test_late_fee_requests_that_cannot_be_recorded(request_, field):
    problems = decide_late_fee(contract("2025-03-10", PAID_LATE), request_, PROFILE, D("2025-06-01"))
    assert field in [p.field for p in problems]


def test_the_register_replays_the_same_rules():
    state = contract("2025-03-10", PAID_LATE)
    no_reason = LateFeeWaived(D("2025-06-01"), money("10"), (Allocation(1, money("10")),), "王经理", "")
    too_much = LateFeePaid(D("2025-06-01"), money("80"), (Allocation(1, money("80")),))
    for body, words in ((no_reason, "写明决定人"), (too_much, "超过应付的违约金")):
        event = chain(*[e.body for e in state.events], body)[-1]
        assert words in check_new_event(state, event, PROFILE)[0].message
    unknown = contract("2025-03-10", PAID_LATE, rate=None)
    event = chain(*[e.body for e in unknown.events], too_much)[-1]
    assert "未记录" in check_new_event(unknown, event, PROFILE)[0].message


# ---------------------------------------------------------------- the commands
@pytest.fixture
def run(tmp_path, fake_renderer, monkeypatch):  # noqa: F811
    return signed_contract_cli(tmp_path, monkeypatch, dt.datetime(2025, 6, 1, 10, tzinfo=SHANGHAI))


def test_late_fee_pay_and_waive_through_the_cli(run, monkeypatch):
    assert run("pay", NO, "--on", "2025-05-10", "--amount", "12800").exit_code == 0
    paid_fee = run("late-fee", "pay", NO, "--on", "2025-05-20", "--amount", "50", "--reference", "流水B2")
    assert paid_fee.output == f"已登记合同 {NO} 违约金付款 50.00 元（2025-05-20）：第 1 服务年度 50.00 元（第 4 条记录）\n"
    waived = run("late-fee", "waive", NO, "--on", "2025-06-01", "--by", "王经理", "--note", "首次逾期，予以减免")
    assert waived.output == (f"已登记合同 {NO} 违约金减免（决定人 王经理） 22.59 元（2025-06-01）：第 1 服务年度 22.59 元"
                             "（第 5 条记录）\n")
    year = json.loads(run("show", NO, "--json").output)["payment_deadlines"][0]
    assert (year["late_fee"], year["late_fee_paid"], year["late_fee_waived"], year["late_fee_owed"]) == \
        ("72.59", "50.00", "22.59", "0.00")
    monkeypatch.setenv("COLUMNS", "200")  # each table cell on one line
    text = "".join(run("show", NO).output.split())
    assert "72.59（已付50.00，减免22.59）" in text
    assert "违约金减免" in text and "决定人王经理，原因首次逾期，予以减免" in text
    again = run("late-fee", "pay", NO, "--on", "2025-06-01", "--amount", "1")
    assert again.exit_code == 1 and "截至 2025-06-01 没有尚未结清的逾期付款违约金" in again.output
    assert run("check").exit_code == 0
