"""The customer (乙方): individual or corporate, validated as a whole."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from . import validation as v
from .errors import InvalidInput, Problem
from .resolver import nfkc


class CustomerType(StrEnum):
    INDIVIDUAL = "individual"
    CORPORATE = "corporate"

    @property
    def label(self) -> str:
        return "个人客户" if self is CustomerType.INDIVIDUAL else "单位客户"

    @classmethod
    def parse(cls, value: object, field: str = "type") -> CustomerType:
        text = nfkc(str(value or "")).lower()
        aliases = {"individual": cls.INDIVIDUAL, "个人": cls.INDIVIDUAL, "个人客户": cls.INDIVIDUAL,
                   "corporate": cls.CORPORATE, "单位": cls.CORPORATE, "单位客户": cls.CORPORATE}
        if text not in aliases:
            raise InvalidInput(Problem(field, f"客户类型“{value}”无效，应为 individual（个人）或 corporate（单位）"))
        return aliases[text]


@dataclass(frozen=True)
class Customer:
    type: CustomerType
    name: str
    phone: str
    address: str
    email: str
    id_number: str = ""  # individual
    credit_code: str = ""  # corporate
    legal_representative: str = ""  # corporate
    contact_person: str = ""  # corporate, optional

    @property
    def is_individual(self) -> bool:
        return self.type is CustomerType.INDIVIDUAL

    @property
    def identity(self) -> str:
        """The number that identifies the customer: ID number or credit code."""
        return self.id_number if self.is_individual else self.credit_code

    def masked_identity(self) -> str:
        return mask_id(self.identity) if self.is_individual else self.identity

    def as_dict(self) -> dict[str, str]:
        data = {"type": self.type.value, "name": self.name, "phone": self.phone,
                "address": self.address, "email": self.email}
        if self.is_individual:
            data["id_number"] = self.id_number
        else:
            data["credit_code"] = self.credit_code
            data["legal_representative"] = self.legal_representative
            if self.contact_person:
                data["contact_person"] = self.contact_person
        return data


def mask_id(number: str) -> str:
    """110105********002X: region and the last four kept."""
    return number[:6] + "*" * (len(number) - 10) + number[-4:] if len(number) > 10 else number


# field name -> (Chinese label, required for individual, required for corporate)
CUSTOMER_FIELDS: dict[str, tuple[str, bool, bool]] = {
    "name": ("姓名/单位名称", True, True),
    "id_number": ("身份证号", True, False),
    "credit_code": ("统一社会信用代码", False, True),
    "legal_representative": ("法定代表人", False, True),
    "contact_person": ("联系人", False, False),
    "phone": ("联系电话", True, True),
    "address": ("通讯地址", True, True),
    "email": ("电子邮箱", True, True),
}


# Customer text printed as the user typed it (see validation.as_typed); every other field is a code.
TEXT_AS_TYPED = frozenset({"name", "legal_representative", "contact_person", "address"})


def field_label(kind: CustomerType, field: str) -> str:
    """The Chinese name of a customer field for this kind of customer."""
    if field == "name":
        return "姓名" if kind is CustomerType.INDIVIDUAL else "单位名称"
    return CUSTOMER_FIELDS[field][0]


def required_fields(kind: CustomerType) -> list[str]:
    col = 1 if kind is CustomerType.INDIVIDUAL else 2
    return [f for f, spec in CUSTOMER_FIELDS.items() if spec[col]]


def customer_from_mapping(kind: CustomerType, data: Mapping[str, Any], today: dt.date) -> Customer:
    """Validate every field at once; raises InvalidInput listing every problem."""
    problems: list[Problem] = []
    # Names and addresses are kept as typed (they must read as on the licence); codes, phone and
    # e-mail are identifiers, validated and stored in their ASCII form.
    values = {k: (v.as_typed(str(val)) if k in TEXT_AS_TYPED else v.canonical_code(str(val)))
              for k, val in data.items() if val not in (None, "")}

    def check(field: str, fn: Callable[[str], str]) -> str:
        if field not in values:
            return ""
        try:
            return fn(values[field])
        except InvalidInput as exc:
            problems.extend(exc.problems)
            return ""

    for field in required_fields(kind):
        if field not in values:
            problems.append(Problem(field, f"{CUSTOMER_FIELDS[field][0]}不能为空"))
    if kind is CustomerType.INDIVIDUAL and "credit_code" in values:
        problems.append(Problem("credit_code", "个人客户不填写统一社会信用代码；单位客户请用 --type corporate"))
    if kind is CustomerType.CORPORATE and "id_number" in values:
        problems.append(Problem("id_number", "单位客户不填写身份证号；请填写统一社会信用代码"))
    name_label = "姓名" if kind is CustomerType.INDIVIDUAL else "单位名称"
    customer = dict(
        name=check("name", lambda s: v.person_or_company_name(s, "name", name_label)),
        phone=check("phone", v.phone),
        address=check("address", lambda s: v.text(s, "address", "通讯地址")),
        email=check("email", v.email),
    )
    if kind is CustomerType.INDIVIDUAL:
        customer["id_number"] = check("id_number", lambda s: v.id_number(s, today))
    else:
        customer["credit_code"] = check("credit_code", v.credit_code)
        customer["legal_representative"] = check(
            "legal_representative",
            lambda s: v.person_or_company_name(s, "legal_representative", "法定代表人"),
        )
        customer["contact_person"] = check(
            "contact_person", lambda s: v.person_or_company_name(s, "contact_person", "联系人")
        )
    if problems:
        raise InvalidInput(problems)
    return Customer(type=kind, **customer)


def field_problems(kind: CustomerType, field: str, value: str, today: dt.date) -> list[Problem]:
    """The problems of one answer on its own, by the same rules as the whole record, so that
    a prompt can ask again at once."""
    try:
        customer_from_mapping(kind, {field: value}, today)
    except InvalidInput as exc:
        return [p for p in exc.problems if p.field == field]
    return []
