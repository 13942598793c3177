"""`vipcontract report …` and `vipcontract consolidated` through the command line (CliRunner):
what is printed, what is written, the messages and the exit codes."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from icalendar import Calendar
from openpyxl import load_workbook

from cli import main
from contracts.report_model import text_width
from tests.test_register_fixtures import fake_renderer  # noqa: F401  (fixture)
from tests.test_reports import DD, A, B, profile, register_path  # noqa: F401  (fixtures)

AS_OF = "2026-11-24"
REPORTS = ("expiring", "renewals", "amendments", "notices", "deadlines", "receivables")


@pytest.fixture
def run(register_path, tmp_path):  # noqa: F811
    db = tmp_path / "register.json"
    shutil.copy(register_path, db)

    def invoke(*args: str):
        return CliRunner().invoke(main, ["--db", str(db), "--new-register", *args])

    return invoke


@pytest.fixture
def run_empty(tmp_path):
    """A register with nothing in it yet (a 0-byte file: made, never written to)."""
    db = tmp_path / "none" / "register.json"
    db.parent.mkdir()
    db.touch()

    def invoke(*args: str):
        return CliRunner().invoke(main, ["--db", str(db), "--new-register", *args])

    invoke.db = db
    return invoke


def test_expiring_on_the_terminal(run):
    result = run("report", "expiring", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("即将到期的协议\n基准日：2026-11-24\n生成时间：")
    assert A in out and B in out and DD not in out
    assert "90日 已发" in out and "7日 应发" in out
    assert "到期协议份数：" in out and "漏发提醒：" in out
    assert all(text_width(line) <= 80 for line in out.splitlines())
    within = run("report", "expiring", "--as-of", AS_OF, "--within", "1", "--no-timestamp")
    assert A in within.output and B not in within.output and "生成时间" not in within.output


@pytest.mark.parametrize(("name", "args", "present"), [
    ("renewals", ("--from", "2026-01-01", "--to", "2026-12-31"), [f"{B}-X1", "2032-01-09", "16,800.00"]),
    ("amendments", ("--contract", DD), [f"{DD}-B1", f"{DD}-B2", "15,800.00元"]),
    ("notices", ("--pending",), ["N-000004", "已过视为送达日"]),
    ("deadlines", ("--from", "2026-09-01", "--to", "2026-12-31"), ["2026-10-08", "2026-10-01", "付款截止"]),
])
def test_each_report_prints_its_rows(run, name, args, present):
    result = run("report", name, "--as-of", AS_OF, *args)
    assert result.exit_code == 0, result.output
    for text in present:
        assert text in result.output, (text, result.output)


def test_json_to_stdout(run):
    result = run("report", "notices", "--as-of", AS_OF, "--format", "json", "--no-timestamp")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["report"] == "notices" and [r["notice_id"] for r in data["rows"]] == \
        ["N-000002", "N-000001", "N-000003", "N-000004"]
    assert data["rows"][3]["overdue"] is True and data["rows"][2]["to_address_in_force"] is False
    stamped = json.loads(run("report", "notices", "--as-of", AS_OF, "--format", "json").output)
    assert stamped["generated_at"].endswith("+08:00")


def test_files(run, tmp_path):
    csv_file, xlsx_file, ics_file = tmp_path / "a.csv", tmp_path / "d.xlsx", tmp_path / "d.ics"
    result = run("report", "amendments", "--as-of", AS_OF, "--format", "csv", "--out", str(csv_file))
    assert result.exit_code == 0 and result.output == f"已生成：{csv_file}\n"
    rows = list(csv.reader(io.StringIO(csv_file.read_text(encoding="utf-8-sig"))))
    assert [r[0] for r in rows] == ["补充协议编号", f"{DD}-B1", f"{DD}-B2", f"登记簿末端：{head_text(tmp_path)}"]
    assert run("report", "deadlines", "--as-of", AS_OF, "--from", "2026-09-01", "--to", "2027-01-31",
               "--format", "xlsx", "--out", str(xlsx_file)).exit_code == 0
    ws = load_workbook(xlsx_file).worksheets[0]
    assert ws.cell(3, 2).value == "付款截止" and ws.cell(3, 7).value.date().isoformat() == "2026-10-01"
    assert run("report", "deadlines", "--as-of", AS_OF, "--format", "ics", "--out", str(ics_file)).exit_code == 0
    cal = Calendar.from_ical(ics_file.read_bytes())
    assert {str(e["uid"]) for e in cal.walk("VEVENT")} >= {f"{B}-payment-6@vipcontract"}
    directory = run("report", "renewals", "--as-of", AS_OF, "--format", "csv", "--out", str(tmp_path))
    assert directory.exit_code == 0 and (tmp_path / "report-renewals-2026-11-24.csv").exists()


def head_text(tmp_path: Path) -> str:
    from store import open_store

    return open_store(tmp_path / "register.json").head().text()


@pytest.mark.slow
def test_every_report_names_the_register_head_it_was_made_from(run, tmp_path):
    from pypdf import PdfReader

    head = head_text(tmp_path)
    assert head.startswith("第 ") and len(head.split()[-1]) == 64
    table = run("report", "expiring", "--as-of", AS_OF)
    assert table.output.rstrip("\n").splitlines()[-1] == f"登记簿末端：{head[:-48]}…"  # 16 digits
    data = json.loads(run("report", "notices", "--as-of", AS_OF, "--format", "json").output)
    assert data["register_head"] == head
    assert run("report", "renewals", "--as-of", AS_OF, "--format", "xlsx", "--out", str(tmp_path / "r.xlsx")).exit_code == 0
    summary = load_workbook(tmp_path / "r.xlsx")["汇总"]
    assert ["登记簿末端", head] in [[c.value for c in row[:2]] for row in summary.iter_rows()]
    assert run("report", "deadlines", "--as-of", AS_OF, "--format", "pdf", "--out", str(tmp_path / "d.pdf")).exit_code == 0
    text = "".join(page.extract_text() for page in PdfReader(tmp_path / "d.pdf").pages)
    assert head.split()[-1] in "".join(text.split())


@pytest.mark.parametrize("fmt", ["table", "csv", "xlsx", "json", "ics"])
def test_no_timestamp_gives_the_same_bytes(run, tmp_path, fmt):
    outs = [tmp_path / f"one.{fmt}", tmp_path / f"two.{fmt}"]
    for out in outs:
        assert run("report", "expiring", "--as-of", AS_OF, "--format", fmt, "--out", str(out),
                   "--no-timestamp").exit_code == 0
    assert outs[0].read_bytes() == outs[1].read_bytes()


@pytest.mark.slow
def test_no_timestamp_gives_the_same_pdf(run, tmp_path):
    outs = [tmp_path / "one.pdf", tmp_path / "two.pdf"]
    for out in outs:
        assert run("report", "expiring", "--as-of", AS_OF, "--format", "pdf", "--out", str(out),
                   "--no-timestamp").exit_code == 0
    assert outs[0].read_bytes() == outs[1].read_bytes() and outs[0].read_bytes().startswith(b"%PDF")


def test_a_report_pdf_is_pdf_a_3b_with_its_json_attached(run, tmp_path):
    """The same PDF/A-3b checks as the agreements', dated the as-of date; the data attached is
    byte for byte what --format json writes."""
    from renderers.report_pdf import REPORT_DATA_NAME
    from tests.test_pdfa import assert_pdfa_3b

    pdf, data = tmp_path / "r.pdf", tmp_path / "r.json"
    for fmt, out in (("pdf", pdf), ("json", data)):
        assert run("report", "receivables", "--as-of", AS_OF, "--format", fmt, "--out", str(out),
                   "--no-timestamp").exit_code == 0
    assert assert_pdfa_3b(pdf, AS_OF, REPORT_DATA_NAME) == data.read_bytes()


@pytest.mark.parametrize("name", ["renewals", "amendments", "notices"])
def test_ics_only_for_expiring_and_deadlines(run, tmp_path, name):
    result = run("report", name, "--format", "ics", "--out", str(tmp_path / "x.ics"))
    assert result.exit_code == 1
    assert "ICS（日历）格式只适用于 expiring 和 deadlines 报表" in result.output
    assert not (tmp_path / "x.ics").exists()


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "pdf", "ics"])
def test_a_file_format_needs_out(run, fmt):
    result = run("report", "expiring", "--format", fmt)
    assert result.exit_code == 1 and "--out：" in result.output and "请用 --out 指定文件名" in result.output


def test_bad_options(run):
    bad_date = run("report", "renewals", "--from", "2026-02-30")
    assert bad_date.exit_code == 1 and "--from：" in bad_date.output
    backwards = run("report", "deadlines", "--from", "2026-12-31", "--to", "2026-01-01")
    assert backwards.exit_code == 1 and "晚于" in backwards.output
    unknown = run("report", "amendments", "--contract", "VIP-2099-000001")
    assert unknown.exit_code == 1 and "登记簿中没有合同 VIP-2099-000001" in unknown.output
    fmt = run("report", "expiring", "--format", "docx")
    assert fmt.exit_code == 1 and "--format：格式“docx”无效，可选：table、csv、xlsx、json、pdf、ics" in fmt.output


@pytest.mark.parametrize("name", REPORTS)
def test_an_empty_register(run_empty, tmp_path, name):
    result = run_empty("report", name, "--as-of", AS_OF)
    assert result.exit_code == 0 and "登记簿中还没有合同。" in result.output
    out = tmp_path / f"{name}.csv"
    written = run_empty("report", name, "--as-of", AS_OF, "--format", "csv", "--out", str(out))
    assert written.exit_code == 0 and "登记簿中还没有合同。（文件中只有表头）" in written.output
    assert len(out.read_text(encoding="utf-8-sig").splitlines()) == 1
    assert run_empty.db.read_bytes() == b""  # a report writes nothing to the register


def test_a_report_on_a_register_that_is_not_there_names_the_path(tmp_path):
    db = tmp_path / "typo.json"
    result = CliRunner().invoke(main, ["--db", str(db), "report", "expiring"])
    assert result.exit_code == 1 and f"登记簿 {db} 不存在" in result.output
    assert not db.exists()


def test_receivables_in_every_format(run, tmp_path):
    table = run("report", "receivables", "--as-of", AS_OF, "--no-timestamp")
    assert table.exit_code == 0, table.output
    assert table.output.startswith("应收服务费及账龄\n基准日：2026-11-24\n")
    assert DD in table.output and ">90日" in table.output and "31-60日" in table.output
    assert "尚欠合计（元）：        31,580.82" in table.output  # C's year 2 pro rata (clause 12.3)
    assert all(text_width(line) <= 80 for line in table.output.splitlines())
    data = json.loads(run("report", "receivables", "--as-of", AS_OF, "--format", "json", "--no-timestamp").output)
    assert [(r["contract_no"], r["service_year"], r["outstanding"], r["days_overdue"]) for r in data["rows"]] == [
        ("VIP-2025-000001", 1, "12800.00", 609), ("VIP-2025-000001", 2, "2980.82", 244), (DD, 2, "15800.00", 47)]
    for fmt in ("csv", "xlsx", "pdf"):
        out = tmp_path / f"receivables.{fmt}"
        written = run("report", "receivables", "--as-of", AS_OF, "--format", fmt, "--out", str(out))
        assert written.exit_code == 0 and out.stat().st_size > 0, written.output
    rows = list(csv.reader(io.StringIO((tmp_path / "receivables.csv").read_text(encoding="utf-8-sig"))))
    assert rows[0][:5] == ["合同编号", "客户", "联系电话", "状态", "服务年度"] and rows[3][9] == "15800.00"
    ics = run("report", "receivables", "--format", "ics", "--out", str(tmp_path / "r.ics"))
    assert ics.exit_code == 1 and "ICS（日历）格式只适用于" in ics.output


def test_deadlines_ics_marks_what_is_paid(run, tmp_path):
    out = tmp_path / "deadlines.ics"
    result = run("report", "deadlines", "--as-of", AS_OF, "--from", "2026-09-01", "--to", "2027-01-31",
                 "--format", "ics", "--out", str(out))
    assert result.exit_code == 0, result.output
    events = {str(e["SUMMARY"]): str(e["DESCRIPTION"]) for e in Calendar.from_ical(out.read_bytes()).walk("VEVENT")}
    payment = events[f"收服务费 15,800.00 元：王芳 {DD}"]
    assert "尚未付款" in payment and "金额 15,800.00 元" in payment


def test_an_empty_result(run):
    result = run("report", "notices", "--pending", "--as-of", "2026-05-01")
    assert result.exit_code == 0 and "截至 2026-05-01 没有待送达的通知。" in result.output


@pytest.mark.usefixtures("fake_renderer")
def test_consolidated(run, tmp_path):
    result = run("consolidated", DD, "--as-of", "2026-12-31", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    names = [f"{DD}-consolidated-2026-12-31_王芳.docx", f"{DD}-consolidated-2026-12-31_王芳.pdf"]
    assert result.output == "".join(f"已生成：{tmp_path / n}\n" for n in names)
    assert all((tmp_path / n).exists() for n in names)
    only_pdf = run("consolidated", DD, "--as-of", "2026-12-31", "--format", "pdf", "--out", str(tmp_path / "p"))
    assert only_pdf.exit_code == 0 and [p.name for p in (tmp_path / "p").iterdir()] == [names[1]]


def test_consolidated_refusals(run, tmp_path):
    unknown = run("consolidated", "VIP-2099-000001", "--out", str(tmp_path))
    assert unknown.exit_code == 1 and "登记簿中没有合同 VIP-2099-000001" in unknown.output
    bad = run("consolidated", DD, "--format", "xlsx", "--out", str(tmp_path))
    assert bad.exit_code == 1 and "--format：" in bad.output
    # nothing written but the register's sidecar index (a cache: store/sidecar.py)
    assert [p for p in Path(tmp_path).iterdir() if ".json.index" not in p.name] == [tmp_path / "register.json"]


@pytest.mark.parametrize("path", [["report"], *[["report", n] for n in REPORTS], ["consolidated"]])
def test_help_is_in_chinese(path):
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0 and "用法：" in result.output and "选项" in result.output
