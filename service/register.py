"""The register's application functions: what each command does, around the pure domain.

Every function that records an event reads the contract's history under the store's lock,
replays it, builds the event, asks `check_new_event` whether it fits, writes the event's
documents (if any), and appends. When the event does not fit, a HistoryError says why and
nothing is written: no document, no record.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gc
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from contracts.amounts import parse_amount, rmb_capitals, rmb_figures
from contracts.customer import Customer
from contracts.dates import SHANGHAI, DeliveryMethod, local_date, term_last_day
from contracts.errors import HistoryError, InvalidInput, NotFound, Problem
from contracts.events import (
    GENESIS,
    Amended,
    Body,
    Change,
    Corrected,
    Event,
    EventKind,
    FileHash,
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
    text_value,
    to_record,
)
from contracts.profile import Profile, sample_refusal
from contracts.register import (
    AMENDABLE,
    ContractState,
    Status,
    agreed_profile,
    arrears_on,
    check_new_event,
    contract_view,
    current_value,
    effective_events,
    final_last_day,
    normalise_change,
    notice_view,
    refuse,
    replay,
    status_on,
    terms_in_force,
)
from contracts.resolver import resolve
from contracts.supplements import amendment_context, renewal_context, termination_context
from store import Store, open_store
from store.base import Record
from store.chain import Head

from . import integrity
from .generate import AgreementRequest, build_agreement, write_agreement
from .integrity import CheckReport, Verified
from .output import WrittenFile, safe_stem, write_documents
from .sources import load_source

# Letters of the documents numbered from the contract: VIP-2026-000001-B1 (补充协议),
# -X1 (续签协议), -J1 (解除通知书 / 解除协议).
DOC_LETTERS = {"amendment": "B", "renewal": "X", "termination": "J"}
NOTICE_PREFIX = "N-"


@dataclass(frozen=True)
class Recorded:
    """What a command recorded: the event, and the documents it wrote."""

    event: Event
    files: tuple[WrittenFile, ...] = ()

    @property
    def contract_no(self) -> str:
        return self.event.contract_no


def now_shanghai() -> dt.datetime:
    return dt.datetime.now(SHANGHAI)


# ---------------------------------------------------------------- reading
def events_of(records: Sequence[Mapping[str, Any]]) -> list[Event]:
    return [from_record(r) for r in records]


def load_state(store: Store, profile: Profile, contract_no: str) -> ContractState:
    records = store.history(contract_no)
    if not records:
        raise NotFound(f"登记簿中没有合同 {contract_no}")
    return replay(events_of(records), profile)


@contextlib.contextmanager
def bulk_read() -> Iterator[None]:
    """Pause the cyclic garbage collector while every history is read.

    A full read allocates millions of small objects and no reference cycles; the collector's
    passes over them cost about a third of the time of `list` at 10,000 contracts.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def states(store: Store, profile: Profile) -> Iterator[ContractState]:
    for _contract_no, records in store.histories():
        yield replay(events_of(records), profile)


# ---------------------------------------------------------------- numbers
def next_contract_no(store: Store, prefix: str, year: int) -> str:
    """One more than the highest number of the year in the store: PREFIX-YYYY-NNNNNN."""
    head = f"{prefix}-{year}-"
    used = [int(n[len(head):]) for n in store.contract_numbers()
            if n.startswith(head) and n[len(head):].isdigit()]
    return f"{head}{max(used, default=0) + 1:06d}"


def peek_contract_no(db_path: Path, prefix: str, today: dt.date) -> str:
    """The number `issue` would give now (not reserved); creates no file."""
    if not Path(db_path).exists():
        return f"{prefix}-{today.year}-000001"
    store = open_store(db_path)
    try:
        return next_contract_no(store, prefix, today.year)
    finally:
        store.close()


def _notice_records(store: Store) -> Iterator[tuple[str, Record]]:
    for record in store.find(EventKind.NOTICE_SENT.value):
        yield str(record.get("contract_no")), record


def next_notice_id(store: Store) -> str:
    """One more than the newest notice's number (numbers are given under the store's lock, so
    the notice appended last has the highest)."""
    last = store.last(EventKind.NOTICE_SENT.value)
    number = str((last or {}).get("data", {}).get("notice_id", "")).removeprefix(NOTICE_PREFIX)
    return f"{NOTICE_PREFIX}{int(number) + 1 if number.isdigit() else 1:06d}"


def find_notice(store: Store, notice_id: str) -> str:
    """The contract a notice belongs to."""
    for contract_no, record in _notice_records(store):
        if record["data"].get("notice_id") == notice_id:
            return contract_no
    raise NotFound(f"通知 {notice_id} 从未发出（登记簿中没有该通知），不能登记送达或退回")


def next_doc_no(state: ContractState, kind: str) -> str:
    head = f"{state.contract_no}-{DOC_LETTERS[kind]}"
    used = [e for e in state.events if str(getattr(e.body, "doc_no", "")).startswith(head)]
    return f"{head}{len(used) + 1}"


# ---------------------------------------------------------------- recording
def _seal(state: ContractState, body: Body, now: dt.datetime | None) -> Event:
    return seal(state.contract_no, state.last_seq + 1, now or now_shanghai(), body,
                state.last_hash)


def _append(store: Store, state: ContractState, event: Event, profile: Profile) -> None:
    refuse(check_new_event(state, event, profile))
    store.append(state.contract_no, state.last_seq, [to_record(event)])


def _record_with_files(
    store: Store, state: ContractState, profile: Profile, event: Event,
    render: Any, now: dt.datetime | None,
) -> Recorded:
    """Check `event`, write its documents with `render()`, then append it with their hashes."""
    refuse(check_new_event(state, event, profile))
    written = tuple(render()) if render else ()
    if written:
        event = _seal(state, dataclasses.replace(event.body, files=file_hashes(written)), now)
    try:
        _append(store, state, event, profile)
    except BaseException:
        remove_files(written)
        raise
    return Recorded(event, written)


def file_hashes(written: Sequence[WrittenFile]) -> tuple[FileHash, ...]:
    return tuple(FileHash(w.format, w.path.name, w.sha256) for w in written)


def remove_files(written: Sequence[WrittenFile]) -> None:
    for item in written:
        Path(item.path).unlink(missing_ok=True)


def write_supplement(
    kind: str, context: Mapping[str, Any], contract_no: str, doc_no: str, customer: Customer,
    out_dir: Path, formats: Sequence[str], issued_on: dt.date,
) -> list[WrittenFile]:
    doc = resolve(load_source(kind), context, contract_no=contract_no, doc_no=doc_no)
    doc = dataclasses.replace(doc, issued_on=issued_on)
    return write_documents(doc, Path(out_dir), formats, safe_stem(doc_no, customer.name))


# ---------------------------------------------------------------- issue, sign, void
def refuse_sample(profile: Profile) -> None:
    problem = sample_refusal(profile)
    if problem:
        raise InvalidInput(problem)


def _issued_body(
    profile: Profile, request: AgreementRequest, day: dt.date,
    files: Sequence[WrittenFile] = (), batch: Mapping[str, str] | None = None,
) -> Issued:
    return Issued(day, request.customer, request.annual_fee, profile.term_years,
                  profile.term_counting, profile.payment_days, profile.courier_deemed_days,
                  request.effective_date, file_hashes(files), dict(batch or {}),
                  profile.renewal_notice_days, profile.late_fee,
                  profile.late_payment_suspend_days, profile.late_payment_terminate_days)


def issue(
    store: Store, profile: Profile, request: AgreementRequest, out_dir: Path,
    formats: Sequence[str], *, issued_on: dt.date | None = None, now: dt.datetime | None = None,
    allow_sample: bool = False,
) -> Recorded:
    """Number, write and register a new agreement (the number and the record, or neither).
    ALLOW_SAMPLE: only the demo register may carry the built-in sample provider."""
    if not allow_sample:
        refuse_sample(profile)
    now = now or now_shanghai()
    day = issued_on or local_date(now)
    with store.locked():
        contract_no = next_contract_no(store, profile.number_prefix, day.year)
        event = seal(contract_no, 1, now, _issued_body(profile, request, day), GENESIS)
        refuse(check_new_event(None, event, profile))
        doc = build_agreement(profile, request, contract_no, day)
        written = write_agreement(doc, request.customer, Path(out_dir), formats)
        try:
            recorded = record_issued(store, profile, contract_no, request, day, written, now=now)
        except BaseException:
            remove_files(written)
            raise
    return dataclasses.replace(recorded, files=tuple(written))


def record_issued(
    store: Store, profile: Profile, contract_no: str, request: AgreementRequest,
    issued_on: dt.date, files: Sequence[WrittenFile], *, batch: Mapping[str, str] | None = None,
    now: dt.datetime | None = None,
) -> Recorded:
    """Register an agreement already written under `contract_no` (the batch path). Refuses a
    number already taken, and a customer already issued under the same batch key."""
    with store.locked():
        if store.history(contract_no):
            raise HistoryError(f"合同编号 {contract_no} 已被占用")
        key = (batch or {}).get("key", "")
        if key and any(i.customer.identity == request.customer.identity
                       for _no, i in issued_in_batch(store, key)):
            raise HistoryError(f"客户 {request.customer.name} 已在本批次（{key}）中签发")
        body = _issued_body(profile, request, issued_on, files, batch)
        event = seal(contract_no, 1, now or now_shanghai(), body, GENESIS)
        refuse(check_new_event(None, event, profile))
        store.append(contract_no, 0, [to_record(event)])
    return Recorded(event, tuple(files))


def issued_in_batch(store: Store, batch_key: str) -> list[tuple[str, Issued]]:
    """(contract_no, issued) of every contract issued under `batch_key`."""
    found = []
    for contract_no, records in store.histories():
        first = records[0] if records else {}
        if first.get("kind") == EventKind.ISSUED.value and \
                first.get("data", {}).get("batch", {}).get("key") == batch_key:
            found.append((contract_no, from_record(first).body))
    return found  # type: ignore[return-value]


def next_contract_numbers(store: Store, prefix: str, year: int, count: int) -> list[str]:
    """The next `count` free numbers of the year, in order, without taking them."""
    first = int(next_contract_no(store, prefix, year).rsplit("-", 1)[1])
    return [f"{prefix}-{year}-{n:06d}" for n in range(first, first + count)]


def sign(
    store: Store, profile: Profile, contract_no: str, signed_on: dt.date,
    *, now: dt.datetime | None = None,
) -> Recorded:
    """Signed on `signed_on`; effective that day (or on the day the agreement states)."""
    with store.locked():
        state = load_state(store, profile, contract_no)
        effective = state.issued.effective_date or signed_on
        event = _seal(state, Signed(signed_on, effective), now)
        _append(store, state, event, profile)
    return Recorded(event)


def void(
    store: Store, profile: Profile, contract_no: str, on: dt.date, reason: str = "",
    *, now: dt.datetime | None = None,
) -> Recorded:
    with store.locked():
        state = load_state(store, profile, contract_no)
        event = _seal(state, Voided(on, reason.strip()), now)
        _append(store, state, event, profile)
    return Recorded(event)


# ---------------------------------------------------------------- amend, renew
def display_value(field: str, value: str) -> str:
    if field == "annual_fee" and value:
        amount = Decimal(value)
        return f"人民币{rmb_figures(amount)}元（大写：{rmb_capitals(amount)}）"
    return value or "（无）"


def amend(
    store: Store, profile: Profile, contract_no: str, *, signed_on: dt.date,
    effective_on: dt.date, changes: Mapping[str, str], out_dir: Path, formats: Sequence[str],
    now: dt.datetime | None = None,
) -> Recorded:
    """A 补充协议 changing `changes` (field -> new value) from `effective_on`."""
    if not changes:
        raise InvalidInput(Problem("set", "请用 --set 字段=新值 写明要变更的内容，如 --set annual_fee=15800"))
    new_values = {field: normalise_change(field, value) for field, value in changes.items()}
    with store.locked():
        state = load_state(store, profile, contract_no)
        before = terms_in_force(state, effective_on)
        diff = tuple(Change(f, current_value(before, f), new) for f, new in new_values.items())
        same = [AMENDABLE[c.field] for c in diff if c.old == c.new]
        if same:
            raise HistoryError(f"{'、'.join(same)}与现行约定相同，无需变更")
        doc_no = next_doc_no(state, "amendment")
        event = _seal(state, Amended(doc_no, signed_on, effective_on, diff), now)
        return _record_with_files(store, state, profile, event, lambda: _amendment_files(
            state, profile, event.body, out_dir, formats), now)


def _amendment_files(
    state: ContractState, profile: Profile, body: Amended, out_dir: Path, formats: Sequence[str]
) -> list[WrittenFile]:
    customer = terms_in_force(state, body.signed_on).customer
    rows = [(AMENDABLE[c.field], display_value(c.field, c.old), display_value(c.field, c.new))
            for c in body.changes]
    context = amendment_context(
        customer, profile, contract_no=state.contract_no, doc_no=body.doc_no,
        contract_signed_on=state.signed.signed_on if state.signed else None,
        signed_on=body.signed_on, effective_on=body.effective_on, changes=rows,
        term_last_day=final_last_day(state) or body.effective_on)
    return write_supplement("amendment", context, state.contract_no, body.doc_no, customer,
                            out_dir, formats, body.signed_on)


def renew(
    store: Store, profile: Profile, contract_no: str, *, signed_on: dt.date,
    years: int | None = None, annual_fee: str | Decimal | None = None, out_dir: Path,
    formats: Sequence[str], now: dt.datetime | None = None,
) -> Recorded:
    """A 续签协议: a new term from the day after the current last day, counted as the term."""
    with store.locked():
        state = load_state(store, profile, contract_no)
        years = years or state.issued.term_years
        last = final_last_day(state) or signed_on
        first = last + dt.timedelta(days=1)
        fee = (parse_amount(annual_fee, "annual_fee") if annual_fee not in (None, "")
               else terms_in_force(state, last).annual_fee)
        body = Renewed(next_doc_no(state, "renewal"), signed_on, years, first,
                       term_last_day(first, years, state.issued.counting), fee)
        event = _seal(state, body, now)
        return _record_with_files(store, state, profile, event, lambda: _renewal_files(
            state, profile, body, out_dir, formats), now)


def _renewal_files(
    state: ContractState, profile: Profile, body: Renewed, out_dir: Path, formats: Sequence[str]
) -> list[WrittenFile]:
    customer = terms_in_force(state, body.signed_on).customer
    context = renewal_context(
        customer, profile, contract_no=state.contract_no, doc_no=body.doc_no,
        signed_on=body.signed_on, current_last_day=body.first_day - dt.timedelta(days=1),
        new_first_day=body.first_day, new_last_day=body.last_day, years=body.years,
        annual_fee=body.annual_fee)
    return write_supplement("renewal", context, state.contract_no, body.doc_no, customer,
                            out_dir, formats, body.signed_on)


# ---------------------------------------------------------------- notices
@dataclass(frozen=True)
class NoticeRequest:
    kind: NoticeKind
    method: DeliveryMethod
    sent_at: dt.datetime
    to: str = ""  # empty: the customer's address (or email) in force on the sending day
    note: str = ""
    new_address: str = ""
    new_email: str = ""
    reason: str = ""  # termination notices
    reason_text: str = ""


def _notice_body(state: ContractState, notice_id: str, req: NoticeRequest) -> NoticeSent:
    to = req.to.strip()
    if not to and req.kind is not NoticeKind.ADDRESS_CHANGE:
        customer = terms_in_force(state, local_date(req.sent_at)).customer
        to = customer.email if req.method is DeliveryMethod.EMAIL else customer.address
    if not to:
        raise InvalidInput(Problem("to", "请用 --to 写明通知寄往的地址或邮箱"))
    reason = req.reason
    if req.kind is NoticeKind.TERMINATION:
        reason = _notice_reason(reason)
    doc_no = next_doc_no(state, "termination") if req.kind is NoticeKind.TERMINATION else ""
    return NoticeSent(notice_id, req.kind, req.method, to, req.sent_at, doc_no,
                      (req.note or req.reason_text).strip(), req.new_address.strip(),
                      req.new_email.strip(), reason)


def _notice_reason(reason: str) -> str:
    allowed = [r.value for r in TerminationReason if r is not TerminationReason.MUTUAL]
    if reason not in allowed:
        raise InvalidInput(Problem("reason", f"解除通知应写明解除原因：{'、'.join(allowed)}"
                                             "（协商一致解除请直接用 terminate --reason mutual）"))
    return reason


def send_notice(
    store: Store, profile: Profile, contract_no: str, request: NoticeRequest, *,
    out_dir: Path | None = None, formats: Sequence[str] = (), now: dt.datetime | None = None,
) -> Recorded:
    """Record a notice sent; a termination notice also writes its 解除通知书."""
    with store.locked():
        state = load_state(store, profile, contract_no)
        body = _notice_body(state, next_notice_id(store), request)
        event = _seal(state, body, now)
        render = None
        if body.notice_kind is NoticeKind.TERMINATION and out_dir is not None and formats:
            def render() -> list[WrittenFile]:
                return _termination_files(state, profile, body.doc_no, body.reason,
                                          request.reason_text, local_date(body.sent_at), None,
                                          True, out_dir, formats)
        return _record_with_files(store, state, profile, event, render, now)


def record_delivery(
    store: Store, profile: Profile, notice_id: str, on: dt.date, *, now: dt.datetime | None = None
) -> Recorded:
    with store.locked():
        state = load_state(store, profile, find_notice(store, notice_id))
        event = _seal(state, NoticeDelivered(notice_id, on), now)
        _append(store, state, event, profile)
    return Recorded(event)


def record_return(
    store: Store, profile: Profile, notice_id: str, on: dt.date, reason: ReturnReason,
    *, now: dt.datetime | None = None,
) -> Recorded:
    with store.locked():
        state = load_state(store, profile, find_notice(store, notice_id))
        event = _seal(state, NoticeReturned(notice_id, on, ReturnReason(reason)), now)
        _append(store, state, event, profile)
    return Recorded(event)


# ---------------------------------------------------------------- terminate
def terminate(
    store: Store, profile: Profile, contract_no: str, *, on: dt.date | None = None,
    reason: str | None = None, reason_text: str = "", by_notice: str | None = None,
    signed_on: dt.date | None = None, out_dir: Path | None = None, formats: Sequence[str] = (),
    now: dt.datetime | None = None,
) -> Recorded:
    """By a delivered termination notice (effective on its delivery, 民法典 第五百六十五条),
    or by agreement on `on` (writes a 解除协议 dated `signed_on`, by default today)."""
    now = now or now_shanghai()
    if by_notice and signed_on is not None:
        raise InvalidInput(Problem("signed_on", "签署日期只用于协商解除（解除协议的签署日期）；"
                                                "依通知解除的，解除日期由通知的送达确定"))
    with store.locked():
        state = load_state(store, profile, contract_no)
        if by_notice:
            event = _seal(state, _by_notice_body(state, by_notice, on, local_date(now)), now)
            return _record_with_files(store, state, profile, event, None, now)
        body = _agreed_termination(state, on, reason, reason_text, signed_on, local_date(now))
        event = _seal(state, body, now)
        signed = body.signed_on or local_date(now)

        def render() -> list[WrittenFile]:
            return _termination_files(state, profile, body.doc_no, body.reason.value,
                                      body.reason_text, signed, body.effective_on,
                                      False, out_dir, formats)

        return _record_with_files(store, state, profile, event,
                                  render if out_dir is not None and formats else None, now)


def _by_notice_body(
    state: ContractState, notice_id: str, on: dt.date | None, today: dt.date
) -> Terminated:
    notice = state.notice(notice_id)
    if notice is None:
        return Terminated(on or today, TerminationReason.OTHER, by_notice_id=notice_id)
    deemed = notice_view(state, notice).deemed_delivered_on
    reason = notice.sent.reason if notice.sent.reason in set(TerminationReason) else "other"
    return Terminated(on or deemed or today, TerminationReason(reason), notice.sent.note,
                      notice_id, notice.sent.doc_no)


def _agreed_termination(
    state: ContractState, on: dt.date | None, reason: str | None, reason_text: str,
    signed_on: dt.date | None, today: dt.date,
) -> Terminated:
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
    if problems:
        raise InvalidInput(problems)
    assert on is not None
    return Terminated(on, why, reason_text.strip(), "", next_doc_no(state, "termination"),
                      signed_on=signed)


def _termination_files(
    state: ContractState, profile: Profile, doc_no: str, reason: str, reason_text: str,
    issued_on: dt.date, effective_on: dt.date | None, by_notice: bool, out_dir: Path | None,
    formats: Sequence[str],
) -> list[WrittenFile]:
    customer = terms_in_force(state, issued_on).customer
    # a notice for late payment states the arrears the register shows on its day
    late = arrears_on(state, issued_on, profile) if by_notice and reason == "late_payment" else None
    context = termination_context(
        customer, agreed_profile(state, profile), contract_no=state.contract_no, doc_no=doc_no,
        issued_on=issued_on, reason=reason, reason_text=reason_text, effective_on=effective_on,
        by_notice=by_notice, arrears=late)
    return write_supplement("termination", context, state.contract_no, doc_no, customer,
                            Path(out_dir or "."), formats, issued_on)


# ---------------------------------------------------------------- correct
def correct(
    store: Store, profile: Profile, contract_no: str, seq: int, *,
    changes: Mapping[str, str] | None = None, retract: bool = False, note: str = "",
    now: dt.datetime | None = None,
) -> Recorded:
    """A later event that corrects (or retracts) event `seq`; the history itself stays."""
    with store.locked():
        state = load_state(store, profile, contract_no)
        current = {e.seq: e for e in effective_events(state.events)}.get(seq)
        diff: tuple[Change, ...] = ()
        if current is not None and changes:
            diff = tuple(Change(f, text_value(getattr(current.body, f, "")), str(val))
                         for f, val in changes.items())
        event = _seal(state, Corrected(seq, diff, retract, note.strip()), now)
        _append(store, state, event, profile)
    return Recorded(event)


# ---------------------------------------------------------------- views
def show(store: Store, profile: Profile, contract_no: str, as_of: dt.date) -> dict[str, Any]:
    return contract_view(load_state(store, profile, contract_no), as_of, profile)


def list_contracts(
    store: Store, profile: Profile, as_of: dt.date, status: str | None = None
) -> list[dict[str, Any]]:
    wanted = Status(status) if status else None
    with bulk_read():
        return [contract_view(state, as_of, profile) for state in states(store, profile)
                if wanted is None or status_on(state, as_of, profile) is wanted]


def check(store: Store, profile: Profile, expect_head: Head | None = None) -> CheckReport:
    """Walk the whole register: the chain over every append, every history replayed, torn lines
    (see service.integrity)."""
    with bulk_read():
        return integrity.check(store, profile, expect_head)


def verify(store: Store, path: Path, expect_head: Head | None = None) -> Verified | None:
    """Which contract and event issued the file with this content, if the register did."""
    with bulk_read():
        return integrity.verify(store, path, expect_head)
