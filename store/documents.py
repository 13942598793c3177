"""The issued documents' bytes beside the embedded register, named by their sha256.

    register.json
    register.json.documents/            0700
        9f/9f2c…(64 hex digits)         0600, the bytes of one DOCX or PDF

The register's events name every document (data.files: format, file name, sha256); the shelf
keeps only the bytes, so one name map is all there is and it cannot disagree with the register.
A document is written once (store.atomic: a temporary file, synced, linked to its name, never
over an existing one) and never changed or removed. A file whose content does not match its name
(a disk error, an editor) is never deleted: `get` refuses it, `check` reports it, and a `put` of
the right bytes first renames it aside to `<sha256>.damaged-<UTC time>-<random>`, which `check`
lists until a person moves it away.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .atomic import OutputExists, atomic_write, fsync_dir, is_temp
from .base import StoreError, os_reason

SHELF_SUFFIX = ".documents"
DAMAGED = ".damaged-"
SHA256 = re.compile(r"[0-9a-f]{64}")
PRIVATE_DIR = 0o700


class DamagedDocument(StoreError):
    """A kept document whose content no longer matches its sha256."""


def check_name(sha256: str) -> None:
    """A document's name is its sha256 in lowercase hex: nothing else becomes a path."""
    if not isinstance(sha256, str) or not SHA256.fullmatch(sha256):
        raise StoreError(f"文书的哈希应为 64 位小写十六进制数字，实为“{sha256}”")


def check_content(sha256: str, content: bytes) -> None:
    check_name(sha256)
    actual = hashlib.sha256(content).hexdigest()
    if actual != sha256:
        raise StoreError(f"文书内容的哈希为 {actual[:12]}…，与给定的 {sha256[:12]}… 不符，未保存")


@dataclass(frozen=True)
class ShelfListing:
    """What the shelf holds, by name only (no content read)."""

    kept: frozenset[str]  # sha256 of every document file
    set_aside: tuple[Path, ...]  # damaged files renamed aside, still there
    temporary: tuple[Path, ...] = ()  # what a writer killed while keeping a document left


class DocumentShelf:
    """The documents directory of one register file."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def beside(cls, register: str | os.PathLike[str]) -> DocumentShelf:
        """The shelf of a register file; every path to the file (a symlink, a relative path)
        finds the same one, as they find the same lock (store.locking)."""
        resolved = Path(os.path.realpath(register))
        return cls(resolved.with_name(resolved.name + SHELF_SUFFIX))

    def path_of(self, sha256: str) -> Path:
        check_name(sha256)
        return self.root / sha256[:2] / sha256

    # ------------------------------------------------------------ writing
    def put(self, sha256: str, content: bytes) -> None:
        """Keep `content` under its sha256; nothing to do when it is kept already."""
        check_content(sha256, content)
        path = self.path_of(sha256)
        try:
            if self._matches(path, sha256):
                return
            if path.exists():
                self.set_aside(path)
            self._make_dirs(path.parent)
            try:
                atomic_write(path, content)  # 0600, synced, never over an existing file
            except OutputExists:  # another writer kept the same document meanwhile
                if not self._matches(path, sha256):
                    raise StoreError(f"登记簿保存的文书 {path} 与其哈希不符，请运行 vipcontract check") from None
        except OSError as exc:
            raise StoreError(f"无法把文书保存到 {self.root}：{os_reason(exc)}") from None

    def _make_dirs(self, folder: Path) -> None:
        """The shelf and its subfolder, owner-only, each synced into its parent when new."""
        for directory in (self.root, folder):
            try:
                directory.mkdir(mode=PRIVATE_DIR)
            except FileExistsError:
                continue
            os.chmod(directory, PRIVATE_DIR)  # whatever the umask
            fsync_dir(directory.parent)

    def set_aside(self, path: Path, now: dt.datetime | None = None) -> Path:
        """Rename a damaged document aside (never deleted, never over another file)."""
        stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
        while True:
            target = path.with_name(f"{path.name}{DAMAGED}{stamp}-{secrets.token_hex(3)}")
            if not target.exists():
                break
        os.rename(path, target)
        fsync_dir(path.parent)
        return target

    # ------------------------------------------------------------ reading
    def get(self, sha256: str) -> bytes | None:
        path = self.path_of(sha256)
        try:
            content = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"无法读取登记簿保存的文书 {path}：{os_reason(exc)}") from None
        if hashlib.sha256(content).hexdigest() != sha256:
            raise DamagedDocument(f"登记簿保存的文书 {path} 已损坏（内容与其哈希不符）：请运行 vipcontract check，"
                                  "并用 vipcontract documents add 补入该文书的原件")
        return content

    def _matches(self, path: Path, sha256: str) -> bool:
        try:
            with open(path, "rb") as fh:
                return hashlib.file_digest(fh, "sha256").hexdigest() == sha256
        except FileNotFoundError:
            return False

    def listing(self) -> ShelfListing:
        kept, aside, temporary = set(), [], []
        for path in self._files():
            if SHA256.fullmatch(path.name) and path.parent.name == path.name[:2]:
                kept.add(path.name)
            elif DAMAGED in path.name:
                aside.append(path)
            elif is_temp(path):
                temporary.append(path)
        return ShelfListing(frozenset(kept), tuple(sorted(aside)), tuple(temporary))

    def _files(self) -> Iterator[Path]:
        if not self.root.is_dir():
            return
        for folder in sorted(self.root.iterdir()):
            if folder.is_dir():
                yield from sorted(p for p in folder.iterdir() if p.is_file())
