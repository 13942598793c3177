"""seal --document: the provider seals a 补充协议 or a 解除协议 the register issued, not only the
agreement; the same certificate checks, write path and `sealed` event (naming the document), and
verify, check, show and documents list say which document a sealed copy is."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from contracts.checks import check_history
from contracts.events import content_hash
from service.sources import load_profile
from store import open_store
from store.documents import DocumentShelf
from store.fault import ENV as FAULT_ENV
from tests.forked_cli import run_forked
from tests.test_esign import Place, copy_of, first_stream_byte, load_asn1, signing_office, validate

NO = "VIP-2025-000001"
B1, X1, J1 = f"{NO}-B1", f"{NO}-X1", f"{NO}-J1"
AMENDMENT, TERMINATION = f"{B1}_张三.pdf", f"{J1}_张三.pdf"
SEALED_B1, SEALED_J1 = f"{B1}_张三_甲方签章.pdf", f"{J1}_张三_甲方签章.pdf"


class DocPlace(Place):
    def seal_doc(self, document: str | None, *extra: str, cert: str = "good.p12"):
        chosen = ("--document", document) if document else ()
        return self.run("seal", NO, *chosen, "--cert", str(self.root / cert), "--password-file",
                        str(self.root / "password.txt"), "--out", str(self.out), *extra)

    def history(self) -> list[dict]:
        return json.loads(self.run("show", NO, "--json").output)["history"]


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> DocPlace:
    """An agreement, its 补充协议 B1 (PDF), a 续签协议 X1 issued as DOCX only, and a 解除协议 J1
    (PDF), all real documents with their signature fields; a CA and the provider's certificate."""
    root = tmp_path_factory.mktemp("esign-docs")
    place = DocPlace(root, signing_office(root))
    out = str(place.out)
    for args in (("--new-register", "issue", "--type", "individual", "--from", str(root / "customer.yaml"),
                  "--issued-on", "2025-03-01", "--format", "pdf", "--out", out),
                 ("sign", NO, "--on", "2025-03-10"),
                 ("amend", NO, "--signed-on", "2026-01-05", "--effective-on", "2026-03-11",
                  "--set", "annual_fee=15800", "--format", "pdf", "--out", out),
                 ("renew", NO, "--signed-on", "2026-10-20", "--format", "docx", "--out", out),
                 ("terminate", NO, "--on", "2026-12-01", "--reason", "mutual", "--signed-on", "2026-11-20",
                  "--with-renewal", "--format", "pdf", "--out", out)):
        result = place.run(*args)
        assert result.exit_code == 0, result.output
    return place


@pytest.fixture
def place(prepared, tmp_path) -> DocPlace:
    return copy_of(prepared, tmp_path)  # a DocPlace, as prepared is


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_supplementary_agreement_is_sealed_and_registered(place):
    amendment = (place.out / AMENDMENT).read_bytes()
    result = place.seal_doc(B1)
    assert result.exit_code == 0, result.output
    seq = len(place.history())
    assert result.output.splitlines()[0] == (f"已为合同 {NO}的补充协议 {B1} 加盖甲方电子签章（PAdES B-B，"
                                             f"第 {seq} 条记录）：{place.out / SEALED_B1}")
    signed = (place.out / SEALED_B1).read_bytes()
    assert signed.startswith(amendment) and (place.out / AMENDMENT).read_bytes() == amendment
    field, _subfilter, status = validate(place.out / SEALED_B1, [load_asn1(place.ca)])
    assert field == "provider" and status.intact and status.valid and status.trusted and status.bottom_line

    sealed = place.history()[-1]
    assert sealed["kind"] == "sealed" and sealed["document_no"] == B1
    assert sealed["source_sha256"] == hashlib.sha256(amendment).hexdigest()
    assert sealed["files"] == [{"format": "pdf", "name": SEALED_B1, "sha256": hashlib.sha256(signed).hexdigest()}]
    assert place.run("check").exit_code == 0
    assert f"签章的文书 {B1}" in place.run("show", NO).output
    listed = place.run("documents", "list", NO).output
    assert any(SEALED_B1 in line and f"甲方电子签章（{B1}）" in line for line in listed.splitlines()), listed
    shown = json.loads(place.run("show", NO, "--json").output)["documents"]
    assert shown[-1]["doc_no"] == B1 and shown[-1]["kind"] == "sealed"


def test_a_termination_agreement_is_sealed_and_verify_names_contract_document_and_event(place):
    result = place.seal_doc(J1.lower())  # the number as a clerk may type it
    assert result.exit_code == 0, result.output
    assert f"的解除协议 {J1} 加盖甲方电子签章" in result.output
    seq = len(place.history())
    verified = place.run("verify", str(place.out / SEALED_J1))
    assert verified.exit_code == 0, verified.output
    lines = verified.output.splitlines()
    assert lines[0].startswith(f"{place.out / SEALED_J1}：本登记簿签发的文书 {J1}（合同 {NO}，第 {seq} 条记录："
                               "甲方电子签章，登记簿第 ")
    assert lines[3].endswith("签名有效；证书受信任；文件内未保存吊销信息（未核对证书是否被吊销）；签名后文件未被改动")

    data = bytearray((place.out / SEALED_J1).read_bytes())
    data[first_stream_byte(bytes(data))] ^= 0x01
    changed = place.out / "changed.pdf"
    changed.write_bytes(bytes(data))
    bad = place.run("verify", str(changed))
    assert bad.exit_code == 1 and "签名无效：签名所覆盖的内容已被改动" in bad.output


def test_each_document_counts_its_own_seals(place):
    assert place.seal_doc(B1).exit_code == 0
    first = (place.out / SEALED_B1).read_bytes()
    again = place.seal_doc(B1)  # as for the agreement, a second seal is a second file
    assert again.exit_code == 0, again.output
    assert f"{B1}_张三_甲方签章2.pdf" in again.output and (place.out / SEALED_B1).read_bytes() == first
    agreement = place.seal_doc(None)  # without --document: the agreement, its first seal
    assert agreement.exit_code == 0, agreement.output
    assert agreement.output.startswith(f"已为合同 {NO} 加盖甲方电子签章") and f"{NO}_张三_甲方签章.pdf" in agreement.output
    assert [h.get("document_no") for h in place.history() if h["kind"] == "sealed"] == [B1, B1, NO]
    assert place.run("check").exit_code == 0


def _without_kept_amendment(place: DocPlace) -> None:
    """Stands in for a register made before documents were kept with it, the file moved away."""
    DocumentShelf.beside(place.db).path_of(sha(place.out / AMENDMENT)).unlink()
    (place.out / AMENDMENT).unlink()


@pytest.mark.parametrize(("document", "setup", "message"), [
    (f"{NO}-B9", None, f"错误：--document：合同 {NO} 没有编号为 {NO}-B9 的文书（登记的文书：{NO}、{B1}、{X1}、{J1}；"
                       f"vipcontract show {NO} 列出各文书的编号）"),
    (X1, None, f"错误：--document：续签协议 {X1} 登记时没有生成 PDF（只有 DOCX），没有可签章的 PDF"),
    (B1, _without_kept_amendment, "错误：--out：在 {out} 中找不到合同 " + NO + f" 登记的补充协议 {B1} {AMENDMENT}："
                                  "请用 --out 指定签发时的输出目录"),
])
def test_a_document_that_cannot_be_sealed_is_one_chinese_line_and_nothing_written(place, document, setup, message):
    if setup:
        setup(place)
    before = place.files()
    result = place.seal_doc(document)
    assert (result.exit_code, result.output) == (1, message.format(out=place.out) + "\n")
    assert place.files() == before


def test_an_untrusted_certificate_is_refused_for_a_supplementary_document_too(place):
    before = place.files()
    refused = place.seal_doc(B1, cert="self.p12")
    assert refused.exit_code == 1 and "自签名证书" in refused.output and "--allow-untrusted" in refused.output
    assert place.files() == before


def test_check_finds_a_damaged_kept_sealed_copy(place):
    assert place.seal_doc(B1).exit_code == 0
    kept = DocumentShelf.beside(place.db).path_of(sha(place.out / SEALED_B1))
    kept.write_bytes(kept.read_bytes()[:-1] + b"X")
    checked = place.run("check")
    assert checked.exit_code == 1 and "已损坏（内容与其哈希不符）" in checked.output


def test_a_seal_of_the_wrong_file_for_its_document_is_a_problem_and_old_seals_still_replay(place):
    """A `sealed` record made before documents other than the agreement could be sealed has no
    document_no: it replays as a seal of the agreement. A record naming B1 whose signed file is
    the agreement is a problem for check."""
    assert place.seal_doc(None).exit_code == 0
    store = open_store(place.db)
    try:
        records = [dict(r) for r in store.history(NO)]
    finally:
        store.close()
    profile = load_profile(place.root / "profile.toml")
    old = {**records[-1], "data": {k: v for k, v in records[-1]["data"].items() if k != "document_no"}}
    old["hash"] = content_hash(old)
    assert check_history(NO, [*records[:-1], old], profile) == []
    wrong = {**records[-1], "data": {**records[-1]["data"], "document_no": B1}}
    wrong["hash"] = content_hash(wrong)
    problems = check_history(NO, [*records[:-1], wrong], profile)
    assert [p.message for p in problems] == [f"签章的文件不是登记簿中合同 {NO} 的补充协议 {B1} 的 PDF"]


@pytest.mark.parametrize("step", ["noted", "staged", "rendered", "appended", "placed"])
def test_seal_of_a_document_killed_at_each_step_is_undone_or_completed(place, step):
    env = {**os.environ, "VIPCONTRACT_PROFILE": str(place.root / "profile.toml"), FAULT_ENV: step,
           "VIPCONTRACT_LOG": str(place.root / "error.log")}
    killed = run_forked(
        ["--db", str(place.db), "seal", NO, "--document", B1, "--cert",
         str(place.root / "good.p12"), "--password-file", str(place.root / "password.txt"), "--out", str(place.out)],
        env)
    assert killed.returncode == -9, killed.stdout + killed.stderr
    repaired = place.run("check", "--repair")
    assert repaired.exit_code == 0, repaired.output
    assert [p.name for p in place.out.iterdir() if p.name.startswith(".")] == []
    sealed = [h for h in place.history() if h["kind"] == "sealed"]
    if step in ("appended", "placed"):
        assert len(sealed) == 1 and sealed[0]["document_no"] == B1
        assert sha(place.out / SEALED_B1) == sealed[0]["files"][0]["sha256"]
        assert place.run("verify", str(place.out / SEALED_B1)).exit_code == 0
    else:
        assert sealed == [] and not (place.out / SEALED_B1).exists()
        assert place.seal_doc(B1).exit_code == 0
    assert place.run("check").exit_code == 0


def test_reprint_names_the_agreement_s_sealed_copies_and_documents_get_brings_one_back(place, tmp_path):
    assert place.seal_doc(None).exit_code == 0 and place.seal_doc(B1).exit_code == 0
    reprinted = place.run("reprint", NO, "--out", str(tmp_path / "again"))
    assert reprinted.exit_code == 0, reprinted.output
    assert reprinted.output.splitlines()[-1] == (
        f"甲方签章件 {NO}_张三_甲方签章.pdf 不重新生成（签名含签署时间，每次签章都不同）；"
        f"取回登记的签章件：vipcontract documents get {NO} --file 文件名")
    got = place.run("documents", "get", NO, "--file", SEALED_B1, "--out", str(tmp_path / "got"))
    assert got.exit_code == 0, got.output
    assert (tmp_path / "got" / SEALED_B1).read_bytes() == (place.out / SEALED_B1).read_bytes()


def test_without_document_a_problem_with_the_agreement_names_no_option(place):
    """The clerk did not type --document: what is wrong with the agreement is not said of it."""
    import dataclasses

    from contracts.errors import Problem
    from contracts.events import FileHash, from_record
    from contracts.sealing import document_to_seal

    store = open_store(place.db)
    try:
        events = [from_record(r) for r in store.history(NO)]
    finally:
        store.close()
    issued = events[0]
    docx_only = dataclasses.replace(issued, body=dataclasses.replace(
        issued.body, files=(FileHash("docx", f"{NO}_张三.docx", "0" * 64),)))
    assert document_to_seal(NO, [docx_only, *events[1:]], frozenset(), None) == Problem(
        "", f"协议 {NO} 登记时没有生成 PDF（只有 DOCX），没有可签章的 PDF")
    assert document_to_seal(NO, [docx_only, *events[1:]], frozenset(), NO) == Problem(
        "document", f"协议 {NO} 登记时没有生成 PDF（只有 DOCX），没有可签章的 PDF")
    assert document_to_seal(NO, events, frozenset({events[2].seq}), B1) == Problem(
        "document", f"补充协议 {B1} 所在的第 {events[2].seq} 条记录已撤销，不能签章")
