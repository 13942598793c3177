"""Generate an agreement: validate the request, resolve the clause source, write the files."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from contracts.agreement import ContractParams, agreement_context
from contracts.amounts import parse_amount
from contracts.customer import Customer, CustomerType, customer_from_mapping
from contracts.document import Document
from contracts.errors import InvalidInput, Problem
from contracts.events import Issued
from contracts.profile import Profile
from contracts.resolver import resolve
from contracts.signed_rows import SignedFacts
from contracts.validation import iso_date
from store.atomic import PRIVATE

from .archive import data_for
from .output import WrittenFile, safe_stem, write_documents
from .sources import load_source


@dataclass(frozen=True)
class AgreementRequest:
    customer: Customer
    annual_fee: Decimal
    effective_date: dt.date | None
    # An agreement already signed on paper, brought into the register: the day it was issued
    # (None: issued today) and what happened since (contracts.signed_rows).
    issued_on: dt.date | None = None
    signed: SignedFacts | None = None


def parse_request(kind: CustomerType, data: Mapping[str, Any], today: dt.date) -> AgreementRequest:
    """Customer fields, fee and effective date, validated together: every problem at once."""
    problems: list[Problem] = []
    customer = fee = effective = None
    try:
        customer = customer_from_mapping(kind, data, today)
    except InvalidInput as exc:
        problems.extend(exc.problems)
    raw_fee = data.get("annual_fee")
    if raw_fee in (None, ""):
        problems.append(Problem("annual_fee", "年服务费不能为空"))
    else:
        try:
            fee = parse_amount(raw_fee, "annual_fee")
        except InvalidInput as exc:
            problems.extend(exc.problems)
    if data.get("effective_date") not in (None, ""):
        try:
            effective = iso_date(data["effective_date"], "effective_date")
        except InvalidInput as exc:
            problems.extend(exc.problems)
    if problems:
        raise InvalidInput(problems)
    assert customer is not None and fee is not None
    return AgreementRequest(customer, fee, effective)


def issued_body(profile: Profile, request: AgreementRequest, day: dt.date) -> Issued:
    """The issue's parameters as the register records them (no files, no batch yet)."""
    return Issued(day, request.customer, request.annual_fee, profile.term_years,
                  profile.term_counting, profile.payment_days, profile.courier_deemed_days,
                  request.effective_date, (), {}, profile.renewal_notice_days, profile.late_fee,
                  profile.late_payment_suspend_days, profile.late_payment_terminate_days)


def build_agreement(
    profile: Profile, request: AgreementRequest, contract_no: str, issue_date: dt.date, *,
    registered: bool = True,
) -> Document:
    """The agreement, carrying its issue's data (service.archive); REGISTERED False: a preview,
    whose data names no event."""
    params = ContractParams(
        contract_no, issue_date, request.annual_fee, request.effective_date, profile.term_years
    )
    context = agreement_context(request.customer, profile, params)
    doc = dataclasses.replace(resolve(load_source("agreement"), context, contract_no=contract_no),
                              issued_on=issue_date)
    data = data_for(doc, profile, issued_body(profile, request, issue_date), request.customer,
                    event_seq=1 if registered else None)
    return dataclasses.replace(doc, data_file=data)


def agreement_paths(doc: Document, customer: Customer, out_dir: Path, formats: Sequence[str]) -> list[Path]:
    stem = safe_stem(doc.doc_no, customer.name)
    return [Path(out_dir) / f"{stem}.{fmt}" for fmt in formats]


def write_agreement(
    doc: Document, customer: Customer, out_dir: Path, formats: Sequence[str], *, overwrite: bool = False,
    mode: int = PRIVATE,
) -> list[WrittenFile]:
    """A preview (never registered): refuses an existing file unless `overwrite`."""
    return write_documents(doc, out_dir, formats, safe_stem(doc.doc_no, customer.name), overwrite=overwrite,
                           mode=mode)
