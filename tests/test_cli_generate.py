"""The generate and init commands: messages, exit codes, nothing half-written."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from tests.conftest import CORPORATE, INDIVIDUAL


def individual_args(**override):
    data = {**INDIVIDUAL, "annual_fee": "12800", **override}
    args = ["generate", "--type", "individual"]
    for key, value in data.items():
        args += ["--" + key.replace("_", "-"), value]
    return args


def run(args, tmp_path):
    runner = CliRunner()
    return runner.invoke(main, ["--db", str(tmp_path / "db.json"), "--new-register", *args, "--out", str(tmp_path / "out")])


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"id_number": "110105194912310021"}, "--id-number：身份证号 110105194912310021 校验位不正确"),
        ({"annual_fee": "-1"}, "--annual-fee：金额必须大于零"),
        ({"email": "zhangsan"}, "--email：电子邮箱 zhangsan 格式不正确"),
        ({"effective_date": "2025-02-30"}, "--effective-date：日期 2025-02-30 无效，请按 YYYY-MM-DD 填写，例如 2025-03-10"),
    ],
)
def test_bad_field_names_the_option_and_writes_nothing(tmp_path, override, message):
    result = run(individual_args(**override), tmp_path)
    assert result.exit_code == 1
    assert result.output == f"错误：{message}\n"
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_missing_type_without_terminal(tmp_path):
    result = run(["generate", "--name", "张三"], tmp_path)
    assert result.exit_code == 1
    assert "请用 --type 指明客户类型" in result.output


def test_bad_format(tmp_path):
    result = run([*individual_args(), "--format", "odt"], tmp_path)
    assert result.exit_code == 1
    assert result.output == "错误：--format：格式“odt”无效，可选 docx、pdf，用逗号分隔\n"


def test_individual_with_credit_code_is_refused(tmp_path):
    result = run([*individual_args(), "--credit-code", CORPORATE["credit_code"]], tmp_path)
    assert result.exit_code == 1
    assert "个人客户不填写统一社会信用代码" in result.output


def test_from_file_that_is_not_a_mapping(tmp_path):
    bad = tmp_path / "c.yaml"
    bad.write_text("- a\n- b\n", encoding="utf-8")
    result = run(["generate", "--type", "individual", "--from", str(bad)], tmp_path)
    assert result.exit_code == 1
    assert "应包含键值对" in result.output


def test_init_writes_profile_and_refuses_to_overwrite(tmp_path):
    target = tmp_path / "profile.toml"
    runner = CliRunner()
    first = runner.invoke(main, ["init", str(target)])
    assert first.exit_code == 0 and target.exists()
    second = runner.invoke(main, ["init", str(target)])
    assert second.exit_code == 1
    assert f"{target} 已存在；如需覆盖请加 --force" in second.output


def test_broken_profile_is_reported(tmp_path):
    profile = tmp_path / "p.toml"
    profile.write_text('[contract]\nterm_counting = "weekly"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["--profile", str(profile), *individual_args(), "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "contract.term_counting：应为 effective_day_counted 或 civil_code" in result.output


def test_every_command_has_help_and_is_in_the_readme():
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    runner = CliRunner()

    def walk(group, prefix):
        for name, command in group.commands.items():
            path = [*prefix, name]
            assert command.help, f"{' '.join(path)} has no help"
            assert f"vipcontract {' '.join(path)}" in readme, f"{' '.join(path)} not in README"
            result = runner.invoke(main, [*path, "--help"])
            assert result.exit_code == 0 and "用法：" in result.output
            if hasattr(command, "commands"):
                walk(command, path)

    walk(main, [])


def test_click_own_errors_are_in_chinese(tmp_path):
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "db.json"), "--new-register", "list", "--status", "foo"])
    assert result.exit_code == 2
    assert "错误：'--status' 的值无效：状态“foo”无效，可选：待签署（draft）" in result.output
    assert not (tmp_path / "db.json").exists()
    unknown = CliRunner().invoke(main, ["gnerate"])
    assert "没有名为 'gnerate' 的命令" in unknown.output


def test_missing_fields_are_asked_for_on_a_terminal(tmp_path, monkeypatch):
    import cli

    monkeypatch.setattr(cli, "stdin_is_terminal", lambda: True)
    answers = "\n".join(["individual", "王五", "11010519491231002X", "13800000000", "北京市东城区", "ww@example.com", "12800"])
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "db.json"), "--new-register", "generate", "--format", "docx",
                                       "--contract-no", "VIP-2026-000009", "--out", str(tmp_path)], input=answers + "\n")
    assert result.exit_code == 0, result.output
    for prompt in ("客户类型", "姓名:", "身份证号:", "联系电话:", "通讯地址:", "电子邮箱:", "年服务费（元）:"):
        assert prompt in result.output
    assert (tmp_path / "VIP-2026-000009_王五.docx").exists()


def test_a_wrong_answer_is_said_at_once_and_asked_again(tmp_path, monkeypatch):
    import cli

    monkeypatch.setattr(cli, "stdin_is_terminal", lambda: True)
    answers = [
        "个人户", "个人",  # not a type, then the Chinese label
        "王五",
        "110105194912310021", "11010519491231002X",  # wrong check digit, then right
        "1380000", "13800000000",
        "北京市东城区",
        "ww@", "ww@example.com",
        "-5", "12,800.5x", "12800",
    ]
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "db.json"), "--new-register", "generate", "--format", "docx",
                                       "--contract-no", "VIP-2026-000009", "--out", str(tmp_path)],
                                input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("错误：")]
    assert len(errors) == 6, result.output
    assert "客户类型“个人户”无效" in errors[0] and "校验位" in errors[1]
    assert all("Error" not in line for line in result.output.splitlines())
    assert result.output.count("身份证号:") == 2 and result.output.count("年服务费（元）:") == 3
    assert (tmp_path / "VIP-2026-000009_王五.docx").exists()
