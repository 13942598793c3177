"""No command writes over an existing file: a preview `generate` left, a number the register gave,
another register's documents in the same folder. Refused in one Chinese line naming the path,
exit 1, nothing written (no document, no event, no temporary file); `--force` only for a preview
no register holds."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

import cli
from tests.test_register_fixtures import fake_renderer  # noqa: F401  (fixture)

CUSTOMER = ["--type", "individual", "--name", "张三", "--id-number", "11010519491231002X",
            "--phone", "13800000000", "--address", "北京市朝阳区建国路88号", "--email", "z@example.com",
            "--annual-fee", "12800", "--format", "docx,pdf"]


@pytest.fixture
def run(fake_renderer):  # noqa: F811
    def invoke(db, *args):
        return CliRunner().invoke(cli.main, ["--db", str(db), "--new-register", *args], catch_exceptions=False)

    return invoke


def snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else {}


def one_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in output, output
    return lines[0]


def test_issue_refuses_a_preview_left_by_generate(run, tmp_path):
    db, out = tmp_path / "register.json", tmp_path / "out"
    assert run(db, "generate", *CUSTOMER, "--out", str(out)).exit_code == 0
    before = snapshot(out)
    result = run(db, "issue", *CUSTOMER, "--out", str(out))
    assert result.exit_code == 1
    line = one_line(result.output)
    assert str(out / "VIP-2026-000001_张三.docx") in line and "已存在" in line and "--out" in line
    assert snapshot(out) == before  # the preview untouched, no temporary file
    assert not db.exists() or run(db, "list").output.count("VIP-") == 0
    assert [p.name for p in tmp_path.iterdir() if ".pending-" in p.name] == []


def test_generate_refuses_a_registered_number(run, tmp_path):
    db, out = tmp_path / "register.json", tmp_path / "out"
    assert run(db, "issue", *CUSTOMER, "--out", str(out)).exit_code == 0
    before = snapshot(out)
    result = run(db, "generate", *CUSTOMER, "--contract-no", "VIP-2026-000001", "--out", str(tmp_path / "p"))
    assert result.exit_code == 1
    assert "VIP-2026-000001" in one_line(result.output) and "已在登记簿中登记" in result.output
    assert snapshot(out) == before and not (tmp_path / "p").exists()


def test_generate_does_not_write_over_its_own_preview_without_force(run, tmp_path):
    db, out = tmp_path / "register.json", tmp_path / "out"
    assert run(db, "generate", *CUSTOMER, "--out", str(out)).exit_code == 0
    (out / "VIP-2026-000001_张三.pdf").write_bytes(b"edited")
    result = run(db, "generate", *CUSTOMER, "--out", str(out))
    assert result.exit_code == 1 and "--force" in one_line(result.output)
    assert (out / "VIP-2026-000001_张三.pdf").read_bytes() == b"edited"
    assert run(db, "generate", *CUSTOMER, "--out", str(out), "--force").exit_code == 0
    assert (out / "VIP-2026-000001_张三.pdf").read_bytes() != b"edited"


def test_force_never_writes_over_a_registered_document(run, tmp_path):
    db, out, preview = tmp_path / "register.json", tmp_path / "out", tmp_path / "preview"
    assert run(db, "issue", *CUSTOMER, "--out", str(out)).exit_code == 0
    preview.mkdir()
    # the registered agreement, copied under the name the next preview would take
    shutil.copy(out / "VIP-2026-000001_张三.pdf", preview / "VIP-2026-000002_张三.pdf")
    before = snapshot(preview)
    result = run(db, "generate", *CUSTOMER, "--out", str(preview), "--force")
    assert result.exit_code == 1 and "VIP-2026-000001" in one_line(result.output)
    assert snapshot(preview) == before


def test_two_registers_never_write_over_each_other(run, tmp_path):
    out = tmp_path / "out"
    assert run(tmp_path / "a.json", "issue", *CUSTOMER, "--out", str(out)).exit_code == 0
    before = snapshot(out)
    result = run(tmp_path / "b.json", "issue", *CUSTOMER, "--out", str(out))
    assert result.exit_code == 1 and str(out) in one_line(result.output)
    assert snapshot(out) == before
    assert not (tmp_path / "b.json").exists() or "VIP-" not in run(tmp_path / "b.json", "list").output
