"""The resolved document: a plain tree that every renderer consumes and nothing else.

Reading order of `text_lines()` is the order in which every renderer must print the text;
the table of contents, page headers and footers are derived and not part of it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum


class Attention(StrEnum):
    """Why a standard term must be drawn to the customer's attention (民法典 第四百九十六条,
    消费者权益保护法 第二十六条, 合同编通则解释 第十条). Printed in bold, and only these are."""

    LIABILITY = "liability"  # excludes or limits the provider's liability
    RESTRICTION = "restriction"  # restricts the customer's rights or adds to its duties
    PENALTY = "penalty"  # a penalty, a late-payment rate, costs shifted to the customer
    UNILATERAL = "unilateral"  # a right the provider may use alone (suspend, terminate)
    DELIVERY = "delivery"  # a notice deemed delivered against the customer
    FORUM = "forum"  # how and where disputes are decided
    KEY_TERM = "key_term"  # a consumer's price, term and payment (消费者权益保护法 第二十六条)
    ACKNOWLEDGEMENT = "acknowledgement"  # the customer confirms it was shown the above

    @property
    def label(self) -> str:
        return _ATTENTION_LABELS[self]


_ATTENTION_LABELS = {
    Attention.LIABILITY: "免除或者减轻甲方责任",
    Attention.RESTRICTION: "限制乙方权利或者加重乙方义务",
    Attention.PENALTY: "约定违约金、逾期付款违约金和争议解决费用负担",
    Attention.UNILATERAL: "甲方可以单方暂停服务或者解除本协议",
    Attention.DELIVERY: "确定通知送达日",
    Attention.FORUM: "约定争议解决方式和管辖",
    Attention.KEY_TERM: "约定服务费用、协议期限和付款期限",
    Attention.ACKNOWLEDGEMENT: "乙方的确认",
}


@dataclass(frozen=True)
class Run:
    text: str
    attention: tuple[Attention, ...] = ()  # empty: ordinary text

    @property
    def bold(self) -> bool:
        """Bold is how the attention is drawn; nothing else in a body text is bold."""
        return bool(self.attention)


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

    @property
    def signs(self) -> bool:
        """The blank a person signs on ("签字：", "法定代表人或授权代表（签字）："): where a
        signing platform puts the party's signature."""
        return not self.value and "签字" in self.label


@dataclass(frozen=True)
class SignatureParty:
    heading: str  # "甲方（盖章）"
    lines: tuple[SignatureLine, ...]

    @property
    def role(self) -> str:
        """"provider" (甲方) or "customer" (乙方): the name of the party's signature field."""
        return "provider" if self.heading.startswith("甲方") else "customer"

    @property
    def sealed(self) -> bool:
        """A party that seals (盖章) as well as signs: a company, never an individual."""
        return "盖章" in self.heading


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
class DataFile:
    """Data the rendered file carries for programs, beside the text (contracts/archive.py): the
    PDF embeds it as an associated file."""

    name: str  # vipcontract-data.json
    mime_type: str  # application/json
    content: str


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
    data_file: DataFile | None = None  # set by the service for the documents it issues

    def toc_anchors(self) -> list[tuple[str, str]]:
        """(entry, anchor) for each TOC entry: "ch-N", "signature" or "annex-N", the one key from
        which each renderer names the place the entry points to."""
        anchors = [f"ch-{i}" for i, _ in enumerate(self.chapters, 1)]
        if self.signature:
            anchors.append("signature")
        anchors.extend(f"annex-{i}" for i, _ in enumerate(self.annexes, 1))
        return list(zip(self.toc_entries(), anchors, strict=True))

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
        """Texts printed in bold: the attention runs, in reading order."""
        found: list[str] = []
        for block in self._all_blocks():
            if isinstance(block, Paragraph):
                found.extend(r.text for r in block.runs if r.bold and r.text.strip())
        return found

    def attention_places(self) -> dict[str, set[Attention]]:
        """Where attention text stands: clause number ("8.4"), "第十四章", "签署页" or
        "附件三（1）" (an annex's list item) / "附件三", with the reasons found there."""
        places: dict[str, set[Attention]] = {}
        for place, block in self._placed_blocks():
            if isinstance(block, Paragraph):
                reasons = {a for r in block.runs for a in r.attention}
                if reasons:
                    key = place + block.label if place.startswith("附件") and block.label else place
                    places.setdefault(key, set()).update(reasons)
        return places

    def _placed_blocks(self) -> Iterator[tuple[str, Block]]:
        for block in self.preamble:
            yield "首部", block
        for chapter in self.chapters:
            for block in chapter.blocks:
                yield chapter.label, block
            for clause in chapter.clauses:
                for block in clause.blocks:
                    yield clause.number, block
        if self.signature:
            for block in self.signature.blocks:
                yield self.signature.heading, block
        for annex in self.annexes:
            for block in annex.blocks:
                yield annex.title.split("　")[0], block

    def _all_blocks(self) -> Iterator[Block]:
        for _, block in self._placed_blocks():
            yield block


def _block_lines(blocks: tuple[Block, ...]) -> Iterator[str]:
    for block in blocks:
        if isinstance(block, Paragraph):
            yield block.text
        else:
            yield from block.header
            for row in block.rows:
                yield from row
