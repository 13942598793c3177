"""The limits (contracts/limits.py) where they meet files: long names as file names, cells that
are never formulas, customer lists in other encodings, Ctrl-C and failures of the disk, a wrong
--db. Each test reproduces a defect that crashed or slipped through."""

from __future__ import annotations

import csv
import errno
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import cli
from contracts import limits
from contracts.errors import InvalidInput
from service import output
from service.batch import decode_text
from store.atomic import TEMP_SUFFIX
from tests.conftest import INDIVIDUAL, TEST_PROFILE
from tests.test_register_fixtures import fake_render

ROOT = Path(__file__).resolve().parent.parent
HEADER = "类型,姓名,身份证号,联系电话,通讯地址,电子邮箱,年服务费\n"


def person(name: str = "张三", **more: str) -> list[str]:
    fields = {**INDIVIDUAL, "name": name, "annual_fee": "12800", **more}
    return ["--type", "individual", *[x for k, v in fields.items() for x in (f"--{k.replace('_', '-')}", v)]]


def id_number(n: int) -> str:
    from stdnum.cn import ric

    base = f"11010519800101{n:03d}"
    return base + ric.calc_check_digit(base + "0")


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setattr(output, "render_to", fake_render)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VIPCONTRACT_LOG", str(tmp_path / "log" / "error.log"))
    monkeypatch.setattr(cli, "stdin_is_terminal", lambda: False)

    def invoke(*args: str, new: bool = True):
        root = ["--db", str(tmp_path / "register.json"), *(["--new-register"] if new else [])]
        return CliRunner().invoke(cli.main, [*root, *args], catch_exceptions=False)

    return invoke


def file_names(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir()]


# ---------------------------------------------------------------- names as file names
def test_cut_to_bytes_keeps_whole_characters():
    assert limits.cut_to_bytes("测" * 100, 200) == "测" * 66  # 198 bytes: the 67th would be cut in half
    assert limits.cut_to_bytes("ab", 200) == "ab"
    stem = output.safe_stem("VIP-2026-000001", "测" * 100)
    assert len(stem.encode()) <= limits.STEM_MAX_BYTES and stem.startswith("VIP-2026-000001_测")


def test_a_74_character_name_is_issued_with_a_file_name_that_fits(run, tmp_path):
    result = run("issue", *person("测" * 74), "--out", "out")
    assert result.exit_code == 0, result.output
    names = file_names(tmp_path / "out")
    assert len(names) == 2 and all(len(n.encode()) <= 255 for n in names)
    assert all(n.startswith("VIP-") for n in names)


def test_a_65_character_name_gets_its_reading_copy(run, tmp_path):
    issued = run("issue", *person("测" * 65), "--issued-on", "2025-03-01", "--out", "out")
    assert issued.exit_code == 0, issued.output
    number = issued.output.split()[1]
    assert run("sign", number, "--on", "2025-03-10").exit_code == 0
    result = run("consolidated", number, "--as-of", "2026-01-01", "--out", "reading")
    assert result.exit_code == 0, result.output
    assert all(len(n.encode()) <= 255 for n in file_names(tmp_path / "reading"))


def test_an_82_character_name_that_passes_check_is_issued_by_batch(run, tmp_path):
    sheet = tmp_path / "list.csv"
    sheet.write_text(HEADER + f"个人,{'测' * 82},{id_number(7)},13800000000,北京市朝阳区建国路88号,a@example.com,12800\n",
                     encoding="utf-8")
    assert run("batch", "check", str(sheet)).exit_code == 0
    result = run("batch", "issue", str(sheet), "--out", "out", "--jobs", "1", "--format", "docx")
    assert result.exit_code == 0, result.output
    docs = [n for n in file_names(tmp_path / "out") if n.endswith(".docx")]
    assert len(docs) == 1 and len(docs[0].encode()) <= 255


# ---------------------------------------------------------------- cells that are never formulas
FORMULA_NAME = "=1+2"
FORMULA_ADDRESS = "@SUM(1+1)北京市"


def test_report_csv_and_xlsx_never_hold_a_formula(run, tmp_path):
    from openpyxl import load_workbook

    issued = run("issue", *person(FORMULA_NAME, address=FORMULA_ADDRESS), "--issued-on", "2025-03-01",
                 "--out", "out")
    assert issued.exit_code == 0, issued.output
    assert run("sign", "VIP-2025-000001", "--on", "2025-03-10").exit_code == 0
    for fmt in ("csv", "xlsx"):
        result = run("report", "deadlines", "--as-of", "2026-01-01", "--format", fmt, "--out", f"d.{fmt}")
        assert result.exit_code == 0, result.output
    cells = [c for row in csv.reader((tmp_path / "d.csv").open(encoding="utf-8-sig")) for c in row]
    assert f"'{FORMULA_NAME}" in cells and FORMULA_NAME not in cells
    sheet = load_workbook(tmp_path / "d.xlsx").active
    values = [c for row in sheet.iter_rows() for c in row if c.value == FORMULA_NAME]
    assert values and all(c.data_type == "s" for c in values)


def test_batch_index_and_errors_workbook_never_hold_a_formula(run, tmp_path):
    from openpyxl import load_workbook

    sheet = tmp_path / "list.csv"
    sheet.write_text(HEADER
                     + f"个人,{FORMULA_NAME},{id_number(14)},13800000000,北京市朝阳区建国路88号,a@example.com,12800\n"
                     + "个人,-2+3,110105194912310021,13800000000,+cmd|' /C calc'!A0,b@example.com,12800\n",
                     encoding="utf-8")
    result = run("batch", "issue", str(sheet), "--out", "out", "--jobs", "1", "--format", "docx", "--skip-invalid")
    assert result.exit_code == 0, result.output
    index = [c for row in csv.reader((tmp_path / "out" / "list-index.csv").open(encoding="utf-8-sig")) for c in row]
    assert f"'{FORMULA_NAME}" in index and FORMULA_NAME not in index
    for book in ("list-index.xlsx", "list-errors.xlsx"):
        ws = load_workbook(tmp_path / "out" / book).active
        risky = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value[:1] in "=+-@"]
        assert risky and all(c.data_type == "s" for c in risky), book
    errors = load_workbook(tmp_path / "out" / "list-errors.xlsx").active
    assert [c.value for c in errors[2]][:2] == ["个人", "-2+3"]  # as written: fix it and feed it back


# ---------------------------------------------------------------- encodings of customer lists
@pytest.mark.parametrize("text", [
    HEADER + "个人,王小明,11010519491231002X,13800000000,上海市徐汇区漕溪北路88号,x@example.com,12800\n",
    "姓名\n欧阳娜娜\n", "姓名\n李四\n", "单位名称,法定代表人\n西安曲江旅游投资（集团）有限公司,张伟\n",
])
def test_gb18030_lists_are_read(text):
    assert decode_text(text.encode("gb18030")) == text


@pytest.mark.parametrize("encoding, text, named", [
    ("big5", "姓名,通訊地址\n陳大文,臺北市中正區重慶南路一段122號\n", "Big5"),
    ("big5", "姓名\n李四\n", "Big5"),
    ("shift_jis", "氏名,住所\n山田太郎,東京都千代田区丸の内1丁目\n", "Shift-JIS"),
    ("shift_jis", "氏名\n山田\n", "Shift-JIS"),
])
def test_lists_in_other_encodings_are_refused_naming_the_encoding(encoding, text, named):
    with pytest.raises(InvalidInput) as caught:
        decode_text(text.encode(encoding), "list.csv")
    assert named in str(caught.value) and "list.csv" in str(caught.value)


# ---------------------------------------------------------------- Ctrl-C and the disk
def _interrupt(*_args, **_kwargs):
    raise KeyboardInterrupt


def test_ctrl_c_while_issuing_leaves_nothing(run, tmp_path, monkeypatch):
    assert run("issue", *person(), "--issued-on", "2025-03-01", "--out", "out").exit_code == 0
    before = (tmp_path / "register.json").read_bytes()
    monkeypatch.setattr(output, "render_to", _interrupt)
    result = run("issue", *person("李四", id_number=id_number(21)), "--out", "out")
    assert result.exit_code == 130 and result.output.strip() == "已中断。"
    assert (tmp_path / "register.json").read_bytes() == before
    assert sorted(file_names(tmp_path / "out")) == sorted(f"VIP-2025-000001_张三.{f}" for f in ("docx", "pdf"))


def test_ctrl_c_while_a_notice_is_recorded_leaves_the_register_as_it_was(run, tmp_path, monkeypatch):
    from store.tinydb_store import TinyDBStore

    assert run("issue", *person(), "--issued-on", "2025-03-01", "--out", "out").exit_code == 0
    before = (tmp_path / "register.json").read_bytes()
    monkeypatch.setattr(TinyDBStore, "append", _interrupt)
    result = run("notice", "send", "VIP-2025-000001", "--kind", "other", "--method", "courier", "--on", "2025-04-01")
    assert result.exit_code == 130 and result.output.strip() == "已中断。"
    assert (tmp_path / "register.json").read_bytes() == before
    monkeypatch.undo()


@pytest.mark.parametrize("code, reason", [(errno.ENOSPC, "磁盘空间"), (errno.EACCES, "没有权限"),
                                          (errno.EROFS, "只读")])
def test_the_register_cannot_be_written(run, tmp_path, monkeypatch, code, reason):
    """Disk full, no permission (the tests run as root: simulated), a read-only disk."""
    assert run("issue", *person(), "--issued-on", "2025-03-01", "--out", "out").exit_code == 0
    register = tmp_path / "register.json"
    before = register.read_bytes()
    real_open = os.open

    def refuse(path, flags, *args, **kwargs):
        if Path(os.fsdecode(path)) == register and flags & (os.O_WRONLY | os.O_RDWR | os.O_APPEND):
            raise OSError(code, os.strerror(code), str(register))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    result = run("sign", "VIP-2025-000001", "--on", "2025-03-10")
    monkeypatch.undo()
    assert result.exit_code == 1
    line = result.output.strip()
    assert "\n" not in line and reason in line and str(register) in line and "Traceback" not in line
    assert register.read_bytes() == before


def test_a_register_that_cannot_be_read_is_named(run, tmp_path, monkeypatch):
    from store import tinydb_store

    assert run("issue", *person(), "--issued-on", "2025-03-01", "--out", "out").exit_code == 0

    def refuse(path, *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(tinydb_store, "open", refuse, raising=False)
    result = run("show", "VIP-2025-000001")
    assert result.exit_code == 1 and "没有权限" in result.output
    assert str(tmp_path / "register.json") in result.output and "Traceback" not in result.output


def test_a_full_disk_while_writing_the_agreement_leaves_nothing(run, tmp_path, monkeypatch):
    assert run("issue", *person(), "--issued-on", "2025-03-01", "--out", "out").exit_code == 0
    before = (tmp_path / "register.json").read_bytes()

    def full(doc, fmt, path):
        Path(path).write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(output, "render_to", full)
    result = run("issue", *person("李四", id_number=id_number(28)), "--out", "out")
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "磁盘空间不足" in result.output
    assert (tmp_path / "register.json").read_bytes() == before
    assert sorted(file_names(tmp_path / "out")) == sorted(f"VIP-2025-000001_张三.{f}" for f in ("docx", "pdf"))


def test_a_register_in_a_folder_without_permission_is_named(run, tmp_path, monkeypatch):
    real_access = os.access
    locked = tmp_path / "locked"
    locked.mkdir()
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if Path(p) == locked else real_access(p, mode))
    result = run("issue", *person(), "--out", str(locked / "out"))
    assert result.exit_code == 1 and "--out" in result.output and str(locked) in result.output
    assert not (locked / "out").exists() and not (tmp_path / "register.json").exists()


BATCH_SCRIPT = textwrap.dedent("""
    import signal, sys, time
    from pathlib import Path
    signal.signal(signal.SIGINT, signal.default_int_handler)  # as at a terminal, even when started in the background
    import service.output

    def slow(doc, fmt, path):
        Path(path).write_bytes(b"part")
        time.sleep(2)
        Path(path).write_bytes(b"done")

    service.output.render_to = slow
    import cli
    sys.argv = ["vipcontract", *sys.argv[1:]]
    cli.main()
""")


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.0, 1.5])
def test_a_double_ctrl_c_stops_batch_issue_and_leaves_nothing_running(tmp_path, delay):
    sheet = tmp_path / "list.csv"
    sheet.write_text(HEADER + "".join(
        f"个人,客户{n},{id_number(n)},13800000000,北京市朝阳区建国路88号,c{n}@example.com,12800\n" for n in range(1, 9)),
        encoding="utf-8")
    script = tmp_path / "run.py"
    script.write_text(BATCH_SCRIPT, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "VIPCONTRACT_PROFILE": str(TEST_PROFILE),
           "VIPCONTRACT_LOG": str(tmp_path / "error.log")}
    args = [sys.executable, str(script), "--db", str(tmp_path / "r.json"), "--new-register", "batch", "issue",
            str(sheet), "--out", str(tmp_path / "out"), "--jobs", "2", "--format", "docx"]
    process = subprocess.Popen(args, cwd=tmp_path, env=env, start_new_session=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out_dir, deadline = tmp_path / "out", time.monotonic() + 60

    def rendering() -> bool:  # the workers' temporary files have appeared (not only the batch's lock)
        return out_dir.exists() and any(p.name.endswith(TEMP_SUFFIX) for p in out_dir.iterdir())

    while time.monotonic() < deadline and not rendering():
        time.sleep(0.02)
    assert process.poll() is None, "the batch ended before it could be interrupted"
    time.sleep(delay)
    os.killpg(process.pid, signal.SIGINT)  # what a terminal sends on Ctrl-C: the whole group
    time.sleep(0.05)
    try:
        os.killpg(process.pid, signal.SIGINT)
    except ProcessLookupError:
        pass
    try:
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 130, out + err
    with pytest.raises(ProcessLookupError):
        os.killpg(process.pid, 0)  # no worker left in the group
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    left = [p.name for p in (tmp_path / "out").iterdir() if p.name.endswith(".part")]
    assert left == []
    assert "已按 Ctrl-C 中断" in out, out + err


# ---------------------------------------------------------------- a wrong --db
def test_a_new_register_at_another_path_is_started_only_on_request(run, tmp_path):
    refused = run("issue", *person(), "--out", "out", new=False)
    assert refused.exit_code == 1 and "--new-register" in refused.output
    assert not (tmp_path / "register.json").exists() and not (tmp_path / "out").exists()
    assert run("issue", *person(), "--out", "out").exit_code == 0
    assert run("list", new=False).exit_code == 0  # once it exists, no flag is needed


def test_a_new_register_is_asked_for_at_a_terminal(run, tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "stdin_is_terminal", lambda: True)
    no = CliRunner().invoke(cli.main, ["--db", str(tmp_path / "r.json"), "issue", *person(), "--out", "out"],
                            input="n\n")
    assert no.exit_code == 1 and not (tmp_path / "r.json").exists()
    yes = CliRunner().invoke(cli.main, ["--db", str(tmp_path / "r.json"), "issue", *person(), "--out", "out"],
                             input="y\n")
    assert yes.exit_code == 0, yes.output
    assert (tmp_path / "r.json").exists()


def test_vipcontract_db_pointing_nowhere_is_named(run, tmp_path, monkeypatch):
    monkeypatch.setenv("VIPCONTRACT_DB", str(tmp_path / "typo.json"))
    result = CliRunner().invoke(cli.main, ["list"])
    assert result.exit_code == 1 and str(tmp_path / "typo.json") in result.output
    assert "VIPCONTRACT_DB" in result.output and not (tmp_path / "typo.json").exists()


STARTING_SCRIPT = textwrap.dedent("""
    import os, signal, sys
    signal.signal(signal.SIGINT, signal.default_int_handler)  # as at a terminal

    class CtrlCWhileLoading:
        # Ctrl-C arrives while cli.py is still loading its libraries (here: as click is imported).
        def find_spec(self, name, path=None, target=None):
            if name == "click":
                sys.meta_path.remove(self)
                os.kill(os.getpid(), signal.SIGINT)
            return None

    sys.meta_path.insert(0, CtrlCWhileLoading())
    import cli
    cli.main()
""")


def test_a_ctrl_c_while_the_command_is_still_starting_ends_it_with_one_line(tmp_path):
    script = tmp_path / "run.py"
    script.write_text(STARTING_SCRIPT, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(script), "list"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (130, "", "\n已中断。\n")


def test_once_started_ctrl_c_is_as_it_was_before_the_command_was_loaded():
    import cli

    assert cli._IMPORTED_IN_MAIN_THREAD
    assert signal.getsignal(signal.SIGINT) is not cli._interrupted_while_starting
