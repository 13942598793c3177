"""Batch issuing across worker processes: the same outcome as one process, a worker killed mid-run,
Ctrl-C sent to the whole process group, and the real renderers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from service import batch
from service import register as register_service
from store import open_store
from tests.conftest import TEST_PROFILE
from tests.test_batch import (
    CSV_GOOD_ROWS,
    CSV_ROWS,
    IDS,
    TODAY,
    assert_register_consistent,
    fake_render,
    files_in,
    mixed,
    parts_in,
    write_csv,
)

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
CRASH_ENV = "VIPCONTRACT_TEST_CRASH_NO"


def crashing_render(doc, fmt, path):
    """A worker that dies (as if killed) half-way through writing one contract's file."""
    if doc.doc_no == os.environ.get(CRASH_ENV) and fmt == "pdf":
        Path(path).write_bytes(b"half")
        os._exit(9)
    fake_render(doc, fmt, path)


def many_rows(n: int) -> list[list[str]]:
    from stdnum.cn import ric

    rows = []
    for i in range(n):
        body = f"1101051980{1 + i // 28:02d}{1 + i % 28:02d}{i % 1000:03d}"
        rows.append(mixed("个人", f"客户{i + 1}", body + ric.calc_check_digit(body + "0")))
    return rows


@pytest.fixture
def profile():
    from service.sources import load_profile

    return load_profile(TEST_PROFILE)


@pytest.fixture
def store(tmp_path):
    s = open_store(tmp_path / "register.json")
    yield s
    s.close()


def issue(source, out, store, profile, **options):
    return batch.issue_batch(source, out, batch.StoreRegistrar(store, profile), profile, today=TODAY, **options)


def test_parallel_run_gives_the_same_outcome_as_one_process(tmp_path, store, profile):
    source = write_csv(tmp_path / "c.csv", rows=many_rows(12))
    out = tmp_path / "out"
    result = issue(source, out, store, profile, jobs=3, renderer=fake_render)
    assert result.complete
    assert [r.contract_no for r in result.issued] == [f"VIP-2026-{n:06d}" for n in range(1, 13)]
    assert [r.customer_name for r in result.issued] == [f"客户{n}" for n in range(1, 13)]
    assert len(files_in(out)) == 24 and parts_in(out) == []
    assert_register_consistent(store, profile, out)
    again = issue(source, out, store, profile, jobs=3, renderer=fake_render)
    assert again.issued == [] and len(again.skipped) == 12


def test_killed_worker_leaves_a_consistent_register_and_the_next_run_completes(tmp_path, store, profile,
                                                                                monkeypatch):
    source = write_csv(tmp_path / "c.csv", rows=many_rows(10))
    out = tmp_path / "out"
    monkeypatch.setenv(CRASH_ENV, "VIP-2026-000004")
    first = issue(source, out, store, profile, jobs=2, renderer=crashing_render)
    assert first.interrupted == "一个工作进程意外退出" and first.exit_code == 1
    # rows in flight when the worker died are lost (how many finished first depends on timing)
    assert len(first.issued) < 10
    assert [r.contract_no for r in first.issued] == [f"VIP-2026-{n:06d}" for n in range(1, len(first.issued) + 1)]
    assert parts_in(out) == []
    assert_register_consistent(store, profile, out)
    assert "尚未签发" in "\n".join(batch.summary_lines(first))

    monkeypatch.delenv(CRASH_ENV)
    second = issue(source, out, store, profile, jobs=2, renderer=crashing_render)
    assert second.complete
    assert len(first.issued) + len(second.issued) == 10
    names = [h[0]["data"]["customer"]["name"] for _no, h in store.histories()]
    assert sorted(names) == sorted(f"客户{n}" for n in range(1, 11))  # each customer exactly once
    assert store.contract_numbers() == [f"VIP-2026-{n:06d}" for n in range(1, 11)]
    assert len(files_in(out)) == 20 and parts_in(out) == []
    assert_register_consistent(store, profile, out)


SCRIPT = """
import datetime as dt, signal, sys, time
from pathlib import Path
signal.signal(signal.SIGINT, signal.default_int_handler)  # as at a terminal, even if started with it ignored
sys.path.insert(0, {root!r})
from service import batch
from service.sources import load_profile
from store import open_store
from tests.conftest import TEST_PROFILE

HOLD = Path({hold!r})

def slow_render(doc, fmt, path):
    time.sleep(0.3)
    # while the test holds them, rows after the fourth wait: the batch cannot end before Ctrl-C
    while HOLD.exists() and int(doc.doc_no[-6:]) > 4:
        time.sleep(0.05)
    Path(path).write_bytes(f"{{fmt}}|{{doc.doc_no}}".encode())

profile = load_profile(TEST_PROFILE)
store = open_store({db!r})
result = batch.issue_batch(Path({source!r}), Path({out!r}), batch.StoreRegistrar(store, profile), profile,
                           today=dt.date(2026, 11, 24), jobs=2, renderer=slow_render)
store.close()
print("\\n".join(batch.summary_lines(result)))
sys.exit(result.exit_code)
"""


def test_ctrl_c_to_the_process_group_stops_cleanly_and_the_next_run_carries_on(tmp_path, profile):
    source = write_csv(tmp_path / "c.csv", rows=many_rows(40))
    out, db, hold = tmp_path / "out", tmp_path / "register.json", tmp_path / "hold"
    hold.touch()  # however slow the machine, the batch is still running when the interrupt comes
    script = tmp_path / "run.py"
    script.write_text(SCRIPT.format(root=str(ROOT), db=str(db), source=str(source), out=str(out), hold=str(hold)),
                      encoding="utf-8")

    def run_and_interrupt():
        proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(files_in(out)) < 6:
            time.sleep(0.05)
        assert proc.poll() is None, "the batch ended before it could be interrupted"
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal does on Ctrl-C: the parent and its workers
        stdout, stderr = proc.communicate(timeout=60)
        return proc.returncode, stdout, stderr

    code, stdout, stderr = run_and_interrupt()
    assert code == 130, stderr
    assert "已按 Ctrl-C 中断" in stdout
    assert parts_in(out) == []
    store = open_store(db)
    try:
        issued = len(store.contract_numbers())
        assert 3 <= issued <= 4
        assert_register_consistent(store, profile, out)
        assert len(files_in(out)) == 2 * issued  # nothing rendered but unrecorded stays behind
    finally:
        store.close()

    hold.unlink()
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"此前已签发、本次跳过：{issued} 份" in done.stdout
    store = open_store(db)
    try:
        assert store.contract_numbers() == [f"VIP-2026-{n:06d}" for n in range(1, 41)]
        assert_register_consistent(store, profile, out)
    finally:
        store.close()


def test_real_renderers_in_workers(tmp_path, store, profile):
    formats = ("docx", "pdf") if _has_pdf_renderer() else ("docx",)
    source = write_csv(tmp_path / "c.csv", rows=[CSV_ROWS[i - 2] for i in CSV_GOOD_ROWS])
    out = tmp_path / "out"
    result = issue(source, out, store, profile, jobs=2, formats=formats)
    assert result.complete and len(result.issued) == 4
    assert_register_consistent(store, profile, out)
    from docx import Document as WordDocument

    for record in result.issued:
        word = WordDocument(next(Path(f.path) for f in record.files if f.format == "docx"))
        text = "\n".join(p.text for p in word.paragraphs)
        assert record.customer_name in text
        assert register_service.verify(store, Path(record.files[0].path)).contract_no == record.contract_no
    rows = batch.read_index(result.index_paths[1])
    assert [r["客户名称"] for r in rows] == ["张三", "北京某某科技有限公司", "周九", "上海某某贸易有限公司"]


@pytest.mark.skipif(not (ROOT / "renderers" / "pdf.py").exists(), reason="the PDF renderer is not there yet")
def test_real_pdf_in_workers_matches_the_index(tmp_path, store, profile):
    source = write_csv(tmp_path / "c.csv", rows=[mixed("个人", "张三", IDS[0]), mixed("个人", "李四", IDS[1])])
    out = tmp_path / "out"
    result = issue(source, out, store, profile, jobs=2, formats=("pdf",))
    assert result.complete
    for row in batch.read_index(result.index_paths[0]):
        pdf = out / row["PDF 文件"]
        assert pdf.read_bytes().startswith(b"%PDF") and batch.sha256_file(pdf) == row["PDF SHA-256"]


def _has_pdf_renderer() -> bool:
    return (ROOT / "renderers" / "pdf.py").exists()
