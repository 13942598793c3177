"""The register's commands as functions, on both store backends, with a stand-in renderer:
what each records, what it writes, and that a refused event leaves everything as it was."""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from contracts.commands import PaymentRequest
from contracts.customer import CustomerType
from contracts.dates import SHANGHAI, DeliveryMethod
from contracts.errors import ContractError, HistoryError, InvalidInput, NotFound
from contracts.events import NoticeKind, ReturnReason
from service import register as R
from service.generate import parse_request
from service.output import sha256_file
from service.payments import pay
from store import TinyDBStore
from tests.conftest import CORPORATE, INDIVIDUAL
from tests.test_register_fixtures import any_store, fake_renderer  # noqa: F401  (fixtures)

D = dt.date.fromisoformat
NOW = dt.datetime(2026, 11, 24, 10, tzinfo=SHANGHAI)
FORMATS = ("docx", "pdf")


def request(kind: str = "individual", **extra):
    data = {**(INDIVIDUAL if kind == "individual" else CORPORATE), "annual_fee": "12800", **extra}
    return parse_request(CustomerType(kind), data, D("2025-03-01"))


def when(day: str, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(D(day), dt.time(hour), SHANGHAI)


def issue(store, profile, out: Path, day: str = "2025-03-01", kind: str = "individual"):
    return R.issue(store, profile, request(kind), out, FORMATS, issued_on=D(day), now=NOW)


def signed(store, profile, out: Path) -> str:
    no = issue(store, profile, out).contract_no
    R.sign(store, profile, no, D("2025-03-10"), now=NOW)
    return no


def snapshot(store) -> list:
    return copy.deepcopy(list(store.histories()))


def reloaded(store):
    return TinyDBStore(store.path) if isinstance(store, TinyDBStore) else store


# ---------------------------------------------------------------- issue
@pytest.mark.usefixtures("fake_renderer")
def test_issue_numbers_writes_and_records_the_file_hashes(any_store, profile, tmp_path):  # noqa: F811
    first = issue(any_store, profile, tmp_path)
    second = issue(any_store, profile, tmp_path, kind="corporate")
    third = issue(any_store, profile, tmp_path, day="2026-01-02")
    assert [first.contract_no, second.contract_no, third.contract_no] == \
        ["VIP-2025-000001", "VIP-2025-000002", "VIP-2026-000001"]
    body = first.event.body
    assert {f.format: f.sha256 for f in body.files} == \
        {w.format: sha256_file(w.path) for w in first.files}
    assert [w.path.name for w in first.files] == ["VIP-2025-000001_张三.docx", "VIP-2025-000001_张三.pdf"]
    assert (body.issued_on, body.payment_days, body.courier_deemed_days) == (D("2025-03-01"), 15, 3)
    assert reloaded(any_store).history("VIP-2025-000001")[0]["hash"] == first.event.hash


def test_a_failed_rendering_registers_nothing(any_store, profile, tmp_path, monkeypatch):  # noqa: F811
    import service.output

    def broken(doc, fmt, path):
        raise ContractError("渲染失败")

    monkeypatch.setattr(service.output, "render_to", broken)
    with pytest.raises(ContractError, match="渲染失败"):
        issue(any_store, profile, tmp_path / "out")
    assert any_store.contract_numbers() == []
    assert not any((tmp_path / "out").iterdir())


def test_peek_contract_no_creates_nothing(tmp_path):
    assert R.peek_contract_no(tmp_path / "r.json", "VIP", D("2026-11-24")) == "VIP-2026-000001"
    assert not (tmp_path / "r.json").exists()


# ---------------------------------------------------------------- a life, end to end
@pytest.mark.usefixtures("fake_renderer")
def test_a_contract_followed_through_its_life(any_store, profile, tmp_path):  # noqa: F811
    no = signed(any_store, profile, tmp_path)
    amended = R.amend(any_store, profile, no, signed_on=D("2026-01-05"), effective_on=D("2026-03-11"),
                      changes={"annual_fee": "15800"}, out_dir=tmp_path, formats=FORMATS, now=NOW)
    assert amended.event.body.doc_no == f"{no}-B1"
    # years 1-5 paid in advance: 12,800 for years 1 and 2 (year 2 begins 2026-03-10, before the
    # new fee binds), 15,800 for years 3-5
    paid = pay(any_store, profile, no, PaymentRequest(D("2026-01-10"), Decimal("73000")),
               now=when("2026-01-10"))
    assert [(a.service_year, str(a.amount)) for a in paid.event.body.allocations] == [
        (1, "12800.00"), (2, "12800.00"), (3, "15800.00"), (4, "15800.00"), (5, "15800.00")]
    assert [(c.field, c.old, c.new) for c in amended.event.body.changes] == \
        [("annual_fee", "12800.00", "15800.00")]
    reminder = R.send_notice(any_store, profile, no, R.NoticeRequest(
        NoticeKind.RENEWAL_REMINDER, DeliveryMethod.COURIER, when("2029-12-01")), now=when("2029-12-01"))
    assert (reminder.event.body.notice_id, reminder.event.body.to) == ("N-000001", INDIVIDUAL["address"])
    R.record_delivery(any_store, profile, "N-000001", D("2029-12-03"), now=when("2029-12-03"))
    renewed = R.renew(any_store, profile, no, signed_on=D("2030-01-20"), out_dir=tmp_path,
                      formats=("pdf",), now=when("2030-01-20"))
    body = renewed.event.body
    assert (body.doc_no, body.first_day, body.last_day, str(body.annual_fee)) == \
        (f"{no}-X1", D("2030-03-10"), D("2035-03-09"), "15800.00")
    notice = R.send_notice(any_store, profile, no, R.NoticeRequest(
        NoticeKind.TERMINATION, DeliveryMethod.EMAIL, dt.datetime(2031, 3, 1, 17, 30, tzinfo=dt.UTC),
        reason="late_payment", reason_text="逾期六十日未付"), out_dir=tmp_path, formats=FORMATS,
        now=when("2031-03-02"))
    assert notice.event.body.doc_no == f"{no}-J1" and len(notice.files) == 2
    ended = R.terminate(any_store, profile, no, by_notice="N-000002", now=when("2031-03-05"))
    assert (ended.event.body.effective_on, ended.event.body.reason.value) == (D("2031-03-02"), "late_payment")

    view = R.show(reloaded(any_store), profile, no, D("2030-02-01"))
    assert view["status"] == "renewed" and view["terms_in_force"]["annual_fee"] == "15800.00"
    # as the register stood on 2030-02-01: the termination notice of 2031 is not there yet
    assert [h["kind"] for h in view["history"]] == [
        "issued", "signed", "amended", "paid", "notice_sent", "notice_delivered", "renewed"]
    later = R.show(any_store, profile, no, D("2031-03-02"))
    assert later["status"] == "terminated" and [h["kind"] for h in later["history"]][-2:] == [
        "notice_sent", "terminated"]
    assert R.check(reloaded(any_store), profile).ok
    found = R.verify(any_store, amended.files[1].path)
    assert (found.contract_no, found.seq, found.kind.value, found.doc_no) == (no, 3, "amended", f"{no}-B1")
    json.dumps(view)  # the view is plain JSON


@pytest.mark.usefixtures("fake_renderer")
def test_agreed_termination_writes_its_document(any_store, profile, tmp_path):  # noqa: F811
    no = signed(any_store, profile, tmp_path)
    done = R.terminate(any_store, profile, no, on=D("2027-06-30"), reason="mutual",
                       out_dir=tmp_path, formats=("docx",), now=NOW)
    assert done.event.body.doc_no == f"{no}-J1" and done.files[0].path.exists()
    assert R.show(any_store, profile, no, D("2027-06-30"))["status"] == "terminated"


@pytest.mark.usefixtures("fake_renderer")
def test_notice_ids_are_global_and_a_return_is_recorded(any_store, profile, tmp_path):  # noqa: F811
    one, two = signed(any_store, profile, tmp_path), signed(any_store, profile, tmp_path)
    for no in (one, two, one):
        R.send_notice(any_store, profile, no, R.NoticeRequest(
            NoticeKind.PAYMENT_REMINDER, DeliveryMethod.COURIER, when("2026-03-01")), now=NOW)
    R.record_return(any_store, profile, "N-000002", D("2026-03-03"), ReturnReason.REFUSED, now=NOW)
    notices = R.show(any_store, profile, two, D("2026-04-01"))["notices"]
    assert [(n["notice_id"], n["deemed_delivered_on"]) for n in notices] == [("N-000002", "2026-03-03")]
    assert [n["notice_id"] for n in R.show(any_store, profile, one, D("2026-04-01"))["notices"]] == \
        ["N-000001", "N-000003"]


@pytest.mark.usefixtures("fake_renderer")
def test_list_filters_by_status(any_store, profile, tmp_path):  # noqa: F811
    draft = issue(any_store, profile, tmp_path).contract_no
    active = signed(any_store, profile, tmp_path)
    voided = issue(any_store, profile, tmp_path).contract_no
    R.void(any_store, profile, voided, D("2025-03-05"), "客户放弃", now=NOW)
    day = D("2026-01-01")
    assert [v["contract_no"] for v in R.list_contracts(any_store, profile, day, "draft")] == [draft]
    # nothing paid: the first year's fee (due 2025-03-25) is 282 days late
    assert [v["contract_no"] for v in R.list_contracts(any_store, profile, day, "overdue")] == [active]
    assert R.list_contracts(any_store, profile, day, "overdue")[0]["arrears"]["days_overdue"] == 282
    pay(any_store, profile, active, PaymentRequest(D("2025-12-20"), Decimal("12800")), now=NOW)
    assert [v["contract_no"] for v in R.list_contracts(any_store, profile, day, "active")] == [active]
    assert [v["status"] for v in R.list_contracts(any_store, profile, day)] == ["draft", "active", "voided"]


@pytest.mark.usefixtures("fake_renderer")
def test_a_correction_is_a_new_event(any_store, profile, tmp_path):  # noqa: F811
    no = signed(any_store, profile, tmp_path)
    done = R.correct(any_store, profile, no, 2, changes={"signed_on": "2025-03-09",
                                                         "effective_date": "2025-03-09"},
                     note="签署日期登记错误", now=NOW)
    assert [(c.field, c.old, c.new) for c in done.event.body.changes] == [
        ("signed_on", "2025-03-10", "2025-03-09"), ("effective_date", "2025-03-10", "2025-03-09")]
    view = R.show(any_store, profile, no, D("2026-01-01"))
    assert (view["effective_date"], view["term_last_day"]) == ("2025-03-09", "2030-03-08")
    assert view["history"][1]["signed_on"] == "2025-03-10"  # the record itself stays


# ---------------------------------------------------------------- refused: nothing written
REFUSALS = [
    ("sign twice", lambda s, p, no, out: R.sign(s, p, no, D("2025-03-11"), now=NOW),
     InvalidInput, "不能重复签署"),  # refused by the decision (contracts.commands.decide_signing)
    ("amend after expiry", lambda s, p, no, out: R.amend(
        s, p, no, signed_on=D("2030-03-10"), effective_on=D("2030-03-11"),
        changes={"annual_fee": "1"}, out_dir=out, formats=FORMATS, now=when("2030-03-10")),
     HistoryError, "已于 2030-03-09 期满，不能变更"),
    ("amend outside the term", lambda s, p, no, out: R.amend(
        s, p, no, signed_on=D("2026-01-05"), effective_on=D("2031-01-01"),
        changes={"annual_fee": "15800"}, out_dir=out, formats=FORMATS, now=NOW),
     HistoryError, "不在协议期限"),
    ("amend to the same value", lambda s, p, no, out: R.amend(
        s, p, no, signed_on=D("2026-01-05"), effective_on=D("2026-02-01"),
        changes={"annual_fee": "12800.00"}, out_dir=out, formats=FORMATS, now=NOW),
     InvalidInput, "年服务费与现行约定相同"),
    ("amend a field that cannot change", lambda s, p, no, out: R.amend(
        s, p, no, signed_on=D("2026-01-05"), effective_on=D("2026-02-01"),
        changes={"id_number": "1"}, out_dir=out, formats=FORMATS, now=NOW),
     InvalidInput, "不能变更 id_number"),
    ("renew after expiry", lambda s, p, no, out: R.renew(
        s, p, no, signed_on=D("2030-03-10"), out_dir=out, formats=FORMATS, now=when("2030-03-10")),
     HistoryError, "期满，不能续签"),
    ("notice before the issue date", lambda s, p, no, out: R.send_notice(
        s, p, no, R.NoticeRequest(NoticeKind.OTHER, DeliveryMethod.EMAIL, when("2025-02-01")), now=NOW),
     HistoryError, "早于合同"),
    ("deliver an unknown notice", lambda s, p, no, out: R.record_delivery(
        s, p, "N-000404", D("2026-01-01"), now=NOW),
     NotFound, "通知 N-000404 从未发出"),
    ("terminate by an unknown notice", lambda s, p, no, out: R.terminate(
        s, p, no, by_notice="N-000404", now=NOW),
     HistoryError, "没有编号为 N-000404 的通知"),
    ("terminate without a date", lambda s, p, no, out: R.terminate(
        s, p, no, reason="mutual", out_dir=out, formats=FORMATS, now=NOW),
     InvalidInput, "请用 --on 写明解除生效的日期"),
    ("void a signed contract", lambda s, p, no, out: R.void(s, p, no, D("2025-04-01"), now=NOW),
     HistoryError, "已签署，不能作废"),
    ("correct the issue record", lambda s, p, no, out: R.correct(
        s, p, no, 1, changes={"annual_fee": "1"}, now=NOW),
     InvalidInput, "签发记录不能更正"),
    ("an unknown contract", lambda s, p, no, out: R.sign(s, p, "VIP-2025-999999", D("2025-04-01")),
     NotFound, "登记簿中没有合同 VIP-2025-999999"),
]


@pytest.mark.usefixtures("fake_renderer")
@pytest.mark.parametrize(("name", "action", "error", "message"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_a_refused_event_leaves_the_store_and_the_folder_unchanged(
    any_store, profile, tmp_path, name, action, error, message  # noqa: F811
):
    no = signed(any_store, profile, tmp_path / "issued")
    out = tmp_path / "out"
    out.mkdir()
    before = snapshot(any_store)
    with pytest.raises(error, match=message):
        action(any_store, profile, no, out)
    assert snapshot(reloaded(any_store)) == before
    assert list(out.iterdir()) == []


def test_verify_an_unknown_file(any_store, tmp_path):  # noqa: F811
    stranger = tmp_path / "x.pdf"
    stranger.write_bytes(b"%PDF-1.7 not ours")
    assert R.verify(any_store, stranger) is None


# ---------------------------------------------------------------- check over a file
@pytest.mark.usefixtures("fake_renderer")
def test_check_names_a_tampered_event(profile, tmp_path):
    path = tmp_path / "register.json"
    store = TinyDBStore(path)
    no = signed(store, profile, tmp_path)
    R.send_notice(store, profile, no, R.NoticeRequest(NoticeKind.OTHER, DeliveryMethod.EMAIL,
                                                      when("2026-01-05")), now=NOW)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"signed_on":"2025-03-10"', '"signed_on":"2025-03-01"'),
                    encoding="utf-8")
    report = R.check(TinyDBStore(path), profile)
    assert not report.ok
    assert [str(p) for p in report.problems] == [
        "第 3 行：这一行的内容与其哈希不符（内容被改动）",
        f"{no}#2：哈希链断裂：第 2 条事件的内容与其哈希值不符（内容被改动）"]


@pytest.mark.usefixtures("fake_renderer")
def test_batch_registration_of_a_numbered_agreement(any_store, profile, tmp_path):  # noqa: F811
    numbers = R.next_contract_numbers(any_store, "VIP", 2025, 2)
    assert numbers == ["VIP-2025-000001", "VIP-2025-000002"]
    R.record_issued(any_store, profile, numbers[1], request(), D("2025-03-01"), [],
                    batch={"key": "b1", "source": "个人客户 第2行"}, now=NOW)
    with pytest.raises(HistoryError, match="已被占用"):
        R.record_issued(any_store, profile, numbers[1], request(), D("2025-03-01"), [], now=NOW)
    with pytest.raises(HistoryError, match="已在本批次"):
        R.record_issued(any_store, profile, numbers[0], request(), D("2025-03-01"), [],
                        batch={"key": "b1"}, now=NOW)
    assert [no for no, _ in R.issued_in_batch(any_store, "b1")] == [numbers[1]]
    assert R.next_contract_no(any_store, "VIP", 2025) == "VIP-2025-000003"
