"""Settlement at termination (agreement 12.3): the fee of the service year in progress pro rata
to the day (the day the termination takes effect not served), years never begun owe nothing and
what was paid towards them is refunded; the same settlement whatever order the history was
entered in; a refund recorded with `pay --amount -…` settles it; show and receivables say it."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from contracts.commands import PaymentRequest, decide_payment
from contracts.dates import SHANGHAI
from contracts.events import Allocation, Paid, Renewed, Signed, Terminated, TerminationReason
from contracts.register import (
    check_new_event,
    payment_deadlines,
    replay,
    settlement_on,
    validate_history,
    year_accounts,
)
from contracts.settlement import earned, proration
from tests.test_payments import PROFILE, RATE, contract, paid
from tests.test_register_fixtures import NO, D, chain, fake_renderer, issued, signed_contract_cli  # noqa: F401


def ended(on: str, signed_on: str | None = None) -> Terminated:
    """A mutual termination taking effect on `on`, its agreement signed on `signed_on`."""
    return Terminated(D(on), TerminationReason.MUTUAL, "协商一致", "", f"{NO}-J1",
                      signed_on=D(signed_on or on))


def money(value: str) -> Decimal:
    return Decimal(value)


# ---------------------------------------------------------------- the arithmetic
def test_earned_is_the_fee_times_days_served_over_the_years_days_rounded_once():
    assert earned(money("12800.00"), 184, 365) == money("6452.60")  # 6,452.6027…
    assert earned(money("12800.00"), 357, 366) == money("12485.25")  # a year with 29 February
    assert earned(money("0.03"), 1, 2) == money("0.02")  # half a fen rounds up
    assert earned(money("12800.00"), 0, 365) == money("0.00")
    with pytest.raises(ValueError):
        earned(money("12800.00"), 366, 365)


@pytest.mark.parametrize(("first", "last", "ends_on", "served", "days"), [
    ("2025-03-10", "2026-03-09", "2025-09-10", 184, 365),  # 10 March to 9 September
    ("2027-03-10", "2028-03-09", "2028-03-01", 357, 366),  # across 29 February 2028
    ("2025-01-31", "2026-01-30", "2025-02-28", 28, 365),  # a month's end: 31 January to 27 February
    ("2025-03-10", "2026-03-09", "2026-03-09", 364, 365),  # on the year's last day: that day not served
    ("2025-03-10", "2026-03-09", "2025-03-11", 1, 365),  # the day after it began: one day served
])
def test_proration_counts_the_days_before_the_termination(first, last, ends_on, served, days):
    cut = proration(money("12800.00"), D(first), D(last), D(ends_on))
    assert cut is not None and (cut.days_served, cut.days_in_year) == (served, days)


def test_a_termination_outside_the_year_does_not_cut_it():
    assert proration(money("1"), D("2025-03-10"), D("2026-03-09"), D("2025-03-10")) is None  # never begun
    assert proration(money("1"), D("2025-03-10"), D("2026-03-09"), D("2026-03-10")) is None  # served whole


# ---------------------------------------------------------------- the register
def test_terminated_mid_year_after_paying_ahead():
    """20,000 paid: year 1 whole (12,800) and 7,200 of year 2; ended 2025-09-10, 184 days into
    year 1: year 1 owes 6,452.60, year 2 never begins; 6,347.40 + 7,200 to refund."""
    state = contract("2025-03-10", paid("2025-03-20", (1, "12800"), (2, "7200")), ended("2025-09-10", "2025-09-01"))
    [year] = payment_deadlines(state, PROFILE)
    assert (year.amount, year.proration.annual_fee) == (money("6452.60"), money("12800.00"))
    result = settlement_on(state, D("2025-12-01"), PROFILE)
    assert result.last_service_day == D("2025-09-09") and result.settle_by == D("2025-10-10")
    assert (result.last_year.paid, result.last_year.outstanding) == (money("12800.00"), money("-6347.40"))
    assert (result.unbegun_paid, result.still_owed, result.refund_owed) == \
        (money("7200.00"), money("0.00"), money("13547.40"))


def test_partly_paid_the_balance_is_owed_and_the_late_fee_runs_on_the_part_earned():
    state = contract("2025-03-10", paid("2025-03-20", (1, "5000")), ended("2025-09-10", "2025-09-01"))
    result = settlement_on(state, D("2025-12-01"), PROFILE)
    assert (result.still_owed, result.refund_owed) == (money("1452.60"), money("0.00"))
    [year] = year_accounts(state, D("2025-12-01"), PROFILE)
    # due 2025-03-25; 1,452.60 × 4.5% × 251 / 365 = 44.951…
    assert (year.days_overdue, year.late_fee) == (251, money("44.95"))


def test_terminated_on_the_first_day_of_a_service_year():
    """Ended the day year 2 would begin: year 1 served whole, year 2 owes nothing and its
    prepayment is refunded in full."""
    state = contract("2025-03-10", paid("2025-03-20", (1, "12800"), (2, "12800")), ended("2026-03-10", "2026-03-01"))
    assert [(d.service_year, d.amount, d.proration) for d in payment_deadlines(state, PROFILE)] == \
        [(1, money("12800.00"), None)]
    result = settlement_on(state, D("2026-04-01"), PROFILE)
    assert (result.last_year.service_year, result.proration.days_served, result.proration.days_in_year) == (1, 365, 365)
    assert (result.still_owed, result.refund_owed) == (money("0.00"), money("12800.00"))


def test_terminated_on_the_last_day_of_a_service_year():
    state = contract("2025-03-10", paid("2025-03-20", (1, "12800")), ended("2026-03-09", "2026-03-01"))
    result = settlement_on(state, D("2026-04-01"), PROFILE)
    assert (result.proration.days_served, result.last_year.deadline.amount) == (364, money("12764.93"))
    assert result.refund_owed == money("35.07")


def test_a_service_year_with_29_february():
    """Year 3 of a contract effective 2025-03-10 runs 2027-03-10 to 2028-03-09, 366 days."""
    state = contract("2025-03-10", ended("2028-03-01", "2028-02-20"))
    *_, year3 = payment_deadlines(state, PROFILE)
    assert (year3.service_year, year3.proration.days_in_year, year3.amount) == (3, 366, money("12485.25"))
    assert settlement_on(state, D("2028-03-01"), PROFILE).still_owed == money("38085.25")  # 12,800 × 2 + 12,485.25


def test_terminated_before_the_agreement_took_effect():
    state = replay(chain(issued("2025-03-01", effective_date=D("2025-06-01"), late_fee=RATE),
                         Signed(D("2025-03-05"), D("2025-06-01")), paid("2025-03-20", (1, "12800")),
                         ended("2025-05-01", "2025-04-20")))
    result = settlement_on(state, D("2025-05-01"), PROFILE)
    assert result.last_year is None and payment_deadlines(state, PROFILE) == []
    assert (result.unbegun_paid, result.refund_owed) == (money("12800.00"), money("12800.00"))


def test_the_same_facts_in_either_order_give_the_same_settlement():
    """A payment recorded before the termination, or entered late after it: the same money in
    the same years, the same settlement, and `check` accepts both."""
    at = dt.datetime(2025, 10, 1, 9, tzinfo=SHANGHAI)
    termination = ended("2025-09-10", "2025-09-01")
    before_pay = replay(chain(issued("2025-03-01", late_fee=RATE), Signed(D("2025-03-10"), D("2025-03-10")),
                              termination, recorded_at=at))
    late_entry = decide_payment(before_pay, PaymentRequest(D("2025-03-20"), money("20000")), PROFILE, D("2025-10-01"))
    assert late_entry.allocations == (Allocation(1, money("12800.00")), Allocation(2, money("7200.00")))
    histories = [
        chain(issued("2025-03-01", late_fee=RATE), Signed(D("2025-03-10"), D("2025-03-10")), late_entry, termination,
              recorded_at=at),
        chain(issued("2025-03-01", late_fee=RATE), Signed(D("2025-03-10"), D("2025-03-10")), termination, late_entry,
              recorded_at=at),
    ]
    results = []
    for events in histories:
        assert validate_history(events, PROFILE) == []
        results.append(settlement_on(replay(events), D("2025-12-01"), PROFILE))
    assert results[0] == results[1] and results[0].refund_owed == money("13547.40")


def test_a_refund_settles_what_the_settlement_owes_the_customer():
    state = contract("2025-03-10", paid("2025-03-20", (1, "12800"), (2, "7200")), ended("2025-09-10", "2025-09-01"))
    too_much = decide_payment(state, PaymentRequest(D("2025-10-01"), money("-14000"), note="解除退款"),
                              PROFILE, D("2025-10-01"))
    assert "超过合同 VIP-2025-000001 解除结算应退的金额合计 13547.40 元" in too_much[0].message
    refund = decide_payment(state, PaymentRequest(D("2025-10-01"), money("-13547.40"), note="解除退款"),
                            PROFILE, D("2025-10-01"))
    assert refund.allocations == (Allocation(2, money("-7200.00")), Allocation(1, money("-6347.40")))
    after = contract("2025-03-10", paid("2025-03-20", (1, "12800"), (2, "7200")), ended("2025-09-10", "2025-09-01"),
                     refund)
    result = settlement_on(after, D("2025-10-01"), PROFILE)
    assert (result.still_owed, result.refund_owed) == (money("0.00"), money("0.00"))
    assert settlement_on(after, D("2025-09-30"), PROFILE).refund_owed == money("13547.40")  # not refunded yet


def test_after_a_termination_a_payment_cannot_go_to_a_year_that_never_began():
    state = contract("2025-03-10", paid("2025-03-20", (1, "12800")), ended("2025-09-10", "2025-09-01"))
    late = chain(issued("2025-03-10", late_fee=RATE, suspend_days=30, terminate_days=60),
                 Signed(D("2025-03-10"), D("2025-03-10")), paid("2025-03-20", (1, "12800")),
                 ended("2025-09-10", "2025-09-01"), Paid(D("2025-10-01"), money("100"), (Allocation(2, money("100")),)))
    problems = check_new_event(state, late[-1], PROFILE)
    assert [p.message for p in problems] == ["第 2 服务年度自 2026-03-10 开始，合同已于 2025-09-10 解除，该年度不应付服务费"]


# ---------------------------------------------------------------- the commands
@pytest.fixture
def run(tmp_path, fake_renderer, monkeypatch):  # noqa: F811
    return signed_contract_cli(tmp_path, monkeypatch, dt.datetime(2026, 6, 1, 10, tzinfo=SHANGHAI))


def test_show_receivables_and_the_refund_through_the_cli(run, monkeypatch):
    import service.output

    rendered = []

    def keep(doc, fmt, path):  # the document tree the 解除协议 is rendered from
        rendered.append(doc)
        path.write_text(doc.doc_no, encoding="utf-8")

    monkeypatch.setattr(service.output, "render_to", keep)
    assert run("pay", NO, "--on", "2025-03-20", "--amount", "12800").exit_code == 0
    assert run("pay", NO, "--on", "2026-03-20", "--amount", "12800").exit_code == 0
    done = run("terminate", NO, "--on", "2026-05-10", "--reason", "mutual", "--signed-on", "2026-05-01",
               "--out", "out")
    assert done.exit_code == 0, done.output
    agreement = "".join(rendered[-1].text_lines())
    assert ("截至本协议签署之日，依照前款结算：第二个服务年度（2026年3月10日至2027年3月9日）服务至2026年5月9日，共61日，"
            "应付服务费人民币2,139.18元（年服务费12,800.00元×61/365），已付人民币12,800.00元；"
            "甲方应当于2026年6月9日前退还乙方人民币10,660.82元。") in agreement
    view = json.loads(run("show", NO, "--json").output)
    assert view["settlement"] == {
        "ends_on": "2026-05-10", "last_service_day": "2026-05-09", "settle_by": "2026-06-09",
        "service_year": 2, "first_day": "2026-03-10", "last_day": "2027-03-09", "annual_fee": "12800.00",
        "days_served": 61, "days_in_year": 365, "earned": "2139.18", "paid": "12800.00",
        "unbegun_paid": "0.00", "still_owed": "0.00", "refund_owed": "10660.82"}
    assert view["payment_deadlines"][1]["prorated"] == {"annual_fee": "12800.00", "days_served": 61,
                                                        "days_in_year": 365}
    text = "".join(run("show", NO).output.split())
    assert ("解除结算（第12.3条）：第2服务年度（2026-03-10至2027-03-09）服务至2026-05-09，共61日，"
            "应付12,800.00×61/365=2,139.18元，已付12,800.00元；甲方应退乙方10,660.82元；应于2026-06-09前结清") in text
    report = json.loads(run("report", "receivables", "--format", "json", "--no-timestamp").output)
    [row] = report["rows"]
    assert (row["service_year"], row["amount"], row["outstanding"], row["refund"], row["ageing"]) == \
        (2, "2139.18", "0.00", "10660.82", "应退")
    assert {t["label"]: t["value"] for t in report["totals"]}["应退合计（元）"] == "10660.82"
    terminal = run("report", "receivables").output  # the refund under the amount owed, at 80 columns
    assert "应退（元）" in terminal and "10,660.82" in terminal and "应退" in terminal
    refund = run("pay", NO, "--on", "2026-06-01", "--amount", "-10660.82", "--note", "解除退款")
    assert refund.exit_code == 0 and "第 2 服务年度 -10660.82 元" in refund.output, refund.output
    assert json.loads(run("show", NO, "--json").output)["settlement"]["refund_owed"] == "0.00"
    assert "已结清" in run("show", NO).output
    assert "没有尚未付清的服务费" in run("report", "receivables").output
    assert run("check").exit_code == 0


def test_before_the_termination_takes_effect_the_whole_fee_is_due():
    """Agreed on 2025-09-01 to end on 2025-09-10: until then year 1 owes its whole fee (what a
    late-payment notice of those days relied on); from that day the pro rata part, and the
    settlement shows what it will be."""
    state = contract("2025-03-10", paid("2025-03-20", (1, "5000")), ended("2025-09-10", "2025-09-01"))
    before, after = year_accounts(state, D("2025-09-09"), PROFILE)[0], year_accounts(state, D("2025-09-10"), PROFILE)[0]
    assert (before.deadline.amount, before.outstanding) == (money("12800.00"), money("7800.00"))
    assert (after.deadline.amount, after.outstanding) == (money("6452.60"), money("1452.60"))
    assert settlement_on(state, D("2025-09-05"), PROFILE).still_owed == money("1452.60")


def test_a_renewal_that_falls_with_the_termination_is_refunded():
    """Renewed to 2035 and the renewal's first year paid ahead; terminated in year 5 before the
    renewal began: year 5 pro rata (83 of 365 days), the renewal's year 6 never begins and its
    prepayment is to be refunded."""
    renewal = Renewed(f"{NO}-X1", D("2029-01-10"), 5, D("2030-03-10"), D("2035-03-09"), money("12800.00"))
    paid_ahead = paid("2029-05-01", (1, "12800"), (2, "12800"), (3, "12800"), (4, "12800"), (5, "12800"),
                      (6, "12800"))
    fall = Terminated(D("2029-06-01"), TerminationReason.MUTUAL, "协商一致", "", f"{NO}-J1",
                      signed_on=D("2029-05-20"), renewals_fall=True)
    events = chain(issued("2025-03-10", late_fee=RATE), Signed(D("2025-03-10"), D("2025-03-10")), renewal,
                   paid_ahead, fall)
    assert validate_history(events, PROFILE) == []
    result = settlement_on(replay(events), D("2029-07-01"), PROFILE)
    assert (result.last_year.service_year, result.proration.days_served) == (5, 83)
    assert result.last_year.deadline.amount == money("2910.68")  # 12,800 × 83 / 365 = 2,910.684…
    assert (result.unbegun_paid, result.refund_owed) == (money("12800.00"), money("22689.32"))  # 9,889.32 + 12,800
