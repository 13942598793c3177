"""The reports on a register built here with known histories: the rows of each report, their
totals, the chart and the calendar events; then every file format read back with its own library,
the empty register, and byte-identical repeated output.

The register (as of 2026-11-24):

- A  VIP-2021-000001  张三, in force 2021-11-26 → 2026-11-25: expires tomorrow. Renewal reminder
     sent 2026-08-28 (delivered 2026-08-30); the 60- and 30-day ones missed, the 7-day one due.
     The whole term paid in advance on 2021-12-01.
- B  VIP-2022-000001  北京某某科技有限公司, 2022-01-10 → 2027-01-09, renewed on 2026-10-15 for
     five more years (to 2032-01-09) at 16,800. Each year of the first term paid on 01-20.
- C  VIP-2025-000001  李四, 2025-03-10; terminated by a courier notice delivered 2026-06-03;
     nothing paid.
- D  VIP-2025-000002  王芳, 2025-09-16; 补充协议 B1 (fee 12,800 → 15,800 from 2026-03-01) and B2
     (address → 上海… from 2026-04-01). Service year 2 begins 2026-09-16: fee due 2026-10-01, a
     holiday, moved to 2026-10-08; year 1 paid, year 2 not. A payment reminder sent 2026-10-10 to the old address
     (returned), another by courier 2026-11-10 without a receipt (past its deemed day 11-13).
- E  VIP-2026-000001  赵六, issued 2026-11-01, not signed (a draft: in no report but notices).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from decimal import Decimal
from pathlib import Path

import pdfplumber
import pytest
from icalendar import Calendar
from openpyxl import load_workbook

from contracts.commands import PaymentRequest
from contracts.customer import CustomerType
from contracts.dates import SHANGHAI, DeliveryMethod
from contracts.errors import InvalidInput, NotFound
from contracts.events import NoticeKind, ReturnReason
from contracts.register import current_term
from contracts.report_model import text_width
from contracts.reports import (
    DUE,
    MISSED,
    NOT_NEEDED,
    SENT,
    UPCOMING,
    expiring_report,
    reminders,
    terminal_view,
)
from renderers.report_files import render_report
from renderers.report_table import render_text
from service import payments as P
from service import register as R
from service import reports as S
from service.generate import parse_request
from service.sources import load_profile
from store import MemoryStore, TinyDBStore
from tests.conftest import CORPORATE, INDIVIDUAL, TEST_PROFILE

D = dt.date.fromisoformat
AS_OF = D("2026-11-24")
A, B, C, DD, E = ("VIP-2021-000001", "VIP-2022-000001", "VIP-2025-000001", "VIP-2025-000002",
                  "VIP-2026-000001")
OLD_ADDRESS = INDIVIDUAL["address"]
NEW_ADDRESS = "上海市徐汇区漕溪北路100号"
FILE_FORMATS = ("table", "csv", "xlsx", "json", "pdf", "ics")


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(D(day), dt.time(hour), SHANGHAI)


def fake_render(doc, fmt: str, path: Path) -> None:
    Path(path).write_text(f"{fmt}:{doc.doc_no}:{doc.title}", encoding="utf-8")


def _request(kind: str, issued_on: str, **extra):
    base = INDIVIDUAL if kind == "individual" else CORPORATE
    return parse_request(CustomerType(kind), {**base, "annual_fee": "12800", **extra}, D(issued_on))


def fill_register(store, profile, out: Path) -> dict[str, str]:
    """The register described in the module's doc string (documents by a stand-in renderer)."""
    def issue(kind, day, **extra):
        return R.issue(store, profile, _request(kind, day, **extra), out, ("docx",),
                       issued_on=D(day), now=at(day)).contract_no

    def notice(no, kind, method, day, to="", **kw):
        return R.send_notice(store, profile, no, R.NoticeRequest(kind, method, at(day), to=to, **kw),
                             now=at(day)).event.body.notice_id

    def pay(no, day, amount, **kw):
        P.pay(store, profile, no, PaymentRequest(D(day), Decimal(amount), **kw), now=at(day))

    a = issue("individual", "2021-11-20")
    R.sign(store, profile, a, D("2021-11-26"), now=at("2021-11-26"))
    pay(a, "2021-12-01", "64000")  # the whole term in advance
    reminder = notice(a, NoticeKind.RENEWAL_REMINDER, DeliveryMethod.COURIER, "2026-08-28")
    R.record_delivery(store, profile, reminder, D("2026-08-30"), now=at("2026-08-30"))

    b = issue("corporate", "2022-01-04")
    R.sign(store, profile, b, D("2022-01-10"), now=at("2022-01-10"))
    for year in range(5):
        pay(b, f"{2022 + year}-01-20", "12800")
    R.renew(store, profile, b, signed_on=D("2026-10-15"), annual_fee="16800", out_dir=out,
            formats=("docx",), now=at("2026-10-15"))

    c = issue("individual", "2025-03-01", name="李四")
    R.sign(store, profile, c, D("2025-03-10"), now=at("2025-03-10"))
    ending = notice(c, NoticeKind.TERMINATION, DeliveryMethod.COURIER, "2026-06-01", reason="breach",
                    reason_text="多次违反服务规范")
    R.record_delivery(store, profile, ending, D("2026-06-03"), now=at("2026-06-03"))
    R.terminate(store, profile, c, by_notice=ending, now=at("2026-06-05"))

    d = issue("individual", "2025-09-01", name="王芳")
    R.sign(store, profile, d, D("2025-09-16"), now=at("2025-09-16"))
    pay(d, "2025-09-30", "12800")  # year 1 in time; year 2 (15,800, due 2026-10-08) unpaid
    R.amend(store, profile, d, signed_on=D("2026-01-05"), effective_on=D("2026-03-01"),
            changes={"annual_fee": "15800"}, out_dir=out, formats=("docx",), now=at("2026-01-05"))
    R.amend(store, profile, d, signed_on=D("2026-04-01"), effective_on=D("2026-04-01"),
            changes={"address": NEW_ADDRESS}, out_dir=out, formats=("docx",), now=at("2026-04-01"))
    stale = notice(d, NoticeKind.PAYMENT_REMINDER, DeliveryMethod.COURIER, "2026-10-10", to=OLD_ADDRESS)
    R.record_return(store, profile, stale, D("2026-10-15"), ReturnReason.UNDELIVERABLE, now=at("2026-10-15"))
    notice(d, NoticeKind.PAYMENT_REMINDER, DeliveryMethod.COURIER, "2026-11-10")

    e = issue("individual", "2026-11-01", name="赵六")
    assert (a, b, c, d, e) == (A, B, C, DD, E)
    return {"A": a, "B": b, "C": c, "D": d, "E": e}


@pytest.fixture(scope="module")
def profile():
    return load_profile(TEST_PROFILE)


@pytest.fixture(scope="module")
def register_path(tmp_path_factory, profile) -> Path:
    """A TinyDB register file holding the histories above (built once for the module)."""
    import service.output

    folder = tmp_path_factory.mktemp("register")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(service.output, "render_to", fake_render)
        store = TinyDBStore(folder / "register.json")
        try:
            fill_register(store, profile, folder / "docs")
        finally:
            store.close()
    return folder / "register.json"


@pytest.fixture(scope="module")
def states(register_path, profile):
    store = TinyDBStore(register_path)
    try:
        return S.load_states(store, profile)
    finally:
        store.close()


def report(name, states, profile, as_of=AS_OF, **filters):
    return S.build_report(name, states, as_of, profile, **filters)


def column(rep, key):
    return [row[key] for row in rep.rows]


def totals(rep):
    return dict(rep.totals)


# ---------------------------------------------------------------- expiring
def test_expiring_lists_the_contract_ending_tomorrow_and_the_renewed_one(states, profile):
    rep = report("expiring", states, profile)
    assert column(rep, "contract_no") == [A, B]
    a, b = rep.rows
    assert (a["customer"], a["last_day"], a["days_left"], a["renewal_agreed"], a["status"]) == \
        ("张三", D("2026-11-25"), 1, False, "即将到期")
    assert a["customer_id"] == "110105********002X"
    assert a["reminders"].split("；\n") == [
        "90日 已发 N-000001 视为送达 2026-08-30",
        "60日 漏发 2026-09-26",
        "30日 漏发 2026-10-26",
        "7日 应发 2026-11-18",
    ]
    assert (b["customer"], b["last_day"], b["days_left"], b["renewal_agreed"], b["renewal_doc"],
            b["new_last_day"], b["status"]) == \
        ("北京某某科技有限公司", D("2027-01-09"), 46, True, f"{B}-X1", D("2032-01-09"), "已续签")
    assert b["reminders"].split("；\n") == ["90日 无需（已续签）", "60日 无需（已续签）",
                                          "30日 无需（已续签）", "7日 无需（已续签）"]
    assert totals(rep) == {"到期协议份数": 2, "已约定续签": 1, "尚未约定续签": 1, "应发提醒": 1,
                           "漏发提醒": 2, "年服务费合计（元）": Decimal("25600.00"), "逾期付款份数": 0,
                           "逾期未付合计（元）": Decimal("0.00")}


def test_expiring_window_and_as_of(states, profile):
    assert column(report("expiring", states, profile, within=1), "contract_no") == [A]
    assert column(report("expiring", states, profile, within=0), "contract_no") == []
    # a year earlier nothing ends within 90 days; the chart still counts every expiry ahead
    early = report("expiring", states, profile, as_of=D("2025-11-24"))
    assert early.is_empty and early.empty_message == "2025-11-24 起 90 日内没有到期的协议。"
    # the day after A's last day: A is expired, no longer listed
    assert column(report("expiring", states, profile, as_of=D("2026-11-26")), "contract_no") == [B]


def test_expiring_chart_counts_the_rows_of_the_table(states, profile):
    rep = report("expiring", states, profile)
    chart = rep.chart
    # the window 2026-11-24 .. 2027-02-22 (90 days): one bar a month, no month beyond it
    assert chart.labels == ("2026-11", "2026-12", "2027-01", "2027-02")
    # A's term ends 2026-11-25; B's current term ends 2027-01-09 (listed although renewed)
    assert chart.counts == (1, 0, 1, 0) and chart.total == len(rep.rows) == 2
    assert chart.caption == "上表所列协议按期限最后一日所在月份计数"
    wide = report("expiring", states, profile, within=3000)
    assert wide.chart.total == len(wide.rows)
    # nothing listed, nothing counted: no chart at all
    assert report("expiring", states, profile, as_of=D("2025-11-24")).chart is None


def test_expiring_calendar_has_the_last_days_and_the_reminder_days(states, profile):
    events = report("expiring", states, profile).calendar_events
    assert [(e.date, e.uid) for e in events][:3] == [
        (D("2026-08-28") - dt.timedelta(days=1), f"{A}-T1-reminder-90@vipcontract"),
        (D("2026-09-26"), f"{A}-T1-reminder-60@vipcontract"),
        (D("2026-10-26"), f"{A}-T1-reminder-30@vipcontract"),
    ]
    last_days = {e.uid: e.date for e in events if e.uid.endswith("last-day@vipcontract")}
    assert last_days == {f"{A}-T1-last-day@vipcontract": D("2026-11-25"),
                         f"{B}-T1-last-day@vipcontract": D("2027-01-09")}
    # B's four reminders are 无需（已续签）: listed in the table, no calendar entry
    assert len(events) == 6 and len({e.uid for e in events}) == 6
    assert not any(e.uid.startswith(f"{B}-T1-reminder") for e in events)


def test_expiring_calendar_says_what_is_due_and_alarms_what_is_still_to_do(states, profile):
    events = {e.uid.removesuffix("@vipcontract"): e for e in report("expiring", states, profile).calendar_events}
    # what is due first, then the customer and the contract: the part a calendar cell shows
    assert events[f"{A}-T1-reminder-90"].summary == f"续签提醒已发（到期前90日）：张三 {A}"
    assert events[f"{A}-T1-reminder-60"].summary == f"续签提醒漏发（到期前60日）：张三 {A}"
    assert events[f"{A}-T1-reminder-7"].summary == f"发续签提醒（到期前7日）：张三 {A}"
    assert events[f"{A}-T1-last-day"].summary == f"协议到期：张三 {A}"
    assert events[f"{B}-T1-last-day"].summary == f"协议期满（已续签）：北京某某科技有限公司 {B}"
    alarmed = sorted(uid for uid, e in events.items() if e.alarm)
    assert alarmed == [f"{A}-T1-last-day", f"{A}-T1-reminder-7"]


def test_reminder_events_follow_the_profile_lead_times(states, profile):
    import dataclasses

    upcoming = dataclasses.replace(profile, reminder_days=(45, 10))
    rep = report("expiring", states, upcoming, as_of=D("2026-09-01"))
    days = {e.uid.removesuffix("@vipcontract"): e.date for e in rep.calendar_events}
    assert days[f"{A}-T1-reminder-45"] == D("2026-11-25") - dt.timedelta(days=45)
    assert days[f"{A}-T1-reminder-10"] == D("2026-11-15")
    assert not any("reminder-90" in uid for uid in days)


def test_reminder_states_through_the_term(states, profile):
    a = next(s for s in states if s.contract_no == A)
    term = current_term(a, AS_OF)

    def on(day):
        return [(r.lead_days, r.state) for r in reminders(a, term, D(day), profile)]

    assert on("2026-08-01") == [(90, UPCOMING), (60, UPCOMING), (30, UPCOMING), (7, UPCOMING)]
    assert on("2026-08-27") == [(90, DUE), (60, UPCOMING), (30, UPCOMING), (7, UPCOMING)]
    assert on("2026-08-28") == [(90, SENT), (60, UPCOMING), (30, UPCOMING), (7, UPCOMING)]
    assert on("2026-10-01") == [(90, SENT), (60, DUE), (30, UPCOMING), (7, UPCOMING)]
    assert on("2026-11-25") == [(90, SENT), (60, MISSED), (30, MISSED), (7, DUE)]
    b = next(s for s in states if s.contract_no == B)
    assert [r.state for r in reminders(b, current_term(b, D("2026-10-14")), D("2026-10-14"), profile)] == \
        [DUE, UPCOMING, UPCOMING, UPCOMING]
    assert {r.state for r in reminders(b, current_term(b, AS_OF), AS_OF, profile)} == {NOT_NEEDED}


def test_reminder_lead_times_come_from_the_profile(states, profile):
    import dataclasses

    two = dataclasses.replace(profile, reminder_days=(45, 14))
    rep = expiring_report(states, AS_OF, two)
    assert rep.rows[0]["reminders"].split("；\n") == ["45日 已发 N-000001 视为送达 2026-08-30", "14日 应发 2026-11-11"]


# ---------------------------------------------------------------- renewals
def test_renewals_in_a_period(states, profile):
    rep = report("renewals", states, profile, date_from=D("2026-01-01"), date_to=D("2026-12-31"))
    assert rep.rows == ({
        "doc_no": f"{B}-X1", "contract_no": B, "customer": "北京某某科技有限公司",
        "signed_on": D("2026-10-15"), "old_last_day": D("2027-01-09"), "new_first_day": D("2027-01-10"),
        "new_last_day": D("2032-01-09"), "years": 5, "old_fee": Decimal("12800.00"),
        "new_fee": Decimal("16800"),
    },)
    assert totals(rep) == {"续签协议份数": 1, "续签后年服务费合计（元）": Decimal("16800")}
    empty = report("renewals", states, profile, date_from=D("2027-01-01"))
    assert empty.is_empty and empty.empty_message == "签署日期在 2027-01-01 起 的续签协议：没有。"
    with pytest.raises(InvalidInput, match="晚于"):
        report("renewals", states, profile, date_from=D("2026-12-31"), date_to=D("2026-01-01"))


# ---------------------------------------------------------------- amendments
def test_amendments_old_and_new(states, profile):
    rep = report("amendments", states, profile)
    assert [(r["doc_no"], r["contract_no"], r["customer"], r["changes"], r["signed_on"], r["effective_on"],
             r["in_force"]) for r in rep.rows] == [
        (f"{DD}-B1", DD, "王芳", "年服务费：12,800.00元 → 15,800.00元", D("2026-01-05"), D("2026-03-01"), True),
        (f"{DD}-B2", DD, "王芳", f"通讯地址：{OLD_ADDRESS} → {NEW_ADDRESS}", D("2026-04-01"), D("2026-04-01"),
         True),
    ]
    assert totals(rep) == {"补充协议份数": 2, "涉及合同份数": 1, "截至基准日已生效": 2}
    # as of a day between the two: B2 not yet signed or in force
    assert column(report("amendments", states, profile, as_of=D("2026-02-01")), "in_force") == [False, False]
    assert column(report("amendments", states, profile, date_from=D("2026-03-01")), "doc_no") == [f"{DD}-B2"]
    assert column(report("amendments", states, profile, contract=A), "doc_no") == []
    assert column(report("amendments", states, profile, contract=DD), "doc_no") == [f"{DD}-B1", f"{DD}-B2"]
    with pytest.raises(NotFound, match="VIP-2099-000001"):
        report("amendments", states, profile, contract="VIP-2099-000001")


# ---------------------------------------------------------------- notices
def test_notices_delivered_returned_and_pending(states, profile):
    rep = report("notices", states, profile)
    got = [(r["notice_id"], r["contract_no"], r["kind"], r["method"], r["to"], r["sent_on"],
            r["deemed_delivered_on"], r["outcome"], r["overdue"], r["to_address_in_force"]) for r in rep.rows]
    assert got == [
        ("N-000002", C, "解除通知", "快递/EMS", OLD_ADDRESS, D("2026-06-01"), D("2026-06-03"),
         "已签收 2026-06-03", False, True),
        ("N-000001", A, "续签提醒", "快递/EMS", OLD_ADDRESS, D("2026-08-28"), D("2026-08-30"),
         "已签收 2026-08-30", False, True),
        ("N-000003", DD, "付款提醒", "快递/EMS", OLD_ADDRESS, D("2026-10-10"), None,
         "无法投递退回 2026-10-15", False, False),
        ("N-000004", DD, "付款提醒", "快递/EMS", NEW_ADDRESS, D("2026-11-10"), D("2026-11-13"),
         "待签收（邮寄）", True, True),
    ]
    stale, late = rep.rows[2], rep.rows[3]
    assert stale["address_in_force"] == NEW_ADDRESS and "不是当时有效的地址" in stale["remark"]
    assert late["remark"] == "已过视为送达日 2026-11-13，尚无签收记录，请核实投递情况"
    assert totals(rep) == {"通知份数": 4, "截至基准日已送达": 3, "待签收": 1, "逾期未确认": 1, "寄往非有效地址": 1}
    # the note says the day the agreements state, not a placeholder
    assert "交邮后第 3 日中最早的一日" in rep.notes[0] and " N " not in "".join(rep.notes)


def test_no_report_note_prints_a_placeholder(states, profile):
    for name, filters in (("expiring", {}), ("renewals", {}), ("amendments", {}), ("notices", {}),
                          ("deadlines", {}), ("receivables", {})):
        for note in report(name, states, profile, **filters).notes:
            assert "第 N " not in note and " N 日" not in note and "N 日" not in note, (name, note)


def test_pending_notices_and_the_deemed_day_not_yet_past(states, profile):
    rep = report("notices", states, profile, pending=True)
    assert rep.title == "待送达的通知" and column(rep, "notice_id") == ["N-000004"]
    # on 2026-11-12 the courier notice is not yet deemed delivered: pending, not flagged
    before = report("notices", states, profile, as_of=D("2026-11-12"), pending=True)
    assert [(r["notice_id"], r["overdue"], r["remark"]) for r in before.rows] == [("N-000004", False, None)]
    # notices sent after the as-of date are not listed
    assert column(report("notices", states, profile, as_of=D("2026-09-01")), "notice_id") == ["N-000002", "N-000001"]
    empty = report("notices", states, profile, as_of=D("2026-06-01"), pending=True)
    assert column(empty, "notice_id") == ["N-000002"]
    assert report("notices", states, profile, as_of=D("2026-05-01"), pending=True).empty_message == \
        "截至 2026-05-01 没有待送达的通知。"


# ---------------------------------------------------------------- deadlines
def test_deadlines_with_the_holiday_shift_and_provisional_dates(states, profile):
    rep = report("deadlines", states, profile, date_from=D("2026-09-01"), date_to=D("2027-01-31"))
    got = [(r["due_on"], r["kind"], r["contract_no"], r["amount"], r["shifted_from"], r["provisional"])
           for r in rep.rows]
    assert got == [
        (D("2026-09-26"), "到期提醒（提前60日）", A, None, None, False),
        (D("2026-10-08"), "付款截止", DD, Decimal("15800.00"), D("2026-10-01"), False),
        (D("2026-10-26"), "续签意向截止", A, None, None, False),
        (D("2026-10-26"), "到期提醒（提前30日）", A, None, None, False),
        (D("2026-11-18"), "到期提醒（提前7日）", A, None, None, False),
        (D("2027-01-25"), "付款截止", B, Decimal("16800"), None, True),
    ]
    shifted = rep.rows[1]
    assert shifted["rule"] == "期间最后一日为法定休假日，顺延至休假日结束的次日（民法典第二百零三条）"
    assert shifted["detail"] == "第2服务年度（2026-09-16 至 2027-09-15）服务费；尚未付款"
    assert (shifted["paid"], shifted["outstanding"], shifted["settled"]) == (Decimal("0.00"), Decimal("15800.00"), False)
    assert rep.rows[0]["detail"] == "期限最后一日 2026-11-25；60日 漏发 2026-09-26"
    # B's reminders belong to its renewal term (2031): none in the period
    assert totals(rep) == {"期限条数": 6, "付款截止": 2, "应付金额合计（元）": Decimal("32600.00"),
                           "遇休假日顺延": 1, "暂定日期": 1, "已付清": 0, "尚欠合计（元）": Decimal("32600.00")}
    assert any("第二百零三条" in n for n in rep.notes) and any("暂定" in n for n in rep.notes)


def test_receivables_longest_overdue_first_with_ageing_and_late_fees(states, profile):
    """C (terminated by notice in its year 2, nothing paid): year 1 whole, year 2 pro rata to the
    day (clause 12.3: 85 of 365 days, 12,800 × 85 / 365 = 2,980.82, the late fee on that); D:
    year 2 (15,800, due 2026-10-08 after the National Day shift) unpaid; A and B paid in full."""
    rep = report("receivables", states, profile)
    got = [(r["contract_no"], r["service_year"], r["due_on"], r["outstanding"], r["days_overdue"],
            r["ageing"], r["late_fee"], r["rights"]) for r in rep.rows]
    assert got == [
        (C, 1, D("2025-03-25"), Decimal("12800.00"), 609, ">90日", Decimal("961.05"), None),
        (C, 2, D("2026-03-25"), Decimal("2980.82"), 244, ">90日", Decimal("89.67"), None),
        (DD, 2, D("2026-10-08"), Decimal("15800.00"), 47, "31-60日", Decimal("91.55"),
         "逾期超过 30 日：可书面通知暂停服务"),
    ]
    assert [r["status"] for r in rep.rows] == ["已解除", "已解除", "逾期付款"]
    assert totals(rep) == {
        "未付清的服务年度": 3, "涉及合同份数": 2, "应付合计（元）": Decimal("31580.82"),
        "已付合计（元）": Decimal("0.00"), "尚欠合计（元）": Decimal("31580.82"), "应退合计（元）": Decimal("0.00"),
        "逾期未付合计（元）": Decimal("31580.82"), "其中≤30日（元）": Decimal("0.00"),
        "其中31-60日（元）": Decimal("15800.00"), "其中61-90日（元）": Decimal("0.00"),
        "其中>90日（元）": Decimal("15780.82"), "违约金合计（元）": Decimal("1142.27"),
        "违约金尚欠合计（元）": Decimal("1142.27")}
    assert [r["settlement"] for r in rep.rows][:2] == [
        "2026-06-03 解除；应于 2026-07-03 前结清",
        "2026-06-03 解除，年服务费 12,800.00 元按 85/365 日折算；应于 2026-07-03 前结清"]
    early = report("receivables", states, profile, as_of=D("2026-10-08"))
    assert [(r["contract_no"], r["days_overdue"], r["ageing"]) for r in early.rows][-1] == (DD, 0, "未逾期")
    assert report("receivables", [], profile).empty_message == "登记簿中还没有合同。"


def test_renewal_notice_deadline_moves_to_a_working_day(states, profile):
    import dataclasses

    # A's last day 2026-11-25 less 55 days is 2026-10-01 (National Day): moved to 2026-10-08.
    # The period is the one A's agreement printed when it was issued.
    printed = [dataclasses.replace(st, issued=dataclasses.replace(st.issued, renewal_notice_days=55))
               if st.contract_no == A else st for st in states]
    rep = report("deadlines", printed, profile, date_from=D("2026-10-01"), date_to=D("2026-10-31"))
    row = next(r for r in rep.rows if r["kind"] == "续签意向截止")
    assert (row["due_on"], row["shifted_from"], row["contract_no"]) == (D("2026-10-08"), D("2026-10-01"), A)
    assert "第二百零三条" in row["rule"]
    assert row["detail"] == "期限最后一日 2026-11-25 前 55 日提出续签意向"


def test_renewal_notice_period_is_the_one_issued_not_a_later_profile_edit(states, profile):
    import dataclasses

    assert {st.issued.renewal_notice_days for st in states} == {profile.renewal_notice_days}
    edited = dataclasses.replace(profile, renewal_notice_days=55)
    window = {"date_from": D("2020-01-01"), "date_to": D("2040-12-31")}
    before = [r for r in report("deadlines", states, profile, **window).rows if r["kind"] == "续签意向截止"]
    after = [r for r in report("deadlines", states, edited, **window).rows if r["kind"] == "续签意向截止"]
    assert before and before == after


def test_deadlines_default_window_is_a_year_from_the_as_of_date(states, profile):
    rep = report("deadlines", states, profile)
    assert rep.notes[0] == "期间：2026-11-24 至 2027-11-24。"
    assert min(column(rep, "due_on")) >= AS_OF and max(column(rep, "due_on")) <= D("2027-11-24")
    # A's last deadlines are past; C is terminated; E is a draft
    assert {r["contract_no"] for r in rep.rows} == {B, DD}


def test_deadlines_calendar_events(states, profile):
    rep = report("deadlines", states, profile, date_from=D("2026-09-01"), date_to=D("2027-01-31"))
    uids = [e.uid for e in rep.calendar_events]
    assert len(uids) == len(set(uids)) == 6
    pay = next(e for e in rep.calendar_events if e.uid == f"{DD}-payment-2@vipcontract")
    assert pay.date == D("2026-10-08") and pay.summary == f"收服务费 15,800.00 元：王芳 {DD}" and pay.alarm
    assert "原定 2026-10-01" in pay.description and "15,800.00 元" in pay.description


def test_a_reminder_has_the_same_uid_in_both_calendars(states, profile):
    a = next(s for s in states if s.contract_no == A)
    expiring = {e.uid: e.date for e in expiring_report([a], AS_OF, profile).calendar_events}
    deadlines = {e.uid: e.date for e in report("deadlines", [a], profile, date_from=D("2026-08-01"),
                                                    date_to=D("2026-11-30")).calendar_events}
    shared = {uid for uid in deadlines if "reminder" in uid}
    assert len(shared) == 4 and all(expiring[uid] == deadlines[uid] for uid in shared)


# ---------------------------------------------------------------- the terminal
@pytest.mark.parametrize("name", ["expiring", "renewals", "amendments", "notices", "deadlines"])
def test_terminal_text_fits_80_columns(states, profile, name):
    rep = report(name, states, profile, **({"date_from": D("2026-01-01")} if name != "expiring"
                                           and name != "notices" else {}))
    text = render_text(terminal_view(rep))
    assert all(text_width(line) <= 80 for line in text.splitlines()), text
    assert "┌" in text, f"{name}: not a table at 80 columns\n{text}"  # a table, not the record layout
    for label, _value in rep.totals:
        assert label in text
    assert "11010519491231002X" not in text


def test_terminal_view_keeps_the_main_columns(states, profile):
    rep = report("notices", states, profile)
    view = terminal_view(rep)
    # stacked: the notice over its kind, the contract over the customer, the outcome over the remark
    assert [c.key for c in view.columns] == ["notice_id+kind", "contract_no+customer", "sent_on",
                                             "deemed_delivered_on", "outcome+remark"]
    assert view.columns[1].label == "合同编号\n客户"
    assert view.rows[3]["outcome+remark"].startswith("待签收（邮寄）\n已过视为送达日")
    assert "--wide" in view.notes[-1] and "--format" in view.notes[-1]


# ---------------------------------------------------------------- files read back
def test_csv_read_back(states, profile):
    rep = report("expiring", states, profile)
    data = render_report(rep, "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["合同编号", "客户", "证件号码"]
    assert [r[0] for r in rows[1:]] == [A, B]
    assert rows[1][2] == "110105********002X" and rows[1][5] == "2026-11-25" and rows[1][7] == "12800.00"
    assert rows[2][8] == "是" and rows[2][10] == "2032-01-09"


def test_xlsx_read_back(states, profile, tmp_path):
    rep = report("deadlines", states, profile, date_from=D("2026-09-01"), date_to=D("2027-01-31"))
    path = S.save(rep, "xlsx", tmp_path / "deadlines.xlsx")
    wb = load_workbook(path)
    ws = wb.worksheets[0]
    assert ws.freeze_panes == "A2"
    assert [c.value for c in ws[1]] == [c.label for c in rep.columns]
    row = [c.value for c in ws[3]]
    assert row[0] == dt.datetime(2026, 10, 8) and row[1] == "付款截止" and row[2] == DD
    assert row[5] == 15800 and ws.cell(3, 6).number_format == "#,##0.00"
    assert row[6] == dt.datetime(2026, 10, 1) and row[8] == "否"
    assert ws.max_row == 7
    summary = {r[0].value: r[1].value for r in wb["汇总"].iter_rows()}
    assert summary["付款截止"] == 2 and summary["应付金额合计（元）"] == 32600


def test_json_read_back(states, profile):
    data = json.loads(render_report(report("amendments", states, profile), "json"))
    assert data["report"] == "amendments" and data["as_of"] == "2026-11-24" and "generated_at" not in data
    assert [r["doc_no"] for r in data["rows"]] == [f"{DD}-B1", f"{DD}-B2"]
    assert data["rows"][0]["signed_on"] == "2026-01-05" and data["rows"][0]["in_force"] is True
    expiring = json.loads(render_report(report("expiring", states, profile), "json"))
    assert expiring["rows"][0]["annual_fee"] == "12800.00" and expiring["chart"]["counts"][0] == 1


def test_ics_read_back(states, profile):
    cal = Calendar.from_ical(render_report(report("deadlines", states, profile, date_from=D("2026-09-01"),
                                                  date_to=D("2027-01-31")), "ics"))
    events = [c for c in cal.walk("VEVENT")]
    assert len(events) == 6
    pay = next(e for e in events if str(e["uid"]) == f"{DD}-payment-2@vipcontract")
    assert pay.decoded("dtstart") == D("2026-10-08") and pay.decoded("dtend") == D("2026-10-09")
    assert str(pay["summary"]) == f"收服务费 15,800.00 元：王芳 {DD}"
    [alarm] = pay.walk("VALARM")
    assert str(alarm["action"]) == "DISPLAY" and alarm.decoded("trigger") == dt.timedelta(hours=9)
    assert str(alarm["description"]) == f"收服务费 15,800.00 元：王芳 {DD}"
    expiring = Calendar.from_ical(render_report(report("expiring", states, profile), "ics"))
    by_uid = {str(e["uid"]).removesuffix("@vipcontract"): e for e in expiring.walk("VEVENT")}
    last = by_uid[f"{A}-T1-last-day"]
    assert last.decoded("dtstart") == D("2026-11-25") and "尚未约定续签" in str(last["description"])
    # each reminder still to be sent alerts at 09:00 on its day; a renewed contract's are absent
    due = by_uid[f"{A}-T1-reminder-7"]
    assert due.decoded("dtstart") == D("2026-11-18") and str(due["summary"]) == f"发续签提醒（到期前7日）：张三 {A}"
    assert [a.decoded("trigger") for a in due.walk("VALARM")] == [dt.timedelta(hours=9)]
    assert not by_uid[f"{A}-T1-reminder-90"].walk("VALARM")  # sent already
    assert not any(uid.startswith(f"{B}-T1-reminder") for uid in by_uid)


@pytest.mark.slow
def test_pdf_read_back(states, profile, tmp_path):
    rep = report("expiring", states, profile)
    path = S.save(rep, "pdf", tmp_path / "expiring.pdf")
    with pdfplumber.open(path) as pdf:
        text = "\n".join(page.extract_text() or "" for page in pdf.pages)
        tables = [t for page in pdf.pages for t in page.extract_tables()]
    assert "即将到期的协议" in text and "基准日：2026-11-24" in text and "第 1 页" in text
    assert "上表所列协议按期限最后一日所在月份计数（合计 2）" in text
    cells = [[c or "" for c in row] for t in tables for row in t]
    assert any(row and row[0] == A and "2026-11-25" in row for row in cells)
    # the customer column holds a name on one line (it was squeezed to 张/三 by the reminders)
    assert any(row and row[0] == A and "张三" in row for row in cells)
    assert any(row and row[0] == B and "北京某某科技有限公司" in "".join(row).replace("\n", "") for row in cells)
    assert any(row and row[0] == B for row in cells)
    assert "PDF 只列出主要各列" in text and "11010519491231002X" not in text


# ---------------------------------------------------------------- reproducible; empty
def digests(rep, formats):
    return {fmt: hashlib.sha256(S.render(rep, fmt)).hexdigest() for fmt in formats}


def test_the_same_register_gives_the_same_bytes(register_path, profile):
    fast = ("table", "csv", "xlsx", "json", "ics")
    first, second = TinyDBStore(register_path), TinyDBStore(register_path)
    try:
        for name in ("expiring", "deadlines"):
            one = S.report_from_store(first, profile, name, AS_OF)
            two = S.report_from_store(second, profile, name, AS_OF)
            assert digests(one, fast) == digests(two, fast)
    finally:
        first.close()
        second.close()


@pytest.mark.slow
def test_the_same_register_gives_the_same_pdf(states, profile):
    assert S.render(report("expiring", states, profile), "pdf") == \
        S.render(report("expiring", list(reversed(states)), profile), "pdf")


@pytest.mark.parametrize("name", ["expiring", "renewals", "amendments", "notices", "deadlines"])
def test_an_empty_register(profile, name, tmp_path):
    rep = S.report_from_store(MemoryStore(), profile, name, AS_OF)
    assert rep.is_empty and rep.empty_message == "登记簿中还没有合同。"
    rows = list(csv.reader(io.StringIO(S.render(rep, "csv").decode("utf-8-sig"))))
    assert rows == [[c.label for c in rep.columns]]
    ws = load_workbook(S.save(rep, "xlsx", tmp_path)).worksheets[0]
    assert [c.value for c in ws[1]] == [c.label for c in rep.columns] and ws.max_row == 1
    assert "登记簿中还没有合同。" in render_text(terminal_view(rep))


def test_build_report_on_states_in_memory(states, profile):
    rep = S.build_report("expiring", states, AS_OF, profile, within=None, generated_at=None)
    assert column(rep, "contract_no") == [A, B]
    with pytest.raises(InvalidInput, match="没有名为 overdue 的报表"):
        S.build_report("overdue", states, AS_OF, profile)


def test_output_checks(tmp_path):
    S.check_output("expiring", "ics", tmp_path / "x.ics")
    S.check_output("notices", "json", None)
    with pytest.raises(InvalidInput, match="ICS（日历）格式只适用于 expiring 和 deadlines"):
        S.check_output("notices", "ics", tmp_path / "x.ics")
    with pytest.raises(InvalidInput, match="请用 --out 指定文件名"):
        S.check_output("renewals", "xlsx", None)
    with pytest.raises(InvalidInput, match="格式“doc”无效"):
        S.check_output("renewals", "doc", None)


def test_out_may_be_a_directory(states, profile, tmp_path):
    path = S.save(report("renewals", states, profile), "csv", tmp_path)
    assert path == tmp_path / "report-renewals-2026-11-24.csv" and path.exists()
