"""Corrections people can use: field names in Chinese or English (the names `show` prints),
the corrected values in `show` and the original in the history marked as corrected with who,
when and why, what followed from the corrected field re-derived, and a correction that would
make the history invalid refused like any other event."""

from __future__ import annotations

import json

import pytest

from contracts.commands import CorrectionRequest, decide_correction
from contracts.events import Signed
from contracts.register import replay
from tests.test_grounds_and_dates import late_notice, run  # noqa: F401  (fixture)
from tests.test_register_fixtures import NO, D, chain, fake_renderer, issued  # noqa: F401  (fixture)


@pytest.mark.parametrize("name", ["签署日期", "签署日", "signed_on", "SIGNED_ON"])
def test_a_corrected_signing_date_moves_the_effective_date_that_followed_it(run, name):  # noqa: F811
    result = run("correct", NO, "--seq", "2", "--set", f"{name}=2025-03-12", "--note", "签署日期登记错误",
                 "--by", "李四")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"已登记更正合同 {NO} 第 2 条记录（第 3 条记录）",
        "  签署日期：2025-03-10 → 2025-03-12",
        "  生效日期：2025-03-10 → 2025-03-12"]
    view = json.loads(run("show", NO, "--json").output)
    assert (view["signed_on"], view["effective_date"], view["terms"][0]["last_day"]) == \
        ("2025-03-12", "2025-03-12", "2030-03-11")
    assert view["payment_deadlines"][0]["first_day"] == "2025-03-12"
    original, fix = view["history"][1], view["history"][2]
    assert (original["signed_on"], original["corrected_by"]) == ("2025-03-10", [3])  # the original stays
    assert (fix["corrects_seq"], fix["note"], fix["by"]) == (2, "签署日期登记错误", "李四")
    shown = run("show", NO).output
    assert "签署日期：2025-03-12" in shown and "已更" in shown and "更正第 2 条" in shown
    assert run("check").exit_code == 0


def test_an_unknown_field_lists_what_can_be_corrected_in_both_names(run):  # noqa: F811
    before = run.db.read_bytes()
    result = run("correct", NO, "--seq", "2", "--set", "日期=2025-03-12", "--note", "x")
    assert (result.exit_code, result.output) == (1, (
        "错误：--set：第 2 条记录（签署）没有可更正的字段“日期”；可更正：生效日期（effective_date）、"
        "签署日期（signed_on）\n"))
    assert run.db.read_bytes() == before


def test_a_payment_date_corrected_by_its_chinese_name(run):  # noqa: F811
    assert run("pay", NO, "--on", "2025-04-10", "--amount", "12800").exit_code == 0
    result = run("correct", NO, "--seq", "3", "--set", "付款日期=2025-04-09", "--note", "按银行回单")
    assert result.exit_code == 0, result.output
    assert json.loads(run("show", NO, "--json").output)["payments"][0]["on"] == "2025-04-09"


def test_a_correction_needs_a_reason_and_nothing_is_written_without_it(run):  # noqa: F811
    before = run.db.read_bytes()
    result = run("correct", NO, "--seq", "2", "--set", "签署日期=2025-03-12")
    assert (result.exit_code, result.output) == (1, "错误：--note：请用 --note 写明更正原因\n")
    assert run.db.read_bytes() == before


def test_a_correction_that_takes_away_a_termination_s_ground_is_refused(run):  # noqa: F811
    assert late_notice(run, "2025-05-25").exit_code == 0
    assert run("notice", "delivered", "N-000001", "--on", "2025-05-26").exit_code == 0
    assert run("terminate", NO, "--by-notice", "N-000001").exit_code == 0
    before = run.db.read_bytes()
    result = run("correct", NO, "--seq", "3", "--set", "发出时间=2025-05-20", "--note", "发出日期登记错误")
    assert result.exit_code == 1
    assert "截至 2025-05-20 逾期" in result.output and "Traceback" not in result.output
    assert run.db.read_bytes() == before


def test_the_decision_is_pure():
    state = replay(chain(issued(), Signed(D("2025-03-10"), D("2025-03-10"))))
    fix = decide_correction(state, CorrectionRequest(2, (("签署日期", "2025-03-11"),), note="x", by="李四"))
    assert [(c.field, c.old, c.new) for c in fix.changes] == [
        ("signed_on", "2025-03-10", "2025-03-11"), ("effective_date", "2025-03-10", "2025-03-11")]
    same = decide_correction(state, CorrectionRequest(2, (("signed_on", "2025-03-10"),), note="x"))
    assert isinstance(same, list) and "没有要更正的内容" in same[0].message
    stated = replay(chain(issued(effective_date=D("2025-04-01")), Signed(D("2025-03-10"), D("2025-04-01"))))
    kept = decide_correction(stated, CorrectionRequest(2, (("签署日期", "2025-03-11"),), note="x"))
    assert [c.field for c in kept.changes] == ["signed_on"]  # the agreement states its own effective date


def test_who_corrected_is_checked_as_text_naming_by(run):  # noqa: F811
    before = run.db.read_bytes()
    result = run("correct", NO, "--seq", "2", "--set", "签署日期=2025-03-12", "--note", "x", "--by", "李\u200b四")
    assert result.exit_code == 1 and result.output.startswith("错误：--by："), result.output
    assert run.db.read_bytes() == before
