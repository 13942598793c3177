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
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from contracts.amounts import rmb_capitals, rmb_figures
from contracts.checks import check_chain
from contracts.commands import (
    CorrectionRequest,
    NoticeRequest,
    correction_reason_problems,
    decide_agreed_termination,
    decide_amendment,
    decide_correction,
    decide_notice,
    decide_renewal,
    decide_signing,
    second_contract_problems,
    termination_by_notice,
)
from contracts.customer import Customer
from contracts.dates import SHANGHAI, local_date
from contracts.document import Document
from contracts.errors import HistoryError, InvalidInput, NotFound, Problem
from contracts.events import (
    GENESIS,
    Amended,
    Body,
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
    Sealed,
    Terminated,
    Voided,
    from_record,
    seal,
    to_record,
)
from contracts.profile import Profile, sample_refusal
from contracts.register import (
    AMENDABLE,
    ContractState,
    Status,
    agreed_profile,
    apply,
    arrears_on,
    check_new_event,
    contract_number,
    contract_number_head,
    contract_view,
    final_last_day,
    next_doc_no,
    normalise_change,
    refuse,
    replay,
    settlement_on,
    status_on,
    stood_on,
    terms_in_force,
)
from contracts.resolver import resolve
from contracts.settlement import Settlement
from contracts.signed_rows import signed_events
from contracts.summary import summarize
from contracts.supplements import amendment_context, renewal_context, termination_context
from store import Store, StoreError, open_store, register_exists
from store.atomic import OutputExists, exists_message, sha256_file
from store.chain import Head
from store.fault import fault_point

from . import integrity, output, writes
from .archive import data_for
from .generate import AgreementRequest, build_agreement, issued_body
from .integrity import CheckReport, Verified
from .output import WrittenFile, safe_stem
from .sources import load_source

# Letters of the documents numbered from the contract: VIP-2026-000001-B1 (补充协议),
# -X1 (续签协议), -J1 (解除通知书 / 解除协议).
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
    """The contract as its records say, once its own hash chain holds: a line edited by hand is
    never shown as fact nor built on by a writer (one contract's chain is cheap; `check` walks all)."""
    records = store.history(contract_no)
    if not records:
        raise NotFound(f"登记簿中没有合同 {contract_no}")
    broken = check_chain(contract_no, records, profile)
    if broken:
        raise StoreError(f"合同 {contract_no} 的登记不可信：{broken[0].message}；"
                         "未作任何处理，请运行 vipcontract check")
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
    """One more than the highest number of the year in the store (contracts.register numbers)."""
    return contract_number(prefix, year, store.next_number("contract", contract_number_head(prefix, year)))


def peek_contract_no(db_path: Path | str, prefix: str, today: dt.date) -> str:
    """The number `issue` would give now (not reserved); creates no file."""
    if not register_exists(db_path):
        return contract_number(prefix, today.year, 1)
    store = open_store(db_path)
    try:
        return next_contract_no(store, prefix, today.year)
    finally:
        store.close()


def check_preview(db_path: Path | str, contract_no: str | None, targets: Sequence[Path], force: bool) -> None:
    """What `generate` may not write: an agreement under a number the register gave (the
    registered agreement is the only one), or over an existing file; with `force` over a file
    not in the register, never over one it holds."""
    store = open_store(db_path) if register_exists(db_path) else None
    try:
        if store is not None and contract_no and store.history(contract_no):
            raise HistoryError(f"合同编号 {contract_no} 已在登记簿中登记，generate 只生成未登记的预览；"
                               f"查看已登记的合同请用 vipcontract show {contract_no}")
        for path in targets:
            if not (path.exists() or path.is_symlink()):
                continue
            if not force:
                raise OutputExists(exists_message(path) + "；确认它只是预览时可加 --force 覆盖")
            held = store.find_file(sha256_file(path)) if store is not None and path.is_file() else []
            if held:
                raise OutputExists(f"文件 {path} 是登记簿中合同 {held[0]['contract_no']} 的登记文书，"
                                   "--force 也不能覆盖；请换一个输出目录（--out）")
    finally:
        if store is not None:
            store.close()


def next_notice_id(store: Store) -> str:
    return f"{NOTICE_PREFIX}{store.next_number('notice', NOTICE_PREFIX):06d}"


def find_notice(store: Store, notice_id: str) -> str:
    """The contract a notice belongs to."""
    contract_no = store.notice_contract(notice_id)
    if contract_no is None:
        raise NotFound(f"通知 {notice_id} 从未发出（登记簿中没有该通知），不能登记送达或退回")
    return contract_no


# ---------------------------------------------------------------- recording
def _seal(store: Store, state: ContractState, body: Body, now: dt.datetime | None) -> Event:
    """The next event of the contract, recorded by whoever the store says is writing."""
    return seal(state.contract_no, state.last_seq + 1, now or now_shanghai(), body,
                state.last_hash, store.recorder())


def summary_after(state: ContractState | None, events: Sequence[Event], profile: Profile) -> dict[str, Any]:
    """The contract's summary once `events` follow `state` (None: a new contract), kept with the
    append so that whole-register commands need not replay its history (contracts.summary)."""
    return summarize(replay((*(state.events if state else ()), *events), profile)).to_dict()


def _append(store: Store, state: ContractState, event: Event, profile: Profile) -> None:
    refuse(check_new_event(state, event, profile))
    store.append(state.contract_no, state.last_seq, [to_record(event)], summary_after(state, [event], profile))


@dataclass(frozen=True)
class Draft:
    """An event as the register stands now, and the documents it issues: (document, file stem),
    each rendered in every format asked for."""

    state: ContractState | None  # None: a new contract
    event: Event
    documents: tuple[tuple[Document, str], ...] = ()


# Rendering happens outside the register's lock, from a draft of the event; under the lock the
# draft is made again and must give the same documents (same number, same text), else another
# writer came first and the documents are rendered again. The last attempt renders under the
# lock, so that a register written to without pause still lets every command through.
ATTEMPTS = 4


def _record_drafted(
    store: Store, profile: Profile, draft: Callable[[], Draft], out_dir: Path | None,
    formats: Sequence[str],
) -> Recorded:
    """Draft, render (outside the lock), then under the lock append the event with the files'
    hashes, then name the files (service.writes: a crash at any point leaves either nothing or
    a registered event whose files `recover` completes)."""
    writes.recover(store)
    for attempt in range(ATTEMPTS):
        hold = store.locked() if attempt == ATTEMPTS - 1 else contextlib.nullcontext()
        with hold:
            first = draft()
            refuse(check_new_event(first.state, first.event, profile))
            if not first.documents or out_dir is None or not formats:
                return _commit_without_files(store, profile, draft)
            targets = [writes.Target(Path(out_dir) / f"{stem}.{fmt}", fmt)
                       for _doc, stem in first.documents for fmt in formats]
            with writes.Staging(store, first.event.contract_no, targets, profile.document_mode) as stage:
                stage.render([doc for doc, _stem in first.documents for _fmt in formats],
                             output.render_to)
                recorded = _commit_staged(store, profile, draft, first, stage)
                if recorded is not None:
                    return recorded
    raise AssertionError("the last attempt holds the lock throughout")


def _commit_without_files(store: Store, profile: Profile, draft: Callable[[], Draft]) -> Recorded:
    with store.locked():
        current = draft()
        refuse(check_new_event(current.state, current.event, profile))
        store.append(current.event.contract_no, current.event.seq - 1, [to_record(current.event)],
                     summary_after(current.state, [current.event], profile))
    return Recorded(current.event)


def _commit_staged(
    store: Store, profile: Profile, draft: Callable[[], Draft], first: Draft, stage: writes.Staging
) -> Recorded | None:
    """Under the lock: the event with the files' hashes, one append; then the names. None: the
    register moved on since the draft (the documents would differ): render again."""
    with writes.interrupt_guard() as guard:
        with store.locked():
            current = draft()
            if current.documents != first.documents:
                return None
            files = stage.files()
            event = _with_files(current.event, files)
            refuse(check_new_event(current.state, event, profile))
            stage.check_free()
            stage.keep()  # the bytes first: an event never names bytes the register lacks
            guard.hold()  # from the append on, the event and its files' names go together
            store.append(event.contract_no, event.seq - 1, [to_record(event)],
                         summary_after(current.state, [event], profile))
            stage.committed = True
            fault_point("appended")
        try:
            stage.place()
        except OutputExists as exc:  # a file took the name between the check and the rename
            raise HistoryError(f"{event.contract_no} 的本次登记已完成，但{exc}。登记的文书仍在临时文件中，"
                               "vipcontract check 会列出；移走占用该名称的文件后运行 "
                               "vipcontract check --repair") from None
    return Recorded(event, files)


def _with_files(event: Event, files: Sequence[WrittenFile]) -> Event:
    # only the events that issue documents are drafted with any
    assert isinstance(event.body, (Issued, Amended, Renewed, NoticeSent, Terminated, Sealed))
    body = dataclasses.replace(event.body, files=file_hashes(files))
    return seal(event.contract_no, event.seq, event.recorded_at, body, event.prev_hash, event.recorded_by)


def file_hashes(written: Sequence[WrittenFile]) -> tuple[FileHash, ...]:
    return tuple(FileHash(w.format, w.path.name, w.sha256) for w in written)


def supplement_document(
    kind: str, context: Mapping[str, Any], contract_no: str, doc_no: str, customer: Customer,
    issued_on: dt.date, *, state: ContractState, profile: Profile, body: Body,
) -> tuple[Document, str]:
    """A supplement's document and its file stem; it carries the data of BODY, the event about to
    follow STATE's last one (service.archive)."""
    doc = resolve(load_source(kind), context, contract_no=contract_no, doc_no=doc_no)
    doc = dataclasses.replace(doc, issued_on=issued_on)
    data = data_for(doc, profile, state.issued, customer, event_seq=state.last_seq + 1, event_body=body)
    return dataclasses.replace(doc, data_file=data), safe_stem(doc_no, customer.name)


# ---------------------------------------------------------------- issue, sign, void
def decided(result: Any) -> Any:
    """The event body a decision gave, or its problems raised for the clerk."""
    if isinstance(result, list):
        raise InvalidInput(result)
    return result


def refuse_sample(profile: Profile) -> None:
    problem = sample_refusal(profile)
    if problem:
        raise InvalidInput(problem)


def _issued_body(
    profile: Profile, request: AgreementRequest, day: dt.date,
    files: Sequence[WrittenFile] = (), batch: Mapping[str, str] | None = None,
) -> Issued:
    return dataclasses.replace(issued_body(profile, request, day), files=file_hashes(files),
                               batch=dict(batch or {}))


def issue(
    store: Store, profile: Profile, request: AgreementRequest, out_dir: Path,
    formats: Sequence[str], *, issued_on: dt.date | None = None, now: dt.datetime | None = None,
    allow_sample: bool = False, allow_second: bool = True,
) -> Recorded:
    """Number, write and register a new agreement (the number and the record, or neither).
    ALLOW_SAMPLE: only the demo register may carry the built-in sample provider.
    ALLOW_SECOND False: refused when the customer has a contract not ended (the CLI asks)."""
    if not allow_sample:
        refuse_sample(profile)
    now = now or now_shanghai()
    day = issued_on or local_date(now)
    stem_name = request.customer.name

    def draft() -> Draft:
        contract_no = next_contract_no(store, profile.number_prefix, day.year)
        event = seal(contract_no, 1, now, _issued_body(profile, request, day), GENESIS, store.recorder())
        if not allow_second:
            # what is wrong with the agreement itself is said first; then whether it is a second one
            refuse(check_new_event(None, event, profile))
            problems = second_contract(store, profile, request.customer, local_date(now))
            if problems:
                raise InvalidInput(problems)
        doc = build_agreement(profile, request, contract_no, day)
        return Draft(None, event, ((doc, safe_stem(doc.doc_no, stem_name)),))

    return _record_drafted(store, profile, draft, Path(out_dir), formats)


def second_contract(store: Store, profile: Profile, customer: Customer, today: dt.date) -> list[Problem]:
    """Why issuing to `customer` needs confirmation (contracts.commands decides; empty: it does not)."""
    return second_contracts(store, profile, [customer], today).get(_identity(customer), [])


def second_contracts(
    store: Store, profile: Profile, customers: Sequence[Customer], today: dt.date
) -> dict[str, list[Problem]]:
    """For each of `customers` who has a contract not ended, why issuing to them needs
    confirmation, by their identity (ID number or credit code, upper case): one pass over the
    register's issued records, however many customers a batch asks about."""
    wanted = {_identity(c) for c in customers}
    numbers: dict[str, set[str]] = {}
    for record in store.find(EventKind.ISSUED.value):  # the stored customer: no decoding of thousands
        stored = record.get("data", {}).get("customer", {})
        identity = str(stored.get("id_number") or stored.get("credit_code") or "").strip().upper()
        if identity in wanted:
            numbers.setdefault(identity, set()).add(str(record["contract_no"]))
    found: dict[str, list[Problem]] = {}
    for customer in customers:
        owned = numbers.get(_identity(customer))
        if owned:
            states = [load_state(store, profile, no) for no in sorted(owned)]
            problems = second_contract_problems(customer, states, profile, today, allow_second=False)
            if problems:
                found[_identity(customer)] = problems
    return found


def _identity(customer: Customer) -> str:
    return customer.identity.strip().upper()


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
        event = seal(contract_no, 1, now or now_shanghai(), body, GENESIS, store.recorder())
        refuse(check_new_event(None, event, profile))
        events = [event]
        if request.signed is not None:
            # A signed agreement brought in: its whole history so far in one append, so the
            # register never holds it half brought in (issued but not yet signed or paid).
            decided = signed_events(contract_no, body, request.signed, profile, event.recorded_at,
                                    recorded_by=event.recorded_by)
            if isinstance(decided, list):
                raise InvalidInput(decided)
            events = list(decided)
        store.append(contract_no, 0, [to_record(e) for e in events], summary_after(None, events, profile))
    return Recorded(event, tuple(files))


def issue_signed(
    store: Store, profile: Profile, request: AgreementRequest, out_dir: Path,
    formats: Sequence[str], *, render: bool = False, now: dt.datetime | None = None,
) -> Recorded:
    """Bring in one agreement already signed on paper (request.signed): number it in the year
    it was issued and record its issue, signing and payments in one append; its files are
    written only when `render` asks for them (the paper agreement is the original)."""
    refuse_sample(profile)
    assert request.signed is not None
    now = now or now_shanghai()
    day = request.issued_on or local_date(now)
    probe = signed_events(contract_number(profile.number_prefix, day.year, 0),
                          _issued_body(profile, request, day), request.signed, profile, now)
    if isinstance(probe, list):  # refused before anything is numbered or rendered
        raise InvalidInput(probe)
    writes.recover(store)
    with store.locked():
        contract_no = next_contract_no(store, profile.number_prefix, day.year)
        if not render or not formats:
            return record_issued(store, profile, contract_no, request, day, (), now=now)
        # One agreement, rendered under the lock: its number cannot be taken meanwhile.
        doc = build_agreement(profile, request, contract_no, day)
        stem = safe_stem(doc.doc_no, request.customer.name)
        targets = [writes.Target(Path(out_dir) / f"{stem}.{fmt}", fmt) for fmt in formats]
        with writes.Staging(store, contract_no, targets, profile.document_mode) as stage:
            stage.render([doc for _fmt in formats], output.render_to)
            with writes.interrupt_guard() as guard:
                files = stage.files()
                stage.check_free()
                stage.keep()  # the bytes first: an event never names bytes the register lacks
                guard.hold()  # from the append on, the events and the files' names go together
                recorded = record_issued(store, profile, contract_no, request, day, files, now=now)
                stage.committed = True
                fault_point("appended")
            try:
                stage.place()
            except OutputExists as exc:  # a file took the name between the check and the rename
                raise HistoryError(f"{contract_no} 已登记，但{exc}。登记的文书仍在临时文件中，vipcontract check "
                                   "会列出；移走占用该名称的文件后运行 vipcontract check --repair") from None
    return Recorded(recorded.event, files)


def issued_in_batch(store: Store, batch_key: str) -> list[tuple[str, Issued]]:
    """(contract_no, issued) of every contract issued under `batch_key`."""
    return [(str(r["contract_no"]), from_record(r).body) for r in store.batch_issued(batch_key)]  # type: ignore[misc]


def next_contract_numbers(store: Store, prefix: str, year: int, count: int) -> list[str]:
    """The next `count` free numbers of the year, in order, without taking them."""
    first = store.next_number("contract", contract_number_head(prefix, year))
    return [contract_number(prefix, year, n) for n in range(first, first + count)]


def sign(
    store: Store, profile: Profile, contract_no: str, signed_on: dt.date,
    *, now: dt.datetime | None = None,
) -> Recorded:
    """Signed on `signed_on`; effective that day (or on the day the agreement states):
    contracts.commands.decide_signing decides."""
    now = now or now_shanghai()
    with store.locked():
        state = load_state(store, profile, contract_no)
        event = _seal(store, state, decided(decide_signing(state, signed_on, profile, local_date(now))), now)
        _append(store, state, event, profile)
    return Recorded(event)


def void(
    store: Store, profile: Profile, contract_no: str, on: dt.date, reason: str = "",
    *, now: dt.datetime | None = None,
) -> Recorded:
    with store.locked():
        state = load_state(store, profile, contract_no)
        event = _seal(store, state, Voided(on, reason.strip()), now)
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

    def draft() -> Draft:
        state = load_state(store, profile, contract_no)
        body = decided(decide_amendment(state, signed_on, effective_on, new_values))
        return Draft(state, _seal(store, state, body, now), (_amendment_document(state, profile, body),))

    now = now or now_shanghai()
    return _record_drafted(store, profile, draft, out_dir, formats)


def _amendment_document(state: ContractState, profile: Profile, body: Amended) -> tuple[Document, str]:
    customer = terms_in_force(state, body.signed_on).customer
    rows = [(AMENDABLE[c.field], display_value(c.field, c.old), display_value(c.field, c.new))
            for c in body.changes]
    context = amendment_context(
        customer, profile, contract_no=state.contract_no, doc_no=body.doc_no,
        contract_signed_on=state.signed.signed_on if state.signed else None,
        signed_on=body.signed_on, effective_on=body.effective_on, changes=rows,
        term_last_day=final_last_day(state) or body.effective_on)
    return supplement_document("amendment", context, state.contract_no, body.doc_no, customer,
                               body.signed_on, state=state, profile=profile, body=body)


def renew(
    store: Store, profile: Profile, contract_no: str, *, signed_on: dt.date,
    years: int | None = None, annual_fee: str | Decimal | None = None, out_dir: Path,
    formats: Sequence[str], now: dt.datetime | None = None,
) -> Recorded:
    """A 续签协议: a new term from the day after the current last day, counted as the term."""
    now = now or now_shanghai()

    def draft() -> Draft:
        state = load_state(store, profile, contract_no)
        body = decided(decide_renewal(state, signed_on, years, annual_fee))
        return Draft(state, _seal(store, state, body, now), (_renewal_document(state, profile, body),))

    return _record_drafted(store, profile, draft, out_dir, formats)


def _renewal_document(state: ContractState, profile: Profile, body: Renewed) -> tuple[Document, str]:
    customer = terms_in_force(state, body.signed_on).customer
    context = renewal_context(
        customer, profile, contract_no=state.contract_no, doc_no=body.doc_no,
        signed_on=body.signed_on, current_last_day=body.first_day - dt.timedelta(days=1),
        new_first_day=body.first_day, new_last_day=body.last_day, years=body.years,
        annual_fee=body.annual_fee)
    return supplement_document("renewal", context, state.contract_no, body.doc_no, customer,
                               body.signed_on, state=state, profile=profile, body=body)


# ---------------------------------------------------------------- notices
def _notice_body(state: ContractState, notice_id: str, req: NoticeRequest) -> NoticeSent:
    doc_no = next_doc_no(state, "termination") if req.kind is NoticeKind.TERMINATION else ""
    decided = decide_notice(state, req, notice_id, doc_no)
    if isinstance(decided, list):
        raise InvalidInput(decided)
    return decided


def send_notice(
    store: Store, profile: Profile, contract_no: str, request: NoticeRequest, *,
    out_dir: Path | None = None, formats: Sequence[str] = (), now: dt.datetime | None = None,
) -> Recorded:
    """Record a notice sent; a termination notice also writes its 解除通知书."""
    now = now or now_shanghai()

    def draft() -> Draft:
        state = load_state(store, profile, contract_no)
        body = _notice_body(state, next_notice_id(store), request)
        event = _seal(store, state, body, now)
        documents: tuple[tuple[Document, str], ...] = ()
        if body.notice_kind is NoticeKind.TERMINATION:
            # the grounds the notice states are checked before it is written (no arrears, no notice)
            refuse(check_new_event(state, event, profile))
            documents = (_termination_document(state, profile, body.doc_no, body.reason,
                                               request.reason_text, local_date(body.sent_at),
                                               None, True, body),)
        return Draft(state, event, documents)

    return _record_drafted(store, profile, draft, out_dir, formats)


def record_delivery(
    store: Store, profile: Profile, notice_id: str, on: dt.date, *, now: dt.datetime | None = None
) -> Recorded:
    with store.locked():
        state = load_state(store, profile, find_notice(store, notice_id))
        event = _seal(store, state, NoticeDelivered(notice_id, on), now)
        _append(store, state, event, profile)
    return Recorded(event)


def record_return(
    store: Store, profile: Profile, notice_id: str, on: dt.date, reason: ReturnReason,
    *, now: dt.datetime | None = None,
) -> Recorded:
    with store.locked():
        state = load_state(store, profile, find_notice(store, notice_id))
        event = _seal(store, state, NoticeReturned(notice_id, on, ReturnReason(reason)), now)
        _append(store, state, event, profile)
    return Recorded(event)


# ---------------------------------------------------------------- terminate
def terminate(
    store: Store, profile: Profile, contract_no: str, *, on: dt.date | None = None,
    reason: str | None = None, reason_text: str = "", by_notice: str | None = None,
    signed_on: dt.date | None = None, renewals_fall: bool = False, out_dir: Path | None = None,
    formats: Sequence[str] = (), now: dt.datetime | None = None,
) -> Recorded:
    """By a delivered termination notice (effective on its delivery, 民法典 第五百六十五条),
    or by agreement on `on` (writes a 解除协议 dated `signed_on`, by default today).
    `renewals_fall`: the clerk confirms that an agreed renewal not yet begun falls with it."""
    now = now or now_shanghai()
    if by_notice and signed_on is not None:
        raise InvalidInput(Problem("signed_on", "签署日期只用于协商解除（解除协议的签署日期）；"
                                                "依通知解除的，解除日期由通知的送达确定"))
    today = local_date(now)

    def draft() -> Draft:
        state = load_state(store, profile, contract_no)
        if by_notice:
            by = termination_by_notice(state, by_notice, on, today)
            return Draft(state, _seal(store, state, dataclasses.replace(by, renewals_fall=renewals_fall), now))
        body = decided(decide_agreed_termination(state, on, reason, reason_text, signed_on, today))
        body = dataclasses.replace(body, renewals_fall=renewals_fall)
        # the figures of clause 12.3 as the register shows them on the signing day
        ending = apply(state, _seal(store, state, body, now))
        settlement = settlement_on(ending, body.signed_on or today, profile)
        document = _termination_document(state, profile, body.doc_no, body.reason.value,
                                         body.reason_text, body.signed_on or today,
                                         body.effective_on, False, body, settlement)
        return Draft(state, _seal(store, state, body, now), (document,))

    return _record_drafted(store, profile, draft, out_dir, formats)


def _termination_document(
    state: ContractState, profile: Profile, doc_no: str, reason: str, reason_text: str,
    issued_on: dt.date, effective_on: dt.date | None, by_notice: bool, body: Body,
    settlement: Settlement | None = None,
) -> tuple[Document, str]:
    customer = terms_in_force(state, issued_on).customer
    # a notice for late payment states the arrears the register shows on its day
    late = arrears_on(state, issued_on, profile) if by_notice and reason == "late_payment" else None
    context = termination_context(
        customer, agreed_profile(state, profile), contract_no=state.contract_no, doc_no=doc_no,
        issued_on=issued_on, reason=reason, reason_text=reason_text, effective_on=effective_on,
        by_notice=by_notice, arrears=late, settlement=settlement)
    return supplement_document("termination", context, state.contract_no, doc_no, customer,
                               issued_on, state=state, profile=profile, body=body)


# ---------------------------------------------------------------- correct
def correct(
    store: Store, profile: Profile, contract_no: str, seq: int, *,
    changes: Mapping[str, str] | None = None, retract: bool = False, note: str = "",
    by: str = "", now: dt.datetime | None = None,
) -> Recorded:
    """A later event that corrects (or retracts) event `seq`; the history itself stays.
    `changes`: field names as typed (Chinese or code) → the right values."""
    request = CorrectionRequest(seq, tuple((changes or {}).items()), retract, note, by)
    with store.locked():
        state = load_state(store, profile, contract_no)
        decided = decide_correction(state, request)
        if isinstance(decided, list):
            raise InvalidInput(decided)
        event = _seal(store, state, decided, now)
        refuse(check_new_event(state, event, profile))
        reason = correction_reason_problems(request)
        if reason:
            raise InvalidInput(reason)
        _append(store, state, event, profile)
    return Recorded(event)


# ---------------------------------------------------------------- views
def show(store: Store, profile: Profile, contract_no: str, as_of: dt.date) -> dict[str, Any]:
    """The contract as the register stood on as_of (contracts.register.stood_on)."""
    return contract_view(stood_on(load_state(store, profile, contract_no), as_of, profile), as_of, profile)


def list_contracts(
    store: Store, profile: Profile, as_of: dt.date, status: str | None = None
) -> list[dict[str, Any]]:
    """Every contract as the register stood on as_of (as `show --as-of`), of one status if given."""
    wanted = Status(status) if status else None
    with bulk_read():
        stood = (stood_on(state, as_of, profile) for state in states(store, profile))
        return [contract_view(state, as_of, profile) for state in stood
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
