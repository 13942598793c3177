"""Writes to the embedded register that take the seq, the head and the next numbers from the
sidecar index instead of reading the journal (store.tinydb_store: TinyDBStore._append_indexed,
next_number), and fall back to the journal when the sidecar is stale, missing or tampered with:
the write gets the same seq, notice number and chain either way, and `check` finds the register
intact."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from contracts.dates import DeliveryMethod
from contracts.events import NoticeKind
from service import register as R
from store import TinyDBStore
from store.sidecar import sidecar_path
from tests.test_reports import AS_OF, B, C, at, profile, register_path  # noqa: F401  (fixtures)


@pytest.fixture
def db(register_path, tmp_path):  # noqa: F811
    copy = tmp_path / "register.json"
    shutil.copy(register_path, copy)
    return copy


def expected(db) -> tuple[str, int]:
    """The next notice id and C's next seq, as a store that reads the whole journal gives them."""
    store = TinyDBStore(db)
    store._sidecar.off = True
    try:
        return R.next_notice_id(store), len(store.history(C)) + 1
    finally:
        store.close()


def send(db, profile, contract_no: str = C) -> tuple[str, int, bool]:  # noqa: F811
    """A notice sent from a fresh open: its id, its seq, and whether the journal was read."""
    store = TinyDBStore(db)
    try:
        recorded = R.send_notice(store, profile, contract_no,
                                 R.NoticeRequest(NoticeKind.OTHER, DeliveryMethod.EMAIL, at("2026-11-20")),
                                 now=at("2026-11-20"))
        return recorded.event.body.notice_id, recorded.event.seq, store._storage._offset > 0
    finally:
        store.close()


def intact(db, profile) -> bool:  # noqa: F811
    store = TinyDBStore(db)
    try:
        return R.check(store, profile).ok
    finally:
        store.close()


def sql(db, statement: str) -> None:
    with sqlite3.connect(sidecar_path(db)) as conn:
        conn.execute(statement)


def test_a_write_in_step_with_the_sidecar_reads_no_journal(db, profile):  # noqa: F811
    send(db, profile, B)  # brings the sidecar up to the journal
    wanted = expected(db)
    notice_id, seq, read = send(db, profile)
    assert (notice_id, seq) == wanted and not read
    assert expected(db) == (f"N-{int(notice_id[2:]) + 1:06d}", seq + 1)
    assert intact(db, profile)


@pytest.mark.parametrize("spoil", [
    "stale",            # lines appended by a writer whose sidecar was off
    "missing",          # the sidecar deleted
    "tail",             # the hash of the last line it covers changed
    "last seq",         # the contract's last seq lowered: the contract's lines say otherwise
    "offset",           # a line of the contract moved
    "unreadable",       # not a database
])
def test_a_stale_missing_or_tampered_sidecar_still_gives_the_right_numbers(db, profile, spoil):  # noqa: F811
    send(db, profile, B)
    if spoil == "stale":
        store = TinyDBStore(db)
        store._sidecar.off = True
        try:
            R.send_notice(store, profile, C, R.NoticeRequest(NoticeKind.OTHER, DeliveryMethod.EMAIL,
                                                             at("2026-11-19")), now=at("2026-11-19"))
        finally:
            store.close()
    elif spoil == "missing":
        sidecar_path(db).unlink()
    elif spoil == "tail":
        sql(db, "UPDATE meta SET value = '00' WHERE key = 'tail_sha'")
    elif spoil == "last seq":
        sql(db, f"UPDATE contracts SET last_seq = last_seq - 1 WHERE contract_no = '{C}'")
    elif spoil == "offset":
        sql(db, f"UPDATE lines SET offset = offset + 1 WHERE contract_no = '{C}' AND offset = "
                f"(SELECT max(offset) FROM lines WHERE contract_no = '{C}')")
    else:
        sidecar_path(db).write_bytes(b"not a database" * 100)
    wanted = expected(db)
    notice_id, seq, _read = send(db, profile)
    assert (notice_id, seq) == wanted
    assert intact(db, profile)
    notice_id, seq, read = send(db, profile)  # the sidecar is in step again
    assert (notice_id, seq) == (f"N-{int(wanted[0][2:]) + 1:06d}", wanted[1] + 1) and not read


def test_a_store_opened_before_another_wrote_is_refused_not_written_over(db, profile):  # noqa: F811
    from store import ConflictError

    send(db, profile, B)
    first = TinyDBStore(db)
    try:
        records = first.history(C)  # read by offset: the journal is not read
        send(db, profile)  # another writer gets there first
        with pytest.raises(ConflictError):
            first.append(C, len(records), [dict(records[-1], seq=len(records) + 1)])
    finally:
        first.close()
    assert intact(db, profile)


def test_a_sync_that_waited_does_not_take_the_sidecar_back_behind_a_writer(db, profile, monkeypatch):  # noqa: F811
    """A store that looked at the journal's size, then waited for the sidecar while another store
    wrote and synced it further, brings it up to the journal as it is now, not back to the size it
    saw (the writer, sure the sidecar was in step, would have drafted from lines it no longer had)."""
    import os

    send(db, profile, B)
    size_before = os.stat(db)  # what the waiting store saw
    writer = TinyDBStore(db)
    try:
        R.send_notice(writer, profile, C, R.NoticeRequest(NoticeKind.OTHER, DeliveryMethod.EMAIL,
                                                          at("2026-11-19")), now=at("2026-11-19"))
        real_stat, stale = os.stat, [size_before]
        monkeypatch.setattr(os, "stat", lambda path, *a, **k: stale.pop() if stale and str(path) == str(db)
                            else real_stat(path, *a, **k))
        waited = TinyDBStore(db)
        try:
            assert waited._sidecar.sync() and not stale
        finally:
            waited.close()
        monkeypatch.undo()
        assert waited._sidecar.tail()[0] == os.stat(db).st_size  # not back to the size it first saw
        records = writer.history(C)  # the writer trusts the sidecar it synced (the file has not grown)
        assert records[-1]["kind"] == "notice_sent" and len(records) == expected(db)[1] - 1
    finally:
        writer.close()
    notice_id, seq, read = send(db, profile)
    assert (notice_id, seq) == (notice_id, len(records) + 1) and not read
    assert intact(db, profile)


def test_the_highest_number_of_a_series_whatever_its_length_or_zeros(db, profile):  # noqa: F811
    from store.base import series_number
    from store.sidecar import Sidecar

    send(db, profile, B)
    sidecar = Sidecar(db, lambda _line: True)
    try:
        assert sidecar.sync()
        base = sidecar.highest("notice", "N-")
        assert base == int(expected(db)[0][2:]) - 1
        for ids, highest in ((["N-0999999", "N-000998"], 999999), (["N-1000000"], 1000000),
                             (["N-00001000001", "N-x9999999", "N-12a99999999"], 1000001)):
            sql(db, "INSERT INTO notices VALUES " + ", ".join(f"('{i}', '{C}')" for i in ids))
            sql(db, "INSERT INTO numbers VALUES " + ", ".join(
                f"('notice', '{i.rstrip('0123456789')}', {int(i[len(i.rstrip('0123456789')):])}, '{i}')" for i in ids))
            sidecar.close()
            assert sidecar.highest("notice", "N-") == highest
            with sqlite3.connect(sidecar_path(db)) as conn:  # a prefix ending in a digit: the ids scanned
                ids_now = [row[0] for row in conn.execute("SELECT notice_id FROM notices")]
            assert sidecar.highest("notice", "N-0") == max(
                (n for i in ids_now if (n := series_number(i, "N-0")) is not None), default=0)
        assert sidecar.highest("contract", "VIP-2026-") == 1
    finally:
        sidecar.close()
