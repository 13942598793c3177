"""No English reaches the user: every command's help and click's usage errors, in Chinese, at 80
columns; choices typed by their Chinese labels; parser errors with their line."""

from __future__ import annotations

import json
import re

import click
import pytest
from click.testing import CliRunner
from rich.cells import cell_len

from cli import HISTORY_LABELS, REPORT_FORMATS, history_note, main
from contracts.customer import CustomerType
from contracts.dates import DeliveryMethod
from contracts.events import NoticeKind, ReturnReason, TerminationReason
from contracts.labels import amendable_field, parse_choice
from contracts.register import AMENDABLE, Status

ENV = {"COLUMNS": "80"}
# ASCII words a clerk may meet: file formats, names of things and of the program, placeholders
KNOWN = {"vipcontract", "VIP", "DOCX", "PDF", "CSV", "XLSX", "JSON", "YAML", "TOML", "ICS", "EMS", "LPR",
         "ISO", "SHA", "UTF", "Ctrl", "YYYY", "MM", "DD", "HASH", "POS", "PATH", "FILE", "TEXT",
         "Tab", "UUID", "chinese", "calendar", "Windows", "VIPCONTRACT_DB", "VIPCONTRACT_PROFILE", "CPU",
         "PKCS", "PAdES", "trust_roots", "signing", "PostgreSQL", "postgresql", "URL"}
# values typed after an option: report formats, the fields --set names
VALUES = {*REPORT_FORMATS, *AMENDABLE, *HISTORY_LABELS, *(t.value for t in CustomerType)}


def commands(group: click.Group = main, path: tuple[str, ...] = ()):
    for name, command in sorted(group.commands.items()):
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))


ALL = [((), main), *commands()]


def allowed_words(command: click.Command) -> set[str]:
    """Option names, placeholders, choice codes and command names: what a clerk types."""
    words = KNOWN | VALUES
    for param in command.params:
        for text in [*param.opts, *param.secondary_opts, param.metavar or "", param.name or ""]:
            words.update(re.findall(r"[A-Za-z_]+", text))
        for choice in getattr(param.type, "members", ()) or getattr(param.type, "choices", ()):
            words.update(re.findall(r"[A-Za-z_]+", str(getattr(choice, "value", choice))))
    for _path, sub in commands():
        words.update(re.findall(r"[A-Za-z_]+", sub.name or ""))  # late-fee: two words, one name
    return words


def english_words(text: str, allowed: set[str]) -> list[str]:
    """ASCII words of two letters or more, outside option names, example lines and file names."""
    found = []
    for line in text.splitlines():
        if line.strip().startswith("vipcontract ") or line.strip().startswith("VIPCONTRACT_DB="):
            continue  # an example line
        line = re.sub(r"--?[A-Za-z][\w-]*|[\w.-]*\.(toml|json|yaml|xlsx|csv|docx|pdf|ics|txt|log|md)\b|\w+@[\w.]+", " ", line)
        found += [w for w in re.findall(r"[A-Za-z][A-Za-z_]+", line) if w not in allowed
                  and w.lower() not in {a.lower() for a in allowed}]
    return found


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), env=ENV, prog_name="vipcontract")


@pytest.mark.parametrize(("path", "command"), ALL, ids=lambda p: " ".join(p) if isinstance(p, tuple) else "")
def test_help_is_chinese_and_fits_80_columns(path, command):
    result = invoke(*path, "--help")
    assert result.exit_code == 0, result.output
    assert english_words(result.output, allowed_words(command)) == [], result.output
    assert all(cell_len(line) <= 80 for line in result.output.splitlines()), result.output


def test_help_columns_line_up_with_chinese_placeholders():
    text = invoke("amend", "--help").output
    starts = {cell_len(line[: line.index(text_)]) for line in text.splitlines()
              for text_ in ("补充协议签署日期", "要变更的内容", "文书格式") if text_ in line}
    assert len(starts) == 1, text
    assert "legal_representative" in text  # a field name is never cut mid-word


USAGE_ERRORS = [
    (("lst",), "没有名为 'lst' 的命令。"),
    (("list", "--stauts", "履行中"), "没有名为 '--stauts' 的选项。"),
    (("sign",), "缺少参数"),
    (("sign", "VIP-2025-000001", "--on"), "后面要写一个值"),
    (("list", "--status", "不存在"), "状态“不存在”无效，可选：待签署（draft）"),
    (("notice", "send", "VIP-2025-000001", "--method", "快递"), "缺少选项 '--kind'"),
    (("correct", "VIP-2025-000001", "--seq", "abc"), "'abc' 不是有效的数字。"),
    (("renew", "VIP-2025-000001", "--years", "0"), "0 超出允许的范围（1 至 30）"),
    (("show", "VIP-2025-000001", "extra"), "多余的参数（extra）"),
    (("report", "expirng"), "是否要输入 'expiring'？"),
    (("notice", "returned", "N-000001", "--reason", "lost"), "退回原因“lost”无效"),
]


@pytest.mark.parametrize(("args", "expected"), USAGE_ERRORS, ids=lambda a: " ".join(a) if isinstance(a, tuple) else "")
def test_usage_errors_are_chinese(args, expected, tmp_path):
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "r.json"), *args], env=ENV, prog_name="vipcontract")
    assert result.exit_code == 2, result.output
    assert expected in result.output
    command = main
    for word in args:
        if isinstance(command, click.Group) and word in command.commands:
            command = command.commands[word]
    assert english_words(result.output, allowed_words(command) | {"lst", "stauts", "abc", "extra", "expirng",
                                                                 "lost"}) == [], result.output


@pytest.mark.parametrize(("enum", "typed", "member"), [
    (NoticeKind, "续签提醒", NoticeKind.RENEWAL_REMINDER), (NoticeKind, "renewal-reminder", NoticeKind.RENEWAL_REMINDER),
    (NoticeKind, "其他", NoticeKind.OTHER), (Status, "履行中", Status.ACTIVE), (Status, "active", Status.ACTIVE),
    (DeliveryMethod, "快递", DeliveryMethod.COURIER), (DeliveryMethod, "快递/EMS", DeliveryMethod.COURIER),
    (DeliveryMethod, "ＥＭＳ", DeliveryMethod.COURIER), (DeliveryMethod, "电子邮件", DeliveryMethod.EMAIL),
    (ReturnReason, "拒收", ReturnReason.REFUSED), (ReturnReason, "退回", ReturnReason.UNDELIVERABLE),
    (TerminationReason, "逾期付款", TerminationReason.LATE_PAYMENT),
    (TerminationReason, "因乙方违约解除", TerminationReason.BREACH),
])
def test_choices_by_their_chinese_labels(enum, typed, member):
    assert parse_choice(enum, typed, "x", "x") is member


def test_amended_fields_by_their_chinese_names():
    assert amendable_field("年服务费") == "annual_fee"
    assert amendable_field("annual_fee") == "annual_fee"
    assert amendable_field("电话") == "phone"
    with pytest.raises(Exception, match="不能变更“合同编号”；可变更：年服务费（annual_fee）"):
        amendable_field("合同编号")


def test_a_broken_customer_file_names_the_line(tmp_path):
    bad = tmp_path / "customer.yaml"
    bad.write_text("type: individual\nname: 张三\nphone: 138: x\n", encoding="utf-8")
    result = invoke("generate", "--from", str(bad), "--out", str(tmp_path))
    assert result.exit_code == 1
    assert result.output == f"错误：--from：文件 {bad} 格式错误，第 3 行第 11 列：这里不能有“:”（含“:”的值要加引号）\n"
    toml = tmp_path / "customer.toml"
    toml.write_text('type = "individual"\nname 张三\n', encoding="utf-8")
    result = invoke("generate", "--from", str(toml), "--out", str(tmp_path))
    assert result.output == f'错误：--from：文件 {toml} 格式错误，第 2 行第 6 列：键名后面应有“=”，如 name = "张三"\n'


def test_a_broken_profile_names_the_line(tmp_path):
    profile = tmp_path / "profile.toml"
    profile.write_text("[provider]\nname = 北京\n", encoding="utf-8")
    result = invoke("--profile", str(profile), "generate", "--type", "个人", "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "第 2 行第 8 列：值无效（文字要加引号" in result.output
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- the register typed in Chinese
from tests.test_cli_register import NO, issued, run, signed  # noqa: E402,F401  (fixtures)
from tests.test_register_fixtures import fake_renderer  # noqa: E402,F401  (fixture)


def test_the_register_commands_take_chinese_labels(run, signed):  # noqa: F811
    sent = run("notice", "send", NO, "--kind", "续签提醒", "--method", "快递", "--on", "2026-01-05")
    assert sent.exit_code == 0, sent.output
    assert "（续签提醒，快递/EMS）" in sent.output
    returned = run("notice", "returned", "N-000001", "--on", "2026-01-06", "--reason", "拒收")
    assert returned.exit_code == 0, returned.output
    assert "拒收" in returned.output
    amended = run("amend", NO, "--signed-on", "2026-01-05", "--effective-on", "2026-03-10",
                  "--set", "年服务费=15800", "--format", "pdf")
    assert amended.exit_code == 0, amended.output
    assert "年服务费：12800.00 → 15800" in amended.output or "年服务费：" in amended.output
    listed = run("list", "--status", "逾期付款", "--as-of", "2026-03-11", "--json")
    assert [v["contract_no"] for v in json.loads(listed.output)] == [NO]
    assert json.loads(run("list", "--status", "已作废", "--json").output) == []


def test_a_field_that_cannot_change_is_named_in_chinese(run, signed):  # noqa: F811
    result = run("amend", NO, "--signed-on", "2026-01-05", "--effective-on", "2026-03-10", "--set", "合同编号=1")
    assert result.exit_code == 1
    assert result.output.startswith("错误：--set：不能变更“合同编号”；可变更：年服务费（annual_fee）")


def test_no_english_code_in_the_history(run, signed):  # noqa: F811
    sent = run("notice", "send", NO, "--kind", "解除通知", "--method", "直接送达", "--on", "2026-01-05",
               "--reason", "逾期付款", "--format", "pdf")
    assert sent.exit_code == 0, sent.output
    shown = run("show", NO, "--as-of", "2026-01-06")
    assert "原因 因乙方" in shown.output
    assert "late_payment" not in shown.output
    assert history_note({"reason": "late_payment", "notice_id": "N-000001"}) == "通知 N-000001，原因 因乙方逾期付款解除"


def test_a_bad_correction_is_said_in_chinese(run, signed):  # noqa: F811
    result = run("correct", NO, "--seq", "2", "--set", "签署日=abc")
    assert result.exit_code == 1
    assert result.output == "错误：--set：更正的内容无效：signed_on=abc（日期写成 YYYY-MM-DD，金额写成数字）\n"
