"""Contract states for the whole-register commands (`list`, `find`, the reports) from the
summaries the store keeps (contracts/summary.py), not by replaying every history.

A contract whose summary is missing or does not fit its last record (stale, tampered, never
written) is replayed from its history; the new summary is put back for the next reader. A command
that shows the register as it stood on a day before a summary's `stands_from` (`list --as-of` in
the past) gets the replayed state, events and all, for contracts.register.stood_on.

The reports are pure functions of the states they are given; a report that only lists contracts
with, say, a notice is given only those (`CANDIDATES`: a test on the summary's state that is true
of every contract the report could list), and is told whether the register is empty.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from contracts.profile import Profile
from contracts.register import ContractState, replay
from contracts.summary import ContractSummary, state_of, summarize
from store import Store

WRITE_BACK = 1000  # rebuilt summaries put back this many at a time

Encoded = Mapping[str, Any]  # the "state" of a summary as stored


def _signed_not_voided(state: Encoded) -> bool:
    return state["signed"] is not None and state["voided"] is None


# A report (by name) lists only contracts whose encoded state passes its test.
CANDIDATES: dict[str, Callable[[Encoded], bool]] = {
    "expiring": _signed_not_voided,
    "renewals": lambda s: bool(s["renewals"]) and s["voided"] is None,
    "amendments": lambda s: bool(s["amendments"]),
    "notices": lambda s: bool(s["notices"]),
    "deadlines": _signed_not_voided,
    "receivables": _signed_not_voided,
}


def replayed(store: Store, profile: Profile, contract_no: str) -> ContractState:
    from .register import events_of

    return replay(events_of(store.history(contract_no)), profile)


def summary_states(
    store: Store, profile: Profile, *, chosen: Callable[[Encoded], bool] | None = None,
    window: tuple[dt.date | None, dt.date | None] | None = None, contract_no: str | None = None,
    stood_on: dt.date | None = None, seen: list[bool] | None = None,
) -> Iterator[ContractState]:
    """The state of every contract (by number) whose summary passes `chosen`, with a term last day
    in `window` (the store's index), or numbered `contract_no`. `stood_on`: a contract whose
    summary does not stand on that day comes replayed. `seen[0]` is set when the register holds
    any contract at all (whatever was chosen)."""
    rebuilt: list[tuple[str, dict[str, Any]]] = []
    first, last = window if window is not None else (None, None)
    try:
        for number, data in store.summaries(first, last):
            if seen is not None:
                seen[0] = True
            if contract_no is not None and number != contract_no:
                continue
            state: ContractState | None = None
            summary = _summary(data)
            if summary is None:
                state = replayed(store, profile, number)
                summary = summarize(state)
                rebuilt.append((number, summary.to_dict()))
                if len(rebuilt) >= WRITE_BACK:
                    store.put_summaries(rebuilt)
                    rebuilt = []
                if window is not None and not _in(summary, first, last):
                    continue
            if stood_on is not None and not summary.stands_on(stood_on):
                yield state or replayed(store, profile, number)  # `chosen` judges the whole history
            elif chosen is None or chosen(summary.state):
                yield state_of(summary)
    finally:
        if rebuilt:
            store.put_summaries(rebuilt)


def _summary(data: Mapping[str, Any] | None) -> ContractSummary | None:
    if data is None:
        return None
    try:
        return ContractSummary.from_dict(data)
    except (KeyError, TypeError, ValueError):  # another version, or not a summary: rebuilt
        return None


def _in(summary: ContractSummary, first: dt.date | None, last: dt.date | None) -> bool:
    return any((first is None or first <= day) and (last is None or day <= last) for day in summary.term_last_days)


def report_states(store: Store, profile: Profile, name: str, as_of: dt.date, filters: Mapping[str, Any],
                  seen: list[bool]) -> Iterator[ContractState]:
    """The states report `name` could list a row of (see CANDIDATES)."""
    window = None
    if name == "expiring":
        within = filters.get("within")
        within = profile.expiry_warning_days if within is None else within
        # a window that cannot hold a day is the report's own error to give: every candidate then
        window = (as_of, as_of + dt.timedelta(days=within)) if within >= 0 else None
    contract = filters.get("contract") if name == "amendments" else None
    if contract:  # the one contract, also without amendments (the report says it has none)
        return summary_states(store, profile, contract_no=contract, seen=seen)
    return summary_states(store, profile, chosen=CANDIDATES.get(name), window=window, seen=seen)
