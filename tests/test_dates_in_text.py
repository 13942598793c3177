"""One set of dates: what the generated agreement says (read back from DOCX and PDF) and what the
register computes agree, for both variants, both dispute choices and both term countings, with a
leap day, a month end, a holiday and an adjusted working day."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from contracts.dates import TermCounting, term_first_day, term_last_day
from service.sources import DEFAULT_PROFILE
from tests.conftest import CORPORATE, INDIVIDUAL
from tests.readback_docx import docx_body_lines
from tests.readback_pdf import pdf_body_text, squash

COUNTINGS = ("effective_day_counted", "civil_code")
DISPUTES = ("arbitration", "litigation")
VARIANTS = ("individual", "corporate")


def write_profile(tmp_path: Path, counting: str, dispute: str = "arbitration") -> Path:
    text = DEFAULT_PROFILE.read_text(encoding="utf-8")
    text = text.replace('term_counting = "effective_day_counted"', f'term_counting = "{counting}"')
    text = text.replace('method = "arbitration"', f'method = "{dispute}"')
    # a provider of the tests' own: the built-in sample may not issue (see tests/data/profile.toml)
    for sample, own in (("北京示例客户服务有限公司", "北京测试客户服务有限公司"),
                        ("91110108MA01A2B3CF", "91110108MA01B4C5DG"),
                        ("0200 0000 0000 0000 000", "0200 0049 0920 0012 345")):
        text = text.replace(sample, own)
    path = tmp_path / f"profile-{counting}-{dispute}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def invoke(tmp_path: Path, profile: Path, *args: str):
    return CliRunner().invoke(main, ["--db", str(tmp_path / "db.json"), "--new-register", "--profile", str(profile), *args])


def customer_args(kind: str) -> list[str]:
    data = {**(INDIVIDUAL if kind == "individual" else CORPORATE),
            "annual_fee": "12800" if kind == "individual" else "98000"}
    args = ["--type", kind]
    for key, value in data.items():
        args += ["--" + key.replace("_", "-"), value]
    return args


def generate(tmp_path: Path, profile: Path, kind: str, effective: str | None) -> list[Path]:
    out = tmp_path / "out"
    dated = ["--effective-date", effective] if effective else []
    result = invoke(tmp_path, profile, "generate", *customer_args(kind), *dated, "--out", str(out))
    assert result.exit_code == 0, result.output
    return sorted(out.iterdir())


def read_back(path: Path) -> str:
    if path.suffix == ".docx":
        return squash("".join(docx_body_lines(path)))
    return squash(pdf_body_text(path))


def between(text: str, start: str, end: str) -> str:
    return text[text.index(start):text.index(end, text.index(start))]


# Effective 2024-02-29 (a leap day): the term and the first service year under each counting.
LEAP = {
    "effective_day_counted": ("2024年2月29日", "2029年2月28日", "2024年2月29日至2025年2月28日",
                              "2024年3月15日前（含当日）"),
    # first day 2024-03-01; its payment period ends 2024-03-16, a Saturday: moved to Monday
    "civil_code": ("2024年3月1日", "2029年2月28日", "2024年3月1日至2025年2月28日",
                   "2024年3月18日前（含当日；遇法定休假日顺延）"),
}


@pytest.mark.slow
@pytest.mark.parametrize("dispute", DISPUTES)
@pytest.mark.parametrize("counting", COUNTINGS)
@pytest.mark.parametrize("kind", VARIANTS)
def test_a_dated_agreement_states_each_date_once_and_coherently(tmp_path, kind, counting, dispute):
    profile = write_profile(tmp_path, counting, dispute)
    first, last, year_one, due = LEAP[counting]
    for path in generate(tmp_path, profile, kind, "2024-02-29"):
        text = read_back(path)
        # the cover: the year the agreement was concluded
        assert "签订年份：二〇二四年" in text, path.suffix
        # 1.4: the first and the last day the rule gives
        term = between(text, "1.4协议期限", "2.1")
        assert f"本协议期限自{first}起至{last}止" in term, path.suffix
        if counting == "civil_code":
            assert "（生效之日2024年2月29日不计入）" in term and "自2024年2月29日起" not in term
        # 12.1: one statement of when the agreement takes effect, and on which day
        effect = between(text, "12.1合同生效", "12.2")
        assert "生效日期为2024年2月29日" in effect
        assert "签字之日起生效" not in effect and "本协议的生效日期为" not in effect
        assert "以在后的签署日期为本协议的生效日期" not in effect
        # 8.3: the first service year begins on the term's first day
        assert "第一个服务年度自第1.4条规定的协议期限的第一日开始" in text
        # annex 2: the first service year and its due date
        assert f"第一个服务年度{year_one}" in text and due.replace("（", "").replace("）", "") in \
            text.replace("（", "").replace("）", "")
        # the signature page: the date lines are blank, for each party to write in
        signature = between(text, "的签署页，无正文", "附件一")
        assert "日期：2024" not in signature and signature.count("日期：") == 2
        # the dispute choice is the profile's
        assert ("仲裁委员会" in text) == (dispute == "arbitration")


@pytest.mark.slow
@pytest.mark.parametrize("kind", VARIANTS)
def test_an_undated_agreement_leaves_the_year_and_the_dates_blank(tmp_path, kind):
    profile = write_profile(tmp_path, "civil_code")
    for path in generate(tmp_path, profile, kind, None):
        text = read_back(path)
        assert "签订年份：＿＿＿＿年" in text
        effect = between(text, "12.1合同生效", "12.2")
        assert "签字之日起生效" in effect and "以在后的签署日期为本协议的生效日期" in effect
        assert "生效日期为2" not in effect
        assert "协议期限的起止日期依照前款规定计算" in text


@pytest.mark.parametrize(
    ("counting", "effective", "term", "year_one", "due"),
    [
        # month end: civil_code from 2025-12-31 is the calendar years 2026..2030
        ("civil_code", "2025-12-31", "自2026年1月1日起至2030年12月31日止", "2026年1月1日至2026年12月31日",
         "2026年1月16日前（含当日）"),
        ("effective_day_counted", "2025-01-31", "自2025年1月31日起至2030年1月30日止",
         "2025年1月31日至2026年1月30日", "2025年2月17日前（含当日；遇法定休假日顺延）"),  # 02-15 a Saturday: Monday
        # a holiday: the year begins 2025-09-16, its period ends 2025-10-01 (National Day) -> 10-09
        ("civil_code", "2025-09-15", "自2025年9月16日起至2030年9月15日止", "2025年9月16日至2026年9月15日",
         "2025年10月9日前（含当日；遇法定休假日顺延）"),
        ("effective_day_counted", "2025-09-16", "自2025年9月16日起至2030年9月15日止",
         "2025年9月16日至2026年9月15日", "2025年10月9日前（含当日；遇法定休假日顺延）"),
        # an adjusted working day: the period ends on Sunday 2026-01-04, a working day: not moved
        ("civil_code", "2025-12-19", "自2025年12月20日起至2030年12月19日止", "2025年12月20日至2026年12月19日",
         "2026年1月4日前（含当日）"),
    ],
)
@pytest.mark.slow
def test_month_end_holiday_and_adjusted_working_day(tmp_path, counting, effective, term, year_one, due):
    """The issued agreement (read back from DOCX and PDF) and the register say the same."""
    profile = write_profile(tmp_path, counting)
    out = tmp_path / "out"
    issued = invoke(tmp_path, profile, "issue", *customer_args("corporate"), "--issued-on", effective,
                    "--effective-date", effective, "--out", str(out))
    assert issued.exit_code == 0, issued.output
    no = issued.output.splitlines()[0].removeprefix("已签发并登记合同 ").strip()
    for path in sorted(out.iterdir()):
        text = read_back(path)
        assert term in text, path.suffix
        assert f"第一个服务年度{year_one}¥98,000.00{squash(due)}" in text, path.suffix
    assert invoke(tmp_path, profile, "sign", no, "--on", effective).exit_code == 0
    view = json.loads(invoke(tmp_path, profile, "show", no, "--as-of", effective, "--json").output)
    year = view["payment_deadlines"][0]
    assert f"{cn(year['first_day'])}至{cn(year['last_day'])}" == year_one
    assert due.startswith(cn(year["due_on"]) + "前")
    assert (year["shifted_from"] is not None) == ("顺延" in due)


@pytest.mark.parametrize("counting", COUNTINGS)
def test_the_register_computes_what_the_agreement_says(tmp_path, counting):
    profile = write_profile(tmp_path, counting)
    out = tmp_path / "out"
    issued = invoke(tmp_path, profile, "issue", *customer_args("individual"), "--issued-on", "2024-02-20",
                    "--effective-date", "2024-02-29", "--format", "docx", "--out", str(out))
    assert issued.exit_code == 0, issued.output
    no = issued.output.splitlines()[0].removeprefix("已签发并登记合同 ").strip()
    assert invoke(tmp_path, profile, "sign", no, "--on", "2024-02-29").exit_code == 0
    view = json.loads(invoke(tmp_path, profile, "show", no, "--as-of", "2024-02-29", "--json").output)
    first, last, year_one, due = LEAP[counting]
    iso = {"2024年2月29日": "2024-02-29", "2024年3月1日": "2024-03-01", "2029年2月28日": "2029-02-28"}
    assert (view["terms"][0]["first_day"], view["terms"][0]["last_day"]) == (iso[first], iso[last])
    assert view["status"] == "active"  # in effect from the effective day under either counting
    year = view["payment_deadlines"][0]
    assert f"{cn(year['first_day'])}至{cn(year['last_day'])}" == year_one
    assert due.startswith(cn(year["due_on"]))
    # the issued agreement says the same
    text = read_back(next(out.glob("*.docx")))
    assert f"本协议期限自{first}起至{last}止" in text and year_one in text


def cn(day: str) -> str:
    y, m, d = (int(x) for x in day.split("-"))
    return f"{y}年{m}月{d}日"


def test_the_profile_comment_states_the_rule_the_code_applies(tmp_path):
    target = tmp_path / "profile.toml"
    assert CliRunner().invoke(main, ["init", str(target)]).exit_code == 0
    comment = target.read_text(encoding="utf-8")
    assert "生效日前一日 + 5 年" not in comment
    import datetime as dt

    for counting, examples in (
        ("effective_day_counted", [("2025-03-10", "2030-03-09"), ("2023-03-01", "2028-02-29"),
                                   ("2024-02-29", "2029-02-28")]),
        ("civil_code", [("2025-03-10", "2030-03-10"), ("2024-02-29", "2029-02-28")]),
    ):
        rule = TermCounting(counting)
        for effective, last in examples:
            first = term_first_day(dt.date.fromisoformat(effective), rule)
            assert term_last_day(first, 5, rule).isoformat() == last
            shown = f"{effective} → {last}" if rule is TermCounting.EFFECTIVE_DAY_COUNTED else \
                f"{effective} 生效：{first.isoformat()} 至 {last}"
            assert shown in comment, shown
    assert re.search(r"civil_code.*生效当日不计入，期限自生效日的次日开始", comment, re.S)
