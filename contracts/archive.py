"""The data a document carries for programs: the event it records, as JSON inside the PDF/A file.

Every agreement and supplementary document (补充协议, 续签协议, 解除通知书, 解除协议) carries
one JSON file, `vipcontract-data.json`, embedded in its PDF as a PDF/A-3 associated file
(/AFRelationship /Data). Its form, schema version 1:

    {"schema": "vipcontract-data", "schema_version": 1,
     "program": {"name": "vipcontract", "version": "0.1.0"},
     "document": {"kind": "agreement", "contract_no": …, "doc_no": …, "date": "2026-12-02"},
     "event": {"seq": 1, "kind": "issued"}   (null on a preview, which no register holds),
     "customer": {"type", "name", "id_number" or "credit_code", …, "id_number_masked": true},
     "issued": {the issue's parameters as the register keeps them: "issued_on", "annual_fee"
                (a decimal string), "term_years", "counting", "payment_days", "effective_date", …},
     "record": {the event's own parameters, for a supplementary document: the changes, the new
                term, the notice…; null for the agreement, whose event is the issue}}

Dates are ISO strings and amounts decimal strings, as in the register. The customer is the one
the document names (for a supplementary document, the customer as the contract stood on its
date). An individual's ID number is masked (110105********002X) unless the profile's
`[output] data_full_id_number` is true; the document's text itself always prints it in full.

Pure functions: the program version and the event come in as arguments.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .customer import Customer, mask_id
from .document import DataFile
from .errors import InvalidInput, Problem
from .events import Body, Issued, encode

SCHEMA = "vipcontract-data"
SCHEMA_VERSION = 1
DATA_FILE_NAME = "vipcontract-data.json"
PROGRAM = "vipcontract"
# Not the register's business here: the files' hashes (a document cannot hold its own) and the batch.
_NOT_CARRIED = ("files", "batch", "customer")
CUSTOMER_KEYS = ("name", "id_number", "credit_code", "legal_representative", "contact_person",
                 "phone", "address", "email")


def document_data(
    *, kind: str, contract_no: str, doc_no: str, date: str, issued: Issued, customer: Customer,
    event_seq: int | None, event_body: Body | None, program_version: str, full_id_number: bool,
) -> DataFile:
    """The data file of one document. EVENT_SEQ None: a preview. EVENT_BODY: the supplementary
    document's event (None for the agreement, whose event is the issue itself)."""
    people: dict[str, Any] = dict(customer.as_dict())
    if customer.is_individual and not full_id_number:
        people["id_number"] = mask_id(customer.id_number)
    people["id_number_masked"] = customer.is_individual and not full_id_number
    event = None
    if event_seq is not None:
        event = {"seq": event_seq, "kind": (event_body or issued).KIND.value}
    data = {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "program": {"name": PROGRAM, "version": program_version},
        "document": {"kind": kind, "contract_no": contract_no, "doc_no": doc_no, "date": date},
        "event": event,
        "customer": people,
        "issued": _without(encode(issued)),
        "record": _without(encode(event_body)) if event_body is not None else None,
    }
    return DataFile(DATA_FILE_NAME, "application/json", canonical_json(data))


def canonical_json(data: Mapping[str, Any]) -> str:
    """Sorted keys, two-space indent, UTF-8 text as is: the same data, the same bytes."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2) + "\n"


def _without(encoded: Any) -> dict[str, Any]:
    return {k: v for k, v in dict(encoded).items() if k not in _NOT_CARRIED}


def parse_data(raw: bytes, where: str, field: str = "") -> dict[str, Any]:
    """The data file's content, checked to be ours and of a schema this program reads; WHERE
    names the file in the messages, FIELD the option that named it ("" for an argument)."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        data = None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise InvalidInput(Problem(field, f"{where} 中附带的数据不是本程序写入的"))
    version = data.get("schema_version")
    if not isinstance(version, int) or version < 1:
        raise InvalidInput(Problem(field, f"{where} 中附带数据的格式版本“{version}”无效"))
    if version > SCHEMA_VERSION:
        raise InvalidInput(Problem(field, f"{where} 中的数据由较新版本的程序写入（数据格式第 {version} 版，"
                                           f"本程序只能读取第 {SCHEMA_VERSION} 版及以前的），请升级本程序"))
    return data


def customer_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """What a `--from` file would say for issuing to the same customer again: the type, the
    customer's fields and the annual fee. A masked ID number is left out (it must be given)."""
    customer = data.get("customer") or {}
    fields: dict[str, Any] = {"type": customer.get("type")}
    for key in CUSTOMER_KEYS:
        if customer.get(key):
            fields[key] = customer[key]
    if customer.get("id_number_masked"):
        fields.pop("id_number", None)
    fee = (data.get("issued") or {}).get("annual_fee")
    if fee:
        fields["annual_fee"] = fee
    return {k: v for k, v in fields.items() if v not in (None, "")}


def masked_id_number(data: Mapping[str, Any]) -> str | None:
    """The masked ID number the data holds, when it holds only that."""
    customer = data.get("customer") or {}
    return str(customer.get("id_number", "")) if customer.get("id_number_masked") else None
