"""Write rendered documents: safe names, every format or none, atomic renames."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from contracts.document import Document
from contracts.errors import InvalidInput, Problem
from contracts.limits import cut_to_bytes
from contracts.validation import as_typed
from store.atomic import PRIVATE, WrittenFile, atomic_write, refuse_existing, sha256_file

__all__ = ["FORMATS", "WrittenFile", "parse_formats", "render_to", "safe_stem", "sha256_file",
           "write_documents"]

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


def render_to(doc: Document, fmt: str, path: Path) -> None:
    if fmt == "docx":
        from renderers.docx import render_docx

        render_docx(doc, path)
    else:
        from renderers.pdf import render_pdf

        render_pdf(doc, path)


def write_documents(
    doc: Document, out_dir: Path, formats: Sequence[str], stem: str, *, overwrite: bool = False,
    mode: int = PRIVATE,
) -> list[WrittenFile]:
    """A document no register holds (a preview, a reading copy): every format rendered to a 0600
    temporary file first, then all named; on any failure, nothing stays. An existing file is
    refused unless `overwrite`."""
    targets = [Path(out_dir) / f"{stem}.{fmt}" for fmt in formats]
    if not overwrite:
        refuse_existing(targets)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    written: list[WrittenFile] = []
    try:
        for fmt, target in zip(formats, targets, strict=True):
            # render_to is looked up on each call: the tests stand in a fake renderer
            def render(tmp: Path, f: str = fmt) -> None:
                render_to(doc, f, tmp)

            written.append(atomic_write(target, render, fmt=fmt, overwrite=overwrite, mode=mode))
    except BaseException:
        for item in written:  # ours, just written, registered nowhere
            item.path.unlink(missing_ok=True)
        raise
    return written
