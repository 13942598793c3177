"""What the supplementary documents are resolved with: 补充协议, 续签协议, 解除通知书/解除协议.

Each function is pure: it turns the customer, the profile and the document's own facts into the
context of templates/amendment, templates/renewal or templates/termination. The key names mirror
`agreement_context` (variant, customer, provider, dispute, terms, contract) so that the same
expressions work in every clause source.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import cn2an

from .agreement import cn_date, party_context, profile_terms
from .amounts import rmb_capitals, rmb_figures
from .customer import Customer
from .payments import Arrears
from .profile import Profile, sample_number
from .settlement import Settlement

TERMINATION_REASONS: dict[str, str] = {
    "mutual": "双方协商一致",
    "breach": "乙方违约",
    "late_payment": "乙方逾期支付服务费",
    "other": "其他原因",
}


def _base(customer: Customer, profile: Profile, contract_no: str) -> dict[str, Any]:
    """The parties, the dispute clause and the profile's terms, as in `agreement_context`."""
    return {
        **party_context(customer, profile),
        "terms": profile_terms(profile, profile.term_years),
        "contract": {"contract_no": sample_number(contract_no) if profile.sample else contract_no},
    }


def amendment_context(
    customer: Customer,
    profile: Profile,
    *,
    contract_no: str,
    doc_no: str,
    contract_signed_on: dt.date | None,
    signed_on: dt.date,
    effective_on: dt.date,
    changes: list[tuple[str, str, str]],
    term_last_day: dt.date,
) -> dict[str, Any]:
    """补充协议: `changes` are (项目, 原约定, 变更后) rows of the table of changes."""
    if not changes:
        raise ValueError("a 补充协议 needs at least one change")
    rows = [[str(cell) for cell in row] for row in changes]
    if any(len(row) != 3 for row in rows):
        raise ValueError("each change is (项目, 原约定, 变更后)")
    context = _base(customer, profile, contract_no)
    context["contract"].update(
        has_signed_on=contract_signed_on is not None,
        signed_on_cn=cn_date(contract_signed_on),
        term_last_day_cn=cn_date(term_last_day),
    )
    context["document"] = {
        "doc_no": doc_no,
        "signed_on_cn": cn_date(signed_on),
        "effective_on_cn": cn_date(effective_on),
    }
    context["changes"] = rows
    return context


def renewal_context(
    customer: Customer,
    profile: Profile,
    *,
    contract_no: str,
    doc_no: str,
    signed_on: dt.date,
    current_last_day: dt.date,
    new_first_day: dt.date,
    new_last_day: dt.date,
    years: int,
    annual_fee: Decimal,
) -> dict[str, Any]:
    """续签协议: the agreement renewed for `years` years from `new_first_day` to `new_last_day`."""
    if years < 1:
        raise ValueError("years must be at least 1")
    if new_last_day < new_first_day:
        raise ValueError("the renewed term ends before it begins")
    context = _base(customer, profile, contract_no)
    context["document"] = {"doc_no": doc_no, "signed_on_cn": cn_date(signed_on)}
    context["renewal"] = {
        "years": years,
        "years_cn": cn2an.an2cn(years),
        "current_last_day_cn": cn_date(current_last_day),
        "first_day_cn": cn_date(new_first_day),
        "last_day_cn": cn_date(new_last_day),
    }
    context["terms"].update(
        annual_fee_figures=rmb_figures(annual_fee),
        annual_fee_capitals=rmb_capitals(annual_fee),
    )
    return context


def termination_context(
    customer: Customer,
    profile: Profile,
    *,
    contract_no: str,
    doc_no: str,
    issued_on: dt.date,
    reason: str,
    reason_text: str,
    effective_on: dt.date | None,
    by_notice: bool,
    arrears: Arrears | None = None,
    settlement: Settlement | None = None,
) -> dict[str, Any]:
    """解除通知书 (甲方's notice, `by_notice`) or 解除协议 (both parties agree).
    A 解除协议 states the settlement of clause 12.3 as the register shows it on its signing day
    (`settlement`), so that both parties sign the figures.

    `reason` is one of TERMINATION_REASONS; a notice cannot rest on "mutual". A notice for late
    payment states the register's facts on its day (`arrears`: each overdue year, the days), so
    it cannot be written without them; the profile passed is the agreement's as issued (its
    terminate days are the ones the notice cites).
    """
    if reason not in TERMINATION_REASONS:
        raise ValueError(f"reason must be one of {', '.join(TERMINATION_REASONS)}")
    if by_notice and reason == "mutual":
        raise ValueError("a termination by agreement is a 解除协议, not a notice")
    if by_notice and reason == "late_payment" and not (arrears and arrears.years):
        raise ValueError("a notice for late payment states the overdue fees: pass the arrears")
    context = _base(customer, profile, contract_no)
    context["document"] = {"doc_no": doc_no, "signed_on_cn": cn_date(issued_on)}
    context["termination"] = {
        "by_notice": by_notice,
        "reason": reason,
        "reason_label": TERMINATION_REASONS[reason],
        "reason_text": reason_text.strip().rstrip("。；;，,."),  # the text adds its own 。
        "has_effective_on": effective_on is not None,
        "effective_on_cn": cn_date(effective_on),
        "issued_on_cn": cn_date(issued_on),
        "overdue_text": overdue_text(arrears),
        "days_overdue": arrears.days if arrears else 0,
        "settlement_text": settlement_text(settlement),
    }
    return context


def settlement_text(item: Settlement | None) -> str:
    """第二个服务年度（2026年3月10日至2027年3月9日）服务至2026年5月9日，共61日，应付服务费人民币2,139.18元
    （年服务费12,800.00元×61/365），已付人民币12,800.00元；甲方应当于2026年6月9日前退还乙方人民币10,660.82元"""
    if item is None:
        return ""
    parts = []
    year, cut = item.last_year, item.proration
    if year is not None and cut is not None:
        share = "" if cut.days_served == cut.days_in_year else \
            f"（年服务费{rmb_figures(cut.annual_fee)}元×{cut.days_served}/{cut.days_in_year}）"
        parts.append(f"第{cn2an.an2cn(year.service_year)}个服务年度（{cn_date(year.deadline.first_day)}至"
                     f"{cn_date(year.deadline.last_day)}）服务至{cn_date(item.last_service_day)}，共{cut.days_served}日，"
                     f"应付服务费人民币{rmb_figures(year.deadline.amount)}元{share}，已付人民币{rmb_figures(year.paid)}元")
    if item.unbegun_paid:
        parts.append(f"乙方为原协议解除之日以后开始的服务年度已付人民币{rmb_figures(item.unbegun_paid)}元")
    due = cn_date(item.settle_by)
    if item.refund_owed:
        parts.append(f"甲方应当于{due}前退还乙方人民币{rmb_figures(item.refund_owed)}元")
    if item.still_owed:
        parts.append(f"乙方应当于{due}前向甲方付清人民币{rmb_figures(item.still_owed)}元")
    if not (item.refund_owed or item.still_owed):
        parts.append("双方之间的服务费已经结清")
    return "；".join(parts)


def overdue_text(arrears: Arrears | None) -> str:
    """第一个服务年度（2025年3月10日至2026年3月9日）的服务费人民币7,800.00元（付款期限至2025年3月25日）、…"""
    if arrears is None:
        return ""
    return "、".join(
        f"第{cn2an.an2cn(y.service_year)}个服务年度（{cn_date(y.deadline.first_day)}至"
        f"{cn_date(y.deadline.last_day)}）的服务费人民币{rmb_figures(y.outstanding)}元"
        f"（付款期限至{cn_date(y.deadline.due_on)}）" for y in arrears.years)
