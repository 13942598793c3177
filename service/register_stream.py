"""`vipcontract list` on the terminal or piped, printed as the register is read: no row is kept.

The register of 100,000 contracts as a Report holds every row twice (the register's columns, then
the terminal's) and the table's text again; printed this way the rows are read once, their cell
texts go to a temporary file (a line of JSON a row) while the layout notes only what each column's
cells measure (renderers.report_table.CellStats) and the totals are counted (RegisterTally); then
the table is drawn from the file a chunk of rows at a time. The text is the one the whole Report
would print (tests/test_list_stream.py). A register of at most LINE_BY_LINE_ROWS contracts, or a
table too wide for the terminal (a block a row), is printed from the whole Report as before.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from collections.abc import Iterator
from typing import IO, Any

import orjson

from contracts.profile import Profile
from contracts.register import Status
from contracts.register_views import RegisterTally, register_row_of, register_sheet
from contracts.report_model import Report, display_value
from contracts.reports import terminal_view
from contracts.summary import could_have_status
from renderers.report_table import LINE_BY_LINE_ROWS, CellStats, render_streamed, write_streamed_text
from store import Store

from .register import bulk_read
from .summaries import summary_states

CHUNK = 1000  # register rows turned into terminal rows at a time


class _Unordered(Exception):
    """The store handed the contracts out of number order: print from the whole Report."""


def print_register(store: Store, profile: Profile, as_of: dt.date, status: Status | None = None,
                   console: Any = None) -> bool:
    """The register (of one status) on `console` (a terminal) or, without one, on stdout as the
    80-column text. False, with nothing printed, when it is better printed from the whole Report
    (see the module's doc)."""
    with tempfile.TemporaryFile() as spool:
        try:
            sample, tally, stats = _spool(store, profile, as_of, status, spool)
        except _Unordered:
            return False
        if tally.rows <= LINE_BY_LINE_ROWS:
            return False
        frame = terminal_view(register_sheet(sample, tally, as_of, status, None, False))
        head = store.head()  # after the read: the head of exactly what was read
        if head:
            frame = frame.with_register_head(head.text())

        def texts() -> Iterator[list[str]]:
            spool.seek(0)
            for line in spool:
                yield orjson.loads(line)

        if console is not None:
            return render_streamed(frame, stats, texts, console)
        return write_streamed_text(frame, stats, texts, sys.stdout)


def _spool(store: Store, profile: Profile, as_of: dt.date, status: Status | None, spool: IO[bytes]
           ) -> tuple[tuple[dict[str, Any], ...], RegisterTally, list[CellStats]]:
    """Read every contract once: the cell texts of its terminal row into `spool`; the first row, the
    totals and what the cells measure returned."""
    chosen = None if status is None else lambda state: could_have_status(state, status, as_of, profile)
    tally, sample = RegisterTally(), ()  # type: tuple[RegisterTally, tuple[dict[str, Any], ...]]
    stats: list[CellStats] | None = None
    chunk: list[dict[str, Any]] = []
    last = ""

    def flush() -> None:
        nonlocal stats
        if not chunk:
            return
        view = terminal_view(register_sheet(tuple(chunk), RegisterTally(), as_of, status, None, False))
        stats = stats or [CellStats() for _ in view.columns]
        spool.write(_texts(view, stats))
        chunk.clear()

    with bulk_read():
        for state in summary_states(store, profile, chosen=chosen, stood_on=as_of):
            row = register_row_of(state, as_of, profile, status)
            if row is None:
                continue
            if row["contract_no"] <= last:
                raise _Unordered
            last = row["contract_no"]
            tally.add(row)
            sample = sample or (row,)
            chunk.append(row)
            if len(chunk) >= CHUNK:
                flush()
        flush()
    return sample, tally, stats or []


def _texts(view: Report, stats: list[CellStats]) -> bytes:
    lines = []
    for row in view.rows:
        texts = [display_value(column, row[column.key]) for column in view.columns]
        for text, found in zip(texts, stats, strict=True):
            found.add(text)
        lines.append(orjson.dumps(texts))
    return b"\n".join(lines) + b"\n"


__all__ = ["print_register"]
