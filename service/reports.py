"""Reports from the store: load the histories, build the report (contracts/reports.py), write it.

Also the consolidated reading copy of an agreement: templates/agreement (the one place the clause
text is kept) with templates/consolidated laid over it, resolved with the terms in force on a date.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from contracts.document import Document
from contracts.errors import HistoryError, InvalidInput, Problem
from contracts.profile import Profile
from contracts.register import ContractState, terms_in_force
from contracts.report_model import Report
from contracts.reports import CALENDAR_REPORTS, REPORTS, consolidated_context, pdf_view, terminal_view
from contracts.resolver import resolve
from contracts.summary import could_have_status
from renderers.report_files import FORMATS, SUFFIXES, render_report, write_report
from store import Store

from .output import WrittenFile, safe_stem, write_documents
from .register import bulk_read, load_state, states
from .sources import load_source
from .summaries import report_states, status_windows, summary_states

REPORT_NAMES = tuple(REPORTS)
STDOUT_FORMATS = ("table", "json")  # printed when --out is not given


def build_report(
    name: str, states: Iterable[ContractState], as_of: dt.date, profile: Profile, **filters: Any
) -> Report:
    """The report `name` over in-memory contract states (filters as the report function takes:
    within, date_from, date_to, contract, pending, generated_at)."""
    try:
        function = REPORTS[name]
    except KeyError:
        raise InvalidInput(Problem("report", f"没有名为 {name} 的报表；可选：{'、'.join(REPORTS)}")) from None
    return function(states, as_of, profile, **{k: v for k, v in filters.items() if v is not None})


def load_states(store: Store, profile: Profile) -> list[ContractState]:
    with bulk_read():
        return list(states(store, profile))


def report_from_store(store: Store, profile: Profile, name: str, as_of: dt.date, **filters: Any) -> Report:
    """The report, stamped with the head of the register as it was read for it. Built from the
    contracts' summaries, only over the contracts it could list (service/summaries.py)."""
    seen = [False]
    with bulk_read():
        states = list(report_states(store, profile, name, as_of, filters, seen))
        report = build_report(name, states, as_of, profile, register_empty=not seen[0], **filters)
    head = store.head()  # after the read: the head of exactly what was read
    return report.with_register_head(head.text()) if head else report


def register_from_store(store: Store, profile: Profile, as_of: dt.date, **filters: Any) -> Report:
    """The register as a sheet (`list --format`), stamped with the head it was read at; from the
    summaries, a contract at a time (as it stood on as_of: replayed where a summary cannot say)."""
    from contracts.register_views import register_report

    status = filters.get("status")
    chosen = None if status is None else lambda state: could_have_status(state, status, as_of, profile)
    seen = [False]
    with bulk_read():
        states = list(summary_states(store, profile, chosen=chosen, stood_on=as_of, seen=seen,
                                     windows=status_windows(status, as_of, profile))) if status is not None \
            else summary_states(store, profile, stood_on=as_of)  # every contract: one at a time
        report = register_report(states, as_of, profile, register_empty=not seen[0] if chosen else None, **filters)
    head = store.head()
    return report.with_register_head(head.text()) if head else report


def find_in_store(store: Store, profile: Profile, query: str, as_of: dt.date) -> Report:
    from contracts.register_views import find_report

    with bulk_read():
        return find_report(summary_states(store, profile), query, as_of, profile)


def check_output(name: str, fmt: str, out: str | Path | None) -> None:
    """Refuse a format the report does not have, and a file format without --out."""
    if fmt not in FORMATS:
        raise InvalidInput(Problem("format", f"格式“{fmt}”无效，可选：{'、'.join(FORMATS)}"))
    if fmt == "ics" and name not in CALENDAR_REPORTS:
        raise InvalidInput(Problem("format", f"ICS（日历）格式只适用于 {' 和 '.join(CALENDAR_REPORTS)} 报表，"
                                             f"{name} 报表请用 table、csv、xlsx、json 或 pdf"))
    if fmt not in STDOUT_FORMATS and not out:
        raise InvalidInput(Problem("out", f"--format {fmt} 输出文件，请用 --out 指定文件名，"
                                          f"如 --out {default_file_name(name, fmt)}"))


def default_file_name(name: str, fmt: str, as_of: dt.date | None = None) -> str:
    stamp = f"-{as_of.isoformat()}" if as_of else ""
    return f"report-{name}{stamp}{SUFFIXES[fmt]}"


def output_path(report: Report, fmt: str, out: str | Path) -> Path:
    """--out FILE, or --out DIR (an existing directory): DIR/report-NAME-ASOF.EXT."""
    target = Path(out)
    if target.is_dir():
        return target / default_file_name(report.name, fmt, report.as_of)
    return target


def for_format(report: Report, fmt: str) -> Report:
    """The terminal text and the PDF show their main columns; CSV, XLSX, JSON and ICS carry all."""
    if fmt == "table":
        return terminal_view(report)
    if fmt == "pdf":
        return pdf_view(report)
    return report


def render(report: Report, fmt: str) -> bytes:
    return render_report(for_format(report, fmt), fmt, report)


def save(report: Report, fmt: str, out: str | Path) -> Path:
    """Write the report atomically to --out (a file, or a directory for the default name)."""
    return write_report(for_format(report, fmt), fmt, output_path(report, fmt, out), report)


# ---------------------------------------------------------------- the consolidated reading copy
CONSOLIDATED_FORMATS = ("docx", "pdf")


@functools.cache
def _overlay() -> dict[str, Any]:
    return load_source("consolidated")


def consolidated_source() -> dict[str, Any]:
    """templates/agreement with templates/consolidated laid over it (a new dict: the cached
    sources are not changed): its kind and watermark, its cover lines after the agreement's, its
    reading note before the agreement's preamble, its signature page (none). The chapters are the
    agreement's own."""
    base, overlay = load_source("agreement"), _overlay()
    source = dict(base)
    source["kind"] = overlay.get("kind", "consolidated")
    source["watermark"] = overlay.get("watermark", "")
    if base.get("cover"):
        cover = dict(base["cover"])
        cover["lines"] = [*cover.get("lines", []), *overlay.get("cover_lines", [])]
        source["cover"] = cover
    source["preamble"] = [*overlay.get("preamble_before", []), *base.get("preamble", [])]
    if "signature" in overlay:  # a reading copy is never signed: no signature page
        source["signature"] = overlay["signature"] or None
    return source


def consolidated_document(state: ContractState, as_of: dt.date, profile: Profile) -> Document:
    if state.voided is not None:
        raise HistoryError(f"合同 {state.contract_no} 已于 {state.voided.on} 作废，没有可供阅读的有效文本")
    context = consolidated_context(state, as_of, profile)
    doc = resolve(consolidated_source(), context, contract_no=state.contract_no)
    return dataclasses.replace(doc, issued_on=as_of)  # the reading copy is as on as_of


def consolidated_stem(state: ContractState, as_of: dt.date) -> str:
    """VIP-2025-000123-consolidated-2026-12-31_张三 (the customer's name in force on as_of)."""
    name = terms_in_force(state, as_of).customer.name
    return safe_stem(f"{state.contract_no}-consolidated-{as_of.isoformat()}", name)


def write_consolidated(
    store: Store, profile: Profile, contract_no: str, as_of: dt.date, out_dir: Path,
    formats: Sequence[str] = CONSOLIDATED_FORMATS,
) -> list[WrittenFile]:
    """Write the reading copy of `contract_no` as on `as_of` (every format, or none)."""
    state = load_state(store, profile, contract_no)
    doc = consolidated_document(state, as_of, profile)
    return write_documents(doc, Path(out_dir), formats, consolidated_stem(state, as_of),
                           mode=profile.document_mode)


WIDE_COLUMNS = 1000  # --wide: every column side by side, as wide as they need


def print_table(report: Report, console: Any = None, wide: bool = False) -> None:
    """The report on the terminal (its terminal columns); piped or redirected, the 80-column text;
    `wide`: every column at its full width (the terminal may wrap the lines)."""
    import sys

    from rich.console import Console

    from renderers.report_table import render_table, render_text

    if wide:
        sys.stdout.write(render_text(report, WIDE_COLUMNS))
        sys.stdout.flush()
        return
    console = console or Console(highlight=False, soft_wrap=False)
    if console.is_terminal:
        render_table(terminal_view(report), console)
    else:
        sys.stdout.write(render(report, "table").decode("utf-8"))
        sys.stdout.flush()
