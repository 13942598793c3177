"""Terminating during a term whose renewal is already agreed: the renewal falls with the
termination, and the command says so only when the clerk confirms it (`--with-renewal`);
the other way round, no renewal can be recorded after a termination, whatever its dates.
`check` replays the same rule."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal

from contracts.events import Renewed, Signed, Terminated, TerminationReason
from contracts.profile import Profile
from contracts.register import validate_history
from service.sources import load_profile
from tests.conftest import TEST_PROFILE
from tests.test_later_records import run  # noqa: F401  (fixture)
from tests.test_register_fixtures import NO, D, chain, fake_renderer, issued  # noqa: F401  (fixture)

RENEWAL = ("renew", NO, "--signed-on", "2026-09-01", "--format", "pdf", "--out", "out")


def test_a_mutual_termination_before_an_agreed_renewal_needs_with_renewal(run):  # noqa: F811
    assert run(*RENEWAL).exit_code == 0
    before = run.db.read_bytes()
    refused = run("terminate", NO, "--on", "2026-12-31", "--reason", "mutual", "--signed-on", "2026-10-01",
                  "--format", "pdf", "--out", "out")
    assert refused.exit_code == 1
    assert refused.output == (
        f"错误：合同 {NO} 已续签（续签协议 {NO}-X1，续签期限 2030-03-10 至 2035-03-09），"
        "续签期限开始前解除的，续签随之失效；确认请加 --with-renewal\n")
    assert run.db.read_bytes() == before
    done = run("terminate", NO, "--on", "2026-12-31", "--reason", "mutual", "--signed-on", "2026-10-01",
               "--with-renewal", "--format", "pdf", "--out", "out")
    assert done.exit_code == 0, done.output
    assert done.output.splitlines()[1] == "已续签而尚未开始的续签期限随之失效"
    view = json.loads(run("show", NO, "--json", "--as-of", "2027-01-05").output)
    assert view["status"] == "terminated"
    assert view["terminated"]["renewals_fallen"] == [f"{NO}-X1"]
    assert [t["fallen"] for t in view["terms"]] == [False, True]
    assert view["payment_deadlines"][-1]["service_year"] == 2  # no year of the fallen term is owed
    assert f"续签协议 {NO}-X1 随之失效" in run("show", NO, "--as-of", "2027-01-05").output
    assert run("check").exit_code == 0


def test_no_renewal_after_a_termination_even_one_signed_before_it(run):  # noqa: F811
    assert run("terminate", NO, "--on", "2026-12-31", "--reason", "mutual", "--signed-on", "2026-10-01",
               "--format", "pdf", "--out", "out").exit_code == 0
    result = run("renew", NO, "--signed-on", "2026-09-01", "--format", "pdf", "--out", "out")
    assert result.exit_code == 1 and "已登记解除" in result.output and "不能续签" in result.output


def test_check_refuses_a_termination_that_drops_an_agreed_renewal_unconfirmed():
    renewal = Renewed(f"{NO}-X1", D("2026-09-01"), 5, D("2030-03-10"), D("2035-03-09"), Decimal("12800.00"))
    ended = Terminated(D("2026-12-31"), TerminationReason.MUTUAL, signed_on=D("2026-10-01"))
    history = chain(issued(), *_signed(), renewal, ended)
    problems = validate_history(history, _profile())
    assert [seq for seq, _p in problems] == [4]
    assert "--with-renewal" in problems[0][1].message
    confirmed = chain(issued(), *_signed(), renewal, dataclasses.replace(ended, renewals_fall=True))
    assert validate_history(confirmed, _profile()) == []


def _signed() -> tuple[Signed]:
    return (Signed(D("2025-03-10"), D("2025-03-10")),)


def _profile() -> Profile:
    return load_profile(TEST_PROFILE)
