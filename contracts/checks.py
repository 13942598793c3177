"""Checks over a whole stored history, for `vipcontract check`. Pure: records in, problems out.

Each problem's field names the contract and the event ("VIP-2026-000001#3"), so that the
clerk (or an auditor) can find the first broken link.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from .errors import ContractError, Problem
from .events import GENESIS, Event, EventKind, content_hash, from_record
from .profile import Profile
from .register import ContractState, validated_replay

Records = Sequence[Mapping[str, Any]]


def where(contract_no: str, seq: object = None) -> str:
    return f"{contract_no}#{seq}" if seq is not None else contract_no


def check_numbering(contract_no: str, records: Records, profile: Profile) -> list[Problem]:
    """Every record belongs to the contract, and the seqs run 1, 2, 3... without a gap."""
    for expected, record in enumerate(records, start=1):
        if record.get("contract_no") != contract_no:
            return [Problem(where(contract_no, record.get("seq")),
                            f"记录属于另一合同 {record.get('contract_no')}")]
        if record.get("seq") != expected:
            return [Problem(where(contract_no, record.get("seq")),
                            f"序号不连续：应为第 {expected} 条，实为第 {record.get('seq')} 条")]
    return []


def check_chain(contract_no: str, records: Records, profile: Profile) -> list[Problem]:
    """Each record's hash matches its content and names the hash of the record before it.
    Reports the first broken link only: everything after it is unproven."""
    previous = GENESIS
    for record in records:
        seq = record.get("seq")
        if record.get("prev_hash") != previous:
            return [Problem(where(contract_no, seq),
                            f"哈希链断裂：第 {seq} 条事件记录的前一条哈希与实际不符"
                            "（前面的记录被改动、删除或插入）")]
        if record.get("hash") != content_hash(record):
            return [Problem(where(contract_no, seq),
                            f"哈希链断裂：第 {seq} 条事件的内容与其哈希值不符（内容被改动）")]
        previous = str(record.get("hash"))
    return []


def decoded(contract_no: str, records: Records) -> tuple[list[Event], list[Problem]]:
    events, problems = [], []
    for record in records:
        try:
            events.append(from_record(record))
        except ContractError as exc:
            problems.append(Problem(where(contract_no, record.get("seq")), str(exc)))
    return events, problems


def check_replay(contract_no: str, records: Records, profile: Profile) -> list[Problem]:
    """The history replays: every record reads as an event, and every event fits the ones
    before it, as the corrections recorded leave them."""
    return replayed(contract_no, records, profile)[0]


def replayed(contract_no: str, records: Records, profile: Profile) -> tuple[list[Problem], ContractState | None]:
    """check_replay's problems, and the contract's state from the same replay (None when the
    history cannot be replayed)."""
    events, problems = decoded(contract_no, records)
    if problems:
        return problems, None
    if not events or events[0].kind is not EventKind.ISSUED:
        return [Problem(where(contract_no, 1), "第一条事件应为签发（issued）")], None
    found, state = validated_replay(events, profile)
    return [Problem(where(contract_no, seq), p.message) for seq, p in found], state


HistoryCheck = Callable[[str, Records, Profile], list[Problem]]
CHECKS: tuple[HistoryCheck, ...] = (check_numbering, check_chain)  # then check_replay, see checked_history


def check_history(contract_no: str, records: Records, profile: Profile) -> list[Problem]:
    return checked_history(contract_no, records, profile)[0]


def checked_history(contract_no: str, records: Records, profile: Profile
                    ) -> tuple[list[Problem], ContractState | None]:
    """Every problem of one history (numbering, chain, replay), and its state when it has none: the
    history is replayed once, for its rules and for what `check` compares the stored summary with."""
    problems: list[Problem] = []
    for check in CHECKS:
        problems += check(contract_no, records, profile)
    found, state = replayed(contract_no, records, profile)
    problems += found
    return problems, None if problems else state


def check_notice_ids(histories: Iterable[tuple[str, Records]]) -> list[Problem]:
    """A notice id names one notice in the whole register."""
    seen: dict[str, str] = {}
    problems = []
    for contract_no, records in histories:
        for record in records:
            if record.get("kind") != EventKind.NOTICE_SENT.value:
                continue
            notice_id = str(record.get("data", {}).get("notice_id"))
            if notice_id in seen:
                problems.append(Problem(where(contract_no, record.get("seq")),
                                        f"通知编号 {notice_id} 与合同 {seen[notice_id]} 的通知重复"))
            seen.setdefault(notice_id, contract_no)
    return problems
