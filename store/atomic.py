"""The one way this program writes a file: a 0600 temporary file next to the target, synced, then
given its name, then the directory synced.

Every file the program writes goes through here: agreements and supplements, reports, the batch
index and errors workbook, `init`'s profile, torn lines set aside. A reader therefore sees either
the whole file or none, a crash leaves at most a temporary file (recognisable by its name, and
readable by its owner only: agreements carry full ID numbers), and nothing is written over an
existing file unless the caller says so.

Temporary files are named `.<final name>.<random>.vipcontract-tmp`, so that whoever finds one
can tell which file it was to become (service.writes finishes or removes those a killed writer
left).
"""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from contracts.errors import ContractError

TEMP_SUFFIX = ".vipcontract-tmp"
PRIVATE = 0o600


class OutputExists(ContractError):
    """The file to be written is already there: nothing is written over it."""


@dataclass(frozen=True)
class WrittenFile:
    """A file the program wrote (or is about to place): where, its format and its sha256."""

    path: Path
    format: str
    sha256: str


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_all(fd: int, payload: bytes) -> None:
    view = memoryview(payload)
    while view:
        view = view[os.write(fd, view):]


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in `path` survive a power cut. A file system that cannot sync
    a directory (some network mounts) says EINVAL: nothing more can be done there."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP):
            raise
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ---------------------------------------------------------------- temporary names
def temp_path(final: Path) -> Path:
    return final.with_name(f".{final.name}.{secrets.token_hex(4)}{TEMP_SUFFIX}")


def is_temp(path: Path) -> bool:
    return path.name.startswith(".") and path.name.endswith(TEMP_SUFFIX)


def final_of(temp: Path) -> Path:
    """The name a temporary file was to become."""
    inner = temp.name[1:-len(TEMP_SUFFIX)]
    return temp.with_name(inner.rsplit(".", 1)[0])


def new_temp(final: Path) -> Path:
    """An empty 0600 temporary file for `final`, in the same directory (a rename never crosses
    file systems). The mode is set at creation: there is no moment when others may read it."""
    while True:
        temp = temp_path(final)
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, PRIVATE)
        except FileExistsError:
            continue
        os.close(fd)
        return temp


def publish(temp: Path, final: Path, *, overwrite: bool = False) -> None:
    """Give `temp` its final name. Without `overwrite` an existing file is never replaced: a hard
    link fails when the name is taken (checking first and renaming would leave a window)."""
    if overwrite:
        os.replace(temp, final)
        return
    try:
        os.link(temp, final)
    except FileExistsError:
        raise OutputExists(exists_message(final)) from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        if final.exists():  # a file system without hard links: the check is all there is
            raise OutputExists(exists_message(final)) from None
        os.rename(temp, final)
        return
    temp.unlink()


def exists_message(path: Path) -> str:
    return (f"文件 {path} 已存在（可能是 generate 留下的预览或另一登记簿的文书），未作改动；"
            "请换一个输出目录（--out），或先移走该文件")


def refuse_existing(paths: list[Path]) -> None:
    taken = [p for p in paths if p.exists() or p.is_symlink()]
    if taken:
        raise OutputExists(exists_message(taken[0]))


# ---------------------------------------------------------------- whole files
def atomic_write(
    path: Path, content: bytes | Callable[[Path], object], *, fmt: str = "", mode: int = PRIVATE,
    overwrite: bool = False,
) -> WrittenFile:
    """Write `content` (bytes, or a function that writes the file it is given) to `path`, all or
    nothing. Without `overwrite` an existing `path` is refused (OutputExists) and left as it is."""
    path = Path(path)
    if not overwrite:
        refuse_existing([path])
    path.parent.mkdir(parents=True, exist_ok=True)  # its error names the folder at fault
    temp = new_temp(path)
    try:
        if callable(content):
            content(temp)
        else:
            temp.write_bytes(content)
        os.chmod(temp, mode)  # a writer that replaced the file (e.g. a library's save) keeps 0600
        fsync_file(temp)
        digest = sha256_file(temp)
        publish(temp, path, overwrite=overwrite)
        fsync_dir(path.parent)
    except OSError as exc:
        raise as_target_error(exc, path) from None
    finally:
        temp.unlink(missing_ok=True)
    return WrittenFile(path, fmt or path.suffix.lstrip("."), digest)


def as_target_error(exc: OSError, path: Path) -> OSError:
    """The system's error, naming the file the clerk asked for rather than our temporary one
    (the command line turns it into one Chinese line, service.failures)."""
    if exc.filename and Path(exc.filename).name.endswith(TEMP_SUFFIX):
        return type(exc)(exc.errno, exc.strerror, str(path))
    return exc
