"""`vipcontract demo` runs with the built-in sample profile, builds its register and says how to
look at it (the documents are rendered by a stand-in: their layout is tested elsewhere)."""

from __future__ import annotations

from click.testing import CliRunner

import cli
from service import output
from tests.test_register_fixtures import fake_render


def test_demo_builds_its_register_with_the_sample_profile(tmp_path, monkeypatch):
    monkeypatch.delenv("VIPCONTRACT_PROFILE")
    monkeypatch.delenv("VIPCONTRACT_DB", raising=False)
    monkeypatch.setattr(cli, "profile_path_default", lambda: tmp_path / "no-profile.toml")
    monkeypatch.setattr(output, "render_to", fake_render)
    result = CliRunner().invoke(cli.main, ["demo", "--out", str(tmp_path / "demo")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    register = tmp_path / "demo" / "demo-register.json"
    listed = CliRunner().invoke(cli.main, ["--db", str(register), "list"])
    assert listed.exit_code == 0 and "合同份数：" in listed.output and " 7\n" in listed.output
    assert CliRunner().invoke(cli.main, ["--db", str(register), "check"]).exit_code == 0
