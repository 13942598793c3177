"""`vipcontract list` printed as the register is read (service.register_stream): the same text as
the whole report printed, piped and on a terminal, in chunks of any size; nothing printed when it
cannot be (a table too wide for the terminal), so that the caller prints the report as before."""

from __future__ import annotations

import io
import shutil

import pytest
from click.testing import CliRunner
from rich.console import Console

import service.register_stream as stream
from cli import main
from contracts.register import Status
from contracts.reports import terminal_view
from renderers import report_table
from renderers.report_table import render_table
from service.reports import register_from_store
from store import TinyDBStore
from tests.test_reports import AS_OF, profile, register_path  # noqa: F401  (fixtures)


@pytest.fixture
def db(register_path, tmp_path):  # noqa: F811
    copy = tmp_path / "register.json"
    shutil.copy(register_path, copy)
    return copy


@pytest.fixture
def streamed(monkeypatch):
    """Every register printed as it is read (however short), a few rows and lines at a time."""
    monkeypatch.setattr(stream, "LINE_BY_LINE_ROWS", 0)
    monkeypatch.setattr(stream, "CHUNK", 2)
    monkeypatch.setattr(report_table, "STREAM_LINES", 3)
    calls = []
    real = stream.render_streamed
    monkeypatch.setattr(stream, "render_streamed", lambda *a: calls.append(a) or real(*a))
    return calls


def list_output(db, *args: str) -> str:
    result = CliRunner().invoke(main, ["--db", str(db), "list", "--as-of", AS_OF.isoformat(), *args],
                                env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("args", [(), ("--status", "即将到期"), ("--status", "已作废")])
def test_piped_list_is_the_text_of_the_whole_report(db, args, monkeypatch):
    whole = list_output(db, *args)
    monkeypatch.setattr(stream, "LINE_BY_LINE_ROWS", 0)
    monkeypatch.setattr(stream, "CHUNK", 2)
    used = []
    real = stream.write_streamed_text
    monkeypatch.setattr(stream, "write_streamed_text", lambda *a: used.append(a) or real(*a))
    assert list_output(db, *args) == whole
    assert used and "┌" in whole or "没有状态为" in whole


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("status", [None, Status.EXPIRING])
def test_on_a_terminal_the_table_is_the_whole_reports(db, profile, streamed, width, status, monkeypatch):  # noqa: F811
    def console() -> Console:
        return Console(width=width, record=True, file=io.StringIO(), color_system="standard", force_terminal=True)

    store = TinyDBStore(db)
    try:
        whole = console()
        render_table(terminal_view(register_from_store(store, profile, AS_OF, status=status)), whole)
        drawn = console()
        assert stream.print_register(store, profile, AS_OF, status, drawn)
    finally:
        store.close()
    assert streamed
    coloured = drawn.export_text(styles=True, clear=False)
    assert drawn.export_text() == whole.export_text()  # rich's Table draws a table this short
    assert "\x1b[1m" in coloured.split("┌", 1)[1].split("├", 1)[0]  # the header in bold
    monkeypatch.setattr(report_table, "LINE_BY_LINE_ROWS", 0)  # the whole report drawn as a long one is
    store = TinyDBStore(db)
    try:
        long = console()
        render_table(terminal_view(register_from_store(store, profile, AS_OF, status=status)), long)
    finally:
        store.close()
    assert long.export_text(styles=True) == coloured  # the same styles too


def test_a_terminal_too_narrow_for_a_table_gets_nothing_and_the_report_as_before(db, profile, streamed):  # noqa: F811
    narrow = Console(width=30, record=True, file=io.StringIO(), color_system=None)
    store = TinyDBStore(db)
    try:
        assert stream.print_register(store, profile, AS_OF, None, narrow) is False
    finally:
        store.close()
    assert narrow.export_text() == ""


def test_a_short_register_is_printed_from_the_whole_report(db, profile):  # noqa: F811
    out = Console(width=80, record=True, file=io.StringIO())
    store = TinyDBStore(db)
    try:
        assert stream.print_register(store, profile, AS_OF, None, out) is False
    finally:
        store.close()
    assert out.export_text() == ""
