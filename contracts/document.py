"""The resolved document: a plain tree that every renderer consumes and nothing else.

Reading order of `text_lines()` is the order in which every renderer must print the text;
the table of contents, page headers and footers are derived and not part of it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Run:
    text: str
    bold: bool = False


@dataclass(frozen=True)
class Paragraph:
    runs: tuple[Run, ...]
    label: str = ""  # computed list label such as "（1）"; empty for a plain paragraph
    style: str = "body"  # body | item | center | right | note

    @property
    def text(self) -> str:
        return self.label + "".join(r.text for r in self.runs)

    @property
    def bold(self) -> bool:
        return bool(self.runs) and all(r.bold for r in self.runs if r.text.strip())


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


Block = Paragraph | Table


@dataclass(frozen=True)
class Clause:
    number: str  # "1.1"
    title: str
    blocks: tuple[Block, ...]

    @property
    def heading(self) -> str:
        return f"{self.number}　{self.title}" if self.number else self.title


@dataclass(frozen=True)
class Chapter:
    number: int
    label: str  # "第一章" / "第一条"
    title: str
    blocks: tuple[Block, ...] = ()
    clauses: tuple[Clause, ...] = ()

    @property
    def heading(self) -> str:
        return f"{self.label}　{self.title}" if self.title else self.label


@dataclass(frozen=True)
class SignatureLine:
    label: str
    value: str = ""  # empty: a blank to fill in by hand


@dataclass(frozen=True)
class SignatureParty:
    heading: str  # "甲方（盖章）"
    lines: tuple[SignatureLine, ...]


@dataclass(frozen=True)
class Signature:
    heading: str
    blocks: tuple[Block, ...]  # acknowledgement of the highlighted clauses, closing words
    parties: tuple[SignatureParty, ...]


@dataclass(frozen=True)
class Annex:
    title: str  # "附件一　VIP 服务权益清单"
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Cover:
    title: str
    lines: tuple[str, ...]  # parties, contract number, date
    mark: str = "CONTRACT"


@dataclass(frozen=True)
class Document:
    kind: str  # agreement | amendment | renewal | termination | consolidated
    contract_no: str  # printed in every page header
    doc_no: str  # this document's own number (the contract number, or e.g. "…-B1")
    title: str
    cover: Cover | None
    preamble: tuple[Block, ...]
    chapters: tuple[Chapter, ...]
    signature: Signature | None
    annexes: tuple[Annex, ...] = ()
    watermark: str = ""  # e.g. 仅供阅读 on a consolidated reading copy
    toc: bool = True
    meta: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    issued_on: datetime.date | None = None  # issue date, set by the service; the DOCX properties carry it

    def toc_entries(self) -> list[str]:
        entries = [c.heading for c in self.chapters]
        if self.signature:
            entries.append(self.signature.heading)
        entries.extend(a.title for a in self.annexes)
        return entries

    def text_lines(self) -> Iterator[str]:
        """Every line of text in reading order (cover first; TOC, headers, footers excluded)."""
        if self.cover:
            yield self.cover.mark
            yield self.cover.title
            yield from self.cover.lines
        yield self.title
        yield from _block_lines(self.preamble)
        for chapter in self.chapters:
            yield chapter.heading
            yield from _block_lines(chapter.blocks)
            for clause in chapter.clauses:
                yield clause.heading
                yield from _block_lines(clause.blocks)
        if self.signature:
            yield self.signature.heading
            yield from _block_lines(self.signature.blocks)
            for party in self.signature.parties:
                yield party.heading
                for line in party.lines:
                    yield line.label + line.value
        for annex in self.annexes:
            yield annex.title
            yield from _block_lines(annex.blocks)

    def bold_texts(self) -> list[str]:
        """Texts printed in bold (the highlighted clauses of 民法典 第四百九十六条)."""
        found = []
        for block in self._all_blocks():
            if isinstance(block, Paragraph):
                found.extend(r.text for r in block.runs if r.bold and r.text.strip())
        return found

    def _all_blocks(self) -> Iterator[Block]:
        yield from self.preamble
        for chapter in self.chapters:
            yield from chapter.blocks
            for clause in chapter.clauses:
                yield from clause.blocks
        if self.signature:
            yield from self.signature.blocks
        for annex in self.annexes:
            yield from annex.blocks


def _block_lines(blocks: tuple[Block, ...]) -> Iterator[str]:
    for block in blocks:
        if isinstance(block, Paragraph):
            yield block.text
        else:
            yield from block.header
            for row in block.rows:
                yield from row
