"""One hash chain over the whole journal, the same for every backend.

The journal is the register's list of appends in the order they were made. Position 1 is the
header (the format line); each later position holds one append: one or more records of one
contract. Every append carries its position, the hash of the position before it, and its own
hash over the three (position, previous hash, content):

    {"t": contract_no, "d": {"7": {...record...}}, "n": 12, "p": "<hash of 11>", "h": "<hash>"}

    hash = sha256(canonical JSON of {"n": 12, "p": "<hash of 11>", "t": contract_no, "d": {...}})

The per-contract chain inside the records (contracts.events) proves one contract's history
read alone; this chain proves that no append was removed, inserted, changed or moved anywhere
in the register. Its end, the head (position and hash) written down outside the register,
proves that nothing was cut off the end and nothing forged was added after it.

Version-1 registers have appends without "n", "p" and "h". Those are chained implicitly: their
hashes are computed by the same formula and stored nowhere, so the first append written with
the chain names the computed hash of the one before it, and covers the old ones from then on.
Committed lines are never rewritten to add the fields.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from contracts.errors import Problem

GENESIS = "0" * 64
FIRST_POSITION = 2  # position 1 is the header
HEX = re.compile(r"[0-9a-f]{16,64}")
MIN_HEAD_DIGITS = 16  # a head written down by hand: at least 64 bits of the hash

Record = dict[str, Any]


@dataclass(frozen=True)
class Head:
    """The last append of the register: its position and its hash."""

    position: int
    hash: str

    def text(self) -> str:
        return f"第 {self.position} 行 {self.hash}"

    def token(self) -> str:
        """What `check --expect-head` takes back."""
        return f"{self.position}:{self.hash}"


@dataclass(frozen=True)
class JournalLine:
    """One append as stored. prev/hash/stored_position are None on a version-1 line."""

    position: int
    contract_no: str
    docs: Mapping[str, Record]  # str(seq) -> record, as the line holds them
    prev: str | None = None
    hash: str | None = None
    stored_position: int | None = None

    @property
    def chained(self) -> bool:
        return self.hash is not None


@dataclass(frozen=True)
class Journal:
    """Every append of a register, in order, with the register's format version."""

    version: int
    lines: Iterable[JournalLine]


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def line_hash(position: int, prev: str, contract_no: str, docs: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical({"n": position, "p": prev, "t": contract_no, "d": docs})).hexdigest()


def sealed_line(position: int, prev: str, contract_no: str, docs: Mapping[str, Any]) -> dict[str, Any]:
    """The stored form of a new append ("t" first: readers find a line's contract by its prefix)."""
    return {"t": contract_no, "d": docs, "n": position, "p": prev,
            "h": line_hash(position, prev, contract_no, docs)}


def parse_head(text: str) -> Head:
    """POS:HASH as `check` prints it; the hash may be shortened to its first 16 digits."""
    position, _sep, digest = text.strip().partition(":")
    digest = digest.strip().lower()
    if not position.strip().isdigit() or not HEX.fullmatch(digest):
        raise ValueError(f"应为“行号:哈希”，如 1234:9f2c…（哈希至少 {MIN_HEAD_DIGITS} 位十六进制数字），"
                         f"实为“{text}”")
    return Head(int(position), digest)


@dataclass(frozen=True)
class Walk:
    """What walking the journal found: the histories it holds and every break of the chain."""

    version: int
    head: Head | None
    histories: Mapping[str, list[Record]]
    problems: tuple[Problem, ...]
    # Where the stored chain first disagrees with the content. Whoever changed a line could have
    # re-hashed every line after it up to here, so a break proves nothing about any line before
    # it either: with a break, no line of the register is proven.
    first_break: int | None
    legacy_lines: int  # version-1 appends made before the chain began
    expect_hash: str | None  # the hash the register has at the expected head's position

    @property
    def intact(self) -> bool:
        return self.first_break is None


def walk(journal: Journal, expect: Head | None = None) -> Walk:
    """Recompute the chain line by line from the content; report the first line where the stored
    chain disagrees, every second line for a (contract, seq), and the hash at `expect`'s position.
    The recomputed hashes never take a stored one on trust, so the head and the hash at `expect`
    are those of the content as it is now."""
    walker = _Walker(journal.version)
    for line in journal.lines:
        walker.step(line, expect)
    return walker.result()


class _Walker:
    """The walk in progress, one line at a time."""

    def __init__(self, version: int) -> None:
        self.version = version
        self.prev, self.position = GENESIS, FIRST_POSITION - 1
        self.histories: dict[str, list[Record]] = {}
        self.problems: list[Problem] = []
        self.first_break: int | None = None
        self.legacy_lines = 0
        self.expect_hash: str | None = None
        self.seen: dict[tuple[str, str], int] = {}

    def step(self, line: JournalLine, expect: Head | None) -> None:
        self.position = line.position
        computed = line_hash(line.position, self.prev, line.contract_no, line.docs)
        problem = self._link_problem(line, computed)
        if problem and self.first_break is None:
            self.first_break = line.position
            self.problems.append(Problem(f"第 {line.position} 行", problem))
        if expect is not None and line.position == expect.position:
            self.expect_hash = computed
        self._collect(line)
        self.prev = computed

    def _link_problem(self, line: JournalLine, computed: str) -> str:
        if not line.chained:
            # A version-1 register: the lines written before the chain began come first, in a row.
            if self.version == 1 and line.position == FIRST_POSITION + self.legacy_lines:
                self.legacy_lines += 1
                return ""
            return "这一行没有全登记簿哈希链（不是本程序写入的，或是被插入的）"
        if line.stored_position != line.position:
            return f"这一行记载自己是第 {line.stored_position} 行（前面有行被删除或插入）"
        if line.prev != self.prev:
            return "这一行记载的前一行哈希与实际不符（前面的行被改动、删除或插入）"
        if line.hash != computed:
            return "这一行的内容与其哈希不符（内容被改动）"
        return ""

    def _collect(self, line: JournalLine) -> None:
        """Keep the first line of each (contract, seq); a second one is reported, never preferred."""
        history = self.histories.setdefault(line.contract_no, [])
        for key, record in line.docs.items():
            first = self.seen.setdefault((line.contract_no, key), line.position)
            if first != line.position:
                self.problems.append(Problem(
                    f"{line.contract_no}#{key}",
                    f"第 {line.position} 行重复登记了合同 {line.contract_no} 第 {key} 条记录"
                    f"（第 {first} 行已有该条）：两者都不可信，请核对后登记更正"))
                continue
            history.append(record)

    def result(self) -> Walk:
        head = Head(self.position, self.prev) if self.position >= FIRST_POSITION else None
        return Walk(self.version, head, self.histories, tuple(self.problems), self.first_break,
                    self.legacy_lines, self.expect_hash)


def extends(result: Walk, expect: Head) -> str:
    """"" when the register walked still holds `expect` as one of its lines, else why not."""
    last = result.head.position if result.head else 1
    if expect.position > last:
        return (f"登记簿不再延续给定的末端：给定的是第 {expect.position} 行，登记簿现在只到第 {last} 行"
                "（其后的登记被删除，或文件被换成了较早的副本）")
    if expect.position < FIRST_POSITION or result.expect_hash is None:
        return f"给定的末端第 {expect.position} 行不是登记行（第 1 行是格式标识）"
    if not result.expect_hash.startswith(expect.hash):
        return (f"登记簿不再延续给定的末端：第 {expect.position} 行的哈希现为 {result.expect_hash}，"
                f"与给定的 {expect.hash} 不符（该行或其前面的登记被改动、删除、插入或整体重算）")
    return ""  # the hash is recomputed from the content: a match proves every line up to it
