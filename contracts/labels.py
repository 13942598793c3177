"""Choices typed by their Chinese labels: `--kind 续签提醒`, `--status 履行中`, `--method 快递`.

One parser per enum, from the enum's own `.label` (the words the register prints), its code
(`renewal-reminder`, kept for scripts) and the few short forms a clerk types. The codes stay what
the register stores; only the reading of a typed answer is here.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import TypeVar

from .dates import DeliveryMethod
from .errors import InvalidInput, Problem
from .events import NoticeKind, ReturnReason, TerminationReason
from .register import AMENDABLE
from .resolver import nfkc

E = TypeVar("E", bound=Enum)

# Short forms beside the full labels (the labels are read from the enums, so a new member or a
# changed label needs nothing here).
ALIASES: dict[type[Enum], dict[str, str]] = {
    NoticeKind: {"其他": "other", "续签": "renewal-reminder", "解除": "termination",
                 "变更地址": "address-change", "付款": "payment-reminder"},
    DeliveryMethod: {"直接": "personal", "当面": "personal", "当面送达": "personal", "快递": "courier",
                     "EMS": "courier", "邮寄": "courier", "邮件": "email", "电邮": "email"},
    ReturnReason: {"退回": "undeliverable", "无法投递": "undeliverable", "退信": "bounced"},
    TerminationReason: {"协商一致": "mutual", "协商": "mutual", "违约": "breach", "逾期付款": "late_payment",
                        "其他": "other"},
}
# The names of an event's fields, as `show` prints them (the history's notes, the summary) and a
# correction takes them: `correct --set 签署日期=…` as well as `--set signed_on=…`.
FIELD_LABELS: dict[str, str] = {
    "issued_on": "签发日期", "signed_on": "签署日期", "effective_date": "生效日期", "effective_on": "生效日",
    "first_day": "起始日", "last_day": "最后一日", "years": "年数", "annual_fee": "年服务费",
    "on": "日期", "amount": "金额", "method": "方式", "reference": "流水号", "note": "说明",
    "reason": "原因", "reason_text": "解除理由", "sent_at": "发出时间", "to": "寄往",
    "new_address": "新通讯地址", "new_email": "新电子邮箱", "notice_kind": "通知类型",
    "doc_no": "文书", "by_notice_id": "依据的通知", "renewals_fall": "续签随之失效",
}
# Other names a clerk reads in the register for the same fields (the history's short ones, and
# what a date is called on each kind of record).
FIELD_LABEL_ALIASES: dict[str, str] = {
    "签发日": "issued_on", "签署日": "signed_on", "生效日期": "effective_date", "变更生效日": "effective_on",
    "解除日期": "effective_on", "解除生效日期": "effective_on", "付款日期": "on", "送达日期": "on",
    "签收日期": "on", "退回日期": "on", "拒收日期": "on", "作废日期": "on", "付款方式": "method",
    "送达方式": "method", "文书编号": "doc_no", "通知编号": "notice_id", "解除原因": "reason",
    "续签年限": "years", "发出日期": "sent_at", "更正第几条": "corrects_seq",
}
FIELD_ALIASES = {"年费": "annual_fee", "服务费": "annual_fee", "姓名": "name", "名称": "name",
                 "单位名称": "name", "电话": "phone", "地址": "address", "邮箱": "email"}


def _key(text: object) -> str:
    return nfkc(str(text or "")).strip().lower()


def choice_table(enum: type[E], allowed: tuple[E, ...] | None = None) -> dict[str, E]:
    """Every accepted spelling (code, label, short form; folded) → the member."""
    members = tuple(enum) if allowed is None else allowed
    table: dict[str, E] = {}
    for member in members:
        table[_key(member.value)] = member
        table[_key(getattr(member, "label", member.value))] = member
    for alias, value in ALIASES.get(enum, {}).items():
        member = enum(value)
        if member in members:
            table.setdefault(_key(alias), member)
    return table


def choices_text(members: tuple[Enum, ...]) -> str:
    """续签提醒（renewal-reminder）、解除通知（termination）…: what the help and errors list."""
    return "、".join(f"{getattr(m, 'label', m.value)}（{m.value}）" for m in members)


def parse_choice(enum: type[E], value: object, field: str, what: str,
                 allowed: tuple[E, ...] | None = None) -> E:
    """The member `value` names (its label, code or short form); else a Problem naming the field."""
    found = choice_table(enum, allowed).get(_key(value))
    if found is None:
        members = tuple(enum) if allowed is None else allowed
        raise InvalidInput(Problem(field, f"{what}“{value}”无效，可选：{choices_text(members)}"))
    return found


def amendable_field(name: str, fields: Mapping[str, str] = AMENDABLE) -> str:
    """`年服务费` or `annual_fee` → annual_fee; an unknown field is an error listing what can change."""
    key = _key(name)
    by_label = {_key(label): field for field, label in fields.items()}
    aliases = {_key(a): f for a, f in FIELD_ALIASES.items() if f in fields}
    found = key if key in fields else by_label.get(key) or aliases.get(key)
    if found is None:
        listed = "、".join(f"{label}（{field}）" for field, label in fields.items())
        raise InvalidInput(Problem("set", f"不能变更“{name}”；可变更：{listed}"))
    return found


def field_label(field: str) -> str:
    return FIELD_LABELS.get(field) or AMENDABLE.get(field) or field


def record_field(name: str, allowed: set[str], what: str) -> str:
    """`签署日期`, `签署日` or `signed_on` → signed_on, among the fields `allowed` on a record
    (`what` names it in the error, which lists what may be given)."""
    key = _key(name)
    table: dict[str, str] = {}
    for field in allowed:
        table[_key(field)] = field
        table[_key(field_label(field))] = field
    for alias, field in (*FIELD_LABEL_ALIASES.items(), *FIELD_ALIASES.items()):
        if field in allowed:
            table.setdefault(_key(alias), field)
    found = table.get(key)
    if found is None:
        listed = "、".join(f"{field_label(f)}（{f}）" for f in sorted(allowed))
        raise InvalidInput(Problem("set", f"{what}没有可更正的字段“{name}”；可更正：{listed}"))
    return found
