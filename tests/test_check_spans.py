"""`check` compares the span rows a store picks each contract by for reports (the sidecar's `spans`
table, PostgreSQL's `summary_spans`) with the spans of the summary it replays: rows deleted, added
or moved are reported, written again with the summary, and a second `check` is clean; the report
the rows had hidden a contract from lists it again."""

from __future__ import annotations

import dataclasses
import sqlite3
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from service import register as R
from service import reports as S
from store import MemoryStore, Store, TinyDBStore, open_store
from store.base import summary_span_text
from store.sidecar import sidecar_path
from tests.test_reports import AS_OF, DD, A, B, C, E, fill_register, register_path  # noqa: F401

TAMPERS = ("deleted", "added", "moved")
HIDING = ("deleted", "moved")  # what takes the contract out of the expiring report
SPAN_MESSAGE = "报表日期区间"
ALL = (A, B, C, DD, E)


@dataclasses.dataclass
class Register:
    """A copy of the reports tests' register on one backend, and SQL to tamper with its span rows."""

    db: str  # what --db takes
    open: Callable[[], Store]
    tamper: Callable[[str, str], None]  # (how, contract_no)


def sidecar_tamper(path: Path) -> Callable[[str, str], None]:
    def tamper(how: str, contract_no: str) -> None:
        with sqlite3.connect(sidecar_path(path)) as db:
            if how == "deleted":
                found = db.execute("DELETE FROM spans WHERE contract_no = ?", (contract_no,)).rowcount
            elif how == "added":
                found = db.execute("INSERT INTO spans VALUES ('amendments', '2026-11-24', '2026-11-24', ?)",
                                   (contract_no,)).rowcount
            else:  # the term's last days eleven years earlier
                found = db.execute("UPDATE spans SET first = date(first, '-4000 days'), last = date(last, '-4000 days')"
                                   " WHERE contract_no = ? AND kind = 'term_end'", (contract_no,)).rowcount
        assert found > 0
    return tamper


def postgres_tamper(dsn: str) -> Callable[[str, str], None]:
    import psycopg

    def tamper(how: str, contract_no: str) -> None:
        with psycopg.connect(dsn, autocommit=True) as conn:
            if how == "deleted":
                cur = conn.execute("DELETE FROM vipcontract.summary_spans WHERE contract_no = %s", (contract_no,))
            elif how == "added":
                cur = conn.execute("INSERT INTO vipcontract.summary_spans (contract_no, kind, first_day, last_day)"
                                   " VALUES (%s, 'amendments', '2026-11-24', '2026-11-24')", (contract_no,))
            else:
                cur = conn.execute("UPDATE vipcontract.summary_spans SET first_day = first_day - 4000,"
                                   " last_day = last_day - 4000 WHERE contract_no = %s AND kind = 'term_end'",
                                   (contract_no,))
            assert cur.rowcount > 0
    return tamper


@pytest.fixture(params=["file", "postgresql"])
def register(request, register_path, tmp_path) -> Iterator[Register]:  # noqa: F811 (the fixture imported above)
    if request.param == "file":
        path = copied(register_path, tmp_path)
        yield Register(str(path), lambda: TinyDBStore(path), sidecar_tamper(path))
        return
    url = request.getfixturevalue("pg_url")
    pg_copy(register_path, url).close()
    yield Register(url, lambda: open_store(url), postgres_tamper(request.getfixturevalue("pg_dsn")))


def using(register: Register, work: Callable[[Store], Any]) -> Any:
    store = register.open()
    try:
        return work(store)
    finally:
        store.close()


def expiring(register: Register, profile) -> set[str]:
    """The contracts the expiring report lists on AS_OF (read by the term last days' spans)."""
    report = using(register, lambda store: S.report_from_store(store, profile, "expiring", AS_OF))
    return {row["contract_no"] for row in report.rows}


def replayed_expiring(register: Register, profile) -> set[str]:
    states = using(register, lambda store: S.load_states(store, profile))
    return {row["contract_no"] for row in S.build_report("expiring", states, AS_OF, profile).rows}


@pytest.mark.parametrize("how", TAMPERS)
def test_check_finds_span_rows_that_disagree_with_the_summary_and_rebuilds_them(register, profile, how):
    expected = replayed_expiring(register, profile)
    outside = sorted(set(ALL) - expected)
    assert A in expected and outside
    assert expiring(register, profile) == expected  # the summaries and their spans kept
    assert using(register, lambda store: R.check(store, profile)).ok
    victim = A if how in HIDING else outside[0]  # an added row: read, and left out by the report
    register.tamper(how, victim)
    if how in HIDING:
        assert expiring(register, profile) == expected - {A}  # the rows hide the contract
    report = using(register, lambda store: R.check(store, profile))
    assert [(p.field, SPAN_MESSAGE in p.message) for p in report.problems] == [(victim, True)]
    assert "已按记录重建" in report.problems[0].message
    assert using(register, lambda store: R.check(store, profile)).ok
    assert expiring(register, profile) == expected


def test_the_command_says_which_contract_and_exits_1(register, profile):
    from cli import main

    assert expiring(register, profile)  # the summaries and their spans kept
    register.tamper("deleted", A)
    result = CliRunner().invoke(main, ["--db", register.db, "check"])
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if SPAN_MESSAGE in line]
    assert len(lines) == 1 and A in lines[0] and "缺少" in lines[0], result.output
    again = CliRunner().invoke(main, ["--db", register.db, "check"])
    assert again.exit_code == 0, again.output


def test_a_summary_that_disagrees_is_reported_once_not_again_for_its_spans(register, profile):
    """Rows of a summary that is itself wrong are the summary's problem: one line, not two."""
    assert expiring(register, profile)
    register.tamper("deleted", A)
    if register.db.endswith(".json"):
        with sqlite3.connect(sidecar_path(Path(register.db))) as db:
            blob, = db.execute("SELECT summary FROM summaries WHERE contract_no = ?", (A,)).fetchone()
            forged = orjson.loads(zlib.decompress(blob))
            forged["state"]["issued"]["annual_fee"] = "1.00"
            db.execute("UPDATE summaries SET summary = ? WHERE contract_no = ?",
                       (zlib.compress(orjson.dumps(forged)), A))
    else:
        import psycopg

        with psycopg.connect(register.db, autocommit=True) as conn:
            conn.execute("UPDATE vipcontract.summaries SET body = jsonb_set(body::jsonb,"
                         " '{state,issued,annual_fee}', '\"1.00\"')::json WHERE contract_no = %s", (A,))
    report = using(register, lambda store: R.check(store, profile))
    assert [p.field for p in report.problems] == [A]
    assert "摘要" in report.problems[0].message and SPAN_MESSAGE not in report.problems[0].message
    assert using(register, lambda store: R.check(store, profile)).ok
    assert expiring(register, profile) == replayed_expiring(register, profile)


@pytest.mark.parametrize("backend", ["memory", "file", "postgresql"])
def test_the_indexed_spans_are_those_of_the_summaries_kept(backend, register_path, profile, tmp_path,  # noqa: F811
                                                           request, monkeypatch):
    """Every backend gives back the rows it keeps as base.span_text (open ends, ISO dates), for
    every contract with a span, by number."""
    if backend == "memory":
        import service.output
        from tests.test_reports import fake_render

        monkeypatch.setattr(service.output, "render_to", fake_render)
        store: Store = MemoryStore()
        fill_register(store, profile, tmp_path / "docs")
    elif backend == "file":
        store = TinyDBStore(copied(register_path, tmp_path))
    else:
        store = pg_copy(register_path, request.getfixturevalue("pg_url"))
    try:
        S.report_from_store(store, profile, "expiring", AS_OF)  # the summaries put
        kept = dict(store.summaries())
        indexed = list(store.indexed_spans())
        assert len(kept) == 5 and all(kept.values())
        spans = {no: summary_span_text(summary) for no, summary in kept.items()}
        assert [no for no, _rows in indexed] == sorted(no for no, rows in spans.items() if rows)
        assert dict(indexed) == {no: rows for no, rows in spans.items() if rows}
        assert len(indexed) >= 3
        assert any(" 0001-01-01 " in text for _no, text in indexed)  # open ends as stored
        assert any(" 9999-12-31" in text for _no, text in indexed)
    finally:
        store.close()


def copied(source: Path, tmp_path: Path) -> Path:
    path = tmp_path / "register.json"
    path.write_bytes(source.read_bytes())
    return path


def pg_copy(source: Path, url: str) -> Store:
    from service.copy import copy_register

    original, server = TinyDBStore(source), open_store(url)
    try:
        copy_register(original, server)
    finally:
        original.close()
    return server
