"""Which of a contract's documents the provider may seal (`seal --document`), decided from its
history alone.

Every event that issued documents names them in its `files`; a document is known by its number
as `show` prints it: the contract number for the agreement, …-B1 (补充协议), …-X1 (续签协议),
…-J1 (解除通知书 or 解除协议). A termination by notice records the number twice (the notice that
issued the 解除通知书, then the termination, with no file of its own): the document is the event
that issued files under that number.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .errors import Problem
from .events import Event, EventKind, FileHash, NoticeSent, Sealed, Terminated

DOCUMENT_KINDS = {
    EventKind.ISSUED: "协议",
    EventKind.AMENDED: "补充协议",
    EventKind.RENEWED: "续签协议",
    EventKind.NOTICE_SENT: "通知",
    EventKind.TERMINATED: "解除协议",
}


@dataclass(frozen=True)
class IssuedDocument:
    """A document one event of the contract issued."""

    doc_no: str
    seq: int
    kind: EventKind
    label: str  # 协议, 补充协议, 续签协议, 解除通知书, 解除协议
    files: tuple[FileHash, ...]
    retracted: bool = False

    @property
    def pdf(self) -> FileHash | None:
        pdfs = [f for f in self.files if f.format == "pdf"]
        return pdfs[-1] if pdfs else None

    @property
    def is_agreement(self) -> bool:
        return self.kind is EventKind.ISSUED


def _label(event: Event) -> str:
    body = event.body
    if isinstance(body, NoticeSent):
        return "解除通知书" if body.doc_no else body.notice_kind.label
    if isinstance(body, Terminated) and body.by_notice_id:
        return "解除通知书"
    return DOCUMENT_KINDS[event.kind]


def issued_documents(contract_no: str, events: Iterable[Event],
                     retracted: frozenset[int] = frozenset()) -> list[IssuedDocument]:
    """The contract's documents in the order they were issued, each number once: the first event
    that issued files under it."""
    found: dict[str, IssuedDocument] = {}
    for event in events:
        files = getattr(event.body, "files", ())
        if event.kind not in DOCUMENT_KINDS or not files:
            continue
        doc_no = str(getattr(event.body, "doc_no", "") or contract_no)
        if doc_no not in found:
            found[doc_no] = IssuedDocument(doc_no, event.seq, event.kind, _label(event), tuple(files),
                                           event.seq in retracted)
    return list(found.values())


def sealed_document_no(body: Sealed, contract_no: str) -> str:
    """The number of the document a seal signed; seals recorded before any other document could
    be sealed name none, and signed the agreement."""
    return body.document_no or contract_no


def seal_count(contract_no: str, events: Iterable[Event], doc_no: str) -> int:
    """How many seals of this document were recorded (retracted ones too: their files keep their
    names)."""
    return sum(1 for e in events
               if isinstance(e.body, Sealed) and sealed_document_no(e.body, contract_no) == doc_no)


def same_number(a: str, b: str) -> bool:
    return a.strip().upper() == b.strip().upper()


def document_to_seal(contract_no: str, events: Iterable[Event], retracted: frozenset[int],
                     wanted: str | None) -> IssuedDocument | Problem:
    """The document `wanted` names (None: the agreement), or why it cannot be sealed."""
    documents = issued_documents(contract_no, events, retracted)
    number = (wanted or contract_no).strip()
    field = "document" if wanted else ""  # the agreement, asked for without --document
    chosen = next((d for d in documents if same_number(d.doc_no, number)), None)
    if chosen is None:
        known = "、".join(d.doc_no for d in documents) or "（无）"
        what = "签发时没有生成文件，没有可签章的协议" if not wanted else f"没有编号为 {number} 的文书"
        return Problem(field, f"合同 {contract_no} {what}（登记的文书：{known}；vipcontract show "
                                   f"{contract_no} 列出各文书的编号）")
    if chosen.retracted:
        return Problem(field, f"{chosen.label} {chosen.doc_no} 所在的第 {chosen.seq} 条记录已撤销，不能签章")
    if chosen.pdf is None:
        return Problem(field, f"{chosen.label} {chosen.doc_no} 登记时没有生成 PDF（只有 "
                                   f"{'、'.join(f.format.upper() for f in chosen.files)}），没有可签章的 PDF")
    return chosen


def sealed_problems(contract_no: str, events: Iterable[Event], retracted: frozenset[int],
                    body: Sealed) -> list[Problem]:
    """A seal signed the PDF the register holds for the document it names."""
    doc_no = sealed_document_no(body, contract_no)
    found = document_to_seal(contract_no, events, retracted, doc_no)
    if isinstance(found, Problem):
        return [Problem("", found.message)]
    if body.source_sha256 not in {f.sha256 for f in found.files if f.format == "pdf"}:
        return [Problem("", f"签章的文件不是登记簿中合同 {contract_no} 的{found.label} {found.doc_no} 的 PDF")]
    return []
