"""The writers' lock: `flock` on the register file itself.

A lock file named after the path (`register.json.lock`) is a different lock for every way of
naming the file: a symlink, a hard link, a relative and an absolute path would each get their
own, and two writers could both append. The inode is what they share, so the lock is taken on
an open descriptor of the file itself, and then checked to still be the file the path names (it
may have been replaced, or removed by the writer that created it empty, while we waited).
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import time
import weakref
from pathlib import Path

from .base import StoreError, os_reason

POLL = 0.02

_HELD: weakref.WeakSet[RegisterLock] = weakref.WeakSet()


class RegisterLock:
    """Re-entrant within one store object; exclusive across processes and across paths."""

    def __init__(self, path: Path, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        self.fd: int | None = None
        self.created = False  # this holder created the file (removed again if left empty)
        self._target = path
        self._depth = 0

    @property
    def held(self) -> bool:
        return self._depth > 0

    def acquire(self) -> None:
        if self._depth:
            self._depth += 1
            return
        deadline = time.monotonic() + self.timeout
        while True:
            fd, created = self._open()
            self._check_regular(fd)
            if self._lock(fd, deadline) and self._same_file(fd):
                self.fd, self.created, self._depth = fd, created, 1
                _HELD.add(self)
                return
            os.close(fd)

    def release(self) -> None:
        if self._depth > 1:
            self._depth -= 1
            return
        fd, self.fd, self._depth = self.fd, None, 0
        _HELD.discard(self)
        if fd is None:
            return
        try:
            # A file this writer created and left empty (the command was refused) is removed,
            # still under the lock: a waiter then finds the path gone and starts again.
            if self.created and os.fstat(fd).st_size == 0:
                Path(self._target).unlink(missing_ok=True)
        finally:
            os.close(fd)

    def _open(self) -> tuple[int, bool]:
        target = self._target = Path(os.path.realpath(self.path))  # a symlink: its target
        flags = os.O_RDWR | os.O_APPEND | os.O_CLOEXEC
        try:
            try:
                return os.open(target, flags | os.O_CREAT | os.O_EXCL, 0o600), True
            except FileExistsError:
                return os.open(target, flags), False
        except OSError as exc:
            raise StoreError(f"无法打开登记簿 {self.path} 写入：{os_reason(exc)}") from None

    def _check_regular(self, fd: int) -> None:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise StoreError(f"{self.path} 不是 vipcontract 登记簿文件（不是普通文件），"
                             "未作任何改动；请检查 --db 或环境变量 VIPCONTRACT_DB 指向的文件")

    def _lock(self, fd: int, deadline: float) -> bool:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise StoreError(f"无法锁定登记簿 {self.path}：{os_reason(exc)}") from None
            if time.monotonic() >= deadline:
                os.close(fd)
                raise StoreError(f"登记簿 {self.path} 正被其他程序写入，请稍后再试")
            time.sleep(POLL)

    def _same_file(self, fd: int) -> bool:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return False
        mine = os.fstat(fd)
        return (st.st_dev, st.st_ino) == (mine.st_dev, mine.st_ino)


def _forget_in_child() -> None:
    """A forked child does not hold the parent's lock: it closes its copy of the descriptor
    (closing, not unlocking, leaves the parent's lock in place)."""
    for lock in list(_HELD):
        if lock.fd is not None:
            os.close(lock.fd)
        lock.fd, lock._depth = None, 0
    _HELD.clear()


os.register_at_fork(after_in_child=_forget_in_child)
