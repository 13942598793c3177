"""The register's reports: pure views of the contract histories, each returned as a `Report`.

A report is computed from `ContractState`s (see contracts.register.replay), an as-of date, the
company profile and the report's filters (and `register_empty`, when the states given are only
those the report could list: see service/summaries.py); it never reads a clock, a file or the store, and it
keeps no state of its own. Rows are sorted on fixed keys, so the same histories and the same
as-of date give the same `Report` (and, through renderers/report_files.py, the same bytes).

Reports (name -> function):

- ``expiring``   `expiring_report`: contracts whose term ends within a window; renewal agreed
  or not; the reminders at the profile's lead times (sent / due / missed / upcoming).
- ``renewals``   `renewals_report`: renewals signed in a period, old and new last day, new fee.
- ``amendments`` `amendments_report`: every 补充协议, what changed (old → new), signed, effective.
- ``notices``    `notices_report`: notices sent, deemed delivery, outcome; flags for follow-up.
- ``deadlines``  `deadlines_report`: payment due dates (holiday-shifted), the renewal-notice
  deadline and the reminder days, in a period.
- ``receivables`` `receivables_report`: each service year begun by the as-of date and not paid
  in full: due, paid, outstanding, days overdue, ageing and late fee (contracts.payments).

`terminal_view` and `pdf_view` cut a report down to the columns that read well on an 80-column
terminal and on an A4 page; CSV, XLSX and JSON carry every column. `consolidated_context` is the
context of the reading copy of an agreement with the changes in force on a date applied
(templates/agreement with templates/consolidated laid over it, see service/reports.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import cn2an

from . import payments as money
from .agreement import ContractParams, agreement_context, cn_date, due_cell, late_fee_terms
from .amounts import rmb_figures
from .dates import DeliveryMethod
from .errors import InvalidInput, NotFound, Problem
from .events import NoticeKind, ReturnReason
from .profile import Profile
from .register import (
    AMENDABLE,
    ContractState,
    NoticeView,
    Status,
    Term,
    agreed_profile,
    agreed_terms,
    arrears_on,
    current_term,
    notice_views,
    payment_deadlines,
    status_on,
    suspend_days,
    terminate_days,
    terms_in_force,
    unbegun_years,
    undeemed_reason,
)
from .report_model import (
    CalendarEvent,
    Column,
    ColumnKind,
    LaterEvents,
    MonthlyChart,
    Report,
    Total,
    amount_figures,
    display_value,
    monthly_chart,
)
from .settlement import SETTLEMENT_DAYS
from .workdays import shift_to_workday

ONE_DAY = dt.timedelta(days=1)
UID_DOMAIN = "vipcontract"
DEADLINE_WINDOW_DAYS = 365  # `deadlines` without --to: one year from --from
EMPTY_REGISTER = "登记簿中还没有合同。"
METHOD_LABELS = {DeliveryMethod.PERSONAL: "直接送达", DeliveryMethod.COURIER: "快递/EMS",
                 DeliveryMethod.EMAIL: "电子邮件"}

TEXT, DATE, AMOUNT, INT, ID, FLAG = (ColumnKind.TEXT, ColumnKind.DATE, ColumnKind.AMOUNT,
                                     ColumnKind.INT, ColumnKind.ID, ColumnKind.FLAG)


def _d(day: dt.date | None) -> str:
    return day.isoformat() if day else ""


def _period_text(date_from: dt.date | None, date_to: dt.date | None) -> str:
    if date_from and date_to:
        return f"{date_from} 至 {date_to}"
    if date_from:
        return f"{date_from} 起"
    if date_to:
        return f"截至 {date_to}"
    return "全部"


def _in_period(day: dt.date, date_from: dt.date | None, date_to: dt.date | None) -> bool:
    return (date_from is None or day >= date_from) and (date_to is None or day <= date_to)


def _no_contracts(states: Sequence[ContractState], register_empty: bool | None) -> bool:
    """Whether the register is empty: `register_empty` when the caller gave only the contracts
    the report could list (service/summaries.py), else whether no state was given."""
    return not states if register_empty is None else register_empty


def check_period(date_from: dt.date | None, date_to: dt.date | None) -> None:
    if date_from and date_to and date_from > date_to:
        raise InvalidInput(Problem("from", f"起始日期 {date_from} 晚于截止日期 {date_to}"))


def _live(state: ContractState, as_of: dt.date) -> bool:
    """Signed by as_of, neither voided nor terminated by then."""
    if state.signed is None or state.signed.signed_on > as_of or not state.terms:
        return False
    if state.voided is not None:
        return False
    return state.terminated is None or state.terminated.effective_on > as_of


def _ends_by_termination(state: ContractState, last_day: dt.date) -> bool:
    return state.terminated is not None and state.terminated.effective_on <= last_day


def _next_term(state: ContractState, term: Term, as_of: dt.date | None = None) -> Term | None:
    """The renewal term that follows `term`, if agreed (signed on or before as_of, when given)."""
    return next((t for t in state.terms if t.number == term.number + 1
                 and (as_of is None or t.signed_on <= as_of)), None)


# ---------------------------------------------------------------- reminders
SENT, DUE, MISSED, UPCOMING, NOT_NEEDED = "sent", "due", "missed", "upcoming", "not_needed"
REMINDER_LABELS = {SENT: "已发", DUE: "应发", MISSED: "漏发", UPCOMING: "未到", NOT_NEEDED: "无需（已续签）"}


@dataclass(frozen=True)
class Reminder:
    """The renewal reminder `lead_days` before a term's last day, as it stands on an as-of date.

    state: sent (a renewal-reminder notice was sent in its window), due (its day has come, its
    window is open, nothing sent), missed (its window closed without a notice), upcoming (its day
    is after the as-of date) or not_needed (the renewal was agreed before its window closed).
    A reminder's window runs from its day to the day before the next (shorter) reminder's day,
    the last one's to the term's last day; a notice sent earlier in the term counts for the first.
    """

    lead_days: int
    day: dt.date
    state: str
    notice_id: str = ""
    deemed_delivered_on: dt.date | None = None

    @property
    def text(self) -> str:
        head = f"{self.lead_days}日 {REMINDER_LABELS[self.state]}"
        if self.state == SENT:
            delivered = (f"视为送达 {self.deemed_delivered_on}" if self.deemed_delivered_on
                         else "尚未送达")
            return f"{head} {self.notice_id} {delivered}"
        if self.state == NOT_NEEDED:
            return head
        return f"{head} {self.day}"


def reminders(
    state: ContractState, term: Term, as_of: dt.date, profile: Profile,
    views: Sequence[NoticeView] | None = None,
) -> list[Reminder]:
    """Each reminder of `term` at the profile's lead times (longest first) on `as_of`."""
    leads = sorted(set(profile.reminder_days), reverse=True)
    views = notice_views(state) if views is None else views
    sent = sorted((v for v in views if v.kind is NoticeKind.RENEWAL_REMINDER
                   and v.sent_on <= as_of and term.first_day <= v.sent_on <= term.last_day),
                  key=lambda v: (v.sent_on, v.notice_id))
    renewal = _next_term(state, term, as_of)
    result = []
    for i, lead in enumerate(leads):
        day = term.last_day - dt.timedelta(days=lead)
        start = term.first_day if i == 0 else day
        end = term.last_day - dt.timedelta(days=leads[i + 1]) - ONE_DAY if i + 1 < len(leads) \
            else term.last_day
        notice = next((v for v in sent if start <= v.sent_on <= end), None)
        if notice is not None:
            result.append(Reminder(lead, day, SENT, notice.notice_id, notice.deemed_delivered_on))
        elif renewal is not None and renewal.signed_on <= end:
            result.append(Reminder(lead, day, NOT_NEEDED))
        elif day > as_of:
            result.append(Reminder(lead, day, UPCOMING))
        elif end < as_of:
            result.append(Reminder(lead, day, MISSED))
        else:
            result.append(Reminder(lead, day, DUE))
    return result


def arrears_text(late: money.Arrears, as_of: dt.date) -> str:
    if not late.days:
        return f"截至 {as_of} 没有逾期未付的服务费"
    return f"截至 {as_of} 逾期 {late.days} 日，尚欠服务费 {amount_figures(late.outstanding)} 元"


def paid_text(account: money.YearAccount) -> str:
    """What was paid towards a service year by the as-of date, as a person reads it."""
    if account.outstanding <= 0:
        return f"已付清（{account.settled_on}）" if account.settled_on else "已付清"
    if account.paid:
        return f"已付 {amount_figures(account.paid)} 元，尚欠 {amount_figures(account.outstanding)} 元"
    return "尚未付款"


def _uid(*parts: object) -> str:
    return "-".join(str(p) for p in parts) + f"@{UID_DOMAIN}"


# what a calendar shows first, before the customer and the contract: what is due that day
REMINDER_SUMMARIES = {DUE: "发续签提醒", UPCOMING: "发续签提醒", SENT: "续签提醒已发", MISSED: "续签提醒漏发"}


def reminder_event(state: ContractState, name: str, term: Term, item: Reminder) -> CalendarEvent | None:
    """A reminder's calendar entry, the same in `expiring` and `deadlines` (one uid): none when
    the renewal made it unnecessary; an alarm only while it is still to be sent."""
    if item.state == NOT_NEEDED:
        return None
    return CalendarEvent(
        _uid(state.contract_no, f"T{term.number}", "reminder", item.lead_days), item.day,
        f"{REMINDER_SUMMARIES[item.state]}（到期前{item.lead_days}日）：{name} {state.contract_no}",
        f"期限最后一日 {term.last_day}；{item.text}", alarm=item.state in (DUE, UPCOMING))


# ---------------------------------------------------------------- expiring
EXPIRING_COLUMNS = (
    Column("contract_no", "合同编号", TEXT, text=True),
    Column("customer", "客户", TEXT),
    Column("customer_id", "证件号码", ID),
    Column("phone", "联系电话", TEXT, text=True),
    Column("status", "状态", TEXT),
    Column("last_day", "期限最后一日", DATE),
    Column("days_left", "剩余天数", INT),
    Column("annual_fee", "年服务费（元）", AMOUNT),
    Column("renewal_agreed", "已续签", FLAG),
    Column("renewal_doc", "续签协议", TEXT, text=True),
    Column("new_last_day", "续签后最后一日", DATE),
    Column("reminders", "到期提醒", TEXT),
    Column("outstanding", "逾期未付（元）", AMOUNT),
    Column("days_overdue", "逾期天数", INT),
)


def expiring_report(
    states: Iterable[ContractState], as_of: dt.date, profile: Profile, *, within: int | None = None,
    generated_at: dt.datetime | None = None, register_empty: bool | None = None,
) -> Report:
    """Contracts in force on `as_of` whose current term's last day is within `within` days
    (default: the profile's expiry warning days), by last day; a chart of those rows per month
    of their last day; calendar events for the last days and the reminder days."""
    states = list(states)
    within = profile.expiry_warning_days if within is None else within
    if within < 0:
        raise InvalidInput(Problem("within", "天数不能为负数"))
    horizon = as_of + dt.timedelta(days=within)
    rows: list[dict[str, Any]] = []
    events: list[CalendarEvent] = []
    counts = {DUE: 0, MISSED: 0}
    fees = Decimal("0")
    for state in states:
        if not _live(state, as_of):
            continue
        term = current_term(state, as_of)
        if term is None or not as_of <= term.last_day <= horizon or _ends_by_termination(state, term.last_day):
            continue
        terms = terms_in_force(state, as_of)
        customer = terms.customer
        renewal = _next_term(state, term, as_of)
        items = reminders(state, term, as_of, profile)
        for item in items:
            if item.state in counts:
                counts[item.state] += 1
        fees += terms.annual_fee
        late = arrears_on(state, as_of, profile)
        rows.append({
            "contract_no": state.contract_no, "customer": customer.name,
            "customer_id": customer.masked_identity(), "phone": customer.phone,
            "status": status_on(state, as_of, profile, late).label, "last_day": term.last_day,
            "days_left": (term.last_day - as_of).days, "annual_fee": terms.annual_fee,
            "renewal_agreed": renewal is not None, "renewal_doc": renewal.doc_no if renewal else None,
            "new_last_day": renewal.last_day if renewal else None,
            "reminders": "；\n".join(r.text for r in items),
            "outstanding": late.outstanding if late.days else None,
            "days_overdue": late.days or None,
        })
        renewed = f"已续签（{renewal.doc_no}），续签后最后一日 {renewal.last_day}" if renewal else "尚未约定续签"
        events.append(CalendarEvent(
            _uid(state.contract_no, f"T{term.number}", "last-day"), term.last_day,
            f"{'协议期满（已续签）' if renewal else '协议到期'}：{customer.name} {state.contract_no}",
            f"期限最后一日 {term.last_day}；{renewed}；{arrears_text(late, as_of)}", alarm=renewal is None))
        events += filter(None, (reminder_event(state, customer.name, term, item) for item in items))
    rows.sort(key=lambda r: (r["last_day"], r["contract_no"]))
    events.sort(key=lambda e: (e.date, e.uid))
    renewed_count = sum(1 for r in rows if r["renewal_agreed"])
    overdue = [r for r in rows if r["days_overdue"]]
    leads = "、".join(str(d) for d in sorted(set(profile.reminder_days), reverse=True)) or "（未设置）"
    return Report(
        name="expiring",
        title="即将到期的协议",
        as_of=as_of,
        columns=EXPIRING_COLUMNS,
        rows=tuple(rows),
        totals=(Total("到期协议份数", len(rows)), Total("已约定续签", renewed_count),
                Total("尚未约定续签", len(rows) - renewed_count), Total("应发提醒", counts[DUE]),
                Total("漏发提醒", counts[MISSED]), Total("年服务费合计（元）", fees),
                Total("逾期付款份数", len(overdue)),
                Total("逾期未付合计（元）", sum((r["outstanding"] for r in overdue), money.ZERO))),
        notes=(f"到期窗口：{as_of} 至 {horizon}（{within} 日）。",
               f"到期提醒在期限最后一日前 {leads} 日（公司档案 reminder_days）；“已发”指已登记续签提醒通知，"
               "“应发”指已到提醒日尚未发出，“漏发”指该次提醒的期间已过而未发出。",
               f"“逾期未付”：截至 {as_of} 已过付款期限仍未付清的服务费（协议 8.3、8.4 条）。",
               "身份证号已遮蔽显示。"),
        generated_at=generated_at,
        calendar_events=tuple(events),
        chart=_expiring_chart(rows, as_of, horizon),
        empty_message=EMPTY_REGISTER if _no_contracts(states, register_empty) else
        f"{as_of} 起 {within} 日内没有到期的协议。",
    )


def _expiring_chart(rows: Sequence[dict], as_of: dt.date, horizon: dt.date) -> MonthlyChart | None:
    """The table's contracts counted by the month of the listed last day, over the window's
    months: a reader who adds up the bars gets the rows above (a chart of every expiry ahead
    counted contracts the table does not show and missed renewed ones it does)."""
    if not rows:
        return None
    months = (horizon.year - as_of.year) * 12 + horizon.month - as_of.month + 1
    return monthly_chart((r["last_day"] for r in rows), as_of, months,
                         "上表所列协议按期限最后一日所在月份计数")


# ---------------------------------------------------------------- renewals
RENEWAL_COLUMNS = (
    Column("doc_no", "续签协议编号", TEXT, text=True),
    Column("contract_no", "合同编号", TEXT, text=True),
    Column("customer", "客户", TEXT),
    Column("signed_on", "签署日期", DATE),
    Column("old_last_day", "原期限最后一日", DATE),
    Column("new_first_day", "续签期限起始日", DATE),
    Column("new_last_day", "续签期限最后一日", DATE),
    Column("years", "续签年限", INT),
    Column("old_fee", "原年服务费（元）", AMOUNT),
    Column("new_fee", "续签年服务费（元）", AMOUNT),
)


def renewals_report(
    states: Iterable[ContractState], as_of: dt.date, profile: Profile, *,
    date_from: dt.date | None = None, date_to: dt.date | None = None,
    generated_at: dt.datetime | None = None, register_empty: bool | None = None,
) -> Report:
    """Every renewal signed in [date_from, date_to] (both optional), by signing date."""
    check_period(date_from, date_to)
    states = list(states)
    rows: list[dict[str, Any]] = []
    for state in states:
        if state.voided is not None:
            continue
        for term in state.terms[1:]:
            if not _in_period(term.signed_on, date_from, date_to):
                continue
            old_last = term.first_day - ONE_DAY
            rows.append({
                "doc_no": term.doc_no, "contract_no": state.contract_no,
                "customer": terms_in_force(state, as_of).customer.name, "signed_on": term.signed_on,
                "old_last_day": old_last, "new_first_day": term.first_day, "new_last_day": term.last_day,
                "years": term.years, "old_fee": terms_in_force(state, old_last).annual_fee,
                "new_fee": terms_in_force(state, term.first_day).annual_fee,
            })
    rows.sort(key=lambda r: (r["signed_on"], r["doc_no"]))
    period = _period_text(date_from, date_to)
    return Report(
        name="renewals",
        title="续签协议",
        as_of=as_of,
        columns=RENEWAL_COLUMNS,
        rows=tuple(rows),
        totals=(Total("续签协议份数", len(rows)),
                Total("续签后年服务费合计（元）", sum((r["new_fee"] for r in rows), Decimal("0")))),
        notes=(f"签署日期：{period}。",),
        generated_at=generated_at,
        empty_message=EMPTY_REGISTER if _no_contracts(states, register_empty) else
        f"签署日期在 {period} 的续签协议：没有。",
    )


# ---------------------------------------------------------------- amendments
AMENDMENT_COLUMNS = (
    Column("doc_no", "补充协议编号", TEXT, text=True),
    Column("contract_no", "合同编号", TEXT, text=True),
    Column("customer", "客户", TEXT),
    Column("changes", "变更内容（原约定 → 变更后）", TEXT),
    Column("signed_on", "签署日期", DATE),
    Column("effective_on", "生效日期", DATE),
    Column("in_force", "已生效", FLAG),
)


def change_value(field: str, value: str) -> str:
    """A changed value as a person reads it: fees with separators and 元, empty as （无）."""
    if not value:
        return "（无）"
    if field == "annual_fee":
        return f"{amount_figures(Decimal(value))}元"
    return value


def change_text(field: str, old: str, new: str) -> str:
    return f"{AMENDABLE.get(field, field)}：{change_value(field, old)} → {change_value(field, new)}"


def amendments_report(
    states: Iterable[ContractState], as_of: dt.date, profile: Profile, *, contract: str | None = None,
    date_from: dt.date | None = None, date_to: dt.date | None = None,
    generated_at: dt.datetime | None = None, register_empty: bool | None = None,
) -> Report:
    """Every 补充协议 signed in [date_from, date_to] (of one contract, if given), by signing date."""
    check_period(date_from, date_to)
    states = list(states)
    if contract:
        chosen = [s for s in states if s.contract_no == contract]
        if not chosen:
            raise NotFound(f"登记簿中没有合同 {contract}")
        states_in = chosen
    else:
        states_in = states
    rows: list[dict[str, Any]] = []
    for state in states_in:
        name = terms_in_force(state, as_of).customer.name
        for body in state.amendments:
            if not _in_period(body.signed_on, date_from, date_to):
                continue
            rows.append({
                "doc_no": body.doc_no, "contract_no": state.contract_no, "customer": name,
                "changes": "；\n".join(change_text(c.field, c.old, c.new) for c in body.changes),
                "signed_on": body.signed_on, "effective_on": body.effective_on,
                "in_force": body.effective_on <= as_of,
            })
    rows.sort(key=lambda r: (r["signed_on"], r["doc_no"]))
    period = _period_text(date_from, date_to)
    scope = f"合同 {contract}，" if contract else ""
    return Report(
        name="amendments",
        title="补充协议（变更记录）",
        as_of=as_of,
        columns=AMENDMENT_COLUMNS,
        rows=tuple(rows),
        totals=(Total("补充协议份数", len(rows)), Total("涉及合同份数", len({r["contract_no"] for r in rows})),
                Total("截至基准日已生效", sum(1 for r in rows if r["in_force"]))),
        notes=(f"{scope}签署日期：{period}。",),
        generated_at=generated_at,
        empty_message=EMPTY_REGISTER if _no_contracts(states, register_empty) else
        f"{scope}签署日期在 {period} 的补充协议：没有。",
    )


# ---------------------------------------------------------------- notices
NOTICE_COLUMNS = (
    Column("notice_id", "通知编号", TEXT, text=True),
    Column("contract_no", "合同编号", TEXT, text=True),
    Column("customer", "客户", TEXT),
    Column("kind", "类型", TEXT),
    Column("method", "方式", TEXT),
    Column("to", "寄往", TEXT),
    Column("sent_on", "发出日期", DATE),
    Column("deemed_delivered_on", "视为送达日", DATE),
    Column("delivered_on", "签收日期", DATE),
    Column("returned_on", "拒收/退回日期", DATE),
    Column("outcome", "送达情况", TEXT),
    Column("overdue", "逾期未确认", FLAG),
    Column("to_address_in_force", "寄往有效地址", FLAG),
    Column("address_in_force", "当时有效地址", TEXT),
    Column("remark", "提示", TEXT),
)


def _outcome(view: NoticeView, as_of: dt.date) -> tuple[str, bool]:
    """(送达情况, pending): pending = no receipt or return recorded by as_of (courier, personal)."""
    if view.returned_on is not None and view.returned_on <= as_of:
        reason = view.return_reason.label if view.return_reason else "退回"
        return f"{reason} {view.returned_on}", False
    if view.delivered_on is not None and view.delivered_on <= as_of:
        return f"已签收 {view.delivered_on}", False
    if view.method is DeliveryMethod.EMAIL:
        return "已发送至邮箱", False
    if view.method is DeliveryMethod.PERSONAL:
        return "待签收", True
    return "待签收（邮寄）", True


def notices_report(
    states: Iterable[ContractState], as_of: dt.date, profile: Profile, *, pending: bool = False,
    generated_at: dt.datetime | None = None, register_empty: bool | None = None,
) -> Report:
    """Every notice sent on or before as_of (only those without a receipt or return, with
    `pending`), by sending date; a courier or personal notice without a receipt past its deemed
    day, and a notice sent to an address that was not the one in force, are flagged."""
    states = list(states)
    rows: list[dict[str, Any]] = []
    listed: list[ContractState] = []
    for state in states:
        if not state.notices:
            continue
        name = terms_in_force(state, as_of).customer.name
        listed_before = len(rows)
        for view in notice_views(state):
            if view.sent_on > as_of:
                continue
            outcome, waiting = _outcome(view, as_of)
            if pending and not waiting:
                continue
            deemed = view.deemed_delivered_on
            overdue = waiting and deemed is not None and deemed < as_of
            remarks = []
            if overdue:
                remarks.append(f"已过视为送达日 {deemed}，尚无签收记录，请核实投递情况")
            if not view.to_address_in_force:
                remarks.append(f"寄往的不是当时有效的地址（应为 {view.address_in_force}）")
                why = undeemed_reason(view)
                if why:
                    remarks.append(why)
            if view.return_reason is ReturnReason.BOUNCED and view.returned_on and view.returned_on <= as_of:
                remarks.append("邮件被退回，未送达")
            rows.append({
                "notice_id": view.notice_id, "contract_no": state.contract_no, "customer": name,
                "kind": view.kind.label, "method": METHOD_LABELS[view.method], "to": view.to,
                "sent_on": view.sent_on, "deemed_delivered_on": deemed,
                "delivered_on": view.delivered_on, "returned_on": view.returned_on,
                "outcome": outcome, "overdue": overdue, "to_address_in_force": view.to_address_in_force,
                "address_in_force": view.address_in_force, "remark": "；".join(remarks) or None,
            })
        if len(rows) > listed_before:
            listed.append(state)
    rows.sort(key=lambda r: (r["sent_on"], r["notice_id"]))
    delivered = sum(1 for r in rows if r["deemed_delivered_on"] and r["deemed_delivered_on"] <= as_of)
    title = "待送达的通知" if pending else "通知送达情况"
    return Report(
        name="notices",
        title=title,
        as_of=as_of,
        columns=NOTICE_COLUMNS,
        rows=tuple(rows),
        totals=(Total("通知份数", len(rows)), Total("截至基准日已送达", delivered),
                Total("待签收", sum(1 for r in rows if r["outcome"].startswith("待签收"))),
                Total("逾期未确认", sum(1 for r in rows if r["overdue"])),
                Total("寄往非有效地址", sum(1 for r in rows if not r["to_address_in_force"]))),
        notes=("视为送达日依协议 13.5 条，取适用日期中最早的一日：直接送达为签收或拒收之日；快递/EMS 为签收之日、"
               f"在有效地址被拒收或退回之日、{_posted_day_text(listed, profile)}中最早的一日；"
               "电子邮件为进入指定邮箱之日（北京时间），被退回的不视为送达。",
               "“逾期未确认”：已过视为送达日，登记簿中仍没有签收或退回记录。"),
        generated_at=generated_at,
        empty_message=EMPTY_REGISTER if _no_contracts(states, register_empty) else
        (f"截至 {as_of} 没有待送达的通知。" if pending else f"截至 {as_of} 没有发出过通知。"),
    )


def _posted_day_text(listed: Sequence[ContractState], profile: Profile) -> str:
    """"交邮后第 3 日": the day each listed agreement states (clause 13.5 as issued, which a later
    profile does not change); the profile's day when nothing is listed."""
    days = sorted({state.issued.courier_deemed_days for state in listed}) or [profile.courier_deemed_days]
    if len(days) == 1:
        return f"交邮后第 {days[0]} 日"
    return f"交邮后第 {'、'.join(str(d) for d in days)} 日（以各协议约定为准）"


# ---------------------------------------------------------------- deadlines
DEADLINE_COLUMNS = (
    Column("due_on", "日期", DATE),
    Column("kind", "事项", TEXT),
    Column("contract_no", "合同编号", TEXT, text=True),
    Column("customer", "客户", TEXT),
    Column("detail", "说明", TEXT),
    Column("amount", "金额（元）", AMOUNT),
    Column("shifted_from", "原定日期", DATE),
    Column("rule", "顺延依据", TEXT),
    Column("provisional", "暂定", FLAG),
    Column("paid", "已付（元）", AMOUNT),
    Column("outstanding", "尚欠（元）", AMOUNT),
    Column("settled", "已付清", FLAG),
)
KIND_ORDER = {"付款截止": 0, "续签意向": 1, "到期提醒": 2}  # by the kind's first four characters


def deadline_window(as_of: dt.date, date_from: dt.date | None, date_to: dt.date | None
                    ) -> tuple[dt.date, dt.date]:
    start = date_from or as_of
    end = date_to or start + dt.timedelta(days=DEADLINE_WINDOW_DAYS)
    check_period(start, end)
    return start, end


# a day's shift past holidays depends on the day and the profile's holidays alone (a Deadline is
# frozen): a report of thousands of contracts asks about the same days again and again
_shift = functools.lru_cache(maxsize=1 << 16)(shift_to_workday)


def _payment_row(state: ContractState, name: str, account: money.YearAccount, profile: Profile) -> dict[str, Any]:
    item = account.deadline
    rule = _shift(item.shifted_from, profile.holidays).rule if item.shifted_from else None
    return {
        "due_on": item.due_on, "kind": "付款截止", "contract_no": state.contract_no, "customer": name,
        "detail": f"第{item.service_year}服务年度（{item.first_day} 至 {item.last_day}）服务费；"
                  f"{paid_text(account)}",
        "amount": item.amount, "shifted_from": item.shifted_from, "rule": rule,
        "provisional": item.provisional, "paid": account.paid, "outstanding": account.outstanding,
        "settled": account.outstanding <= 0, "_order": item.service_year,
        "_uid": (state.contract_no, "payment", item.service_year),
    }


def deadlines_report(
    states: Iterable[ContractState], as_of: dt.date, profile: Profile, *,
    date_from: dt.date | None = None, date_to: dt.date | None = None,
    generated_at: dt.datetime | None = None, register_empty: bool | None = None,
) -> Report:
    """Deadlines in [date_from, date_to] (default: as_of and one year on), by date: each service
    year's payment due date (8.3, holiday-shifted, 民法典 第二百零三条), the renewal-notice
    deadline (the last day of the final term less the profile's renewal_notice_days, shifted
    to a working day) and the reminder days of contracts not yet renewed."""
    start, end = deadline_window(as_of, date_from, date_to)
    states = list(states)
    rows: list[dict[str, Any]] = []
    for state in states:
        if state.signed is None or state.voided is not None or not state.terms:
            continue
        name = terms_in_force(state, as_of).customer.name
        due = [d for d in payment_deadlines(state, profile, as_of) if start <= d.due_on <= end]
        if due:  # what was paid is worked out only for contracts with a deadline in the window
            paid = money.accounts(due, state.payments, state.issued.late_fee, as_of, state.late_fee_settlements)
            rows += [_payment_row(state, name, account, profile) for account in paid]
        final = state.terms[-1]
        if _ends_by_termination(state, final.last_day):
            continue
        # as the agreement printed it; contracts recorded before it was kept use the profile's
        notice_days = state.issued.renewal_notice_days or profile.renewal_notice_days
        notice_day = final.last_day - dt.timedelta(days=notice_days)
        deadline = _shift(notice_day, profile.holidays)
        if start <= deadline.due_on <= end:
            rows.append({
                "due_on": deadline.due_on, "kind": "续签意向截止", "contract_no": state.contract_no,
                "customer": name, "shifted_from": deadline.shifted_from, "rule": deadline.rule or None,
                "detail": f"期限最后一日 {final.last_day} 前 {notice_days} 日提出续签意向",
                "provisional": deadline.provisional, "_order": final.number,
                "_uid": (state.contract_no, f"T{final.number}", "renewal-notice"),
            })
        reminder_days = (final.last_day - dt.timedelta(days=lead) for lead in profile.reminder_days)
        if not any(start <= day <= end for day in reminder_days):
            continue  # the notice history is read only for contracts with a reminder in the window
        for item in reminders(state, final, as_of, profile):
            if start <= item.day <= end:
                rows.append({
                    "due_on": item.day, "kind": f"到期提醒（提前{item.lead_days}日）",
                    "contract_no": state.contract_no,
                    "customer": name, "provisional": False, "_order": -item.lead_days,
                    "detail": f"期限最后一日 {final.last_day}；{item.text}",
                    "_event": (state, name, final, item),  # reminder_event's arguments
                })
    rows.sort(key=lambda r: (r["due_on"], r["contract_no"], KIND_ORDER[r["kind"][:4]], r["_order"]))
    later = [(r, r.pop("_uid", None), r.pop("_event", None)) for r in rows]
    for r in rows:
        del r["_order"]

    def events() -> Iterator[CalendarEvent]:
        for r, uid, reminder in later:
            if reminder is not None:  # a reminder: the expiring report's event
                event = reminder_event(*reminder)
                if event is not None:
                    yield event
            else:
                yield CalendarEvent(_uid(*uid), r["due_on"], _deadline_summary(r), _deadline_description(r),
                                    alarm=not r.get("settled"))
    payments = [r for r in rows if r["kind"] == "付款截止"]
    notes = [f"期间：{start} 至 {end}。"]
    if payments:
        notes.append(f"“已付”“尚欠”：截至基准日 {as_of} 登记的付款。")
    if any(r.get("shifted_from") for r in rows):
        notes.append("“原定日期”有值的，该期限的最后一日为法定休假日，已顺延至其后第一个工作日"
                     "（民法典第二百零三条）。")
    if any(r["provisional"] for r in rows):
        notes.append("“暂定”：chinese-calendar 尚未收录该年的放假安排，暂按周末推算；在公司档案 "
                     "[holidays.YYYY] 中补充国务院公布的安排后即为确定日期。")
    return Report(
        name="deadlines",
        title="付款期限及其他期限",
        as_of=as_of,
        columns=DEADLINE_COLUMNS,
        rows=tuple(rows),
        totals=(Total("期限条数", len(rows)), Total("付款截止", len(payments)),
                Total("应付金额合计（元）", sum((r["amount"] for r in payments), Decimal("0"))),
                Total("已付清", sum(1 for r in payments if r["settled"])),
                Total("尚欠合计（元）", sum((max(r["outstanding"], money.ZERO) for r in payments), money.ZERO)),
                Total("遇休假日顺延", sum(1 for r in rows if r.get("shifted_from"))),
                Total("暂定日期", sum(1 for r in rows if r["provisional"]))),
        notes=tuple(notes),
        generated_at=generated_at,
        calendar_events=LaterEvents(events),
        empty_message=EMPTY_REGISTER if _no_contracts(states, register_empty) else
        f"{start} 至 {end} 没有付款期限或其他期限。",
    )


def _deadline_summary(row: Mapping[str, Any]) -> str:
    """What is due, then the customer and the contract: a calendar cell shows the beginning."""
    if row["kind"] == "付款截止":
        due = "服务费已付清" if row["settled"] else f"收服务费 {amount_figures(row['outstanding'])} 元"
    else:
        due = row["kind"]
    return f"{due}：{row['customer']} {row['contract_no']}"


def _deadline_description(row: Mapping[str, Any]) -> str:
    parts = [row["detail"]]
    if row.get("amount") is not None:
        parts.append(f"金额 {amount_figures(row['amount'])} 元")
    if row.get("shifted_from"):
        parts.append(f"原定 {row['shifted_from']}，{row['rule']}")
    if row.get("provisional"):
        parts.append("暂定日期")
    return "；".join(parts)


# ---------------------------------------------------------------- receivables
RECEIVABLE_COLUMNS = (
    Column("contract_no", "合同编号", TEXT),
    Column("customer", "客户", TEXT),
    Column("phone", "联系电话", TEXT),  # whom the clerk calls about the money
    Column("status", "状态", TEXT),
    Column("service_year", "服务年度", INT),
    Column("first_day", "年度起始日", DATE),
    Column("due_on", "付款截止日", DATE),
    Column("amount", "应付（元）", AMOUNT),
    Column("paid", "已付（元）", AMOUNT),
    Column("outstanding", "尚欠（元）", AMOUNT),
    Column("days_overdue", "逾期天数", INT),
    Column("ageing", "账龄", TEXT),
    Column("late_fee", "违约金（元）", AMOUNT),
    Column("late_fee_owed", "违约金尚欠（元）", AMOUNT),  # accrued, less paid or waived (late-fee)
    Column("rights", "协议赋予甲方的权利", TEXT),
    Column("refund", "应退（元）", AMOUNT),  # clause 12.3: overpaid when a termination cut the year
    Column("settlement", "解除结算", TEXT),
)
REFUND = "应退"  # the ageing cell of a refund owed: the money goes the other way


def _rights(state: ContractState, days: int, profile: Profile, status: Status) -> str | None:
    """Clause 8.4: suspension after the printed days, termination after the printed days (only
    while the contract is in force: an ended one has nothing left to suspend)."""
    if status is not Status.OVERDUE:
        return None
    suspend, terminate = suspend_days(state, profile), terminate_days(state, profile)
    if days > terminate:
        return f"逾期超过 {terminate} 日：可书面通知解除"
    if days > suspend:
        return f"逾期超过 {suspend} 日：可书面通知暂停服务"
    return None


def _receivable_rows(state: ContractState, as_of: dt.date, profile: Profile) -> list[dict[str, Any]]:
    # only the years begun by as_of: nothing is owed on the others (nor late); of a terminated
    # contract also the years it left unbegun, when something paid towards them is to be refunded
    begun = [d for d in payment_deadlines(state, profile, as_of) if d.first_day <= as_of]
    accounts = money.accounts(begun, state.payments, state.issued.late_fee, as_of, state.late_fee_settlements)
    accounts += money.accounts(unbegun_years(state, profile), state.payments, None, as_of)
    owed = [y for y in accounts if y.outstanding != 0 or (y.late_fee_owed or 0) > 0]
    if not owed:
        return []
    customer = terms_in_force(state, as_of).customer
    status = status_on(state, as_of, profile, arrears_on(state, as_of, profile, accounts[:len(begun)]))
    ends_on = state.terminated.effective_on if state.terminated else None
    return [{
        "contract_no": state.contract_no, "customer": customer.name,
        "phone": customer.phone, "status": status.label,
        "service_year": y.service_year, "first_day": y.deadline.first_day, "due_on": y.deadline.due_on,
        "amount": y.deadline.amount, "paid": y.paid, "outstanding": max(y.outstanding, money.ZERO),
        "days_overdue": y.days_overdue,
        "ageing": REFUND if y.outstanding < 0 else money.ageing_bucket(y.days_overdue),
        "late_fee": y.late_fee, "late_fee_owed": y.late_fee_owed,
        "rights": _rights(state, y.days_overdue, profile, status),
        "refund": max(-y.outstanding, money.ZERO) or None,
        "settlement": _settlement_text(y, ends_on),
    } for y in owed]


def _settlement_text(year: money.YearAccount, ends_on: dt.date | None) -> str | None:
    """What clause 12.3 made of a terminated contract's year: cut pro rata, or never begun."""
    if ends_on is None:
        return None
    cut = year.deadline.proration
    due = f"应于 {ends_on + dt.timedelta(days=SETTLEMENT_DAYS)} 前结清"
    if year.deadline.first_day >= ends_on:
        return f"{ends_on} 解除，该年度未开始，已付款项应退还；{due}"
    if cut is not None:
        return (f"{ends_on} 解除，年服务费 {rmb_figures(cut.annual_fee)} 元按 {cut.days_served}/{cut.days_in_year} "
                f"日折算；{due}")
    return f"{ends_on} 解除；{due}"


def receivables_report(
    states: Iterable[ContractState], as_of: dt.date, profile: Profile, *,
    generated_at: dt.datetime | None = None, register_empty: bool | None = None,
) -> Report:
    """Every service year begun by as_of whose fee is not paid in full (or was overpaid), longest
    overdue first: due, paid, outstanding, days overdue, the ageing bucket and the late fee."""
    states = list(states)
    rows: list[dict[str, Any]] = []
    for state in states:
        if state.signed is not None and state.voided is None and state.signed.signed_on <= as_of:
            rows += _receivable_rows(state, as_of, profile)
    rows.sort(key=lambda r: (-r["days_overdue"], r["contract_no"], r["service_year"]))
    overdue = [r for r in rows if r["days_overdue"]]
    buckets = tuple(Total(f"其中{label}（元）", sum((r["outstanding"] for r in overdue if r["ageing"] == label),
                                               money.ZERO)) for label, _low, _high in money.AGEING)
    fees = [r["late_fee"] for r in rows if r["late_fee"] is not None]
    return Report(
        name="receivables",
        title="应收服务费及账龄",
        as_of=as_of,
        columns=RECEIVABLE_COLUMNS,
        rows=tuple(rows),
        totals=(Total("未付清的服务年度", len(rows)), Total("涉及合同份数", len({r["contract_no"] for r in rows})),
                Total("应付合计（元）", sum((r["amount"] for r in rows), money.ZERO)),
                Total("已付合计（元）", sum((r["paid"] for r in rows), money.ZERO)),
                Total("尚欠合计（元）", sum((r["outstanding"] for r in rows), money.ZERO)),
                Total("应退合计（元）", sum((r["refund"] or money.ZERO for r in rows), money.ZERO)),
                Total("逾期未付合计（元）", sum((r["outstanding"] for r in overdue), money.ZERO)),
                *buckets,
                Total("违约金合计（元）", sum(fees, money.ZERO)),
                Total("违约金尚欠合计（元）", sum((r["late_fee_owed"] for r in rows if r["late_fee_owed"] is not None),
                                             money.ZERO))),
        notes=("列出基准日以前已开始、服务费尚未付清的服务年度（已付清的不列入），逾期最久的在前。",
               "已解除的合同按协议 12.3 条结算：解除当年的服务费按服务天数折算（解除生效之日不计入），"
               "多付的和付给未开始年度的款项列为“应退”，应于解除生效之日起三十日内结清。",
               "逾期天数自付款截止日（遇法定休假日顺延后）的次日起算；违约金按协议签发时写明的年利率按日计算"
               "（每日为年利率的三百六十五分之一），计至付清之日或基准日（协议 8.4 条）。",
               "账龄按逾期天数分为≤30日、31-60日、61-90日、>90日四档；“未逾期”为付款期限未届满。",
               "违约金为空的，登记簿未记录该协议的违约金利率，以签署的协议文本为准。",
               "服务费已付清、违约金尚未付清也未减免的服务年度同样列出（违约金尚欠）；违约金的付款和减免用 "
               "vipcontract late-fee pay|waive 登记。"),
        generated_at=generated_at,
        empty_message=EMPTY_REGISTER if _no_contracts(states, register_empty) else
        f"截至 {as_of} 没有尚未付清的服务费。",
    )


# ---------------------------------------------------------------- by name
REPORTS: dict[str, Callable[..., Report]] = {
    "expiring": expiring_report,
    "renewals": renewals_report,
    "amendments": amendments_report,
    "notices": notices_report,
    "deadlines": deadlines_report,
    "receivables": receivables_report,
}
CALENDAR_REPORTS = ("expiring", "deadlines")  # the reports that carry calendar events (ICS)

# The columns shown on a terminal (80 columns) and in the PDF (A4); CSV, XLSX and JSON carry all.
# On the terminal a tuple of keys is one column with a value a line (contract number over the
# customer, as gh and hledger stack what does not fit side by side): at 80 columns no contract
# number, date or status is cut; `--wide` prints every column side by side.
TerminalColumn = str | tuple[str, ...]
TERMINAL_COLUMNS: dict[str, tuple[TerminalColumn, ...]] = {
    "expiring": (("contract_no", "customer", "phone"), ("last_day", "days_left", "annual_fee"),
                 "renewal_agreed", "reminders"),
    "renewals": ("doc_no", "customer", "signed_on", "old_last_day", "new_last_day", "new_fee"),
    "amendments": ("doc_no", "customer", "changes", "signed_on", "effective_on"),
    "notices": (("notice_id", "kind"), ("contract_no", "customer"), "sent_on", "deemed_delivered_on",
                ("outcome", "remark")),
    "deadlines": ("due_on", "kind", ("contract_no", "customer"), ("amount", "settled"), "shifted_from", "provisional"),
    "register": ("contract_no", "customer", "status", "term_last_day", "annual_fee"),
    "find": (("contract_no", "customer"), ("customer_id", "phone"), "status", "term_last_day", "matched"),
    "receivables": (("contract_no", "customer"), "service_year", "due_on", ("outstanding", "refund"), "days_overdue",
                    "ageing"),
}
PDF_COLUMNS: dict[str, tuple[str, ...]] = {
    "expiring": ("contract_no", "customer", "last_day", "days_left", "annual_fee", "renewal_agreed",
                 "new_last_day", "reminders"),
    "renewals": ("doc_no", "customer", "signed_on", "old_last_day", "new_last_day", "years", "old_fee", "new_fee"),
    "amendments": ("doc_no", "contract_no", "customer", "changes", "signed_on", "effective_on", "in_force"),
    "notices": ("notice_id", "contract_no", "kind", "method", "to", "sent_on", "deemed_delivered_on",
                "outcome", "remark"),
    "deadlines": ("due_on", "kind", "contract_no", "customer", "detail", "amount", "shifted_from", "provisional"),
    "register": ("contract_no", "customer_type", "customer", "customer_id", "phone", "status", "effective_date",
                 "term_last_day", "annual_fee", "next_due_on"),
    "receivables": ("contract_no", "customer", "status", "service_year", "due_on", "amount", "paid",
                    "outstanding", "days_overdue", "ageing", "late_fee", "rights", "refund"),
}
TERMINAL_NOTE = "终端只显示主要各列；全部各列请加 --wide，或用 --format csv、xlsx、json 或 pdf 输出。"
PDF_NOTE = "PDF 只列出主要各列；全部各列见 CSV、XLSX 或 JSON 格式。"


def _stacked(report: Report, keys: tuple[str, ...]) -> Column:
    parts = [report.column(k) for k in keys]
    return Column("+".join(keys), "\n".join(c.label for c in parts), TEXT, text=any(c.keep_text for c in parts))


def _stacked_value(report: Report, keys: tuple[str, ...], row: Mapping[str, Any]) -> str | None:
    # an empty value keeps its line, so each value stays beside its header line
    lines = [display_value(report.column(k), row[k]) for k in keys]
    return "\n".join(lines).rstrip("\n") or None


def column_view(report: Report, keys: Sequence[TerminalColumn] | None, note: str = "") -> Report:
    """The report with only the columns `keys` (all of them when None; a tuple of keys is one
    column, a value a line), `note` added when some are left out and the report has rows."""
    if not keys or (len(keys) == len(report.columns) and all(isinstance(k, str) for k in keys)):
        return report
    columns = tuple(report.column(k) if isinstance(k, str) else _stacked(report, k) for k in keys)
    rows = tuple({c.key: row[k] if isinstance(k, str) else _stacked_value(report, k, row)
                  for c, k in zip(columns, keys, strict=True)} for row in report.rows)
    shown = {k for key in keys for k in ((key,) if isinstance(key, str) else key)}
    left_out = len(shown) < len(report.columns)
    notes = report.notes if report.is_empty or not note or not left_out else (*report.notes, note)
    return dataclasses.replace(report, columns=columns, rows=rows, notes=notes)


def terminal_view(report: Report) -> Report:
    """The columns that fit an 80-column terminal."""
    return column_view(report, TERMINAL_COLUMNS.get(report.name), TERMINAL_NOTE)


def pdf_view(report: Report) -> Report:
    """The columns that read well on an A4 page."""
    return column_view(report, PDF_COLUMNS.get(report.name), PDF_NOTE)


# ---------------------------------------------------------------- the consolidated reading copy
@dataclass(frozen=True)
class Included:
    """A document (or notice) whose changes a reading copy includes, or one not yet in force.

    `effective_on` is the day the document itself took effect (a renewal: the day it was signed,
    as its text says); `applies_from` the day its changes apply (a renewal: its term's first day)."""

    doc_no: str
    what: str
    signed_on: dt.date | None
    effective_on: dt.date
    summary: str
    applies_from: dt.date

    def row(self) -> list[str]:
        return [self.doc_no, self.what, cn_date(self.signed_on) or "—", cn_date(self.effective_on),
                cn_date(self.applies_from), self.summary]

    def later_text(self) -> str:
        if self.what == "续签协议":
            return f"{self.doc_no}（续签期限自{cn_date(self.applies_from)}起）"
        return f"{self.doc_no}（{cn_date(self.applies_from)}起生效）"


def renewal_summary(state: ContractState, term: Term) -> str:
    fee = terms_in_force(state, term.first_day).annual_fee
    return (f"续签{cn2an.an2cn(term.years)}年，续签期限自{cn_date(term.first_day)}起至{cn_date(term.last_day)}止，"
            f"年服务费{rmb_figures(fee)}元")


def consolidation(state: ContractState, as_of: dt.date) -> tuple[list[Included], list[Included]]:
    """(included, not yet applying): the amendments, renewals and address-change notices whose
    changes apply on or before as_of, in the order they apply; those signed but applying later."""
    included: list[tuple[dt.date, int, Included]] = []
    later: list[tuple[dt.date, int, Included]] = []
    for body in state.amendments:
        summary = "；".join(change_text(c.field, c.old, c.new) for c in body.changes)
        item = Included(body.doc_no, "补充协议", body.signed_on, body.effective_on, summary, body.effective_on)
        if body.effective_on <= as_of:
            included.append((body.effective_on, 0, item))
        elif body.signed_on <= as_of:
            later.append((body.effective_on, 0, item))
    for term in state.terms[1:]:
        # A 续签协议 takes effect when signed (its last chapter); its term and fee apply from the
        # term's first day.
        item = Included(term.doc_no, "续签协议", term.signed_on, term.signed_on,
                        renewal_summary(state, term), term.first_day)
        if term.first_day <= as_of:
            included.append((term.first_day, 0, item))
        elif term.signed_on <= as_of:
            later.append((term.first_day, 0, item))
    for view in notice_views(state):
        if view.kind is not NoticeKind.ADDRESS_CHANGE or view.deemed_delivered_on is None:
            continue
        notice = state.notice(view.notice_id)
        assert notice is not None
        changes = [f"通讯地址：{notice.sent.new_address}" if notice.sent.new_address else "",
                   f"电子邮箱：{notice.sent.new_email}" if notice.sent.new_email else ""]
        item = Included(view.notice_id, "变更通知地址的通知", None, view.deemed_delivered_on,
                        "；".join(c for c in changes if c), view.deemed_delivered_on)
        if view.deemed_delivered_on <= as_of:
            included.append((view.deemed_delivered_on, 1, item))
    return ([i for *_k, i in sorted(included, key=lambda t: (t[0], t[1], t[2].doc_no))],
            [i for *_k, i in sorted(later, key=lambda t: (t[0], t[1], t[2].doc_no))])


def consolidated_schedule(state: ContractState, as_of: dt.date, profile: Profile) -> list[list[str]]:
    """Annex 2 of a reading copy: every service year of the original term and of each renewal
    signed by as_of (numbered on, as the register numbers them), each at the fee in force when it
    begins (one not begun yet: on as_of), with its due date as the register computes it."""
    signed = {t.number for t in agreed_terms(state, as_of)}
    rows: list[list[str]] = []
    for item in payment_deadlines(state, profile):
        if item.term not in signed:
            continue
        fee = terms_in_force(state, min(item.first_day, as_of)).annual_fee
        rows.append([f"第{cn2an.an2cn(item.service_year)}个服务年度",
                     f"{cn_date(item.first_day)}至{cn_date(item.last_day)}", "¥" + rmb_figures(fee),
                     due_cell(item.due_on, bool(item.shifted_from), item.provisional)])
    return rows


def consolidated_context(state: ContractState, as_of: dt.date, profile: Profile) -> dict[str, Any]:
    """The agreement's context (contracts.agreement.agreement_context) for a reading copy.

    It invents nothing: the clause text keeps the original agreement's facts (its term in years,
    its effective date and term dates, the year it was concluded); the customer's details and the
    fee are those in force on as_of; clause 1.4 adds each renewal signed by as_of with its own
    dates; annex 2 lists the service years of every term agreed by then; no signature lines are
    printed (contract.for_signing). The agreement's parameters are those it was issued with (term
    counting, payment days, deemed delivery, late-payment rate). `reading` is what
    templates/consolidated prints."""
    issued = state.issued
    # the parameters as issued, the days of clause 8.4 and 11.1 included
    agreed = agreed_profile(state, profile)
    terms = terms_in_force(state, as_of)
    effective = state.signed.effective_date if state.signed else issued.effective_date
    params = ContractParams(state.contract_no, issued.issued_on, terms.annual_fee, effective, issued.term_years)
    context = agreement_context(terms.customer, agreed, params)
    context["contract"]["for_signing"] = False
    # clause 8.4 as issued, never the profile's current LPR
    context["terms"]["late_fee"] = late_fee_terms(issued.late_fee)
    renewals = list(agreed_terms(state, as_of)[1:])
    term = current_term(state, as_of) if state.signed else None
    if renewals and term is not None:
        context["contract"]["renewals_note"] = (
            "本协议已经续签："
            + "；".join(f"{t.doc_no}续签协议（{cn_date(t.signed_on)}签署）约定{renewal_summary(state, t)}"
                       for t in renewals)
            + f"。截至{cn_date(as_of)}，本协议的现行期限为{cn_date(term.first_day)}至{cn_date(term.last_day)}。")
    if state.signed is not None:
        context["payment_schedule"] = consolidated_schedule(state, as_of, agreed)
    included, later = consolidation(state, as_of)
    ended = state.terminated if state.terminated and state.terminated.effective_on <= as_of else None
    first = state.terms[0] if state.terms else None
    context["reading"] = {
        "as_of_cn": cn_date(as_of),
        "signed": state.signed is not None,
        "original_signed_on_cn": cn_date(state.signed.signed_on) if state.signed else "",
        "original_effective_cn": cn_date(state.signed.effective_date) if state.signed else "",
        "original_first_cn": cn_date(first.first_day) if first else "",
        "original_last_cn": cn_date(first.last_day) if first else "",
        "original_years_cn": cn2an.an2cn(issued.term_years),
        "included": bool(included),
        "included_rows": [i.row() for i in included],
        "later": bool(later),
        "later_text": "、".join(i.later_text() for i in later),
        "term_number": term.number if term is not None else 1,
        "renewed": term is not None and term.number > 1,
        "term_first_cn": cn_date(term.first_day) if term is not None else "",
        "term_last_cn": cn_date(term.last_day) if term is not None else "",
        "term_doc_no": term.doc_no if term is not None else "",
        "terminated": ended is not None,
        "terminated_cn": cn_date(ended.effective_on) if ended else "",
        "terminated_reason": ended.reason.label if ended else "",
    }
    return context
