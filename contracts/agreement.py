"""What the agreement's text is resolved with: the context of a contract's clause source."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import cn2an

from .amounts import rmb_capitals, rmb_figures
from .customer import Customer
from .dates import TermCounting, payment_due, service_years, term_last_day
from .late_fee import LateFeeRate, percent_text
from .profile import Profile


@dataclass(frozen=True)
class ContractParams:
    contract_no: str
    issue_date: dt.date
    annual_fee: Decimal
    effective_date: dt.date | None = None  # known when the agreement is printed after signing
    term_years: int = 5


def cn_date(day: dt.date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def cn_year(year: int) -> str:
    return "".join("〇一二三四五六七八九"[int(d)] for d in str(year)) + "年"


def late_fee_terms(rate: LateFeeRate | None) -> dict[str, Any]:
    """Clause 8.4's figures. None: a contract issued before the rate was kept in the register;
    its reading copy then refers to the signed text instead of printing a rate it never had."""
    if rate is None:
        return {"known": False, "annual_rate": "", "lpr": "", "lpr_published_on_cn": "", "multiple": ""}
    return {"known": True, "annual_rate": percent_text(rate.annual_rate),
            "lpr": percent_text(rate.lpr_one_year), "lpr_published_on_cn": cn_date(rate.lpr_published_on),
            "multiple": format(rate.lpr_multiple, "f")}


def payment_schedule(params: ContractParams, profile: Profile) -> list[list[str]]:
    """Rows of annex 2: each service year, its period, its fee and its due date."""
    fee = "¥" + rmb_figures(params.annual_fee)
    if params.effective_date is None:
        return [
            [f"第{cn2an.an2cn(k)}个服务年度", f"协议生效后第{cn2an.an2cn(k)}年", fee,
             f"该服务年度开始之日起{profile.payment_days}日内"]
            for k in range(1, params.term_years + 1)
        ]
    rows = []
    for year in service_years(params.effective_date, params.term_years, profile.term_counting):
        due = payment_due(year, profile.payment_days, profile.holidays)
        note = "（遇法定休假日顺延）" if due.shifted_from else ""
        note += "（暂按周末推算）" if due.provisional else ""
        rows.append([f"第{cn2an.an2cn(year.number)}个服务年度",
                     f"{cn_date(year.first_day)}至{cn_date(year.last_day)}", fee,
                     f"{cn_date(due.due_on)}前{note}"])
    return rows


def party_context(customer: Customer, profile: Profile) -> dict[str, Any]:
    """The variant, both parties and the dispute clause: shared by every document."""
    masked = customer.masked_identity() if customer.is_individual else ""
    return {
        "variant": customer.type.value,
        "customer": {**customer.as_dict(), "type_label": customer.type.label,
                     "id_number": customer.id_number, "id_number_masked": masked,
                     "credit_code": customer.credit_code,
                     "legal_representative": customer.legal_representative,
                     "contact_person": customer.contact_person},
        "provider": vars(profile.provider),
        "dispute": {
            "method": profile.dispute_method.value,
            "arbitration_commission": profile.arbitration_commission,
            "court": profile.court,
        },
    }


def profile_terms(profile: Profile, term_years: int) -> dict[str, Any]:
    """The agreement's parameters that come from the profile, as the clause text prints them."""
    return {
        "term_years": term_years,
        "term_years_cn": cn2an.an2cn(term_years),
        "term_counting": profile.term_counting.value,
        "effective_day_counted": profile.term_counting is TermCounting.EFFECTIVE_DAY_COUNTED,
        "payment_days": profile.payment_days,
        "late_fee": late_fee_terms(profile.late_fee),
        "suspend_days": profile.late_payment_suspend_days,
        "terminate_days": profile.late_payment_terminate_days,
        "response_hours": profile.response_hours,
        "courier_deemed_days": profile.courier_deemed_days,
        "renewal_notice_days": profile.renewal_notice_days,
    }


def agreement_context(customer: Customer, profile: Profile, params: ContractParams) -> dict[str, Any]:
    effective = params.effective_date
    last_day = term_last_day(effective, params.term_years, profile.term_counting) if effective else None
    return {
        **party_context(customer, profile),
        "terms": {
            "annual_fee_figures": rmb_figures(params.annual_fee),
            "annual_fee_capitals": rmb_capitals(params.annual_fee),
            **profile_terms(profile, params.term_years),
        },
        "contract": {
            "contract_no": params.contract_no,
            "issue_date_cn": cn_date(params.issue_date),
            "year_cn": cn_year(params.issue_date.year),
            "has_effective_date": effective is not None,
            "effective_date_cn": cn_date(effective),
            "term_last_day_cn": cn_date(last_day),
        },
        "payment_schedule": payment_schedule(params, profile),
    }
