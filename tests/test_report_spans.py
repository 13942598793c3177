"""The reports and `list --status` read only the contracts the spans of their summaries pick
(contracts/report_spans.py, the sidecar's and PostgreSQL's index of them): on an office's register
(payments on their due dates, some in arrears, amended, with notices; the bench's generator, a
few histories recorded out of the order of their dates) every report and every status list from
the summaries is the one from a replay of every history, on as-of dates before, during and after
the contracts, on leap days and month ends, with and without periods; an upgrade from schema 2
drops the summaries made without spans."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import sys
from pathlib import Path

import pytest

from contracts.errors import ContractError
from contracts.register import Status, replay
from contracts.register_views import register_report
from contracts.report_spans import RECEIVABLES, report_spans
from service import reports as S
from service.register import events_of
from store import TinyDBStore

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import bench_register as B  # noqa: E402  (the bench's generator of registers)

D = dt.date.fromisoformat
CONTRACTS = 240
SHUFFLED = range(CONTRACTS + 1, CONTRACTS + 13)  # histories recorded out of the order of their dates
AS_OF_DATES = (D("2021-06-15"), D("2023-02-28"), D("2024-02-29"), D("2024-03-01"), D("2025-12-31"),
               D("2026-01-31"), D("2026-04-30"), B.AS_OF, D("2028-02-29"), D("2031-12-31"))
FILTERS = {
    "expiring": [{}, {"within": 400}],
    "renewals": [{}],
    "amendments": [{}, {"date_from": D("2022-01-01"), "date_to": D("2023-12-31")}],
    "notices": [{}, {"pending": True}],
    "deadlines": [{}, {"date_from": D("2024-02-29"), "date_to": D("2024-03-31")}],
    "receivables": [{}],
}


def shuffled_history(i: int) -> list[dict]:
    """Contract i's events with all but the first recorded in another order than their dates."""
    first, *rest = B.bodies(i)
    random.Random(i).shuffle(rest)
    return B.sealed(i, [first, *rest])


@pytest.fixture(scope="module")
def office(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("office") / "register.json"
    B.write_bulk(path, CONTRACTS)
    store = TinyDBStore(path)
    try:
        for i in SHUFFLED:
            for seq, record in enumerate(shuffled_history(i)):
                store.append(record["contract_no"], seq, [record])
    finally:
        store.close()
    return path


@pytest.fixture(scope="module")
def bench_profile():
    from service.sources import load_profile

    return load_profile(B.BENCH_PROFILE)


def json_of(report) -> bytes:
    return S.render(dataclasses.replace(report, register_head=None), "json")


def replayed(path: Path, profile) -> list:
    store = TinyDBStore(path)
    try:
        return S.load_states(store, profile)
    finally:
        store.close()


def expected_and_got(store, states, profile, name, as_of, filters, known: dict | None = None
                     ) -> tuple[bytes | type, bytes | type]:
    """(the report from replay, the report from the store); `known`: replayed reports already made."""
    key = (name, as_of, tuple(sorted(filters.items())))
    if known is not None and key in known:
        expected: bytes | type = known[key]
    else:
        try:
            expected = json_of(S.build_report(name, states, as_of, profile, **filters))
        except ContractError as exc:
            expected = type(exc)
        if known is not None:
            known[key] = expected
    try:
        got: bytes | type = json_of(S.report_from_store(store, profile, name, as_of, **filters))
    except ContractError as exc:
        got = type(exc)
    return expected, got


def compare_everything(store, states, profile, dates=AS_OF_DATES, known: dict | None = None) -> int:
    """Every report and status list on every date, from the summaries against the replay: the
    rows compared (the test is not of empty reports only). `known`: what the replay gave in an
    earlier round on the same states (the store's side is read again every round)."""
    known = {} if known is None else known
    rows = 0
    for as_of in dates:
        for name, filter_sets in FILTERS.items():
            for filters in filter_sets:
                expected, got = expected_and_got(store, states, profile, name, as_of, filters, known)
                assert got == expected, (name, as_of, filters)
                rows += expected.count(b'"contract_no"') if isinstance(expected, bytes) else 0
        for status in Status:
            if ("list", as_of, status) not in known:
                known["list", as_of, status] = json_of(register_report(states, as_of, profile, status=status))
            expected_list = known["list", as_of, status]
            got_list = json_of(S.register_from_store(store, profile, as_of, status=status))
            assert got_list == expected_list, (status, as_of)
    return rows


def test_the_office_register_replays_and_has_every_kind_of_contract(office, bench_profile):
    states = replayed(office, bench_profile)
    assert len(states) == CONTRACTS + len(SHUFFLED)
    assert sum(1 for s in states if s.amendments) >= CONTRACTS // 10
    assert sum(1 for s in states if s.notices) >= CONTRACTS // 5
    receivables = S.build_report("receivables", states, B.AS_OF, bench_profile)
    in_arrears = {r["contract_no"] for r in receivables.rows}
    assert CONTRACTS // 20 <= len(in_arrears) <= CONTRACTS // 5  # a minority owes


def test_every_report_and_status_list_from_the_spans_is_the_one_from_replay(office, bench_profile):
    states = replayed(office, bench_profile)
    store = TinyDBStore(office)
    try:
        replay: dict = {}
        for _round in ("rebuilt", "kept"):  # the first read puts the summaries in the sidecar
            assert compare_everything(store, states, bench_profile, known=replay) > 1000
    finally:
        store.close()


def test_a_report_reads_only_the_contracts_its_spans_pick(office, bench_profile, monkeypatch):
    """The receivables on AS_OF are read from a minority of the summaries, not every one."""
    import contracts.summary as summary

    store = TinyDBStore(office)
    decoded: list[str] = []
    real = summary.state_of
    monkeypatch.setattr("service.summaries.state_of", lambda s: decoded.append(s.contract_no) or real(s))
    try:
        S.report_from_store(store, bench_profile, "receivables", B.AS_OF)  # summaries in place
        decoded.clear()
        report = S.report_from_store(store, bench_profile, "receivables", B.AS_OF)
    finally:
        store.close()
    listed = {r["contract_no"] for r in report.rows}
    assert listed <= set(decoded) and len(decoded) < CONTRACTS // 4


def test_a_year_paid_in_full_leaves_the_receivables_the_day_it_was_paid(bench_profile):
    paid_up = next(i for i in range(1, 100) if not B.in_arrears(i) and not B.is_amended(i))
    state = replay(events_of(B.history(paid_up)), bench_profile)
    spans = report_spans(state, None)[RECEIVABLES]
    last_payment = max(p.on for p in state.payments)
    assert all(last is not None and last < last_payment for _first, last in spans)
    owing = next(i for i in range(1, 100) if B.in_arrears(i))
    state = replay(events_of(B.history(owing)), bench_profile)
    assert any(last is None for _first, last in report_spans(state, None)[RECEIVABLES])


def test_a_tampered_span_row_cannot_hide_a_contract_whose_summary_is_tampered(office, bench_profile, tmp_path):
    """Spans are kept with their summary under its key: a summary that no longer fits is read
    whatever its spans say, and rebuilt."""
    import sqlite3

    from store.sidecar import sidecar_path

    path = tmp_path / "register.json"
    path.write_bytes(office.read_bytes())
    states = replayed(path, bench_profile)
    store = TinyDBStore(path)
    try:
        expected = json_of(S.build_report("receivables", states, B.AS_OF, bench_profile))
        assert json_of(S.report_from_store(store, bench_profile, "receivables", B.AS_OF)) == expected
        owing = json_of(S.build_report("receivables", states, B.AS_OF, bench_profile)).decode()
        victim = next(s.contract_no for s in states if s.contract_no in owing)
        with sqlite3.connect(sidecar_path(path)) as db:
            db.execute("DELETE FROM spans WHERE contract_no = ?", (victim,))
            db.execute("UPDATE contracts SET sum_hash = 'x' WHERE contract_no = ?", (victim,))
        store.close()
        store = TinyDBStore(path)
        assert json_of(S.report_from_store(store, bench_profile, "receivables", B.AS_OF)) == expected
    finally:
        store.close()


def test_the_postgresql_register_picks_by_its_spans_as_the_replay_lists(office, bench_profile, pg_url):
    from service.copy import append_line
    from store import open_store

    source, server = TinyDBStore(office), open_store(pg_url)
    try:
        for line in source.journal().lines:  # the records without their summaries: the first round rebuilds
            append_line(server, line)
        states = replayed(office, bench_profile)
        dates = (D("2024-02-29"), D("2026-01-31"), B.AS_OF, D("2031-12-31"))
        replay: dict = {}
        for _round in ("rebuilt", "kept"):
            assert compare_everything(server, states, bench_profile, dates, replay) > 300
    finally:
        source.close()
        server.close()


def test_an_upgrade_from_schema_2_drops_the_summaries_made_without_spans(pg_server, pg_bare_database, office,
                                                                         bench_profile):
    """A schema-2 register whose summaries fit their contracts but have no spans: after `db
    upgrade` they are gone (rebuilt by the next reader), and the reports are those of a replay."""
    import psycopg

    from service.copy import copy_register
    from store import open_store, postgres

    url = pg_server.admin_url(pg_bare_database)
    with psycopg.connect(pg_server.dsn(pg_bare_database), autocommit=True) as conn:
        conn.execute(postgres.SCHEMA_V1)
        for version in (2, 3):
            conn.execute(postgres.UPGRADES[version])
            conn.execute("INSERT INTO vipcontract.schema_version (version) VALUES (%s)", (version,))
    source, server = TinyDBStore(office), open_store(url)
    try:
        copy_register(source, server)
        states = replayed(office, bench_profile)
        S.report_from_store(server, bench_profile, "receivables", B.AS_OF)  # summaries with spans, kept
    finally:
        source.close()
        server.close()
    with psycopg.connect(pg_server.dsn(pg_bare_database), autocommit=True) as conn:
        # back to schema 2 as it was: no spans table, and summaries without spans under their keys
        conn.execute("DROP TABLE vipcontract.summary_spans")
        conn.execute("DELETE FROM vipcontract.schema_version WHERE version = 3")
        conn.execute("UPDATE vipcontract.summaries SET body = ((body::jsonb - 'spans')"
                     " || '{\"version\": 1}'::jsonb)::json")
        (kept,) = conn.execute("SELECT count(*) FROM vipcontract.summaries").fetchone()
    assert kept == len(states)
    from click.testing import CliRunner

    from cli import main

    upgraded = CliRunner().invoke(main, ["--db", url, "db", "upgrade"])
    assert (upgraded.exit_code, upgraded.output) == (0, f"{url} 的登记簿已由结构版本 2 升级到 3\n")
    server = open_store(url)
    try:
        assert all(summary is None for _no, summary in server.summaries())
        assert compare_everything(server, states, bench_profile, (B.AS_OF,)) > 100
        assert all(summary is not None for _no, summary in server.summaries())
    finally:
        server.close()
