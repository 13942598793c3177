"""The register as a sheet (`list --format …`) and the contracts a clerk looks up (`find 张三`).

Both are `Report`s, so they print and save as the reports do (renderers/report_*.py): the same
80-column table, the same CSV, XLSX, JSON and PDF conventions. Pure functions of the contract
states, an as-of date and the profile, like contracts/reports.py. ID numbers are masked: the
model refuses a complete one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .customer import Customer
from .errors import InvalidInput, Problem
from .profile import Profile
from .register import (
    ContractState,
    Status,
    current_term,
    payment_deadlines,
    status_on,
    stood_on,
    terms_in_force,
)
from .report_model import Column, ColumnKind, Report, Total
from .resolver import nfkc

TEXT, DATE, AMOUNT, ID = ColumnKind.TEXT, ColumnKind.DATE, ColumnKind.AMOUNT, ColumnKind.ID
EMPTY_REGISTER = "登记簿中还没有合同。"

REGISTER_COLUMNS = (
    Column("contract_no", "合同编号", TEXT, text=True),
    Column("customer_type", "类型", TEXT),
    Column("customer", "客户", TEXT),
    Column("customer_id", "证件号码", ID),
    Column("legal_representative", "法定代表人", TEXT),
    Column("contact_person", "联系人", TEXT),
    Column("phone", "联系电话", TEXT, text=True),
    Column("address", "通讯地址", TEXT),
    Column("email", "电子邮箱", TEXT),
    Column("status", "状态", TEXT),
    Column("issued_on", "签发日期", DATE),
    Column("signed_on", "签署日期", DATE),
    Column("effective_date", "生效日期", DATE),
    Column("term_last_day", "期限至", DATE),
    Column("renewals", "续签次数", ColumnKind.INT),
    Column("annual_fee", "年服务费（元）", AMOUNT),
    Column("next_due_on", "下次付款日", DATE),
    Column("next_amount", "下次付款金额（元）", AMOUNT),
    Column("ended_on", "解除或作废日期", DATE),
)


def _customer_cells(customer: Customer) -> dict[str, Any]:
    return {
        "customer_type": "个人" if customer.is_individual else "单位", "customer": customer.name,
        "customer_id": customer.masked_identity(), "phone": customer.phone, "address": customer.address,
        "email": customer.email, "legal_representative": getattr(customer, "legal_representative", "") or None,
        "contact_person": getattr(customer, "contact_person", "") or None,
    }


def register_row(state: ContractState, as_of: dt.date, profile: Profile, status: Status | None = None
                 ) -> dict[str, Any]:
    """One contract as a row of the sheet: the customer and the fee in force on as_of (`status`:
    status_on(state, as_of, profile), when the caller has it already)."""
    terms = terms_in_force(state, as_of)
    term = current_term(state, as_of) if state.signed else None
    upcoming = next((d for d in payment_deadlines(state, profile) if d.due_on >= as_of), None) \
        if state.signed else None
    ended = state.voided.on if state.voided else state.terminated.effective_on if state.terminated else None
    return {
        "contract_no": state.contract_no, **_customer_cells(terms.customer),
        "status": (status or status_on(state, as_of, profile)).label, "issued_on": state.issued_on,
        "signed_on": state.signed.signed_on if state.signed else None,
        "effective_date": state.signed.effective_date if state.signed else None,
        "term_last_day": term.last_day if term else None,
        "renewals": max(len([t for t in state.terms if t.signed_on <= as_of]) - 1, 0),
        "annual_fee": terms.annual_fee, "next_due_on": upcoming.due_on if upcoming else None,
        "next_amount": upcoming.amount if upcoming else None, "ended_on": ended,
    }


def register_report(
    states: Iterable[ContractState], as_of: dt.date, profile: Profile, *, status: Status | None = None,
    generated_at: dt.datetime | None = None, register_empty: bool | None = None,
) -> Report:
    """Every contract (of one status, if given), by contract number; totals per status. Each as
    the register stood on as_of: nothing recorded with a later date shows (stood_on).
    `register_empty`: whether the register is empty, when the states given are only those that
    could have the status (service/summaries.py)."""
    rows, any_contract = [], False
    for state in states:  # one at a time: only the rows are kept (a register of 100,000 contracts)
        any_contract = True
        row = register_row_of(state, as_of, profile, status)
        if row is not None:
            rows.append(row)
    rows.sort(key=lambda r: r["contract_no"])
    tally = RegisterTally()
    for row in rows:
        tally.add(row)
    return register_sheet(tuple(rows), tally, as_of, status, generated_at,
                          not any_contract if register_empty is None else register_empty)


def register_row_of(state: ContractState, as_of: dt.date, profile: Profile, status: Status | None
                    ) -> dict[str, Any] | None:
    """The contract's row of the register as it stood on as_of, None when it has not `status`."""
    state = stood_on(state, as_of, profile)
    if status is None:
        return register_row(state, as_of, profile)
    if status_on(state, as_of, profile) is status:
        return register_row(state, as_of, profile, status)  # the status once, not again per row
    return None


@dataclass
class RegisterTally:
    """The register's totals, a row at a time (a register printed as it is read keeps no rows)."""

    rows: int = 0
    by_status: dict[str, int] = dataclasses.field(default_factory=dict)
    in_force: Decimal = Decimal("0")

    def add(self, row: dict[str, Any]) -> None:
        self.rows += 1
        self.by_status[row["status"]] = self.by_status.get(row["status"], 0) + 1
        if row["status"] in IN_FORCE_LABELS:
            self.in_force += row["annual_fee"]

    def totals(self) -> tuple[Total, ...]:
        return (Total("合同份数", self.rows),
                *(Total(label, n) for label, n in sorted(self.by_status.items(), key=_status_order)),
                Total("履行中合同年服务费合计（元）", self.in_force))


def register_sheet(rows: tuple[dict[str, Any], ...], tally: RegisterTally, as_of: dt.date, status: Status | None,
                   generated_at: dt.datetime | None, register_empty: bool) -> Report:
    """The register's report around its rows (`rows` may be a sample when the rows are printed as
    they are read: the totals and notes are the whole register's, from `tally`)."""
    scope = f"（{status.label}）" if status else ""
    return Report(
        name="register",
        title=f"合同登记簿{scope}",
        as_of=as_of,
        columns=REGISTER_COLUMNS,
        rows=rows,
        totals=tally.totals(),
        notes=("身份证号已遮蔽显示。",) if tally.rows else (),
        generated_at=generated_at,
        empty_message=EMPTY_REGISTER if register_empty else
        f"登记簿中没有状态为“{status.label if status else ''}”的合同。",
    )


# the statuses whose fee is being paid: signed and not ended
IN_FORCE_LABELS = frozenset(s.label for s in (Status.SIGNED, Status.ACTIVE, Status.EXPIRING, Status.RENEWED))
_ORDER = {s.label: i for i, s in enumerate(Status)}


def _status_order(item: tuple[str, int]) -> int:
    return _ORDER.get(item[0], len(_ORDER))


# ---------------------------------------------------------------- find
FIND_COLUMNS = (
    Column("contract_no", "合同编号", TEXT, text=True),
    Column("customer", "客户", TEXT),
    Column("customer_id", "证件号码", ID),
    Column("phone", "联系电话", TEXT, text=True),
    Column("status", "状态", TEXT),
    Column("term_last_day", "期限至", DATE),
    Column("matched", "相符的项", TEXT),
)
# what a query is compared with, and the name the result gives it
FIND_FIELDS = (("name", "名称"), ("phone", "电话"), ("id_number", "身份证号"), ("credit_code", "信用代码"),
               ("email", "邮箱"))


def _folded(text: str) -> str:
    """Compared as typed by a clerk: full-width digits, letters in any case, dashes and spaces
    in phone numbers do not count."""
    return "".join(ch for ch in nfkc(text).lower() if ch not in " -()（）")


def _customers(state: ContractState, as_of: dt.date) -> list[Customer]:
    """The customer as issued and after every change (an old phone number still finds them)."""
    days = [b.day for b in state.bindings] + [as_of]
    found = [state.issued.customer, *(terms_in_force(state, d).customer for d in days)]
    return list(dict.fromkeys(found))


def matched_fields(state: ContractState, query: str, as_of: dt.date) -> list[str]:
    wanted = _folded(query)
    matched = ["合同编号"] if wanted in _folded(state.contract_no) else []
    for customer in _customers(state, as_of):
        for field, label in FIND_FIELDS:
            value = getattr(customer, field, "") or ""
            if value and wanted in _folded(value) and label not in matched:
                matched.append(label)
    return matched


def find_report(
    states: Iterable[ContractState], query: str, as_of: dt.date, profile: Profile,
    generated_at: dt.datetime | None = None,
) -> Report:
    """The contracts whose number, customer name, phone, ID number, credit code or email holds
    `query` (as issued or after a change), by contract number."""
    if not _folded(query):
        raise InvalidInput(Problem("", "请写出要查找的内容：姓名或单位名称、电话、证件号码或合同编号的一部分"))
    rows, any_contract = [], False
    for state in states:  # one at a time: only the rows found are kept
        any_contract = True
        matched = matched_fields(state, query, as_of)
        if not matched:
            continue
        row = register_row(state, as_of, profile)
        rows.append({k: row[k] for k in ("contract_no", "customer", "customer_id", "phone", "status",
                                         "term_last_day")} | {"matched": "、".join(matched)})
    rows.sort(key=lambda r: r["contract_no"])
    return Report(
        name="find",
        title=f"查找“{query.strip()}”",
        as_of=as_of,
        columns=FIND_COLUMNS,
        rows=tuple(rows),
        totals=(Total("找到合同", len(rows)),),
        notes=("身份证号已遮蔽显示。",) if rows else (),
        generated_at=generated_at,
        empty_message=EMPTY_REGISTER if not any_contract else f"没有找到与“{query.strip()}”相符的合同。",
    )
