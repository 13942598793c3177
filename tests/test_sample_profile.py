"""The built-in sample provider (北京示例客户服务有限公司, a fake bank account) never reaches a
registered contract; a preview made with it says 样本 on every page and in its number."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document as open_docx
from pypdf import PdfReader

from cli import main
from tests.conftest import INDIVIDUAL, TEST_PROFILE

SAMPLE_NAME = "北京示例客户服务有限公司"


@pytest.fixture
def no_profile(tmp_path, monkeypatch) -> Path:
    """A clerk's first day: no profile anywhere; returns where `init` would write it."""
    monkeypatch.delenv("VIPCONTRACT_PROFILE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config" / "vipcontract" / "profile.toml"


def customer_args(command: str) -> list[str]:
    args = [command, "--type", "individual", "--annual-fee", "12800"]
    for key, value in INDIVIDUAL.items():
        args += ["--" + key.replace("_", "-"), value]
    return args


def cli(tmp_path: Path, *args: str):
    return CliRunner().invoke(main, ["--db", str(tmp_path / "register.json"), "--new-register", *args])


def test_issue_refuses_without_a_profile_and_says_where_it_goes(tmp_path, no_profile):
    result = cli(tmp_path, *customer_args("issue"), "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "vipcontract init" in result.output and str(no_profile) in result.output
    assert "尚未建立" in result.output
    assert not (tmp_path / "register.json").exists() and not (tmp_path / "out").exists()


def test_issue_refuses_a_profile_init_wrote_and_nobody_edited(tmp_path, no_profile):
    assert cli(tmp_path, "init").exit_code == 0 and no_profile.exists()
    result = cli(tmp_path, *customer_args("issue"), "--out", str(tmp_path / "out"))
    assert result.exit_code == 1 and "仍是内置示例" in result.output and str(no_profile) in result.output
    assert not (tmp_path / "register.json").exists() and not (tmp_path / "out").exists()


def test_a_profile_that_still_carries_the_sample_bank_account_is_refused(tmp_path, monkeypatch):
    edited = tmp_path / "profile.toml"
    edited.write_text('[provider]\nname = "上海某某服务有限公司"\naccount_name = "上海某某服务有限公司"\n',
                      encoding="utf-8")
    monkeypatch.setenv("VIPCONTRACT_PROFILE", str(edited))
    result = cli(tmp_path, *customer_args("issue"), "--out", str(tmp_path / "out"))
    assert result.exit_code == 1 and "仍是内置示例" in result.output


def test_batch_issue_refuses_before_reading_the_list(tmp_path, no_profile):
    rows = tmp_path / "customers.csv"
    rows.write_text("not even read\n", encoding="utf-8")
    result = cli(tmp_path, "batch", "issue", str(rows), "--out", str(tmp_path / "out"))
    assert result.exit_code == 1 and "vipcontract init" in result.output
    assert not (tmp_path / "register.json").exists() and not (tmp_path / "out").exists()


def test_a_preview_with_the_sample_says_so_on_every_page_and_in_its_number(tmp_path, no_profile):
    result = cli(tmp_path, *customer_args("generate"), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    pdf, docx = sorted((tmp_path / "out").glob("*.pdf")), sorted((tmp_path / "out").glob("*.docx"))
    assert len(pdf) == len(docx) == 1 and "（样本）" in pdf[0].name and "（样本）" in docx[0].name
    pages = [page.extract_text() for page in PdfReader(pdf[0]).pages]
    assert all("样本" in text for text in pages), [i for i, t in enumerate(pages) if "样本" not in t]
    assert re.search(r"VIP-\d{4}-\d{6}（样本）", pages[0])
    document = open_docx(str(docx[0]))
    body = "\n".join(p.text for p in document.paragraphs)
    assert "样本：甲方信息为内置示例数据，不得用于签约" in body and SAMPLE_NAME in body
    headers = "".join(p.text for s in document.sections for p in s.header.paragraphs)
    assert "样本" in headers


def test_a_real_profile_prints_no_sample_mark(tmp_path, monkeypatch):
    monkeypatch.setenv("VIPCONTRACT_PROFILE", str(TEST_PROFILE))
    result = cli(tmp_path, *customer_args("generate"), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    (pdf,) = (tmp_path / "out").glob("*.pdf")
    text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "样本" not in text and SAMPLE_NAME not in text and "样本" not in pdf.name
