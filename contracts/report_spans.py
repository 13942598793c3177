"""On which days a contract can show in each report: the spans a summary keeps beside the state,
so that the store picks by index the contracts a report needs for its as-of date or period.

A span is (first, last), `last` None when open-ended. A report asks for the contracts with a
span of its kind meeting its window (service/summaries.py); the report itself still decides on
the whole state, so a span only has to be wide enough: a contract that can have a row on a day
has a span over that day. What the spans cannot know (the profile's holidays and lead times)
they cover with a margin, or with a span open at both ends.

Computed from the replayed state of the whole history, with nothing that depends on an as-of
date or on the profile (a summary is the same whatever the profile).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

from .dates import service_years
from .register import ContractState, terms_in_force

Span = tuple[dt.date, dt.date | None]

TERM_END = "term_end"  # each term's last day (expiring, and `list --status` by term)
AMENDMENTS = "amendments"  # each 补充协议's signing day
RENEWALS = "renewals"  # each renewal's signing day
NOTICES = "notices"  # from the day each notice was sent on
RECEIVABLES = "receivables"  # each service year from its first day until its fee was paid in full
DEADLINES = "deadlines"  # until the last payment or term deadline can fall
STANDS = "stands"  # the days before the summary stands on (a history with later facts)
KINDS = (TERM_END, AMENDMENTS, RENEWALS, NOTICES, RECEIVABLES, DEADLINES, STANDS)

ALWAYS: tuple[Span, ...] = ((dt.date.min, None),)
# Room for what the profile moves: a due date shifted past holidays (a week or so at most),
# reminder days and notice days after a term's last day are none, so a month is ample.
MARGIN = dt.timedelta(days=31)
ONE_DAY = dt.timedelta(days=1)


def report_spans(state: ContractState, stands_from: dt.date | None) -> dict[str, tuple[Span, ...]]:
    """Every kind's spans of the contract (a kind with none is left out)."""
    # each service year of each term, once (both kinds below read them; none when neither does)
    years = _years(state) if state.signed is not None and state.voided is None and state.terms else []
    spans: dict[str, tuple[Span, ...]] = {
        TERM_END: tuple((d, d) for d in sorted({t.last_day for t in state.terms})),
        AMENDMENTS: tuple((a.signed_on, a.signed_on) for a in state.amendments),
        RENEWALS: tuple((t.signed_on, t.signed_on) for t in state.terms[1:]),
        # a notice's day in Beijing time: the day before covers any zone it was written in
        NOTICES: ((min(n.sent.sent_at.date() for n in state.notices) - ONE_DAY, None),) if state.notices else (),
        RECEIVABLES: _receivable_spans(state, years),
        DEADLINES: _deadline_spans(state, years),
        STANDS: ((dt.date.min, stands_from - ONE_DAY),) if stands_from and stands_from > dt.date.min else (),
    }
    return {kind: found for kind, found in spans.items() if found}


def _years(state: ContractState) -> list[tuple[int, dt.date, Decimal]]:
    """(service year, first day, fee) of every year of every term, numbered as
    contracts.register.payment_deadlines numbers them."""
    out: list[tuple[int, dt.date, Decimal]] = []
    for term in state.terms:
        for year in service_years(term.first_day, term.years, state.issued.counting):
            out.append((len(out) + 1, year.first_day, terms_in_force(state, year.first_day).annual_fee))
    return out


def _settled(state: ContractState, years: list[tuple[int, dt.date, Decimal]]) -> Mapping[int, dt.date | None]:
    """Each service year paid towards: the day its fee was paid in full (None: not, or more)."""
    paid: dict[int, Decimal] = {}
    days: dict[int, dt.date] = {}
    for payment in sorted(state.payments, key=lambda p: p.on):
        for part in payment.allocations:
            paid[part.service_year] = paid.get(part.service_year, Decimal(0)) + part.amount
            days[part.service_year] = payment.on
    fees = {year: fee for year, _first, fee in years}
    return {year: days[year] if total == fees.get(year) else None for year, total in paid.items()}


def _receivable_spans(state: ContractState, years: list[tuple[int, dt.date, Decimal]]) -> tuple[Span, ...]:
    """A year owes from its first day (receivables lists the years begun) until the day its fee was
    paid in full. Open at both ends where a row can come from elsewhere: a termination (refunds
    and cut fees), a refund, a late fee (owed after the fee is paid)."""
    if state.signed is None or state.voided is not None or not state.terms:
        return ()
    if state.terminated is not None or state.issued.late_fee is not None \
            or any(p.amount <= 0 or any(a.amount <= 0 for a in p.allocations) for p in state.payments):
        return ALWAYS
    settled = _settled(state, years)
    spans: list[Span] = []
    for year, first, fee in years:
        if fee == 0 and year not in settled:
            continue
        last = settled.get(year)
        if last is None:
            spans.append((first, None))
        elif last > first:
            spans.append((first, last - ONE_DAY))
    return tuple(spans)


def _deadline_spans(state: ContractState, years: list[tuple[int, dt.date, Decimal]]) -> tuple[Span, ...]:
    """Payment due dates fall within the payment days (and a holiday's shift) of a year's first day,
    the renewal notice and reminder days before the final term's last day."""
    if state.signed is None or state.voided is not None or not state.terms:
        return ()
    latest = max(state.terms[-1].last_day, years[-1][1] + dt.timedelta(days=state.issued.payment_days))
    return ((dt.date.min, latest + MARGIN),)
