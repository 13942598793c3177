"""Where a notice goes: `--to` defaults to the customer's address (or email) in force, an email
must be a valid address, an address change's new email is validated; and a courier letter sent
to an address that is not the one in force has no deemed delivery day, only a real receipt."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from contracts.dates import SHANGHAI
from tests.conftest import INDIVIDUAL
from tests.test_register_fixtures import NO, fake_renderer, signed_contract_cli  # noqa: F401  (fixture)

TODAY = dt.datetime(2026, 6, 1, 10, tzinfo=SHANGHAI)
WRONG = "广州市天河区体育西路1号"


@pytest.fixture
def run(tmp_path, fake_renderer, monkeypatch):  # noqa: F811
    """A contract issued 2025-03-01, signed 2025-03-10; the clock says 2026-06-01."""
    return signed_contract_cli(tmp_path, monkeypatch, TODAY)


def send(run, *args: str):
    return run("notice", "send", NO, "--kind", "other", "--on", "2026-05-01", *args)


def notices(run) -> list[dict]:
    return json.loads(run("show", NO, "--json").output)["notices"]


# ---------------------------------------------------------------- 2. courier to a wrong address
def test_a_courier_letter_to_an_address_not_in_force_has_no_deemed_day(run):
    result = send(run, "--method", "courier", "--to", WRONG)
    assert result.exit_code == 0, result.output
    assert "视为送达日：待登记送达" in result.output
    assert "不适用交邮后第 N 日视为送达，只以实际签收为准" in result.output
    item = notices(run)[0]
    assert item["deemed_delivered_on"] is None and item["to_address_in_force"] is False
    assert "只以实际签收为准" in item["undeemed_reason"]
    shown = run("show", NO).output
    assert "无（仅凭签收）" in shown
    report = json.loads(run("report", "notices", "--format", "json", "--no-timestamp").output)
    assert "只以实际签收为准" in report["rows"][0]["remark"]


def test_a_real_receipt_of_such_a_letter_counts(run):
    assert send(run, "--method", "courier", "--to", WRONG).exit_code == 0
    assert run("notice", "delivered", "N-000001", "--on", "2026-05-09").exit_code == 0
    assert notices(run)[0]["deemed_delivered_on"] == "2026-05-09"


def test_a_courier_letter_to_the_address_in_force_keeps_the_nth_day(run):
    assert send(run, "--method", "courier").exit_code == 0
    item = notices(run)[0]
    assert item["deemed_delivered_on"] == "2026-05-04" and item["undeemed_reason"] is None


# ---------------------------------------------------------------- 3. --to
def test_to_defaults_to_the_address_or_email_in_force_for_every_kind(run):
    email = run("notice", "send", NO, "--kind", "address-change", "--method", "email", "--on", "2026-05-01",
                "--new-address", WRONG)
    assert email.exit_code == 0, email.output
    assert email.output.splitlines()[0].endswith("寄往：" + INDIVIDUAL["email"])
    # the change arrived by email the day it was sent: the new address is the one in force
    post = send(run, "--method", "courier")
    assert post.output.splitlines()[0].endswith("寄往：" + WRONG)
    first = run("notice", "send", NO, "--kind", "other", "--method", "courier", "--on", "2026-04-01")
    assert first.output.splitlines()[0].endswith("寄往：" + INDIVIDUAL["address"])


@pytest.mark.parametrize("args, field", [
    (("--method", "email", "--to", "zhangsan.example.com"), "--to"),
    (("--method", "email", "--to", "北京市朝阳区"), "--to"),
    (("--method", "courier", "--kind", "address-change", "--new-email", "not-an-email"), "--new-email"),
])
def test_a_bad_email_is_refused_naming_the_option(run, args, field):
    before = run.db.read_bytes()
    base = ["notice", "send", NO, "--on", "2026-05-01"]
    if "--kind" not in args:
        base += ["--kind", "other"]
    result = run(*base, *args)
    assert result.exit_code == 1
    assert result.output.startswith(f"错误：{field}：") and "格式不正确" in result.output, result.output
    assert "Traceback" not in result.output
    assert run.db.read_bytes() == before


def test_a_new_email_is_stored_in_ascii(run):
    result = run("notice", "send", NO, "--kind", "address-change", "--method", "personal",
                 "--on", "2026-05-01", "--new-email", "ｚｈａｎｇ@example.com")
    assert result.exit_code == 0, result.output
    assert run("notice", "delivered", "N-000001", "--on", "2026-05-01").exit_code == 0
    assert json.loads(run("show", NO, "--json").output)["customer"]["email"] == "zhang@example.com"
