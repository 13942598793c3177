"""Whether the register can be trusted: `check` and `verify`, and what to tell the clerk about
torn lines set aside.

`check` walks the whole journal once (store.chain): the chain over every append, a second line
for a (contract, seq), the head and whether it still extends a head written down earlier; then
replays each contract's history once (contracts.checks) from what the walk collected, for its
rules and for the summary kept of it and the span rows the store picks it by for reports; then lists the
torn lines still at the end of the file or set aside next to it, what a writer killed in the
middle of writing documents left (service.writes), and the documents kept with the register that
are damaged, or named by an event and not held (service.documents).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracts.checks import check_chain, check_notice_ids, checked_history
from contracts.errors import InvalidInput, Problem
from contracts.events import EventKind
from contracts.profile import Profile
from contracts.summary import summarize
from store import CorruptStore, Store, StoreError
from store.base import Summary, TornLine, summary_span_text
from store.chain import Head, Journal, Walk, extends, parse_head, walk
from store.torn import TORN

from .documents import findings as document_findings
from .output import sha256_file
from .writes import pending_problems


@dataclass(frozen=True)
class CheckReport:
    contracts: int
    events: int
    problems: tuple[Problem, ...]
    head: Head | None = None
    notes: tuple[str, ...] = ()
    readable: bool = True  # False: a damaged line stopped the walk, the head is unknown

    @property
    def ok(self) -> bool:
        return not self.problems


def expected_head(text: str | None) -> Head | None:
    """--expect-head POS:HASH, or None when not given."""
    if text is None:
        return None
    try:
        return parse_head(text)
    except ValueError as exc:
        raise InvalidInput(Problem("expect_head", str(exc))) from None


def check(store: Store, profile: Profile, expect: Head | None = None) -> CheckReport:
    """Every break of the chain, gap, rule broken, torn line; and the register's head."""
    try:
        found = walk(store.journal(), expect)
    except CorruptStore as exc:  # a damaged line: reported; a file that is not a register: raised
        return CheckReport(0, 0, (Problem("", str(exc)), *torn_problems(store)), readable=False)
    problems = list(found.problems)
    if expect is not None and (why := extends(found, expect)):
        problems.append(Problem("--expect-head", why))
    histories = sorted(found.histories.items())
    kept = dict(store.summaries())
    indexed = dict(store.indexed_spans())
    differ: list[Problem] = []
    rebuilt: list[tuple[str, Summary]] = []
    for contract_no, records in histories:
        found_here, state = checked_history(contract_no, records, profile)
        problems += found_here
        # a history with a problem of its own is reported as such, not again through its summary
        if state is not None:
            fresh = summarize(state).to_dict()
            differ += (summary_problem(kept.get(contract_no), contract_no, fresh, rebuilt)
                       or spans_problem(kept.get(contract_no), indexed.get(contract_no, ""),
                                        contract_no, fresh, rebuilt))
    problems += check_notice_ids(histories)
    store.put_summaries(rebuilt)
    problems += differ
    problems += torn_problems(store)
    problems += pending_problems(store)
    documents = document_findings(store, found.histories)
    problems += documents.problems
    events = sum(len(records) for _no, records in histories)
    return CheckReport(len(histories), events, tuple(problems), found.head,
                       legacy_notes(found) + documents.notes)


def summary_problem(stored: Summary | None, contract_no: str, fresh: Summary,
                    rebuilt: list[tuple[str, Summary]]) -> list[Problem]:
    """The summary the store keeps of a contract, against the one `check` made from the state it
    replayed (contracts.summary): one that disagrees is reported and replaced (added to `rebuilt`);
    a missing or stale one is simply made (a summary is a cache)."""
    if stored != fresh:
        rebuilt.append((contract_no, fresh))
    if stored is not None and stored != fresh:
        return [Problem(contract_no, "登记簿旁索引文件中的合同摘要与按记录重放的结果不符"
                                     "（索引文件被改动或损坏），已按记录重建")]
    return []


def spans_problem(stored: Summary | None, rows: str, contract_no: str, fresh: Summary,
                  rebuilt: list[tuple[str, Summary]]) -> list[Problem]:
    """The span rows the store picks a contract by for reports, against the spans of the summary
    `check` replayed, when the summary kept is that one (otherwise the store lists the contract
    whatever its rows say): rows that disagree are reported and written again with the summary."""
    if stored is None or stored != fresh:
        return []
    expected = summary_span_text(fresh)
    if rows == expected:
        return []
    rebuilt.append((contract_no, fresh))
    kept, made = set(rows.splitlines()), set(expected.splitlines())
    missing, extra = len(made - kept), len(kept - made)
    found = "、".join(part for part in (f"缺少 {missing} 行" if missing else "",
                                         f"多出 {extra} 行" if extra else "") if part)
    return [Problem(contract_no, f"索引中该合同的报表日期区间与按记录重放的结果不符（{found}；索引被改动或损坏，"
                                 "报表可能漏列或多读该合同），已按记录重建")]


def legacy_notes(found: Walk) -> tuple[str, ...]:
    if not found.legacy_lines:
        return ()
    last_old = 1 + found.legacy_lines
    if found.head and found.head.position > last_old:
        return (f"登记簿为格式版本 1：第 2–{last_old} 行写于全登记簿哈希链之前，"
                f"由第 {last_old + 1} 行起的哈希链一并覆盖。",)
    return (f"登记簿为格式版本 1，尚无全登记簿哈希链：下一次登记时开始，并覆盖此前的第 2–{last_old} 行。",)


def torn_text(torn: TornLine) -> str:
    return f"，内容是一条完整的登记：{torn.record}" if torn.record else ""


def torn_problems(store: Store) -> list[Problem]:
    try:
        found = store.torn_lines()
    except CorruptStore:
        return []  # a damaged line: already the problem reported
    return [Problem(str(t.path), torn_problem(t)) for t in found]


def torn_problem(torn: TornLine) -> str:
    if not torn.set_aside:
        return (f"文件末尾有没有换行符的内容（{torn.size} 字节{torn_text(torn)}）：可能是被中断的写入，"
                "也可能是丢失了换行符的已登记记录。它不计入登记簿；下一次登记时会先另存为 "
                f"{torn.path.name}.torn-<时间> 再从登记簿中移除")
    return (f"登记簿末尾的残行（{torn.size} 字节{torn_text(torn)}）另存于此，尚待处理：请核对其内容，"
            f"如确是已登记的事项，请重新登记；处理后把该文件移出登记簿所在目录、删除，或改成不以 "
            f"{torn.path.name.split(TORN)[0]}{TORN} 开头的名称，本检查即不再提示")


def set_aside_warning(torn: TornLine) -> str:
    """What the command line says when a write set a torn line aside."""
    return (f"警告：登记簿末尾没有换行符的内容（{torn.size} 字节{torn_text(torn)}）已另存为 {torn.path}，"
            "并从登记簿中移除；请核对其内容（vipcontract check 会一直列出该文件，直到它被移走）")


# ---------------------------------------------------------------- verify
@dataclass(frozen=True)
class Verified:
    """The register line that recorded a file, and whether the chains up to it hold."""

    contract_no: str
    seq: int
    kind: EventKind
    doc_no: str
    file: Mapping[str, Any]
    position: int
    doubt: str = ""  # why the record cannot be trusted; "" when it can
    kept: bool = False  # the register holds the document's bytes

    @property
    def trusted(self) -> bool:
        return not self.doubt


def verify(store: Store, path: Path, expect: Head | None = None) -> Verified | None:
    """Which contract and event issued the file with this content, if the register did; trusted
    only when the chain over the whole journal holds (a break anywhere may hide a line changed and
    re-hashed before it), the contract's own chain holds, and the line is within `expect`."""
    return verify_digest(store, sha256_file(Path(path)), expect)


def verify_digest(store: Store, digest: str, expect: Head | None = None) -> Verified | None:
    """`verify` of a content known by its sha256 (e.g. the revision of a PDF a signature covers)."""
    journal = store.journal()
    lines = list(journal.lines)
    found = walk(Journal(journal.version, lines), expect)
    for line in lines:
        for record in line.docs.values():
            for item in record.get("data", {}).get("files", ()):
                if item.get("sha256") == digest:
                    verified = _verified(found, line.position, line.contract_no, record, item, expect)
                    return dataclasses.replace(verified, kept=_kept(store, digest))
    return None


def _kept(store: Store, digest: str) -> bool:
    try:
        return store.get_document(digest) is not None
    except StoreError:  # a damaged copy: not held (check reports it)
        return False


def _verified(found: Walk, position: int, contract_no: str, record: Mapping[str, Any],
              item: Mapping[str, Any], expect: Head | None) -> Verified:
    doubt = ""
    if found.problems:  # a break anywhere: a line before it may have been changed and re-hashed
        doubt = f"登记簿的哈希链有问题（{found.problems[0]}），其中的任何登记都无法证明未被改动"
    elif expect is not None and (why := extends(found, expect)):
        doubt = why
    elif expect is not None and position > expect.position:
        doubt = f"该行在给定的末端（第 {expect.position} 行）之后，给定末端时尚未登记"
    else:
        seq = record.get("seq")
        history = [r for r in found.histories.get(contract_no, []) if r.get("seq", 0) <= seq]
        broken = check_chain(contract_no, history, None)  # type: ignore[arg-type]
        doubt = broken[0].message if broken else ""
    return Verified(contract_no, int(record.get("seq", 0)), EventKind(record["kind"]),
                    document_number(contract_no, record), item, position, doubt)


def document_number(contract_no: str, record: Mapping[str, Any]) -> str:
    """The number of the document a record issued: its own (…-B1), the one a seal signed, or the
    contract number (the agreement, and seals recorded before any other document could be sealed)."""
    data = record.get("data", {})
    return str(data.get("doc_no") or data.get("document_no") or contract_no)
