"""A report as a file: CSV, XLSX, JSON, ICS (and, through the other report renderers, PDF and text).

Every ``render_*`` function takes a `Report` and returns the file's bytes; `write_report` writes
them atomically. The bytes depend on the report alone: no clock, no random order, so that the
same report with ``generated_at=None`` gives byte-identical files.

JSON schema (`render_json`; keys sorted, UTF-8, indent 2, newline at the end)::

    {
      "report":       str,            # the report's name, e.g. "expiring"
      "title":        str,            # Chinese title
      "as_of":        "YYYY-MM-DD",
      "generated_at": "YYYY-MM-DDTHH:MM:SS+08:00",   # absent when the report has no timestamp
      "columns":      [{"key": str, "label": str, "kind": "text|date|amount|int|id|flag"}, ...],
      "rows":         [{<column key>: value, ...}, ...],   # every column key in every row
      "totals":       [{"label": str, "value": int | str}, ...],
      "notes":        [str, ...],
      "register_head": "第 N 行 <sha256>",   # the register read; absent when not made from one
      "chart":        {"caption": str, "labels": ["YYYY-MM", ...], "counts": [int, ...]}
                                      # absent when the report has no chart
    }

Row values by column kind: text and id -> string (id already masked); date -> "YYYY-MM-DD";
amount -> string with two decimals and no separators ("12800.00", exact, never a float);
int -> number; flag -> true/false; an empty cell -> null. Total values: a count is a number,
an amount is a string like the row amounts, text stays text.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import zipfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from contracts.report_model import (
    FLAG_TEXT,
    HEAD_LABEL,
    Column,
    ColumnKind,
    Report,
    amount_plain,
    plain_value,
    spreadsheet_text,
    text_width,
)
from renderers.cells import FORMULA_TRIGGERS, csv_text
from store.atomic import atomic_write

FORMATS = ("table", "csv", "xlsx", "json", "pdf", "ics")
SUFFIXES = {"table": ".txt", "csv": ".csv", "xlsx": ".xlsx", "json": ".json", "pdf": ".pdf", "ics": ".ics"}
PRODID = "-//vipcontract//CN"


# ---------------------------------------------------------------- CSV


def render_csv(report: Report) -> bytes:
    """UTF-8 with a BOM (Excel then reads the Chinese right), CRLF line ends; a header row of the
    column labels, then one line per row: ISO dates, amounts like 12800.00, flags 是/否.
    Only the rows: title, totals and notes are in the other formats. An empty report is the header.
    A report made from a register ends with one line "登记簿末端：第 N 行 <hash>" (one cell)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.label for c in report.columns])
    for row in report.rows:
        writer.writerow([csv_cell(c, row[c.key]) for c in report.columns])
    if report.register_head:
        writer.writerow([f"{HEAD_LABEL}：{report.register_head}"])
    return buffer.getvalue().encode("utf-8-sig")


def csv_cell(column: Column, value: Any) -> str:
    """A cell's text; phone, ID and contract numbers stay text when Excel opens the file, and no
    cell is read as a formula (renderers/cells.py)."""
    cell = plain_value(column, value)
    if isinstance(cell, str) and cell.startswith(FORMULA_TRIGGERS):
        return csv_text(cell)  # never a formula, whatever the column
    return spreadsheet_text(cell) if column.keep_text else cell


# ---------------------------------------------------------------- JSON


def _json_value(kind: ColumnKind, value: Any) -> Any:
    if value is None:
        return None
    if kind is ColumnKind.DATE:
        return value.isoformat()
    if kind is ColumnKind.AMOUNT:
        return amount_plain(value)
    return value


def _json_total(value: Any) -> Any:
    return amount_plain(value) if isinstance(value, Decimal) else value


def report_data(report: Report) -> dict[str, Any]:
    """The JSON document as Python data (see the module docstring for the schema)."""
    data: dict[str, Any] = {
        "report": report.name,
        "title": report.title,
        "as_of": report.as_of.isoformat(),
        "columns": [{"key": c.key, "label": c.label, "kind": c.kind.value} for c in report.columns],
        "rows": [{c.key: _json_value(c.kind, row[c.key]) for c in report.columns} for row in report.rows],
        "totals": [{"label": t.label, "value": _json_total(t.value)} for t in report.totals],
        "notes": list(report.notes),
    }
    if report.generated_at is not None:
        data["generated_at"] = report.generated_at.isoformat(timespec="seconds")
    if report.register_head:
        data["register_head"] = report.register_head
    if report.chart is not None:
        data["chart"] = {"caption": report.chart.caption, "labels": list(report.chart.labels),
                         "counts": list(report.chart.counts)}
    return data


def render_json(report: Report) -> bytes:
    text = json.dumps(report_data(report), ensure_ascii=False, sort_keys=True, indent=2)
    return (text + "\n").encode("utf-8")


# ---------------------------------------------------------------- XLSX

XLSX_DATE_FORMAT = "yyyy-mm-dd"
XLSX_AMOUNT_FORMAT = "#,##0.00"
XLSX_INT_FORMAT = "0"
XLSX_MAX_WIDTH = 60  # wider text wraps inside the cell
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(title: str, fallback: str) -> str:
    name = _SHEET_NAME_BAD.sub("_", title).strip("'")[:31]
    return name or fallback[:31] or "报表"


def _xlsx_width(texts: list[str]) -> float:
    """Column width in Excel's units (about one Latin character; a CJK character counts 2)."""
    widest = max((text_width(t) for t in texts), default=0)
    return float(min(max(widest + 2, 8), XLSX_MAX_WIDTH))


def render_xlsx(report: Report) -> bytes:
    """Sheet 1 (named after the title): a bold, frozen header row with an autofilter, then the rows;
    dates are real dates (yyyy-mm-dd), amounts numbers (#,##0.00), flags 是/否, text stays text
    (a value starting with "=" is never taken as a formula). Sheet 2 "汇总": title, as-of date,
    generated-at, the totals and the notes. Document properties carry the title and the as-of
    date as created/modified; the zip entries carry the as-of date too, so the bytes are stable."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    wb = Workbook()
    ws = wb.active
    assert ws is not None  # a new workbook has one sheet, active
    ws.title = _sheet_name(report.title, report.name)
    ws.append([c.label for c in report.columns])
    for cell in ws[1]:
        cell.font = bold
        cell.alignment = Alignment(vertical="center")
    for r, row in enumerate(report.rows, start=2):
        for i, column in enumerate(report.columns, start=1):
            value = row[column.key]
            cell = ws.cell(row=r, column=i)
            if value is None:
                continue
            if column.kind is ColumnKind.DATE:
                cell.value = value
                cell.number_format = XLSX_DATE_FORMAT
            elif column.kind is ColumnKind.AMOUNT:
                cell.value = Decimal(amount_plain(value))
                cell.number_format = XLSX_AMOUNT_FORMAT
            elif column.kind is ColumnKind.INT:
                cell.value = value
                cell.number_format = XLSX_INT_FORMAT
            elif column.kind is ColumnKind.FLAG:
                cell.value = FLAG_TEXT[value]
            else:
                cell.value = value
                cell.data_type = "s"  # never a formula
                if column.keep_text:
                    cell.number_format = "@"  # stays text when the clerk edits it
                if text_width(value) > XLSX_MAX_WIDTH - 2:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
    for i, column in enumerate(report.columns, start=1):
        texts = [column.label] + [_xlsx_display(column.kind, row[column.key]) for row in report.rows]
        ws.column_dimensions[get_column_letter(i)].width = _xlsx_width(texts)
    ws.freeze_panes = "A2"
    last = get_column_letter(len(report.columns))
    ws.auto_filter.ref = f"A1:{last}{len(report.rows) + 1}"

    summary = wb.create_sheet("汇总")
    lines: list[tuple[str, Any, str | None]] = [
        ("报表", report.title, None),
        ("基准日", report.as_of, XLSX_DATE_FORMAT),
    ]
    if report.generated_at is not None:
        lines.append(("生成时间", report.generated_at.isoformat(timespec="seconds"), None))
    lines.append(("记录数", len(report.rows), XLSX_INT_FORMAT))
    for label, value in report.totals:
        if isinstance(value, Decimal):
            lines.append((label, Decimal(amount_plain(value)), XLSX_AMOUNT_FORMAT))
        elif isinstance(value, int):
            lines.append((label, value, XLSX_INT_FORMAT))
        else:
            lines.append((label, str(value), None))
    for note in report.notes:
        lines.append(("说明", note, None))
    if report.register_head:
        lines.append((HEAD_LABEL, report.register_head, None))
    for r, (label, value, fmt) in enumerate(lines, start=1):
        summary.cell(row=r, column=1, value=label).font = bold
        cell = summary.cell(row=r, column=2, value=value)
        if isinstance(value, str):
            cell.data_type = "s"
        if fmt:
            cell.number_format = fmt
        cell.alignment = Alignment(horizontal="left", wrap_text=isinstance(value, str))
    summary.column_dimensions["A"].width = _xlsx_width([label for label, _v, _f in lines])
    summary.column_dimensions["B"].width = _xlsx_width([_summary_display(value) for _l, value, _f in lines])

    stamp = dt.datetime.combine(report.as_of, dt.time())
    props = wb.properties
    props.title = report.title
    props.subject = report.name
    props.creator = "vipcontract"
    props.lastModifiedBy = "vipcontract"
    props.created = stamp
    props.modified = stamp
    buffer = io.BytesIO()
    wb.save(buffer)
    return _stable_zip(buffer.getvalue(), report.as_of)


def _xlsx_display(kind: ColumnKind, value: Any) -> str:
    if value is None:
        return ""
    if kind is ColumnKind.DATE:
        return "2029-12-31"
    if kind is ColumnKind.AMOUNT:
        return f"{value:,.2f}"
    if kind is ColumnKind.FLAG:
        return FLAG_TEXT[value]
    return str(value)


def _summary_display(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return str(value)


_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def _stable_zip(data: bytes, day: dt.date) -> bytes:
    """The same archive with every entry dated `day` and the core properties' modified time set
    to `day` (openpyxl stamps the clock into both when saving)."""
    stamp = (max(day.year, 1980), day.month, day.day, 0, 0, 0)
    iso = f"{day.isoformat()}T00:00:00Z".encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _MODIFIED.sub(rb"\g<1>" + iso + rb"\g<2>", content)
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, content)
    return out.getvalue()


# ---------------------------------------------------------------- ICS


ALARM_AT = dt.timedelta(hours=9)


def render_ics(report: Report) -> bytes:
    """One all-day VEVENT per calendar event (DTSTART a date, DTEND the next day), in the given
    order, with a VALARM at 09:00 on the day for an event that asks for one. DTSTAMP is the
    as-of date at 00:00 UTC, not the clock, so the bytes are stable."""
    from icalendar import Alarm, Calendar, Event

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", report.title)
    stamp = dt.datetime.combine(report.as_of, dt.time(), tzinfo=dt.UTC)
    for item in report.calendar_events:
        event = Event()
        event.add("uid", item.uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", item.date)
        event.add("dtend", item.date + dt.timedelta(days=1))
        event.add("summary", item.summary)
        if item.description:
            event.add("description", item.description)
        event.add("transp", "TRANSPARENT")
        if item.alarm:
            alarm = Alarm()
            alarm.add("uid", item.uid.replace("@", "-alarm@", 1))
            alarm.add("action", "DISPLAY")
            alarm.add("description", item.summary)
            # relative to the all-day start (00:00 on the day, the reader's own time): 09:00,
            # when someone is at the desk, not a midnight alert nobody sees
            alarm.add("trigger", ALARM_AT)
            event.add_component(alarm)
        cal.add_component(event)
    return cal.to_ical()


# ---------------------------------------------------------------- any format, atomic file


def _render_table_text(report: Report) -> bytes:
    from renderers.report_table import render_text

    return render_text(report).encode("utf-8")


def _render_pdf(report: Report) -> bytes:
    from renderers.report_pdf import render_pdf

    return render_pdf(report)


RENDERERS: dict[str, Callable[[Report], bytes]] = {
    "table": _render_table_text,
    "csv": render_csv,
    "xlsx": render_xlsx,
    "json": render_json,
    "pdf": _render_pdf,
    "ics": render_ics,
}


def render_report(report: Report, fmt: str, data: Report | None = None) -> bytes:
    """The bytes of `report` in `fmt` (one of FORMATS; "table" is the 80-column terminal text).
    A PDF shows `report` and carries the JSON of `data` (the full report it is a view of; by
    default `report` itself)."""
    if fmt == "pdf" and data is not None:
        from renderers.report_pdf import render_pdf

        return render_pdf(report, data)
    try:
        renderer = RENDERERS[fmt]
    except KeyError:
        raise ValueError(f"unknown report format {fmt!r}; one of {', '.join(FORMATS)}") from None
    return renderer(report)


def write_report(report: Report, fmt: str, path: str | os.PathLike[str], data: Report | None = None) -> Path:
    """Render, then write `path` atomically (store.atomic: a 0600 temporary file, synced, renamed
    over `path`). A report is made again from the register at will, so an older one of the same
    name is replaced; on any error `path` is untouched and no temporary file stays."""
    content = render_report(report, fmt, data)
    return atomic_write(Path(path), content, fmt=fmt, overwrite=True).path
