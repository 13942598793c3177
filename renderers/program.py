"""The program's name and version, as the files it writes state them (DOCX app.xml, the PDF's
creator, the data a document carries)."""

from __future__ import annotations

import functools

PROGRAM = "vipcontract"


@functools.cache
def program_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(PROGRAM)
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"
