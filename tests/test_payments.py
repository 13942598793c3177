"""Payments (agreement 8.3, 8.4): what each service year owes, what was paid, the delay counted
from the day after the holiday-shifted due date, the late fee at the rate the agreement printed,
partial payments and refunds; the decision of `pay` and the command as a clerk types it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal

import pytest
from click.testing import CliRunner

from cli import main
from contracts.commands import PaymentRequest, decide_payment, parse_signed_amount
from contracts.customer import Customer, CustomerType
from contracts.dates import SHANGHAI
from contracts.errors import InvalidInput, Problem
from contracts.events import Allocation, Paid, PaymentMethod, Signed, seal
from contracts.late_fee import LateFeeRate, overdue_days
from contracts.payments import ageing_bucket, allocate
from contracts.register import (
    Status,
    arrears_on,
    check_new_event,
    contract_view,
    replay,
    status_on,
    year_accounts,
)
from service.sources import load_profile
from tests.conftest import INDIVIDUAL, TEST_PROFILE
from tests.test_register_fixtures import NO, D, chain, fake_renderer, freeze_clock, issued  # noqa: F401

PROFILE = load_profile(TEST_PROFILE)
CORPORATE_CUSTOMER = Customer(CustomerType.CORPORATE, "北京某某科技有限公司", "010-80000000", "北京市海淀区",
                              "it@example.com", credit_code="91110000600037341L", legal_representative="李四")
RATE = LateFeeRate(Decimal("4.5"), Decimal("3.0"), D("2025-05-20"), Decimal("1.5"))


def contract(effective: str, *more, fee: str = "12800.00", rate: LateFeeRate | None = RATE):
    first = issued(effective, fee, late_fee=rate, suspend_days=30, terminate_days=60)
    return replay(chain(first, Signed(D(effective), D(effective)), *more))


def paid(day: str, *parts: tuple[int, str], amount: str | None = None) -> Paid:
    allocations = tuple(Allocation(year, Decimal(value).quantize(Decimal("0.01"))) for year, value in parts)
    total = Decimal(amount) if amount else sum((a.amount for a in allocations), Decimal(0))
    return Paid(D(day), total, allocations)


def account(state, year: int, as_of: str):
    return year_accounts(state, D(as_of), PROFILE)[year - 1]


# ---------------------------------------------------------------- the money, derived
def test_partial_payments_across_two_service_years(profile):
    """20,000 on 2025-03-20 settles year 1 (12,800) and 7,200 of year 2; year 2 (due 2026-03-25)
    is 5,600 short until 2026-05-10, and the fee runs on those 5,600 only."""
    state = contract("2025-03-10")
    decided = decide_payment(state, PaymentRequest(D("2025-03-20"), Decimal("20000")), profile,
                             D("2025-03-20"))
    assert decided.allocations == (Allocation(1, Decimal("12800.00")), Allocation(2, Decimal("7200.00")))
    state = contract("2025-03-10", decided)
    one, two = account(state, 1, "2026-05-01"), account(state, 2, "2026-05-01")
    assert (one.paid, one.outstanding, one.days_overdue, one.late_fee) == \
        (Decimal("12800.00"), Decimal("0.00"), 0, Decimal("0.00"))
    assert (two.deadline.due_on, two.paid, two.outstanding, two.days_overdue) == \
        (D("2026-03-25"), Decimal("7200.00"), Decimal("5600.00"), 37)
    assert two.late_fee == Decimal("25.55")  # 5,600 × 4.5% × 37 / 365 = 25.545…
    assert status_on(state, D("2026-05-01"), profile) is Status.OVERDUE
    # the rest on 2026-05-10: the fee stops there, that day included (46 days)
    rest = decide_payment(state, PaymentRequest(D("2026-05-10"), Decimal("5600")), profile, D("2026-05-10"))
    assert rest.allocations == (Allocation(2, Decimal("5600.00")),)
    state = contract("2025-03-10", decided, rest)
    two = account(state, 2, "2026-12-31")
    assert (two.outstanding, two.days_overdue, two.late_fee, two.settled_on) == \
        (Decimal("0.00"), 0, Decimal("31.76"), D("2026-05-10"))  # 5,600 × 4.5% × 46 / 365
    assert status_on(state, D("2026-05-09"), profile) is Status.OVERDUE
    assert status_on(state, D("2026-05-10"), profile) is Status.ACTIVE  # paid that day (fee included)


def test_a_partial_payment_lowers_the_base_from_the_day_after(profile):
    state = contract("2025-03-10", paid("2025-04-10", (1, "5000")))
    year = account(state, 1, "2025-06-01")
    # 12,800 for 16 days (03-26 … 04-10), then 7,800 for 52 days (04-11 … 06-01)
    assert (year.days_overdue, year.outstanding) == (68, Decimal("7800.00"))
    exact = (Decimal(12800) * 16 + Decimal(7800) * 52) * Decimal("4.5") / 100 / 365
    assert year.late_fee == exact.quantize(Decimal("0.01")) == Decimal("75.25")


@pytest.mark.parametrize(("day", "days", "fee"), [
    ("2026-10-08", 0, "0.00"),  # the shifted due date itself is in time
    ("2026-10-09", 1, "1.95"),  # 15,800 × 4.5% / 365
])
def test_a_payment_on_the_holiday_shifted_due_date(profile, day, days, fee):
    """Year 2 of a contract effective 2025-09-16 begins 2026-09-16: due 2026-10-01 (国庆),
    shifted to 2026-10-08; a payment that day is in time, the next day one day late."""
    state = contract("2025-09-16", paid("2025-09-20", (1, "15800")), fee="15800.00")
    late = contract("2025-09-16", paid("2025-09-20", (1, "15800")), paid(day, (2, "15800")), fee="15800.00")
    year = account(late, 2, "2026-12-31")
    assert (year.deadline.due_on, year.deadline.shifted_from) == (D("2026-10-08"), D("2026-10-01"))
    assert (year.late_fee, year.settled_on) == (Decimal(fee), D(day))
    assert arrears_on(state, D("2026-10-08"), profile).days == 0
    assert arrears_on(state, D("2026-10-09"), profile).days == 1
    assert arrears_on(late, D(day), profile).days == 0  # paid that day
    assert year.days_overdue == 0 and overdue_days(year.deadline.due_on, D(day)) == days


def test_late_fee_across_a_leap_year(profile):
    """Due 2027-02-25, unpaid on 2028-03-01: 370 days with 2028-02-29 counted, each at 1/365 of
    the annual rate (the clause: 三百六十五分之一, leap years included)."""
    state = contract("2027-02-10")
    year = account(state, 1, "2028-03-01")
    assert (year.deadline.due_on, year.days_overdue) == (D("2027-02-25"), 370)
    assert year.late_fee == Decimal("583.89")  # 12,800 × 4.5% × 370 / 365 = 583.890…
    assert account(state, 1, "2028-02-29").late_fee == Decimal("582.31")  # 369 days


def test_a_contract_without_a_recorded_rate_shows_no_fee(profile):
    state = contract("2025-03-10", rate=None)
    year = account(state, 1, "2025-06-01")
    assert (year.days_overdue, year.late_fee) == (68, None)
    assert contract_view(state, D("2025-06-01"), profile)["payment_deadlines"][0]["late_fee"] is None


def test_a_refund_reopens_the_year(profile):
    state = contract("2025-03-10", paid("2025-03-20", (1, "12800")))
    refund = decide_payment(state, PaymentRequest(D("2025-04-01"), Decimal("-800"), note="多收退还"),
                            profile, D("2025-04-01"))
    assert refund.allocations == (Allocation(1, Decimal("-800")),)
    state = contract("2025-03-10", paid("2025-03-20", (1, "12800")), refund)
    year = account(state, 1, "2025-04-11")
    # in time on 03-20; the 800 given back on 04-01 is owed again, late from 04-02
    assert (year.outstanding, year.days_overdue, year.settled_on) == (Decimal("800.00"), 17, None)


def test_the_view_and_the_rights_it_gives(profile):
    state = contract("2025-03-10", paid("2025-04-10", (1, "5000")))
    view = contract_view(state, D("2025-05-10"), profile)
    assert view["status"] == "overdue" and view["status_label"] == "逾期付款"
    assert view["arrears"] == {"days_overdue": 46, "outstanding": "7800.00", "late_fee": "54.10",
                               "service_years": [1], "suspend_days": 30, "terminate_days": 60,
                               "suspension_right": True, "termination_right": False}
    assert view["payments"] == [{"on": "2025-04-10", "amount": "5000.00", "method": "transfer",
                                 "reference": None, "note": None,
                                 "allocations": [{"service_year": 1, "amount": "5000.00"}]}]
    assert contract_view(state, D("2025-04-09"), profile)["payments"] == []  # not yet made then
    assert (view["terms_in_force"]["suspend_days"], view["terms_in_force"]["terminate_days"]) == (30, 60)


def test_ageing_buckets():
    assert [ageing_bucket(d) for d in (0, 1, 30, 31, 60, 61, 90, 91, 400)] == [
        "未逾期", "≤30日", "≤30日", "31-60日", "31-60日", "61-90日", "61-90日", ">90日", ">90日"]


def test_allocate_oldest_first_and_refunds_newest_first():
    owed = [(1, Decimal(100)), (2, Decimal(100))]
    assert allocate(Decimal(150), owed) == ((1, Decimal(100)), (2, Decimal(50)))
    assert allocate(Decimal(-150), owed) == ((2, Decimal(-100)), (1, Decimal(-50)))
    assert allocate(Decimal(250), owed)[-1] == (0, Decimal(50))  # left over: the caller refuses it


# ---------------------------------------------------------------- the decision
@pytest.mark.parametrize(("request_", "field", "message"), [
    (PaymentRequest(D("2025-03-20"), Decimal("70000")), "amount",
     "金额 70000 元超过合同 VIP-2025-000001 各服务年度尚未付清的金额合计 64000.00 元"),
    (PaymentRequest(D("2025-03-20"), Decimal("100"), year=6), "year",
     "合同 VIP-2025-000001 共 5 个服务年度，没有第 6 服务年度"),
    (PaymentRequest(D("2025-03-20"), Decimal("-100")), "note", "退款或冲正（金额为负数）请用 --note 写明原因"),
    (PaymentRequest(D("2025-03-21"), Decimal("100")), "on",
     "付款日期 2025-03-21 晚于今天（2025-03-20）：尚未收到的款项不能登记"),
    (PaymentRequest(D("2025-03-20"), Decimal("-100"), note="退"), "amount",
     "金额 100 元超过合同 VIP-2025-000001 已付金额合计 0.00 元"),
])
def test_payments_that_cannot_be_recorded(profile, request_, field, message):
    problems = decide_payment(contract("2025-03-10"), request_, profile, D("2025-03-20"))
    assert problems == [Problem(field, message)]


def test_the_register_refuses_what_no_decision_would_make(profile):
    state = contract("2025-03-10")

    def refusal(body: Paid) -> str:
        event = seal(NO, state.last_seq + 1, dt.datetime(2025, 3, 20, 10, tzinfo=SHANGHAI), body,
                     state.last_hash)
        return check_new_event(state, event, profile)[0].message

    assert refusal(paid("2025-03-20", (1, "13000"))) == \
        "第 1 服务年度的服务费为 12800.00 元，登记这笔付款后已付 13000.00 元，超过应付金额"
    assert refusal(paid("2025-03-20", (1, "100"), amount="200")) == \
        "付款 200 元与其分配到各服务年度的金额合计不符"
    assert refusal(paid("2025-03-21", (1, "100"))) == \
        "付款日期 2025-03-21 晚于登记之日 2025-03-20：尚未发生的事项不能登记"
    unsigned = replay(chain(issued("2025-03-01")))
    event = seal(NO, 2, dt.datetime(2025, 3, 20, 10, tzinfo=SHANGHAI), paid("2025-03-20", (1, "1")),
                 unsigned.last_hash)
    assert check_new_event(unsigned, event, profile)[0].message == f"合同 {NO} 尚未签署，不能登记付款"


@pytest.mark.parametrize(("text", "value"), [("12800", "12800.00"), ("-500", "-500.00"), ("¥1,000.5", "1000.50")])
def test_signed_amounts(text, value):
    assert parse_signed_amount(text) == Decimal(value)


@pytest.mark.parametrize("text", ["0", "-0", "abc", "1.234", "--5"])
def test_bad_amounts(text):
    with pytest.raises(InvalidInput) as caught:
        parse_signed_amount(text)
    assert caught.value.problems[0].field == "amount"


# ---------------------------------------------------------------- the command
@pytest.fixture
def run(tmp_path, fake_renderer, monkeypatch):  # noqa: F811
    db = tmp_path / "register.json"
    monkeypatch.chdir(tmp_path)
    freeze_clock(monkeypatch, dt.datetime(2026, 6, 1, 10, tzinfo=SHANGHAI))
    customer = tmp_path / "customer.yaml"
    customer.write_text("\n".join(f'{k}: "{v}"' for k, v in {**INDIVIDUAL, "annual_fee": "12800"}.items()),
                        encoding="utf-8")

    def invoke(*args: str):
        return CliRunner().invoke(main, ["--db", str(db), "--new-register", *args])

    assert invoke("issue", "--type", "individual", "--from", str(customer), "--issued-on", "2025-03-01",
                  "--out", "out").exit_code == 0
    assert invoke("sign", NO, "--on", "2025-03-10").exit_code == 0
    invoke.db = db
    return invoke


def test_pay_and_show(run):
    first = run("pay", NO, "--on", "2025-03-20", "--amount", "20000", "--reference", "流水A1")
    assert first.output == (f"已登记合同 {NO} 付款 20000.00 元（2025-03-20，银行转账）：第 1 服务年度 12800.00 元，"
                            "第 2 服务年度 7200.00 元（第 3 条记录）\n")
    view = json.loads(run("show", NO, "--as-of", "2026-05-01", "--json").output)
    year2 = view["payment_deadlines"][1]
    assert (year2["paid"], year2["outstanding"], year2["days_overdue"], year2["late_fee"]) == \
        ("7200.00", "5600.00", 37, "25.55")
    table = "".join(run("show", NO, "--as-of", "2026-05-01").output.split())  # lines wrap at 80 columns
    assert "逾期付款：截至2026-05-01逾期37日，尚欠5,600.00元，违约金25.55元；已超过协议约定的30日" in table
    overdue = json.loads(run("list", "--status", "overdue", "--as-of", "2026-05-01", "--json").output)
    assert [v["contract_no"] for v in overdue] == [NO]
    refund = run("pay", NO, "--on", "2026-05-02", "--amount", "-200", "--year", "1", "--note", "多收退还")
    assert refund.output == (f"已登记合同 {NO} 退款或冲正 -200.00 元（2026-05-02，银行转账）：第 1 服务年度 -200.00 元"
                             "（第 4 条记录）\n")
    assert run("check").exit_code == 0


@pytest.mark.parametrize(("args", "message"), [
    (["--on", "2026-06-02", "--amount", "100"],
     "错误：--on：付款日期 2026-06-02 晚于今天（2026-06-01）：尚未收到的款项不能登记\n"),
    (["--on", "2025-03-20", "--amount", "abc"], "错误：--amount：“abc”不是金额，请填写数字，例如 12800 或 12800.50\n"),
    (["--on", "2025-03-20", "--amount", "0"], "错误：--amount：金额必须大于零\n"),
    (["--on", "2025-03-20"], "错误：请用 --amount 写明金额（元），如 --amount 12800\n"),
    (["--on", "2025-03-20", "--amount", "-5"], "错误：--note：退款或冲正（金额为负数）请用 --note 写明原因\n"),
    (["--on", "2025-03-20", "--amount", "100", "--year", "9"],
     f"错误：--year：合同 {NO} 共 5 个服务年度，没有第 9 服务年度\n"),
    (["--on", "2025-03-20", "--amount", "100", "--year", "1", "--reference", "a\tb"],
     "错误：--reference：流水号含有不可见字符或控制字符（U+0009），请删除后重新输入\n"),
])
def test_pay_refuses_bad_input_and_writes_nothing(run, args, message):
    before = run.db.read_bytes()
    result = run("pay", NO, *args)
    assert (result.exit_code, result.output) == (1, message)
    assert run.db.read_bytes() == before


def test_cash_only_for_an_individual_customer(profile):
    corporate = replay(chain(dataclasses.replace(issued("2025-03-01"), customer=CORPORATE_CUSTOMER),
                             Signed(D("2025-03-10"), D("2025-03-10"))))
    request = PaymentRequest(D("2025-03-20"), Decimal("100"), method=PaymentMethod.CASH)
    assert decide_payment(corporate, request, profile, D("2025-03-20")) == [
        Problem("method", "单位客户的协议不约定现金支付（第 8.2 条），请选择 transfer 或 other")]
    assert isinstance(decide_payment(contract("2025-03-10"), request, profile, D("2025-03-20")), Paid)


def test_pay_an_unknown_contract(run):
    result = run("pay", "VIP-2025-000009", "--on", "2025-03-20", "--amount", "1")
    assert (result.exit_code, result.output) == (1, "错误：登记簿中没有合同 VIP-2025-000009\n")


def test_pay_has_chinese_help(run):
    result = run("pay", "--help")
    assert result.exit_code == 0 and "用法：" in result.output and "退款" in result.output
    assert PaymentMethod.CASH.label == "现金"


def test_documents_written_later_cite_the_days_the_agreement_printed(profile):
    """Suspension and termination days are kept at issue: a profile edited since does not change
    what the reading copy or a notice cites, nor when the rights arise."""
    from contracts.register import agreed_profile
    from contracts.reports import consolidated_context

    state = replay(chain(issued("2025-03-01", late_fee=RATE, suspend_days=45, terminate_days=75),
                         Signed(D("2025-03-10"), D("2025-03-10"))))
    assert (profile.late_payment_suspend_days, profile.late_payment_terminate_days) == (30, 60)
    agreed = agreed_profile(state, profile)
    assert (agreed.late_payment_suspend_days, agreed.late_payment_terminate_days) == (45, 75)
    terms = consolidated_context(state, D("2025-06-01"), profile)["terms"]
    assert (terms["suspend_days"], terms["terminate_days"]) == (45, 75)
    view = contract_view(state, D("2025-05-10"), profile)["arrears"]  # 46 days late
    assert (view["suspension_right"], view["termination_right"]) == (True, False)
    assert contract_view(state, D("2025-05-09"), profile)["arrears"]["suspension_right"] is False
