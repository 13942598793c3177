"""Agreements already signed on paper, brought into the register: the facts a row states (issue
date, signing date, the service years paid so far) checked against each other and turned into
the events the register would have recorded had it been used from the start.

Pure: the columns come in as plain values, problems go out naming the column (field) they are
about. The events are checked by the register's own rules (contracts.register.validate_effective),
so that a contract brought in is one `check` accepts, and a row those rules would refuse is
refused here, before anything is numbered or written.

The payments so far are stated in one simple form: `paid_until`, the last service year paid in
full (0 or empty: nothing paid), with `paid_on`, the day the last of those payments was received.
They are recorded as one payment on that day, applied to service years 1..paid_until. A clerk
who needs each year's own payment day (a late fee that matters) records the payments with `pay`
instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .commands import decide_signing
from .dates import local_date
from .errors import InvalidInput, Problem
from .events import GENESIS, Allocation, Body, Event, Issued, Paid, seal
from .profile import Profile
from .register import ContractState, apply, payment_deadlines, validate_effective
from .validation import iso_date

# Columns of a signed agreement, beside the customer's: field -> Chinese label.
SIGNED_FIELDS: dict[str, str] = {
    "issued_on": "签发日期",
    "signed_on": "签署日期",
    "paid_until": "已付清至服务年度",
    "paid_on": "付款日期",
}
DATE_FIELDS = ("issued_on", "signed_on", "paid_on")
PAYMENT_NOTE = "补登：登记簿启用前已收取的服务费"


@dataclass(frozen=True)
class SignedFacts:
    """What a signed agreement's row says happened after it was issued."""

    signed_on: dt.date
    paid_until: int = 0  # the last service year paid in full; 0: nothing paid yet
    paid_on: dt.date | None = None  # the day the last of those payments was received


def _day(data: Mapping[str, Any], field: str, problems: list[Problem]) -> dt.date | None:
    value = data.get(field)
    if value in (None, ""):
        return None
    try:
        return iso_date(value, field)
    except InvalidInput as exc:
        problems.extend(exc.problems)
        return None


def _years(value: object, problems: list[Problem]) -> int:
    """A whole number of service years, as a cell may hold it (3, 3.0, "3", "第3年")."""
    if value in (None, ""):
        return 0
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip().removeprefix("第").removesuffix("服务年度").removesuffix("年")
    if isinstance(value, bool) or not (text.isascii() and text.isdigit()) or len(text) > 3:
        problems.append(Problem("paid_until", f"“{value}”不是服务年度数：请填写已付清的最后一个服务年度，"
                                              "如 2（第1、2服务年度已付清），未付款填 0 或留空"))
        return 0
    return int(text)


def parse_signed_columns(
    data: Mapping[str, Any], today: dt.date
) -> tuple[dt.date | None, SignedFacts | None]:
    """The issue date (None: today) and, for a signed agreement, its facts; raises InvalidInput
    naming each column that is wrong. A fact cannot lie after today: it has not happened yet."""
    problems: list[Problem] = []
    days = {field: _day(data, field, problems) for field in DATE_FIELDS}
    paid_until = _years(data.get("paid_until"), problems)
    for field in DATE_FIELDS:
        day = days[field]
        if day is not None and day > today:
            problems.append(Problem(field, f"{SIGNED_FIELDS[field]} {day} 晚于今天（{today}）："
                                           "尚未发生的事项不能登记"))
    issued_on, signed_on, paid_on = days["issued_on"], days["signed_on"], days["paid_on"]
    signed_given = data.get("signed_on") not in (None, "")
    if not signed_given:
        if paid_until or data.get("paid_on") not in (None, ""):
            field = "paid_until" if paid_until else "paid_on"
            problems.append(Problem(field, "未填写签署日期：尚未签署的合同不能登记付款；"
                                           "已签署的请填写签署日期"))
    elif data.get("issued_on") in (None, ""):
        problems.append(Problem("issued_on", "已签署的合同请填写签发日期（协议上的签发日期）"))
    if paid_until and data.get("paid_on") in (None, ""):
        problems.append(Problem("paid_on", f"已付清至第 {paid_until} 服务年度，请填写付款日期"
                                           "（收到其中最后一笔款项之日）"))
    unread = any(p.field == "paid_until" for p in problems)  # said once: what it holds is no number
    if not paid_until and not unread and data.get("paid_on") not in (None, "") and signed_given:
        problems.append(Problem("paid_until", "填写了付款日期，请同时填写已付清至第几服务年度"))
    if problems:
        raise InvalidInput(problems)
    if signed_on is None:
        return issued_on, None
    return issued_on, SignedFacts(signed_on, paid_until, paid_on)


def signed_bodies(
    issued: Issued, facts: SignedFacts, profile: Profile, today: dt.date
) -> tuple[Body, ...] | list[Problem]:
    """The events after `issued` that the facts state (signed, and paid if anything was), or
    what is wrong with the facts, each problem naming its column."""
    problems: list[Problem] = []
    stated = issued.effective_date
    if facts.signed_on < issued.issued_on:
        problems.append(Problem("signed_on", f"签署日期 {facts.signed_on} 早于签发日期 {issued.issued_on}"))
    if stated is not None and stated < facts.signed_on:
        problems.append(Problem("effective_date", f"生效日期 {stated} 早于签署日期 {facts.signed_on}："
                                                  "协议不能在签署之前生效；协议自签署之日起生效的，"
                                                  "生效日期留空"))
    if facts.paid_on is not None and facts.paid_on < facts.signed_on:
        problems.append(Problem("paid_on", f"付款日期 {facts.paid_on} 早于签署日期 {facts.signed_on}"))
    if problems:
        return problems
    # The decision `sign` takes (the same effective date). Its "not after today" is left to the
    # register's rules replayed over the whole history below (validate_effective), which say it
    # beside whatever else is wrong with the row.
    signed = decide_signing(ContractState("", (), issued), facts.signed_on, profile, facts.signed_on)
    if isinstance(signed, list):
        return [Problem("signed_on", p.message) for p in signed]
    if not facts.paid_until:
        return (signed,)
    state = apply(ContractState("", (), issued), _event(signed))
    deadlines = payment_deadlines(state, profile)
    begun = [d for d in deadlines if d.first_day <= today]
    if facts.paid_until > len(begun):
        if begun:
            where = (f"截至今天（{today}）只开始了 {len(begun)} 个服务年度"
                     f"（第 {len(begun)} 服务年度自 {begun[-1].first_day} 起）")
        else:
            where = f"第 1 服务年度自 {deadlines[0].first_day} 起，尚未开始"
        return [Problem("paid_until", f"已付清至第 {facts.paid_until} 服务年度，但{where}："
                                      "尚未开始的服务年度不能登记为已付清")]
    paid = deadlines[: facts.paid_until]
    amount = sum((d.amount for d in paid), Decimal("0.00"))
    assert facts.paid_on is not None
    note = f"{PAYMENT_NOTE}（第 1 至第 {facts.paid_until} 服务年度）"
    payment = Paid(facts.paid_on, amount, tuple(Allocation(d.service_year, d.amount) for d in paid),
                   note=note)
    return (signed, payment)


def _event(body: Body, seq: int = 2) -> Event:
    return Event("", seq, dt.datetime.min.replace(tzinfo=dt.UTC), body, "", "")


def _column(kind: str, field: str) -> str:
    """The column a rule of the register is about when it refuses a fact of a signed row."""
    if field == "effective_date":
        return "effective_date"
    if kind == "paid":
        return "paid_until" if field in ("amount", "year") else "paid_on"
    return "issued_on" if kind == "issued" else "signed_on"


def signed_events(
    contract_no: str, issued: Issued, facts: SignedFacts, profile: Profile, now: dt.datetime,
    recorded_by: str = "",
) -> tuple[Event, ...] | list[Problem]:
    """The whole history of a signed agreement brought in (issued, signed, paid), sealed and
    chained for one append; or why the register's rules refuse it. `now` is the recording time:
    its day is "today" for the facts; `recorded_by` who records them."""
    bodies = signed_bodies(issued, facts, profile, local_date(now))
    if isinstance(bodies, list):
        return bodies
    events: list[Event] = []
    previous = GENESIS
    for seq, body in enumerate((issued, *bodies), start=1):
        event = seal(contract_no, seq, now, body, previous, recorded_by)
        events.append(event)
        previous = event.hash
    # The register's own rules, as `check` replays them: what is brought in is what it accepts.
    refused = validate_effective(events, profile)
    kinds = {e.seq: e.kind.value for e in events}
    if refused:
        return [Problem(_column(kinds.get(seq, ""), p.field), p.message) for seq, p in refused]
    return tuple(events)
