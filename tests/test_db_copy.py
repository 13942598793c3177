"""`db copy`: a register moved into another store through the Store interface: every append in
the same order, the target's head equal to the source's, the documents with it; resumed after a
copy cut short (a prefix, or a kill part-way), refused on a target that holds anything else, the
source only read. Every test runs over BACKENDS (tests.test_documents): a database backend added
there is copied to and from as well."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import cli as cli_module
from contracts.dates import SHANGHAI
from service.copy import CopyRefused, append_line, copy_register
from store import MemoryStore, TinyDBStore
from store.chain import walk
from store.fault import ENV as FAULT_ENV
from tests.conftest import TEST_PROFILE
from tests.test_documents import BACKENDS, opened  # noqa: F401 (fixture)
from tests.test_register_fixtures import NO, fake_renderer, signed_contract_cli  # noqa: F401 (fixture)

CHILD = Path(__file__).resolve().parent / "crash_child.py"
MOMENT = dt.datetime(2025, 6, 1, 10, tzinfo=SHANGHAI)


@pytest.fixture
def source_file(tmp_path, monkeypatch, fake_renderer):  # noqa: F811
    """An embedded register of two contracts in five appends naming five documents: one issued
    (a PDF), signed, paid and amended (a DOCX and a PDF), one issued (a DOCX and a PDF)."""
    invoke = signed_contract_cli(tmp_path, monkeypatch, MOMENT)
    assert invoke("pay", NO, "--on", "2025-03-20", "--amount", "12800").exit_code == 0
    assert invoke("amend", NO, "--signed-on", "2025-05-01", "--effective-on", "2025-06-01",
                  "--set", "annual_fee=13800", "--format", "docx,pdf", "--out", "out").exit_code == 0
    customer = tmp_path / "customer.yaml"
    assert invoke("issue", "--type", "individual", "--from", str(customer), "--allow-second",
                  "--issued-on", "2025-04-01", "--format", "docx,pdf", "--out", "out2").exit_code == 0
    return invoke.db


def source_of(kind: str, source_file: Path, opened):  # noqa: F811
    """The register of `source_file` in a store of `kind` (copied there: that copy is tested too)."""
    store = TinyDBStore(source_file)
    if kind == "tinydb":
        return store
    other = opened(kind, "source")
    copy_register(store, other)
    return other


def documents_named(store) -> dict[str, bytes | None]:
    return {item["sha256"]: store.get_document(item["sha256"])
            for _no, records in store.histories() for r in records for item in r["data"].get("files", ())}


def assert_same_register(source, target) -> None:
    found = walk(target.journal())
    assert found.intact and not found.problems
    assert found.head == source.head() == target.head()
    assert list(target.histories()) == list(source.histories())
    docs = documents_named(target)
    assert docs == documents_named(source) and all(docs.values()) and len(docs) == 5


@pytest.mark.parametrize("source_kind", BACKENDS)
@pytest.mark.parametrize("target_kind", BACKENDS)
def test_a_copy_holds_every_append_in_order_with_the_same_head_and_the_documents(
        source_file, opened, source_kind, target_kind):  # noqa: F811
    source = source_of(source_kind, source_file, opened)
    before = source_file.read_bytes()
    target = opened(target_kind, "target")
    result = copy_register(source, target)
    assert (result.copied, result.already, result.documents, result.documents_missing) == (5, 0, 5, 0)
    assert result.head == source.head()
    assert_same_register(source, target)
    assert source_file.read_bytes() == before  # the source is only read
    again = copy_register(source, target)  # a second run: nothing to do, nothing changed
    assert (again.copied, again.already, again.head) == (0, 5, result.head)
    assert_same_register(source, target)


@pytest.mark.parametrize("target_kind", BACKENDS)
def test_a_copy_cut_short_is_continued_after_the_prefix_the_target_holds(source_file, opened,  # noqa: F811
                                                                         target_kind):
    source = TinyDBStore(source_file)
    target = opened(target_kind, "target")
    for line in list(source.journal().lines)[:3]:  # what a copy killed after three appends leaves
        append_line(target, line)
    started: list[tuple[int, int]] = []
    advanced: list[int] = []
    result = copy_register(source, target, start=lambda total, done: started.append((total, done)),
                           advance=advanced.append)
    assert started == [(5, 3)] and advanced == [1, 1]  # what the progress bar is told
    assert (result.copied, result.already) == (2, 3)
    assert_same_register(source, target)


@pytest.mark.parametrize("target_kind", BACKENDS)
def test_a_target_holding_anything_else_is_refused_without_writing(source_file, opened, target_kind):  # noqa: F811
    source = TinyDBStore(source_file)
    target = opened(target_kind, "target")
    lines = list(source.journal().lines)
    append_line(target, lines[0])
    append_line(target, lines[4])  # the second contract issued where the first was signed
    head = target.head()
    with pytest.raises(CopyRefused, match="不同的内容"):
        copy_register(source, target)
    assert target.head() == head
    assert all(target.get_document(sha) is None for sha in documents_named(source))


@pytest.mark.parametrize("target_kind", ["memory", "postgres"])
def test_a_copy_run_again_reads_no_document_the_target_lists_as_kept(source_file, opened, target_kind,  # noqa: F811
                                                                     monkeypatch):
    source = TinyDBStore(source_file)
    target = opened(target_kind, "target")
    copy_register(source, target)
    read: list[str] = []
    monkeypatch.setattr(source, "get_document", read.append)
    again = copy_register(source, target)
    assert read == [] and (again.copied, again.documents, again.documents_missing) == (0, 5, 0)


def test_a_source_whose_chain_is_broken_is_not_copied(source_file, tmp_path):
    text = source_file.read_text(encoding="utf-8")
    source_file.write_text(text.replace('"13800.00"', '"1380.00"', 1), encoding="utf-8")
    with pytest.raises(CopyRefused, match="vipcontract check"):
        copy_register(TinyDBStore(source_file), MemoryStore())


@pytest.mark.parametrize("target_kind", BACKENDS)
def test_a_version_1_register_is_copied_with_the_head_its_lines_imply(source_file, opened,  # noqa: F811
                                                                      target_kind):
    """Lines written before the chain began carry no hashes: the target seals them, and its head is
    the one `check` computes for the old register."""
    import orjson

    from tests.test_register_integrity import HEADER_V1

    old = [orjson.loads(line) for line in source_file.read_bytes().splitlines()[1:]]
    source_file.write_bytes(HEADER_V1 + b"".join(orjson.dumps({"t": e["t"], "d": e["d"]}) + b"\n" for e in old))
    source = TinyDBStore(source_file)
    target = opened(target_kind, "target")
    result = copy_register(source, target)
    assert result.head == source.head() == target.head() and result.copied == 5
    assert walk(target.journal()).legacy_lines == 0  # every line of the copy carries the chain


# ---------------------------------------------------------------- the command
def run(*args: str, fault: str | None = None, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VIPCONTRACT_PROFILE": str(TEST_PROFILE)}
    env.pop(FAULT_ENV, None)
    if fault:
        env[FAULT_ENV] = fault
    return subprocess.run([sys.executable, str(CHILD), *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def test_db_copy_killed_part_way_is_resumed_by_running_it_again(source_file, tmp_path):
    target = tmp_path / "office" / "copy.json"
    killed = run("db", "copy", "--from", str(source_file), "--to", str(target), fault="copied#4", cwd=tmp_path)
    assert killed.returncode == -9, killed.stderr
    assert TinyDBStore(target).head().position == 5  # four appends made, then the kill
    done = run("db", "copy", "--from", str(source_file), "--to", str(target), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    head = TinyDBStore(source_file).head()
    assert "已复制 1 条登记（目标中此前已有 4 条" in done.stdout and head.hash in done.stdout
    assert_same_register(TinyDBStore(source_file), TinyDBStore(target))
    checked = run("--db", str(target), "check", cwd=tmp_path)
    assert checked.returncode == 0 and "未发现问题" in checked.stdout and head.hash in checked.stdout


def test_db_copy_says_what_is_wrong_in_one_line(source_file, tmp_path):
    def copy(*args: str):
        return CliRunner().invoke(cli_module.main, ["db", "copy", *args])

    same = copy("--from", str(source_file), "--to", str(source_file))
    assert same.exit_code == 1 and "同一本登记簿" in same.output
    missing = copy("--from", str(tmp_path / "nothing.json"), "--to", str(tmp_path / "t.json"))
    assert missing.exit_code == 1 and "--from" in missing.output and not (tmp_path / "t.json").exists()
    foreign = tmp_path / "notes.json"
    foreign.write_text('{"not": "a register"}\n', encoding="utf-8")
    refused = copy("--from", str(source_file), "--to", str(foreign))
    assert refused.exit_code == 1 and "不是 vipcontract 登记簿文件" in refused.output
    assert foreign.read_text(encoding="utf-8") == '{"not": "a register"}\n'
    for result in (same, missing, refused):
        assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


# ---------------------------------------------------------------- to a PostgreSQL register and back
def copy_command(*args: str):
    return CliRunner().invoke(cli_module.main, ["db", "copy", *args])


def run_at_a_terminal(*args: str, fault: str | None = None, cwd: Path) -> tuple[int, str, str]:
    """`run` with stderr at a terminal (a pseudo-terminal), where `db copy` shows its progress bar:
    (exit code, stdout, everything shown on the terminal)."""
    import pty
    import threading

    env = {**os.environ, "VIPCONTRACT_PROFILE": str(TEST_PROFILE), "COLUMNS": "100"}
    env.pop(FAULT_ENV, None)
    if fault:
        env[FAULT_ENV] = fault
    master, slave = pty.openpty()
    child = subprocess.Popen([sys.executable, str(CHILD), *args], env=env, cwd=cwd, stdout=subprocess.PIPE,
                             stderr=slave, text=True)
    os.close(slave)
    shown = bytearray()

    def read_terminal() -> None:  # read while the child writes: a full terminal buffer would block it
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the child closed the terminal
                return
            if not chunk:
                return
            shown.extend(chunk)

    reader = threading.Thread(target=read_terminal)
    reader.start()
    stdout, _ = child.communicate(timeout=120)
    reader.join(30)
    os.close(master)
    return child.returncode, stdout, shown.decode("utf-8", "replace")


def test_db_copy_to_a_server_and_back_gives_the_same_register_and_never_shows_the_password(
        source_file, tmp_path, pg_roles):
    from store.postgres import PostgresStore
    from tests.pg import PASSWORD

    url = pg_roles.writer_url  # an office's writer account, its password in the URL
    source = TinyDBStore(source_file)
    head = source.head()
    there = copy_command("--from", str(source_file), "--to", url)
    assert there.exit_code == 0, there.output
    assert there.output.startswith("已复制 5 条登记，目标登记簿共保存文书 5 份。") and head.hash in there.output
    server = PostgresStore(url)
    assert_same_register(source, server)
    again = copy_command("--from", str(source_file), "--to", url)
    assert again.exit_code == 0 and "已有源登记簿的全部 5 条登记，未再复制" in again.output
    assert len(list(server.journal().lines)) == 5 and server.head() == head  # nothing appended the second time
    back = tmp_path / "back" / "register.json"
    returned = copy_command("--from", pg_roles.reader_url, "--to", str(back))  # a read-only account will do
    assert returned.exit_code == 0 and head.hash in returned.output, returned.output
    assert_same_register(server, TinyDBStore(back))
    assert_same_register(source, TinyDBStore(back))
    checked = CliRunner().invoke(cli_module.main, ["--db", str(back), "check"])
    assert checked.exit_code == 0 and "未发现问题" in checked.output and head.hash in checked.output
    on_server = CliRunner().invoke(cli_module.main, ["--db", pg_roles.reader_url, "check"])
    assert on_server.exit_code == 0 and "未发现问题" in on_server.output and head.hash in on_server.output
    for result in (there, again, returned, on_server):
        assert PASSWORD not in result.output
    server.close()


def test_db_copy_to_a_server_killed_part_way_is_resumed_and_its_progress_shows_no_password(
        source_file, tmp_path, pg_roles):
    from store.postgres import PostgresStore
    from tests.pg import PASSWORD

    url = pg_roles.writer_url
    killed = run("db", "copy", "--from", str(source_file), "--to", url, fault="copied#3", cwd=tmp_path)
    assert killed.returncode == -9, killed.stderr
    partial = PostgresStore(url)
    assert partial.head().position == 4  # three appends made (position 1 is the header), then the kill
    code, stdout, terminal = run_at_a_terminal("db", "copy", "--from", str(source_file), "--to", url, cwd=tmp_path)
    assert code == 0, terminal
    assert "已复制 2 条登记（目标中此前已有 3 条" in stdout and TinyDBStore(source_file).head().hash in stdout
    assert "复制中" in terminal and "5/5" in terminal  # the progress bar, from 3 of 5 to the end
    assert_same_register(TinyDBStore(source_file), partial)
    for text in (killed.stdout, killed.stderr, stdout, terminal):
        assert PASSWORD not in text
    partial.close()


def test_db_copy_refuses_a_server_register_holding_another_and_a_database_without_db_init(
        source_file, pg_server, pg_roles, pg_bare_database):
    from store.postgres import PostgresStore
    from tests.pg import PASSWORD

    writer = PostgresStore(pg_roles.writer_url)
    lines = list(TinyDBStore(source_file).journal().lines)
    append_line(writer, lines[0])
    append_line(writer, lines[4])  # another register: the second contract where the first was signed
    head = writer.head()
    diverged = copy_command("--from", str(source_file), "--to", pg_roles.writer_url)
    assert diverged.exit_code == 1 and "不同的内容" in diverged.output
    assert writer.head() == head and writer.kept_documents() == frozenset()  # nothing written
    owner = f"{pg_bare_database}_owner"  # an account with a password on a database with no register
    pg_server.execute(f"CREATE ROLE \"{owner}\" LOGIN PASSWORD '{PASSWORD}'")
    pg_server.roles.append(owner)
    bare = pg_server.url(pg_bare_database, owner, PASSWORD)
    uninitialised = copy_command("--from", str(source_file), "--to", bare)
    assert uninitialised.exit_code == 1 and "db init" in uninitialised.output
    assert bare.replace(f":{PASSWORD}@", ":***@") in uninitialised.output  # named, masked
    for result in (diverged, uninitialised):
        assert result.output.startswith("错误：") and len(result.output.strip().splitlines()) == 1
        assert PASSWORD not in result.output and "Traceback" not in result.output
    writer.close()


def assert_summaries_fit(target, profile) -> None:
    """Every contract of the target has the summary `append` keeps, made from its history."""
    from contracts.register import replay
    from contracts.summary import summarize
    from service.register import check, events_of

    kept = dict(target.summaries())
    assert set(kept) == set(target.contract_numbers()) and len(kept) == 2
    for number, records in target.histories():
        assert kept[number] == summarize(replay(events_of(records))).to_dict(), number
    assert check(target, profile).ok


@pytest.mark.parametrize("target_kind", BACKENDS)
def test_a_copy_keeps_each_contracts_summary_with_its_last_append(source_file, opened, target_kind,  # noqa: F811
                                                                    profile, monkeypatch):
    source = TinyDBStore(source_file)
    target = opened(target_kind, "target")
    appended: list[tuple[str, int, bool]] = []
    real = target.append

    def append(contract_no, expected_seq, records, summary=None):
        appended.append((contract_no, expected_seq, summary is not None))
        return real(contract_no, expected_seq, records, summary)

    monkeypatch.setattr(target, "append", append)
    copy_register(source, target)
    last = {no: seq for no, seq, _kept in appended}  # the last append of each contract
    assert [kept for no, seq, kept in appended] == [last[no] == seq for no, seq, _kept in appended]
    assert_summaries_fit(target, profile)


@pytest.mark.parametrize("target_kind", BACKENDS)
def test_a_copy_continued_after_a_prefix_keeps_the_summaries_too(source_file, opened, target_kind,  # noqa: F811
                                                                  profile):
    source = TinyDBStore(source_file)
    target = opened(target_kind, "target")
    lines = list(source.journal().lines)
    for line in lines[:3]:  # a copy killed after three appends (the first contract's last not among them)
        append_line(target, line)
    assert all(summary is None for _no, summary in target.summaries())
    result = copy_register(source, target)
    assert (result.copied, result.already) == (2, 3)
    assert_summaries_fit(target, profile)
    again = copy_register(source, target)
    assert again.copied == 0
    assert_summaries_fit(target, profile)
