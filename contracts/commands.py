"""The register's decisions as pure functions: state, request, profile, today → event or problems.

The service layer loads the state, calls a decision, renders what it must and appends the event;
it decides nothing itself. The rules every event must satisfy whatever decided it (and that
`check` replays) stay in contracts.register; a decision also refuses early, naming the option
the clerk typed, what those rules would refuse anyway. The grounds a termination notice states
(contracts.register.late_payment_grounds) are such a rule: `check` must replay them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from . import payments as money
from . import validation as v
from .amounts import parse_amount
from .customer import Customer, mask_id
from .dates import SHANGHAI, DeliveryMethod, local_date, term_last_day
from .errors import InvalidInput, Problem
from .events import (
    Allocation,
    Amended,
    Change,
    Corrected,
    LateFeePaid,
    LateFeeWaived,
    NoticeKind,
    NoticeSent,
    Paid,
    PaymentMethod,
    Renewed,
    Signed,
    Terminated,
    TerminationReason,
    parse_text_value,
    text_value,
)
from .labels import record_field
from .profile import Profile
from .register import (
    AMENDABLE,
    ContractState,
    PaymentDeadline,
    Status,
    correctable_fields,
    current_value,
    effective_events,
    final_last_day,
    next_doc_no,
    notice_view,
    payment_deadlines,
    service_schedule,
    status_on,
    terms_in_force,
    unbegun_years,
    year_accounts,
)
from .validation import text

NOTE_LIMIT = 200


@dataclass(frozen=True)
class PaymentRequest:
    """`pay`: an amount received on a day (negative: a refund, or the reversal of a payment
    recorded in error), for a given service year or, by default, the oldest still owed."""

    on: dt.date
    amount: Decimal
    year: int | None = None
    method: PaymentMethod = PaymentMethod.TRANSFER
    reference: str = ""
    note: str = ""


def parse_signed_amount(value: object, field: str = "amount") -> Decimal:
    """An amount in yuan that may be negative (a refund): the rules of parse_amount on its figure."""
    raw = str(value).strip()
    if raw[:1] in ("-", "－") and len(raw) > 1:
        return -parse_amount(raw[1:], field)
    return parse_amount(raw, field)


def decide_payment(
    state: ContractState, request: PaymentRequest, profile: Profile, today: dt.date
) -> Paid | list[Problem]:
    """The payment event, its amount applied to service years; or why it cannot be recorded."""
    problems = _payment_request_problems(state, request, today)
    if problems:
        return problems
    parts = _allocations(state, request, profile)
    if isinstance(parts, list):
        return parts
    return Paid(request.on, request.amount, parts, request.method, request.reference.strip(),
                request.note.strip())


def _payment_request_problems(
    state: ContractState, request: PaymentRequest, today: dt.date
) -> list[Problem]:
    problems = []
    if state.voided is not None:
        problems.append(Problem("", f"合同 {state.contract_no} 已于 {state.voided.on} 作废，不能登记付款"))
    elif state.signed is None:
        problems.append(Problem("", f"合同 {state.contract_no} 尚未签署，不能登记付款"))
    if request.on > today:
        problems.append(Problem("on", f"付款日期 {request.on} 晚于今天（{today}）：尚未收到的款项不能登记"))
    if request.method is PaymentMethod.CASH and not state.issued.customer.is_individual:
        problems.append(Problem("method", "单位客户的协议不约定现金支付（第 8.2 条），请选择 transfer 或 other"))
    if request.amount < 0 and not request.note.strip():
        problems.append(Problem("note", "退款或冲正（金额为负数）请用 --note 写明原因"))
    return problems + _free_text_problems((("reference", "流水号", request.reference), ("note", "说明", request.note)))


def _free_text_problems(fields: Iterable[tuple[str, str, str]]) -> list[Problem]:
    """What is wrong with each (field, label, value) of free text given (an empty one is fine)."""
    problems: list[Problem] = []
    for field, label, value in fields:
        if value.strip():
            try:
                text(value, field, label, NOTE_LIMIT)
            except InvalidInput as exc:
                problems += exc.problems
    return problems


def _allocations(
    state: ContractState, request: PaymentRequest, profile: Profile
) -> tuple[Allocation, ...] | list[Problem]:
    """--year: all of it to that year; otherwise a payment to the oldest years still owed, a
    refund from the newest years paid. The fee limits are checked by the register's rule."""
    schedule = service_schedule(state, profile)
    if request.year is not None:
        if not 1 <= request.year <= len(schedule):
            return [Problem("year", f"合同 {state.contract_no} 共 {len(schedule)} 个服务年度，"
                                    f"没有第 {request.year} 服务年度")]
        return (Allocation(request.year, request.amount),)
    room, what = _room(state, request, profile, schedule)
    parts = money.allocate(request.amount, room)
    left = sum((amount for year, amount in parts if year == 0), Decimal("0.00"))
    if left:
        total = sum((r for _y, r in room), Decimal("0.00"))
        return [Problem("amount", f"金额 {abs(request.amount)} 元超过合同 {state.contract_no} {what} "
                                  f"{total} 元")]
    return tuple(Allocation(year, amount) for year, amount in parts)


def _room(
    state: ContractState, request: PaymentRequest, profile: Profile, schedule: list[PaymentDeadline]
) -> tuple[list[tuple[int, Decimal]], str]:
    """(service year, how much this payment may apply to it) in the order it applies, and what
    the sum of it is called. Every payment recorded counts, whatever its date: the money is
    there. Once a termination has taken effect, a payment goes to what the settlement leaves
    owed, and a refund comes from what it says is to be refunded (clause 12.3)."""
    ended = state.terminated
    if ended is not None and (request.amount < 0 or request.on >= ended.effective_on):
        settled = payment_deadlines(state, profile) + unbegun_years(state, profile)
        years = money.accounts(settled, state.payments, None, dt.date.max)
        if request.amount > 0:
            return ([(y.service_year, y.outstanding) for y in years if y.outstanding > 0],
                    "解除结算后尚欠的金额合计")
        return ([(y.service_year, -y.outstanding) for y in years if y.outstanding < 0],
                "解除结算应退的金额合计")
    years = money.accounts(schedule, state.payments, None, dt.date.max)
    if request.amount > 0:
        return [(y.service_year, y.outstanding) for y in years if y.outstanding > 0], "各服务年度尚未付清的金额合计"
    return [(y.service_year, y.paid) for y in years if y.paid > 0], "已付金额合计"


# ---------------------------------------------------------------- signing
def decide_signing(
    state: ContractState, signed_on: dt.date, profile: Profile, today: dt.date
) -> Signed | list[Problem]:
    """The signing event: the agreement takes effect on the day it states (issued with an
    effective date), or else on the day it is signed (clause 12.1: the later signature's day);
    or why it cannot be recorded. The register's rules (contracts.register) say the same."""
    no = state.contract_no
    if state.voided is not None:
        return [Problem("", f"合同 {no} 已于 {state.voided.on} 作废，不能再登记任何事项")]
    if state.signed is not None:
        return [Problem("", f"合同 {no} 已于 {state.signed.signed_on} 签署，不能重复签署")]
    if signed_on > today:
        return [Problem("on", f"签署日期 {signed_on} 晚于登记之日 {today}：尚未发生的事项不能登记")]
    if signed_on < state.issued_on:
        return [Problem("on", f"签署日期 {signed_on} 早于合同 {no} 的签发日期 {state.issued_on}")]
    stated = state.issued.effective_date
    if stated is not None and signed_on > stated:
        return [Problem("on", f"协议写明的生效日期为 {stated}，签署日期不能晚于该日")]
    return Signed(signed_on, stated or signed_on)


# ---------------------------------------------------------------- late fee paid or waived
@dataclass(frozen=True)
class LateFeeRequest:
    """`late-fee pay|waive`: the late fee of clause 8.4 received, or given up by the provider
    (who decided, why), on a day; for a service year or, by default, the oldest owed first.
    No amount: all the late fee owed on the day (a waiver only; a payment says what came in)."""

    waive: bool
    on: dt.date
    amount: Decimal | None = None
    year: int | None = None
    method: PaymentMethod = PaymentMethod.TRANSFER
    reference: str = ""
    note: str = ""
    by: str = ""


def decide_late_fee(
    state: ContractState, request: LateFeeRequest, profile: Profile, today: dt.date
) -> LateFeePaid | LateFeeWaived | list[Problem]:
    """The late fee paid or waived, applied to the years whose late fee is owed on its day (what
    accrued by then, less what was paid or waived before); or why it cannot be recorded."""
    problems = _late_fee_request_problems(state, request, today)
    if problems:
        return problems
    owed = [(y.service_year, y.late_fee_owed) for y in year_accounts(state, request.on, profile)
            if y.late_fee_owed is not None and y.late_fee_owed > 0]
    if request.year is not None:
        owed = [(year, fee) for year, fee in owed if year == request.year]
    which = f"第 {request.year} 服务年度" if request.year is not None else ""
    total = sum((fee for _y, fee in owed), Decimal("0.00"))
    if not owed:
        return [Problem("year" if request.year is not None else "on",
                        f"合同 {state.contract_no} {which}截至 {request.on} 没有尚未结清的逾期付款违约金")]
    amount = total if request.amount is None else request.amount
    parts = money.allocate(amount, owed)
    if any(year == 0 for year, _a in parts):
        return [Problem("amount", f"金额 {amount} 元超过合同 {state.contract_no} {which}截至 {request.on} "
                                  f"尚未结清的逾期付款违约金 {total} 元")]
    allocations = tuple(Allocation(year, part) for year, part in parts)
    if request.waive:
        return LateFeeWaived(request.on, amount, allocations, request.by.strip(), request.note.strip())
    return LateFeePaid(request.on, amount, allocations, request.method, request.reference.strip(),
                       request.note.strip())


def _late_fee_request_problems(state: ContractState, request: LateFeeRequest, today: dt.date) -> list[Problem]:
    problems = []
    if state.voided is not None or state.signed is None:
        problems.append(Problem("", f"合同 {state.contract_no} 未签署或已作废，没有逾期付款违约金"))
    elif state.issued.late_fee is None:
        problems.append(Problem("", f"登记簿未记录合同 {state.contract_no} 的违约金利率（以签署的协议文本为准），"
                                    "不能登记违约金的付款或减免"))
    if request.on > today:
        problems.append(Problem("on", f"日期 {request.on} 晚于今天（{today}）：尚未发生的事项不能登记"))
    if request.amount is not None and request.amount <= 0:
        problems.append(Problem("amount", "金额必须大于零"))
    if request.waive and not request.by.strip():
        problems.append(Problem("by", "请用 --by 写明决定减免违约金的人"))
    if request.waive and not request.note.strip():
        problems.append(Problem("note", "请用 --note 写明减免违约金的原因"))
    if not request.waive and request.method is PaymentMethod.CASH and not state.issued.customer.is_individual:
        problems.append(Problem("method", "单位客户的协议不约定现金支付（第 8.2 条），请选择 transfer 或 other"))
    return problems + _free_text_problems((("reference", "流水号", request.reference), ("note", "说明", request.note),
                                           ("by", "决定人", request.by)))


# ---------------------------------------------------------------- notice send
@dataclass(frozen=True)
class NoticeRequest:
    """`notice send`: what was sent, how, when and where (empty `to`: where the agreement in
    force on the sending day says notices go)."""

    kind: NoticeKind
    method: DeliveryMethod
    sent_at: dt.datetime
    to: str = ""
    note: str = ""
    new_address: str = ""
    new_email: str = ""
    reason: str = ""  # termination notices
    reason_text: str = ""


def decide_notice(
    state: ContractState, request: NoticeRequest, notice_id: str, doc_no: str
) -> NoticeSent | list[Problem]:
    """The notice-sent event, or why not: `--to` defaults to the customer's address (email, for
    an email) in force on the sending day, whatever the kind, as the option's help says; an
    email goes to a valid address; an address change's new email is one."""
    problems: list[Problem] = []
    to = request.to.strip()
    if not to:
        customer = terms_in_force(state, local_date(request.sent_at)).customer
        to = customer.email if request.method is DeliveryMethod.EMAIL else customer.address
        if not to:
            what = "电子邮箱" if request.method is DeliveryMethod.EMAIL else "通讯地址"
            problems.append(Problem("to", f"合同 {state.contract_no} 的客户没有登记{what}，"
                                          "请用 --to 写明通知寄往的地址或邮箱"))
    elif request.method is DeliveryMethod.EMAIL:
        to = _checked(problems, v.email, v.canonical_code(to), "to")
    new_email = request.new_email.strip()
    if new_email:
        new_email = _checked(problems, v.email, v.canonical_code(new_email), "new_email")
    if request.kind is NoticeKind.ADDRESS_CHANGE and not (request.new_address.strip() or new_email):
        problems.append(Problem("new_address", "变更通知地址的通知应写明新的通讯地址（--new-address）"
                                               "或电子邮箱（--new-email）"))
    reason = request.reason
    if request.kind is NoticeKind.TERMINATION:
        allowed = [r.value for r in TerminationReason if r is not TerminationReason.MUTUAL]
        if reason not in allowed:
            problems.append(Problem("reason", f"解除通知应写明解除原因：{'、'.join(allowed)}"
                                              "（协商一致解除请直接用 terminate --reason mutual）"))
    if problems:
        return problems
    return NoticeSent(notice_id, request.kind, request.method, to, request.sent_at, doc_no,
                      (request.note or request.reason_text).strip(), request.new_address.strip(),
                      new_email, reason)


def _checked(problems: list[Problem], rule: Callable[[str, str], str], value: str, field: str) -> str:
    try:
        return rule(value, field)
    except InvalidInput as exc:
        problems.extend(exc.problems)
        return value


# ---------------------------------------------------------------- a second contract
ENDED = (Status.TERMINATED, Status.EXPIRED, Status.VOIDED)


def second_contract_problems(
    customer: Customer, states: Iterable[ContractState], profile: Profile, today: dt.date,
    allow_second: bool,
) -> list[Problem]:
    """A customer (the same ID number or credit code) who has a contract not ended gets a second
    one only when the clerk confirms it: two live agreements for one customer are usually a
    contract issued twice by mistake. Says which contracts exist and where they stand today."""
    if allow_second:
        return []
    identity = customer.identity.strip().upper()
    live = []
    for state in states:
        if state.issued.customer.identity.strip().upper() != identity:
            continue
        status = status_on(state, today, profile)
        if status not in ENDED:
            live.append(f"{state.contract_no}（{status.label}）")
    if not live:
        return []
    shown = mask_id(customer.identity) if customer.is_individual else customer.identity
    kind = "身份证号" if customer.is_individual else "统一社会信用代码"
    return [Problem("allow_second", f"客户 {customer.name}（{kind} {shown}）已有未终止的合同 {'、'.join(live)}；"
                                    "确要再签发一份请加 --allow-second")]


# ---------------------------------------------------------------- corrections
@dataclass(frozen=True)
class CorrectionRequest:
    """`correct`: record `seq` had these fields wrong (names as typed, Chinese or code), or
    should not have been recorded at all (`retract`); why, and who says so."""

    seq: int
    changes: tuple[tuple[str, str], ...] = ()
    retract: bool = False
    note: str = ""
    by: str = ""


def decide_correction(state: ContractState, request: CorrectionRequest) -> Corrected | list[Problem]:
    """The correction event: each field named as the register names it, the value before (as the
    record stands, corrections so far applied) and after, and what follows from it. Whether the
    history stays valid is the register's rule (contracts.register.correction_problems)."""
    target = next((e for e in effective_events(state.events) if e.seq == request.seq), None)
    if target is None or request.seq == 1:
        return [Problem("seq", f"合同 {state.contract_no} 没有可更正的第 {request.seq} 条记录"
                               "（签发记录不能更正，请作废后重新签发）")]
    what = f"第 {request.seq} 条记录（{target.kind.label}）"
    allowed = correctable_fields(type(target.body))
    problems: list[Problem] = []
    values: dict[str, str] = {}
    for name, value in request.changes:
        try:
            field = record_field(name, allowed, what)
        except InvalidInput as exc:
            problems += exc.problems
            continue
        value = value.strip()
        if isinstance(getattr(target.body, field), dt.datetime):
            # a time (a notice's sending) is typed as `notice send --on` takes it: a day alone
            # or an ISO time, Beijing time when no zone is given
            try:
                value = text_value(v.moment(value, field, SHANGHAI))
            except InvalidInput as exc:
                problems += exc.problems
                continue
        try:
            parse_text_value(type(target.body), field, value)
        except (TypeError, ValueError, ArithmeticError):  # the parsers' own words are English
            problems.append(Problem("set", f"更正的内容无效：{field}={value}（日期写成 YYYY-MM-DD，金额写成数字）"))
            continue
        values[field] = value
    if problems:
        return problems
    values.update(_following(state, target.body, values))
    changes = tuple(Change(f, text_value(getattr(target.body, f)), new) for f, new in values.items()
                    if text_value(getattr(target.body, f)) != new)
    if values and not changes and not request.retract:
        return [Problem("set", f"{what}的内容与更正的值相同，没有要更正的内容")]
    return Corrected(request.seq, changes, request.retract, request.note.strip(), request.by.strip())


def _following(state: ContractState, body: object, values: dict[str, str]) -> dict[str, str]:
    """Values that followed a corrected one when the record was made: an agreement that states no
    effective date takes effect the day it is signed, so a corrected signing date moves it too."""
    if (isinstance(body, Signed) and "signed_on" in values and "effective_date" not in values
            and state.issued.effective_date is None and body.effective_date == body.signed_on):
        return {"effective_date": values["signed_on"]}
    return {}


def correction_reason_problems(request: CorrectionRequest) -> list[Problem]:
    """A correction says why (it changes what the register says happened); asked last, once the
    correction itself is right."""
    if not request.note.strip():
        return [Problem("note", "请用 --note 写明更正原因")]
    return []


# ---------------------------------------------------------------- amendment, renewal, termination
def decide_amendment(
    state: ContractState, signed_on: dt.date, effective_on: dt.date, new_values: Mapping[str, str]
) -> Amended | list[Problem]:
    """A 补充协议 changing each field to its (already normalised) new value from effective_on;
    a change to the value already in force is no change."""
    before = terms_in_force(state, effective_on)
    diff = tuple(Change(f, current_value(before, f), new) for f, new in new_values.items())
    same = [AMENDABLE[c.field] for c in diff if c.old == c.new]
    if same:
        return [Problem("set", f"{'、'.join(same)}与现行约定相同，无需变更")]
    return Amended(next_doc_no(state, "amendment"), signed_on, effective_on, diff)


def decide_renewal(
    state: ContractState, signed_on: dt.date, years: int | None, annual_fee: object
) -> Renewed | list[Problem]:
    """A 续签协议: a new term from the day after the last day agreed so far, counted as the
    agreement counts its term, at the fee given or the one in force on that last day."""
    term_years = years or state.issued.term_years
    last = final_last_day(state) or signed_on
    first = last + dt.timedelta(days=1)
    try:
        fee = (parse_amount(annual_fee, "annual_fee") if annual_fee not in (None, "")
               else terms_in_force(state, last).annual_fee)
    except InvalidInput as exc:
        return list(exc.problems)
    return Renewed(next_doc_no(state, "renewal"), signed_on, term_years, first,
                   term_last_day(first, term_years, state.issued.counting), fee)


def termination_by_notice(
    state: ContractState, notice_id: str, on: dt.date | None, today: dt.date
) -> Terminated:
    """A termination by a notice, effective on its deemed delivery (民法典 第五百六十五条);
    whether the notice allows it is the register's rule (check_new_event)."""
    notice = state.notice(notice_id)
    if notice is None:
        return Terminated(on or today, TerminationReason.OTHER, by_notice_id=notice_id)
    deemed = notice_view(state, notice).deemed_delivered_on
    reason = notice.sent.reason if notice.sent.reason in set(TerminationReason) else "other"
    return Terminated(on or deemed or today, TerminationReason(reason), notice.sent.note,
                      notice_id, notice.sent.doc_no)


def decide_agreed_termination(
    state: ContractState, on: dt.date | None, reason: str | None, reason_text: str,
    signed_on: dt.date | None, today: dt.date,
) -> Terminated | list[Problem]:
    """A mutual termination (解除协议) signed on SIGNED_ON (default today), effective ON."""
    problems = []
    if on is None:
        problems.append(Problem("on", "请用 --on 写明解除生效的日期，或用 --by-notice 指明解除通知"))
    signed = signed_on or today
    if signed > today:
        problems.append(Problem("signed_on", f"解除协议的签署日期 {signed} 晚于今天（{today}），"
                                             "请在签署后登记"))
    elif state.signed is not None and signed < state.signed.signed_on:
        problems.append(Problem("signed_on", f"解除协议的签署日期 {signed} 早于合同 {state.contract_no} "
                                             f"的签署日期 {state.signed.signed_on}"))
    try:
        why = TerminationReason(reason or "")
    except ValueError:
        why = TerminationReason.OTHER
        allowed = "、".join(r.value for r in TerminationReason)
        problems.append(Problem("reason", f"解除原因“{reason or ''}”无效，可选：{allowed}"))
    if problems or on is None:
        return problems
    return Terminated(on, why, reason_text.strip(), "", next_doc_no(state, "termination"),
                      signed_on=signed)
