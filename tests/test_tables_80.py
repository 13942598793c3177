"""`list`, `show`, `find` and every report at 80 columns (click's runner with COLUMNS=80, and a
rich Console 80 cells wide): no line wider than 80 cells, no contract number, date or status cut
to "…", the columns a clerk acts on, totals at the bottom; `--wide` shows every column."""

from __future__ import annotations

import io
import re

import pytest
from click.testing import CliRunner
from rich.cells import cell_len
from rich.console import Console

from cli import main
from contracts.reports import terminal_view
from renderers.report_table import render_table
from tests.test_cli_register import INDIVIDUAL
from tests.test_register_fixtures import fake_renderer  # noqa: F401  (fixture)
from tests.test_reports import AS_OF, DD, A, B, C, E, profile, register_path, report, states  # noqa: F401

NUMBERS = (A, B, C, DD, E)
STATUSES = ("待签署", "已签署待生效", "履行中", "即将到期", "已续签", "逾期付款", "已到期", "已解除", "已作废")
DAY = AS_OF.isoformat()


@pytest.fixture
def run(register_path, tmp_path):  # noqa: F811
    import shutil

    db = tmp_path / "register.json"
    shutil.copy(register_path, db)

    def invoke(*args: str):
        result = CliRunner().invoke(main, ["--db", str(db), *args], env={"COLUMNS": "80"})
        assert result.exit_code == 0, result.output
        return result.output

    return invoke


def check_80(text: str) -> None:
    """Every line fits; "…" only where the register head is shortened on purpose."""
    for line in text.splitlines():
        assert cell_len(line) <= 80, f"{cell_len(line)} cells: {line}\n{text}"
        if "…" in line:
            assert line.startswith("登记簿末端："), f"cut: {line}\n{text}"
    for number in re.findall(r"VIP-\d{4}-\d*", text):
        assert number in NUMBERS or re.fullmatch(r"VIP-\d{4}-\d{6}", number), f"{number} cut\n{text}"
    for date in re.findall(r"(?<![\w-])20\d\d-[\d-]*", text):
        assert re.fullmatch(r"20\d\d-\d\d-\d\d", date), f"{date} cut\n{text}"


COMMANDS = [
    ("list", "--as-of", DAY),
    ("find", "1380000", "--as-of", DAY),
    ("report", "expiring", "--as-of", DAY, "--no-timestamp"),
    ("report", "renewals", "--as-of", DAY, "--no-timestamp"),
    ("report", "amendments", "--as-of", DAY, "--no-timestamp"),
    ("report", "notices", "--as-of", DAY, "--no-timestamp"),
    ("report", "deadlines", "--as-of", DAY, "--from", "2026-01-01", "--no-timestamp"),
    *[("show", number, "--as-of", DAY) for number in NUMBERS],
]


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_fits_80_columns_and_cuts_nothing(run, args):
    check_80(run(*args))


def test_list_one_line_a_contract_with_status_and_totals_below(run):
    text = run("list", "--as-of", DAY)
    rows = [line for line in text.splitlines() if line.startswith("│ VIP-")]
    assert [row.split()[1] for row in rows] == list(NUMBERS)
    assert all(any(status in row for status in STATUSES) for row in rows)
    table_end = text.rindex("┘")
    assert re.search(r"^合同份数：\s+5$", text[table_end:], re.MULTILINE)
    assert "履行中合同年服务费合计（元）" in text[table_end:]
    assert "11010519491231002X" not in text


def test_notices_and_deadlines_show_the_customer(run):
    notices = run("report", "notices", "--as-of", DAY, "--no-timestamp")
    assert "李四" in notices and "王芳" in notices and "合同编号" in notices
    deadlines = run("report", "deadlines", "--as-of", DAY, "--from", "2026-01-01", "--no-timestamp")
    assert "王芳" in deadlines and "北京某某" in deadlines


def test_expiring_shows_phone_days_left_and_fee(run):
    text = run("report", "expiring", "--as-of", DAY, "--no-timestamp")
    assert "联系电话" in text and "13800000000" in text
    assert "剩余天数" in text and re.search(r"│ 1 +│", text)  # A ends tomorrow
    assert "年服务费" in text and "12,800.00" in text


def test_wide_shows_every_column(run):
    text = run("report", "expiring", "--as-of", DAY, "--no-timestamp", "--wide")
    for label in ("证件号码", "联系电话", "续签协议", "续签后最后一日", "到期提醒"):
        assert label in text
    assert "--wide" not in text  # no note that columns were left out
    assert any(cell_len(line) > 80 for line in text.splitlines())
    wide_list = run("list", "--as-of", DAY, "--wide")
    assert "通讯地址" in wide_list and "下次付款日" in wide_list


@pytest.mark.parametrize("name", ["expiring", "renewals", "amendments", "notices", "deadlines"])
def test_reports_on_a_rich_console_80_wide(states, profile, name):  # noqa: F811
    rep = report(name, states, profile, **({"date_from": AS_OF.replace(month=1, day=1)}
                                           if name in ("renewals", "amendments", "deadlines") else {}))
    console = Console(width=80, record=True, file=io.StringIO(), color_system=None)
    render_table(terminal_view(rep), console)
    text = console.export_text()
    check_80(text)
    assert "┌" in text  # a table, not one block per row
    totals_at = min(text.index(f"{label}：") for label, _v in rep.totals)
    assert totals_at > text.rindex("┘")


def test_show_contact_details_masked_id(run):
    text = run("show", A, "--as-of", DAY)
    assert "电话：13800000000" in text and "电子邮箱：" in text and "通讯地址：" in text
    assert "110105********002X" in text and "11010519491231002X" not in text


def test_show_the_effective_date_the_agreement_states_before_signing(tmp_path, fake_renderer):  # noqa: F811
    db = tmp_path / "register.json"
    customer = tmp_path / "customer.yaml"
    customer.write_text("\n".join(f'{k}: "{v}"' for k, v in INDIVIDUAL.items()), encoding="utf-8")
    runner = CliRunner()
    issued = runner.invoke(main, ["--db", str(db), "--new-register", "issue", "--type", "个人", "--from", str(customer),
                                  "--annual-fee", "12800", "--effective-date", "2026-12-01",
                                  "--issued-on", "2026-11-20", "--out", str(tmp_path / "out")])
    assert issued.exit_code == 0, issued.output
    text = runner.invoke(main, ["--db", str(db), "show", "VIP-2026-000001", "--as-of", "2026-11-24"],
                         env={"COLUMNS": "80"}).output
    assert "生效日期：2026-12-01（协议写明，尚未登记签署）" in text
    assert "签署日期：—" in text
    check_80(text)


def _drawn(rep, width: int, color: bool = False) -> str:
    console = Console(width=width, record=True, file=io.StringIO(), color_system="standard" if color else None,
                      force_terminal=color)
    render_table(rep, console)
    return console.export_text(styles=color)


@pytest.mark.parametrize("name", ["expiring", "renewals", "amendments", "notices", "deadlines", "receivables"])
@pytest.mark.parametrize("width", [80, 120, 200])
def test_a_table_drawn_line_by_line_is_the_table_rich_draws(states, profile, name, width, monkeypatch):  # noqa: F811
    """Large reports are drawn line by line (renderers.report_table.LINE_BY_LINE_ROWS): the same
    text, character for character, as rich's Table, and the header bold on a colour terminal."""
    import dataclasses

    from renderers import report_table

    rep = terminal_view(report(name, states, profile, **({"date_from": AS_OF.replace(month=1, day=1)}
                                                        if name in ("renewals", "amendments", "deadlines") else {})))
    many = dataclasses.replace(rep, rows=rep.rows * 40)  # ruled and unruled tables, wrapped and not
    for sample in (rep, many):
        by_rich = _drawn(sample, width)
        monkeypatch.setattr(report_table, "LINE_BY_LINE_ROWS", 0)
        assert _drawn(sample, width) == by_rich
        coloured = _drawn(sample, width, color=True)
        header = coloured.split("\n┌", 1)[1].split("├", 1)[0]
        assert "\x1b[1m" in header and sample.columns[0].label.split("\n")[0] in header
        monkeypatch.setattr(report_table, "LINE_BY_LINE_ROWS", 500)
    assert "┌" in by_rich
