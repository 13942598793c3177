"""A contract's summary: its replayed state kept beside the register, so that whole-register
commands (`list`, `find`, the reports) need not replay every history.

`summarize(state)` turns the state `replay` derived from a history into a `ContractSummary`: plain
JSON data (money as strings, dates ISO) with no date-dependent value in it. The status, the days
left, what is overdue: all of that depends on the as-of date and the profile, and is computed when
read, by the same functions as for a replayed state (contracts.register, contracts.reports), from
`state_of(summary)`. A summary is keyed by the last seq and the last record hash of the history it
was made from: a store hands back a summary only while that key is still its contract's (a stale
or tampered one is rebuilt by replay, see service/summaries.py).

Beside the state a summary keeps its spans (contracts.report_spans): the days its contract can
show in each report on, which the store indexes so that a report reads only the contracts its
as-of date or period can list. They are made from the same replayed state, under the same key.

What a summary state leaves out: the events themselves (so `stood_on`, which drops later events,
cannot work on it: `stands_from` says from which day it is not needed; before that day the
history is replayed), and the documents' file hashes and batch keys (no view of a summary shows
them).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from .customer import Customer
from .events import LateFeePaid, LateFeeWaived, Signed, Terminated, Voided, decoder, encode, field_types
from .profile import Profile
from .register import IN_FORCE, ContractState, Status, Term, effective_events, known_from_day, term_status_on
from .report_spans import report_spans

SUMMARY_VERSION = 2

# The fields of ContractState a summary keeps, encoded with contracts.events.encode.
STATE_FIELDS = ("issued", "signed", "terms", "amendments", "renewals", "bindings", "notices",
                "terminated", "terminated_seq", "voided", "payments")
# late fees paid or waived: two kinds of body in one field, each kept with its kind
SETTLEMENT_KINDS: dict[str, Any] = {LateFeePaid.KIND.value: LateFeePaid, LateFeeWaived.KIND.value: LateFeeWaived}


@dataclass(frozen=True)
class ContractSummary:
    contract_no: str
    last_seq: int
    last_hash: str
    # the last day of every term (the store's index for windowed reads, e.g. `report expiring`)
    term_last_days: tuple[dt.date, ...]
    # from this day on the register shows the whole history (no fact dated later): an as-of date
    # before it needs the history replayed (contracts.register.stood_on)
    stands_from: dt.date | None
    state: Mapping[str, Any]  # the encoded state (STATE_FIELDS and the correction marks)
    # the days the contract can show in each report on (contracts.report_spans), as ISO text
    spans: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    version: int = SUMMARY_VERSION

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "contract_no": self.contract_no, "last_seq": self.last_seq,
                "last_hash": self.last_hash, "term_last_days": [d.isoformat() for d in self.term_last_days],
                "stands_from": self.stands_from.isoformat() if self.stands_from else None,
                "spans": dict(self.spans), "state": dict(self.state)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ContractSummary:
        """Raises ValueError (or KeyError, TypeError) for data that is not a summary of this version."""
        if data.get("version") != SUMMARY_VERSION:
            raise ValueError(f"summary version {data.get('version')!r}")
        stands = data["stands_from"]
        return cls(str(data["contract_no"]), int(data["last_seq"]), str(data["last_hash"]),
                   tuple(dt.date.fromisoformat(d) for d in data["term_last_days"]),
                   dt.date.fromisoformat(stands) if stands else None, data["state"], data["spans"])

    def stands_on(self, as_of: dt.date) -> bool:
        """Whether the summary shows the register as it stood on `as_of` (no later fact in it)."""
        return self.stands_from is None or self.stands_from <= as_of


def _without_files(value: Any) -> Any:
    """Documents' file hashes and batch keys are not part of a summary."""
    if isinstance(value, tuple):
        return tuple(_without_files(v) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes: dict[str, Any] = {}
        names = {f.name for f in dataclasses.fields(value)}
        if "files" in names:
            changes["files"] = ()
        if "batch" in names:
            changes["batch"] = {}
        if "sent" in names:
            changes["sent"] = _without_files(getattr(value, "sent"))  # noqa: B009 (a Notice)
        return dataclasses.replace(value, **changes) if changes else value
    return value


def summarize(state: ContractState) -> ContractSummary:
    """The summary of a replayed state (its events are the whole history)."""
    known = [day for e in effective_events(state.events) if (day := known_from_day(e)) is not None]
    data: dict[str, Any] = {name: encode(_without_files(getattr(state, name))) for name in STATE_FIELDS}
    data["late_fee_settlements"] = [{"kind": body.KIND.value, "body": encode(body)}
                                    for body in state.late_fee_settlements]
    data["retracted"] = sorted(state.retracted)
    data["corrected_by"] = {str(seq): list(by) for seq, by in sorted(state.corrected_by.items())}
    stands_from = max(known, default=None)
    spans = {kind: [[first.isoformat(), last.isoformat() if last else None] for first, last in found]
             for kind, found in report_spans(state, stands_from).items()}
    return ContractSummary(state.contract_no, state.last_seq, state.last_hash,
                           tuple(sorted({t.last_day for t in state.terms})), stands_from, data, spans)


def _field_decoders() -> dict[str, Any]:
    hints = field_types(ContractState)
    return {name: _fast_decoder(hints[name]) or _same for name in STATE_FIELDS}


def _same(value: Any) -> Any:
    return value


def _fast_decoder(tp: Any) -> Callable[[Any], Any] | None:
    """contracts.events.decoder for data a summary holds (written by `summarize` itself, and
    handed out only under its key): the same values, without checking each field's type again
    (a list of 100,000 contracts decodes every summary). None: the value as it is."""
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        inner = _fast_decoder(next(t for t in typing.get_args(tp) if t is not type(None)))
        return None if inner is None else (lambda data: None if data is None else inner(data))
    if origin is tuple:
        item = _fast_decoder(typing.get_args(tp)[0])
        return tuple if item is None else (lambda data: tuple(map(item, data)))
    if origin in (Mapping, dict):
        return dict
    if isinstance(tp, type) and dataclasses.is_dataclass(tp) and tp is not Customer:
        return _dataclass_decoder(tp)
    if isinstance(tp, type) and issubclass(tp, StrEnum):
        return {member.value: member for member in tp}.__getitem__  # not the enum's own call: slow
    if tp is dt.date:
        return dt.date.fromisoformat
    if tp is Decimal:
        return Decimal
    if tp in (str, int, bool):
        return None
    return decoder(tp)


def _dataclass_decoder(tp: type) -> Callable[[Mapping[str, Any]], Any]:
    """A function made for the dataclass, in one expression: every field from the data, converted
    where it needs it, set as the constructor of a frozen dataclass (these have no __post_init__)
    would set it, without its per-field setattr. Data without every field (a field left to its
    default) goes to the constructor."""
    cls: Any = tp
    hints = {name: hint for name, hint in field_types(tp).items() if name != "KIND"}
    names = [f.name for f in dataclasses.fields(tp)]
    scope: dict[str, Any] = {"new": object.__new__, "cls": cls}
    parts = []
    for k, name in enumerate(names):
        convert = _fast_decoder(hints[name])
        if convert is None:
            parts.append(f"{name!r}: data[{name!r}]")
        else:
            scope[f"c{k}"] = convert
            parts.append(f"{name!r}: c{k}(data[{name!r}])")
    code = ("def made(data):\n"
            "    try:\n"
            f"        values = {{{', '.join(parts)}}}\n"
            "    except KeyError:\n"
            "        return slow(data)\n"
            "    value = new(cls)\n"
            "    value.__dict__.update(values)\n"
            "    return value\n")
    converters = {name: f for name in names if (f := _fast_decoder(hints[name])) is not None}

    def slow(data: Mapping[str, Any]) -> Any:
        return cls(**{name: converters[name](v) if name in converters else v for name, v in data.items()})
    scope["slow"] = slow
    exec(code, scope)  # noqa: S102 (the code is made above from the dataclass's own field names)
    return scope["made"]  # type: ignore[no-any-return]


_DECODERS: dict[str, Any] = {}


@dataclass(frozen=True)
class TermFacts:
    """The four fields of a state that say where the contract stands in its term
    (contracts.register.term_status_on), decoded alone: a status filter tests every contract."""

    signed: Signed | None
    terms: tuple[Term, ...]
    terminated: Terminated | None
    voided: Voided | None


TERM_FIELDS = ("signed", "terms", "terminated", "voided")
# The encoded state last decoded by term_facts and what it gave: a status filter decodes these four
# fields of every contract, then state_of the whole state of those it keeps (the same mapping,
# held here so that its id is not another's)
_LAST_FACTS: list[tuple[Mapping[str, Any], TermFacts]] = []


def term_facts(state: Mapping[str, Any]) -> TermFacts:
    """From the encoded state of a summary (ContractSummary.state)."""
    if not _DECODERS:
        _DECODERS.update(_field_decoders())
    facts = TermFacts(*(_DECODERS[name](state[name]) for name in TERM_FIELDS))
    _LAST_FACTS[:] = [(state, facts)]
    return facts


def could_have_status(state: Mapping[str, Any], wanted: Status, as_of: dt.date, profile: Profile) -> bool:
    """Whether status_on could be `wanted` (a contract in force may be overdue: only the payments
    tell, and status_on decides on the whole state)."""
    term = term_status_on(term_facts(state), as_of, profile)
    return term in IN_FORCE if wanted is Status.OVERDUE else term is wanted


def state_of(summary: ContractSummary) -> ContractState:
    """The contract's state as the summary keeps it (no events: see the module's doc)."""
    if not _DECODERS:
        _DECODERS.update(_field_decoders())
    data = summary.state
    if _LAST_FACTS and _LAST_FACTS[0][0] is data:  # its term facts just decoded (values are frozen)
        facts = _LAST_FACTS[0][1]
        fields = {name: getattr(facts, name) if name in TERM_FIELDS else _DECODERS[name](data[name])
                  for name in STATE_FIELDS}
    else:
        fields = {name: _DECODERS[name](data[name]) for name in STATE_FIELDS}
    settlements = tuple(_settlement(item) for item in data["late_fee_settlements"])
    return ContractState(
        contract_no=summary.contract_no, events=(), **fields, late_fee_settlements=settlements,
        retracted=frozenset(int(s) for s in data["retracted"]),
        corrected_by={int(k): tuple(int(s) for s in v) for k, v in data["corrected_by"].items()})


_SETTLEMENT_DECODERS: dict[str, Any] = {}


def _settlement(item: Mapping[str, Any]) -> Any:
    if not _SETTLEMENT_DECODERS:
        _SETTLEMENT_DECODERS.update({kind: _fast_decoder(cls) for kind, cls in SETTLEMENT_KINDS.items()})
    return _SETTLEMENT_DECODERS[item["kind"]](item["body"])
