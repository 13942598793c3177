"""What a writer looks up under the lock, asked of the store: the next number of a series, the
contract of a notice, the records naming a file, the contracts of a batch. One suite over both
backends; the file backend also answers after a reload and for lines other processes appended."""

from __future__ import annotations

import pytest

from store import TinyDBStore
from tests.test_register_fixtures import any_store  # noqa: F401  (fixture)

SHA = "ab" * 32
OTHER = "cd" * 32


def rec(contract_no: str, seq: int, kind: str = "x", **data) -> dict:
    return {"contract_no": contract_no, "seq": seq, "kind": kind, "data": data}


def fill(store) -> None:
    store.append("VIP-2026-000002", 0, [
        rec("VIP-2026-000002", 1, "issued", files=[{"format": "pdf", "name": "a.pdf", "sha256": SHA}],
            batch={"key": "客户名单", "row": "2"}),
        rec("VIP-2026-000002", 2, "notice_sent", notice_id="N-000007")])
    store.append("VIP-2025-000009", 0, [rec("VIP-2025-000009", 1, "issued", files=[], batch={})])
    store.append("VIP-2026-000010", 0, [rec("VIP-2026-000010", 1, "issued", batch={"key": "other"})])
    store.append("VIP-2026-000010", 1, [rec("VIP-2026-000010", 2, "notice_delivered", notice_id="N-000099")])
    store.append("VIP-2026-000002", 2, [
        rec("VIP-2026-000002", 3, "amended", files=[{"format": "pdf", "name": "b.pdf", "sha256": OTHER}])])


def test_next_number_of_a_series(any_store):  # noqa: F811
    assert any_store.next_number("contract", "VIP-2026-") == 1
    assert any_store.next_number("notice", "N-") == 1
    fill(any_store)
    assert any_store.next_number("contract", "VIP-2026-") == 11
    assert any_store.next_number("contract", "VIP-2025-") == 10
    assert any_store.next_number("contract", "VIP-2027-") == 1
    # a delivery names a notice but sends none
    assert any_store.next_number("notice", "N-") == 8
    with pytest.raises(ValueError):
        any_store.next_number("payments", "P-")


def test_notice_file_and_batch_lookups(any_store):  # noqa: F811
    fill(any_store)
    assert any_store.notice_contract("N-000007") == "VIP-2026-000002"
    assert any_store.notice_contract("N-000099") is None  # delivered, never sent here
    assert [(r["contract_no"], r["seq"]) for r in any_store.find_file(SHA)] == [("VIP-2026-000002", 1)]
    assert [(r["contract_no"], r["seq"]) for r in any_store.find_file(OTHER)] == [("VIP-2026-000002", 3)]
    assert any_store.find_file("ef" * 32) == []
    assert [r["contract_no"] for r in any_store.batch_issued("客户名单")] == ["VIP-2026-000002"]
    assert [r["contract_no"] for r in any_store.batch_issued("other")] == ["VIP-2026-000010"]
    assert any_store.batch_issued("2") == []


def test_lookups_see_what_is_appended_after_the_first_lookup(any_store):  # noqa: F811
    fill(any_store)
    assert any_store.notice_contract("N-000008") is None  # builds the index
    any_store.append("VIP-2026-000010", 2, [rec("VIP-2026-000010", 3, "notice_sent", notice_id="N-000008")])
    assert any_store.notice_contract("N-000008") == "VIP-2026-000010"
    assert any_store.next_number("notice", "N-") == 9


def test_the_file_store_answers_after_a_reload_and_for_other_writers(tmp_path):
    path = tmp_path / "register.json"
    first = TinyDBStore(path)
    fill(first)
    reader = TinyDBStore(path)
    assert reader.find_file(SHA)[0]["seq"] == 1  # index built from the file's lines
    first.append("VIP-2026-000011", 0, [rec("VIP-2026-000011", 1, "issued", batch={"key": "客户名单"},
                                            files=[{"format": "docx", "name": "c.docx", "sha256": "ee" * 32}])])
    assert [r["contract_no"] for r in reader.batch_issued("客户名单")] == ["VIP-2026-000002", "VIP-2026-000011"]
    assert reader.find_file("ee" * 32)[0]["contract_no"] == "VIP-2026-000011"
    assert reader.next_number("contract", "VIP-2026-") == 12


def test_a_lookup_returns_copies(any_store):  # noqa: F811
    fill(any_store)
    any_store.find_file(SHA)[0]["data"]["files"].clear()
    assert any_store.find_file(SHA)
