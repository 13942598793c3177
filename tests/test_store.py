"""The store behind its interface: the same suite for the memory and the TinyDB backend, then
what only a file has (reload, mode 0600, torn lines, other processes, a killed writer)."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from tinydb.table import Document

from store import ConflictError, CorruptStore, MemoryStore, StoreError, TinyDBStore, open_store
from tests.conftest import TEST_PROFILE
from tests.test_register_fixtures import any_store  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parent.parent


def rec(contract_no: str, seq: int, **data) -> dict:
    return {"contract_no": contract_no, "seq": seq, "kind": data.pop("kind", "x"), "data": data}


def fill(store) -> None:
    store.append("B", 0, [rec("B", 1), rec("B", 2, kind="notice_sent", notice_id="N-000002")])
    store.append("A", 0, [rec("A", 1, note="张三")])
    store.append("A", 1, [rec("A", 2, kind="notice_sent", notice_id="N-000001")])


# ---------------------------------------------------------------- the interface, both backends
def test_append_and_read_back(any_store):  # noqa: F811
    fill(any_store)
    assert any_store.contract_numbers() == ["A", "B"]
    assert any_store.history("A") == [rec("A", 1, note="张三"),
                                      rec("A", 2, kind="notice_sent", notice_id="N-000001")]
    assert any_store.history("nobody") == []
    assert [(no, [r["seq"] for r in rs]) for no, rs in any_store.histories()] == \
        [("A", [1, 2]), ("B", [1, 2])]
    assert [r["data"]["notice_id"] for r in any_store.find("notice_sent")] == ["N-000001", "N-000002"]


def test_last_of_a_kind_is_the_one_appended_last(any_store):  # noqa: F811
    assert any_store.last("notice_sent") is None
    fill(any_store)
    assert any_store.last("notice_sent")["data"]["notice_id"] == "N-000001"  # A was appended after B
    any_store.append("B", 2, [rec("B", 3, kind="notice_sent", notice_id="N-000003"), rec("B", 4)])
    assert any_store.last("notice_sent")["data"]["notice_id"] == "N-000003"
    assert any_store.last("x")["contract_no"] == "B"
    assert any_store.last("nothing") is None


def test_append_with_a_stale_sequence_is_a_conflict(any_store):  # noqa: F811
    fill(any_store)
    with pytest.raises(ConflictError) as caught:
        any_store.append("A", 1, [rec("A", 2)])
    assert (caught.value.expected_seq, caught.value.actual_seq) == (1, 2)
    with pytest.raises(ConflictError):
        any_store.append("C", 1, [rec("C", 2)])
    assert any_store.history("A")[-1]["seq"] == 2


@pytest.mark.parametrize(
    "records",
    [[], [{"contract_no": "A", "seq": 4}], [{"contract_no": "Z", "seq": 3}],
     [{"contract_no": "A", "seq": 3}, {"contract_no": "A", "seq": 5}]],
)
def test_a_bad_batch_is_refused_whole(any_store, records):  # noqa: F811
    fill(any_store)
    with pytest.raises(StoreError):
        any_store.append("A", 2, records)
    assert len(any_store.history("A")) == 2


def test_what_is_returned_does_not_change_the_store(any_store):  # noqa: F811
    fill(any_store)
    any_store.history("A")[0]["data"]["note"] = "changed"
    assert any_store.history("A")[0]["data"]["note"] == "张三"


def test_locked_is_reentrant(any_store):  # noqa: F811
    with any_store.locked(), any_store.locked():
        any_store.append("A", 0, [rec("A", 1)])
    assert len(any_store.history("A")) == 1


def test_every_append_is_one_journal_line_chained_to_the_one_before(any_store):  # noqa: F811
    from store.chain import GENESIS, walk

    assert any_store.head() is None and list(any_store.journal().lines) == []
    fill(any_store)
    lines = list(any_store.journal().lines)
    assert [(line.position, line.contract_no, list(line.docs)) for line in lines] == \
        [(2, "B", ["1", "2"]), (3, "A", ["1"]), (4, "A", ["2"])]
    assert lines[0].prev == GENESIS and [line.prev for line in lines[1:]] == [line.hash for line in lines[:-1]]
    found = walk(any_store.journal())
    assert found.intact and found.problems == () and found.head == any_store.head()
    assert any_store.head().position == 4 and any_store.torn_lines() == [] and any_store.set_aside() == []


# ---------------------------------------------------------------- the file
def test_reload_from_disk_gives_the_same_histories(tmp_path):
    path = tmp_path / "register.json"
    store = TinyDBStore(path)
    fill(store)
    before = list(store.histories())
    store.close()
    again = open_store(path)
    assert list(again.histories()) == before
    assert again.history("A") == store.history("A")


def test_the_file_is_private_and_readable_as_json_lines(tmp_path):
    path = tmp_path / "sub" / "register.json"
    store = TinyDBStore(path)
    fill(store)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    lines = path.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0]) == {"format": "vipcontract-register", "version": 2}
    assert len(lines) == 4 and "张三" in lines[2]  # one line per append, text readable


def test_reading_creates_no_file(tmp_path):
    store = open_store(tmp_path / "register.json")
    assert store.history("A") == [] and list(store.histories()) == []
    assert not (tmp_path / "register.json").exists()


def test_another_instance_sees_new_appends(tmp_path):
    path = tmp_path / "register.json"
    reader, writer = TinyDBStore(path), TinyDBStore(path)
    fill(writer)
    assert len(reader.history("A")) == 2
    writer.append("A", 2, [rec("A", 3)])
    assert len(reader.history("A")) == 3
    reader.append("A", 3, [rec("A", 4)])  # the reader's cache was brought up to date first
    assert [r["seq"] for r in writer.history("A")] == [1, 2, 3, 4]


def test_find_keeps_up_with_appends_from_here_and_elsewhere(tmp_path):
    path = tmp_path / "register.json"
    mine, other = TinyDBStore(path), TinyDBStore(path)
    fill(mine)
    assert len(list(mine.find("notice_sent"))) == 2  # the index is built here
    mine.append("C", 0, [rec("C", 1, kind="notice_sent", notice_id="N-000003")])
    other.append("D", 0, [rec("D", 1, kind="notice_sent", notice_id="N-000004")])
    ids = [r["data"]["notice_id"] for r in mine.find("notice_sent")]
    assert ids == ["N-000001", "N-000002", "N-000003", "N-000004"]
    assert [(r["contract_no"], r["seq"]) for r in mine.find("x")] == [("A", 1), ("B", 1)]


def test_last_reads_back_across_blocks_and_ignores_a_torn_line(tmp_path, monkeypatch):
    import store.tinydb_store as journal

    monkeypatch.setattr(journal, "TAIL_BLOCK", 64)  # many blocks, lines cut between them
    path = tmp_path / "register.json"
    store = TinyDBStore(path)
    store.append("A", 0, [rec("A", 1, kind="notice_sent", notice_id="N-000001", note="长" * 50)])
    for seq in range(2, 30):
        store.append("A", seq - 1, [rec("A", seq, note="填充" * 20)])
    with open(path, "ab") as fh:
        fh.write(b'{"t":"A","d":{"30":{"contract_no":"A","seq":30,"kind":"notice_sent","data":{"no')
    assert TinyDBStore(path).last("notice_sent")["data"]["notice_id"] == "N-000001"


def test_a_replaced_file_is_read_anew(tmp_path):
    path = tmp_path / "register.json"
    store = TinyDBStore(path)
    fill(store)
    other = tmp_path / "other.json"
    TinyDBStore(other).append("Q", 0, [rec("Q", 1)])
    os.replace(other, path)
    assert store.contract_numbers() == ["Q"]


def test_tinydb_cannot_change_or_remove_a_record(tmp_path):
    store = TinyDBStore(tmp_path / "register.json")
    fill(store)
    table = store._db.table("A")
    with store.locked():
        with pytest.raises(StoreError):
            table.update({"note": "x"}, doc_ids=[1])
        with pytest.raises(StoreError):
            table.remove(doc_ids=[1])
        with pytest.raises(ValueError):  # TinyDB's own refusal of an id in use
            table.insert(Document(rec("A", 1), doc_id=1))
    assert TinyDBStore(tmp_path / "register.json").history("A")[0]["data"] == {"note": "张三"}


def test_writing_without_the_lock_is_refused(tmp_path):
    store = TinyDBStore(tmp_path / "register.json")
    with pytest.raises(StoreError):
        store._db.table("A").insert(Document(rec("A", 1), doc_id=1))
    assert store.history("A") == []


def test_a_torn_last_line_is_ignored_then_set_aside_before_it_is_cut(tmp_path):
    path = tmp_path / "register.json"
    fill(TinyDBStore(path))
    intact = path.read_bytes()
    torn = b'{"t":"A","d":{"3":{"contract_no":"A","se'  # a writer killed mid-line
    with open(path, "ab") as fh:
        fh.write(torn)
    reader = TinyDBStore(path)
    assert len(reader.history("A")) == 2
    assert [(t.path, t.size, t.set_aside) for t in reader.torn_lines()] == [(path, len(torn), False)]
    reader.append("A", 2, [rec("A", 3)])
    assert path.read_bytes().startswith(intact)
    assert path.read_bytes().count(b"\n") == intact.count(b"\n") + 1
    assert [r["seq"] for r in TinyDBStore(path).history("A")] == [1, 2, 3]
    [aside] = reader.set_aside()
    assert aside.path.name.startswith("register.json.torn-") and aside.path.read_bytes() == torn
    assert stat.S_IMODE(aside.path.stat().st_mode) == 0o600
    assert reader.set_aside() == []  # said once
    assert [t.path for t in TinyDBStore(path).torn_lines()] == [aside.path]  # until a person acts
    aside.path.rename(tmp_path / "reviewed-torn-line")
    assert TinyDBStore(path).torn_lines() == []


def test_a_whole_append_that_lost_its_newline_is_set_aside_never_appended_again(tmp_path):
    path = tmp_path / "register.json"
    fill(TinyDBStore(path))
    path.write_bytes(path.read_bytes()[:-1])  # e.g. an editor that drops the final newline
    last = path.read_bytes().rsplit(b"\n", 1)[1]
    store = TinyDBStore(path)
    assert [t.record for t in store.torn_lines()] == ["合同 A 第 2 条"]
    with pytest.raises(StoreError, match="本次操作未执行：登记簿末尾的一条完整登记（合同 A 第 2 条）缺少换行符"):
        store.append("C", 0, [rec("C", 1)])  # numbers it would give may be the lost event's
    [aside] = store.set_aside()
    store.append("C", 0, [rec("C", 1)])  # told once; the person decides
    assert aside.path.read_bytes() == last and aside.record == "合同 A 第 2 条"
    assert path.read_bytes().count(last) == 0  # a person decides; it is not re-appended
    assert [r["seq"] for r in TinyDBStore(path).history("A")] == [1]


def test_a_set_aside_file_never_overwrites_another(tmp_path, monkeypatch):
    import datetime as dt

    import store.torn as torn

    fixed = dt.datetime(2026, 12, 2, 4, 0, tzinfo=dt.UTC)
    register = tmp_path / "register.json"
    first = torn.set_aside(register, b"one", fixed)
    second = torn.set_aside(register, b"two", fixed)
    assert first.path.name == "register.json.torn-20261202T040000Z"
    assert second.path.name == "register.json.torn-20261202T040000Z-2"
    assert (first.path.read_bytes(), second.path.read_bytes()) == (b"one", b"two")
    assert [t.path for t in torn.set_aside_files(register)] == [first.path, second.path]


def test_a_write_that_failed_half_way_is_set_aside_and_the_chain_goes_on(tmp_path, monkeypatch):
    import errno

    import store.tinydb_store as journal
    from store.chain import walk

    path = tmp_path / "register.json"
    store = TinyDBStore(path)
    fill(store)
    real = journal._write_all

    def disk_full(fd, payload):
        real(fd, payload[:10])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(journal, "_write_all", disk_full)
    with pytest.raises(StoreError, match="写入登记簿 .* 失败：磁盘空间已满"):
        store.append("A", 2, [rec("A", 3)])
    monkeypatch.setattr(journal, "_write_all", real)
    store.append("A", 2, [rec("A", 3)])  # the same store object, after the failure
    assert [t.size for t in store.set_aside()] == [10]
    found = walk(TinyDBStore(path).journal())
    assert found.problems == () and found.head.position == 5


NOT_REGISTERS = [
    b'{"_default": {"1": {"contract_no": "A"}}}',  # TinyDB's own JSON: one line, no newline
    b'{"_default": {}}\n',
    b"contract_no,seq\nA,1\n",
    b'{"format": "something-else", "version": 1}\n{"t":"A","d":{}}\n',
    b"\x00\x01 binary",
]


@pytest.mark.parametrize("content", NOT_REGISTERS)
def test_a_file_that_is_not_a_register_is_refused_and_left_as_it_is(tmp_path, content):
    path = tmp_path / "register.json"
    path.write_bytes(content)
    store = TinyDBStore(path)
    for action in (lambda: store.history("A"), lambda: store.append("A", 0, [rec("A", 1)]),
                   store.torn_lines, lambda: list(store.journal().lines)):
        with pytest.raises(StoreError, match=f"{path} 不是 vipcontract 登记簿文件"):
            action()
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["register.json"]


def test_a_register_of_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "register.json"
    content = b'{"format":"vipcontract-register","version":9}\n'
    path.write_bytes(content)
    with pytest.raises(StoreError, match="较新版本"):
        TinyDBStore(path).append("A", 0, [rec("A", 1)])
    assert path.read_bytes() == content


def test_an_empty_file_is_a_new_register(tmp_path):
    path = tmp_path / "register.json"
    path.touch()  # nothing in it to lose: what a writer killed before its first write leaves
    store = TinyDBStore(path)
    store.append("A", 0, [rec("A", 1)])
    assert TinyDBStore(path).history("A") == [rec("A", 1)]


def test_a_first_write_cut_inside_the_header_is_set_aside_too(tmp_path):
    path = tmp_path / "register.json"
    path.write_bytes(b'{"format":"vipcontract-reg')
    store = TinyDBStore(path)
    assert store.history("A") == []
    store.append("A", 0, [rec("A", 1)])
    assert store.set_aside()[0].path.read_bytes() == b'{"format":"vipcontract-reg'
    assert TinyDBStore(path).history("A") == [rec("A", 1)]


def test_a_refused_first_write_leaves_no_file(tmp_path):
    path = tmp_path / "register.json"
    store = TinyDBStore(path)
    with pytest.raises(StoreError):
        store.append("A", 0, [rec("B", 1)])
    assert list(tmp_path.iterdir()) == []


def test_a_second_line_for_a_seq_is_never_preferred(tmp_path):
    path = tmp_path / "register.json"
    fill(TinyDBStore(path))
    lines = path.read_bytes().split(b"\n")
    path.write_bytes(path.read_bytes() + lines[2].replace("张三".encode(), "李四".encode()) + b"\n")
    with pytest.raises(CorruptStore, match="第 5 行重复登记了合同 A 第 1 条"):
        TinyDBStore(path).history("A")
    assert TinyDBStore(path).history("B")[0]["seq"] == 1  # other contracts still read


def test_a_damaged_line_in_the_middle_is_reported(tmp_path):
    path = tmp_path / "register.json"
    fill(TinyDBStore(path))
    lines = path.read_bytes().split(b"\n")
    lines[2] = lines[2][: len(lines[2]) // 2]
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(CorruptStore, match="第 3 行"):
        list(TinyDBStore(path).histories())


def test_open_store_picks_the_backend(tmp_path):
    assert isinstance(open_store(":memory:"), MemoryStore)
    assert isinstance(open_store(tmp_path / "r.json"), TinyDBStore)
    with pytest.raises(StoreError, match="只支持本地文件、postgresql:// 地址或 host=… dbname=… 形式的连接参数") as refused:
        open_store("mysql://clerk:s3cret@localhost/register")
    assert "s3cret" not in str(refused.value)
    with pytest.raises(StoreError, match="是目录"):
        open_store(tmp_path)


def test_default_path(monkeypatch, tmp_path):
    from store import default_db_path

    monkeypatch.setenv("VIPCONTRACT_DB", str(tmp_path / "x.json"))
    assert default_db_path() == tmp_path / "x.json"
    monkeypatch.delenv("VIPCONTRACT_DB")
    assert default_db_path().name == "register.json" and "vipcontract" in str(default_db_path())


# ---------------------------------------------------------------- other processes
def _send_notices(path: str, contract_no: str, count: int, start: multiprocessing.Event) -> None:
    import datetime as dt

    from contracts.dates import SHANGHAI, DeliveryMethod
    from contracts.events import NoticeKind
    from service import register
    from service.sources import load_profile

    profile, store = load_profile(TEST_PROFILE), open_store(path)
    start.wait()
    for _ in range(count):
        sent_at = dt.datetime(2026, 1, 5, 9, tzinfo=SHANGHAI)
        register.send_notice(store, profile, contract_no, register.NoticeRequest(
            NoticeKind.OTHER, DeliveryMethod.EMAIL, sent_at))


def issued_contract(path: Path) -> str:
    import datetime as dt

    from service import register
    from service.sources import load_profile
    from tests.test_register_fixtures import chain, issued

    store = open_store(path)
    events = chain(issued())
    from contracts.events import to_record

    store.append(events[0].contract_no, 0, [to_record(events[0])])
    register.sign(store, load_profile(TEST_PROFILE), events[0].contract_no, dt.date(2025, 3, 10))
    return events[0].contract_no


@pytest.mark.slow
def test_eight_processes_appending_25_each_through_two_paths_lose_nothing(tmp_path, profile):
    """8 processes × 25 appends to one file, half of them through a symlink, half through a hard
    link: none lost, no notice number given twice, `check` passes."""
    from service import register

    path = tmp_path / "register.json"
    contract_no = issued_contract(path)
    paths = other_paths(path)[:2]  # a symlink and a hard link: two names, one file
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [context.Process(target=_send_notices, args=(str(paths[i % 2]), contract_no, 25, start))
               for i in range(8)]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    store = open_store(path)
    records = store.history(contract_no)
    assert [r["seq"] for r in records] == list(range(1, 203))
    ids = sorted(r["data"]["notice_id"] for r in records if r["kind"] == "notice_sent")
    assert ids == [f"N-{n:06d}" for n in range(1, 201)]
    assert register.check(store, profile).ok
    assert store.head().position == 1 + 2 + 200  # header, issued and signed, the 200 notices


KILLED_WRITER = """
import datetime as dt, os, sys, time
import store.tinydb_store as journal
from contracts.dates import SHANGHAI, DeliveryMethod
from contracts.events import NoticeKind
from service import register
from service.sources import load_profile
from store import open_store
from tests.conftest import TEST_PROFILE

def slow_write(fd, payload):  # half the line, then the kill arrives
    os.write(fd, payload[: len(payload) // 2])
    print("half", flush=True)
    time.sleep(60)

profile, store = load_profile(TEST_PROFILE), open_store(sys.argv[1])
for _ in range(int(sys.argv[3])):  # some whole events first
    register.send_notice(store, profile, sys.argv[2], register.NoticeRequest(
        NoticeKind.OTHER, DeliveryMethod.EMAIL, dt.datetime(2026, 1, 5, 9, tzinfo=SHANGHAI)))
journal._write_all = slow_write
register.send_notice(store, profile, sys.argv[2], register.NoticeRequest(
    NoticeKind.OTHER, DeliveryMethod.EMAIL, dt.datetime(2026, 1, 5, 9, tzinfo=SHANGHAI)))
"""


@pytest.mark.slow
def test_a_writer_killed_mid_write_loses_nothing_committed(tmp_path, profile):
    import datetime as dt

    from click.testing import CliRunner

    from cli import main
    from service import register

    path = tmp_path / "register.json"
    contract_no = issued_contract(path)
    for round_, whole in enumerate((3, 0, 5)):
        writer = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(path), contract_no,
                                   str(whole)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert writer.stdout.readline().strip() == "half"
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        assert not path.read_bytes().endswith(b"\n")  # the torn line is there
        result = CliRunner().invoke(main, ["--db", str(path), "check"])
        assert result.exit_code == 1 and "文件末尾有没有换行符的内容" in result.output, result.output
        # this round's first write (whole or torn) set the previous round's torn line aside
        assert len(open_store(path).torn_lines()) == 1 + round_
    store = open_store(path)
    assert len(store.history(contract_no)) == 2 + 3 + 0 + 5  # issued, signed, the whole ones
    register.record_delivery(store, profile, "N-000001", dt.date(2026, 1, 6))
    assert path.read_bytes().endswith(b"\n")  # the next writer set the torn line aside
    assert [r["seq"] for r in open_store(path).history(contract_no)] == list(range(1, 12))
    result = CliRunner().invoke(main, ["--db", str(path), "check"])
    assert result.exit_code == 1 and result.output.count("尚待处理") == 3, result.output
    for torn in open_store(path).torn_lines():  # a person has looked at each
        torn.path.rename(tmp_path / f"reviewed-{torn.path.name.rsplit('-', 1)[1]}-{torn.size}")
    assert register.check(open_store(path), profile).ok


# ---------------------------------------------------------------- one lock, whatever the path
def other_paths(path: Path) -> list[Path]:
    """A symlink, a hard link and a relative path to `path` (which must exist)."""
    (path.parent / "link.json").symlink_to(path.name)
    os.link(path, path.parent / "hard.json")
    return [path.parent / "link.json", path.parent / "hard.json",
            Path(os.path.relpath(path, Path.cwd()))]


def test_every_path_to_the_file_takes_the_same_lock(tmp_path):
    path = tmp_path / "register.json"
    fill(TinyDBStore(path))
    holder = TinyDBStore(path)
    with holder.locked():
        for other in other_paths(path):
            with pytest.raises(StoreError, match="正被其他程序写入"):
                with TinyDBStore(other, timeout=0.1).locked():
                    pass
    with TinyDBStore(tmp_path / "link.json", timeout=0.1).locked():  # free again
        pass
    # no lock file beside the register (its sidecar index aside: store.sidecar)
    names = sorted(p.name for p in tmp_path.iterdir() if ".index" not in p.name)
    assert names == ["hard.json", "link.json", "register.json"]


def test_a_writer_that_waited_on_a_file_since_replaced_locks_the_new_one(tmp_path):
    path = tmp_path / "register.json"
    fill(TinyDBStore(path))
    first, second = TinyDBStore(path), TinyDBStore(path)
    with first.locked():
        replacement = tmp_path / "new.json"
        TinyDBStore(replacement).append("Q", 0, [rec("Q", 1)])
        os.replace(replacement, path)
        with second.locked():  # the old inode is still locked, the path names a new one
            second.append("Q", 1, [rec("Q", 2)])
    assert [r["seq"] for r in TinyDBStore(path).history("Q")] == [1, 2]


def _issue_and_notify(path: str, year: int, count: int, start: multiprocessing.Event) -> None:
    import datetime as dt

    from contracts.amounts import parse_amount
    from contracts.dates import SHANGHAI, DeliveryMethod
    from contracts.events import NoticeKind
    from service import register
    from service.generate import AgreementRequest
    from service.sources import load_profile
    from tests.conftest import make_customer

    profile, store = load_profile(), open_store(path)
    request = AgreementRequest(make_customer("individual"), parse_amount("12800", "annual_fee"), None)
    start.wait()
    for _ in range(count):
        with store.locked():  # allocate-then-append, as issue does
            contract_no = register.next_contract_no(store, profile.number_prefix, year)
            register.record_issued(store, profile, contract_no, request, dt.date(year, 1, 5), [])
        register.send_notice(store, profile, contract_no, register.NoticeRequest(
            NoticeKind.OTHER, DeliveryMethod.EMAIL, dt.datetime(year, 1, 6, 9, tzinfo=SHANGHAI)))


@pytest.mark.slow
def test_eight_processes_through_three_paths_give_no_number_twice(tmp_path, profile):
    from service import register

    path = tmp_path / "register.json"
    path.touch()  # a hard link needs a file to link to
    paths = [path, *other_paths(path)[:2]]  # the file, a symlink, a hard link
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [context.Process(target=_issue_and_notify, args=(str(paths[i % 3]), 2026, 6, start))
               for i in range(8)]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(180)
        assert worker.exitcode == 0
    store = open_store(path)
    issued = [no for no in store.contract_numbers() if no.startswith("VIP-2026-")]
    assert issued == [f"VIP-2026-{n:06d}" for n in range(1, 49)]
    ids = sorted(r["data"]["notice_id"] for r in store.find("notice_sent"))
    assert ids == [f"N-{n:06d}" for n in range(1, 49)]
    assert all(len(store.history(no)) == 2 for no in issued)
    assert register.check(store, profile).ok
    assert store.head().position == 1 + 96


def test_a_file_cut_short_under_a_writer_is_read_anew_never_written_from_memory(tmp_path):
    """Cut by someone else between this writer's read and its append (a copy put back over it):
    the writer reads the file again under the lock, so what it remembered is never appended
    to or numbered from; the cut itself is for a head kept outside the file to show."""
    path = tmp_path / "register.json"
    fill(TinyDBStore(path))
    writer = TinyDBStore(path)
    assert [r["seq"] for r in writer.history("A")] == [1, 2]
    data = path.read_bytes()
    with open(path, "r+b") as fh:  # in place: the same file, A's second event gone
        fh.truncate(data.rindex(b"\n", 0, len(data) - 1) + 1)
    cut = path.read_bytes()
    with pytest.raises(StoreError, match="合同 A 的记录已被其他操作更新（应为第 2 条，实为第 1 条）"):
        writer.append("A", 2, [rec("A", 3)])
    assert path.read_bytes() == cut
    writer.append("A", 1, [rec("A", 2, note="again")])  # on from what the file now holds
    assert [r["data"].get("note") for r in TinyDBStore(path).history("A")] == ["张三", "again"]


def test_a_device_or_pipe_is_not_a_register(tmp_path):
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    for path in (Path("/dev/null"), pipe):
        store = TinyDBStore(path, timeout=0.1)
        with pytest.raises(StoreError, match="不是普通文件"):
            store.history("A")
        with pytest.raises(StoreError, match="不是普通文件"):
            store.append("A", 0, [rec("A", 1)])


def test_histories_of_reads_the_contracts_asked_for_in_number_order(any_store):  # noqa: F811
    fill(any_store)
    found = list(any_store.histories_of(["B", "nobody", "A", "B"]))
    assert found == [("A", any_store.history("A")), ("B", any_store.history("B"))]
    assert [r["seq"] for r in found[0][1]] == [1, 2]
    assert list(any_store.histories_of([])) == []
    found[0][1][0]["data"]["note"] = "改"  # the caller's own copy
    assert any_store.history("A")[0]["data"]["note"] == "张三"
