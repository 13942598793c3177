"""The write path in one process: rendering outside the register's lock, the documents drafted
again under it (another writer first: rendered again, never under a number given twice), the
temporary files private, the names given only after the append, Ctrl-C after the append waiting
for the names."""

from __future__ import annotations

import os
import signal
import stat
from pathlib import Path

import pytest

from service import output
from service import register as R
from store import TinyDBStore
from store.atomic import TEMP_SUFFIX
from tests.test_register_fixtures import any_store, fake_render  # noqa: F401  (fixture)
from tests.test_register_service import FORMATS, NOW, D, issue, request


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_another_writer_first_means_rendering_again_under_the_next_number(any_store, profile, tmp_path,  # noqa: F811
                                                                           monkeypatch):
    rendered: list[str] = []

    def render(doc, fmt, path):
        rendered.append(doc.doc_no)
        if len(rendered) == 1:  # while the first agreement renders, another clerk issues one
            monkeypatch.setattr(output, "render_to", fake_render)
            R.issue(any_store, profile, request("corporate"), tmp_path / "other", ("docx",),
                    issued_on=D("2025-03-01"), now=NOW)
            monkeypatch.setattr(output, "render_to", render)
        fake_render(doc, fmt, path)

    monkeypatch.setattr(output, "render_to", render)
    mine = issue(any_store, profile, tmp_path / "out")
    assert mine.contract_no == "VIP-2025-000002"
    assert rendered == ["VIP-2025-000001"] * 2 + ["VIP-2025-000002"] * 2  # docx and pdf, twice
    assert names(tmp_path / "out") == ["VIP-2025-000002_张三.docx", "VIP-2025-000002_张三.pdf"]
    assert names(tmp_path / "other") == ["VIP-2025-000001_北京某某科技有限公司.docx"]
    for item in mine.files:
        assert output.sha256_file(item.path) == item.sha256
        assert (item.path.read_text(encoding="utf-8")).startswith(f"{item.format}:VIP-2025-000002")


def test_a_register_never_quiet_still_lets_the_command_through(any_store, profile, tmp_path, monkeypatch):  # noqa: F811
    """Every render outside the lock is overtaken; the last attempt renders under the lock."""
    others = iter(range(10))

    def render(doc, fmt, path):
        if fmt == "docx" and next(others) < R.ATTEMPTS - 1:
            monkeypatch.setattr(output, "render_to", fake_render)
            R.issue(any_store, profile, request("corporate"), tmp_path / "other", ("docx",),
                    issued_on=D("2025-03-01"), now=NOW)
            monkeypatch.setattr(output, "render_to", render)
        fake_render(doc, fmt, path)

    monkeypatch.setattr(output, "render_to", render)
    mine = issue(any_store, profile, tmp_path / "out")
    assert mine.contract_no == f"VIP-2025-{R.ATTEMPTS:06d}"
    assert [n for n in names(tmp_path / "out") if n.endswith(TEMP_SUFFIX)] == []


def test_temporary_files_are_private_and_named_only_after_the_append(tmp_path, profile, monkeypatch):
    store = TinyDBStore(tmp_path / "register.json")
    seen = []
    real_append = store.append

    def append(contract_no, expected_seq, records, summary=None):
        out = tmp_path / "out"
        temps = [p for p in out.iterdir() if p.name.endswith(TEMP_SUFFIX)]
        seen.append((names(out), [stat.S_IMODE(p.stat().st_mode) for p in temps]))
        real_append(contract_no, expected_seq, records, summary)

    monkeypatch.setattr(output, "render_to", fake_render)
    monkeypatch.setattr(store, "append", append)
    issue(store, profile, tmp_path / "out")
    listed, modes = seen[0]
    assert all(n.endswith(TEMP_SUFFIX) for n in listed) and len(listed) == len(FORMATS)  # no final name yet
    assert modes == [0o600, 0o600]
    for name in names(tmp_path / "out"):
        assert stat.S_IMODE((tmp_path / "out" / name).stat().st_mode) == 0o600


def test_ctrl_c_during_rendering_leaves_nothing(any_store, profile, tmp_path, monkeypatch):  # noqa: F811
    def interrupted(doc, fmt, path):
        fake_render(doc, fmt, path)
        raise KeyboardInterrupt

    monkeypatch.setattr(output, "render_to", interrupted)
    with pytest.raises(KeyboardInterrupt):
        issue(any_store, profile, tmp_path / "out")
    assert names(tmp_path / "out") == [] and any_store.contract_numbers() == []
    assert [p for p in tmp_path.iterdir() if ".pending-" in p.name] == []


def test_ctrl_c_after_the_append_waits_for_the_names(tmp_path, profile, monkeypatch):
    store = TinyDBStore(tmp_path / "register.json")
    real_append = store.append

    def append(contract_no, expected_seq, records, summary=None):
        real_append(contract_no, expected_seq, records, summary)
        os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(output, "render_to", fake_render)
    monkeypatch.setattr(store, "append", append)
    with pytest.raises(KeyboardInterrupt):
        issue(store, profile, tmp_path / "out")
    assert store.contract_numbers() == ["VIP-2025-000001"]
    assert names(tmp_path / "out") == ["VIP-2025-000001_张三.docx", "VIP-2025-000001_张三.pdf"]
    assert R.check(store, profile).ok


@pytest.mark.parametrize("setting, expected", [(None, 0o600), ("0640", 0o640)])
def test_documents_follow_the_profile_s_document_mode(any_store, tmp_path, monkeypatch, setting, expected):  # noqa: F811
    from service.sources import load_profile
    from tests.conftest import TEST_PROFILE

    text = TEST_PROFILE.read_text(encoding="utf-8")
    if setting:
        text += f'\n[output]\ndocument_mode = "{setting}"\n'
    path = tmp_path / "profile.toml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setattr(output, "render_to", fake_render)
    done = issue(any_store, load_profile(path), tmp_path / "out")
    assert [stat.S_IMODE(f.path.stat().st_mode) for f in done.files] == [expected, expected]


def test_a_document_mode_the_profile_may_not_give_is_refused(tmp_path):
    from contracts.errors import InvalidInput
    from service.sources import load_profile
    from tests.conftest import TEST_PROFILE

    path = tmp_path / "profile.toml"
    path.write_text(TEST_PROFILE.read_text(encoding="utf-8") + '\n[output]\ndocument_mode = "0666"\n', encoding="utf-8")
    with pytest.raises(InvalidInput, match="output.document_mode"):
        load_profile(path)


def test_a_live_writer_s_files_are_left_alone(tmp_path, profile):
    from service import writes

    store = TinyDBStore(tmp_path / "register.json")
    stage = writes.Staging(store, "VIP-2025-000001", [writes.Target(tmp_path / "out" / "a.pdf", "pdf")])
    try:
        assert writes.recover(store) == [] and writes.pending_problems(store) == []
        assert all(t.exists() for t in stage.temps)
        assert [p.name for p in tmp_path.iterdir() if ".pending-" in p.name and not p.name.startswith(".")]
    finally:
        stage.discard()
    assert names(tmp_path / "out") == [] and [p for p in tmp_path.iterdir() if ".pending-" in p.name] == []


def test_a_registered_file_gone_missing_is_reported_until_someone_acts(tmp_path, profile, monkeypatch):
    import json

    from service import writes

    store = TinyDBStore(tmp_path / "register.json")
    monkeypatch.setattr(output, "render_to", fake_render)
    done = issue(store, profile, tmp_path / "out")
    lost = done.files[0].path
    lost.unlink()
    note = tmp_path / "register.json.pending-0123456789ab"  # what a writer killed, its files then deleted, left
    note.write_text(json.dumps({"contract_no": done.contract_no, "dir": str(lost.parent), "files": [
        {"temp": f".{lost.name}.0000.vipcontract-tmp", "final": lost.name, "format": "docx"}]}), encoding="utf-8")
    problems = R.check(store, profile).problems
    assert [p.message for p in problems] == [
        f"已登记的文书 {lost} 不存在（写入被中断，临时文件也已不在）：请用 vipcontract verify 核对副本，"
        "或重新生成后核对哈希；处理后删除此记录文件"]
    assert [item.state for item in writes.recover(store)] == ["missing"] and note.exists()
