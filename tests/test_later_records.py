"""A later record must not invalidate an earlier one silently: an event that would take away
the grounds of an event already accepted (a termination, a late-payment notice) is refused by
the command that records it, and `check` finds a register file assembled in that order."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from click.testing import CliRunner

from cli import main
from contracts.dates import SHANGHAI
from tests.conftest import INDIVIDUAL
from tests.test_register_fixtures import NO, fake_renderer, signed_contract_cli  # noqa: F401  (fixture)

TODAY = dt.datetime(2026, 10, 8, 10, tzinfo=SHANGHAI)
NEW_ADDRESS = "上海市浦东新区世纪大道100号"


@pytest.fixture
def run(tmp_path, fake_renderer, monkeypatch):  # noqa: F811
    """A contract issued 2025-03-01, signed 2025-03-10; the clock says 2026-10-08."""
    return signed_contract_cli(tmp_path, monkeypatch, TODAY)


def terminated_by_notice(run) -> None:
    """Terminated for breach by a notice handed over on 2026-09-30 at the issued address."""
    sent = run("notice", "send", NO, "--kind", "termination", "--method", "personal", "--on", "2026-09-30",
               "--reason", "breach", "--note", "泄露保密信息", "--format", "pdf", "--out", "out")
    assert sent.exit_code == 0, sent.output
    assert run("notice", "delivered", "N-000001", "--on", "2026-09-30").exit_code == 0
    ended = run("terminate", NO, "--by-notice", "N-000001")
    assert ended.exit_code == 0, ended.output


def test_a_back_dated_address_change_is_refused_after_a_termination_relying_on_the_old_address(run):
    terminated_by_notice(run)
    sent = run("notice", "send", NO, "--kind", "address-change", "--method", "personal", "--on", "2026-03-10",
               "--to", INDIVIDUAL["address"], "--new-address", NEW_ADDRESS, "--format", "pdf", "--out", "out")
    assert sent.exit_code == 0, sent.output  # not delivered yet: it binds nobody
    before = run.db.read_bytes()
    result = run("notice", "delivered", "N-000002", "--on", "2026-03-11")
    assert result.exit_code == 1
    assert result.output.startswith("错误：")
    assert "第 5 条记录（解除）" in result.output and "N-000001" in result.output
    assert NEW_ADDRESS in result.output
    assert "Traceback" not in result.output
    assert run.db.read_bytes() == before
    assert run("check").exit_code == 0


def test_a_back_dated_amendment_of_the_address_is_refused_likewise(run):
    terminated_by_notice(run)
    before = run.db.read_bytes()
    result = run("amend", NO, "--signed-on", "2026-03-05", "--effective-on", "2026-03-11",
                 "--set", f"通讯地址={NEW_ADDRESS}", "--format", "pdf", "--out", "out")
    assert result.exit_code == 1, result.output
    assert "第 5 条记录（解除）" in result.output
    assert run.db.read_bytes() == before


def test_a_payment_dated_before_a_late_payment_notice_is_refused_when_it_takes_the_ground_away(run):
    notice = run("notice", "send", NO, "--kind", "termination", "--method", "personal", "--on", "2025-05-25",
                 "--reason", "late_payment", "--format", "pdf", "--out", "out")
    assert notice.exit_code == 0, notice.output
    assert run("notice", "delivered", "N-000001", "--on", "2025-05-26").exit_code == 0
    assert run("terminate", NO, "--by-notice", "N-000001").exit_code == 0
    before = run.db.read_bytes()
    result = run("pay", NO, "--on", "2025-05-20", "--amount", "12800")
    assert result.exit_code == 1, result.output
    assert "第 3 条记录（通知发出）" in result.output or "第 5 条记录（解除）" in result.output
    assert run.db.read_bytes() == before
    # paid later than the notice: the money counts, the notice and the termination stand
    late = run("pay", NO, "--on", "2025-06-10", "--amount", "12800", "--year", "1")
    assert late.exit_code == 0, late.output
    assert run("check").exit_code == 0


def test_check_fails_on_a_register_assembled_in_an_order_the_commands_refuse(run, tmp_path):
    """The same back-dated address change, written into the file in the order the commands
    refuse (copied from a second register where it was recorded first)."""
    terminated_by_notice(run)
    other = tmp_path / "other.json"

    def invoke_other(*args: str):
        return CliRunner().invoke(main, ["--db", str(other), "--new-register", *args])

    customer = tmp_path / "customer.yaml"
    assert invoke_other("issue", "--type", "individual", "--from", str(customer), "--issued-on", "2025-03-01",
                        "--format", "pdf", "--out", "out2").exit_code == 0
    assert invoke_other("sign", NO, "--on", "2025-03-10").exit_code == 0
    assert invoke_other("notice", "send", NO, "--kind", "address-change", "--method", "personal",
                        "--on", "2026-03-10", "--to", INDIVIDUAL["address"], "--new-address", NEW_ADDRESS,
                        "--format", "pdf", "--out", "out2").exit_code == 0
    assert invoke_other("notice", "delivered", "N-000001", "--on", "2026-03-11").exit_code == 0
    assert check_output_after_splice(run)


def check_output_after_splice(run) -> bool:
    """Append the other register's address-change records (renumbered, re-chained) to ours."""
    from contracts.events import from_record, seal, to_record
    from contracts.register import replay
    from store import TinyDBStore

    store = TinyDBStore(run.db)
    ours = [from_record(r) for r in store.history(NO)]
    other_store_path = run.db.parent / "other.json"
    extra = [from_record(r) for r in TinyDBStore(other_store_path).history(NO)][2:]
    state = replay(ours)
    events = []
    seq, prev = state.last_seq, state.last_hash
    for event in extra:
        body = event.body
        if hasattr(body, "notice_id") and body.notice_id == "N-000001":
            body = dataclasses.replace(body, notice_id="N-000002")
        sealed = seal(NO, seq + 1, TODAY, body, prev)
        events.append(sealed)
        seq, prev = sealed.seq, sealed.hash
    store.append(NO, state.last_seq, [to_record(e) for e in events])
    store.close()
    result = run("check")
    return result.exit_code == 1 and "N-000001" in result.output


def test_check_replays_what_the_commands_validate(profile):
    """A refund without a reason and an email notice to something that is not an email address
    are refused by `pay` and `notice send`; `check` finds them in a register assembled by hand."""
    from decimal import Decimal

    from contracts.dates import DeliveryMethod
    from contracts.events import Allocation, NoticeKind, NoticeSent, Paid, Signed
    from contracts.register import validate_history
    from tests.test_register_fixtures import D, chain, issued

    signed = Signed(D("2025-03-10"), D("2025-03-10"))
    paid = Paid(D("2025-03-20"), Decimal("12800.00"), (Allocation(1, Decimal("12800.00")),))
    refund = Paid(D("2025-03-21"), Decimal("-100.00"), (Allocation(1, Decimal("-100.00")),))
    sent = dt.datetime(2025, 4, 1, 9, tzinfo=SHANGHAI)
    mail = NoticeSent("N-000001", NoticeKind.OTHER, DeliveryMethod.EMAIL, "北京市朝阳区", sent)
    problems = validate_history(chain(issued(), signed, paid, refund, mail), profile)
    assert [(seq, p.field) for seq, p in problems] == [(4, "note"), (5, "to")]
    fixed = chain(issued(), signed, paid, dataclasses.replace(refund, note="多收退还"),
                  dataclasses.replace(mail, to="zhangsan@example.com"))
    assert validate_history(fixed, profile) == []
