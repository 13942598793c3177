"""The documents' bytes kept with the register: the store's put/get on every backend, the embedded
shelf on disk (private, content-addressed, never overwritten, a damaged file set aside and never
deleted), and the commands: documents list/get/add, verify, check."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import stat
from pathlib import Path

import pytest

from contracts.dates import SHANGHAI
from service import register as register_service
from store import MemoryStore, StoreError, TinyDBStore
from store.documents import DAMAGED, DamagedDocument, DocumentShelf
from tests.test_register_fixtures import NO, fake_renderer, signed_contract_cli  # noqa: F401 (fixture)

# Every backend the document and copy tests run against (tests.test_db_copy too): "postgres" is a
# database of its own on the tests' server (tests/pg.py), made when a test opens it.
BACKENDS = ["memory", "tinydb", "postgres"]
PDF = b"%PDF-1.7 one agreement"
DOCX = b"PK\x03\x04 one agreement"


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@pytest.fixture
def opened(request, tmp_path):
    """`opened(kind, name)`: a new, empty register of that kind (a file `name`.json in tmp_path, or
    a database of its own on the test server), closed (and the database dropped) after the test."""
    stores: list = []
    databases: list = []  # (server, database name)

    def open_new(kind: str, name: str = "register"):
        if kind == "memory":
            store = MemoryStore()
        elif kind == "tinydb":
            store = TinyDBStore(tmp_path / f"{name}.json")
        elif kind == "postgres":
            from store.postgres import PostgresStore

            server = request.getfixturevalue("pg_server")
            database = server.new_database(server.template)
            databases.append((server, database))
            store = PostgresStore(server.dsn(database))
        else:
            raise ValueError(kind)
        stores.append(store)
        return store

    yield open_new
    for store in stores:
        store.close()
    for server, database in databases:
        server.drop(database)


@pytest.fixture(params=BACKENDS)
def backend(request, opened):
    return opened(request.param)


# ---------------------------------------------------------------- the store's two methods
def test_a_document_put_is_got_back_byte_for_byte_and_putting_it_again_changes_nothing(backend):
    assert backend.get_document(sha(PDF)) is None
    backend.put_document(sha(PDF), PDF)
    backend.put_document(sha(PDF), PDF)
    backend.put_document(sha(DOCX), DOCX)
    assert backend.get_document(sha(PDF)) == PDF
    assert backend.get_document(sha(DOCX)) == DOCX


def test_content_that_does_not_hash_to_its_name_is_refused_and_not_kept(backend):
    with pytest.raises(StoreError, match="不符"):
        backend.put_document(sha(PDF), DOCX)
    assert backend.get_document(sha(PDF)) is None
    assert backend.get_document(sha(DOCX)) is None


@pytest.mark.parametrize("name", ["../../etc/passwd", "ABC", sha(PDF).upper(), sha(PDF)[:40], ""])
def test_a_name_that_is_not_a_sha256_is_refused(backend, name):
    with pytest.raises(StoreError, match="64 位"):
        backend.put_document(name, PDF)
    with pytest.raises(StoreError, match="64 位"):
        backend.get_document(name)


# ---------------------------------------------------------------- the embedded shelf on disk
def test_the_embedded_store_keeps_documents_private_beside_the_register(tmp_path):
    store = TinyDBStore(tmp_path / "register.json")
    store.put_document(sha(PDF), PDF)
    shelf = tmp_path / "register.json.documents"
    kept = shelf / sha(PDF)[:2] / sha(PDF)
    assert kept.read_bytes() == PDF
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE(shelf.stat().st_mode) == 0o700
    assert stat.S_IMODE(kept.parent.stat().st_mode) == 0o700
    assert [p.name for p in kept.parent.iterdir()] == [sha(PDF)]  # no temporary file left
    written = kept.stat()
    store.put_document(sha(PDF), PDF)  # kept already: the file is neither written again nor replaced
    assert (kept.stat().st_ino, kept.stat().st_mtime_ns) == (written.st_ino, written.st_mtime_ns)
    # another instance, and another path to the same file (a symlink), find the same shelf
    os.symlink(tmp_path / "register.json", tmp_path / "link.json")
    assert TinyDBStore(tmp_path / "link.json").get_document(sha(PDF)) == PDF


def test_a_damaged_document_is_refused_on_reading_and_set_aside_never_deleted_when_the_right_bytes_come(tmp_path):
    store = TinyDBStore(tmp_path / "register.json")
    store.put_document(sha(PDF), PDF)
    kept = DocumentShelf.beside(tmp_path / "register.json").path_of(sha(PDF))
    kept.write_bytes(b"%PDF-1.7 changed on disk")
    with pytest.raises(DamagedDocument, match="已损坏"):
        store.get_document(sha(PDF))
    store.put_document(sha(PDF), PDF)
    assert store.get_document(sha(PDF)) == PDF
    aside = [p for p in kept.parent.iterdir() if DAMAGED in p.name]
    assert len(aside) == 1 and aside[0].read_bytes() == b"%PDF-1.7 changed on disk"
    assert DocumentShelf.beside(tmp_path / "register.json").listing().set_aside == (aside[0],)


# ---------------------------------------------------------------- the commands
MOMENT = dt.datetime(2025, 6, 1, 10, tzinfo=SHANGHAI)


@pytest.fixture
def cli(tmp_path, monkeypatch, fake_renderer):  # noqa: F811
    """One contract issued (with a PDF) and signed; the working folder is tmp_path."""
    return signed_contract_cli(tmp_path, monkeypatch, MOMENT)


def issued_file(tmp_path: Path) -> Path:
    (pdf,) = (tmp_path / "out").glob("*.pdf")
    return pdf


def test_issue_keeps_the_bytes_and_documents_get_writes_them_back_under_their_name(cli, tmp_path):
    pdf = issued_file(tmp_path)
    listed = cli("documents", "list", NO)
    assert listed.exit_code == 0, listed.output
    assert pdf.name in listed.output and sha(pdf.read_bytes())[:12] in listed.output and "第 1 条：签发" in listed.output
    got = cli("documents", "get", NO, "--out", "copies")
    assert got.exit_code == 0, got.output
    assert (tmp_path / "copies" / pdf.name).read_bytes() == pdf.read_bytes()
    assert "与登记相符" in got.output


def test_documents_get_never_writes_over_an_existing_file(cli, tmp_path):
    (tmp_path / "copies").mkdir()
    taken = tmp_path / "copies" / issued_file(tmp_path).name
    taken.write_bytes(b"someone else's file")
    result = cli("documents", "get", NO, "--out", "copies")
    assert result.exit_code == 1
    assert "已存在" in result.output and "Traceback" not in result.output
    assert taken.read_bytes() == b"someone else's file"
    assert sorted(p.name for p in (tmp_path / "copies").iterdir()) == [taken.name]


def test_documents_get_picks_one_by_sha256_or_by_name_and_says_what_it_does_not_know(cli, tmp_path):
    pdf = issued_file(tmp_path)
    digest = sha(pdf.read_bytes())
    assert cli("documents", "get", NO, "--sha256", digest[:10], "--out", "a").exit_code == 0
    assert (tmp_path / "a" / pdf.name).read_bytes() == pdf.read_bytes()
    assert cli("documents", "get", NO, "--file", pdf.name, "--out", "b").exit_code == 0
    assert (tmp_path / "b" / pdf.name).exists()
    wrong = cli("documents", "get", NO, "--sha256", "0" * 12, "--out", "c")
    assert wrong.exit_code == 1 and "--sha256" in wrong.output and not (tmp_path / "c").exists()
    unknown = cli("documents", "get", "VIP-2025-000999", "--out", "d")
    assert unknown.exit_code == 1 and "没有合同 VIP-2025-000999" in unknown.output


def test_verify_says_the_register_holds_the_bytes(cli, tmp_path):
    result = cli("verify", str(issued_file(tmp_path)))
    assert result.exit_code == 0, result.output
    assert "登记簿中保存有该文书的内容" in result.output


def test_a_register_made_before_documents_were_kept_is_a_notice_and_documents_add_brings_them_in(cli, tmp_path):
    pdf = issued_file(tmp_path)
    shutil.rmtree(tmp_path / "register.json.documents")  # as an older register: no bytes kept
    checked = cli("check")
    assert checked.exit_code == 0, checked.output
    assert "未发现问题" in checked.output and "没有保存 1 份已登记文书的内容" in checked.output
    assert pdf.name in checked.output
    assert "没有保存该文书的内容" in cli("verify", str(pdf)).output
    refused = cli("documents", "get", NO, "--out", "copies")
    assert refused.exit_code == 1 and "documents add" in refused.output
    assert not (tmp_path / "copies").exists() or list((tmp_path / "copies").iterdir()) == []
    stranger = tmp_path / "stranger.pdf"
    stranger.write_bytes(b"%PDF not ours")
    result = cli("documents", "add", str(stranger), str(pdf))
    assert result.exit_code == 1 and "不是本登记簿登记的文书" in result.output
    assert TinyDBStore(tmp_path / "register.json").get_document(sha(pdf.read_bytes())) is None  # none of the two
    added = cli("documents", "add", str(pdf))
    assert added.exit_code == 0 and "已存入登记簿" in added.output
    assert "登记簿中已保存" in cli("documents", "add", str(pdf)).output
    assert cli("documents", "get", NO, "--out", "copies").exit_code == 0
    assert (tmp_path / "copies" / pdf.name).read_bytes() == pdf.read_bytes()
    checked = cli("check")
    assert checked.exit_code == 0 and "没有保存" not in checked.output


def test_documents_add_of_a_folder_brings_in_the_registered_files_in_it_and_leaves_the_others(cli, tmp_path):
    pdf = issued_file(tmp_path)
    shutil.rmtree(tmp_path / "register.json.documents")
    (tmp_path / "out" / "old").mkdir()
    (tmp_path / "out" / "old" / "notes.txt").write_text("not a document", encoding="utf-8")
    shutil.copy(pdf, tmp_path / "out" / "old" / "copy.pdf")  # the same document twice: kept once
    result = cli("documents", "add", "out")
    assert result.exit_code == 0, result.output
    assert result.output.count("已存入登记簿") == 1 and "另有 1 个文件不是本登记簿登记的文书" in result.output
    store = TinyDBStore(tmp_path / "register.json")
    assert store.get_document(sha(pdf.read_bytes())) == pdf.read_bytes()
    assert [p.name for p in DocumentShelf.beside(store.path).root.rglob("*") if p.is_file()] == [sha(pdf.read_bytes())]
    again = cli("documents", "add", "out/old")
    assert again.exit_code == 0 and "登记簿中已保存" in again.output and "另有 1 个文件" in again.output


def test_check_reports_a_damaged_document_and_one_set_aside_and_mentions_one_no_event_names(cli, tmp_path, profile):
    pdf = issued_file(tmp_path)
    store = TinyDBStore(tmp_path / "register.json")
    kept = DocumentShelf.beside(store.path).path_of(sha(pdf.read_bytes()))
    kept.write_bytes(b"damaged")
    report = register_service.check(store, profile)
    assert not report.ok and any("已损坏" in p.message for p in report.problems)
    assert cli("check").exit_code == 1
    assert cli("documents", "add", str(pdf)).exit_code == 0  # the original brought in, the damaged one set aside
    report = register_service.check(store, profile)
    assert [p.message for p in report.problems if "另存" in p.message] and len(report.problems) == 1
    for aside in kept.parent.glob(f"*{DAMAGED}*"):
        aside.rename(tmp_path / aside.name)  # a person looked at it and moved it away
    store.put_document(sha(b"left by a killed writer"), b"left by a killed writer")
    (kept.parent / f".{sha(PDF)}.0a1b2c3d.vipcontract-tmp").write_bytes(PDF[:5])  # killed while keeping
    report = register_service.check(store, profile)
    assert report.ok, report.problems
    assert any("没有任何登记引用" in note for note in report.notes)
    assert any("1 个被中断的保存留下的临时文件" in note for note in report.notes)
