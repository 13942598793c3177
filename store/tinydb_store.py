"""The embedded register: TinyDB over an append-only journal file.

TinyDB's default JSONStorage reads and rewrites the whole file for every insert, so each event
would cost more the bigger the register grows. Here TinyDB keeps one table per contract
(document id = the event's seq) over `JournalStorage`, which stores the data as JSON lines:

    {"format": "vipcontract-register", "version": 1}                 <- line 1, the header
    {"t": "VIP-2026-000001", "d": {"1": {...record...}}}             <- one line per append
    {"t": "VIP-2026-000001", "d": {"2": {...}, "3": {...}}}

- An append writes one line (one or more records of one contract) with O_APPEND, then fsyncs.
  It is the only kind of write: TinyDB operations that change or remove documents are refused.
- Writers hold a file lock (`PATH.lock`) across processes; the store re-reads under the lock
  before it checks the expected seq, so two writers can never both append the same seq.
- Readers take no lock. They read from where they stopped (an in-process cache keyed by the
  file's device, inode and size) and only up to the last newline: a line being written, or
  torn by a writer that was killed, is never seen. The next writer cuts such a torn tail off
  under the lock before it appends, so a killed writer loses at most the append in progress.
- The file is created with mode 0600 (it holds personal data).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import filelock
import orjson
from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document, Table

from .base import ConflictError, Record, StoreError, check_batch

HEADER = {"format": "vipcontract-register", "version": 1}
TAIL_BLOCK = 1 << 16
LOCK_TIMEOUT = 60.0


class CorruptStore(StoreError):
    """A complete line of the register file cannot be read."""


class _Tables(dict):
    """The data TinyDB sees: table name -> {doc id: document}.

    A table's lines are parsed when the table is first read (a cold `show` parses one
    contract's lines, not the whole file). Remembers the tables TinyDB replaced since the last
    write, so that the storage appends just the documents that are new."""

    def __init__(self) -> None:
        super().__init__()
        self.replaced: dict[str, dict[str, Any]] = {}
        self.raw: dict[str, list[tuple[int, bytes]]] = {}  # unparsed (line number, line)
        self.kinds: dict[str, set[str]] | None = None  # kind -> tables; built on first use

    def __getitem__(self, name: str) -> dict[str, Any]:
        table = dict.__getitem__(self, name)
        if name in self.raw:
            parsed = [_parse(line, number)["d"] for number, line in self.raw[name]]
            for docs in parsed:
                table.update(docs)
            del self.raw[name]
        return table

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        return self[name] if name in self else default

    def values(self) -> Any:  # type: ignore[override]
        return [self[name] for name in self]

    def items(self) -> Any:  # type: ignore[override]
        return [(name, self[name]) for name in self]

    def __setitem__(self, name: str, table: dict[str, Any]) -> None:
        if name not in self.replaced:
            self.replaced[name] = self.get(name, {})
        super().__setitem__(name, table)

    def __delitem__(self, name: str) -> None:
        raise StoreError("登记簿只能追加记录，不能删除")

    def add_line(self, name: str, number: int, line: bytes) -> None:
        """A line read from the file (not a change to write): parsed when first needed."""
        if name not in self:
            dict.__setitem__(self, name, {})
        self.raw.setdefault(name, []).append((number, line))
        if self.kinds is not None:
            self._index(name, _kinds_in(line))

    def tables_with(self, kind: str) -> set[str]:
        """The tables holding a record of `kind` (an index kept up to date once built)."""
        if self.kinds is None:
            self.kinds = {}
            for name in self:
                lines = self.raw.get(name)
                found = {k for _n, line in lines for k in _kinds_in(line)} if lines else \
                    {str(doc.get("kind")) for doc in dict.__getitem__(self, name).values()}
                self._index(name, found)
        return self.kinds.get(kind, set())

    def index_docs(self, name: str, docs: Mapping[str, Any]) -> None:
        if self.kinds is not None:
            self._index(name, {str(doc.get("kind")) for doc in docs.values()})

    def _index(self, name: str, kinds: Any) -> None:
        for kind in kinds:
            self.kinds.setdefault(kind, set()).add(name)  # type: ignore[union-attr]

    def merge(self, name: str, docs: Mapping[str, Any]) -> None:
        if name not in self:
            dict.__setitem__(self, name, {})
        self[name].update(docs)
        self.index_docs(name, docs)

    def take_replaced(self) -> dict[str, dict[str, Any]]:
        replaced, self.replaced = self.replaced, {}
        return replaced

    def restore(self, replaced: Mapping[str, dict[str, Any]]) -> None:
        for name, old in replaced.items():
            if old:
                dict.__setitem__(self, name, old)
            else:
                dict.pop(self, name, None)


KIND = re.compile(rb'"kind":"([^"\\]+)"')


def _kinds_in(line: bytes) -> set[str]:
    return {match.decode() for match in KIND.findall(line)}


LINE_PREFIX = b'{"t":"'
NAME_END = b'","d":'


def _parse(line: bytes, number: int) -> dict[str, Any]:
    try:
        entry = orjson.loads(line)
    except orjson.JSONDecodeError:
        raise CorruptStore(f"登记簿文件第 {number} 行已损坏，无法读取") from None
    if not isinstance(entry, dict) or not isinstance(entry.get("d"), dict) or "t" not in entry:
        raise CorruptStore(f"登记簿文件第 {number} 行不是登记记录")
    return entry


def _table_name(line: bytes) -> str | None:
    """The table a line belongs to, read without parsing the line (None: parse it)."""
    if not line.startswith(LINE_PREFIX):
        return None
    end = line.find(NAME_END, len(LINE_PREFIX))
    name = line[len(LINE_PREFIX):end]
    if end < 0 or b"\\" in name or b'"' in name:
        return None
    return name.decode()


def _added(name: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    if any(new.get(key) != doc for key, doc in old.items()):
        raise StoreError(f"登记簿只能追加记录：合同 {name} 的已有记录不能修改或删除")
    return {key: doc for key, doc in new.items() if key not in old}


def _write_all(fd: int, payload: bytes) -> None:
    view = memoryview(payload)
    while view:
        view = view[os.write(fd, view):]


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class JournalStorage(Storage):
    """A TinyDB storage that appends new documents as JSON lines and reads incrementally."""

    def __init__(self, path: str, lock: filelock.BaseFileLock) -> None:
        self.path = Path(path)
        self.lock = lock
        self._reset()

    def _reset(self, ident: tuple[int, int] | None = None) -> None:
        self._tables = _Tables()
        self._offset = 0  # bytes consumed: always just after a newline
        self._lines = 0
        self._ident = ident

    # ------------------------------------------------------------ reading
    def read(self) -> dict[str, dict[str, Any]]:
        self.refresh()
        return self._tables

    def refresh(self) -> None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            if self._offset:
                self._reset()
            return
        ident = (st.st_dev, st.st_ino)
        if ident != self._ident or st.st_size < self._offset:
            self._reset(ident)
        if st.st_size > self._offset:
            self._consume(st.st_size)

    def _consume(self, size: int) -> None:
        with open(self.path, "rb") as fh:
            fh.seek(self._offset)
            chunk = fh.read(size - self._offset)
        end = chunk.rfind(b"\n") + 1  # a last line without its newline is not there yet
        for line in chunk[:end].split(b"\n")[:-1]:
            self._apply(line)
        self._offset += end

    def _apply(self, line: bytes) -> None:
        self._lines += 1
        if self._lines == 1:
            self._check_header(line)
            return
        name = _table_name(line)
        if name is not None:
            self._tables.add_line(name, self._lines, line)
            return
        entry = _parse(line, self._lines)
        self._tables.merge(str(entry["t"]), entry["d"])

    def _check_header(self, line: bytes) -> None:
        try:
            header = orjson.loads(line)
        except orjson.JSONDecodeError:
            header = None
        if not isinstance(header, dict) or header.get("format") != HEADER["format"]:
            raise StoreError(f"{self.path} 不是 vipcontract 登记簿文件")

    def last_of(self, kind: str) -> Record | None:
        """The record of `kind` appended last: the file read backwards from where this reader
        stopped, a block at a time, until a line holds one."""
        needle = b'"kind":' + orjson.dumps(kind)
        buf, pos = b"", self._offset
        if not pos:
            return None
        with open(self.path, "rb") as fh:
            while pos > 0:
                start = max(0, pos - TAIL_BLOCK)
                fh.seek(start)
                buf = fh.read(pos - start) + buf
                pos = start
                first = buf.find(b"\n") + 1 if start else 0  # a line cut by the block stays
                for line in reversed(buf[first:].split(b"\n")):
                    if needle in line and not line.startswith(b'{"format"'):
                        docs = [d for d in _parse(line, 0)["d"].values() if d.get("kind") == kind]
                        if docs:
                            return docs[-1]
                buf = buf[:first]
        return None

    # ------------------------------------------------------------ writing
    def write(self, data: dict[str, dict[str, Any]]) -> None:
        if data is not self._tables:
            raise StoreError("登记簿只能追加记录")
        replaced = self._tables.take_replaced()
        try:
            added = {name: _added(name, old, self._tables[name]) for name, old in replaced.items()}
            payload = b"".join(orjson.dumps({"t": name, "d": docs}) + b"\n"
                               for name, docs in added.items() if docs)
            if payload:
                self._append(payload)
        except BaseException:
            self._tables.restore(replaced)
            raise
        for name, docs in added.items():
            self._tables.index_docs(name, docs)

    def _append(self, payload: bytes) -> None:
        if not self.lock.is_locked:
            raise StoreError("写入登记簿时须持有文件锁")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        created = not self.path.exists()
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            size = os.fstat(fd).st_size
            if size < self._offset:
                raise StoreError(f"登记簿文件 {self.path} 被截短，请运行 vipcontract check")
            if size > self._offset:  # the torn last line of a writer that was killed
                os.ftruncate(fd, self._offset)
            if self._offset == 0:
                payload = orjson.dumps(HEADER) + b"\n" + payload
            _write_all(fd, payload)
            os.fsync(fd)
            st = os.fstat(fd)
        finally:
            os.close(fd)
        if created:
            _fsync_dir(self.path.parent)
        self._offset += len(payload)
        self._lines += payload.count(b"\n")
        self._ident = (st.st_dev, st.st_ino)

    def close(self) -> None:
        pass


class AppendOnlyTable(Table):
    """A TinyDB table that can only grow: changing or removing documents is refused."""

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise StoreError("登记簿只能追加记录：已有记录不能修改或删除，请登记一条更正记录")

    update = update_multiple = upsert = remove = truncate = _refuse


class RegisterDB(TinyDB):
    table_class = AppendOnlyTable


class TinyDBStore:
    """The register in one local file (see the module's doc for the format)."""

    def __init__(self, path: str | os.PathLike[str], timeout: float = LOCK_TIMEOUT) -> None:
        self.path = Path(path)
        self._lock = filelock.FileLock(f"{self.path}.lock", timeout=timeout, mode=0o600)
        self._db = RegisterDB(str(self.path), storage=JournalStorage, lock=self._lock)
        self._storage: JournalStorage = self._db.storage  # type: ignore[assignment]

    def append(
        self, contract_no: str, expected_seq: int, records: Sequence[Mapping[str, Any]]
    ) -> None:
        with self.locked():
            current = len(self._storage.read().get(contract_no, {}))
            if current != expected_seq:
                raise ConflictError(contract_no, expected_seq, current)
            check_batch(contract_no, expected_seq, records)
            docs = [Document(dict(r), doc_id=int(r["seq"])) for r in records]
            self._db.table(contract_no, cache_size=0).insert_multiple(docs)

    def history(self, contract_no: str) -> list[Record]:
        if contract_no not in self._storage.read():
            return []
        docs = self._db.table(contract_no, cache_size=0).all()
        docs.sort(key=lambda d: d.doc_id)
        return orjson.loads(orjson.dumps(docs))

    def contract_numbers(self) -> list[str]:
        return sorted(self._db.tables())

    def histories(self) -> Iterator[tuple[str, list[Record]]]:
        tables = self._storage.read()
        for name in sorted(tables):
            table = tables[name]
            yield name, [table[key] for key in sorted(table, key=int)]

    def find(self, kind: str) -> Iterator[Record]:
        tables = self._storage.read()
        for name in sorted(tables.tables_with(kind)):
            # a table's documents are in seq order: appended in order, read in file order
            yield from (doc for doc in tables[name].values() if doc.get("kind") == kind)

    def last(self, kind: str) -> Record | None:
        self._storage.refresh()
        return self._storage.last_of(kind)

    @contextmanager
    def locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._lock.acquire()
        except filelock.Timeout:
            raise StoreError(f"登记簿 {self.path} 正被其他程序写入，请稍后再试") from None
        try:
            yield
        finally:
            self._lock.release()

    def close(self) -> None:
        self._db.close()
