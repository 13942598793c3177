"""Write rendered documents: safe names, every format or none, atomic renames."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from contracts.document import Document
from contracts.errors import InvalidInput, Problem
from contracts.limits import cut_to_bytes
from contracts.validation import as_typed

FORMATS = ("docx", "pdf")


def parse_formats(value: str | Sequence[str]) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else list(value)
    chosen = tuple(dict.fromkeys(i.strip().lower() for i in items if i.strip()))
    bad = [f for f in chosen if f not in FORMATS]
    if bad or not chosen:
        raise InvalidInput(Problem("format", f"格式“{','.join(bad) or value}”无效，可选 docx、pdf，用逗号分隔"))
    return chosen


def safe_stem(*parts: str) -> str:
    """File name stem from the document number and the customer's name, safe on any disk."""
    # The customer's name as on the licence: full-width brackets, digits and ·, and full-width
    # ／ or ：, are ordinary characters on every file system, so only the ASCII ones that are not
    # (and control characters) are replaced.
    text = as_typed("_".join(p for p in parts if p))
    text = re.sub(r"[\\/:*?\"<>|\x00-\x1f]", "_", text)
    text = re.sub(r"\s+", "_", text).strip("._ ")
    # Cut by bytes, not characters: 120 hanzi are 360 bytes, past the 255-byte limit of a name.
    return cut_to_bytes(text).rstrip("._ ") or "document"


@dataclass(frozen=True)
class WrittenFile:
    path: Path
    format: str
    sha256: str


def render_to(doc: Document, fmt: str, path: Path) -> None:
    if fmt == "docx":
        from renderers.docx import render_docx

        render_docx(doc, path)
    else:
        from renderers.pdf import render_pdf

        render_pdf(doc, path)


def write_documents(
    doc: Document, out_dir: Path, formats: Sequence[str], stem: str
) -> list[WrittenFile]:
    """Render every format to a temporary name, then rename all; on any failure, nothing stays."""
    out_dir.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path, str]] = []
    try:
        for fmt in formats:
            fd, tmp_name = tempfile.mkstemp(prefix=f".{stem}.", suffix=f".{fmt}.part", dir=out_dir)
            os.close(fd)
            tmp = Path(tmp_name)
            os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; documents follow the umask
            staged.append((tmp, out_dir / f"{stem}.{fmt}", fmt))
            render_to(doc, fmt, tmp)
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
        written = []
        for tmp, final, fmt in staged:
            digest = hashlib.sha256(tmp.read_bytes()).hexdigest()
            os.replace(tmp, final)
            written.append(WrittenFile(final, fmt, digest))
        return written
    finally:
        for tmp, _final, _fmt in staged:
            tmp.unlink(missing_ok=True)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def sha256_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
