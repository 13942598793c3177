"""Torn lines of a register file: copied aside before a writer cuts them, and found again.

A last line without its newline is usually the append of a writer that was killed, but it may
as well be a committed append that lost its newline (a copy, a restore, an editor). Which one it
is only a person can tell, so it is never deleted: the writer copies it to
`<register>.torn-<UTC time>` (0600, fsync'd, never over an existing file) and only then cuts it
from the register, and `check` lists every such file until a person moves it away.
"""

from __future__ import annotations

import datetime as dt
import glob
import itertools
from pathlib import Path

import orjson

from .atomic import OutputExists, atomic_write, fsync_dir, write_all
from .base import StoreError, TornLine, os_reason

__all__ = ["fsync_dir", "set_aside", "set_aside_files", "write_all"]

TORN = ".torn-"


def describe(data: bytes) -> str:
    """"合同 X 第 n 条" when `data` is a whole append (only its newline lost), else ""."""
    try:
        entry = orjson.loads(data)
    except orjson.JSONDecodeError:
        return ""
    if not isinstance(entry, dict) or not isinstance(entry.get("d"), dict) or "t" not in entry:
        return ""
    return f"合同 {entry['t']} 第 {'、'.join(map(str, entry['d']))} 条"


def set_aside(register: Path, data: bytes, now: dt.datetime | None = None) -> TornLine:
    """Copy `data` to a new file next to `register`; the copy is on disk when this returns."""
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    for n in itertools.count(1):
        target = register.with_name(f"{register.name}{TORN}{stamp}{'' if n == 1 else f'-{n}'}")
        try:
            atomic_write(target, data)  # 0600, synced, never over an existing file
        except OutputExists:
            continue
        except OSError as exc:  # the register still holds the bytes
            raise StoreError(f"无法另存登记簿末尾的残行到 {target}：{os_reason(exc)}；登记簿未作改动") from None
        return TornLine(target, len(data), True, describe(data))
    raise AssertionError("unreachable")


def set_aside_files(register: Path) -> list[TornLine]:
    """Every file a writer set aside next to `register` and that is still there."""
    found = []
    pattern = glob.escape(str(register)) + TORN + "*"
    for name in sorted(glob.glob(pattern)):
        path = Path(name)
        try:
            data = path.read_bytes()
        except OSError:
            continue  # a directory, or unreadable: not one of ours
        found.append(TornLine(path, len(data), True, describe(data)))
    return found
