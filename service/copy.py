"""`db copy`: a register moved into another store (an embedded file, later a database) through
the Store interface alone, so that any two backends can be copied either way.

The source's journal (store.chain) is read once and each append is made again in the target,
in the same order, with the ordinary `append(contract_no, expected_seq, records)`. The target
seals every append itself from the same content at the same position, so its chain comes out
the same: the target's head must equal the source's, and it is checked at the end by walking
the target's whole journal. The documents an append names are kept in the target before the
append (as the write path does): a copy cut short leaves a target that is a prefix of the source,
every event of it with its documents.
A target that lists what it keeps (a database: store.base.ListsDocuments) is asked once, and the
documents it holds are not read from the source again: a copy run again costs one query for them.

Each contract's summary (contracts.summary, what `append` keeps with every append) is made from
its records as copied and kept with its last append, in the same append (a database: the same
transaction), so that the copied register's first `list` or report reads summaries rather than
replaying every history. A contract whose history does not replay (a register `check` would
fault) is copied without one: a summary is a cache, and the reader's replay says what is wrong.

Resuming: a target that holds a prefix of the source (the hash at its last position is the
source's at that position: the chain makes that one comparison prove every line before it) is
continued after that prefix; a target that holds anything else is refused before anything is
written. The source is only read, and the target's writers' lock is held for the whole copy.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from contracts.errors import ContractError
from store import Store
from store.base import ListsDocuments, Record, Summary, is_database_url
from store.chain import GENESIS, Head, Journal, JournalLine, line_hash, walk
from store.fault import fault_point


class CopyRefused(ContractError):
    """The copy cannot be made (nothing was written to the target)."""


@dataclass(frozen=True)
class CopyResult:
    copied: int  # appends made in the target now
    already: int  # appends the target held before (a copy resumed, or made already)
    documents: int  # documents the target keeps for the copied register
    documents_missing: int  # named by the source's events, not held by the source
    head: Head


ProgressHook = Callable[[int], None]  # called with the number of appends just made


def copy_register(source: Store, target: Store, *, start: Callable[[int, int], None] | None = None,
                  advance: ProgressHook | None = None) -> CopyResult:
    """Copy `source` into `target` (see the module's doc). `start(total, already)` is called once
    the work is known, `advance(n)` after appends."""
    journal = source.journal()
    lines = list(journal.lines)
    checked = walk_source(Journal(journal.version, lines))
    hashes = chain_hashes(lines)
    with target.locked():
        already = prefix_length(target, hashes)
        if start is not None:
            start(len(lines), already)
        # what a database target names as kept is not read from the source again (a file target
        # is asked document by document: its put finds a kept one and sets a damaged one aside)
        documents = dict.fromkeys(target.kept_documents(), True) if isinstance(target, ListsDocuments) else {}
        last_line = {line.contract_no: index for index, line in enumerate(lines)}
        records: dict[str, list[Record]] = {}  # each contract's records so far, until its last line
        for index, line in enumerate(lines):
            copy_documents(source, target, line, documents)
            history = records.setdefault(line.contract_no, [])
            history += line_records(line)
            if index >= already:
                last = last_line[line.contract_no] == index
                append_line(target, line, summary_of(history) if last else None)
                fault_point("copied")
                if advance is not None:
                    advance(1)
            if last_line[line.contract_no] == index:
                del records[line.contract_no]
        result = walk(target.journal())
    if not result.intact or result.problems or result.head != checked:
        raise ContractError(f"复制后目标登记簿的末端（{result.head.text() if result.head else '空'}）与源登记簿的末端"
                            f"（{checked.text()}）不符：请运行 vipcontract check 检查两本登记簿")
    named = {str(item.get("sha256", "")) for line in lines for record in line.docs.values()
             for item in record.get("data", {}).get("files", ())}
    kept = sum(documents.get(sha, False) for sha in named)
    return CopyResult(len(lines) - already, already, kept, len(named) - kept, checked)


def walk_source(journal: Journal) -> Head:
    """The source's head, refused when its chain does not hold (a copy would hide the break: the
    target recomputes every hash from the content) or when it is empty."""
    found = walk(journal)
    if found.problems:
        raise CopyRefused(f"源登记簿有问题（{found.problems[0]}），未复制：请先运行 vipcontract check")
    if found.head is None:
        raise CopyRefused("源登记簿是空的，没有可复制的登记")
    return found.head


def chain_hashes(lines: Sequence[JournalLine]) -> dict[int, str]:
    """Position -> the hash the chain gives that position, recomputed from the content."""
    hashes, prev = {}, GENESIS
    for line in lines:
        prev = hashes[line.position] = line_hash(line.position, prev, line.contract_no, line.docs)
    return hashes


def prefix_length(target: Store, source_hashes: Mapping[int, str]) -> int:
    """How many of the source's appends the target holds already: all of a prefix, or refused."""
    found = walk(target.journal())
    if found.head is None:
        return 0
    if found.problems:
        raise CopyRefused(f"目标登记簿已有内容且有问题（{found.problems[0]}），未作改动")
    if source_hashes.get(found.head.position) != found.head.hash:
        raise CopyRefused(f"目标登记簿已有与源登记簿不同的内容（到{found.head.text()}），未作改动："
                          "只能复制到新的登记簿，或继续一次被中断的复制")
    return found.head.position - 1  # position 1 is the header


def line_records(line: JournalLine) -> list[Record]:
    """The records of one append, in seq order."""
    return [line.docs[key] for key in sorted(line.docs, key=int)]


def append_line(target: Store, line: JournalLine, summary: Summary | None = None) -> None:
    records = [dict(record) for record in line_records(line)]
    target.append(line.contract_no, min(map(int, line.docs)) - 1, records, summary)


def summary_of(history: Sequence[Record]) -> Summary | None:
    """The summary `append` would keep after `history` (None: it does not replay)."""
    from contracts.register import replay
    from contracts.summary import summarize

    from .register import events_of

    try:
        return summarize(replay(events_of(history))).to_dict()
    except (ContractError, KeyError, TypeError, ValueError):
        return None


def copy_documents(source: Store, target: Store, line: JournalLine, done: dict[str, bool]) -> None:
    """Keep in the target every document the line's records name that the source holds (each
    sha256 once per copy; `done[sha]` says whether the source held it)."""
    for record in line.docs.values():
        for item in record.get("data", {}).get("files", ()):
            sha = str(item.get("sha256", ""))
            if sha in done:
                continue
            content = source.get_document(sha)
            if content is not None:
                target.put_document(sha, content)
            done[sha] = content is not None


def same_place(source: str, target: str) -> bool:
    """Two names of one register file (a server's register: the same text)."""
    if "://" in source or "://" in target or is_database_url(source) or is_database_url(target):
        return source == target
    if Path(source).exists() and Path(target).exists():
        return os.path.samefile(source, target)
    return os.path.realpath(source) == os.path.realpath(target)


__all__ = ["CopyRefused", "CopyResult", "copy_register", "same_place"]
