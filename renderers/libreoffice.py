"""LibreOffice's view of the DOCX: convert it to PDF the way a Linux desk would open it.

The DOCX names the fonts of stock Windows (宋体, Times New Roman). LibreOffice finds fonts
through fontconfig, so the conversion runs with FONTCONFIG_FILE=templates/docx/fonts.conf,
which maps 宋体 to Noto Serif CJK SC (what the PDF embeds) and keeps every system font.
Each conversion gets the LibreOffice profile directory it is given: two soffice processes
sharing one profile wait for, or fail on, each other's lock.

Used by the tests and to draw the README's pictures; the program itself never needs LibreOffice.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from . import locations

FONTCONFIG_FILE = locations.TEMPLATES / "docx" / "fonts.conf"


class ConversionFailed(RuntimeError):
    """soffice is missing, failed, or wrote no PDF."""


def soffice() -> str | None:
    """The LibreOffice executable (Debian: libreoffice-writer-nogui), or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def conversion_env() -> dict[str, str]:
    return {**os.environ, "FONTCONFIG_FILE": str(FONTCONFIG_FILE)}


def convert_to_pdf(
    sources: Sequence[Path], out_dir: Path, profile_dir: Path, timeout: float = 300
) -> list[Path]:
    """Convert SOURCES (DOCX files) to PDFs in OUT_DIR, in one soffice run; return their paths."""
    exe = soffice()
    if exe is None:
        raise ConversionFailed("soffice is not installed (apt-get install libreoffice-writer-nogui)")
    out_dir.mkdir(parents=True, exist_ok=True)
    profile_dir.mkdir(parents=True, exist_ok=True)
    command = [
        exe, f"-env:UserInstallation={profile_dir.resolve().as_uri()}", "--headless", "--norestore",
        "--convert-to", "pdf", "--outdir", str(out_dir), *map(str, sources),
    ]
    try:
        done = subprocess.run(
            command, env=conversion_env(), capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired as exc:
        raise ConversionFailed(f"soffice did not finish in {timeout:.0f} s") from exc
    pdfs = [out_dir / (Path(s).stem + ".pdf") for s in sources]
    missing = [p.name for p in pdfs if not p.is_file()]
    if done.returncode != 0 or missing:
        raise ConversionFailed(
            f"soffice exited with {done.returncode}; missing {missing}: {done.stderr.strip()[-500:]}"
        )
    return pdfs
