"""Events of a contract's history: what happened, when it was recorded, and the hash chain.

A history is an append-only list of events per contract, numbered 1, 2, 3... (`seq`). Nothing
is ever updated or deleted: a mistake is corrected by a later `corrected` event. Each event
carries the sha256 of the event before it (`prev_hash`) and of its own content (`hash`), so
that any change to a stored event breaks the chain at that event.

Storage form (a plain JSON object, the same in every store backend):

    {"contract_no", "seq", "kind", "recorded_at", "recorded_by", "data": {...}, "prev_hash", "hash"}

with dates as ISO strings, times ISO with their UTC offset, and money as decimal strings.
`recorded_by` is who recorded the event (the store says who: the computer's user, or a database
account); records made before it was kept lack it and read as "". It is part of the content, so
the hash covers it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

from .customer import Customer, CustomerType
from .dates import DeliveryMethod, TermCounting
from .errors import ContractError
from .late_fee import LateFeeRate

GENESIS = "0" * 64


class RecordError(ContractError):
    """A stored record that cannot be read as an event."""


class EventKind(StrEnum):
    ISSUED = "issued"
    SIGNED = "signed"
    AMENDED = "amended"
    RENEWED = "renewed"
    NOTICE_SENT = "notice_sent"
    NOTICE_DELIVERED = "notice_delivered"
    NOTICE_RETURNED = "notice_returned"
    TERMINATED = "terminated"
    VOIDED = "voided"
    CORRECTED = "corrected"
    PAID = "paid"
    SEALED = "sealed"
    LATE_FEE_PAID = "late_fee_paid"
    LATE_FEE_WAIVED = "late_fee_waived"

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


KIND_LABELS = {
    EventKind.ISSUED: "签发",
    EventKind.SIGNED: "签署",
    EventKind.AMENDED: "变更（补充协议）",
    EventKind.RENEWED: "续签",
    EventKind.NOTICE_SENT: "发出通知",
    EventKind.NOTICE_DELIVERED: "通知送达",
    EventKind.NOTICE_RETURNED: "通知被拒收或退回",
    EventKind.TERMINATED: "解除",
    EventKind.VOIDED: "作废",
    EventKind.CORRECTED: "更正",
    EventKind.PAID: "付款",
    EventKind.SEALED: "甲方电子签章",
    EventKind.LATE_FEE_PAID: "违约金付款",
    EventKind.LATE_FEE_WAIVED: "违约金减免",
}


class NoticeKind(StrEnum):
    RENEWAL_REMINDER = "renewal-reminder"
    TERMINATION = "termination"
    ADDRESS_CHANGE = "address-change"
    PAYMENT_REMINDER = "payment-reminder"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {"renewal-reminder": "续签提醒", "termination": "解除通知",
                "address-change": "变更通知地址", "payment-reminder": "付款提醒",
                "other": "其他通知"}[self.value]


class ReturnReason(StrEnum):
    REFUSED = "refused"  # the addressee refused to accept it
    UNDELIVERABLE = "undeliverable"  # returned: no such addressee at the address
    BOUNCED = "bounced"  # an email the designated system did not accept

    @property
    def label(self) -> str:
        return {"refused": "拒收", "undeliverable": "无法投递退回", "bounced": "邮件被退回"}[
            self.value
        ]


class PaymentMethod(StrEnum):
    """Clause 8.2's ways of paying: a bank transfer, cash (individual customers only, at the
    provider's premises) and any other way both parties accepted in writing."""

    TRANSFER = "transfer"
    CASH = "cash"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {"transfer": "银行转账", "cash": "现金", "other": "其他方式"}[self.value]


class TerminationReason(StrEnum):
    """The keys of contracts.supplements.TERMINATION_REASONS."""

    MUTUAL = "mutual"  # 协商一致解除（第五百六十二条）: a 解除协议, never a notice
    BREACH = "breach"  # 乙方违约
    LATE_PAYMENT = "late_payment"  # 乙方逾期支付服务费（协议 8.4）
    OTHER = "other"

    @property
    def label(self) -> str:
        return {"mutual": "协商一致解除", "breach": "因乙方违约解除",
                "late_payment": "因乙方逾期付款解除", "other": "其他原因解除"}[self.value]


# ---------------------------------------------------------------- event bodies
@dataclass(frozen=True)
class FileHash:
    """A document the register issued: its format, file name and sha256."""

    format: str
    name: str
    sha256: str


@dataclass(frozen=True)
class Change:
    """One field changed: the value before and after, both as text."""

    field: str
    old: str
    new: str


@dataclass(frozen=True)
class Issued:
    KIND: ClassVar[EventKind] = EventKind.ISSUED
    issued_on: dt.date
    customer: Customer
    annual_fee: Decimal
    term_years: int
    counting: TermCounting
    payment_days: int  # as the agreement states them (clause 8.3)
    courier_deemed_days: int  # clause 13.5
    effective_date: dt.date | None = None  # stated in the agreement when printed with one
    files: tuple[FileHash, ...] = ()
    batch: Mapping[str, str] = dataclasses.field(default_factory=dict)  # batch key, source row
    renewal_notice_days: int | None = None  # clause 11: renewal intention due this many days before
    # clause 8.4 as printed: the annual rate and its LPR basis. None in contracts recorded before
    # the rate was kept (their text had a fixed daily rate the register never recorded).
    late_fee: LateFeeRate | None = None
    # clause 8.4 as printed: overdue days after which the provider may suspend the service, and
    # terminate. None in contracts recorded before they were kept (the profile's then apply).
    suspend_days: int | None = None
    terminate_days: int | None = None


@dataclass(frozen=True)
class Signed:
    KIND: ClassVar[EventKind] = EventKind.SIGNED
    signed_on: dt.date
    effective_date: dt.date


@dataclass(frozen=True)
class Amended:
    KIND: ClassVar[EventKind] = EventKind.AMENDED
    doc_no: str
    signed_on: dt.date
    effective_on: dt.date
    changes: tuple[Change, ...]
    files: tuple[FileHash, ...] = ()


@dataclass(frozen=True)
class Renewed:
    KIND: ClassVar[EventKind] = EventKind.RENEWED
    doc_no: str
    signed_on: dt.date
    years: int
    first_day: dt.date
    last_day: dt.date
    annual_fee: Decimal
    files: tuple[FileHash, ...] = ()


@dataclass(frozen=True)
class NoticeSent:
    KIND: ClassVar[EventKind] = EventKind.NOTICE_SENT
    notice_id: str
    notice_kind: NoticeKind
    method: DeliveryMethod
    to: str  # postal address or email address it was sent to
    sent_at: dt.datetime  # tz-aware
    doc_no: str = ""  # the notice's own document number, if the register wrote one
    note: str = ""
    new_address: str = ""  # address-change: the customer's new postal address
    new_email: str = ""  # address-change: the customer's new email
    reason: str = ""  # termination: a TerminationReason (never "mutual")
    files: tuple[FileHash, ...] = ()


@dataclass(frozen=True)
class NoticeDelivered:
    KIND: ClassVar[EventKind] = EventKind.NOTICE_DELIVERED
    notice_id: str
    on: dt.date  # signed receipt / signed for / entered the mailbox


@dataclass(frozen=True)
class NoticeReturned:
    KIND: ClassVar[EventKind] = EventKind.NOTICE_RETURNED
    notice_id: str
    on: dt.date
    reason: ReturnReason


@dataclass(frozen=True)
class Terminated:
    KIND: ClassVar[EventKind] = EventKind.TERMINATED
    effective_on: dt.date
    reason: TerminationReason
    reason_text: str = ""
    by_notice_id: str = ""
    doc_no: str = ""
    files: tuple[FileHash, ...] = ()
    # The day both parties signed the 解除协议 (a termination by agreement); it may be before the
    # day the record is made. None for a termination by notice, and in records made before it
    # was kept (their 解除协议 carries the day they were recorded).
    signed_on: dt.date | None = None
    # A renewal already agreed whose term had not begun falls with the termination; the clerk
    # says so (`--with-renewal`) so that an agreed renewal is never dropped unnoticed.
    renewals_fall: bool = False


@dataclass(frozen=True)
class Allocation:
    """The part of a payment applied to one service year's fee (numbered as payment_deadlines)."""

    service_year: int
    amount: Decimal


@dataclass(frozen=True)
class Paid:
    """A payment received (clause 8.3), or with a negative amount a refund or the reversal of a
    payment recorded in error: money is corrected by a new event, never by editing one."""

    KIND: ClassVar[EventKind] = EventKind.PAID
    on: dt.date  # the day the money reached the provider's account (clause 8.2), or was refunded
    amount: Decimal
    allocations: tuple[Allocation, ...]  # decided when recorded: the clerk's receipt names them
    method: PaymentMethod = PaymentMethod.TRANSFER
    reference: str = ""  # bank statement number, receipt number
    note: str = ""


@dataclass(frozen=True)
class LateFeePaid:
    """The late fee of clause 8.4 received, applied to the service years whose fee was late.
    It settles what had accrued by its day; while the fee itself stays unpaid the late fee goes
    on accruing (contracts.payments)."""

    KIND: ClassVar[EventKind] = EventKind.LATE_FEE_PAID
    on: dt.date
    amount: Decimal
    allocations: tuple[Allocation, ...]
    method: PaymentMethod = PaymentMethod.TRANSFER
    reference: str = ""
    note: str = ""


@dataclass(frozen=True)
class LateFeeWaived:
    """The provider gives up (part of) the late fee accrued by its day: who decided and why."""

    KIND: ClassVar[EventKind] = EventKind.LATE_FEE_WAIVED
    on: dt.date
    amount: Decimal
    allocations: tuple[Allocation, ...]
    by: str
    note: str


LateFeeSettled = LateFeePaid | LateFeeWaived


@dataclass(frozen=True)
class Voided:
    KIND: ClassVar[EventKind] = EventKind.VOIDED
    on: dt.date
    reason: str = ""


@dataclass(frozen=True)
class Corrected:
    """Corrects an earlier event: changes some of its fields, or retracts it altogether."""

    KIND: ClassVar[EventKind] = EventKind.CORRECTED
    corrects_seq: int
    changes: tuple[Change, ...] = ()
    retract: bool = False
    note: str = ""
    by: str = ""  # who made the correction (the original record stays as it was made)


@dataclass(frozen=True)
class Sealed:
    """The provider's digital signature (PAdES) on its copy of a registered document's PDF (the
    agreement, or a supplementary document): the signed copy is a new file, registered here; the
    document itself stays as issued."""

    KIND: ClassVar[EventKind] = EventKind.SEALED
    source_sha256: str  # the registered PDF that was signed
    signed_at: dt.datetime  # the signing time written into the signature (tz-aware)
    certificate_subject: str  # the signer's certificate, as printed (CN, O, ...)
    certificate_fingerprint: str  # sha256 of the certificate (DER), hex
    level: str  # PAdES baseline level: "B-B"; "B-T" with a time stamp; "B-LT" with both it and revocation_info
    # The certificate chained to a trusted root when it signed; False: accepted with
    # --allow-untrusted (self-signed, expired or of an unknown issuer).
    trusted: bool
    files: tuple[FileHash, ...] = ()
    # The number of the document sealed, as `show` prints it: the contract number for the
    # agreement, …-B1, …-X1, …-J1 for a supplementary document. "" in seals recorded before any
    # other document could be sealed: those sealed the agreement.
    document_no: str = ""
    # The certificates' revocation information (CRLs, OCSP responses) is in the signed file's
    # document security store; False in seals recorded before it could be.
    revocation_info: bool = False


Body = (
    Issued | Signed | Amended | Renewed | NoticeSent | NoticeDelivered | NoticeReturned
    | Terminated | Voided | Corrected | Paid | Sealed | LateFeePaid | LateFeeWaived
)
BODY_TYPES: dict[EventKind, type] = {
    cls.KIND: cls
    for cls in (Issued, Signed, Amended, Renewed, NoticeSent, NoticeDelivered, NoticeReturned,
                Terminated, Voided, Corrected, Paid, Sealed, LateFeePaid, LateFeeWaived)
}

_B = TypeVar("_B", bound=Body)


@dataclass(frozen=True)
class Event:
    contract_no: str
    seq: int
    recorded_at: dt.datetime
    body: Body
    prev_hash: str
    hash: str
    recorded_by: str = ""  # who recorded it; "" when unknown or recorded before it was kept
    # The body as it was read from the store (saves encoding it again for views); None when
    # the body was built or corrected in memory.
    stored: Mapping[str, Any] | None = dataclasses.field(default=None, compare=False, repr=False)

    @property
    def kind(self) -> EventKind:
        return self.body.KIND

    def body_as(self, cls: type[_B]) -> _B:
        """The body as the type the caller has already dispatched on (by kind or by type), so
        that a type checker can follow it; another type is a bug and raises TypeError."""
        body = self.body
        if not isinstance(body, cls):
            raise TypeError(f"{self.contract_no} 第 {self.seq} 条：{self.kind.value} 不是 {cls.__name__}")
        return body

    @property
    def sort_key(self) -> tuple[str, int]:
        return (self.contract_no, self.seq)


# ---------------------------------------------------------------- encoding
def encode(value: Any) -> Any:
    """A body (or any part of one) as JSON-ready data."""
    if value is None or type(value) in (str, int, bool):
        return value
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, Customer):
        return value.as_dict()
    cls: type = type(value)
    names = _field_names(cls)
    if names:
        return {name: encode(getattr(value, name)) for name in names}
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("recorded times must carry a time zone")
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, tuple | list):
        return [encode(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): encode(v) for k, v in value.items()}
    return value


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls)) if dataclasses.is_dataclass(cls) else ()


def decode(tp: Any, data: Any) -> Any:
    """The inverse of `encode` for a field of type `tp`."""
    return decoder(tp)(data)


@functools.cache
def decoder(tp: Any) -> Callable[[Any], Any]:
    """A function that decodes data of type `tp` (built once per type: replay is hot)."""
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        inner = decoder(next(t for t in typing.get_args(tp) if t is not type(None)))
        return lambda data: None if data is None else inner(data)
    if origin in (Mapping, dict):
        return lambda data: {str(k): str(v) for k, v in data.items()}
    if origin is tuple:
        item = decoder(typing.get_args(tp)[0])
        return lambda data: tuple(item(x) for x in data)
    if tp is Customer:
        return customer_from_snapshot
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return functools.partial(decode_body, tp)
    return SCALARS.get(tp) or (tp if issubclass(tp, StrEnum | bool) else _identity)


def _identity(data: Any) -> Any:
    return data


def _aware(data: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(data)
    if value.tzinfo is None:
        raise ValueError(f"time without a zone: {data}")
    return value


def _int(data: Any) -> int:
    if not isinstance(data, int) or isinstance(data, bool):
        raise ValueError(f"not an integer: {data!r}")
    return data


def _str(data: Any) -> str:
    if not isinstance(data, str):
        raise ValueError(f"not a string: {data!r}")
    return data


SCALARS: dict[Any, Callable[[Any], Any]] = {
    dt.datetime: _aware, dt.date: dt.date.fromisoformat, Decimal: Decimal, int: _int, str: _str,
}


@functools.cache
def field_types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


@functools.cache
def _field_decoders(cls: type) -> dict[str, Callable[[Any], Any]]:
    return {name: decoder(tp) for name, tp in field_types(cls).items() if name != "KIND"}


def decode_body(cls: type, data: Mapping[str, Any]) -> Any:
    decoders = _field_decoders(cls)
    unknown = data.keys() - decoders.keys()
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)}")
    return cls(**{k: decoders[k](v) for k, v in data.items()})


def customer_from_snapshot(data: Mapping[str, str]) -> Customer:
    """The customer as recorded (validated when it was issued; not re-validated)."""
    fields = {k: v for k, v in data.items() if k != "type"}
    return Customer(type=CustomerType(data["type"]), **fields)


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def content_hash(record: Mapping[str, Any]) -> str:
    """sha256 over the canonical JSON of everything but the hash itself."""
    content = {k: v for k, v in record.items() if k != "hash"}
    return hashlib.sha256(canonical_json(content)).hexdigest()


def seal(
    contract_no: str, seq: int, recorded_at: dt.datetime, body: Body, prev_hash: str,
    recorded_by: str = "",
) -> Event:
    """A new event with its hash computed."""
    event = Event(contract_no, seq, recorded_at, body, prev_hash, "", recorded_by)
    return dataclasses.replace(event, hash=content_hash(to_record(event)))


def stored_data(event: Event) -> Mapping[str, Any]:
    """The body as JSON data: as read from the store when it was, else encoded."""
    return event.stored if event.stored is not None else encode(event.body)


def to_record(event: Event) -> dict[str, Any]:
    record = {
        "contract_no": event.contract_no,
        "seq": event.seq,
        "kind": event.kind.value,
        "recorded_at": encode(event.recorded_at),
        "recorded_by": event.recorded_by,
        "data": encode(event.body),
        "prev_hash": event.prev_hash,
    }
    if event.hash:
        record["hash"] = event.hash
    return record


def from_record(record: Mapping[str, Any]) -> Event:
    try:
        body_type = BODY_TYPES[EventKind(record["kind"])]
        return Event(
            contract_no=str(record["contract_no"]),
            seq=_int(record["seq"]),
            recorded_at=_aware(record["recorded_at"]),
            body=decode_body(body_type, record["data"]),
            prev_hash=str(record["prev_hash"]),
            hash=str(record.get("hash", "")),
            recorded_by=str(record.get("recorded_by") or ""),
            stored=record["data"],
        )
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        where = f"{record.get('contract_no', '?')} 第 {record.get('seq', '?')} 条事件"
        raise RecordError(f"{where}无法读取：{exc}") from None


def text_value(value: Any) -> str:
    """A field's value as the text a Change records."""
    encoded = encode(value)
    return "" if encoded is None else str(encoded)


def parse_text_value(cls: type, field: str, text: str) -> Any:
    """A Change's text back into the type of `cls.field`."""
    tp = field_types(cls)[field]
    if tp is int or tp == int | None:
        return int(text) if text != "" else None
    if text == "" and typing.get_origin(tp) in (types.UnionType, typing.Union):
        return None
    return decode(tp, text)
