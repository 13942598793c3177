"""`show --as-of D` shows the register as it stood on D: no signing, renewal, amendment, notice,
delivery or payment dated after D, in the summary, the tables and the history alike."""

from __future__ import annotations

import json

from tests.test_grounds_and_dates import run  # noqa: F401  (fixture: issued 2025-03-01, signed 2025-03-10)
from tests.test_register_fixtures import NO, fake_renderer  # noqa: F401  (fixture)


def view(run, day: str) -> dict:  # noqa: F811
    result = run("show", NO, "--json", "--as-of", day)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_later_facts_do_not_show_on_an_earlier_day(run):  # noqa: F811
    assert run("pay", NO, "--on", "2025-03-20", "--amount", "12800").exit_code == 0
    assert run("amend", NO, "--signed-on", "2026-02-01", "--effective-on", "2026-03-11",
               "--set", "联系电话=13900000000", "--format", "pdf", "--out", "out").exit_code == 0
    assert run("notice", "send", NO, "--kind", "other", "--method", "personal", "--on", "2026-04-01").exit_code == 0
    assert run("notice", "delivered", "N-000001", "--on", "2026-04-02").exit_code == 0
    assert run("renew", NO, "--signed-on", "2026-05-01", "--format", "pdf", "--out", "out").exit_code == 0
    assert run("pay", NO, "--on", "2026-03-20", "--amount", "12800").exit_code == 0

    now = view(run, "2026-06-01")
    assert len(now["terms"]) == 2 and len(now["notices"]) == 1 and len(now["payments"]) == 2
    assert [h["kind"] for h in now["history"]][-1] == "paid"

    then = view(run, "2025-12-31")
    assert len(then["terms"]) == 1 and then["notices"] == [] and len(then["payments"]) == 1
    assert [h["kind"] for h in then["history"]] == ["issued", "signed", "paid"]
    assert then["status"] == "active"
    assert "续签" not in run("show", NO, "--as-of", "2025-12-31").output

    # the notice sent but not yet delivered on 2026-04-01
    sent = view(run, "2026-04-01")
    assert sent["notices"][0]["delivered_on"] is None and sent["terms"][-1]["term"] == 1
    assert [h["kind"] for h in sent["history"]] == ["issued", "signed", "paid", "amended", "notice_sent", "paid"]

    before_signing = view(run, "2025-03-05")
    assert before_signing["status"] == "draft" and before_signing["signed_on"] is None
    assert [h["kind"] for h in before_signing["history"]] == ["issued"]


def test_a_termination_by_notice_shows_from_the_day_the_notice_arrived(run):  # noqa: F811
    assert run("notice", "send", NO, "--kind", "termination", "--method", "personal", "--on", "2025-09-01",
               "--reason", "breach", "--note", "违约", "--format", "pdf", "--out", "out").exit_code == 0
    assert run("notice", "delivered", "N-000001", "--on", "2025-09-03").exit_code == 0
    assert run("terminate", NO, "--by-notice", "N-000001").exit_code == 0
    assert view(run, "2025-09-02")["terminated"] is None
    assert view(run, "2025-09-03")["terminated"]["effective_on"] == "2025-09-03"


def test_list_as_of_shows_the_register_as_it_stood_that_day(run):  # noqa: F811
    assert run("pay", NO, "--on", "2025-03-20", "--amount", "12800").exit_code == 0
    assert run("renew", NO, "--signed-on", "2026-05-01", "--format", "pdf", "--out", "out").exit_code == 0

    def listed(day: str) -> dict:
        result = run("list", "--json", "--as-of", day)
        assert result.exit_code == 0, result.output
        (only,) = json.loads(result.output)
        return only

    assert len(listed("2026-06-01")["terms"]) == 2
    before = listed("2025-03-05")  # issued, not yet signed: the later signing does not show
    assert before["status"] == "draft" and before["signed_on"] is None and len(before["terms"]) <= 1
    sheet = run("list", "--as-of", "2025-03-05").output
    assert "待签署" in sheet and "已续签" not in sheet
