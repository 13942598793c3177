"""The README, run as written: every command block, in order, in a temporary folder, against a
fresh register, with the tests' company profile.

A block runs when it is a fence without a language (or sh/shell) whose commands start with
`vipcontract` (`.venv/bin/vipcontract`, `VAR=value vipcontract`, `export VAR=value` and `unset VAR` too).
Lines starting with `$ ` show a command with its output (the error examples): they are not run.
A block whose fence names a file (```yaml customer.yaml) is written to that file. Blocks fenced
as ```text are summaries with placeholders, not commands.

The clock is frozen and only moves forward: each command runs on the latest of the previous
command's day and the dates it names (a clerk records a signing on or after the day it happens).
"""

from __future__ import annotations

import datetime as dt
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from contracts.dates import SHANGHAI
from tests.test_register_fixtures import fake_renderer, freeze_clock  # noqa: F401 (a fixture)

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
FENCE = re.compile(r"^```([\w-]*)[ \t]*([^\n]*)\n(.*?)^```", re.S | re.M)
ISO_DATE = re.compile(r"\b(20\d\d-\d\d-\d\d)\b")
START = dt.datetime(2025, 3, 1, 10, 0, tzinfo=SHANGHAI)
PROGRAM = ("vipcontract", ".venv/bin/vipcontract")


def blocks() -> list[tuple[int, str, str]]:
    """(line number, language, text) of every fenced block, in order; a file's block
    (```yaml customer.yaml) has the language "file:customer.yaml"."""
    text = README.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start()) + 1, f"file:{m.group(2).strip()}" if m.group(2).strip() else m.group(1),
             m.group(3)) for m in FENCE.finditer(text)]


def commands(body: str) -> list[str]:
    """The block's command lines, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", body)
    return [line for line in joined.splitlines() if line.strip()]


def runnable(lang: str, body: str) -> bool:
    if lang not in ("", "sh", "shell"):
        return False
    lines = commands(body)
    if not lines or any(line.startswith("$ ") for line in lines):
        return False
    return all(_program_words(shlex.split(line, comments=True)) is not None or line.startswith(("export ", "unset "))
               for line in lines)


def _program_words(words: list[str]) -> tuple[dict[str, str], list[str]] | None:
    """({VAR: value} set for this command, the arguments after the program) or None."""
    env = {}
    while words and re.fullmatch(r"[A-Z_]+=.*", words[0]):
        key, _, value = words.pop(0).partition("=")
        env[key] = value
    if not words or words[0] not in PROGRAM:
        return None
    return env, words[1:]


def test_readme_blocks_are_found():
    found = [(line, lang) for line, lang, body in blocks() if runnable(lang, body)]
    assert len(found) >= 10, found
    files = [lang for _, lang, _ in blocks() if lang.startswith("file:")]
    assert files == ["file:customer.yaml", "file:customers.csv"]


def test_placeholders_only_in_text_blocks():
    """`…`, `[--option]` and `a|b` are not commands a clerk can paste: such blocks are text."""
    for line, lang, body in blocks():
        if runnable(lang, body):
            assert "…" not in body and not re.search(r"\s\[--", body) and "|" not in body, (line, body)


@pytest.mark.slow
def test_the_readme_runs_as_written(tmp_path, monkeypatch):
    import cli
    from renderers import fonts

    monkeypatch.chdir(tmp_path)
    # The font subsets stay where they are: a clerk's fresh home would rebuild them (seconds each),
    # and this worker would then keep rendering with that copy for every later test.
    monkeypatch.setenv("VIPCONTRACT_FONT_CACHE", str(fonts.font_cache_dir()))
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / "home" / var.lower()))
    monkeypatch.delenv("VIPCONTRACT_DB", raising=False)  # the clerk's own register: the default place
    monkeypatch.setenv("VIPCONTRACT_LOG", str(tmp_path / "error.log"))
    runner = CliRunner()
    moment = START
    ran = 0
    for number, lang, body in blocks():
        if lang.startswith("file:"):
            (tmp_path / lang.removeprefix("file:")).write_text(body, encoding="utf-8")
            continue
        if not runnable(lang, body):
            continue
        for line in commands(body):
            words = shlex.split(line, comments=True)
            if words[0] == "export":
                key, _, value = words[1].partition("=")
                monkeypatch.setenv(key, value)
                continue
            if words[0] == "unset":
                monkeypatch.delenv(words[1])
                continue
            env, args = _program_words(words)
            days = [dt.date.fromisoformat(d) for d in ISO_DATE.findall(line)]
            if days and max(days) > moment.date():
                moment = dt.datetime.combine(max(days), dt.time(10), SHANGHAI)
            freeze_clock(monkeypatch, moment)
            result = runner.invoke(cli.main, ["--new-register", *args], env=env or None,
                                   terminal_width=80, catch_exceptions=True)
            assert result.exit_code == 0, f"README line {number}: {line}\n{result.output}"
            assert "Traceback" not in result.output
            ran += 1
    assert ran >= 30


def test_the_first_issue_starts_the_default_register_in_a_new_data_folder(tmp_path, monkeypatch, fake_renderer):  # noqa: F811
    """A new clerk's account has no data folder yet: the first `issue` makes it (it failed on the
    write path's pending note, which lives beside the register)."""
    import cli

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("VIPCONTRACT_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    freeze_clock(monkeypatch, START)
    result = CliRunner().invoke(cli.main, [
        "issue", "--type", "个人", "--name", "张三", "--id-number", "11010519491231002X", "--phone", "13800000000",
        "--address", "北京市朝阳区建国路88号", "--email", "zhangsan@example.com", "--annual-fee", "12800",
        "--out", "out"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "data" / "vipcontract" / "register.json").is_file()
