"""The reading copy invents nothing: the original agreement's facts, each included document with its
own dates, the term in force; no signature lines. Read back from the DOCX and the PDF that
`vipcontract consolidated` writes, for a corporate five-year contract under civil_code that took
effect on a leap day and was renewed for three years."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from contracts.dates import SHANGHAI
from tests.readback_docx import docx_body_lines
from tests.readback_pdf import pdf_body_text, squash
from tests.test_dates_in_text import customer_args, invoke, write_profile
from tests.test_register_fixtures import freeze_clock


@pytest.fixture(scope="module")
def reading_copies(tmp_path_factory) -> tuple[dict[str, str], dict[str, str]]:
    with pytest.MonkeyPatch.context() as patch:
        # the renewal is signed 2028-12-01: recorded that day, not before it happened
        freeze_clock(patch, dt.datetime(2028, 12, 1, 10, tzinfo=SHANGHAI))
        return _reading_copies(tmp_path_factory)


def _reading_copies(tmp_path_factory) -> tuple[dict[str, str], dict[str, str]]:
    """({format: text} as of 2029-06-01, in the renewal term; {format: text} as of 2028-12-15,
    the renewal signed but its term not begun)."""
    tmp = tmp_path_factory.mktemp("consolidated")
    profile = write_profile(tmp, "civil_code", "litigation")
    docs = tmp / "docs"
    issued = invoke(tmp, profile, "issue", *customer_args("corporate"), "--issued-on", "2024-02-20",
                    "--format", "docx", "--out", str(docs))
    assert issued.exit_code == 0, issued.output
    no = issued.output.splitlines()[0].removeprefix("已签发并登记合同 ").strip()
    for args in (["sign", no, "--on", "2024-02-29"],
                 ["amend", no, "--signed-on", "2025-06-01", "--effective-on", "2025-07-01",
                  "--set", "address=北京市海淀区上地十街１０号（新址）", "--format", "docx", "--out", str(docs)],
                 ["renew", no, "--signed-on", "2028-12-01", "--years", "3", "--annual-fee", "99000",
                  "--format", "docx", "--out", str(docs)]):
        result = invoke(tmp, profile, *args)
        assert result.exit_code == 0, result.output
    copies = []
    for as_of in ("2029-06-01", "2028-12-15"):
        out = tmp / f"reading-{as_of}"
        result = invoke(tmp, profile, "consolidated", no, "--as-of", as_of, "--out", str(out))
        assert result.exit_code == 0, result.output
        copies.append({p.suffix: read_back(p) for p in out.iterdir()})
    return copies[0], copies[1]


def read_back(path: Path) -> str:
    if path.suffix == ".docx":
        return squash("".join(docx_body_lines(path)))
    return squash(pdf_body_text(path))


@pytest.mark.slow
@pytest.mark.parametrize("fmt", [".docx", ".pdf"])
def test_the_original_facts_and_the_renewal_with_its_own_dates(reading_copies, fmt):
    text = reading_copies[0][fmt]
    # the original agreement: five years, its own effective date and term, its year
    assert "签订年份：二〇二四年" in text
    assert "本协议期限为五年" in text and "期限为三年" not in text
    assert "本协议期限自2024年3月1日起至2029年2月28日止（生效之日2024年2月29日不计入）" in text
    assert "生效日期为2024年2月29日" in text
    assert "生效日期为2029年3月1日" not in text and "本协议的生效日期为" not in text
    assert "原协议于2024年2月29日签署，生效日期为2024年2月29日，期限五年，自2024年3月1日起至2029年2月28日止" in text
    # the renewal, with its own dates: signed (and in effect) 2028-12-01, term 2029-03-01..2032-02-28
    assert "续签三年，续签期限自2029年3月1日起至2032年2月28日止，年服务费99,000.00元" in text
    assert re.search(r"X1续签协议2028年12月1日2028年12月1日2029年3月1日续签三年", text)
    assert "现行期限为2029年3月1日至2032年2月28日" in text
    # the amendment with its own dates, and its change in force
    assert re.search(r"B1补充协议2025年6月1日2025年7月1日2025年7月1日通讯地址", text)
    assert "北京市海淀区上地十街１０号（新址）" in text
    # annex 2: the original five service years and the renewal's three, numbered on
    assert "第一个服务年度2024年3月1日至2025年2月28日" in text
    assert "第六个服务年度2029年3月1日至2030年2月28日¥99,000.00" in text
    assert "第八个服务年度2031年3月1日至2032年2月28日" in text and "第九个服务年度" not in text
    # no signature page, no signature lines
    assert "的签署页，无正文" not in text and "乙方确认：签署本协议前" not in text
    assert "日期：" not in text and "（盖章）" not in text and "授权代表（签字）" not in text


@pytest.mark.slow
@pytest.mark.parametrize("fmt", [".docx", ".pdf"])
def test_a_renewal_signed_but_not_begun(reading_copies, fmt):
    text = reading_copies[1][fmt]
    assert "本协议期限自2024年3月1日起至2029年2月28日止" in text
    assert "X1（续签期限自2029年3月1日起）" in text
    assert "现行期限为2024年3月1日至2029年2月28日" in text
    assert "第六个服务年度2029年3月1日至2030年2月28日¥98,000.00" in text  # not begun: the fee of as_of
    assert "日期：" not in text and "（盖章）" not in text
