"""The history and what derives from it: replay, status, terms in force, notices, the checks."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal

import pytest

from contracts.checks import check_history, check_notice_ids
from contracts.dates import SHANGHAI, DeliveryMethod, TermCounting
from contracts.events import (
    Amended,
    Change,
    Corrected,
    EventKind,
    Issued,
    NoticeDelivered,
    NoticeKind,
    NoticeReturned,
    NoticeSent,
    Renewed,
    ReturnReason,
    Signed,
    Terminated,
    TerminationReason,
    Voided,
    from_record,
    seal,
    to_record,
)
from contracts.register import (
    Status,
    check_new_event,
    contract_view,
    notice_views,
    payment_deadlines,
    replay,
    status_on,
    term_status_on,
    terms_in_force,
)
from tests.test_register_fixtures import CUSTOMER, NO, RECORDED, D, chain, issued, recorded_when

SIGNED = Signed(D("2025-03-10"), D("2025-03-10"))


def at(day: str, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(D(day), dt.time(hour), SHANGHAI)


def sent(notice_id: str, kind: NoticeKind, day: str, method=DeliveryMethod.COURIER,
         to: str = CUSTOMER.address, **kw) -> NoticeSent:
    return NoticeSent(notice_id, kind, method, to, at(day), **kw)


def state_of(*bodies):
    return replay(chain(issued(), *bodies))


def refusal(state, body, profile, recorded_at=None) -> str:
    event = seal(NO, state.last_seq + 1, recorded_at or recorded_when(body), body, state.last_hash)
    problems = check_new_event(state, event, profile)
    assert problems, "expected the event to be refused"
    return problems[0].message


def accepted(state, body, profile, recorded_at=None) -> bool:
    event = seal(NO, state.last_seq + 1, recorded_at or recorded_when(body), body, state.last_hash)
    return check_new_event(state, event, profile) == []


# ---------------------------------------------------------------- events and records
def test_a_record_reads_back_as_the_same_event():
    body = Amended("VIP-2025-000001-B1", D("2026-01-05"), D("2026-03-11"),
                   (Change("annual_fee", "12800.00", "15800.00"),))
    events = chain(issued(batch={"key": "k1"}), SIGNED, body,
                   sent("N-000001", NoticeKind.OTHER, "2026-04-01"))
    for event in events:
        record = json.loads(json.dumps(to_record(event), ensure_ascii=False))
        assert from_record(record) == event
    assert events[1].prev_hash == events[0].hash
    assert to_record(events[0])["data"]["annual_fee"] == "12800.00"


def test_a_time_without_zone_is_not_recorded():
    with pytest.raises(ValueError):
        to_record(seal(NO, 1, dt.datetime(2025, 3, 1, 10), issued(), "0" * 64))


# ---------------------------------------------------------------- status on a date
@pytest.mark.parametrize(
    ("as_of", "status"),
    [
        ("2025-03-05", Status.DRAFT),
        ("2025-03-10", Status.ACTIVE),
        ("2029-12-08", Status.ACTIVE),  # 91 days before the last day
        ("2029-12-09", Status.EXPIRING),  # 90 days: within the warning window
        ("2030-03-09", Status.EXPIRING),
        ("2030-03-10", Status.EXPIRED),
    ],
)
def test_status_of_a_plain_contract(profile, as_of, status):
    assert term_status_on(state_of(SIGNED), D(as_of), profile) is status


@pytest.mark.parametrize(
    ("as_of", "status"),
    [
        ("2030-01-19", Status.EXPIRING),
        ("2030-01-20", Status.RENEWED),
        ("2030-03-09", Status.RENEWED),
        ("2030-03-10", Status.ACTIVE),
        ("2034-12-09", Status.EXPIRING),
        ("2035-03-10", Status.EXPIRED),
    ],
)
def test_status_with_a_renewal(profile, as_of, status):
    renewal = Renewed("VIP-2025-000001-X1", D("2030-01-20"), 5, D("2030-03-10"),
                      D("2035-03-09"), Decimal("15800.00"))
    assert term_status_on(state_of(SIGNED, renewal), D(as_of), profile) is status


def test_status_terminated_voided_and_signed_before_the_stated_day(profile):
    ended = state_of(SIGNED, Terminated(D("2027-06-30"), TerminationReason.MUTUAL))
    assert term_status_on(ended, D("2027-06-29"), profile) is Status.ACTIVE
    assert status_on(ended, D("2027-06-30"), profile) is Status.TERMINATED
    voided = state_of(Voided(D("2025-03-05")))
    assert status_on(voided, D("2025-03-04"), profile) is Status.DRAFT
    assert status_on(voided, D("2025-03-05"), profile) is Status.VOIDED
    stated = replay(chain(issued(effective_date=D("2025-04-01")),
                          Signed(D("2025-03-20"), D("2025-04-01"))))
    assert status_on(stated, D("2025-03-25"), profile) is Status.SIGNED
    assert status_on(stated, D("2025-04-01"), profile) is Status.ACTIVE


# ---------------------------------------------------------------- terms in force
def test_amendments_apply_from_their_effective_day(profile):
    fee = Amended("B1", D("2026-01-05"), D("2026-03-11"), (Change("annual_fee", "12800.00", "15800.00"),))
    moved = Amended("B2", D("2026-05-01"), D("2026-06-01"), (Change("address", CUSTOMER.address, "上海市新地址1号"),))
    state = state_of(SIGNED, fee, moved)
    assert terms_in_force(state, D("2026-03-10")).annual_fee == Decimal("12800.00")
    assert terms_in_force(state, D("2026-03-11")).annual_fee == Decimal("15800.00")
    assert terms_in_force(state, D("2026-05-31")).customer.address == CUSTOMER.address
    assert terms_in_force(state, D("2026-06-01")).customer.address == "上海市新地址1号"
    # each year's fee is the one in force on the day the year begins (year 2: 2026-03-10)
    amounts = [d.amount for d in payment_deadlines(state, profile)]
    assert amounts == [Decimal("12800.00")] * 2 + [Decimal("15800.00")] * 3


def test_notices_to_an_address_no_longer_in_force_are_flagged(profile):
    moved = Amended("B1", D("2026-05-01"), D("2026-06-01"),
                    (Change("address", CUSTOMER.address, "上海市新地址1号"),))
    state = state_of(SIGNED, moved,
                     sent("N-000001", NoticeKind.PAYMENT_REMINDER, "2026-05-31"),
                     sent("N-000002", NoticeKind.PAYMENT_REMINDER, "2026-06-01"),
                     sent("N-000003", NoticeKind.PAYMENT_REMINDER, "2026-06-02", to="上海市 新地址1号"))
    flags = {v.notice_id: v.to_address_in_force for v in notice_views(state, profile)}
    assert flags == {"N-000001": True, "N-000002": False, "N-000003": True}


def test_an_address_change_notice_binds_from_its_deemed_delivery(profile):
    change = sent("N-000001", NoticeKind.ADDRESS_CHANGE, "2026-05-01", to="甲方地址",
                  new_email="new@example.com")
    state = state_of(SIGNED, change,
                     sent("N-000002", NoticeKind.OTHER, "2026-05-03", DeliveryMethod.EMAIL,
                          to=CUSTOMER.email),
                     sent("N-000003", NoticeKind.OTHER, "2026-05-04", DeliveryMethod.EMAIL,
                          to=CUSTOMER.email))
    views = {v.notice_id: v for v in notice_views(state, profile)}
    assert views["N-000001"].deemed_delivered_on == D("2026-05-04")  # posted + 3 days
    assert views["N-000002"].to_address_in_force
    assert not views["N-000003"].to_address_in_force
    assert views["N-000003"].address_in_force == "new@example.com"


def test_deemed_delivery_of_recorded_notices(profile):
    state = state_of(
        SIGNED,
        sent("N-000001", NoticeKind.OTHER, "2026-09-29"),
        sent("N-000002", NoticeKind.OTHER, "2026-03-01", DeliveryMethod.EMAIL, to=CUSTOMER.email),
        sent("N-000003", NoticeKind.OTHER, "2026-03-01", DeliveryMethod.PERSONAL),
        sent("N-000004", NoticeKind.OTHER, "2026-04-01"),
        sent("N-000005", NoticeKind.OTHER, "2026-04-01", DeliveryMethod.EMAIL, to=CUSTOMER.email),
        sent("N-000006", NoticeKind.OTHER, "2026-04-01", to="错误地址"),
        NoticeReturned("N-000004", D("2026-04-02"), ReturnReason.REFUSED),
        NoticeReturned("N-000005", D("2026-04-01"), ReturnReason.BOUNCED),
        NoticeReturned("N-000006", D("2026-04-02"), ReturnReason.UNDELIVERABLE),
    )
    deemed = {v.notice_id: v.deemed_delivered_on for v in notice_views(state, profile)}
    assert deemed == {"N-000001": D("2026-10-02"), "N-000002": D("2026-03-01"), "N-000003": None,
                      "N-000004": D("2026-04-02"), "N-000005": None, "N-000006": None}


# ---------------------------------------------------------------- refused events
def test_signing_twice_is_refused(profile):
    assert refusal(state_of(SIGNED), Signed(D("2025-03-11"), D("2025-03-11")), profile) == \
        "合同 VIP-2025-000001 已于 2025-03-10 签署，不能重复签署"


@pytest.mark.parametrize(
    ("history", "body", "message"),
    [
        ((SIGNED, Terminated(D("2027-06-30"), TerminationReason.MUTUAL)),
         Amended("B1", D("2027-07-01"), D("2027-08-01"), (Change("annual_fee", "1", "2"),)),
         "合同 VIP-2025-000001 已于 2027-06-30 解除，不能变更"),
        ((SIGNED,), Amended("B1", D("2030-03-10"), D("2030-03-11"), (Change("annual_fee", "1", "2"),)),
         "合同 VIP-2025-000001 已于 2030-03-09 期满，不能变更"),
        ((SIGNED,), Amended("B1", D("2026-01-05"), D("2030-03-10"), (Change("annual_fee", "1", "2"),)),
         "变更生效日 2030-03-10 不在协议期限（2025-03-10 至 2030-03-09）之内"),
        ((SIGNED,), Amended("B1", D("2025-03-10"), D("2025-03-09"), (Change("annual_fee", "1", "2"),)),
         "变更生效日 2025-03-09 不在协议期限（2025-03-10 至 2030-03-09）之内"),
        ((), Amended("B1", D("2025-03-10"), D("2025-04-01"), (Change("annual_fee", "1", "2"),)),
         "合同 VIP-2025-000001 尚未签署，不能变更"),
        ((SIGNED,), Renewed("X1", D("2030-03-10"), 5, D("2030-03-10"), D("2035-03-09"), Decimal(1)),
         "合同 VIP-2025-000001 已于 2030-03-09 期满，不能续签"),
        ((SIGNED, Terminated(D("2027-06-30"), TerminationReason.MUTUAL)),
         Renewed("X1", D("2027-07-01"), 5, D("2030-03-10"), D("2035-03-09"), Decimal(1)),
         "合同 VIP-2025-000001 已于 2027-06-30 解除，不能续签"),
        ((SIGNED,), Renewed("X1", D("2030-01-01"), 5, D("2030-03-11"), D("2035-03-10"), Decimal(1)),
         "续签期限应自 2030-03-10 起算"),
        ((SIGNED,), sent("N-000001", NoticeKind.OTHER, "2025-02-01"),
         "日期 2025-02-01 早于合同 VIP-2025-000001 的签发日期 2025-03-01"),
        ((), Signed(D("2025-02-28"), D("2025-02-28")),
         "日期 2025-02-28 早于合同 VIP-2025-000001 的签发日期 2025-03-01"),
        ((SIGNED,), NoticeDelivered("N-000009", D("2026-01-01")),
         "通知 N-000009 从未发出，不能登记送达或退回"),
        ((SIGNED, sent("N-000001", NoticeKind.OTHER, "2026-01-05")),
         NoticeDelivered("N-000001", D("2026-01-04")), "日期 2026-01-04 早于通知发出日期 2026-01-05"),
        ((SIGNED, sent("N-000001", NoticeKind.OTHER, "2026-01-05"),
          NoticeDelivered("N-000001", D("2026-01-06"))),
         NoticeDelivered("N-000001", D("2026-01-07")), "通知 N-000001 已登记于 2026-01-06 送达或退回"),
        ((SIGNED, sent("N-000001", NoticeKind.OTHER, "2026-01-05")),
         NoticeReturned("N-000001", D("2026-01-07"), ReturnReason.BOUNCED),
         "该通知的送达方式下退回原因应为 refused 或 undeliverable"),
        ((SIGNED, sent("N-000001", NoticeKind.PAYMENT_REMINDER, "2026-01-05")),
         Terminated(D("2026-01-08"), TerminationReason.BREACH, by_notice_id="N-000001"),
         "通知 N-000001 不是解除通知（而是付款提醒）"),
        ((SIGNED, sent("N-000001", NoticeKind.TERMINATION, "2026-01-05", DeliveryMethod.PERSONAL,
                       reason="breach")),
         Terminated(D("2026-01-08"), TerminationReason.BREACH, by_notice_id="N-000001"),
         "通知 N-000001 尚未送达，不能据此解除"),
        ((SIGNED,), Voided(D("2025-04-01")), "合同 VIP-2025-000001 已签署，不能作废；请办理解除（terminate）"),
        ((Voided(D("2025-03-05")),), Signed(D("2025-03-10"), D("2025-03-10")),
         "合同 VIP-2025-000001 已于 2025-03-05 作废，不能再登记任何事项"),
        ((), Terminated(D("2025-04-01"), TerminationReason.MUTUAL),
         "合同 VIP-2025-000001 尚未签署，不能解除；未签署的合同请作废（void）"),
        ((SIGNED,), Terminated(D("2026-07-01"), TerminationReason.MUTUAL, signed_on=D("2025-03-09")),
         "解除协议的签署日期 2025-03-09 早于合同 VIP-2025-000001 的签署日期 2025-03-10"),
    ],
)
def test_events_that_do_not_fit_are_refused(profile, history, body, message):
    assert refusal(state_of(*history), body, profile) == message


def test_termination_by_a_delivered_notice(profile):
    notice = sent("N-000001", NoticeKind.TERMINATION, "2026-09-29", reason="breach")
    state = state_of(SIGNED, notice)
    by_notice = Terminated(D("2026-10-02"), TerminationReason.BREACH, by_notice_id="N-000001")
    # the courier's deemed day (posted + 3) has not come on 2026-10-01
    assert refusal(state, by_notice, profile, at("2026-10-01")) == "通知 N-000001 尚未送达，不能据此解除"
    assert accepted(state, by_notice, profile, at("2026-10-02"))
    early = dataclasses.replace(by_notice, effective_on=D("2026-10-01"))
    assert "解除不能早于通知送达之日 2026-10-02" in refusal(state, early, profile, at("2026-10-05"))


def test_a_refused_event_must_also_name_the_right_sequence(profile):
    state = state_of(SIGNED)
    stale = seal(NO, state.last_seq, RECORDED, sent("N-000001", NoticeKind.OTHER, "2026-01-01"),
                 state.last_hash)
    assert check_new_event(state, stale, profile)


# ---------------------------------------------------------------- corrections
def test_a_correction_changes_the_derived_state_not_the_history(profile):
    events = chain(issued(), Signed(D("2025-03-11"), D("2025-03-11")),
                   Corrected(2, (Change("signed_on", "2025-03-11", "2025-03-10"),
                                 Change("effective_date", "2025-03-11", "2025-03-10")), note="笔误"))
    state = replay(events)
    assert state.signed == SIGNED
    assert state.events[1].body.signed_on == D("2025-03-11")  # what was recorded stays
    view = contract_view(state, D("2026-01-01"), profile)
    assert view["effective_date"] == "2025-03-10"
    assert view["history"][1]["corrected_by"] == [3]


def test_a_retracted_delivery_no_longer_counts(profile):
    events = chain(issued(), SIGNED, sent("N-000001", NoticeKind.OTHER, "2026-01-05",
                                          DeliveryMethod.PERSONAL),
                   NoticeDelivered("N-000001", D("2026-01-06")), Corrected(4, retract=True))
    state = replay(events)
    assert state.notice("N-000001").delivered_on is None
    assert 4 in state.retracted


def test_check_replays_once_and_gets_the_state_replay_gives(profile):
    """`check` takes the state it compares the stored summary with from the replay that checks the
    rules (checked_history): the same state as `replay`, corrections and retractions included."""
    from contracts.checks import checked_history

    histories = [
        chain(issued(), Signed(D("2025-03-11"), D("2025-03-11")),
              Corrected(2, (Change("signed_on", "2025-03-11", "2025-03-10"),
                            Change("effective_date", "2025-03-11", "2025-03-10")), note="笔误")),
        chain(issued(), SIGNED, sent("N-000001", NoticeKind.OTHER, "2026-01-05", DeliveryMethod.PERSONAL),
              NoticeDelivered("N-000001", D("2026-01-06")), Corrected(4, retract=True)),
        chain(issued(), SIGNED, Amended(f"{NO}-B1", D("2026-02-01"), D("2026-02-01"),
                                        (Change("phone", CUSTOMER.phone, "13900000000"),))),
        chain(issued()),
    ]
    for events in histories:
        problems, state = checked_history(NO, [to_record(e) for e in events], profile)
        assert problems == []
        assert state == replay(events)
    broken = [to_record(e) for e in histories[0]]
    broken[1]["data"]["signed_on"] = "2025-03-09"  # the content no longer matches its hash
    problems, state = checked_history(NO, broken, profile)
    assert problems and state is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (Corrected(1, (Change("annual_fee", "12800.00", "1.00"),)), "签发记录不能更正"),
        (Corrected(4, (Change("on", "2026-01-06", "2026-01-01"),)), "早于通知发出日期"),
        (Corrected(4, (Change("files", "", "x"),)), "没有可更正的字段 files"),
        (Corrected(9, retract=True), "没有可更正的第 9 条事件"),
    ],
)
def test_corrections_that_would_break_the_history_are_refused(profile, body, message):
    state = state_of(SIGNED, sent("N-000001", NoticeKind.OTHER, "2026-01-05"),
                     NoticeDelivered("N-000001", D("2026-01-06")))
    assert message in refusal(state, body, profile)


# ---------------------------------------------------------------- the view
def test_the_view_has_the_documented_keys_and_masks_the_id(profile):
    state = state_of(SIGNED, sent("N-000001", NoticeKind.OTHER, "2026-09-29"))
    view = contract_view(state, D("2026-10-01"), profile)
    for key in ("contract_no", "customer_type", "status", "effective_date", "term_last_day",
                "terms_in_force", "history", "notices", "payment_deadlines", "payments", "arrears"):
        assert key in view
    # nothing paid: in force, and late since the first year's due date (2025-03-25)
    assert view["status"] == "overdue" and view["term_last_day"] == "2030-03-09"
    assert view["arrears"]["days_overdue"] == 555 and view["arrears"]["service_years"] == [1, 2]
    assert view["terms_in_force"]["annual_fee"] == "12800.00"
    assert [h["kind"] for h in view["history"]] == ["issued", "signed", "notice_sent"]
    assert [h["seq"] for h in view["history"]] == [1, 2, 3]
    assert {k: view["notices"][0][k] for k in ("notice_id", "method", "sent_on", "deemed_delivered_on")} \
        == {"notice_id": "N-000001", "method": "courier", "sent_on": "2026-09-29",
            "deemed_delivered_on": "2026-10-02"}
    first = view["payment_deadlines"][0]
    assert set(first) >= {"service_year", "due_on", "shifted_from", "provisional"}
    text = json.dumps(view, ensure_ascii=False)
    assert "11010519491231002X" not in text and "110105********002X" in text


def test_a_draft_has_no_dates_yet(profile):
    view = contract_view(state_of(), D("2025-03-02"), profile)
    assert (view["status"], view["effective_date"], view["term_last_day"]) == ("draft", None, None)
    assert view["payment_deadlines"] == [] and view["next_payment"] is None


# ---------------------------------------------------------------- checks over a stored history
def records_of(*bodies):
    return [to_record(e) for e in chain(issued(), *bodies)]


def test_an_intact_history_passes_every_check(profile):
    assert check_history(NO, records_of(SIGNED, sent("N-000001", NoticeKind.OTHER, "2026-01-01")),
                         profile) == []


def test_a_changed_event_is_named_as_the_first_broken_link(profile):
    records = records_of(SIGNED, sent("N-000001", NoticeKind.OTHER, "2026-01-01"),
                         NoticeDelivered("N-000001", D("2026-01-03")))
    records[2]["data"]["to"] = "别处"
    problems = check_history(NO, records, profile)
    assert problems[0].field == f"{NO}#3"
    assert "内容与其哈希值不符" in problems[0].message


def test_a_removed_event_is_found(profile):
    records = records_of(SIGNED, sent("N-000001", NoticeKind.OTHER, "2026-01-01"))
    del records[1]
    messages = [str(p) for p in check_history(NO, records, profile)]
    assert any("序号不连续" in m for m in messages)
    assert any("前一条哈希" in m for m in messages)


def test_a_history_that_breaks_a_rule_is_reported(profile):
    # sealed correctly, but signed twice (written around the service)
    records = records_of(SIGNED, Signed(D("2025-04-01"), D("2025-04-01")))
    problems = check_history(NO, records, profile)
    assert [str(p) for p in problems] == [f"{NO}#3：合同 {NO} 已于 2025-03-10 签署，不能重复签署"]


def test_duplicate_notice_ids_across_contracts(profile):
    one = [to_record(e) for e in chain(issued(), sent("N-000001", NoticeKind.OTHER, "2026-01-01"))]
    two = [to_record(e) for e in chain(issued(), sent("N-000001", NoticeKind.OTHER, "2026-01-01"),
                                       contract_no="VIP-2025-000002")]
    problems = check_notice_ids([(NO, one), ("VIP-2025-000002", two)])
    assert len(problems) == 1 and problems[0].field == "VIP-2025-000002#2"


def test_kinds_have_labels():
    assert all(kind.label for kind in EventKind)
    assert Issued.KIND is EventKind.ISSUED


# ---------------------------------------------------------------- civil_code terms in the register
def test_under_civil_code_the_first_term_begins_the_day_after_the_effective_day(profile):
    state = replay(chain(dataclasses.replace(issued(), counting=TermCounting.CIVIL_CODE), Signed(D("2024-02-29"), D("2024-02-29"))))
    (term,) = state.terms
    assert (term.first_day, term.last_day) == (D("2024-03-01"), D("2029-02-28"))
    # in effect on the effective day itself, although the term is counted from the next day
    assert status_on(state, D("2024-02-29"), profile).value == "active"
    assert status_on(state, D("2024-02-28"), profile).value == "draft"


def test_a_civil_code_renewal_is_five_years_and_one_recorded_a_day_longer_still_stands(profile):
    state = replay(chain(dataclasses.replace(issued(), counting=TermCounting.CIVIL_CODE), Signed(D("2025-03-10"), D("2025-03-10"))))
    assert state.terms[0].last_day == D("2030-03-10")
    renewal = Renewed("X1", D("2030-01-20"), 5, D("2030-03-11"), D("2035-03-10"), Decimal(1))
    assert accepted(state, renewal, profile, at("2030-01-20"))
    # recorded by an earlier version, which counted the renewal from its own first day: what was
    # signed and printed stands, and `check` does not report it
    older = dataclasses.replace(renewal, last_day=D("2035-03-11"))
    assert accepted(state, older, profile, at("2030-01-20"))
    wrong = dataclasses.replace(renewal, last_day=D("2035-03-12"))
    assert refusal(state, wrong, profile, at("2030-01-20")) == "续签期限的最后一日应为 2035-03-10"
