"""Summaries and the sidecar index (contracts/summary.py, store/sidecar.py, service/summaries.py):
`list`, `find` and every report built from the summaries give the same output as from a replay of
every history, on several as-of dates; a stale, tampered or unreadable sidecar is rebuilt from the
journal, never an error; `show` of one contract reads only that contract's lines."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
import zlib
from pathlib import Path

import orjson
import pytest

from contracts.errors import NotFound
from contracts.register import Status, replay
from contracts.register_views import find_report, register_report
from contracts.summary import ContractSummary, state_of, summarize
from service import register as R
from service import reports as S
from store import MemoryStore, TinyDBStore
from store.sidecar import sidecar_path
from tests.test_register_fixtures import any_store  # noqa: F401 (fixture)
from tests.test_reports import AS_OF, DD, A, fake_render, fill_register, register_path  # noqa: F401

D = dt.date.fromisoformat
# before any contract, mid-way (later facts hidden by list), the fixture's day, and later
AS_OF_DATES = (D("2021-11-01"), D("2022-06-30"), D("2026-06-04"), AS_OF, D("2027-01-20"), D("2031-12-01"))
REPORT_FILTERS = {
    "expiring": [{}, {"within": 400}, {"within": 3000}],
    "renewals": [{}, {"date_from": D("2026-01-01"), "date_to": D("2026-12-31")}],
    "amendments": [{}, {"contract": DD}, {"contract": A}],
    "notices": [{}, {"pending": True}],
    "deadlines": [{}, {"date_from": D("2021-01-01"), "date_to": D("2032-12-31")}],
    "receivables": [{}],
}


@pytest.fixture(scope="module")
def register_file(register_path) -> Path:  # noqa: F811 (the fixture imported above)
    """The reports tests' register (tests.test_reports), built once for this module."""
    return register_path


def replayed_states(path: Path, profile):
    store = TinyDBStore(path)
    try:
        return S.load_states(store, profile)
    finally:
        store.close()


def from_summaries(path: Path, fn):
    store = TinyDBStore(path)
    try:
        return fn(store)
    finally:
        store.close()


def json_of(report) -> bytes:
    return S.render(dataclasses.replace(report, register_head=None), "json")


def test_a_summary_gives_back_the_replayed_state_without_events_or_file_hashes(register_file, profile):
    for state in replayed_states(register_file, profile):
        summary = summarize(state)
        stored = orjson.loads(orjson.dumps(summary.to_dict()))
        back = state_of(ContractSummary.from_dict(stored))
        assert back.events == () and back.contract_no == state.contract_no
        assert (summary.last_seq, summary.last_hash) == (state.last_seq, state.last_hash)
        for field in ("signed", "terms", "bindings", "terminated", "voided", "payments", "retracted"):
            assert getattr(back, field) == getattr(state, field), field
        assert back.issued.customer == state.issued.customer and back.issued.files == ()
        assert [n.sent.notice_id for n in back.notices] == [n.sent.notice_id for n in state.notices]


@pytest.mark.parametrize("name", list(REPORT_FILTERS))
def test_every_report_from_summaries_is_the_report_from_replay(register_file, profile, name):
    states = replayed_states(register_file, profile)
    compared = 0
    for as_of in AS_OF_DATES:
        for filters in REPORT_FILTERS[name]:
            try:
                expected = json_of(S.build_report(name, states, as_of, profile, **filters))
            except NotFound:
                with pytest.raises(NotFound):
                    from_summaries(register_file, lambda s, a=as_of, f=filters: S.report_from_store(
                        s, profile, name, a, **f))
                continue
            got = from_summaries(register_file, lambda s, a=as_of, f=filters: S.report_from_store(
                s, profile, name, a, **f))
            assert json_of(got) == expected, (name, as_of, filters)
            compared += 1
    assert compared >= len(AS_OF_DATES)


def test_list_and_find_from_summaries_are_those_from_replay(register_file, profile):
    states = replayed_states(register_file, profile)
    for as_of in AS_OF_DATES:
        expected = json_of(register_report(states, as_of, profile))
        got = from_summaries(register_file, lambda s, a=as_of: S.register_from_store(s, profile, a))
        assert json_of(got) == expected, as_of
        for query in ("张三", "王芳", "1380000", "VIP-2025"):
            expected = json_of(find_report(states, query, as_of, profile))
            got = from_summaries(register_file, lambda s, a=as_of, q=query: S.find_in_store(s, profile, q, a))
            assert json_of(got) == expected, (as_of, query)


def test_list_of_each_status_from_summaries_is_the_list_from_replay(register_file, profile):
    states = replayed_states(register_file, profile)
    listed = 0
    for as_of in AS_OF_DATES:
        for status in Status:
            expected = register_report(states, as_of, profile, status=status)
            got = from_summaries(register_file, lambda s, a=as_of, w=status: S.register_from_store(s, profile, a,
                                                                                                   status=w))
            assert json_of(got) == json_of(expected), (as_of, status)
            listed += len(got.rows)
    assert listed >= 10


def test_every_append_keeps_a_summary_that_fits(register_file, profile):
    store = TinyDBStore(register_file)
    try:
        found = dict(store.summaries())
    finally:
        store.close()
    for state in replayed_states(register_file, profile):
        assert found[state.contract_no] == summarize(state).to_dict()


def copy_register(source: Path, tmp_path: Path) -> Path:
    target = tmp_path / "register.json"
    target.write_bytes(source.read_bytes())
    return target


def list_json(path: Path, profile) -> bytes:
    return json_of(from_summaries(path, lambda s: S.register_from_store(s, profile, AS_OF)))


def test_a_tampered_summary_is_not_used_and_is_rebuilt_by_replay(register_file, profile, tmp_path):
    path = copy_register(register_file, tmp_path)
    expected = list_json(path, profile)
    with sqlite3.connect(sidecar_path(path)) as db:
        blob, = db.execute("SELECT summary FROM summaries WHERE contract_no = ?", (DD,)).fetchone()
        forged = orjson.loads(zlib.decompress(blob))
        forged["state"]["issued"]["customer"]["name"] = "冒名"
        forged["last_hash"] = "0" * 64  # a copy of another history's summary
        db.execute("UPDATE summaries SET summary = ? WHERE contract_no = ?", (zlib.compress(orjson.dumps(forged)), DD))
    assert list_json(path, profile) == expected
    assert "冒名" not in expected.decode()
    store = TinyDBStore(path)
    try:  # the reader put the rebuilt summary back
        assert dict(store.summaries())[DD] == summarize(replay(R.events_of(store.history(DD)))).to_dict()
    finally:
        store.close()


def test_an_unreadable_sidecar_is_set_aside_and_rebuilt(register_file, profile, tmp_path):
    path = copy_register(register_file, tmp_path)
    expected = list_json(path, profile)
    sidecar_path(path).write_bytes(b"not a database at all" * 100)
    for extra in tmp_path.glob("register.json.index-*"):
        extra.unlink()
    assert list_json(path, profile) == expected
    assert [p.name for p in tmp_path.glob("register.json.index.bad-*")]  # set aside, not deleted
    with sqlite3.connect(sidecar_path(path)) as db:  # and built again from the journal
        assert db.execute("SELECT count(*) FROM contracts").fetchone()[0] == 5


def test_a_sidecar_of_another_journal_is_not_used(register_file, profile, tmp_path):
    path = copy_register(register_file, tmp_path)
    expected = list_json(path, profile)
    other = tmp_path / "other"
    other.mkdir()
    shorter = other / "register.json"
    lines = path.read_bytes().splitlines(keepends=True)
    shorter.write_bytes(b"".join(lines[:8]))  # the same register cut short (a restored copy)
    sidecar_path(shorter).write_bytes(sidecar_path(path).read_bytes())
    cut = from_summaries(shorter, lambda s: S.register_from_store(s, profile, AS_OF))
    full = replayed_states(shorter, profile)
    assert json_of(cut) == json_of(register_report(full, AS_OF, profile))
    assert json_of(cut) != expected


def test_lines_appended_without_the_sidecar_are_read_in(register_file, profile, tmp_path):
    path = copy_register(register_file, tmp_path)
    list_json(path, profile)
    with sqlite3.connect(sidecar_path(path)) as db:
        covered = db.execute("SELECT value FROM meta WHERE key = 'size'").fetchone()[0]
    store = TinyDBStore(path)  # a writer whose sidecar is off (an older program, say)
    store._sidecar.off = True
    try:
        R.void(store, profile, "VIP-2026-000001", D("2026-11-20"), now=dt.datetime(2026, 11, 24, 10, tzinfo=dt.UTC))
    finally:
        store.close()
    assert path.stat().st_size > covered
    got = list_json(path, profile)
    assert json_of(register_report(replayed_states(path, profile), AS_OF, profile)) == got
    assert "已作废" in got.decode()


def test_show_reads_only_that_contracts_lines(register_file, profile, tmp_path, monkeypatch):
    path = copy_register(register_file, tmp_path)
    list_json(path, profile)  # the sidecar is up to date
    store = TinyDBStore(path)
    try:
        expected = R.show(store, profile, DD, AS_OF)
    finally:
        store.close()
    from store.tinydb_store import JournalStorage

    def no_whole_read(self, size):
        raise AssertionError("the whole journal was read")

    monkeypatch.setattr(JournalStorage, "_consume", no_whole_read)
    store = TinyDBStore(path)
    try:
        assert R.show(store, profile, DD, AS_OF) == expected
        assert store.head() is not None
    finally:
        store.close()


def test_the_memory_store_hands_out_only_summaries_that_fit(profile, tmp_path):
    with pytest.MonkeyPatch.context() as patch:
        import service.output

        patch.setattr(service.output, "render_to", fake_render)
        store = MemoryStore()
        fill_register(store, profile, tmp_path)
    found = dict(store.summaries())
    assert all(found.values()) and len(found) == 5
    stale = {**found[DD], "last_seq": 1}
    store.put_summaries([(DD, stale)])  # not its last record: ignored
    assert dict(store.summaries())[DD] == found[DD]
    window = dict(store.summaries(D("2026-11-25"), D("2026-11-25")))
    assert list(window) == [A]


def test_check_finds_a_summary_that_disagrees_with_the_replay_and_rebuilds_it(register_file, profile, tmp_path):
    path = copy_register(register_file, tmp_path)
    list_json(path, profile)
    with sqlite3.connect(sidecar_path(path)) as db:
        blob, = db.execute("SELECT summary FROM summaries WHERE contract_no = ?", (A,)).fetchone()
        forged = orjson.loads(zlib.decompress(blob))
        forged["state"]["issued"]["annual_fee"] = "1.00"  # the key kept: only check can tell
        db.execute("UPDATE summaries SET summary = ? WHERE contract_no = ?", (zlib.compress(orjson.dumps(forged)), A))
    store = TinyDBStore(path)
    try:
        report = R.check(store, profile)
        assert [p.field for p in report.problems] == [A]
        assert "摘要" in report.problems[0].message
    finally:
        store.close()
    store = TinyDBStore(path)
    try:
        assert R.check(store, profile).ok
    finally:
        store.close()


def test_the_sidecar_is_private_like_the_register(register_file, profile, tmp_path):
    import stat

    path = copy_register(register_file, tmp_path)
    store = TinyDBStore(path)
    try:
        assert dict(store.summaries())  # built, and held open
        files = list(tmp_path.glob("register.json.index*"))
        assert files
        assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files), files
    finally:
        store.close()


def test_the_sidecar_read_in_small_blocks_is_the_same(register_file, profile, tmp_path, monkeypatch):
    import store.sidecar

    path = copy_register(register_file, tmp_path)
    expected = list_json(path, profile)
    with sqlite3.connect(sidecar_path(path)) as db:
        whole = db.execute("SELECT contract_no, offset, length FROM lines ORDER BY offset").fetchall()
    sidecar_path(path).unlink()
    monkeypatch.setattr(store.sidecar, "BLOCK", 300)  # lines longer than a block, lines across blocks
    assert list_json(path, profile) == expected
    with sqlite3.connect(sidecar_path(path)) as db:
        assert db.execute("SELECT contract_no, offset, length FROM lines ORDER BY offset").fetchall() == whole


def test_a_sidecar_failing_half_way_is_left_for_the_journal(register_file, profile, tmp_path, monkeypatch):
    import store.sidecar

    path = copy_register(register_file, tmp_path)
    expected = list_json(path, profile)
    real = store.sidecar.Sidecar.summaries

    def failing(self, first, last):
        for number, item in enumerate(real(self, first, last)):
            if number == 2:
                raise sqlite3.OperationalError("disk I/O error")
            yield item

    monkeypatch.setattr(store.sidecar.Sidecar, "summaries", failing)
    assert list_json(path, profile) == expected  # every contract once, the rest replayed


def test_the_postgresql_register_reports_from_its_summaries_as_from_replay(register_file, profile, pg_url):
    """The same register's appends made in PostgreSQL without their summaries (as an older
    program, or a load, leaves them): the first report rebuilds them and writes them back; the
    second reads them (and the expiring window by the term last days' index). Both equal the
    replay of every history."""
    from service.copy import append_line
    from store import open_store

    source, server = TinyDBStore(register_file), open_store(pg_url)
    try:
        for line in source.journal().lines:
            append_line(server, line)
        assert all(summary is None for _no, summary in server.summaries())
        states = replayed_states(register_file, profile)
        for round_ in ("rebuilt", "kept"):
            for name, filters in (("expiring", {"within": 3000}), ("receivables", {}), ("notices", {})):
                expected = json_of(S.build_report(name, states, AS_OF, profile, **filters))
                got = json_of(S.report_from_store(server, profile, name, AS_OF, **filters))
                assert got == expected, (round_, name)
            listed = json_of(S.register_from_store(server, profile, AS_OF))
            assert listed == json_of(register_report(states, AS_OF, profile)), round_
        kept = dict(server.summaries())
        assert len(kept) == 5 and all(kept.values())
        assert list(dict(server.summaries(D("2026-11-25"), D("2026-11-25")))) == [A]
    finally:
        source.close()
        server.close()


def test_contracts_without_a_summary_are_rebuilt_from_histories_read_together(
        any_store, register_file, profile, monkeypatch):  # noqa: F811
    """A register whose appends carry no summary (an older program, a load, an upgrade): the
    first reader reads the histories it needs a few contracts at a time through histories_of,
    never one by one, gives what a replay gives, and puts every summary back."""
    import service.summaries
    from service.copy import append_line

    source = TinyDBStore(register_file)
    try:
        for line in source.journal().lines:
            append_line(any_store, line)  # the records alone
    finally:
        source.close()
    assert all(summary is None for _no, summary in any_store.summaries())
    monkeypatch.setattr(service.summaries, "FETCH_BATCH", 2)
    monkeypatch.setattr(service.summaries, "WRITE_BACK", 3)
    read_together: list[list[str]] = []
    histories_of = any_store.histories_of

    def counted(numbers):
        read_together.append(list(numbers))
        return histories_of(read_together[-1])

    def one_by_one(contract_no):
        raise AssertionError(f"history of {contract_no} read on its own")

    monkeypatch.setattr(any_store, "histories_of", counted)
    monkeypatch.setattr(any_store, "history", one_by_one)
    states = replayed_states(register_file, profile)
    for as_of in (AS_OF, D("2022-06-30")):  # the second: summaries that do not stand on it, replayed
        expected = json_of(register_report(states, as_of, profile))
        assert json_of(S.register_from_store(any_store, profile, as_of)) == expected, as_of
    assert [len(numbers) for numbers in read_together[:3]] == [2, 2, 1]
    assert all(len(numbers) <= 2 for numbers in read_together)
    monkeypatch.undo()
    kept = dict(any_store.summaries())
    assert len(kept) == 5
    for state in states:
        assert kept[state.contract_no] == summarize(state).to_dict()
