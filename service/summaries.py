"""Contract states for the whole-register commands (`list`, `find`, the reports) from the
summaries the store keeps (contracts/summary.py), not by replaying every history.

A contract whose summary is missing or does not fit its last record (stale, tampered, never
written) is replayed from its history, read together with the others' needed nearby (FETCH_BATCH,
`Store.histories_of`); the new summaries are put back for the next reader, WRITE_BACK at a time. A command
that shows the register as it stood on a day before a summary's `stands_from` (`list --as-of` in
the past) gets the replayed state, events and all, for contracts.register.stood_on.

The reports are pure functions of the states they are given; a report is given only the contracts
it could list: the store picks them by index, by the spans each summary keeps of the days its
contract can show in each report on (contracts.report_spans; `report_windows`), and `CANDIDATES`
(a test on the summary's state, true of every contract the report could list) drops more. A
report is told whether the register is empty. `list --status` likewise (`status_windows`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from contracts.errors import ContractError
from contracts.profile import Profile
from contracts.register import ContractState, Status, replay
from contracts.report_spans import AMENDMENTS, DEADLINES, NOTICES, RECEIVABLES, RENEWALS, STANDS, TERM_END
from contracts.reports import deadline_window
from contracts.summary import ContractSummary, state_of, summarize
from store import Store
from store.base import Window, in_windows

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
    windows: Sequence[Window] | None = None, contract_no: str | None = None,
    stood_on: dt.date | None = None, seen: list[bool] | None = None,
) -> Iterator[ContractState]:
    """The state of every contract (by number) whose summary passes `chosen`, with a span meeting
    one of `windows` (the store's index), or numbered `contract_no`. `stood_on`: a contract whose
    summary does not stand on that day comes replayed. `seen[0]` is set when the register holds
    any contract at all (whatever was chosen).

    The contracts whose history is needed (no fitting summary, or one that does not stand on
    `stood_on`) are read FETCH_BATCH at a time with one `histories_of`, not one read each: after
    `db upgrade`, a load without summaries or appends by an older program, that is every contract,
    and a read each is one round trip each to a database server."""
    write_back = _WriteBack(store)
    try:
        for batch in _batched(_stored(store, windows, contract_no, seen), FETCH_BATCH):
            needed = [number for number, summary in batch
                      if summary is None or stood_on is not None and not summary.stands_on(stood_on)]
            histories = dict(store.histories_of(needed)) if needed else {}
            for number, summary in batch:
                state: ContractState | None = None
                if number in histories or summary is None:
                    state = _replayed(store, profile, number, histories.pop(number, None))
                if summary is None:
                    assert state is not None
                    summary = summarize(state)
                    data = summary.to_dict()
                    write_back.add(number, data)
                    if windows is not None and not in_windows(data, windows):
                        continue
                if stood_on is not None and not summary.stands_on(stood_on):
                    yield state or replayed(store, profile, number)  # `chosen` judges the whole history
                elif chosen is None or chosen(summary.state):
                    yield state_of(summary)
    finally:
        write_back.flush()
    if seen is not None and not seen[0] and windows is not None:
        seen[0] = store.head() is not None  # none in the windows: the register may hold others


FETCH_BATCH = 1000  # contracts looked at together: the histories among them needed are read in one go


def _stored(store: Store, windows: Sequence[Window] | None, contract_no: str | None,
            seen: list[bool] | None) -> Iterator[tuple[str, ContractSummary | None]]:
    """(number, its summary or None) of the contracts the store picks (see summary_states)."""
    for number, data in store.summaries(windows=windows):
        if seen is not None:
            seen[0] = True
        if contract_no is None or number == contract_no:
            yield number, _summary(data)


def _batched(items: Iterator[tuple[str, ContractSummary | None]],
             size: int) -> Iterator[list[tuple[str, ContractSummary | None]]]:
    batch: list[tuple[str, ContractSummary | None]] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _replayed(store: Store, profile: Profile, number: str, records: list[dict[str, Any]] | None) -> ContractState:
    from .register import events_of

    if records is None:  # not among those read together (it cannot have gone: read on its own)
        return replayed(store, profile, number)
    return replay(events_of(records), profile)


class _WriteBack:
    """Rebuilt summaries, put back WRITE_BACK at a time (and the rest at the end)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._items: list[tuple[str, dict[str, Any]]] = []

    def add(self, number: str, summary: dict[str, Any]) -> None:
        self._items.append((number, summary))
        if len(self._items) >= WRITE_BACK:
            self.flush()

    def flush(self) -> None:
        items, self._items = self._items, []
        if items:
            self._store.put_summaries(items)


def _summary(data: Mapping[str, Any] | None) -> ContractSummary | None:
    if data is None:
        return None
    try:
        return ContractSummary.from_dict(data)
    except (KeyError, TypeError, ValueError):  # another version, or not a summary: rebuilt
        return None


def report_windows(name: str, as_of: dt.date, filters: Mapping[str, Any], profile: Profile) -> list[Window] | None:
    """The spans (contracts.report_spans) a contract needs one of to have a row in report `name`
    on as_of with these filters; None: every contract (a period that is the report's own error
    to refuse, or a report without spans)."""
    first, last = filters.get("date_from"), filters.get("date_to")
    if name == "expiring":
        within = filters.get("within")
        within = profile.expiry_warning_days if within is None else within
        return [(TERM_END, as_of, as_of + dt.timedelta(days=within))] if within >= 0 else None
    if name in (RENEWALS, AMENDMENTS):
        return [(name, first, last)] if first is None or last is None or first <= last else None
    if name == "deadlines":
        try:
            start, end = deadline_window(as_of, first, last)
        except ContractError:
            return None
        return [(DEADLINES, start, end)]
    if name in (NOTICES, RECEIVABLES):
        return [(name, as_of, as_of)]
    return None


def status_windows(status: Status, as_of: dt.date, profile: Profile) -> list[Window] | None:
    """The spans a contract needs one of to have `status` on as_of (`list --status`); a summary
    that does not stand on as_of (STANDS) is replayed and judged as it stood."""
    if status is Status.EXPIRING:
        found: list[Window] = [(TERM_END, as_of, as_of + dt.timedelta(days=profile.expiry_warning_days))]
    elif status in (Status.ACTIVE, Status.RENEWED, Status.SIGNED):
        found = [(TERM_END, as_of, None)]
    elif status is Status.OVERDUE:
        found = [(RECEIVABLES, as_of, as_of)]
    else:
        return None
    return [*found, (STANDS, as_of, as_of)]


def report_states(store: Store, profile: Profile, name: str, as_of: dt.date, filters: Mapping[str, Any],
                  seen: list[bool]) -> Iterator[ContractState]:
    """The states report `name` could list a row of (see report_windows and CANDIDATES)."""
    contract = filters.get("contract") if name == "amendments" else None
    if contract:  # the one contract, also without amendments (the report says it has none)
        return summary_states(store, profile, contract_no=contract, seen=seen)
    return summary_states(store, profile, chosen=CANDIDATES.get(name),
                          windows=report_windows(name, as_of, filters, profile), seen=seen)
