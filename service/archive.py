"""The data a document's PDF carries (contracts/archive.py): given to the documents the service
builds, and read back from a PDF (`vipcontract data`, `issue --from FILE.pdf`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from contracts.archive import DATA_FILE_NAME, document_data, parse_data
from contracts.customer import Customer
from contracts.document import DataFile, Document
from contracts.errors import InvalidInput, Problem
from contracts.events import Body, Issued
from contracts.profile import Profile
from renderers.program import program_version


def data_for(
    doc: Document, profile: Profile, issued: Issued, customer: Customer, *, event_seq: int | None,
    event_body: Body | None = None,
) -> DataFile:
    """The data file of DOC, which records event EVENT_SEQ (None: a preview) of a contract issued
    with ISSUED."""
    date = (doc.issued_on or issued.issued_on).isoformat()
    return document_data(kind=doc.kind, contract_no=doc.contract_no, doc_no=doc.doc_no, date=date,
                         issued=issued, customer=customer, event_seq=event_seq, event_body=event_body,
                         program_version=program_version(),
                         full_id_number=profile.data_full_id_number)


def read_pdf_data(path: str | Path, field: str = "") -> dict[str, Any]:
    """The data embedded in the PDF at PATH, checked (contracts.archive.parse_data); FIELD: the
    option that named the file, for the messages ("" for an argument)."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    file = Path(path)
    if not file.is_file():
        raise InvalidInput(Problem(field, f"找不到文件 {path}"))
    with open(file, "rb") as fh:
        if fh.read(5) != b"%PDF-":
            raise InvalidInput(Problem(field, f"{path} 不是 PDF 文件"))
    try:
        attachments = PdfReader(file).attachments
        contents = attachments.get(DATA_FILE_NAME)
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError):
        raise InvalidInput(Problem(field, f"{path} 已损坏，无法作为 PDF 读取")) from None
    if not contents:
        raise InvalidInput(Problem(field, f"{path} 中没有本程序附带的数据（{DATA_FILE_NAME}）：它不是本程序"
                                           "签发的协议或文书，或由附带数据之前的版本生成"))
    return parse_data(contents[0], str(path), field)
