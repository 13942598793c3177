"""Mutual termination signed on an earlier day: `terminate --signed-on`, checked, and carried by the
解除协议 (read back from its DOCX and PDF) and the register."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from contracts.agreement import cn_date
from contracts.dates import SHANGHAI
from tests.readback_docx import docx_body_lines
from tests.readback_pdf import pdf_body_text, squash
from tests.test_dates_in_text import customer_args
from tests.test_register_fixtures import freeze_clock

# The commands run on a fixed day (a run may cross midnight in Shanghai between the test's
# "today" and the command's).
NOW = dt.datetime(2026, 9, 15, 10, 30, tzinfo=SHANGHAI)
TODAY = NOW.date()


@pytest.fixture
def signed(tmp_path, monkeypatch):
    """An individual contract signed on 2025-03-10; returns (run, contract number, out dir)."""
    freeze_clock(monkeypatch, NOW)
    db = tmp_path / "db.json"

    def run(*args: str):
        return CliRunner().invoke(main, ["--db", str(db), "--new-register", *args])

    issued = run("issue", *customer_args("individual"), "--issued-on", "2025-03-01", "--format", "docx",
                 "--out", str(tmp_path / "docs"))
    assert issued.exit_code == 0, issued.output
    no = issued.output.splitlines()[0].removeprefix("已签发并登记合同 ").strip()
    assert run("sign", no, "--on", "2025-03-10").exit_code == 0
    return run, no, tmp_path / "out"


def read_back(path: Path) -> str:
    return squash("".join(docx_body_lines(path))) if path.suffix == ".docx" else squash(pdf_body_text(path))


def history(run, no) -> list[dict]:
    return json.loads(run("show", no, "--json").output)["history"]


@pytest.mark.slow
def test_the_termination_agreement_carries_the_day_it_was_signed(signed):
    run, no, out = signed
    result = run("terminate", no, "--on", "2026-07-01", "--reason", "mutual", "--signed-on", "2026-06-20",
                 "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == (f"已登记合同 {no} 解除（协商一致解除），自 2026-07-01 起解除，"
                                             "解除协议签署日期 2026-06-20")
    files = sorted(out.iterdir())
    assert [f.suffix for f in files] == [".docx", ".pdf"]
    for path in files:
        text = read_back(path)
        assert "原协议自2026年7月1日起解除" in text
        assert text.count("日期：2026年6月20日") == 2, path.suffix  # both parties' lines
        assert cn_date(TODAY) not in text or TODAY == dt.date(2026, 6, 20)
    ended = [h for h in history(run, no) if h["kind"] == "terminated"]
    assert ended[0]["signed_on"] == "2026-06-20" and ended[0]["effective_on"] == "2026-07-01"
    view = json.loads(run("show", no, "--json").output)
    assert view["terminated"]["signed_on"] == "2026-06-20"


def test_by_default_it_is_signed_today(signed):
    run, no, out = signed
    result = run("terminate", no, "--on", TODAY.isoformat(), "--reason", "mutual", "--format", "docx",
                 "--out", str(out))
    assert result.exit_code == 0, result.output
    assert f"解除协议签署日期 {TODAY.isoformat()}" in result.output
    (path,) = out.iterdir()
    assert f"日期：{cn_date(TODAY)}" in read_back(path)


@pytest.mark.parametrize(
    ("signed_on", "message"),
    [
        ((TODAY + dt.timedelta(days=1)).isoformat(),
         "解除协议的签署日期 {d} 晚于今天（{today}），请在签署后登记"),
        ("2025-03-09", "解除协议的签署日期 2025-03-09 早于合同 {no} 的签署日期 2025-03-10"),
        ("2025-02-30", "日期 2025-02-30 无效，请按 YYYY-MM-DD 填写，例如 2025-03-10"),
    ],
)
def test_a_day_in_the_future_or_before_the_contract_is_refused_and_nothing_is_written(
    signed, signed_on, message
):
    run, no, out = signed
    before = history(run, no)
    result = run("terminate", no, "--on", "2026-07-01", "--reason", "mutual", "--signed-on", signed_on,
                 "--out", str(out))
    assert result.exit_code == 1
    expected = message.format(d=signed_on, today=TODAY.isoformat(), no=no)
    assert result.output == f"错误：--signed-on：{expected}\n"
    assert "Traceback" not in result.output
    assert not out.exists() or not any(out.iterdir())
    assert history(run, no) == before


def test_signed_on_is_for_a_termination_by_agreement_only(signed):
    run, no, out = signed
    result = run("terminate", no, "--by-notice", "N-000001", "--signed-on", "2026-06-20", "--out", str(out))
    assert result.exit_code == 1
    assert result.output.startswith("错误：--signed-on：签署日期只用于协商解除") and result.output.count("\n") == 1
