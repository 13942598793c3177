"""One way to write a file: 0600 temporary file, synced, renamed, the folder synced; never over an
existing file unless asked; nothing left behind on any failure."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

import cli
from store.atomic import TEMP_SUFFIX, OutputExists, atomic_write, final_of, temp_path

ROOT = Path(__file__).resolve().parent.parent


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((TEMP_SUFFIX, ".part", ".tmp")))


def test_written_whole_private_and_hashed(tmp_path):
    written = atomic_write(tmp_path / "a" / "x.csv", b"hello")
    assert written.path.read_bytes() == b"hello" and mode(written.path) == 0o600
    assert written.sha256 == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    assert written.format == "csv" and leftovers(tmp_path / "a") == []


def test_an_existing_file_is_refused_and_left_as_it_is(tmp_path):
    target = tmp_path / "x.pdf"
    target.write_bytes(b"mine")
    with pytest.raises(OutputExists, match=re.escape(str(target))):
        atomic_write(target, b"new")
    assert target.read_bytes() == b"mine" and leftovers(tmp_path) == []
    atomic_write(target, b"new", overwrite=True)
    assert target.read_bytes() == b"new" and mode(target) == 0o600


@pytest.mark.parametrize("error", [RuntimeError("render failed"), KeyboardInterrupt(), OSError(28, "No space")])
def test_a_failure_half_way_leaves_nothing(tmp_path, error):
    def half(tmp: Path) -> None:
        tmp.write_bytes(b"half")
        raise error

    with pytest.raises(type(error)):
        atomic_write(tmp_path / "x.docx", half)
    assert list(tmp_path.iterdir()) == []


def test_a_system_error_names_the_file_asked_for(tmp_path):
    def full(tmp: Path) -> None:
        raise OSError(28, "No space left on device", str(tmp))

    with pytest.raises(OSError) as caught:
        atomic_write(tmp_path / "x.docx", full)
    assert caught.value.filename == str(tmp_path / "x.docx")


def test_temporary_names_say_what_they_were_to_become(tmp_path):
    temp = temp_path(tmp_path / "VIP-2026-000001_张三.pdf")
    assert temp.name.startswith(".VIP-2026-000001_张三.pdf.") and temp.name.endswith(TEMP_SUFFIX)
    assert final_of(temp) == tmp_path / "VIP-2026-000001_张三.pdf"


def test_init_writes_the_profile_0600_and_never_over_one(tmp_path):
    target = tmp_path / "profile.toml"
    assert CliRunner().invoke(cli.main, ["init", str(target)]).exit_code == 0
    assert mode(target) == 0o600 and leftovers(tmp_path) == []
    target.write_text("# mine", encoding="utf-8")
    result = CliRunner().invoke(cli.main, ["init", str(target)])
    assert result.exit_code == 1 and target.read_text(encoding="utf-8") == "# mine"


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_reports_and_the_batch_index_are_written_0600(tmp_path, profile, fmt):
    import datetime as dt

    from service import batch, reports

    report = reports.build_report("expiring", [], dt.date(2026, 12, 1), profile)
    out = reports.save(report, fmt, tmp_path / f"r.{fmt}")
    assert mode(out) == 0o600 and leftovers(tmp_path) == []
    reports.save(report, fmt, out)  # made again from the register: replaced
    for path in batch.write_index([], tmp_path / "batch", "key", "第 2 行 abc"):
        assert mode(path) == 0o600


def test_one_writer_in_the_source():
    """No other module makes temporary files, renames over a path or syncs a folder of its own."""
    sources = [p for d in ("service", "store", "renderers", "contracts") for p in (ROOT / d).glob("*.py")]
    sources.append(ROOT / "cli.py")
    for path in sources:
        if path.name == "atomic.py":
            continue
        text = path.read_text(encoding="utf-8")
        assert "mkstemp" not in text, path
        assert "os.replace(" not in text, path
        assert "def fsync_dir" not in text and "def _fsync_dir" not in text, path
