"""Clause 8.4's late-payment rate: the profile's LPR basis, the rate frozen at issue, the fee."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import tomllib
from decimal import Decimal

import pytest
from click.testing import CliRunner

from cli import main
from contracts.checks import check_history
from contracts.errors import InvalidInput
from contracts.events import content_hash, from_record, to_record
from contracts.late_fee import LateFeeRate, late_fee, late_fee_between, overdue_days, rate_from_lpr
from contracts.profile import profile_from_mapping
from contracts.register import contract_view, replay
from contracts.reports import consolidated_context
from service.sources import DEFAULT_PROFILE
from tests.conftest import INDIVIDUAL
from tests.test_register_fixtures import chain, fake_renderer, issued  # noqa: F401  (fixture)

D = dt.date.fromisoformat
RATE = LateFeeRate(Decimal("4.5"), Decimal("3.0"), D("2025-05-20"), Decimal("1.5"))


# ---------------------------------------------------------------- the fee
def test_default_rate_is_one_and_a_half_times_the_lpr(profile):
    assert profile.late_fee == RATE


def test_rate_is_the_exact_product_printed_with_its_digits():
    rate = rate_from_lpr(Decimal("3.45"), D("2024-06-20"), Decimal("1.3"))
    assert (format(rate.annual_rate, "f"), format(rate.lpr_one_year, "f")) == ("4.485", "3.45")
    assert format(rate_from_lpr(Decimal("3.0"), D("2025-05-20"), Decimal("2")).annual_rate, "f") == "6"


@pytest.mark.parametrize(("due", "paid", "days"), [
    ("2026-10-08", "2026-10-08", 0),  # paid on the last day: in time
    ("2026-10-08", "2026-10-01", 0),  # paid early
    ("2026-10-08", "2026-10-09", 1),  # the day after the period is the first day of delay
    ("2026-10-08", "2026-11-07", 30),
    ("2028-02-28", "2028-03-01", 2),  # across a leap day: calendar days
])
def test_overdue_days(due, paid, days):
    assert overdue_days(D(due), D(paid)) == days


@pytest.mark.parametrize(("amount", "rate", "days", "fee"), [
    ("12800", "4.5", 30, "47.34"),  # 12800 × 4.5% × 30/365 = 47.3424…
    ("12800", "4.5", 365, "576.00"),  # a full year is the annual rate
    ("12800", "4.5", 0, "0.00"),
    ("98000", "4.485", 61, "734.56"),  # 734.5569…
    ("10000", "3.65", 1, "1.00"),  # exactly 1.00
    ("1000", "4.5", 1, "0.12"),  # 0.12328… rounds down
    ("73", "5", 1, "0.01"),  # 0.01 exactly
    ("1", "4.5", 1, "0.00"),
])
def test_late_fee_is_rounded_once_to_the_fen(amount, rate, days, fee):
    assert late_fee(Decimal(amount), Decimal(rate), days) == Decimal(fee)


def test_half_a_fen_rounds_up():
    # 182.5 × 1% × 1/365 = 0.005 exactly: ROUND_HALF_UP gives 0.01 (banker's rounding 0.00)
    assert late_fee(Decimal("182.5"), Decimal("1"), 1) == Decimal("0.01")


def test_late_fee_between_uses_the_frozen_rate():
    assert late_fee_between(Decimal("12800"), RATE, D("2026-10-08"), D("2026-11-07")) == Decimal("47.34")
    assert late_fee_between(Decimal("12800"), RATE, D("2026-10-08"), D("2026-10-08")) == Decimal("0.00")


def test_negative_inputs_are_a_programming_error():
    with pytest.raises(ValueError):
        late_fee(Decimal("-1"), Decimal("4.5"), 3)


# ---------------------------------------------------------------- the profile
def contract_section(**changes) -> dict:
    data = tomllib.loads(DEFAULT_PROFILE.read_text(encoding="utf-8"))
    data["contract"].update(changes)
    return data


@pytest.mark.parametrize(("key", "value"), [
    ("lpr_one_year", "abc"), ("lpr_one_year", "0"), ("lpr_one_year", "-3"), ("lpr_one_year", "12"),
    ("lpr_one_year", "3.001"), ("lpr_one_year", True), ("lpr_one_year", "NaN"),
    ("late_fee_lpr_multiple", "0"), ("late_fee_lpr_multiple", "4.5"), ("late_fee_lpr_multiple", "1.555"),
    ("late_fee_lpr_multiple", ""), ("lpr_published_on", "2025-5-20"), ("lpr_published_on", "明天"),
])
def test_bad_values_are_refused_naming_the_key(key, value):
    with pytest.raises(InvalidInput) as exc:
        profile_from_mapping(contract_section(**{key: value}))
    assert [p.field for p in exc.value.problems] == [f"contract.{key}"]
    assert all("\u4e00" <= ch <= "\u9fff" for ch in exc.value.problems[0].message[:2])


def test_a_missing_value_is_refused():
    data = contract_section()
    del data["contract"]["lpr_published_on"]
    with pytest.raises(InvalidInput) as exc:
        profile_from_mapping(data)
    assert exc.value.problems[0].field == "contract.lpr_published_on"


def test_numbers_and_toml_dates_are_read_too():
    profile = profile_from_mapping(contract_section(lpr_one_year=3.1, late_fee_lpr_multiple=1.3,
                                                    lpr_published_on=D("2025-04-21")))
    assert profile.late_fee == LateFeeRate(Decimal("4.03"), Decimal("3.1"), D("2025-04-21"), Decimal("1.3"))


def test_the_retired_daily_rate_is_refused_with_what_replaces_it():
    with pytest.raises(InvalidInput) as exc:
        profile_from_mapping(contract_section(late_fee_per_day="0.0005"))
    problem = exc.value.problems[0]
    assert problem.field == "contract.late_fee_per_day"
    assert "已不再使用" in problem.message and "contract.late_fee_lpr_multiple" in problem.message


def test_an_old_profile_file_gets_a_chinese_message_not_a_traceback(tmp_path):
    old = tmp_path / "profile.toml"
    old.write_text('[contract]\nlate_fee_per_day = "0.0005"\n', encoding="utf-8")
    (tmp_path / "r.json").touch()
    result = CliRunner().invoke(main, ["--profile", str(old), "--db", str(tmp_path / "r.json"), "list"])
    assert result.exit_code == 1
    assert result.output.startswith("错误：contract.late_fee_per_day：已不再使用")
    assert "Traceback" not in result.output


# ---------------------------------------------------------------- frozen at issue
def test_an_old_issued_record_without_the_rate_still_loads_and_checks(profile):
    event = chain(issued())[0]
    record = to_record(event)
    assert record["data"]["late_fee"] is None
    del record["data"]["late_fee"]  # as written before the rate was kept
    record["hash"] = content_hash(record)
    loaded = from_record(record)
    assert loaded.body.late_fee is None
    assert check_history(event.contract_no, [record], profile) == []


def test_the_rate_round_trips_through_the_record():
    event = chain(issued(late_fee=RATE))[0]
    record = json.loads(json.dumps(to_record(event)))
    assert record["data"]["late_fee"] == {"annual_rate": "4.5", "lpr_one_year": "3.0",
                                          "lpr_published_on": "2025-05-20", "lpr_multiple": "1.5"}
    assert from_record(record).body.late_fee == RATE


def test_show_and_the_reading_copy_use_the_rate_as_issued(profile):
    later = dataclasses.replace(profile, late_fee=rate_from_lpr(Decimal("2.8"), D("2026-10-20"), Decimal("1.3")))
    state = replay(chain(issued(late_fee=RATE)))
    view = contract_view(state, D("2026-01-01"), later)
    assert view["terms_in_force"]["late_fee"] == {"annual_rate": "4.5", "lpr_one_year": "3.0",
                                                  "lpr_published_on": "2025-05-20", "lpr_multiple": "1.5"}
    terms = consolidated_context(state, D("2026-01-01"), later)["terms"]["late_fee"]
    assert (terms["annual_rate"], terms["lpr"], terms["multiple"]) == ("4.5%", "3.0%", "1.5")


def test_a_contract_recorded_before_the_rate_was_kept(profile):
    from contracts.resolver import resolve
    from service.sources import load_source

    state = replay(chain(issued()))
    assert contract_view(state, D("2026-01-01"), profile)["terms_in_force"]["late_fee"] is None
    context = consolidated_context(state, D("2026-01-01"), profile)
    doc = resolve(load_source("agreement"), context, contract_no=state.contract_no)
    late = next(cl for ch in doc.chapters for cl in ch.clauses if cl.number == "8.4")
    first = late.blocks[0].text
    assert "按双方签署的本协议文本约定的标准" in first and "年利率" not in first


@pytest.fixture
def run(tmp_path, fake_renderer, monkeypatch):  # noqa: F811
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str):
        return CliRunner().invoke(main, ["--db", str(tmp_path / "register.json"), "--new-register", *args])

    return invoke


def test_issue_records_the_rate_and_show_prints_it(run, tmp_path):
    customer = tmp_path / "customer.yaml"
    customer.write_text("\n".join(f'{k}: "{v}"' for k, v in {**INDIVIDUAL, "annual_fee": "12800"}.items()),
                        encoding="utf-8")
    done = run("issue", "--type", "individual", "--from", str(customer), "--issued-on", "2025-06-01",
               "--out", str(tmp_path / "out"))
    assert done.exit_code == 0, done.output
    no = "VIP-2025-000001"
    view = json.loads(run("show", no, "--json", "--as-of", "2025-06-01").output)
    assert view["terms_in_force"]["late_fee"]["annual_rate"] == "4.5"
    assert view["history"][0]["late_fee"]["lpr_published_on"] == "2025-05-20"
    table = run("show", no, "--as-of", "2025-06-01").output
    assert "逾期付款违约金：年利率 4.5%（2025-05-20 公布的一年期LPR 3.0% × 1.5，期限内不变）" in table


def test_show_says_so_when_the_register_never_recorded_the_rate():
    from cli import late_fee_line

    assert late_fee_line(None) == "逾期付款违约金：登记簿未记录，以签署的协议文本为准"
