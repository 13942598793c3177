"""The register's commands as a clerk types them: messages, exit codes, JSON; each against the
embedded file and against a register on a PostgreSQL server (`--db postgresql://…`)."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from cli import main
from tests.conftest import INDIVIDUAL
from tests.test_register_fixtures import fake_renderer  # noqa: F401  (fixture)

NO = "VIP-2025-000001"


def open_store_head(db):
    from store import open_store

    store = open_store(db)
    try:
        return store.head()
    finally:
        store.close()


@pytest.fixture(params=["file", "postgres"])
def run(request, tmp_path, fake_renderer, monkeypatch):  # noqa: F811
    db = str(tmp_path / "register.json") if request.param == "file" else request.getfixturevalue("pg_url")
    monkeypatch.chdir(tmp_path)  # "--out ." stays in the test's folder

    def invoke(*args: str):
        return CliRunner().invoke(main, ["--db", db, "--new-register", *args])

    invoke.db = db  # type: ignore[attr-defined]
    return invoke


@pytest.fixture
def issued(run, tmp_path):
    customer = tmp_path / "customer.yaml"
    customer.write_text("\n".join(f'{k}: "{v}"' for k, v in {**INDIVIDUAL, "annual_fee": "12800"}.items()),
                        encoding="utf-8")
    result = run("issue", "--type", "individual", "--from", str(customer), "--issued-on", "2025-03-01",
                 "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def signed(run, issued):
    result = run("sign", NO, "--on", "2025-03-10")
    assert result.exit_code == 0, result.output
    return result


def test_issue_prints_the_number_and_the_files(issued, tmp_path):
    lines = issued.output.splitlines()
    assert lines[0] == f"已签发并登记合同 {NO}"
    assert lines[1:] == [f"已生成：{tmp_path / 'out' / (NO + '_张三.' + fmt)}" for fmt in ("docx", "pdf")]


def test_sign_prints_the_term(signed):
    assert signed.output == (f"已登记合同 {NO} 签署：签署日期 2025-03-10，生效日期 2025-03-10，"
                             "期限至 2030-03-09（第 2 条记录）\n")


def test_sign_twice(run, signed):
    result = run("sign", NO, "--on", "2025-03-11")
    assert result.exit_code == 1
    assert result.output == f"错误：合同 {NO} 已于 2025-03-10 签署，不能重复签署\n"


def test_deliver_an_unknown_notice(run, signed):
    result = run("notice", "delivered", "N-000045", "--on", "2029-12-03")
    assert result.exit_code == 1
    assert result.output == "错误：通知 N-000045 从未发出（登记簿中没有该通知），不能登记送达或退回\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sign", NO, "--on", "2025-02-30"],
         "错误：--on：日期 2025-02-30 无效，请按 YYYY-MM-DD 填写，例如 2025-03-10\n"),
        (["sign", NO, "--on", "10/03/2025"],
         "错误：--on：日期 10/03/2025 无效，请按 YYYY-MM-DD 填写，例如 2025-03-10\n"),
        (["show", NO, "--as-of", "2025-13-01"],
         "错误：--as-of：日期 2025-13-01 无效，请按 YYYY-MM-DD 填写，例如 2025-03-10\n"),
        (["notice", "send", NO, "--kind", "other", "--method", "email", "--on", "明天"],
         "错误：--on：时间 明天 无效，请写 YYYY-MM-DD 或 2026-03-01T17:30+08:00\n"),
        (["sign", NO], "错误：请用 --on 写明日期（YYYY-MM-DD）\n"),
    ],
)
def test_a_bad_date(run, issued, args, message):
    result = run(*args)
    assert (result.exit_code, result.output) == (1, message)


def test_an_unknown_contract(run, issued):
    result = run("show", "VIP-2025-000099")
    assert (result.exit_code, result.output) == (1, "错误：登记簿中没有合同 VIP-2025-000099\n")


def test_amend_renew_notices_and_terminate(run, signed, tmp_path):
    out = str(tmp_path / "out")
    amended = run("amend", NO, "--signed-on", "2026-01-05", "--effective-on", "2026-03-11",
                  "--set", "annual_fee=15800", "--out", out, "--format", "pdf")
    assert amended.exit_code == 0, amended.output
    assert amended.output.splitlines()[:2] == [f"已登记补充协议 {NO}-B1，自 2026-03-11 起生效：",
                                               "  年服务费：12800.00 → 15800.00"]
    sent = run("notice", "send", NO, "--kind", "payment-reminder", "--method", "courier",
               "--to", "北京市朝阳区某处", "--on", "2026-09-29")
    assert sent.exit_code == 0, sent.output
    assert sent.output.splitlines() == [
        "已登记通知 N-000001（付款提醒，快递/EMS）寄往：北京市朝阳区某处",
        "视为送达日：待登记送达",  # not the address in force: no Nth day, only a receipt
        f"注意：寄往的不是当日有效的通知地址（{INDIVIDUAL['address']}）",
        "注意：寄往的不是当时有效的地址，不适用交邮后第 N 日视为送达，只以实际签收为准"]
    delivered = run("notice", "delivered", "N-000001", "--on", "2026-09-30")
    assert delivered.output == f"已登记通知 N-000001 于 2026-09-30 送达（合同 {NO}）\n"
    renewed = run("renew", NO, "--signed-on", "2026-10-20", "--out", out, "--format", "docx")
    assert renewed.output.splitlines()[0] == \
        f"已登记续签协议 {NO}-X1：续签期限 2030-03-10 至 2035-03-09，年服务费 15800.00 元"
    notice = run("notice", "send", NO, "--kind", "termination", "--method", "email",
                 "--on", "2026-11-01T17:30Z", "--reason", "breach", "--note", "违约", "--out", out)
    assert notice.exit_code == 0, notice.output
    assert notice.output.splitlines()[1] == "视为送达日：2026-11-02"
    refused = run("terminate", NO, "--by-notice", "N-000002")  # the renewal agreed would fall
    assert (refused.exit_code, refused.output) == (1, (
        f"错误：合同 {NO} 已续签（续签协议 {NO}-X1，续签期限 2030-03-10 至 2035-03-09），"
        "续签期限开始前解除的，续签随之失效；确认请加 --with-renewal\n"))
    ended = run("terminate", NO, "--by-notice", "N-000002", "--with-renewal")
    assert ended.output == (f"已登记合同 {NO} 解除（依通知 N-000002），自 2026-11-02 起解除\n"
                            "已续签而尚未开始的续签期限随之失效\n")
    again = run("terminate", NO, "--on", "2026-12-01", "--reason", "mutual")
    assert (again.exit_code, again.output) == (1, f"错误：合同 {NO} 已登记解除（2026-11-02 生效）\n")
    check = run("check")
    assert (check.exit_code, check.output.splitlines()[:2]) == (
        0, ["已检查 1 份合同、8 条记录，未发现问题。", f"登记簿末端：第 9 行 {open_store_head(run.db).hash}"])


def test_terminate_by_a_notice_not_yet_delivered(run, signed, tmp_path):
    sent = run("notice", "send", NO, "--kind", "termination", "--method", "personal", "--on", "2026-01-05",
               "--reason", "breach", "--format", "docx", "--out", str(tmp_path / "out"))
    assert sent.output.splitlines()[1] == "视为送达日：待登记送达"
    result = run("terminate", NO, "--by-notice", "N-000001")
    assert (result.exit_code, result.output) == (1, "错误：通知 N-000001 尚未送达，不能据此解除\n")


def test_show_json(run, signed):
    paid = run("pay", NO, "--on", "2025-03-20", "--amount", "64000", "--reference", "流水0001")
    assert paid.output == (f"已登记合同 {NO} 付款 64000.00 元（2025-03-20，银行转账）：第 1 服务年度 12800.00 元，"
                           "第 2 服务年度 12800.00 元，第 3 服务年度 12800.00 元，第 4 服务年度 12800.00 元，"
                           "第 5 服务年度 12800.00 元（第 3 条记录）\n")
    result = run("show", NO, "--as-of", "2029-12-31", "--json")
    assert result.exit_code == 0
    view = json.loads(result.output)
    assert (view["contract_no"], view["customer_type"], view["status"]) == (NO, "individual", "expiring")
    assert (view["effective_date"], view["term_last_day"]) == ("2025-03-10", "2030-03-09")
    assert view["terms_in_force"]["annual_fee"] == "12800.00"
    assert [(h["seq"], h["kind"]) for h in view["history"]] == [(1, "issued"), (2, "signed"), (3, "paid")]
    assert view["payment_deadlines"][0] == {
        "service_year": 1, "term": 1, "first_day": "2025-03-10", "last_day": "2026-03-09",
        "due_on": "2025-03-25", "shifted_from": None, "provisional": False, "amount": "12800.00",
        "paid": "12800.00", "outstanding": "0.00", "days_overdue": 0, "late_fee": "0.00",
        "settled_on": "2025-03-20", "prorated": None,
        "late_fee_paid": "0.00", "late_fee_waived": "0.00", "late_fee_owed": "0.00"}
    assert view["payments"] == [{"on": "2025-03-20", "amount": "64000.00", "method": "transfer",
                                 "reference": "流水0001", "note": None,
                                 "allocations": [{"service_year": n, "amount": "12800.00"} for n in range(1, 6)]}]
    assert (view["arrears"]["days_overdue"], view["arrears"]["termination_right"]) == (0, False)
    assert "11010519491231002X" not in result.output and "110105********002X" in result.output


def test_show_as_a_table(run, signed):
    assert run("pay", NO, "--on", "2025-03-20", "--amount", "12800").exit_code == 0
    result = run("show", NO, "--as-of", "2026-01-01")
    assert result.exit_code == 0
    assert result.output.splitlines()[0] == f"{NO}  履行中（2026-01-01）"
    assert "110105********002X" in result.output and "11010519491231002X" not in result.output
    assert "付款期限" in result.output and "历史记录" in result.output


def test_list(run, signed, tmp_path):
    table = run("list", "--as-of", "2026-01-01")
    assert table.exit_code == 0 and NO in table.output
    assert re.search(r"^合同份数：\s+1$", table.output, re.MULTILINE)
    listed = json.loads(run("list", "--json", "--as-of", "2026-01-01").output)
    assert [v["contract_no"] for v in listed] == [NO]
    assert json.loads(run("list", "--json", "--status", "draft", "--as-of", "2026-01-01").output) == []
    bad = run("list", "--status", "open")
    assert bad.exit_code == 2 and "open" in bad.output


def test_verify(run, issued, tmp_path):
    pdf = tmp_path / "out" / f"{NO}_张三.pdf"
    ours = run("verify", str(pdf))
    assert (ours.exit_code, ours.output) == (
        0, f"{pdf}：本登记簿签发的文书 {NO}（合同 {NO}，第 1 条记录：签发，登记簿第 2 行）\n"
        "登记簿中保存有该文书的内容（vipcontract documents get 可取回）。\n")
    other = tmp_path / "other.pdf"
    other.write_bytes(b"%PDF other")
    theirs = run("verify", str(other))
    assert (theirs.exit_code, theirs.output) == (1, f"{other}：不是本登记簿签发的文件\n")


def test_check_reports_a_tampered_file(run, signed, tmp_path):
    if run.db.startswith("postgresql://"):  # changed on the server, past the append-only trigger
        import psycopg

        with psycopg.connect(run.db, autocommit=True) as conn:
            conn.execute("ALTER TABLE vipcontract.events DISABLE TRIGGER events_append_only")
            conn.execute("UPDATE vipcontract.events SET body = replace(body::text, '12800.00', '1.00')::json")
    else:
        db = tmp_path / "register.json"
        db.write_text(db.read_text(encoding="utf-8").replace("12800.00", "1.00"), encoding="utf-8")
    result = run("check")
    assert result.exit_code == 1
    assert result.output.splitlines()[:3] == [
        "已检查 1 份合同、2 条记录，发现 2 个问题：",
        "  第 2 行：这一行的内容与其哈希不符（内容被改动）",
        f"  {NO}#1：哈希链断裂：第 1 条事件的内容与其哈希值不符（内容被改动）"]


def test_void_and_correct(run, issued):
    voided = run("void", NO, "--on", "2025-03-05", "--note", "客户放弃")
    assert voided.output == f"已登记合同 {NO} 作废（2025-03-05）\n"
    refused = run("sign", NO, "--on", "2025-03-10")
    assert refused.output == f"错误：合同 {NO} 已于 2025-03-05 作废，不能再登记任何事项\n"
    fixed = run("correct", NO, "--seq", "2", "--set", "on=2025-03-06", "--note", "日期登记错误")
    assert fixed.output == f"已登记更正合同 {NO} 第 2 条记录（第 3 条记录）\n  日期：2025-03-05 → 2025-03-06\n"
    shown = json.loads(run("show", NO, "--json", "--as-of", "2025-03-05").output)
    assert shown["status"] == "draft" and shown["voided_on"] is None  # voided the next day
    shown = json.loads(run("show", NO, "--json", "--as-of", "2025-03-06").output)
    assert shown["status"] == "voided" and shown["voided_on"] == "2025-03-06"


def test_every_register_command_has_chinese_help(run):
    for args in (["issue"], ["sign"], ["amend"], ["renew"], ["notice"], ["notice", "send"],
                 ["notice", "delivered"], ["notice", "returned"], ["terminate"], ["void"],
                 ["correct"], ["show"], ["list"], ["check"], ["verify"]):
        result = run(*args, "--help")
        assert result.exit_code == 0 and "用法：" in result.output, args


def test_reports_and_the_expected_head(run, signed):
    assert run("pay", NO, "--on", "2025-03-20", "--amount", "12800").exit_code == 0
    for report in ("expiring", "deadlines", "receivables", "notices"):
        result = run("report", report, "--as-of", "2026-06-01", "--format", "json")
        assert result.exit_code == 0, (report, result.output)
    receivable = json.loads(run("report", "receivables", "--as-of", "2026-06-01", "--format", "json").output)
    assert NO in json.dumps(receivable, ensure_ascii=False)
    head = open_store_head(run.db)
    assert run("check", "--expect-head", head.token()).exit_code == 0
    forged = f"{head.position}:{'0' * 64}"
    refused = run("check", "--expect-head", forged)
    assert refused.exit_code == 1 and "不再延续给定的末端" in refused.output


def test_who_recorded_each_event_is_kept_and_shown(run, signed):
    import getpass

    history = json.loads(run("show", NO, "--json").output)["history"]
    who = {h["recorded_by"] for h in history}
    assert len(who) == 1 and getpass.getuser() in who.pop()  # the server's account adds its name
    table = run("show", NO)
    assert "登记人" in table.output and getpass.getuser() in table.output
