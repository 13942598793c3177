"""Grounds checked, not asserted: a termination notice for late payment only when the register
shows more overdue days than the agreement printed, on the notice's day. Facts cannot be in the
future: what has not happened is refused by the commands (today from the clock they pass) and by
`check` (today = the day each record was made)."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from cli import main
from contracts.dates import SHANGHAI, DeliveryMethod
from contracts.events import NoticeKind, NoticeSent, Signed, TerminationReason, seal, to_record
from contracts.register import replay
from store import TinyDBStore
from tests.conftest import INDIVIDUAL
from tests.test_register_fixtures import NO, D, fake_renderer, freeze_clock, signed_contract_cli  # noqa: F401  (fixture)

TODAY = dt.datetime(2026, 6, 1, 10, tzinfo=SHANGHAI)


@pytest.fixture
def run(tmp_path, fake_renderer, monkeypatch):  # noqa: F811
    """A contract issued 2025-03-01 and signed 2025-03-10 (year 1 due 2025-03-25), on a clock
    that says 2026-06-01."""
    return signed_contract_cli(tmp_path, monkeypatch, TODAY)


def late_notice(run, day: str):
    return run("notice", "send", NO, "--kind", "termination", "--method", "personal", "--on", day,
               "--reason", "late_payment", "--format", "pdf", "--out", "out")


# ---------------------------------------------------------------- grounds
def test_a_late_payment_notice_is_refused_until_the_days_have_passed(run, tmp_path):
    assert run("pay", NO, "--on", "2025-04-10", "--amount", "5000").exit_code == 0
    before = run.db.read_bytes()
    early = late_notice(run, "2025-05-24")  # 60 days after 2025-03-25: not more than 60
    assert (early.exit_code, early.output) == (1, (
        f"错误：合同 {NO} 截至 2025-05-24 逾期 60 日（第 1 服务年度，应付日 2025-03-25，尚欠 7,800.00 元），"
        "未超过协议约定的 60 日，不能以逾期付款为由发出解除通知；如届时仍未付清，2025-05-25 起可以发出\n"))
    assert run.db.read_bytes() == before and not list((tmp_path / "out").glob(f"{NO}-J*"))
    sent = late_notice(run, "2025-05-25")  # 61 days
    assert sent.exit_code == 0, sent.output
    assert sent.output.splitlines()[0] == "已登记通知 N-000001（解除通知，直接送达）寄往：" + INDIVIDUAL["address"]
    assert (tmp_path / "out" / f"{NO}-J1_张三.pdf").exists()
    assert run("notice", "delivered", "N-000001", "--on", "2025-05-26").exit_code == 0
    ended = run("terminate", NO, "--by-notice", "N-000001")
    assert ended.output == f"已登记合同 {NO} 解除（依通知 N-000001），自 2025-05-26 起解除\n"
    assert run("check").exit_code == 0


def test_no_termination_when_paid_before_the_notice_arrived(run):
    """Sent on day 61 by courier, deemed delivered three days later; the fee paid in full the day
    after sending: at the notice's arrival the ground is gone."""
    assert run("notice", "send", NO, "--kind", "termination", "--method", "courier", "--on", "2025-05-25",
               "--reason", "late_payment", "--format", "pdf", "--out", "out").exit_code == 0
    assert run("pay", NO, "--on", "2025-05-26", "--amount", "12800").exit_code == 0
    result = run("terminate", NO, "--by-notice", "N-000001")
    assert (result.exit_code, result.output) == (1, (
        f"错误：合同 {NO} 截至 2025-05-28 没有逾期未付的服务费，"
        "通知 N-000001 送达时解除的理由已不存在，不能据此解除\n"))


def test_no_late_payment_notice_for_a_contract_paid_up(run):
    assert run("pay", NO, "--on", "2025-03-20", "--amount", "12800").exit_code == 0
    result = late_notice(run, "2025-12-01")
    assert (result.exit_code, result.output) == (
        1, f"错误：合同 {NO} 截至 2025-12-01 没有逾期未付的服务费，不能以逾期付款为由发出解除通知\n")


def test_the_notice_text_states_the_registers_facts(run, monkeypatch):
    """The 解除通知书 is resolved with the arrears of its day and the days the agreement printed."""
    import contracts.supplements
    import service.register

    seen = {}
    real = contracts.supplements.termination_context

    def spy(*args, **kw):
        seen.update(kw, profile=args[1])
        return real(*args, **kw)

    monkeypatch.setattr(service.register, "termination_context", spy)
    assert late_notice(run, "2025-06-30").exit_code == 0
    assert (seen["arrears"].days, [y.service_year for y in seen["arrears"].years]) == (97, [1])
    assert seen["profile"].late_payment_terminate_days == 60


def test_check_fails_on_a_notice_the_command_refuses(tmp_path, profile):
    """A register assembled by hand with a late-payment notice sent on day 10: `check` replays the
    rule the command enforces."""
    store = TinyDBStore(tmp_path / "register.json")
    try:
        from tests.test_register_fixtures import chain, issued

        events = chain(issued("2025-03-01"), Signed(D("2025-03-10"), D("2025-03-10")))
        notice = NoticeSent("N-000001", NoticeKind.TERMINATION, DeliveryMethod.PERSONAL, "北京",
                            dt.datetime(2025, 4, 4, 10, tzinfo=SHANGHAI),
                            reason=TerminationReason.LATE_PAYMENT.value)
        state = replay(events)
        events.append(seal(NO, 3, dt.datetime(2025, 4, 4, 12, tzinfo=SHANGHAI), notice, state.last_hash))
        store.append(NO, 0, [to_record(e) for e in events])
    finally:
        store.close()
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "register.json"), "check"])
    assert result.exit_code == 1
    assert f"  {NO}#3：合同 {NO} 截至 2025-04-04 逾期 10 日" in result.output


# ---------------------------------------------------------------- facts cannot be in the future
@pytest.mark.parametrize(("args", "message"), [
    (["sign", NO, "--on", "2026-06-02"], "--on：签署日期 2026-06-02 晚于登记之日 2026-06-01：尚未发生的事项不能登记"),
    (["pay", NO, "--on", "2026-06-02", "--amount", "1"],
     "--on：付款日期 2026-06-02 晚于今天（2026-06-01）：尚未收到的款项不能登记"),
    (["notice", "send", NO, "--kind", "other", "--method", "email", "--on", "2026-06-02"],
     "通知的发出日期 2026-06-02 晚于登记之日 2026-06-01：尚未发生的事项不能登记"),
    (["amend", NO, "--signed-on", "2026-06-02", "--effective-on", "2026-07-01", "--set", "phone=13900000000"],
     "补充协议的签署日期 2026-06-02 晚于登记之日 2026-06-01：尚未发生的事项不能登记"),
    (["renew", NO, "--signed-on", "2026-06-02"],
     "续签协议的签署日期 2026-06-02 晚于登记之日 2026-06-01：尚未发生的事项不能登记"),
    (["terminate", NO, "--on", "2026-07-01", "--reason", "mutual", "--signed-on", "2026-06-02"],
     "--signed-on：解除协议的签署日期 2026-06-02 晚于今天（2026-06-01），请在签署后登记"),
    (["void", NO, "--on", "2026-06-02"], "作废日期 2026-06-02 晚于登记之日 2026-06-01：尚未发生的事项不能登记"),
])
def test_future_facts_are_refused(run, args, message):
    if args[0] in ("sign", "void"):  # on a contract not yet signed
        assert run("issue", "--allow-second", "--type", "individual", "--name", "李四", "--id-number", "11010519491231002X",
                   "--phone", "13800000000", "--address", "北京", "--email", "a@example.com",
                   "--annual-fee", "100", "--format", "pdf", "--out", "out").exit_code == 0
        args = [args[0], "VIP-2026-000001", *args[2:]]
    before = run.db.read_bytes()
    result = run(*args)
    assert (result.exit_code, result.output) == (1, f"错误：{message}\n")
    assert run.db.read_bytes() == before


def test_future_delivery_and_issue_are_refused(run):
    assert run("notice", "send", NO, "--kind", "other", "--method", "courier", "--on", "2026-05-30").exit_code == 0
    late = run("notice", "delivered", "N-000001", "--on", "2026-06-02")
    assert late.output == "错误：送达日期 2026-06-02 晚于登记之日 2026-06-01：尚未发生的事项不能登记\n"
    back = run("notice", "returned", "N-000001", "--on", "2026-06-03", "--reason", "refused")
    assert back.output == "错误：拒收或退回日期 2026-06-03 晚于登记之日 2026-06-01：尚未发生的事项不能登记\n"
    issued = run("issue", "--allow-second", "--type", "individual", "--name", "李四", "--id-number", "11010519491231002X",
                 "--phone", "13800000000", "--address", "北京", "--email", "a@example.com",
                 "--annual-fee", "100", "--issued-on", "2026-06-02", "--format", "pdf", "--out", "out")
    assert issued.output == "错误：签发日期 2026-06-02 晚于登记之日 2026-06-01：尚未发生的事项不能登记\n"


def test_dates_agreed_for_later_may_lie_ahead(run):
    """An effective date ahead of the signing (an amendment, a mutual termination) is agreed, not
    yet a fact; today's facts are accepted."""
    amended = run("amend", NO, "--signed-on", "2026-06-01", "--effective-on", "2026-09-01",
                  "--set", "phone=13900000000", "--format", "pdf", "--out", "out")
    assert amended.exit_code == 0, amended.output
    ended = run("terminate", NO, "--on", "2026-12-31", "--reason", "mutual", "--format", "pdf", "--out", "out")
    assert ended.exit_code == 0, ended.output
    assert run("check").exit_code == 0


def test_check_uses_the_day_each_record_was_made(tmp_path):
    """A signing recorded on 2025-03-05 as if signed on 2025-03-10 is a fact from the future."""
    from tests.test_register_fixtures import chain, issued

    store = TinyDBStore(tmp_path / "register.json")
    try:
        events = chain(issued("2025-03-01"), Signed(D("2025-03-10"), D("2025-03-10")),
                       recorded_at=dt.datetime(2025, 3, 5, 10, tzinfo=SHANGHAI))
        store.append(NO, 0, [to_record(e) for e in events])
    finally:
        store.close()
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "register.json"), "check"])
    assert result.exit_code == 1
    assert f"  {NO}#2：签署日期 2025-03-10 晚于登记之日 2025-03-05：尚未发生的事项不能登记" in result.output
