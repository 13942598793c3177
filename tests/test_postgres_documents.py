"""The documents on a PostgreSQL register, end to end: `issue` keeps them in the database, where
another machine (another output folder, another process) gets the same bytes back; a write killed
after keeping a document leaves only a kept document no event names; `check` says what it says on
the file register; a read-only account reads documents but cannot add any; `seal` signs the
register's own copy and records who sealed."""

from __future__ import annotations

import getpass
import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from store import TinyDBStore
from store.postgres import PostgresStore
from tests.conftest import INDIVIDUAL
from tests.pg import PASSWORD
from tests.test_esign import AGREEMENT, SEALED, load_asn1, prepared, validate  # noqa: F401 (fixture)
from tests.test_esign import PASSWORD as CERT_PASSWORD
from tests.test_postgres import run_child

ROOT = Path(__file__).resolve().parent.parent
NO = "VIP-2025-000001"
CUSTOMER = [f"--{k.replace('_', '-')}={v}" for k, v in INDIVIDUAL.items()]
ISSUE = ["issue", "--type", "individual", *CUSTOMER, "--annual-fee", "12800", "--issued-on", "2025-03-01",
         "--format", "docx,pdf", "--out", "out"]


def on_machine(machine: Path, url: str, *args: str, fault: str | None = None) -> subprocess.CompletedProcess[str]:
    """The command line in a process of its own on one "machine": its own working folder and data
    folder (where a write's in-progress notes go), a fake renderer."""
    machine.mkdir(parents=True, exist_ok=True)
    return run_child(url, machine, *args, fault=fault, cwd=machine)


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def kept(url: str) -> frozenset[str]:
    store = PostgresStore(url)
    try:
        return store.kept_documents()
    finally:
        store.close()


def test_issued_documents_are_kept_in_the_database_and_got_back_on_another_machine(pg_roles, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    issued = on_machine(first, pg_roles.writer_url, *ISSUE)
    assert issued.returncode == 0, issued.stdout + issued.stderr
    files = sorted((first / "out").iterdir())
    assert [p.suffix for p in files] == [".docx", ".pdf"]
    assert kept(pg_roles.writer_url) == {sha(p.read_bytes()) for p in files}

    listed = on_machine(second, pg_roles.reader_url, "documents", "list", NO)
    assert listed.returncode == 0, listed.stderr
    assert all(p.name in listed.stdout for p in files) and "未保存" not in listed.stdout
    got = on_machine(second, pg_roles.reader_url, "documents", "get", NO, "--out", "copies")
    assert got.returncode == 0, got.stdout + got.stderr
    for path in files:
        assert (second / "copies" / path.name).read_bytes() == path.read_bytes()
    assert got.stdout.count("与登记相符") == 2
    verified = on_machine(second, pg_roles.reader_url, "verify", str(files[1]))
    assert verified.returncode == 0 and "登记簿中保存有该文书的内容" in verified.stdout, verified.stdout

    refused = on_machine(second, pg_roles.reader_url, "documents", "add", str(files[1]))
    assert refused.returncode == 1
    assert refused.stderr.startswith("错误：该数据库账户只有只读权限，不能写入登记簿") and PASSWORD not in refused.stderr
    assert kept(pg_roles.writer_url) == {sha(p.read_bytes()) for p in files}


@pytest.mark.parametrize("fault", ["kept", "kept#2"])
def test_a_write_killed_after_keeping_a_document_leaves_only_a_document_no_event_names(pg_url, tmp_path, fault):
    office = tmp_path / "office"
    killed = on_machine(office, pg_url, *ISSUE, fault=fault)
    assert killed.returncode == -9, killed.stderr
    stray = kept(pg_url)
    assert len(stray) == (1 if fault == "kept" else 2)
    assert PostgresStore(pg_url).contract_numbers() == []
    checked = on_machine(office, pg_url, "check")
    assert checked.returncode == 1 and "未登记" in checked.stdout  # the temporary files of this machine
    repaired = on_machine(office, pg_url, "check", "--repair")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert "未发现问题" in repaired.stdout
    assert f"登记簿保存了 {len(stray)} 份没有任何登记引用的文书" in repaired.stdout
    assert list((office / "out").iterdir()) == []
    issued = on_machine(office, pg_url, *ISSUE)  # the same documents again: found kept, not stored twice
    assert issued.returncode == 0, issued.stderr
    assert {sha(p.read_bytes()) for p in (office / "out").iterdir()} == kept(pg_url) >= stray
    clean = on_machine(office, pg_url, "check")
    assert clean.returncode == 0 and "没有任何登记引用" not in clean.stdout, clean.stdout


def test_check_says_of_documents_on_the_server_what_it_says_on_the_file_register(pg_url, tmp_path, monkeypatch):
    """A register made before documents were kept, moved to the server: the same notices, and
    documents add brings the bytes in there too."""
    monkeypatch.chdir(tmp_path)

    def run(db: str, *args: str):
        return CliRunner().invoke(main, ["--db", db, *args])

    monkeypatch.setenv("VIPCONTRACT_FAKE_RENDER", "1")
    db = str(tmp_path / "register.json")
    assert run(db, "--new-register", *ISSUE).exit_code == 0
    pdf = next((tmp_path / "out").glob("*.pdf"))
    shutil.rmtree(tmp_path / "register.json.documents")  # as an older register: no bytes kept ...
    TinyDBStore(db).put_document(sha(pdf.read_bytes()), pdf.read_bytes())  # ... but the PDF brought in
    copied = run("", "db", "copy", "--from", db, "--to", pg_url)
    assert copied.exit_code == 0 and "没有保存其中 1 份" in copied.output, copied.output

    def notes(result) -> list[str]:
        assert result.exit_code == 0, result.output
        return [line for line in result.output.splitlines() if line.startswith("注：")]

    on_file, on_server = notes(run(db, "check")), notes(run(pg_url, "check"))
    assert on_server == on_file and len(on_server) == 1 and "没有保存 1 份已登记文书的内容" in on_server[0]
    docx = next((tmp_path / "out").glob("*.docx"))
    assert docx.name in on_server[0]
    added = run(pg_url, "documents", "add", "out")
    assert added.exit_code == 0 and f"out/{docx.name}：已存入登记簿" in added.output
    assert f"out/{pdf.name}：登记簿中已保存" in added.output
    assert notes(run(pg_url, "check")) == []
    stray = b"kept by a writer killed before its append"
    PostgresStore(pg_url).put_document(sha(stray), stray)
    TinyDBStore(db).put_document(sha(stray), stray)
    on_file, on_server = notes(run(db, "check")), notes(run(pg_url, "check"))
    assert on_server[-1] == on_file[-1] == "注：登记簿保存了 1 份没有任何登记引用的文书：是被中断的登记先保存的文书，无害。"


def test_seal_on_the_server_signs_the_registered_copy_and_records_who_sealed(prepared, pg_roles, tmp_path,  # noqa: F811
                                                                            monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # this machine's notes of the write
    url = pg_roles.writer_url
    invoke = CliRunner().invoke
    assert invoke(main, ["db", "copy", "--from", str(prepared.db), "--to", url]).exit_code == 0
    agreement = (prepared.out / AGREEMENT).read_bytes()
    out = tmp_path / "elsewhere"  # no agreement here: the register's copy is what gets signed
    out.mkdir()
    env = {"VIPCONTRACT_PROFILE": str(prepared.root / "profile.toml")}
    sealed = invoke(main, ["--db", url, "seal", NO, "--cert", str(prepared.root / "good.p12"), "--password-file",
                           str(prepared.root / "password.txt"), "--out", str(out)], env=env)
    assert sealed.exit_code == 0, sealed.output
    signed = (out / SEALED).read_bytes()
    assert signed.startswith(agreement)  # the registered agreement, then the signature
    assert validate(out / SEALED, [load_asn1(prepared.ca)])[2].bottom_line
    store = PostgresStore(pg_roles.reader_url)
    record = store.history(NO)[-1]
    assert record["kind"] == "sealed" and record["recorded_by"] == f"{pg_roles.writer}（{getpass.getuser()}）"
    assert record["data"]["source_sha256"] == sha(agreement)
    assert store.get_document(sha(signed)) == signed  # the sealed copy kept in the database too
    store.close()
    assert CERT_PASSWORD.decode() not in sealed.output
