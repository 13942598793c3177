"""Report output formats: the same hand-built Report on the terminal and as CSV, XLSX, JSON, PDF
and ICS, each read back with its own library; empty reports; byte-identical repeated output."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import pdfplumber
import pytest
from icalendar import Calendar
from openpyxl import load_workbook
from rich.console import Console

from contracts.dates import SHANGHAI
from contracts.report_model import CalendarEvent, Column, Report, monthly_chart
from renderers import report_files
from renderers.report_files import (
    FORMATS,
    render_csv,
    render_ics,
    render_json,
    render_report,
    render_xlsx,
    write_report,
)
from renderers.report_pdf import chart_svg, render_html, render_pdf
from renderers.report_table import render_table, render_text, wrap_cell

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2029, 12, 31)
FILE_FORMATS = ("table", "csv", "xlsx", "json", "pdf", "ics")

COLUMNS = (
    Column("contract_no", "合同编号", "text"),
    Column("customer", "客户名称", "text"),
    Column("id_number", "证件号码", "id"),
    Column("last_day", "期限最后一日", "date"),
    Column("fee", "年服务费（元）", "amount"),
    Column("status", "提醒情况", "text"),
)
ROWS = (
    {"contract_no": "VIP-2025-000123", "customer": "张三", "id_number": "110105********002X",
     "last_day": dt.date(2030, 1, 1), "fee": Decimal("12800.00"),
     "status": "90日提醒已发送，60日提醒已送达，30日提醒未发送"},
    {"contract_no": "VIP-2025-000124", "customer": "北京某某科技有限公司（海淀分公司）",
     "id_number": "91110000600037341L", "last_day": dt.date(2030, 3, 9), "fee": Decimal("98000.5"),
     "status": "已约定续签"},
    {"contract_no": "VIP-2025-000125", "customer": "上海市浦东新区某某贸易发展股份有限公司",
     "id_number": "310101********1234", "last_day": dt.date(2031, 6, 30), "fee": Decimal("1234567.89"),
     "status": None},
)
EVENTS = (
    CalendarEvent("VIP-2025-000123-expiry@vipcontract", dt.date(2030, 1, 1), "协议到期：VIP-2025-000123 张三",
                  "期限最后一日 2030-01-01，尚未约定续签"),
    CalendarEvent("VIP-2025-000124-expiry@vipcontract", dt.date(2030, 3, 9),
                  "协议到期：VIP-2025-000124 北京某某科技有限公司", "已约定续签"),
)


def sample_report(**override) -> Report:
    data = {
        "name": "expiring",
        "title": "即将到期的协议",
        "as_of": AS_OF,
        "columns": COLUMNS,
        "rows": ROWS,
        "totals": (("协议份数", 3), ("年服务费合计", Decimal("1345368.39"))),
        "notes": ("证件号码已部分隐藏。", "日期为北京时间。"),
        "generated_at": None,
        "calendar_events": EVENTS,
        "chart": monthly_chart([r["last_day"] for r in ROWS], AS_OF, 24, "未来 24 个月每月到期协议数"),
        "empty_message": "截至 2029-12-31，没有即将到期的协议。",
    }
    data.update(override)
    return Report(**data)


def empty_report() -> Report:
    return sample_report(rows=(), totals=(("协议份数", 0),), calendar_events=(), chart=None)


def digests(report: Report) -> dict[str, str]:
    return {fmt: hashlib.sha256(render_report(report, fmt)).hexdigest() for fmt in FILE_FORMATS}


@pytest.fixture(scope="module")
def pdf_bytes() -> bytes:
    return render_pdf(sample_report())


# ---------------------------------------------------------------- the model


def test_model_checks_rows_against_columns():
    with pytest.raises(ValueError, match="not columns"):
        sample_report(rows=({"contract_no": "x", "typo": 1},))
    with pytest.raises(ValueError, match="Decimal"):
        sample_report(rows=({"fee": 12800.0},))
    with pytest.raises(ValueError, match="datetime.date"):
        sample_report(rows=({"last_day": dt.datetime(2030, 1, 1)},))
    with pytest.raises(ValueError, match="not masked"):
        sample_report(rows=({"id_number": "11010519491231002X"},))
    with pytest.raises(ValueError, match="timezone-aware"):
        sample_report(generated_at=dt.datetime(2029, 12, 31, 9, 0))
    with pytest.raises(ValueError, match="kind"):
        Column("x", "某列", "money")
    # a missing key is an empty cell
    assert sample_report(rows=({"contract_no": "VIP-1"},)).rows[0]["fee"] is None


def test_monthly_chart_counts_24_months_from_the_as_of_month():
    chart = monthly_chart(
        [dt.date(2029, 12, 30), dt.date(2029, 12, 31), dt.date(2030, 1, 15), dt.date(2030, 1, 31),
         dt.date(2031, 11, 30), dt.date(2031, 12, 1)],
        AS_OF, 24,
    )
    assert len(chart.labels) == 24
    assert chart.labels[0] == "2029-12" and chart.labels[1] == "2030-01" and chart.labels[-1] == "2031-11"
    # 2029-12-30 is past, 2031-12-01 beyond the 24 months
    assert chart.counts[0] == 1 and chart.counts[1] == 2 and chart.counts[-1] == 1
    assert chart.total == 4


# ---------------------------------------------------------------- terminal


def table_cells(text: str) -> list[list[str]]:
    """Rows of a boxed rich table (header first), each cell's wrapped lines joined back."""
    rows, current = [], None
    for line in text.splitlines():
        if line.startswith(("├", "└")) and current is not None:
            rows.append(current)
            current = None
        elif line.startswith("│"):
            parts = line.strip().strip("│").split("│")
            current = current or [""] * len(parts)
            for i, part in enumerate(parts):
                current[i] += part.strip()
    return rows


def test_terminal_table_at_80_columns_wraps_chinese_without_truncating():
    console = Console(width=80, record=True, file=io.StringIO(), color_system=None)
    render_table(sample_report(), console)
    text = console.export_text()
    assert "…" not in text and "..." not in text
    assert all(len(line) <= 80 for line in text.splitlines())
    lines = text.splitlines()
    assert lines[0] == "即将到期的协议" and lines[1] == "基准日：2029-12-31"
    cells = table_cells(text)
    assert cells[0] == ["合同编号", "客户名称", "证件号码", "期限最后一日", "年服务费（元）", "提醒情况"]
    assert cells[1:] == [
        ["VIP-2025-000123", "张三", "110105********002X", "2030-01-01", "12,800.00",
         "90日提醒已发送，60日提醒已送达，30日提醒未发送"],
        ["VIP-2025-000124", "北京某某科技有限公司（海淀分公司）", "91110000600037341L", "2030-03-09",
         "98,000.50", "已约定续签"],
        ["VIP-2025-000125", "上海市浦东新区某某贸易发展股份有限公司", "310101********1234", "2031-06-30",
         "1,234,567.89", ""],
    ]
    # the long names did wrap (the test would prove nothing otherwise); IDs and dates did not
    assert "上海市浦东新区某某贸易发展股份有限公司" not in text
    for whole in ("110105********002X", "2031-06-30", "1,234,567.89", "VIP-2025-000125"):
        assert whole in text
    # amounts are right-aligned
    amount_lines = [line for line in text.splitlines() if "12,800.00" in line]
    cell = amount_lines[0].split("│")[5]
    assert cell.rstrip().endswith("12,800.00") and cell.startswith("   ")
    # totals and notes below the table
    tail = text[text.rindex("┘"):]
    assert "协议份数：" in tail and "3" in tail and "1,345,368.39" in tail
    assert "注：证件号码已部分隐藏。" in tail and "注：日期为北京时间。" in tail


def test_terminal_too_many_columns_for_80_prints_one_block_per_row():
    extra = (Column("renewed", "已约定续签", "flag"), Column("days", "剩余天数", "int"),
             Column("address", "通知送达地址", "text"))
    rows = [{**r, "renewed": i == 1, "days": 1 + i, "address": "北京市朝阳区建国路88号1单元101室"}
            for i, r in enumerate(ROWS)]
    text = render_text(sample_report(columns=COLUMNS + extra, rows=rows), width=80)
    assert "…" not in text and all(len(line) <= 80 for line in text.splitlines())
    assert "第 1 条" in text and "第 3 条" in text
    flat = "".join(text.split())
    for row in rows:
        for value in ("customer", "status", "address", "id_number", "contract_no"):
            if row[value]:
                assert "".join(row[value].split()) in flat
    assert "已约定续签：是" in flat and "已约定续签：否" in flat


def test_terminal_shows_generated_at_when_set():
    moment = dt.datetime(2029, 12, 31, 9, 30, tzinfo=SHANGHAI)
    text = render_text(sample_report(generated_at=moment))
    assert "生成时间：2029-12-31 09:30:00 +08:00" in text
    assert "生成时间" not in render_text(sample_report())


def test_wrap_cell_breaks_between_chinese_characters_not_inside_words():
    assert wrap_cell("90日提醒已发送，60日提醒已送达", 8).split("\n") == ["90日提醒", "已发送，", "60日提醒", "已送达"]
    assert wrap_cell("年服务费（元）", 12).split("\n") == ["年服务费", "（元）"]
    assert wrap_cell("VIP-2025-000123", 10).split("\n") == ["VIP-2025-0", "00123"]


def test_terminal_empty_report_prints_the_message():
    console = Console(width=80, record=True, file=io.StringIO(), color_system=None)
    render_table(empty_report(), console)
    text = console.export_text()
    assert "截至 2029-12-31，没有即将到期的协议。" in text
    assert "┌" not in text and "合同编号" not in text
    assert "协议份数：" in text


# ---------------------------------------------------------------- CSV


def test_csv_has_bom_header_and_plain_values():
    data = render_csv(sample_report())
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["合同编号", "客户名称", "证件号码", "期限最后一日", "年服务费（元）", "提醒情况"]
    assert rows[1] == ["VIP-2025-000123", "张三", "110105********002X", "2030-01-01", "12800.00",
                       "90日提醒已发送，60日提醒已送达，30日提醒未发送"]
    assert rows[2][4] == "98000.50" and rows[3][4] == "1234567.89"
    assert rows[3][5] == ""
    assert len(rows) == 4


def test_csv_of_an_empty_report_is_the_header():
    rows = list(csv.reader(io.StringIO(render_csv(empty_report()).decode("utf-8-sig"), newline="")))
    assert rows == [["合同编号", "客户名称", "证件号码", "期限最后一日", "年服务费（元）", "提醒情况"]]


# ---------------------------------------------------------------- XLSX


def test_xlsx_header_dates_amounts_widths(tmp_path):
    path = write_report(sample_report(), "xlsx", tmp_path / "report.xlsx")
    wb = load_workbook(path)
    ws = wb.worksheets[0]
    assert ws.title == "即将到期的协议"
    assert [c.value for c in ws[1]] == ["合同编号", "客户名称", "证件号码", "期限最后一日", "年服务费（元）", "提醒情况"]
    assert all(c.font.bold for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:F4"
    assert ws.max_row == 4
    assert ws["D2"].value == dt.datetime(2030, 1, 1) and ws["D2"].number_format == "yyyy-mm-dd"
    assert ws["E2"].value == 12800 and isinstance(ws["E2"].value, int | float)
    assert ws["E3"].value == pytest.approx(98000.5) and ws["E2"].number_format == "#,##0.00"
    assert ws["C2"].value == "110105********002X" and ws["C2"].data_type == "s"
    assert ws["F4"].value is None
    default = 8.43
    widths = {col: ws.column_dimensions[col].width for col in "ABCDEF"}
    assert widths["B"] > default and widths["F"] > default and widths["D"] > default
    # the long Chinese name fits: 19 CJK characters count 38 units
    assert widths["B"] >= 38
    summary = wb["汇总"]
    pairs = {row[0]: row[1] for row in summary.iter_rows(values_only=True)}
    assert pairs["报表"] == "即将到期的协议"
    assert pairs["基准日"] == dt.datetime(2029, 12, 31)
    assert pairs["协议份数"] == 3 and pairs["年服务费合计"] == pytest.approx(1345368.39)
    assert pairs["记录数"] == 3
    assert "生成时间" not in pairs
    assert wb.properties.title == "即将到期的协议"
    assert wb.properties.created == dt.datetime(2029, 12, 31) == wb.properties.modified


def test_xlsx_text_is_never_a_formula():
    rows = ({"contract_no": "=HYPERLINK(\"http://x\")", "customer": "+张三"},)
    ws = load_workbook(io.BytesIO(render_xlsx(sample_report(rows=rows)))).worksheets[0]
    assert ws["A2"].value == "=HYPERLINK(\"http://x\")" and ws["A2"].data_type == "s"


def test_xlsx_zip_entries_carry_the_as_of_date():
    with zipfile.ZipFile(io.BytesIO(render_xlsx(sample_report()))) as archive:
        assert {info.date_time for info in archive.infolist()} == {(2029, 12, 31, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
    assert core.count("2029-12-31T00:00:00Z") == 2


def test_xlsx_of_an_empty_report_has_the_header():
    ws = load_workbook(io.BytesIO(render_xlsx(empty_report()))).worksheets[0]
    assert ws.max_row == 1 and ws["A1"].value == "合同编号" and ws.auto_filter.ref == "A1:F1"


# ---------------------------------------------------------------- JSON


def test_json_schema_and_values():
    data = json.loads(render_json(sample_report()))
    assert set(data) == {"report", "title", "as_of", "columns", "rows", "totals", "notes", "chart"}
    assert data["report"] == "expiring" and data["title"] == "即将到期的协议" and data["as_of"] == "2029-12-31"
    assert data["columns"][4] == {"key": "fee", "label": "年服务费（元）", "kind": "amount"}
    assert data["rows"][0] == {
        "contract_no": "VIP-2025-000123", "customer": "张三", "id_number": "110105********002X",
        "last_day": "2030-01-01", "fee": "12800.00", "status": "90日提醒已发送，60日提醒已送达，30日提醒未发送",
    }
    assert data["rows"][1]["fee"] == "98000.50" and data["rows"][2]["status"] is None
    assert data["totals"] == [{"label": "协议份数", "value": 3}, {"label": "年服务费合计", "value": "1345368.39"}]
    assert data["notes"] == ["证件号码已部分隐藏。", "日期为北京时间。"]
    assert data["chart"]["labels"][0] == "2029-12" and sum(data["chart"]["counts"]) == 3


def test_json_is_sorted_utf8_indented_and_has_generated_at_only_when_set():
    raw = render_json(sample_report()).decode("utf-8")
    assert "张三" in raw and "\\u" not in raw
    assert raw.startswith('{\n  "as_of": "2029-12-31",\n') and raw.endswith("}\n")
    moment = dt.datetime(2029, 12, 31, 9, 30, tzinfo=SHANGHAI)
    data = json.loads(render_json(sample_report(generated_at=moment)))
    assert data["generated_at"] == "2029-12-31T09:30:00+08:00"
    empty = json.loads(render_json(empty_report()))
    assert empty["rows"] == [] and "chart" not in empty and len(empty["columns"]) == 6


def test_json_flag_and_int_values():
    columns = (Column("no", "编号", "text"), Column("renewed", "已续签", "flag"), Column("days", "天数", "int"))
    report = sample_report(columns=columns, rows=({"no": "1", "renewed": True, "days": 7},))
    assert json.loads(render_json(report))["rows"] == [{"no": "1", "renewed": True, "days": 7}]
    assert render_csv(report).decode("utf-8-sig").splitlines()[1] == "1,是,7"


# ---------------------------------------------------------------- PDF


def test_pdf_reads_back(pdf_bytes, tmp_path):
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as pdf:
        assert pdf.metadata["Title"] == "即将到期的协议"
        assert pdf.metadata["CreationDate"].startswith("D:20291231000000")
        assert pdf.metadata["ModDate"].startswith("D:20291231000000")
        page = pdf.pages[0]
        assert page.width > page.height  # six columns with long text: landscape
        text = page.extract_text()
        fonts = {c["fontname"] for c in page.chars}
    assert "即将到期的协议" in text
    assert "基准日：2029-12-31" in text
    assert "生成时间" not in text
    assert "VIP-2025-000123" in text and "张三" in text and "110105********002X" in text
    assert "2030-01-01" in text and "12,800.00" in text and "1,234,567.89" in text
    assert "第 1 页 共 1 页" in text
    assert "年服务费合计" in text and "1,345,368.39" in text and "证件号码已部分隐藏。" in text
    assert "未来 24 个月每月到期协议数" in text
    assert all("CJK" in f or "VIPContract" in f for f in fonts), fonts
    # the first page as a picture (looked at when changing the layout)
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    pdf_path = tmp_path / "report.pdf"
    pdf_path.write_bytes(pdf_bytes)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf_path), str(tmp_path / "page")],
                   check=True)
    png = next(tmp_path.glob("page*.png"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_pdf_generated_at_line_and_empty_report():
    moment = dt.datetime(2029, 12, 31, 9, 30, tzinfo=SHANGHAI)
    with pdfplumber.open(io.BytesIO(render_pdf(sample_report(generated_at=moment)))) as pdf:
        assert "生成时间：2029-12-31 09:30:00 +08:00" in pdf.pages[0].extract_text()
    with pdfplumber.open(io.BytesIO(render_pdf(empty_report()))) as pdf:
        page = pdf.pages[0]
        text = page.extract_text()
        assert page.width < page.height
    assert "截至 2029-12-31，没有即将到期的协议。" in text and "第 1 页 共 1 页" in text
    assert "合同编号" not in text


def test_pdf_many_rows_page_numbers_and_repeated_header():
    rows = [dict(ROWS[i % 3], contract_no=f"VIP-2025-{i:06d}") for i in range(120)]
    columns = COLUMNS[:2] + COLUMNS[3:5]
    rows = [{c.key: r[c.key] for c in columns} for r in rows]
    with pdfplumber.open(io.BytesIO(render_pdf(sample_report(columns=columns, rows=rows, chart=None)))) as pdf:
        count = len(pdf.pages)
        assert count >= 3
        assert pdf.pages[0].width < pdf.pages[0].height  # four columns: portrait
        last = pdf.pages[-1].extract_text()
    assert f"第 {count} 页 共 {count} 页" in last
    assert "合同编号" in last and "即将到期的协议" in last and "VIP-2025-000119" in last


def test_text_columns_keep_a_name_on_one_line():
    from renderers.report_pdf import TEXT_MIN_UNITS, min_widths

    widths = min_widths(sample_report())
    # 合同编号 and 客户名称 are text; the id, date and amount columns do not wrap at all
    assert widths[1] == f"{TEXT_MIN_UNITS / 2:g}em" and widths[2:5] == ["", "", ""]
    short = sample_report(rows=({**ROWS[0], "customer": "张三"},))
    assert min_widths(short)[1] == "4em"  # the label 客户名称 is the widest
    assert 'style="min-width: 4em"' in render_html(short)


def test_chart_svg_has_a_bar_per_non_zero_month_and_every_label():
    chart = sample_report().chart
    svg = chart_svg(chart, '"Noto Serif CJK SC", serif')
    assert svg.count("<rect") == 3
    assert all(f">{label}</text>" in svg for label in chart.labels)
    assert 'font-family="Noto Serif CJK SC, serif"' in svg  # WeasyPrint's SVG wants it unquoted
    html_text = render_html(sample_report())
    assert "<svg" in html_text and "<svg" not in render_html(sample_report(chart=None))


# ---------------------------------------------------------------- ICS


def test_ics_all_day_events():
    cal = Calendar.from_ical(render_ics(sample_report()))
    assert str(cal["PRODID"]) == "-//vipcontract//CN" and str(cal["VERSION"]) == "2.0"
    events = list(cal.walk("VEVENT"))
    assert len(events) == 2
    first, second = events
    assert str(first["UID"]) == "VIP-2025-000123-expiry@vipcontract"
    assert first["DTSTART"].dt == dt.date(2030, 1, 1) and not isinstance(first["DTSTART"].dt, dt.datetime)
    assert first["DTEND"].dt == dt.date(2030, 1, 2)
    assert str(first["SUMMARY"]) == "协议到期：VIP-2025-000123 张三"
    assert str(first["DESCRIPTION"]) == "期限最后一日 2030-01-01，尚未约定续签"
    assert first["DTSTAMP"].dt == dt.datetime(2029, 12, 31, tzinfo=dt.UTC)
    assert second["DTSTART"].dt == dt.date(2030, 3, 9) and "北京某某科技有限公司" in str(second["SUMMARY"])
    assert not first.walk("VALARM") and not second.walk("VALARM")  # none asked for


def test_ics_alarm_at_nine_on_the_day_when_asked():
    event = CalendarEvent("VIP-2025-000123-T1-reminder-30@vipcontract", dt.date(2029, 12, 2),
                          "发续签提醒（到期前30日）：张三 VIP-2025-000123", alarm=True)
    [read] = Calendar.from_ical(render_ics(sample_report(calendar_events=(event,)))).walk("VEVENT")
    [alarm] = read.walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY" and alarm.decoded("TRIGGER") == dt.timedelta(hours=9)
    assert str(alarm["DESCRIPTION"]) == event.summary


# ---------------------------------------------------------------- files and reproducibility


def test_every_format_twice_gives_the_same_bytes():
    assert digests(sample_report()) == digests(sample_report())
    assert digests(empty_report()) == digests(empty_report())


def test_another_process_gives_the_same_bytes():
    """A fresh interpreter with another hash seed and a later clock: still the same bytes."""
    code = (
        "import json\n"
        "from tests.test_report_formats import digests, sample_report\n"
        "print(json.dumps(digests(sample_report())))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         check=True)
    assert json.loads(out.stdout) == digests(sample_report())


def test_timestamp_changes_only_what_shows_it():
    moment = dt.datetime(2029, 12, 31, 9, 30, tzinfo=SHANGHAI)
    plain, stamped = digests(sample_report()), digests(sample_report(generated_at=moment))
    assert plain["csv"] == stamped["csv"] and plain["ics"] == stamped["ics"]
    assert plain["json"] != stamped["json"] and plain["pdf"] != stamped["pdf"]


def test_write_report_is_atomic(tmp_path, monkeypatch):
    target = tmp_path / "out" / "expiring.csv"
    assert write_report(sample_report(), "csv", target) == target
    assert target.read_bytes() == render_csv(sample_report())
    assert sorted(p.name for p in target.parent.iterdir()) == ["expiring.csv"]

    def fail(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(report_files.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_report(empty_report(), "csv", target)
    assert target.read_bytes() == render_csv(sample_report())
    assert sorted(p.name for p in target.parent.iterdir()) == ["expiring.csv"]


def test_unknown_format_is_refused():
    assert set(FILE_FORMATS) == set(FORMATS)
    with pytest.raises(ValueError, match="unknown report format"):
        render_report(sample_report(), "docx")
