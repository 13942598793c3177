"""A second contract for a customer (the same ID number or credit code) who has one not ended
is issued only when the clerk confirms it: `--allow-second` in scripts, a question on a terminal;
the message says which contract exists. The decision is contracts.commands'."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

import cli
from cli import main
from contracts.commands import second_contract_problems
from contracts.dates import SHANGHAI
from contracts.events import Voided
from contracts.register import replay
from tests.conftest import CORPORATE, INDIVIDUAL, make_customer
from tests.test_register_fixtures import NO, D, chain, fake_renderer, freeze_clock, issued  # noqa: F401

TODAY = dt.datetime(2026, 6, 1, 10, tzinfo=SHANGHAI)
SECOND = "VIP-2026-000001"


@pytest.fixture
def run(tmp_path, fake_renderer, monkeypatch):  # noqa: F811
    db = tmp_path / "register.json"
    monkeypatch.chdir(tmp_path)
    freeze_clock(monkeypatch, TODAY)
    for name, data in (("individual", INDIVIDUAL), ("corporate", CORPORATE)):
        (tmp_path / f"{name}.yaml").write_text(
            "\n".join(f'{k}: "{v}"' for k, v in {**data, "annual_fee": "12800"}.items()), encoding="utf-8")

    def invoke(*args: str, input: str | None = None):
        return CliRunner().invoke(main, ["--db", str(db), "--new-register", *args], input=input)

    def issue(kind: str = "individual", *more: str, input: str | None = None):
        return invoke("issue", "--type", kind, "--from", str(tmp_path / f"{kind}.yaml"), "--issued-on",
                      "2025-03-01", "--format", "pdf", "--out", "out", *more, input=input)

    invoke.issue = issue
    invoke.db = db
    assert issue().exit_code == 0
    return invoke


def test_a_second_contract_is_refused_in_a_script_naming_the_existing_one(run):
    before = run.db.read_bytes()
    result = run.issue()
    assert (result.exit_code, result.output) == (1, (
        f"错误：--allow-second：客户 张三（身份证号 110105********002X）已有未终止的合同 {NO}（待签署）；"
        "确要再签发一份请加 --allow-second\n"))
    assert run.db.read_bytes() == before
    done = run.issue("individual", "--allow-second")
    assert done.exit_code == 0, done.output
    assert done.output.startswith("已签发并登记合同 VIP-2025-000002")


def test_on_a_terminal_the_clerk_is_asked(run, monkeypatch):
    monkeypatch.setattr(cli, "stdin_is_terminal", lambda: True)
    declined = run.issue(input="n\n")
    assert declined.exit_code == 1
    assert f"已有未终止的合同 {NO}（待签署）。仍要再签发一份吗？" in declined.output
    accepted = run.issue(input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert "已签发并登记合同 VIP-2025-000002" in accepted.output


def test_another_customer_or_an_ended_contract_needs_no_confirmation(run):
    assert run.issue("corporate").exit_code == 0
    assert run("void", NO, "--on", "2025-03-05").exit_code == 0
    again = run.issue()
    assert again.exit_code == 0, again.output


def test_the_decision_is_pure(profile):
    customer = make_customer("individual")
    live = replay(chain(issued()))
    voided = replay(chain(issued(), Voided(D("2025-03-05"))))
    today = D("2026-06-01")
    assert second_contract_problems(customer, [voided], profile, today, allow_second=False) == []
    assert second_contract_problems(customer, [live], profile, today, allow_second=True) == []
    [problem] = second_contract_problems(customer, [live, voided], profile, today, allow_second=False)
    assert problem.field == "allow_second" and f"{NO}（待签署）" in problem.message


# ---------------------------------------------------------------- batch issue, the same rule
SIGNED_ROWS = ("类型,姓名,身份证号,联系电话,通讯地址,电子邮箱,年服务费,签发日期,签署日期\n"
               "个人,{name},{id},13800000000,北京市朝阳区建国路88号,a@example.com,12800,2025-06-02,2025-06-05\n"
               "个人,李四,110101198001010010,13900000000,北京市海淀区中关村大街1号,lisi@example.com,9800,"
               "2025-06-02,2025-06-05\n")
REFUSAL = (f"第2行 身份证号：客户 张三（身份证号 110105********002X）已有未终止的合同 {NO}（待签署）；"
           "确要再签发一份请加 --allow-second")


def batch_file(tmp_path, name: str = "张三", id_number: str = INDIVIDUAL["id_number"]):
    path = tmp_path / "signed.csv"
    path.write_text(SIGNED_ROWS.format(name=name, id=id_number), encoding="utf-8")
    return str(path)


def test_batch_refuses_a_row_for_a_customer_with_a_contract_not_ended(run, tmp_path):
    listing = batch_file(tmp_path)
    checked = run("batch", "check", listing)
    assert checked.exit_code == 1 and REFUSAL in checked.output.splitlines(), checked.output
    before = run.db.read_bytes()
    refused = run("batch", "issue", listing, "--out", "batch-out")
    assert refused.exit_code == 1 and REFUSAL in refused.output.splitlines(), refused.output
    assert run.db.read_bytes() == before  # nothing registered, the other row neither
    skipped = run("batch", "issue", listing, "--out", "batch-out", "--skip-invalid")
    assert skipped.exit_code == 0, skipped.output
    assert "本次签发：1 份" in skipped.output and (tmp_path / "batch-out" / "signed-errors.xlsx").exists()
    allowed = run("batch", "issue", listing, "--out", "batch-out", "--allow-second")
    assert allowed.exit_code == 0 and "本次签发：1 份" in allowed.output, allowed.output  # 李四 was issued before
    assert run("batch", "check", listing, "--allow-second").exit_code == 0
    assert run("find", "110105").output.count("张三") == 2
    assert run("check").exit_code == 0


def test_batch_issues_to_a_customer_whose_contract_ended(run, tmp_path):
    assert run("void", NO, "--on", "2025-03-05").exit_code == 0
    done = run("batch", "issue", batch_file(tmp_path), "--out", "batch-out")
    assert done.exit_code == 0 and "本次签发：2 份" in done.output, done.output


def test_two_rows_for_one_customer_stay_refused_even_with_allow_second(run, tmp_path):
    """A batch recognises its rows by the customer (a run carried on issues nothing twice), so one
    customer has one row in a batch; a second contract goes in another list with --allow-second."""
    listing = batch_file(tmp_path, name="李四", id_number="110101198001010010")
    result = run("batch", "issue", listing, "--out", "batch-out", "--allow-second")
    assert result.exit_code == 1 and "在本文件中出现多次（另见第3行）" in result.output, result.output
