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
