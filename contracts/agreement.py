"""What the agreement's text is resolved with: the context of a contract's clause source."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import cn2an

from .amounts import rmb_capitals, rmb_figures
from .customer import Customer
from .dates import TermCounting, payment_due, service_years, term_first_day, term_last_day
from .document import Attention
from .late_fee import LateFeeRate, percent_text
from .profile import Profile, sample_number


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
    first = term_first_day(params.effective_date, profile.term_counting)
    for year in service_years(first, params.term_years, profile.term_counting):
        due = payment_due(year, profile.payment_days, profile.holidays)
        rows.append([f"第{cn2an.an2cn(year.number)}个服务年度",
                     f"{cn_date(year.first_day)}至{cn_date(year.last_day)}", fee,
                     due_cell(due.due_on, bool(due.shifted_from), due.provisional)])
    return rows


def due_cell(due_on: dt.date, shifted: bool, provisional: bool) -> str:
    """Annex 2's deadline: the last day is itself in time, so every cell says 含当日."""
    notes = ["含当日"]
    notes += ["遇法定休假日顺延"] if shifted else []
    notes += ["暂按周末推算"] if provisional else []
    return f"{cn_date(due_on)}前（{'；'.join(notes)}）"


def attention_kinds(customer: Customer) -> list[Attention]:
    """The kinds of term the agreement prints in bold, as clause 2.2 names them."""
    kinds: list[Attention] = [a for a in Attention if a is not Attention.ACKNOWLEDGEMENT]
    # 消费者权益保护法 第二十六条 asks a consumer's price, term and payment to be drawn out too.
    return kinds if customer.is_individual else [a for a in kinds if a is not Attention.KEY_TERM]


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
        "sample": profile.sample,
        "attention_kinds": "、".join(a.label for a in attention_kinds(customer)),
        "dispute": {
            "method": profile.dispute_method.value,
            "arbitration_commission": profile.arbitration_commission,
            # 民诉法解释 第三十一条: a consumer's forum must be one the consumer can reach.
            "court": profile.consumer_court if customer.is_individual else profile.court,
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


# The cover's 签订年份 when no date is known yet: the parties write it in, as they write the dates
# on the signature page. The year of issue is not printed: an agreement issued in late December
# is often signed in January, and the cover would then contradict the signature page.
BLANK_YEAR = "＿＿＿＿年"


def agreement_context(customer: Customer, profile: Profile, params: ContractParams) -> dict[str, Any]:
    effective = params.effective_date
    first_day = term_first_day(effective, profile.term_counting) if effective else None
    last_day = term_last_day(first_day, params.term_years, profile.term_counting) if first_day else None
    return {
        **party_context(customer, profile),
        "terms": {
            "annual_fee_figures": rmb_figures(params.annual_fee),
            "annual_fee_capitals": rmb_capitals(params.annual_fee),
            **profile_terms(profile, params.term_years),
        },
        "contract": {
            "contract_no": sample_number(params.contract_no) if profile.sample else params.contract_no,
            "issue_date_cn": cn_date(params.issue_date),
            # The effective day is the later of the two signing days: its year is the year the
            # agreement was concluded (签订).
            "year_cn": cn_year(effective.year) if effective else BLANK_YEAR,
            "has_effective_date": effective is not None,
            "effective_date_cn": cn_date(effective),
            "term_first_day_cn": cn_date(first_day),
            "term_last_day_cn": cn_date(last_day),
            # A reading copy (contracts.reports.consolidated_context) prints no signature lines
            # and adds the renewals to clause 1.4.
            "for_signing": True,
            "renewals_note": "",
        },
        "payment_schedule": payment_schedule(params, profile),
    }
