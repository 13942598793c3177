"""The same issued event, profile and program version give byte-identical files, whatever the
process: two separate processes with different hash seeds and time zones, seconds apart, render
the same agreement and amendment to PDF and DOCX, and every file is the same to the byte."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TEST_PROFILE

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = r"""
import datetime as dt, sys
from decimal import Decimal
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from service.generate import AgreementRequest, build_agreement
from service.output import render_to
from service.sources import load_profile
from tests.conftest import make_customer
out = Path(sys.argv[2])
profile = load_profile(Path(sys.argv[3]))
for kind in ("individual", "corporate"):
    request = AgreementRequest(make_customer(kind), Decimal("12800"), None)
    doc = build_agreement(profile, request, "VIP-2026-000007", dt.date(2026, 3, 2))
    for fmt in ("pdf", "docx"):
        render_to(doc, fmt, out / f"{kind}.{fmt}")
"""


def render_in_new_process(out: Path, seed: str, tz: str) -> None:
    out.mkdir()
    env = {**os.environ, "PYTHONHASHSEED": seed, "TZ": tz}
    subprocess.run([sys.executable, "-c", SCRIPT, str(ROOT), str(out), str(TEST_PROFILE)], env=env, check=True,
                   timeout=600, cwd=out)


@pytest.mark.slow
def test_two_processes_write_the_same_bytes(tmp_path):
    render_in_new_process(tmp_path / "a", "1", "Asia/Shanghai")
    render_in_new_process(tmp_path / "b", "4242", "America/Los_Angeles")
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == ["corporate.docx", "corporate.pdf", "individual.docx", "individual.pdf"]
    for name in names:
        first, second = (tmp_path / "a" / name).read_bytes(), (tmp_path / "b" / name).read_bytes()
        assert first == second, name
    # the dates in the files are the document's own
    import pikepdf

    with pikepdf.open(tmp_path / "a" / "individual.pdf") as pdf:
        assert str(pdf.docinfo["/CreationDate"]) == str(pdf.docinfo["/ModDate"]) == "D:20260302000000+00'00"
        with pdf.open_metadata() as xmp:
            assert xmp["xmp:CreateDate"] == xmp["xmp:ModifyDate"] == "2026-03-02T00:00:00+00:00"
        # Two identifiers: the first the file's from its creation, the second this version's
        # (the signature fields are an update); that neither has a random part is shown by
        # the two processes' files being equal byte for byte above.
        assert len(pdf.trailer.ID) == 2 and all(bytes(i) for i in pdf.trailer.ID)
