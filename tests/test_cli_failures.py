"""Failures that are not the clerk's input: one Chinese line, an exit code, the traceback in a
log file the line names, never on the screen."""

from __future__ import annotations

import errno
import re
import signal

import pytest
from click.testing import CliRunner

import cli
from service import failures


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("VIPCONTRACT_LOG", str(tmp_path / "logs" / "error.log"))

    def invoke(*args: str):
        return CliRunner().invoke(cli.main, list(args), catch_exceptions=False)

    return invoke


def one_chinese_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert "Traceback" not in output and not re.search(r"\b(Error|Exception)\b", output), output
    return lines[0]


def test_a_file_where_a_folder_should_be_is_named(run, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    result = run("init", str(blocker / "profile.toml"))
    assert result.exit_code == 1
    line = one_chinese_line(result.output)
    assert str(blocker) in line and ("不是目录" in line or "已存在" in line)
    assert blocker.read_text() == "x"


@pytest.mark.parametrize("code, reason", [(errno.ENOSPC, "磁盘空间不足"), (errno.EACCES, "没有权限"),
                                          (errno.EROFS, "只读"), (errno.ENAMETOOLONG, "文件名过长")])
def test_system_errors_say_what_and_where(run, monkeypatch, tmp_path, code, reason):
    target = tmp_path / "profile.toml"

    def fail(*_args, **_kwargs):
        raise OSError(code, "boom", str(target))

    monkeypatch.setattr(cli.Path, "write_text", fail)
    result = run("init", str(target))
    assert result.exit_code == 1
    line = one_chinese_line(result.output)
    assert line == f"错误：{target}：{reason}" or (reason in line and str(target) in line)
    assert (tmp_path / "logs" / "error.log").exists()


def test_an_unexpected_error_points_to_the_log_with_the_traceback(run, monkeypatch, tmp_path):
    def fail(*_args, **_kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(cli.Path, "write_text", fail)
    result = run("init", str(tmp_path / "profile.toml"))
    assert result.exit_code == 1
    line = one_chinese_line(result.output)
    log = tmp_path / "logs" / "error.log"
    assert str(log) in line and "程序内部错误" in line
    text = log.read_text(encoding="utf-8")
    assert "Traceback" in text and "RuntimeError: a bug" in text
    assert (log.stat().st_mode & 0o777) == 0o600


def test_ctrl_c_exits_130_in_one_line(run, monkeypatch, tmp_path):
    def interrupt(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli.Path, "write_text", interrupt)
    result = run("init", str(tmp_path / "profile.toml"))
    assert result.exit_code == failures.INTERRUPTED_EXIT == 130
    assert one_chinese_line(result.output) == "已中断。"
    # the command is ending: a second Ctrl-C must not kill it by signal before it exits with 130
    assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN


def test_a_command_ending_with_130_stops_listening_for_ctrl_c(run, monkeypatch, tmp_path):
    """A command that handled the Ctrl-C itself (a batch) and now exits: a second one must not
    kill it by signal on its way out."""
    import service.batch

    monkeypatch.setattr(service.batch, "run_check", lambda *a, **k: (130, ["已按 Ctrl-C 中断"]))
    sheet = tmp_path / "list.csv"
    sheet.write_text("客户类型\n", encoding="utf-8")
    result = run("batch", "check", str(sheet))
    assert (result.exit_code, result.output) == (130, "已按 Ctrl-C 中断\n")
    assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN


def test_the_log_falls_back_to_the_temporary_folder(monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("VIPCONTRACT_LOG", str(blocker / "error.log"))
    monkeypatch.setattr(failures.tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    path = failures.write_log(ValueError("x"), "vipcontract test")
    assert path == tmp_path / "tmp" / "vipcontract-error.log"
    assert "ValueError: x" in path.read_text(encoding="utf-8")


def test_running_out_of_memory_is_said_in_one_line(run, monkeypatch, tmp_path):
    def exhaust(*_args, **_kwargs):
        raise MemoryError

    monkeypatch.setattr(cli.Path, "write_text", exhaust)
    result = run("init", str(tmp_path / "profile.toml"))
    assert result.exit_code == 1
    line = one_chinese_line(result.output)
    assert "内存不足" in line and str(tmp_path / "logs" / "error.log") in line
