"""A contract's state, derived from its history: status, terms in force, legal dates.

`replay` is the one function that turns a history into a `ContractState`; everything else
here (status on a date, terms in force, payment deadlines, notices, the JSON view) is computed
from that state and never stored. `check_new_event` says whether an event fits a history.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import typing
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from dateutil.relativedelta import relativedelta

from . import payments as money
from . import validation as v
from .amounts import parse_amount, rmb_figures
from .customer import Customer, mask_id
from .dates import (
    DeliveryMethod,
    ServiceYear,
    TermCounting,
    deemed_delivered_on,
    local_date,
    payment_due,
    service_years,
    term_first_day,
    term_last_day,
)
from .errors import HistoryError, InvalidInput, Problem
from .events import (
    GENESIS,
    Amended,
    Body,
    Change,
    Corrected,
    Event,
    EventKind,
    Issued,
    LateFeePaid,
    LateFeeSettled,
    LateFeeWaived,
    NoticeDelivered,
    NoticeKind,
    NoticeReturned,
    NoticeSent,
    Paid,
    PaymentMethod,
    Renewed,
    ReturnReason,
    Sealed,
    Signed,
    Terminated,
    TerminationReason,
    Voided,
    encode,
    field_types,
    parse_text_value,
    stored_data,
)
from .late_fee import LateFeeRate
from .profile import Profile
from .sealing import sealed_document_no, sealed_problems
from .settlement import Proration, Settlement, proration, settlement
from .workdays import Deadline, HolidaySupplement


class Status(StrEnum):
    DRAFT = "draft"
    SIGNED = "signed"  # signed, the stated effective day not reached yet
    ACTIVE = "active"
    EXPIRING = "expiring"
    RENEWED = "renewed"
    EXPIRED = "expired"
    TERMINATED = "terminated"
    VOIDED = "voided"
    # in force, with a service year's fee unpaid after its due date (clause 8.4)
    OVERDUE = "overdue"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    Status.DRAFT: "待签署", Status.SIGNED: "已签署待生效", Status.ACTIVE: "履行中",
    Status.EXPIRING: "即将到期", Status.RENEWED: "已续签", Status.EXPIRED: "已到期",
    Status.TERMINATED: "已解除", Status.VOIDED: "已作废", Status.OVERDUE: "逾期付款",
}
IN_FORCE = (Status.ACTIVE, Status.EXPIRING, Status.RENEWED)

# Fields an amendment may change, with their Chinese names.
AMENDABLE: dict[str, str] = {
    "annual_fee": "年服务费",
    "name": "客户名称",
    "phone": "联系电话",
    "address": "通讯地址",
    "email": "电子邮箱",
    "legal_representative": "法定代表人",
    "contact_person": "联系人",
}


TERMINATION_BY_NOTICE = tuple(r.value for r in TerminationReason if r is not TerminationReason.MUTUAL)


# ---------------------------------------------------------------- state
@dataclass(frozen=True)
class Term:
    """The agreement's term (number 1) or a renewal term (2, 3...)."""

    number: int
    first_day: dt.date
    last_day: dt.date
    years: int
    signed_on: dt.date
    doc_no: str


@dataclass(frozen=True)
class Notice:
    sent: NoticeSent
    seq: int
    delivered_on: dt.date | None = None
    returned_on: dt.date | None = None
    return_reason: ReturnReason | None = None

    @property
    def notice_id(self) -> str:
        return self.sent.notice_id


@dataclass(frozen=True)
class Binding:
    """A change to the terms agreed in the history: binds from `day` (amendment: its
    effective day; renewal: the renewal term's first day)."""

    day: dt.date
    seq: int
    changes: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ContractState:
    contract_no: str
    events: tuple[Event, ...]  # every recorded event, in seq order
    issued: Issued
    signed: Signed | None = None
    terms: tuple[Term, ...] = ()
    amendments: tuple[Amended, ...] = ()
    renewals: tuple[Renewed, ...] = ()
    bindings: tuple[Binding, ...] = ()
    notices: tuple[Notice, ...] = ()
    terminated: Terminated | None = None
    terminated_seq: int = 0
    voided: Voided | None = None
    payments: tuple[Paid, ...] = ()
    late_fee_settlements: tuple[LateFeeSettled, ...] = ()  # late fees paid or waived (8.4)
    retracted: frozenset[int] = frozenset()
    corrected_by: Mapping[int, tuple[int, ...]] = dataclasses.field(default_factory=dict)

    @property
    def last_seq(self) -> int:
        return self.events[-1].seq if self.events else 0

    @property
    def last_hash(self) -> str:
        return self.events[-1].hash if self.events else GENESIS

    @property
    def issued_on(self) -> dt.date:
        return self.issued.issued_on

    def notice(self, notice_id: str) -> Notice | None:
        return next((n for n in self.notices if n.notice_id == notice_id), None)


def effective_events(events: Iterable[Event]) -> tuple[Event, ...]:
    """The history as corrected: corrections applied to the events they name, retracted
    events left out, the corrections themselves left out."""
    ordered = sorted(events, key=lambda e: e.seq)
    fixes: dict[int, list[Corrected]] = {}
    for event in ordered:
        if isinstance(event.body, Corrected):
            fixes.setdefault(event.body.corrects_seq, []).append(event.body)
    result = []
    for event in ordered:
        if isinstance(event.body, Corrected):
            continue
        if event.seq not in fixes:
            result.append(event)
            continue
        body: Body | None = event.body
        for fix in fixes[event.seq]:
            if fix.retract:
                body = None
                break
            body = corrected_body(body, fix.changes)
        if body is not None:
            result.append(dataclasses.replace(event, body=body, stored=None))
    return tuple(result)


def corrected_body(body: Any, changes: Iterable[Change]) -> Any:
    values = {c.field: parse_text_value(type(body), c.field, c.new) for c in changes}
    return dataclasses.replace(body, **values)


def replay(events: Iterable[Event], profile: Profile | None = None) -> ContractState:
    """The state of one contract from its whole history (any order; sorted by seq)."""
    ordered = tuple(sorted(events, key=lambda e: e.seq))
    if not ordered or not isinstance(ordered[0].body, Issued):
        raise HistoryError("合同的第一条事件应为签发（issued）")
    fields = _initial_fields(ordered[0].contract_no, ordered, ordered[0].body)
    for event in effective_events(ordered)[1:]:
        _apply_to(fields, event)
    return ContractState(**fields, **correction_marks(ordered))


def _initial_fields(contract_no: str, events: tuple[Event, ...], issued: Issued) -> dict[str, Any]:
    return {"contract_no": contract_no, "events": events, "issued": issued, "signed": None,
            "terms": (), "amendments": (), "renewals": (), "bindings": (), "notices": (),
            "terminated": None, "terminated_seq": 0, "voided": None, "payments": (),
            "late_fee_settlements": ()}


def known_on(event: Event, day: dt.date) -> bool:
    """Whether the register could show `event` on `day`: every fact it records happened by then.
    A termination by notice takes effect when the notice arrives: it is known from that day."""
    known_from = known_from_day(event)
    return known_from is None or known_from <= day


def known_from_day(event: Event) -> dt.date | None:
    """The first day the register could show `event` (None: always, as the issue itself)."""
    body = event.body
    if isinstance(body, Issued):
        return None  # the contract itself; before it was issued there is nothing else to show
    if isinstance(body, Terminated) and body.signed_on is None:
        return body.effective_on
    days = []
    for field, _label, _option in FACT_DATES.get(type(body), ()):
        value = getattr(body, field)
        fact = local_date(value) if isinstance(value, dt.datetime) else value
        if fact is not None:
            days.append(fact)
    return max(days, default=None)


def stood_on(state: ContractState, day: dt.date, profile: Profile | None = None) -> ContractState:
    """The contract as the register stood on `day`: no signing, renewal, amendment, notice,
    delivery, payment or termination dated after it (judged on the dates as corrected), so that
    `show --as-of` does not let a later fact leak into an earlier day."""
    later = {e.seq for e in effective_events(state.events) if not known_on(e, day)}
    if not later:
        return state
    kept = tuple(e for e in state.events if e.seq not in later and not (
        isinstance(e.body, Corrected) and e.body.corrects_seq in later))
    return replay(kept, profile)


def correction_marks(events: tuple[Event, ...]) -> dict[str, Any]:
    retracted: set[int] = set()
    corrected_by: dict[int, list[int]] = {}
    for event in events:
        if isinstance(event.body, Corrected):
            corrected_by.setdefault(event.body.corrects_seq, []).append(event.seq)
            if event.body.retract:
                retracted.add(event.body.corrects_seq)
    return {"retracted": frozenset(retracted),
            "corrected_by": {k: tuple(s) for k, s in corrected_by.items()}}


def apply(state: ContractState, event: Event) -> ContractState:
    """The state after one (effective) event. Does not check that it fits: see check_new_event."""
    fields = {f.name: getattr(state, f.name) for f in dataclasses.fields(state)}
    _apply_to(fields, event)
    return ContractState(**fields)


def _apply_to(state: dict[str, Any], event: Event) -> None:
    """One (effective) event folded into the state's fields."""
    body = event.body
    issued: Issued = state["issued"]
    match body:
        case Signed():
            first = term_first_day(body.effective_date, issued.counting)
            last = term_last_day(first, issued.term_years, issued.counting)
            state["signed"] = body
            state["terms"] = (Term(1, first, last, issued.term_years,
                                   body.signed_on, state["contract_no"]),)
        case Amended():
            state["amendments"] += (body,)
            state["bindings"] += (Binding(body.effective_on, event.seq,
                                          tuple((c.field, c.new) for c in body.changes)),)
        case Renewed():
            state["renewals"] += (body,)
            state["terms"] += (Term(len(state["terms"]) + 1, body.first_day, body.last_day,
                                    body.years, body.signed_on, body.doc_no),)
            state["bindings"] += (Binding(body.first_day, event.seq,
                                          (("annual_fee", format(body.annual_fee, "f")),)),)
        case NoticeSent():
            state["notices"] += (Notice(body, event.seq),)
        case NoticeDelivered() | NoticeReturned():
            state["notices"] = tuple(_notice_outcome(n, body) if n.notice_id == body.notice_id
                                     else n for n in state["notices"])
        case Terminated():
            state["terminated"], state["terminated_seq"] = body, event.seq
        case Voided():
            state["voided"] = body
        case Paid():
            state["payments"] += (body,)
        case LateFeePaid() | LateFeeWaived():
            state["late_fee_settlements"] += (body,)


def _notice_outcome(notice: Notice, body: NoticeDelivered | NoticeReturned) -> Notice:
    if isinstance(body, NoticeDelivered):
        return dataclasses.replace(notice, delivered_on=body.on)
    return dataclasses.replace(notice, returned_on=body.on, return_reason=body.reason)


# ---------------------------------------------------------------- terms in force
@dataclass(frozen=True)
class TermsInForce:
    customer: Customer
    annual_fee: Decimal


def _bindings(state: ContractState) -> list[Binding]:
    """Every change to the terms in the order it binds: amendments and renewals as agreed,
    a customer's change of address from the deemed delivery of its notice."""
    items = list(state.bindings)
    for notice in state.notices:
        change = _address_change(notice)
        day = _deemed(notice, state.issued.courier_deemed_days) if change else None
        if change and day is not None:
            items.append(Binding(day, notice.seq, change))
    return sorted(items, key=lambda b: (b.day, b.seq))


def _address_change(notice: Notice) -> tuple[tuple[str, str], ...]:
    if notice.sent.notice_kind is not NoticeKind.ADDRESS_CHANGE:
        return ()
    change = (("address", notice.sent.new_address), ("email", notice.sent.new_email))
    return tuple((k, val) for k, val in change if val)


def terms_in_force(
    state: ContractState, on: dt.date, bindings: list[Binding] | None = None
) -> TermsInForce:
    """The issued terms with every change that binds on or before `on` applied in order
    (`bindings`: `_bindings(state)`, when the caller asks for many days)."""
    customer, fee = state.issued.customer, state.issued.annual_fee
    for binding in _bindings(state) if bindings is None else bindings:
        if binding.day > on:
            break
        change = dict(binding.changes)
        if "annual_fee" in change:
            fee = Decimal(change.pop("annual_fee"))
        # what is left are Customer fields (amendable ones are text), by name
        fields: dict[str, Any] = change
        customer = dataclasses.replace(customer, **fields) if fields else customer
    return TermsInForce(customer, fee)


# ---------------------------------------------------------------- status
class TermFacts(typing.Protocol):
    """What a contract's place in its term depends on (a ContractState has them; so has what a
    summary decodes of them alone, contracts.summary.term_facts)."""

    @property
    def signed(self) -> Signed | None: ...
    @property
    def terms(self) -> tuple[Term, ...]: ...
    @property
    def terminated(self) -> Terminated | None: ...
    @property
    def voided(self) -> Voided | None: ...


def agreed_terms(state: TermFacts, as_of: dt.date) -> tuple[Term, ...]:
    return tuple(t for t in state.terms if t.signed_on <= as_of)


def current_term(state: TermFacts, as_of: dt.date) -> Term | None:
    """The term in force on `as_of`; before the first, the first; after the last, the last."""
    terms = agreed_terms(state, as_of) or state.terms[:1]
    if not terms:
        return None
    for term in terms:
        if as_of <= term.last_day:
            return term
    return terms[-1]


def status_on(
    state: ContractState, as_of: dt.date, profile: Profile, late: money.Arrears | None = None
) -> Status:
    """The term's status on as_of; a contract in force with a fee overdue is OVERDUE (`late`:
    arrears_on(state, as_of, profile), when the caller has it already)."""
    status = term_status_on(state, as_of, profile)
    if status not in IN_FORCE:
        return status
    late = late if late is not None else arrears_on(state, as_of, profile)
    return Status.OVERDUE if late.days > 0 else status


def term_status_on(state: TermFacts, as_of: dt.date, profile: Profile) -> Status:
    """Where the contract stands in its term on as_of, payments aside."""
    if state.voided is not None and state.voided.on <= as_of:
        return Status.VOIDED
    if state.signed is None or state.signed.signed_on > as_of:
        return Status.DRAFT
    if state.terminated is not None and state.terminated.effective_on <= as_of:
        return Status.TERMINATED
    terms = agreed_terms(state, as_of)
    # In effect from the effective day, also under civil_code where the term's first day is the
    # next day: 已签署待生效 is only the time before the day the agreement states.
    if as_of < state.signed.effective_date:
        return Status.SIGNED
    term = current_term(state, as_of)
    assert term is not None
    if as_of > term.last_day:
        return Status.EXPIRED
    if term is not terms[-1]:
        return Status.RENEWED
    if (term.last_day - as_of).days <= profile.expiry_warning_days:
        return Status.EXPIRING
    return Status.ACTIVE


def final_last_day(state: ContractState) -> dt.date | None:
    return state.terms[-1].last_day if state.terms else None


# ---------------------------------------------------------------- payment deadlines
@dataclass(frozen=True)
class PaymentDeadline:
    service_year: int  # counted on across renewal terms: 1-5, then 6-10...
    term: int
    first_day: dt.date
    last_day: dt.date
    due_on: dt.date
    shifted_from: dt.date | None
    provisional: bool
    amount: Decimal  # the year's fee; of a year a termination cut short, the part earned (12.3)
    proration: Proration | None = None  # how a termination cut the year short, if it did


@functools.lru_cache(maxsize=65536)
def _due(first_day: dt.date, days: int, holidays: HolidaySupplement) -> Deadline:
    """payment_due depends on the year's first day only; cached, as lists compute thousands."""
    return payment_due(ServiceYear(0, first_day, first_day), days, holidays)


@functools.lru_cache(maxsize=65536)
def _service_years(first_day: dt.date, years: int, counting: TermCounting) -> tuple[ServiceYear, ...]:
    return tuple(service_years(first_day, years, counting))


# The schedule of the last few states asked about, by identity: a report or a list asks for one
# contract's schedule several times (its status, its next due date, its deadlines) in a row.
_SCHEDULES: dict[int, tuple[ContractState, Profile, tuple[PaymentDeadline, ...]]] = {}
_SCHEDULES_KEPT = 16


def service_schedule(state: ContractState, profile: Profile) -> list[PaymentDeadline]:
    """Every service year of every term agreed, at its whole fee, as if no termination had
    come: what a payment may be applied to (a prepayment made before a termination included)."""
    kept = _SCHEDULES.get(id(state))
    if kept is not None and kept[0] is state and kept[1] is profile:
        return list(kept[2])
    result = _service_schedule(state, profile)
    if len(_SCHEDULES) >= _SCHEDULES_KEPT:
        _SCHEDULES.clear()
    _SCHEDULES[id(state)] = (state, profile, tuple(result))
    return result


def _service_schedule(state: ContractState, profile: Profile) -> list[PaymentDeadline]:
    bindings = _bindings(state)
    if not any(name == "annual_fee" for binding in bindings for name, _value in binding.changes):
        # one fee throughout: the schedule depends on the terms' days alone, which thousands of
        # contracts share (the fee's text is in the key: 1000 and 1000.00 are equal, not the same)
        fee = state.issued.annual_fee
        terms = tuple((term.number, term.first_day, term.years) for term in state.terms)
        return list(_one_fee_schedule(terms, state.issued.counting, state.issued.payment_days, profile.holidays,
                                      fee, str(fee)))
    result: list[PaymentDeadline] = []
    for term in state.terms:
        for year in _service_years(term.first_day, term.years, state.issued.counting):
            due = _due(year.first_day, state.issued.payment_days, profile.holidays)
            fee = terms_in_force(state, year.first_day, bindings).annual_fee
            result.append(PaymentDeadline(len(result) + 1, term.number, year.first_day,
                                          year.last_day, due.due_on, due.shifted_from,
                                          due.provisional, fee))
    return result


@functools.lru_cache(maxsize=65536)
def _one_fee_schedule(terms: tuple[tuple[int, dt.date, int], ...], counting: TermCounting, payment_days: int,
                      holidays: HolidaySupplement, fee: Decimal, _fee_text: str) -> tuple[PaymentDeadline, ...]:
    result: list[PaymentDeadline] = []
    for number, first_day, years in terms:
        for year in _service_years(first_day, years, counting):
            due = _due(year.first_day, payment_days, holidays)
            result.append(PaymentDeadline(len(result) + 1, number, year.first_day, year.last_day, due.due_on,
                                          due.shifted_from, due.provisional, fee))
    return tuple(result)


def payment_deadlines(
    state: ContractState, profile: Profile, as_of: dt.date | None = None
) -> list[PaymentDeadline]:
    """Each service year's fee and its due date (clause 8.3, 民法典 第二百零一条、第二百零三条);
    years that begin on or after a termination takes effect are left out, and the year it cuts
    short owes the part of its fee earned to the day (clause 12.3, contracts.settlement) from
    the day the termination takes effect: on an `as_of` before it the whole fee was still due."""
    schedule = service_schedule(state, profile)
    if state.terminated is None:
        return schedule
    end = state.terminated.effective_on
    result = []
    for item in schedule:
        if item.first_day >= end:
            break
        cut = proration(item.amount, item.first_day, item.last_day, end) if as_of is None or as_of >= end else None
        result.append(item if cut is None else dataclasses.replace(item, amount=cut.earned, proration=cut))
    return result


def unbegun_years(state: ContractState, profile: Profile) -> list[PaymentDeadline]:
    """The service years a termination left unbegun: nothing is owed on them (what was paid
    towards them is refunded, clause 12.3)."""
    if state.terminated is None:
        return []
    end = state.terminated.effective_on
    return [dataclasses.replace(d, amount=money.ZERO) for d in service_schedule(state, profile)
            if d.first_day >= end]


# ---------------------------------------------------------------- money (clause 8.3, 8.4)
def suspend_days(state: ContractState, profile: Profile) -> int:
    """Overdue days after which the provider may suspend the service, as the agreement printed
    them; contracts recorded before they were kept: the profile's."""
    return state.issued.suspend_days or profile.late_payment_suspend_days


def terminate_days(state: ContractState, profile: Profile) -> int:
    """Overdue days after which the provider may terminate (8.4, 11.3), as printed."""
    return state.issued.terminate_days or profile.late_payment_terminate_days


def agreed_profile(state: ContractState, profile: Profile) -> Profile:
    """The profile with the agreement's parameters as it was issued: a document written later for
    the contract (a termination notice) cites what the signed agreement says, not today's profile."""
    issued = state.issued
    return dataclasses.replace(
        profile, term_years=issued.term_years, term_counting=issued.counting,
        payment_days=issued.payment_days, courier_deemed_days=issued.courier_deemed_days,
        late_payment_suspend_days=suspend_days(state, profile),
        late_payment_terminate_days=terminate_days(state, profile),
        renewal_notice_days=issued.renewal_notice_days or profile.renewal_notice_days,
        late_fee=issued.late_fee or profile.late_fee)


def year_accounts(state: ContractState, as_of: dt.date, profile: Profile) -> list[money.YearAccount]:
    """Each service year's fee, paid, outstanding, delay and late fee on as_of."""
    return money.accounts(payment_deadlines(state, profile, as_of), state.payments, state.issued.late_fee,
                          as_of, state.late_fee_settlements)


def arrears_on(
    state: ContractState, as_of: dt.date, profile: Profile,
    accounts: list[money.YearAccount] | None = None,
) -> money.Arrears:
    """What is late on as_of (`accounts`: year_accounts(state, as_of, profile), if at hand)."""
    if state.signed is None or state.voided is not None:
        return money.arrears(())
    if accounts is None:  # only a year due before as_of can be late on it: the others are not worked out
        due = [d for d in payment_deadlines(state, profile, as_of) if d.due_on < as_of]
        accounts = money.accounts(due, state.payments, state.issued.late_fee, as_of, state.late_fee_settlements) \
            if due else []
    return money.arrears(accounts)


def settlement_on(state: ContractState, as_of: dt.date, profile: Profile) -> Settlement | None:
    """The settlement of clause 12.3 on as_of (payments and refunds made by then count), for a
    contract whose termination the register shows; None otherwise."""
    if state.terminated is None or state.signed is None:
        return None
    # the settlement the termination makes, even on a day before it takes effect
    begun = money.accounts(payment_deadlines(state, profile), state.payments, state.issued.late_fee, as_of,
                           state.late_fee_settlements)
    unbegun = money.accounts(unbegun_years(state, profile), state.payments, None, as_of)
    return settlement(state.terminated.effective_on, begun, unbegun)


def settlement_json(item: Settlement | None) -> dict[str, Any] | None:
    if item is None:
        return None
    year, cut = item.last_year, item.proration
    return {"ends_on": _d(item.ends_on), "last_service_day": _d(item.last_service_day),
            "settle_by": _d(item.settle_by),
            "service_year": year.service_year if year else None,
            "first_day": _d(year.deadline.first_day) if year else None,
            "last_day": _d(year.deadline.last_day) if year else None,
            "annual_fee": format(cut.annual_fee, "f") if cut else None,
            "days_served": cut.days_served if cut else None,
            "days_in_year": cut.days_in_year if cut else None,
            "earned": format(year.deadline.amount, "f") if year else None,
            "paid": format(year.paid, "f") if year else None,
            "unbegun_paid": format(item.unbegun_paid, "f"),
            "still_owed": format(item.still_owed, "f"), "refund_owed": format(item.refund_owed, "f")}


def arrears_json(state: ContractState, late: money.Arrears, profile: Profile) -> dict[str, Any]:
    """What is late (arrears_on), and the rights it gives the provider under clause 8.4."""
    suspend, terminate = suspend_days(state, profile), terminate_days(state, profile)
    return {"days_overdue": late.days, "outstanding": format(late.outstanding, "f"),
            "late_fee": None if late.late_fee is None else format(late.late_fee, "f"),
            "service_years": [y.service_year for y in late.years],
            "suspend_days": suspend, "terminate_days": terminate,
            "suspension_right": late.days > suspend, "termination_right": late.days > terminate}


# ---------------------------------------------------------------- notices
@dataclass(frozen=True)
class NoticeView:
    notice_id: str
    kind: NoticeKind
    method: DeliveryMethod
    to: str
    sent_at: dt.datetime
    sent_on: dt.date
    delivered_on: dt.date | None
    returned_on: dt.date | None
    return_reason: ReturnReason | None
    deemed_delivered_on: dt.date | None
    address_in_force: str | None  # where it should have gone; None when not checked
    to_address_in_force: bool
    doc_no: str
    seq: int


def _same_address(a: str, b: str) -> bool:
    # Only a comparison, never stored or printed: an address typed once with full-width digits
    # and once with ASCII ones is the same address, so NFKC here is on purpose.
    def norm(s: str) -> str:
        return "".join(unicodedata.normalize("NFKC", s).split()).lower()

    return norm(a) == norm(b)


def _deemed(notice: Notice, courier_days: int, in_force: bool = True) -> dt.date | None:
    refused = notice.return_reason in (ReturnReason.REFUSED, ReturnReason.UNDELIVERABLE)
    if refused and not in_force:
        return None  # returned from an address that was not the one in force: not delivered
    if not in_force and notice.sent.method is DeliveryMethod.COURIER:
        # Clause 13.5's "Nth day after posting" presumes the letter went to the address the
        # customer gave: sent elsewhere, only a receipt actually signed shows it arrived.
        return notice.delivered_on
    return deemed_delivered_on(
        notice.sent.method, notice.sent.sent_at, courier_days,
        receipt_on=notice.delivered_on, returned_on=notice.returned_on if refused else None,
        bounced=notice.return_reason is ReturnReason.BOUNCED)


def notice_view(state: ContractState, notice: Notice) -> NoticeView:
    sent = notice.sent
    expected: str | None = None
    if sent.notice_kind is not NoticeKind.ADDRESS_CHANGE:
        customer = terms_in_force(state, local_date(sent.sent_at)).customer
        expected = customer.email if sent.method is DeliveryMethod.EMAIL else customer.address
    in_force = expected is None or _same_address(sent.to, expected)
    return NoticeView(
        sent.notice_id, sent.notice_kind, sent.method, sent.to, sent.sent_at,
        local_date(sent.sent_at), notice.delivered_on, notice.returned_on, notice.return_reason,
        _deemed(notice, state.issued.courier_deemed_days, in_force), expected, in_force,
        sent.doc_no, notice.seq)


def undeemed_reason(view: NoticeView) -> str | None:
    """Why a notice has no deemed delivery day when the register says why (None otherwise)."""
    if view.deemed_delivered_on is not None or view.to_address_in_force:
        return None
    if view.method is DeliveryMethod.COURIER and view.returned_on is None:
        return "寄往的不是当时有效的地址，不适用交邮后第 N 日视为送达，只以实际签收为准"
    return "寄往的不是当时有效的地址，被拒收或退回的不视为送达"


def notice_views(state: ContractState, profile: Profile | None = None) -> list[NoticeView]:
    """Every notice with its deemed delivery (clause 13.5, with N as the agreement states it)
    and whether it went to the address in force on the day it was sent."""
    return [notice_view(state, n) for n in state.notices]


# ---------------------------------------------------------------- checking a new event
def _dates_of(body: Any) -> list[dt.date]:
    days = []
    for field in dataclasses.fields(body):
        value = getattr(body, field.name)
        if isinstance(value, dt.datetime):
            days.append(local_date(value))
        elif isinstance(value, dt.date):
            days.append(value)
    return days


def _cn(day: dt.date | None) -> str:
    return day.isoformat() if day else ""


def check_new_event(state: ContractState | None, event: Event, profile: Profile) -> list[Problem]:
    """Why `event` cannot be appended to the history whose state is `state` (empty: it can)."""
    if state is None:
        if not isinstance(event.body, Issued) or event.seq != 1 or event.prev_hash != GENESIS:
            return [Problem("", f"登记簿中没有合同 {event.contract_no}")]
        return issued_problems(event.body) + future_problems(event)
    if event.seq != state.last_seq + 1 or event.prev_hash != state.last_hash:
        return [Problem("seq", f"合同 {state.contract_no} 的记录已被其他操作更新，请重试")]
    if isinstance(event.body, Corrected):
        return correction_problems(state, event, profile)
    problems = rule_problems(state, event, profile)
    if problems:
        return problems
    after = dataclasses.replace(apply(state, event), events=(*state.events, event))
    return undermined_problems(state, after, profile)


def undermined_problems(
    before: ContractState, after: ContractState, profile: Profile
) -> list[Problem]:
    """What a new event would take away from events already accepted: a record dated earlier
    (a back-dated address change, a payment) changes what the register shows on the days an
    earlier notice or termination relied on. Only what the new event breaks counts, so that a
    register already broken (which `check` reports) does not block every later record."""
    known = {(seq, p.message) for seq, p in standing_problems(before, profile)}
    labels = {e.seq: e.kind.label for e in after.events}
    return [Problem(p.field, f"登记后，已登记的第 {seq} 条记录（{labels.get(seq, '')}）将失去依据：{p.message}")
            for seq, p in standing_problems(after, profile) if (seq, p.message) not in known]


def standing_problems(state: ContractState, profile: Profile) -> list[tuple[int, Problem]]:
    """The rules whose grounds are dated facts, checked again against the whole history:
    an event is checked when recorded against the records before it, but a record made later
    may be dated earlier, and the grounds must still hold with everything the register knows."""
    problems: list[tuple[int, Problem]] = []
    for notice in state.notices:
        sent = notice.sent
        if sent.notice_kind is NoticeKind.TERMINATION and sent.reason == TerminationReason.LATE_PAYMENT:
            problems += [(notice.seq, p) for p in late_payment_grounds(state, local_date(sent.sent_at), profile)]
    for event in effective_events(state.events):
        if isinstance(event.body, LateFeePaid | LateFeeWaived):
            years = [a.service_year for a in event.body.allocations]
            problems += [(event.seq, p) for p in late_fee_excess(state, event.body.on, profile, years)]
    ended = state.terminated
    if ended is not None and ended.by_notice_id:
        recorded = next((e for e in state.events if e.seq == state.terminated_seq), None)
        if recorded is not None:
            before = dataclasses.replace(state, terminated=None, terminated_seq=0)
            event = dataclasses.replace(recorded, body=ended, stored=None)
            problems += [(state.terminated_seq, p)
                         for p in _termination_notice_problems(before, event, ended, profile)]
    return problems


def issued_problems(body: Issued) -> list[Problem]:
    if body.effective_date is not None and body.effective_date < body.issued_on:
        return [Problem("effective_date", f"生效日期 {body.effective_date} 早于签发日期 "
                                          f"{body.issued_on}")]
    return []


# The facts each event records, with their names: none of them can be later than the day the
# event is recorded (its recorded_at, in Shanghai: the clock when a command records it). Dates
# agreed for later (an effective date, a termination agreed to take effect at a month's end)
# are not facts yet and may lie ahead.
FACT_DATES: dict[type, tuple[tuple[str, str, str], ...]] = {
    Issued: (("issued_on", "签发日期", "issued_on"),),
    Signed: (("signed_on", "签署日期", "on"),),
    Amended: (("signed_on", "补充协议的签署日期", "signed_on"),),
    Renewed: (("signed_on", "续签协议的签署日期", "signed_on"),),
    NoticeSent: (("sent_at", "通知的发出日期", "on"),),
    NoticeDelivered: (("on", "送达日期", "on"),),
    NoticeReturned: (("on", "拒收或退回日期", "on"),),
    Terminated: (("signed_on", "解除协议的签署日期", "signed_on"),),
    Voided: (("on", "作废日期", "on"),),
    Paid: (("on", "付款日期", "on"),),
    Sealed: (("signed_at", "签章时间", "signed_at"),),
    LateFeePaid: (("on", "违约金付款日期", "on"),),
    LateFeeWaived: (("on", "违约金减免日期", "on"),),
}


def future_problems(event: Event) -> list[Problem]:
    """Facts dated after the day they are recorded: they have not happened yet."""
    today = local_date(event.recorded_at)
    problems = []
    for field, label, option in FACT_DATES.get(type(event.body), ()):
        value = getattr(event.body, field)
        day = local_date(value) if isinstance(value, dt.datetime) else value
        if day is not None and day > today:
            problems.append(Problem(option, f"{label} {day} 晚于登记之日 {today}：尚未发生的事项不能登记"))
    return problems


def rule_problems(state: ContractState, event: Event, profile: Profile) -> list[Problem]:
    """The business rules for one event after the history `state` (corrections aside)."""
    body = event.body
    no = state.contract_no
    if isinstance(body, Issued):
        return [Problem("", f"合同 {no} 已签发，不能重复签发")]
    if state.voided is not None:
        return [Problem("", f"合同 {no} 已于 {state.voided.on} 作废，不能再登记任何事项")]
    early = [d for d in _dates_of(body) if d < state.issued_on]
    if early:
        return [Problem("", f"日期 {min(early)} 早于合同 {no} 的签发日期 {state.issued_on}")]
    future = future_problems(event)
    if future:
        return future
    checker = RULES.get(type(body))
    return checker(state, event, profile) if checker else []


def _signed_problems(state: ContractState, event: Event, profile: Profile) -> list[Problem]:
    body = event.body_as(Signed)
    no = state.contract_no
    if state.signed is not None:
        return [Problem("", f"合同 {no} 已于 {state.signed.signed_on} 签署，不能重复签署")]
    stated = state.issued.effective_date
    if stated is not None and body.signed_on > stated:
        return [Problem("on", f"协议写明的生效日期为 {stated}，签署日期不能晚于该日")]
    if body.effective_date < body.signed_on:
        return [Problem("on", "生效日期不能早于签署日期")]
    return []


def _in_force_problem(state: ContractState, day: dt.date, what: str) -> Problem | None:
    """A contract must be signed, not terminated and not expired on `day` for `what`."""
    no = state.contract_no
    if state.signed is None:
        return Problem("", f"合同 {no} 尚未签署，不能{what}")
    ended = state.terminated
    if ended is not None and ended.effective_on <= day:
        return Problem("", f"合同 {no} 已于 {ended.effective_on} 解除，不能{what}")
    last = final_last_day(state)
    if last is not None and day > last:
        return Problem("", f"合同 {no} 已于 {last} 期满，不能{what}")
    if day < state.signed.signed_on:
        return Problem("", f"日期 {day} 早于合同 {no} 的签署日期 {state.signed.signed_on}")
    return None


def _amended_problems(state: ContractState, event: Event, profile: Profile) -> list[Problem]:
    body = event.body_as(Amended)
    problem = _in_force_problem(state, body.signed_on, "变更")
    if problem:
        return [problem]
    assert state.signed is not None
    first, last = state.signed.effective_date, final_last_day(state)
    ended = state.terminated.effective_on if state.terminated else None
    if not first <= body.effective_on <= (last or first) or (ended and body.effective_on >= ended):
        return [Problem("effective_on", f"变更生效日 {body.effective_on} 不在协议期限"
                                        f"（{first} 至 {_cn(ended or last)}）之内")]
    if not body.changes:
        return [Problem("set", "没有要变更的内容")]
    bad = [c.field for c in body.changes if c.field not in AMENDABLE]
    if bad:
        return [Problem("set", f"不能变更 {', '.join(bad)}；可变更：{'、'.join(AMENDABLE)}")]
    return []


def _renewed_problems(state: ContractState, event: Event, profile: Profile) -> list[Problem]:
    body = event.body_as(Renewed)
    problem = _in_force_problem(state, body.signed_on, "续签")
    if problem:
        return [problem]
    last = final_last_day(state)
    assert last is not None
    if body.first_day != last + dt.timedelta(days=1):
        return [Problem("", f"续签期限应自 {last + dt.timedelta(days=1)} 起算")]
    expected = term_last_day(body.first_day, body.years, state.issued.counting)
    # Under civil_code a renewal used to be counted from its own first day, one day longer than
    # the rule; such a renewal was signed with the dates it printed, and those dates stand.
    signed_before = body.first_day + relativedelta(years=body.years)
    legacy = state.issued.counting is TermCounting.CIVIL_CODE and body.last_day == signed_before
    if body.last_day != expected and not legacy:
        return [Problem("", f"续签期限的最后一日应为 {expected}")]
    if state.terminated is not None:
        return [Problem("", f"合同 {state.contract_no} 已登记解除（{state.terminated.effective_on}"
                            "生效），不能续签")]
    return []


def _notice_sent_problems(state: ContractState, event: Event, profile: Profile) -> list[Problem]:
    body = event.body_as(NoticeSent)
    if state.notice(body.notice_id) is not None:
        return [Problem("", f"通知编号 {body.notice_id} 已被使用")]
    if body.notice_kind is NoticeKind.ADDRESS_CHANGE and not (body.new_address or body.new_email):
        return [Problem("new_address", "变更通知地址的通知应写明新的通讯地址或电子邮箱")]
    # the command validates these (contracts.commands.decide_notice); `check` says the same
    if body.method is DeliveryMethod.EMAIL and not v.EMAIL.match(body.to):
        return [Problem("to", f"电子邮件通知寄往的 {body.to} 不是有效的电子邮箱")]
    if body.new_email and not v.EMAIL.match(body.new_email):
        return [Problem("new_email", f"新电子邮箱 {body.new_email} 格式不正确")]
    if body.notice_kind is NoticeKind.TERMINATION and body.reason not in TERMINATION_BY_NOTICE:
        return [Problem("reason", f"解除通知的解除原因应为 {'、'.join(TERMINATION_BY_NOTICE)}")]
    if body.notice_kind is NoticeKind.TERMINATION and state.signed is None:
        return [Problem("", f"合同 {state.contract_no} 尚未签署，不能发出解除通知；"
                            "未签署的合同请作废（void）")]
    if body.notice_kind is NoticeKind.TERMINATION and body.reason == TerminationReason.LATE_PAYMENT:
        return late_payment_grounds(state, local_date(body.sent_at), profile)
    return []


def late_payment_grounds(
    state: ContractState, day: dt.date, profile: Profile, refusal: str = "不能以逾期付款为由发出解除通知"
) -> list[Problem]:
    """A notice terminating for late payment states that the fee is overdue more than the days
    the agreement printed (8.4, 11.3): refused unless the register shows it on the notice's day
    (and a termination by it, unless it still holds on the day the notice arrives)."""
    # the grounds are the contract's before it ends: a termination's pro rata settlement (12.3)
    # does not reach back to the days the notice relied on
    base = dataclasses.replace(state, terminated=None, terminated_seq=0)
    late, limit, no = arrears_on(base, day, profile), terminate_days(state, profile), state.contract_no
    if late.days > limit:
        return []
    if not late.years:
        return [Problem("reason", f"合同 {no} 截至 {day} 没有逾期未付的服务费，{refusal}")]
    oldest = late.years[0]
    allowed = oldest.deadline.due_on + dt.timedelta(days=limit + 1)
    return [Problem("reason", f"合同 {no} 截至 {day} 逾期 {late.days} 日（第 {oldest.service_year} "
                              f"服务年度，应付日 {oldest.deadline.due_on}，"
                              f"尚欠 {rmb_figures(oldest.outstanding)} 元），"
                              f"未超过协议约定的 {limit} 日，{refusal}；如届时仍未付清，"
                              f"{allowed} 起可以发出")]


def _notice_outcome_problems(
    state: ContractState, event: Event, profile: Profile
) -> list[Problem]:
    body = event.body
    if not isinstance(body, NoticeDelivered | NoticeReturned):
        raise TypeError(f"{state.contract_no} 第 {event.seq} 条：{event.kind.value} 不是送达或退回")
    notice = state.notice(body.notice_id)
    if notice is None:
        return [Problem("", f"通知 {body.notice_id} 从未发出，不能登记送达或退回")]
    if notice.delivered_on or notice.returned_on:
        done = notice.delivered_on or notice.returned_on
        return [Problem("", f"通知 {body.notice_id} 已登记于 {done} 送达或退回")]
    sent_on = local_date(notice.sent.sent_at)
    if body.on < sent_on:
        return [Problem("on", f"日期 {body.on} 早于通知发出日期 {sent_on}")]
    if isinstance(body, NoticeReturned):
        return _return_reason_problems(notice, body.reason)
    return []


def _return_reason_problems(notice: Notice, reason: ReturnReason) -> list[Problem]:
    is_email = notice.sent.method is DeliveryMethod.EMAIL
    if is_email != (reason is ReturnReason.BOUNCED):
        allowed = "bounced" if is_email else "refused 或 undeliverable"
        return [Problem("reason", f"该通知的送达方式下退回原因应为 {allowed}")]
    return []


def _terminated_problems(state: ContractState, event: Event, profile: Profile) -> list[Problem]:
    body = event.body_as(Terminated)
    no = state.contract_no
    if state.signed is None:
        return [Problem("", f"合同 {no} 尚未签署，不能解除；未签署的合同请作废（void）")]
    if state.terminated is not None:
        return [Problem("", f"合同 {no} 已登记解除（{state.terminated.effective_on} 生效）")]
    problem = _in_force_problem(state, body.effective_on, "解除")
    if problem:
        return [problem]
    fallen = fallen_terms(state, body.effective_on)
    if fallen and not body.renewals_fall:
        first = fallen[0]
        return [Problem("with_renewal", f"合同 {no} 已续签（续签协议 {first.doc_no}，续签期限 {first.first_day} 至 "
                                        f"{fallen[-1].last_day}），续签期限开始前解除的，续签随之失效；"
                                        "确认请加 --with-renewal")]
    if body.signed_on is not None and body.signed_on < state.signed.signed_on:
        return [Problem("signed_on", f"解除协议的签署日期 {body.signed_on} 早于合同 {no} 的签署日期 "
                                     f"{state.signed.signed_on}")]
    if body.by_notice_id:
        return _termination_notice_problems(state, event, body, profile)
    return []


def fallen_terms(state: ContractState, ends_on: dt.date) -> tuple[Term, ...]:
    """The renewal terms agreed that a termination taking effect on `ends_on` leaves unbegun:
    they fall with it (a renewal is a term of the same agreement, not a new one)."""
    return tuple(t for t in state.terms[1:] if t.first_day >= ends_on)


def _termination_notice_problems(
    state: ContractState, event: Event, body: Terminated, profile: Profile
) -> list[Problem]:
    notice = state.notice(body.by_notice_id)
    nid = body.by_notice_id
    if notice is None:
        return [Problem("by_notice", f"合同 {state.contract_no} 没有编号为 {nid} 的通知")]
    if notice.sent.notice_kind is not NoticeKind.TERMINATION:
        return [Problem("by_notice", f"通知 {nid} 不是解除通知（而是{notice.sent.notice_kind.label}）")]
    view = notice_view(state, notice)
    if not view.to_address_in_force:
        return [Problem("by_notice", f"通知 {nid} 未寄往当时有效的地址（{view.address_in_force}），"
                                     "不能据此解除")]
    deemed = view.deemed_delivered_on
    if deemed is None or deemed > local_date(event.recorded_at):
        return [Problem("by_notice", f"通知 {nid} 尚未送达，不能据此解除")]
    if body.effective_on < deemed:
        return [Problem("on", f"解除不能早于通知送达之日 {deemed}（民法典第五百六十五条）")]
    if notice.sent.reason == TerminationReason.LATE_PAYMENT:
        # paid in full before the notice arrived: the right it relied on is gone (第五百六十五条)
        return late_payment_grounds(state, deemed, profile, f"通知 {nid} 送达时解除的理由已不存在，不能据此解除")
    return []


def _paid_problems(state: ContractState, event: Event, profile: Profile) -> list[Problem]:
    body = event.body_as(Paid)
    no = state.contract_no
    if state.signed is None:
        return [Problem("", f"合同 {no} 尚未签署，不能登记付款")]
    if body.amount == 0:
        return [Problem("amount", "金额不能为零")]
    if body.amount < 0 and not body.note.strip():  # as `pay` asks (contracts.commands)
        return [Problem("note", "退款或冲正（金额为负数）请用 --note 写明原因")]
    if sum((a.amount for a in body.allocations), Decimal(0)) != body.amount:
        return [Problem("amount", f"付款 {body.amount} 元与其分配到各服务年度的金额合计不符")]
    if body.method is PaymentMethod.CASH and not state.issued.customer.is_individual:
        return [Problem("method", "单位客户的协议不约定现金支付（第 8.2 条），请选择 transfer 或 other")]
    return _allocation_problems(state, body, profile)


def _allocation_problems(state: ContractState, body: Paid, profile: Profile) -> list[Problem]:
    """After this payment no service year is paid beyond its whole fee, nor refunded beyond what
    was paid towards it (every payment recorded so far counts, whatever its date). The whole fee
    even of a year a termination cut short or left unbegun: money paid before the termination,
    recorded before or after it, is what it was, and the settlement shows the refund owed. Only a
    payment dated on or after the termination cannot go to a year that never began."""
    schedule = {d.service_year: d for d in service_schedule(state, profile)}
    paid = {year: Decimal(0) for year in schedule}
    for payment in (*state.payments, body):
        for part in payment.allocations:
            if part.service_year not in paid:
                return [Problem("year", f"合同 {state.contract_no} 没有第 {part.service_year} 服务年度"
                                        f"（共 {len(schedule)} 个服务年度）")]
            paid[part.service_year] += part.amount
    ended = state.terminated
    for part in body.allocations:
        year, total = part.service_year, paid[part.service_year]
        deadline = schedule[year]
        if part.amount > 0 and ended is not None and deadline.first_day >= ended.effective_on \
                and body.on >= ended.effective_on:
            return [Problem("year", f"第 {year} 服务年度自 {deadline.first_day} 开始，合同已于 "
                                    f"{ended.effective_on} 解除，该年度不应付服务费")]
        if part.amount > 0 and total > deadline.amount:
            return [Problem("amount", f"第 {year} 服务年度的服务费为 {deadline.amount} 元，登记这笔付款后已付 "
                                      f"{total} 元，超过应付金额")]
        if total < 0:
            return [Problem("amount", f"第 {year} 服务年度已付 {total - part.amount} 元，"
                                      f"退款或冲正 {-part.amount} 元超过已付金额")]
    return []


def _late_fee_settled_problems(state: ContractState, event: Event, profile: Profile) -> list[Problem]:
    """A late fee paid or waived: of a signed contract whose rate the register holds, applied to
    service years in full, a waiver saying who decided it and why, and never more than the late
    fee accrued by its day (late_fee_excess)."""
    body = event.body
    if not isinstance(body, LateFeePaid | LateFeeWaived):
        raise TypeError(f"{state.contract_no} 第 {event.seq} 条：{event.kind.value} 不是违约金的付款或减免")
    no = state.contract_no
    if state.signed is None:
        return [Problem("", f"合同 {no} 尚未签署，没有逾期付款违约金")]
    if state.issued.late_fee is None:
        return [Problem("", f"登记簿未记录合同 {no} 的违约金利率（以签署的协议文本为准），不能登记违约金的付款或减免")]
    if body.amount <= 0 or any(a.amount <= 0 for a in body.allocations):
        return [Problem("amount", "金额必须大于零（登记错误请用 correct --retract 撤销）")]
    if sum((a.amount for a in body.allocations), Decimal(0)) != body.amount:
        return [Problem("amount", f"违约金 {body.amount} 元与其分配到各服务年度的金额合计不符")]
    if isinstance(body, LateFeeWaived) and not (body.by.strip() and body.note.strip()):
        return [Problem("note", "减免违约金请写明决定人（--by）和原因（--note）")]
    years = len(payment_deadlines(state, profile))
    missing = [a.service_year for a in body.allocations if not 1 <= a.service_year <= years]
    if missing:
        return [Problem("year", f"合同 {no} 共 {years} 个服务年度，没有第 {missing[0]} 服务年度")]
    after = dataclasses.replace(state, late_fee_settlements=(*state.late_fee_settlements, body))
    return late_fee_excess(after, body.on, profile, [a.service_year for a in body.allocations])


def late_fee_excess(state: ContractState, day: dt.date, profile: Profile, years: Iterable[int]) -> list[Problem]:
    """The years among `years` whose late fee paid and waived by `day` exceed what had accrued by
    then (a principal payment entered later, dated earlier, can lower what had accrued)."""
    accounts = {y.service_year: y for y in year_accounts(state, day, profile)}
    problems = []
    for year in sorted(set(years)):
        item = accounts.get(year)
        if item is None or item.late_fee is None or item.late_fee_owed is None or item.late_fee_owed >= 0:
            continue
        problems.append(Problem("amount", f"第 {year} 服务年度截至 {day} 的逾期付款违约金为 {item.late_fee} 元，"
                                          f"已付 {item.late_fee_paid} 元、已减免 {item.late_fee_waived} 元，"
                                          "超过应付的违约金"))
    return problems


def _voided_problems(state: ContractState, event: Event, profile: Profile) -> list[Problem]:
    if state.signed is not None:
        return [Problem("", f"合同 {state.contract_no} 已签署，不能作废；请办理解除（terminate）")]
    return []


def _sealed_problems(state: ContractState, event: Event, profile: Profile) -> list[Problem]:
    """The provider seals its copy of a document as issued: the file signed is one the register
    holds for the document the seal names."""
    return sealed_problems(state.contract_no, state.events, state.retracted, event.body_as(Sealed))


RULES = {
    Signed: _signed_problems,
    Amended: _amended_problems,
    Renewed: _renewed_problems,
    NoticeSent: _notice_sent_problems,
    NoticeDelivered: _notice_outcome_problems,
    NoticeReturned: _notice_outcome_problems,
    Terminated: _terminated_problems,
    Voided: _voided_problems,
    Paid: _paid_problems,
    Sealed: _sealed_problems,
    LateFeePaid: _late_fee_settled_problems,
    LateFeeWaived: _late_fee_settled_problems,
}


def correction_problems(state: ContractState, event: Event, profile: Profile) -> list[Problem]:
    body = event.body_as(Corrected)
    target = next((e for e in state.events if e.seq == body.corrects_seq), None)
    if target is None or body.corrects_seq == 1:
        return [Problem("seq", f"合同 {state.contract_no} 没有可更正的第 {body.corrects_seq} 条事件"
                               "（签发记录不能更正，请作废后重新签发）")]
    if target.kind is EventKind.CORRECTED:
        return [Problem("seq", "更正记录本身不能再更正")]
    if body.corrects_seq in state.retracted:
        return [Problem("seq", f"第 {body.corrects_seq} 条事件已被撤销")]
    if not body.retract and not body.changes:
        return [Problem("set", "没有要更正的内容")]
    allowed = correctable_fields(type(target.body))
    bad = [c.field for c in body.changes if c.field not in allowed]
    if bad:
        return [Problem("set", f"第 {body.corrects_seq} 条事件（{target.kind.label}）没有可更正的"
                               f"字段 {', '.join(bad)}；可更正：{', '.join(sorted(allowed))}")]
    try:
        replayed = effective_events((*state.events, event))
    except (TypeError, ValueError, ArithmeticError):  # the parser's own words are English
        typed = "、".join(f"{c.field}={c.new}" for c in body.changes)
        return [Problem("set", f"更正的内容无效：{typed}（日期写成 YYYY-MM-DD，金额写成数字）")]
    return [p for _seq, p in validate_effective(replayed, profile)]


def correctable_fields(cls: type) -> set[str]:
    """Fields a correction may change: single values, not lists (files, changes) or ids."""
    hints = field_types(cls)
    return {f.name for f in dataclasses.fields(cls)
            if typing.get_origin(hints[f.name]) is not tuple and f.name != "notice_id"}


def validate_effective(events: Iterable[Event], profile: Profile) -> list[tuple[int, Problem]]:
    """Every rule that an (effective) history breaks, with the seq of the event that breaks it."""
    return _validated(list(events), profile)[0]


def _validated(ordered: list[Event], profile: Profile) -> tuple[list[tuple[int, Problem]], ContractState | None]:
    """The problems of an (effective) history and the state it leaves (None: no issue first)."""
    if not ordered or not isinstance(ordered[0].body, Issued):
        return [(0, Problem("", "合同的第一条事件应为签发（issued）"))], None
    first = ordered[0]
    problems = [(first.seq, p) for p in issued_problems(ordered[0].body) + future_problems(first)]
    state = ContractState(ordered[0].contract_no, tuple(ordered), ordered[0].body)
    for event in ordered[1:]:
        problems += [(event.seq, p) for p in rule_problems(state, event, profile)]
        state = apply(state, event)
    # what a later record took away from an earlier one (each problem said once)
    seen = {(seq, p.message) for seq, p in problems}
    problems += [(seq, Problem(p.field, f"按全部记录重新核对：{p.message}"))
                 for seq, p in standing_problems(state, profile) if (seq, p.message) not in seen]
    return problems, state


def validate_history(events: Iterable[Event], profile: Profile) -> list[tuple[int, Problem]]:
    return validate_effective(effective_events(events), profile)


def validated_replay(
    events: Iterable[Event], profile: Profile
) -> tuple[list[tuple[int, Problem]], ContractState | None]:
    """`validate_history` and `replay` in one pass over the history: the problems, and the state
    `replay` gives (None when the history does not start with its issue). The state is `replay`'s
    for a history without problems: the issue cannot be corrected (`correction_problems`), so the
    effective history starts with the same issue; only the events kept and the correction marks
    differ, and they are `replay`'s own."""
    ordered = tuple(sorted(events, key=lambda e: e.seq))
    problems, state = _validated(list(effective_events(ordered)), profile)
    if state is None or not isinstance(ordered[0].body, Issued):
        return problems, None
    return problems, dataclasses.replace(state, events=ordered, **correction_marks(ordered))


def contract_number_head(prefix: str, year: int) -> str:
    """What every contract number of a year begins with: PREFIX-YYYY-."""
    return f"{prefix}-{year}-"


def contract_number(prefix: str, year: int, number: int) -> str:
    """The contract number `number` of the year (numbered by the year the contract is issued):
    PREFIX-YYYY-NNNNNN, six digits; the register gives the next free `number` of the year."""
    if not 0 <= number <= 999999:
        raise ValueError(f"contract number out of range: {number}")
    return f"{contract_number_head(prefix, year)}{number:06d}"


# The letter of each kind of supplementary document in its number: …-B1, …-X1, …-J1.
DOC_LETTERS = {"amendment": "B", "renewal": "X", "termination": "J"}


def next_doc_no(state: ContractState, kind: str) -> str:
    head = f"{state.contract_no}-{DOC_LETTERS[kind]}"
    used = [e for e in state.events if str(getattr(e.body, "doc_no", "")).startswith(head)]
    return f"{head}{len(used) + 1}"


def refuse(problems: list[Problem]) -> None:
    """Raise the HistoryError the service reports when an event does not fit."""
    if problems:
        raise HistoryError("；".join(p.message for p in problems))


# ---------------------------------------------------------------- amendment values
def normalise_change(field: str, value: str) -> str:
    """A new value for an amendable field, validated; raises InvalidInput naming the field."""
    key = f"set.{field}"
    if field not in AMENDABLE:
        raise InvalidInput(Problem(key, f"不能变更 {field}；可变更：{'、'.join(AMENDABLE)}"))
    if field == "annual_fee":
        return format(parse_amount(value, key), "f")
    # The same per-field rule as the customer at issue (customer.TEXT_AS_TYPED): codes in ASCII,
    # names and addresses as typed.
    if field == "phone":
        return v.phone(v.canonical_code(value), key)
    if field == "email":
        return v.email(v.canonical_code(value), key)
    if field == "address":
        return v.text(v.as_typed(value), key, AMENDABLE[field])
    return v.person_or_company_name(v.as_typed(value), key, AMENDABLE[field])


def current_value(terms: TermsInForce, field: str) -> str:
    if field == "annual_fee":
        return format(terms.annual_fee, "f")
    return str(getattr(terms.customer, field, ""))


# ---------------------------------------------------------------- the JSON view
def _d(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def customer_view(customer: Customer) -> dict[str, str]:
    data = customer.as_dict()
    if "id_number" in data:
        data["id_number"] = mask_id(data["id_number"])
    return data


def history_view(state: ContractState) -> list[dict[str, Any]]:
    items = []
    for event in state.events:
        data = dict(stored_data(event))
        if "customer" in data:  # only an issue records a customer
            data["customer"] = customer_view(event.body_as(Issued).customer)
        items.append({"seq": event.seq, "kind": event.kind.value, "label": event.kind.label,
                      "recorded_at": event.recorded_at.isoformat(), "recorded_by": event.recorded_by, **data,
                      "retracted": event.seq in state.retracted,
                      "corrected_by": list(state.corrected_by.get(event.seq, ()))})
    return items


def notice_json(view: NoticeView, as_of: dt.date) -> dict[str, Any]:
    deemed = view.deemed_delivered_on
    return {
        "notice_id": view.notice_id, "kind": view.kind.value, "method": view.method.value,
        "to": view.to, "sent_at": view.sent_at.isoformat(), "sent_on": _d(view.sent_on),
        "delivered_on": _d(view.delivered_on), "returned_on": _d(view.returned_on),
        "return_reason": view.return_reason.value if view.return_reason else None,
        "deemed_delivered_on": _d(deemed), "undeemed_reason": undeemed_reason(view),
        "delivered_by_as_of": deemed is not None and deemed <= as_of,
        "to_address_in_force": view.to_address_in_force,
        "address_in_force": view.address_in_force, "doc_no": view.doc_no or None,
        "seq": view.seq,
    }


def deadline_json(item: PaymentDeadline) -> dict[str, Any]:
    return {"service_year": item.service_year, "term": item.term,
            "first_day": _d(item.first_day), "last_day": _d(item.last_day),
            "due_on": _d(item.due_on), "shifted_from": _d(item.shifted_from),
            "provisional": item.provisional, "amount": format(item.amount, "f"),
            "prorated": None if item.proration is None else {
                "annual_fee": format(item.proration.annual_fee, "f"),
                "days_served": item.proration.days_served, "days_in_year": item.proration.days_in_year}}


def account_json(account: money.YearAccount) -> dict[str, Any]:
    """A payment deadline with what was paid towards it by the as-of date (amounts as strings)."""
    fee = account.late_fee
    return {**deadline_json(account.deadline), "paid": format(account.paid, "f"),
            "outstanding": format(account.outstanding, "f"), "days_overdue": account.days_overdue,
            "late_fee": None if fee is None else format(fee, "f"),
            "settled_on": _d(account.settled_on),
            "late_fee_paid": format(account.late_fee_paid, "f"),
            "late_fee_waived": format(account.late_fee_waived, "f"),
            "late_fee_owed": None if account.late_fee_owed is None else format(account.late_fee_owed, "f")}


def payments_json(state: ContractState, as_of: dt.date) -> list[dict[str, Any]]:
    """Every payment (and refund) made on or before as_of, as recorded."""
    return [{"on": _d(p.on), "amount": format(p.amount, "f"), "method": p.method.value,
             "reference": p.reference or None, "note": p.note or None,
             "allocations": [{"service_year": a.service_year, "amount": format(a.amount, "f")}
                             for a in p.allocations]}
            for p in sorted(state.payments, key=lambda p: p.on) if p.on <= as_of]


def late_fee_json(rate: LateFeeRate | None) -> dict[str, str] | None:
    """Clause 8.4 as issued: percent figures as strings (as printed, no float rounding)."""
    if rate is None:
        return None
    return {"annual_rate": format(rate.annual_rate, "f"), "lpr_one_year": format(rate.lpr_one_year, "f"),
            "lpr_published_on": rate.lpr_published_on.isoformat(),
            "lpr_multiple": format(rate.lpr_multiple, "f")}


def documents_view(state: ContractState) -> list[dict[str, Any]]:
    docs = []
    for event in state.events:
        files = getattr(event.body, "files", ())
        if files:
            body = event.body
            doc_no = (sealed_document_no(body, state.contract_no) if isinstance(body, Sealed)
                      else getattr(body, "doc_no", "") or state.contract_no)
            docs.append({"doc_no": doc_no, "kind": event.kind.value, "seq": event.seq,
                         "files": [encode(f) for f in files]})
    return docs


def contract_view(state: ContractState, as_of: dt.date, profile: Profile) -> dict[str, Any]:
    """The stable JSON object of `show --json` (and each item of `list --json`)."""
    terms = terms_in_force(state, as_of)
    term = current_term(state, as_of)
    deadlines = payment_deadlines(state, profile, as_of)
    upcoming = next((d for d in deadlines if d.due_on >= as_of), None)
    accounts = money.accounts(deadlines, state.payments, state.issued.late_fee, as_of, state.late_fee_settlements)
    late = arrears_on(state, as_of, profile, accounts)
    status = status_on(state, as_of, profile, late)
    fallen = fallen_terms(state, state.terminated.effective_on) if state.terminated else ()
    return {
        "contract_no": state.contract_no,
        "customer_type": state.issued.customer.type.value,
        "customer": customer_view(terms.customer),
        "status": status.value,
        "status_label": status.label,
        "as_of": as_of.isoformat(),
        "issued_on": _d(state.issued_on),
        "signed_on": _d(state.signed.signed_on if state.signed else None),
        "effective_date": _d(state.signed.effective_date if state.signed else None),
        "term_last_day": _d(term.last_day if term else None),
        "terms": [{"term": t.number, "first_day": _d(t.first_day), "last_day": _d(t.last_day),
                   "years": t.years, "signed_on": _d(t.signed_on), "doc_no": t.doc_no,
                   "fallen": t in fallen}
                  for t in state.terms],
        "terms_in_force": {"annual_fee": format(terms.annual_fee, "f"),
                           "term_years": state.issued.term_years,
                           "term_counting": state.issued.counting.value,
                           "payment_days": state.issued.payment_days,
                           "courier_deemed_days": state.issued.courier_deemed_days,
                           "late_fee": late_fee_json(state.issued.late_fee),
                           "suspend_days": suspend_days(state, profile),
                           "terminate_days": terminate_days(state, profile),
                           **customer_view(terms.customer)},
        "terminated": None if state.terminated is None else {
            "effective_on": _d(state.terminated.effective_on),
            "reason": state.terminated.reason.value, "reason_text": state.terminated.reason_text,
            "by_notice_id": state.terminated.by_notice_id or None,
            "doc_no": state.terminated.doc_no or None,
            "signed_on": _d(state.terminated.signed_on),
            "renewals_fallen": [t.doc_no for t in fallen]},
        "voided_on": _d(state.voided.on if state.voided else None),
        "next_payment": deadline_json(upcoming) if upcoming else None,
        "payment_deadlines": [account_json(a) for a in accounts],
        "payments": payments_json(state, as_of),
        "arrears": arrears_json(state, late, profile),
        "settlement": settlement_json(settlement_on(state, as_of, profile)),
        "notices": [notice_json(n, as_of) for n in notice_views(state, profile)],
        "documents": documents_view(state),
        "history": history_view(state),
    }
