"""Agreements already signed on paper, brought into the register by `batch issue`: issued, signed
and paid events in one append per contract, nothing rendered unless --render, every disagreement
between the columns named by row and column, and `check` accepting what was brought in."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from stdnum.cn import ric

import cli
from contracts.dates import SHANGHAI
from contracts.register import Status, payment_deadlines, status_on, year_accounts
from service import batch, output
from service import register as register_service
from service.sources import load_profile
from store import open_store
from tests.conftest import TEST_PROFILE
from tests.test_register_fixtures import freeze_clock

TODAY = dt.date(2026, 11, 24)
NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI)
HEADERS = ["类型", "姓名/单位名称", "身份证号", "统一社会信用代码", "法定代表人", "联系电话", "通讯地址",
           "电子邮箱", "年服务费（元）", "签发日期", "签署日期", "生效日期", "已付清至服务年度", "付款日期"]


def id_number(n: int) -> str:
    """A valid 18-digit ID (region 110101, born in 1980, sequence n) with its check digit."""
    birth = dt.date(1980, 1, 1) + dt.timedelta(days=n // 900)
    body = f"110101{birth:%Y%m%d}{n % 900 + 100:03d}"
    return body + ric.calc_check_digit(body + "0")


def person(n: int, issued: str, signed: str, effective: str = "", paid_until: object = "", paid_on: str = "",
           fee: object = "12800") -> list[object]:
    return ["个人", f"客户{n}", id_number(n), "", "", "13800000001", "北京市朝阳区建国路1号",
            "client@example.com", fee, issued, signed, effective, paid_until, paid_on]


def write_csv(path: Path, rows: list[list[object]], headers: list[str] = HEADERS) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


@pytest.fixture
def profile():
    return load_profile(TEST_PROFILE)


@pytest.fixture(params=["file", "postgres"])
def store(request, tmp_path):
    """The register the batch writes to: the embedded file, or one on a PostgreSQL server."""
    s = open_store(tmp_path / "register.json" if request.param == "file" else request.getfixturevalue("pg_url"))
    yield s
    s.close()


@pytest.fixture
def rendered(monkeypatch):
    calls: list[tuple[str, str]] = []

    def render(doc, fmt, path):
        calls.append((doc.doc_no, fmt))
        Path(path).write_bytes(f"{fmt}|{doc.doc_no}".encode())

    monkeypatch.setattr(output, "render_to", render)
    return calls


def issue(source, out, store, profile, **options):
    registrar = batch.StoreRegistrar(store, profile, now=lambda: NOW)
    options.setdefault("jobs", 1)  # the fake renderer counts calls in this process
    return batch.issue_batch(source, out, registrar, profile, today=TODAY, **options)


def problems(path: Path, profile) -> list[str]:
    return [str(p) for p in batch.check_file(path, TODAY, profile=profile).problems]


# ---------------------------------------------------------------- 200 contracts from a workbook
def drawer(count: int) -> list[list[object]]:
    """COUNT signed agreements as a clerk types them from the drawer: issued over two years,
    signed a week later, some with a stated effective date, paid 0, 1 or all the years begun."""
    rows = []
    for n in range(count):
        issued = dt.date(2024, 1, 2) + dt.timedelta(days=3 * n)
        signed = issued + dt.timedelta(days=7)
        effective = signed + dt.timedelta(days=10) if n % 4 == 0 else None
        paid_until = n % 3  # 0, 1 or 2 service years
        paid_on = signed + dt.timedelta(days=400) if paid_until == 2 else signed + dt.timedelta(days=5)
        rows.append(["个人", f"客户{n}", id_number(n), None, None, "13800000001", "北京市朝阳区建国路1号",
                     "client@example.com", 12800 + n, issued, signed, effective, paid_until or None,
                     paid_on if paid_until else None])
    return rows


def test_two_hundred_signed_contracts_from_a_workbook(tmp_path, store, profile, rendered):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "已签署合同"
    ws.append(HEADERS)
    rows = drawer(200)
    for row in rows:
        ws.append(row)  # dates as date cells, fees and years as numbers: as Excel stores them
    source = tmp_path / "drawer.xlsx"
    wb.save(source)
    assert batch.check_file(source, TODAY, profile=profile).ok

    out = tmp_path / "out"
    result = issue(source, out, store, profile, jobs=2)

    assert result.exit_code == 0, batch.summary_lines(result)
    assert len(result.issued) == 200 and all(r.signed for r in result.issued)
    assert rendered == []  # the agreements exist on paper: nothing rendered
    assert sorted(p.name for p in out.iterdir() if p.suffix in (".docx", ".pdf")) == []
    assert not list(Path(out).glob(".*vipcontract-tmp"))
    # numbered by issue year, in order of issue date, with no gaps
    by_name = {r.customer_name: r.contract_no for r in result.issued}
    in_2024 = sum(1 for row in rows if row[9].year == 2024)
    assert by_name["客户0"] == "VIP-2024-000001"
    assert by_name[f"客户{in_2024 - 1}"] == f"VIP-2024-{in_2024:06d}"
    assert by_name[f"客户{in_2024}"] == "VIP-2025-000001"
    assert store.contract_numbers() == sorted(by_name.values())

    report = register_service.check(store, profile)
    assert report.ok, report.problems
    head = store.head()
    assert head is not None and result.register_head == head.text()
    lines = list(store.journal().lines)
    assert len(lines) == 200  # one append per contract, holding its whole history
    assert {len(line.docs) for line in lines} == {2, 3}

    for n, row in enumerate(rows):
        state = register_service.load_state(store, profile, by_name[f"客户{n}"])
        assert [e.kind.value for e in state.events] == ["issued", "signed", *(["paid"] if n % 3 else [])]
        assert state.issued.issued_on == row[9] and state.issued.files == ()
        assert state.signed is not None and state.signed.signed_on == row[10]
        assert state.signed.effective_date == (row[11] or row[10])
        assert state.issued.effective_date == row[11]
        accounts = year_accounts(state, TODAY, profile)
        assert [a.service_year for a in accounts if a.outstanding == 0] == list(range(1, n % 3 + 1))
        late = any(a.deadline.due_on < TODAY for a in accounts[n % 3:])
        assert status_on(state, TODAY, profile) is (Status.OVERDUE if late else Status.ACTIVE)

    # a second run brings in nothing twice
    again = issue(source, out, store, profile)
    assert len(again.issued) == 0 and len(again.skipped) == 200
    assert len(list(store.journal().lines)) == 200


def test_render_writes_the_agreement_dated_as_issued(tmp_path, store, profile, rendered):
    source = write_csv(tmp_path / "signed.csv", [person(1, "2025-02-03", "2025-02-10", paid_until=1,
                                                        paid_on="2025-02-20")])
    result = issue(source, tmp_path / "out", store, profile, render_signed=True)
    assert result.exit_code == 0
    assert sorted(rendered) == [("VIP-2025-000001", "docx"), ("VIP-2025-000001", "pdf")]
    state = register_service.load_state(store, profile, "VIP-2025-000001")
    assert [e.kind.value for e in state.events] == ["issued", "signed", "paid"]
    assert {f.format for f in state.issued.files} == {"docx", "pdf"}
    for item in state.issued.files:
        assert output.sha256_file(tmp_path / "out" / item.name) == item.sha256
    assert register_service.check(store, profile).ok


def test_new_and_signed_rows_in_one_list(tmp_path, store, profile, rendered):
    rows = [person(1, "", "", fee="9800"), person(2, "2025-06-01", "2025-06-02")]
    rows[0][9:] = ["", "", "", "", ""]
    result = issue(write_csv(tmp_path / "mixed.csv", rows), tmp_path / "out", store, profile)
    assert result.exit_code == 0
    numbers = {r.customer_name: r for r in result.issued}
    assert numbers["客户1"].contract_no == "VIP-2026-000001" and numbers["客户1"].files
    assert not numbers["客户1"].signed
    assert numbers["客户2"].contract_no == "VIP-2025-000001" and numbers["客户2"].files == ()
    assert {no for no, _fmt in rendered} == {"VIP-2026-000001"}
    draft = register_service.load_state(store, profile, "VIP-2026-000001")
    assert draft.signed is None and draft.issued.issued_on == TODAY


def test_numbers_continue_the_issue_year_of_the_register(tmp_path, store, profile, rendered):
    issue(write_csv(tmp_path / "a.csv", [person(1, "2025-01-05", "2025-01-06")]), tmp_path / "out", store, profile)
    second = issue(write_csv(tmp_path / "b.csv", [person(2, "2025-01-02", "2025-01-03"),
                                                   person(3, "2024-12-30", "2025-01-03")]),
                   tmp_path / "out", store, profile)
    assert sorted(r.contract_no for r in second.issued) == ["VIP-2024-000001", "VIP-2025-000002"]


# ---------------------------------------------------------------- the columns disagree
def test_check_names_each_disagreement_by_row_and_column(tmp_path, profile):
    rows = [
        person(1, "2025-03-01", "2025-03-08", paid_until=1, paid_on="2025-03-20"),  # 2 good
        person(2, "2025-03-01", "2025-02-28"),                                       # 3 signed before issued
        person(3, "2025-03-01", "2025-03-08", effective="2025-03-05"),               # 4 effective before signed
        person(4, "2025-03-01", "2025-03-08", paid_until=3, paid_on="2026-04-01"),   # 5 years not begun
        person(5, "2025-03-01", "2027-01-01"),                                       # 6 signed in the future
        person(6, "2026-12-01", "2026-12-02"),                                       # 7 issued in the future
        person(7, "2025-03-01", "2025-03-08", paid_until=1),                         # 8 paid, no day
        person(8, "2025-03-01", "", paid_until=1, paid_on="2025-03-20"),             # 9 paid, not signed
        person(9, "", "2025-03-08"),                                                 # 10 no issue date
        person(10, "2025-03-01", "2025-03-08", paid_until="两年", paid_on="2025-03-20"),  # 11 not a number
        person(11, "2025-03-01", "2025-03-08", paid_until=1, paid_on="2025-03-02"),  # 12 paid before signed
        person(12, "2025-03-01", "2025-03-08", paid_until=1, paid_on="2026-11-30"),  # 13 paid in the future
        person(13, "2025-03-01", "2025-03-08", effective="2025-02-20"),              # 14 effective before issued
        person(14, "2025-03-01", "2025/3/8", paid_until=2, paid_on="2026-03-20"),    # 15 good (2 years begun)
    ]
    found = problems(write_csv(tmp_path / "bad.csv", rows), profile)
    assert found == [
        "第3行 签署日期：签署日期 2025-02-28 早于签发日期 2025-03-01",
        "第4行 生效日期：生效日期 2025-03-05 早于签署日期 2025-03-08：协议不能在签署之前生效；"
        "协议自签署之日起生效的，生效日期留空",
        "第5行 已付清至服务年度：已付清至第 3 服务年度，但截至今天（2026-11-24）只开始了 2 个服务年度"
        "（第 2 服务年度自 2026-03-08 起）：尚未开始的服务年度不能登记为已付清",
        "第6行 签署日期：签署日期 2027-01-01 晚于今天（2026-11-24）：尚未发生的事项不能登记",
        "第7行 签发日期：签发日期 2026-12-01 晚于今天（2026-11-24）：尚未发生的事项不能登记",
        "第7行 签署日期：签署日期 2026-12-02 晚于今天（2026-11-24）：尚未发生的事项不能登记",
        "第8行 付款日期：已付清至第 1 服务年度，请填写付款日期（收到其中最后一笔款项之日）",
        "第9行 已付清至服务年度：未填写签署日期：尚未签署的合同不能登记付款；已签署的请填写签署日期",
        "第10行 签发日期：已签署的合同请填写签发日期（协议上的签发日期）",
        "第11行 已付清至服务年度：“两年”不是服务年度数：请填写已付清的最后一个服务年度，如 2（第1、2服务年度已付清），"
        "未付款填 0 或留空",
        "第12行 付款日期：付款日期 2025-03-02 早于签署日期 2025-03-08",
        "第13行 付款日期：付款日期 2026-11-30 晚于今天（2026-11-24）：尚未发生的事项不能登记",
        "第14行 生效日期：生效日期 2025-02-20 早于签发日期 2025-03-01",
    ]


def test_issue_refuses_what_check_refuses_and_writes_nothing(tmp_path, store, profile, rendered):
    source = write_csv(tmp_path / "bad.csv", [person(1, "2025-03-01", "2025-03-08"),
                                              person(2, "2025-03-01", "2025-02-28")])
    result = issue(source, tmp_path / "out", store, profile)
    assert result.refused and result.exit_code == 1
    assert store.contract_numbers() == [] and not (tmp_path / "out").exists()


def test_template_sheet_and_example_of_a_signed_agreement(tmp_path, profile):
    path = batch.write_template(tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(path)
    sheet = wb["已签署合同"]
    headers = [c.value for c in sheet[1]]
    assert headers[-5:] == ["签发日期", "签署日期", "生效日期", "已付清至服务年度", "付款日期"]
    notes = wb["填写说明"]
    at = next(c.row for c in notes["A"] if c.value == "示例：已签署合同")
    example = [c.value for c in notes[at + 2]][: len(headers)]
    assert any("已签署合同" in str(c.value) for c in notes["A"] if c.value and "8." in str(c.value))
    sheet.append(example)  # the example, copied into the sheet, is a row batch check accepts
    wb.save(path)
    result = batch.check_file(path, TODAY, profile=profile)
    assert result.ok, [str(p) for p in result.problems]
    assert result.valid[0].request.signed is not None


# ---------------------------------------------------------------- the command line
def test_cli_batch_check_and_issue(tmp_path, monkeypatch, rendered):
    freeze_clock(monkeypatch, NOW)
    monkeypatch.chdir(tmp_path)
    write_csv(tmp_path / "signed.csv", [person(1, "2025-03-01", "2025-03-08", paid_until=1, paid_on="2025-03-20")])
    runner = CliRunner()
    checked = runner.invoke(cli.main, ["batch", "check", "signed.csv"])
    assert checked.exit_code == 0, checked.output
    done = runner.invoke(cli.main, ["--db", "register.json", "--new-register", "batch", "issue", "signed.csv",
                                    "--out", "out"])
    assert done.exit_code == 0, done.output
    assert "其中已签署的合同 1 份" in done.output
    assert rendered == []
    shown = runner.invoke(cli.main, ["--db", "register.json", "show", "VIP-2025-000001", "--json"])
    assert '"status": "overdue"' in shown.output  # year 2 was due in March 2026 and is unpaid
    assert runner.invoke(cli.main, ["--db", "register.json", "check"]).exit_code == 0


def test_payment_deadlines_of_a_stated_effective_date(tmp_path, store, profile, rendered):
    """An agreement that states a later effective date: the years count from it, not from signing."""
    source = write_csv(tmp_path / "s.csv", [person(1, "2025-03-01", "2025-03-08", effective="2025-04-01",
                                                   paid_until=1, paid_on="2025-04-10")])
    issue(source, tmp_path / "out", store, profile)
    state = register_service.load_state(store, profile, "VIP-2025-000001")
    assert payment_deadlines(state, profile)[0].first_day == dt.date(2025, 4, 1)


# ---------------------------------------------------------------- a single issue
PERSON = ["--type", "individual", "--name", "张三", "--id-number", id_number(7), "--phone", "13800000000",
          "--address", "北京市朝阳区建国路88号", "--email", "zhangsan@example.com", "--annual-fee", "12800"]


def test_single_issue_of_a_signed_agreement(tmp_path, monkeypatch, rendered):
    freeze_clock(monkeypatch, NOW)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "stdin_is_terminal", lambda: False)
    runner = CliRunner()
    root = ["--db", "register.json", "--new-register"]
    done = runner.invoke(cli.main, [*root, "issue", *PERSON, "--issued-on", "2024-03-01", "--signed-on",
                                    "2024-03-08", "--paid-until", "2", "--paid-on", "2025-03-20", "--out", "out"])
    assert done.exit_code == 0, done.output
    assert "已签发并登记合同 VIP-2024-000001（已签署：2024-03-08，登记了签发、签署和付款）" in done.output
    assert rendered == [] and not (tmp_path / "out").exists()
    other = [*PERSON[:5], id_number(8), *PERSON[6:]]
    drawn = runner.invoke(cli.main, [*root, "issue", *other, "--issued-on", "2024-05-01", "--signed-on",
                                     "2024-05-02", "--render", "--format", "docx", "--out", "out"])
    assert drawn.exit_code == 0, drawn.output
    assert rendered == [("VIP-2024-000002", "docx")]
    store = open_store(tmp_path / "register.json")
    try:
        profile = load_profile(TEST_PROFILE)
        first = register_service.load_state(store, profile, "VIP-2024-000001")
        assert [e.kind.value for e in first.events] == ["issued", "signed", "paid"]
        assert [a.service_year for a in year_accounts(first, TODAY, profile) if a.outstanding == 0] == [1, 2]
        second = register_service.load_state(store, profile, "VIP-2024-000002")
        assert second.issued.files[0].name == "VIP-2024-000002_张三.docx"
        assert register_service.check(store, profile).ok
    finally:
        store.close()
    assert len(list((tmp_path / "out").glob("*.docx"))) == 1


def test_a_bad_signed_row_goes_to_the_errors_workbook_and_comes_back_fixed(tmp_path, store, profile, rendered):
    source = write_csv(tmp_path / "drawer.csv", [person(1, "2025-03-01", "2025-03-08"),
                                                 person(2, "2025-03-01", "2025-02-28", paid_until=1,
                                                        paid_on="2025-03-20")])
    out = tmp_path / "out"
    first = issue(source, out, store, profile, skip_invalid=True)
    assert [r.customer_name for r in first.issued] == ["客户1"]
    assert first.errors_path is not None
    wb = openpyxl.load_workbook(first.errors_path)
    ws = wb.worksheets[0]
    headers = [c.value for c in ws[1]]
    row = {h: c.value for h, c in zip(headers, ws[2], strict=False)}
    assert row["签署日期"] == "2025-02-28" and "签署日期 2025-02-28 早于签发日期 2025-03-01" in row["错误说明"]
    ws.cell(row=2, column=headers.index("签署日期") + 1, value="2025-03-09")
    wb.save(first.errors_path)
    second = issue(first.errors_path, out, store, profile)
    assert second.exit_code == 0 and [r.customer_name for r in second.issued] == ["客户2"]
    state = register_service.load_state(store, profile, second.issued[0].contract_no)
    assert state.signed is not None and state.signed.signed_on == dt.date(2025, 3, 9)
    assert [e.kind.value for e in state.events] == ["issued", "signed", "paid"]
    assert register_service.check(store, profile).ok and rendered == []
