"""The embedded register: TinyDB over an append-only journal file.

TinyDB's default JSONStorage reads and rewrites the whole file for every insert, so each event
would cost more the bigger the register grows. Here TinyDB keeps one table per contract
(document id = the event's seq) over `JournalStorage`, which stores the data as JSON lines:

    {"format": "vipcontract-register", "version": 2}                          <- line 1, the header
    {"t": "VIP-2026-000001", "d": {"1": {...record...}}, "n": 2, "p": …, "h": …}  <- one per append
    {"t": "VIP-2026-000001", "d": {"2": {...}, "3": {...}}, "n": 3, "p": …, "h": …}

("n", "p", "h": the chain over the whole journal, see store.chain; version-1 files lack them.)

- Only a file that starts with the header is opened; anything else (another program's JSON, a
  file given by mistake) is refused and left as it is. An empty file holds nothing to lose and
  is taken as a new register: it is what a writer killed between creating and writing leaves.
- An append writes one line (one or more records of one contract) with O_APPEND, then fsyncs.
  It is the only kind of write: TinyDB operations that change or remove documents are refused.
- Writers hold `flock` on the register file itself (store.locking), so every path to the file
  shares one lock; the store re-reads under the lock before it checks the expected seq, so two
  writers can never both append the same seq. A store that has not read the journal takes the
  seq, the head and the next numbers from the sidecar (store.sidecar) instead, once `sync` has
  checked that it describes the journal up to its last byte (size, and the hash of the last line)
  and the contract's lines read by offset agree with it; otherwise it reads the journal.
- Readers take no lock. They read from where they stopped (an in-process cache keyed by the
  file's device, inode and size) and only up to the last newline: a line being written, or
  torn by a writer that was killed, is never seen. The next writer copies such a torn tail
  aside (store.torn) before it cuts it off under the lock: nothing committed is ever deleted.
- A second line for a (contract, seq) already read is a corruption, never silently preferred.
- The file is created with mode 0600 (it holds personal data).
"""

from __future__ import annotations

import bisect
import datetime as dt
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document, Table

from .base import (
    ConflictError,
    Record,
    StoreError,
    Summary,
    TornLine,
    Window,
    check_batch,
    check_series,
    in_batch,
    names_file,
    os_reason,
    os_user,
    sent_notice,
    series_number,
    windows_of,
)
from .chain import GENESIS, Head, Journal, JournalLine, line_hash, sealed_line
from .documents import DocumentShelf
from .fault import fault_point
from .locking import RegisterLock
from .sidecar import Sidecar
from .torn import describe, fsync_dir, set_aside, set_aside_files, write_all

FORMAT = "vipcontract-register"
VERSION = 2  # 2: every append carries the chain over the whole journal (store.chain)
HEADER = {"format": FORMAT, "version": VERSION}
HEADER_LINES = tuple(orjson.dumps({"format": FORMAT, "version": v}) + b"\n" for v in (1, VERSION))
STORED_HASH = re.compile(rb',"h":"([0-9a-f]{64})"\}$')
TAIL_BLOCK = 1 << 16
LOCK_TIMEOUT = 60.0


class CorruptStore(StoreError):
    """A complete line of the register file cannot be read."""


def _add_to(index: dict[Any, set[str]], name: str, keys: Iterable[Any]) -> None:
    """Record that table `name` holds each of `keys` (kinds, or (field, value) tokens)."""
    for key in keys:
        index.setdefault(key, set()).add(name)


class _Tables(dict[str, dict[str, Any]]):
    """The data TinyDB sees: table name -> {doc id: document}.

    A table's lines are parsed when the table is first read (a cold `show` parses one
    contract's lines, not the whole file). Remembers the tables TinyDB replaced since the last
    write, so that the storage appends just the documents that are new."""

    def __init__(self) -> None:
        super().__init__()
        self.replaced: dict[str, dict[str, Any]] = {}
        self.raw: dict[str, list[tuple[int, bytes]]] = {}  # unparsed (line number, line)
        self.kinds: dict[str, set[str]] | None = None  # kind -> tables; built on first use
        # (field, value) -> tables, for the store's lookups (notice ids, file hashes, batch keys);
        # built on first use from the lines' bytes, then kept up to date like `kinds`
        self.tokens: dict[tuple[str, str], set[str]] | None = None
        # (field, prefix) -> the values of that series, highest number first: kept up to date as
        # lines come in, so that the next notice number costs no scan of the whole register
        self.series: dict[tuple[str, str], list[tuple[int, str]]] = {}

    def __getitem__(self, name: str) -> dict[str, Any]:
        table = dict.__getitem__(self, name)
        if name in self.raw:
            for number, line in self.raw[name]:
                _add_docs(name, table, _parse(line, number)["d"], number)
            del self.raw[name]
        return table

    # get, values and items read through __getitem__ (which parses a table on first use); dict's
    # own signatures are overloads and views, which these plain versions do not repeat
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
            _add_to(self.kinds, name, _kinds_in(line))
        if self.tokens is not None:
            self._index_tokens(name, _tokens_in(line))

    def tables_with(self, kind: str) -> set[str]:
        """The tables holding a record of `kind` (an index kept up to date once built)."""
        if self.kinds is None:
            self.kinds = {}
            for name in self:
                lines = self.raw.get(name)
                found = {k for _n, line in lines for k in _kinds_in(line)} if lines else \
                    {str(doc.get("kind")) for doc in dict.__getitem__(self, name).values()}
                _add_to(self.kinds, name, found)
        return self.kinds.get(kind, set())

    def index_docs(self, name: str, docs: Mapping[str, Any]) -> None:
        if self.kinds is not None:
            _add_to(self.kinds, name, {str(doc.get("kind")) for doc in docs.values()})
        if self.tokens is not None:
            self._index_tokens(name, _tokens_in(orjson.dumps(docs)))

    def tables_with_token(self, field: str, value: str) -> set[str]:
        """The tables whose records hold `"field":"value"` somewhere (a superset: callers check
        the records themselves)."""
        return self.token_index().get((field, value), set())

    def token_index(self) -> dict[tuple[str, str], set[str]]:
        if self.tokens is None:
            self.tokens = {}
            for name in self:
                lines = self.raw.get(name)
                found = {t for _n, line in lines for t in _tokens_in(line)} if lines else \
                    _tokens_in(orjson.dumps(dict.__getitem__(self, name)))
                _add_to(self.tokens, name, found)
        return self.tokens

    def _index_tokens(self, name: str, tokens: Any) -> None:
        assert self.tokens is not None
        _add_to(self.tokens, name, tokens)
        for (field, prefix), values in self.series.items():
            for token_field, value in tokens:
                number = series_number(value, prefix) if token_field == field else None
                if number is not None:
                    item = (number, value)
                    at = bisect.bisect_left(values, item)
                    if at == len(values) or values[at] != item:
                        values.insert(at, item)

    def series_values(self, field: str, prefix: str) -> list[tuple[int, str]]:
        """The (number, value) of every `field` value in the PREFIXdigits series, ascending."""
        key = (field, prefix)
        if key not in self.series:
            self.series[key] = sorted({(n, value) for f, value in self.token_index()
                                       if f == field and (n := series_number(value, prefix)) is not None})
        return self.series[key]

    def merge(self, name: str, docs: Mapping[str, Any], number: int) -> None:
        if name not in self:
            dict.__setitem__(self, name, {})
        _add_docs(name, self[name], docs, number)
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


def _add_docs(name: str, table: dict[str, Any], docs: Mapping[str, Any], number: int) -> None:
    """A second line for a seq already read makes both untrustworthy: neither is preferred."""
    again = [key for key in docs if key in table]
    if again:
        raise CorruptStore(f"登记簿文件第 {number} 行重复登记了合同 {name} 第 {'、'.join(again)} 条记录，"
                           "请运行 vipcontract check")
    table.update(docs)


KIND = re.compile(rb'"kind":"([^"\\]+)"')


def _kinds_in(line: bytes) -> set[str]:
    return {match.decode() for match in KIND.findall(line)}


TOKEN = re.compile(rb'"(sha256|notice_id|key)":"((?:[^"\\]|\\.)*)"')


def _tokens_in(line: bytes) -> set[tuple[str, str]]:
    return {(field.decode(), orjson.loads(b'"' + value + b'"')) for field, value in TOKEN.findall(line)}


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
    write_all(fd, payload)  # a module global, so that a test can stand in for a killed writer


def _ident(fd: int) -> tuple[int, int]:
    st = os.fstat(fd)
    return st.st_dev, st.st_ino


def _stored_hash(line: bytes) -> str | None:
    """The "h" a chained line ends with, read without parsing the line."""
    match = STORED_HASH.search(line, max(0, len(line) - 80))
    return match.group(1).decode() if match else None


def _is_header(line: bytes) -> bool:
    """A whole first line that opens a register this version reads."""
    return line in HEADER_LINES


def _is_header_start(data: bytes) -> bool:
    """`data` is the beginning of a header line: a first write cut short, not another file."""
    return any(header.startswith(data) for header in HEADER_LINES)


class JournalStorage(Storage):
    """A TinyDB storage that appends new documents as JSON lines and reads incrementally."""

    def __init__(self, path: str, lock: RegisterLock) -> None:
        self.path = Path(path)
        self.lock = lock
        self.set_aside_log: list[TornLine] = []
        self._reset()

    def _reset(self, ident: tuple[int, int] | None = None) -> None:
        self._tables = _Tables()
        self._offset = 0  # bytes consumed: always just after a newline
        self._lines = 0
        self._ident = ident
        self.version = VERSION  # what a new register is written as
        self._last: Head | None = None  # the last line whose hash is known
        self._pending: list[tuple[int, bytes]] = []  # lines after it without a stored hash

    # ------------------------------------------------------------ reading
    def read(self) -> _Tables:
        self.refresh()
        return self._tables

    def refresh(self) -> None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            if self._offset:
                self._reset()
            return
        except OSError as exc:
            raise StoreError(f"无法读取登记簿 {self.path}：{os_reason(exc)}") from None
        if not stat.S_ISREG(st.st_mode):  # a device, a pipe: never read as a register
            self._refuse("不是普通文件")
        ident = (st.st_dev, st.st_ino)
        if ident != self._ident or st.st_size < self._offset:
            self._reset(ident)
        if st.st_size > self._offset:
            self._consume(st.st_size)

    def _consume(self, size: int) -> None:
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self._offset)
                chunk = fh.read(size - self._offset)
        except OSError as exc:
            raise StoreError(f"无法读取登记簿 {self.path}：{os_reason(exc)}") from None
        if self._offset == 0 and b"\n" not in chunk and not _is_header_start(chunk):
            self._refuse()
        end = chunk.rfind(b"\n") + 1  # a last line without its newline is not there yet
        try:
            for line in chunk[:end].split(b"\n")[:-1]:
                self._apply(line)
        except StoreError:
            self._reset(self._ident)  # read it all again next time, and refuse it again
            raise
        self._offset += end

    def _apply(self, line: bytes) -> None:
        self._lines += 1
        if self._lines == 1:
            self._check_header(line)
            return
        name = _table_name(line)
        if name is not None:
            self._tables.add_line(name, self._lines, line)
        else:
            entry = _parse(line, self._lines)
            self._tables.merge(str(entry["t"]), entry["d"], self._lines)
        stored = _stored_hash(line)
        if stored:
            self._last, self._pending = Head(self._lines, stored), []
        else:
            self._pending.append((self._lines, line))

    def _refuse(self, why: str = "第一行不是登记簿标识") -> None:
        raise StoreError(f"{self.path} 不是 vipcontract 登记簿文件（{why}），"
                         "未作任何改动；请检查 --db 或环境变量 VIPCONTRACT_DB 指向的文件")

    def _check_header(self, line: bytes) -> None:
        try:
            header = orjson.loads(line)
        except orjson.JSONDecodeError:
            header = None
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            self._refuse()
        version = header.get("version")
        if not isinstance(version, int) or version < 1:
            self._refuse()
        if version > VERSION:
            raise StoreError(f"登记簿 {self.path} 是较新版本的 vipcontract 写入的（格式版本 {version}），"
                             "请升级 vipcontract 后再用；未作任何改动")
        self.version = version

    def head(self) -> Head | None:
        """The last line read and its hash (computed for lines of a version-1 register)."""
        if self._pending:
            prev = self._last.hash if self._last else GENESIS
            for number, line in self._pending:
                entry = _parse(line, number)
                prev = line_hash(number, prev, str(entry["t"]), entry["d"])
            self._last, self._pending = Head(self._pending[-1][0], prev), []
        return self._last

    def journal_lines(self, end: int) -> Iterator[JournalLine]:
        """The appends up to byte `end`, each parsed whole (for check and verify)."""
        try:
            with open(self.path, "rb") as fh:
                data = fh.read(end)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise StoreError(f"无法读取登记簿 {self.path}：{os_reason(exc)}") from None
        for number, line in enumerate(data.split(b"\n")[1:-1], start=2):
            entry = _parse(line, number)
            prev, digest = entry.get("p"), entry.get("h")
            yield JournalLine(number, str(entry["t"]), entry["d"],
                              None if prev is None else str(prev),
                              None if digest is None else str(digest), entry.get("n"))

    def unfinished(self) -> TornLine | None:
        """What follows the last newline, left in the file for now."""
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self._offset)
                tail = fh.read()
        except OSError:
            return None
        if self._offset == 0 and tail and not _is_header_start(tail):
            self._refuse()  # a file whose size the system does not tell (see refresh)
        return TornLine(self.path, len(tail), False, describe(tail)) if tail else None

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
            entries = [(name, docs) for name, docs in added.items() if docs]
            if entries:
                self._append(entries)
        except BaseException:
            self._tables.restore(replaced)
            raise
        for name, docs in added.items():
            self._tables.index_docs(name, docs)

    def _append(self, entries: list[tuple[str, dict[str, Any]]]) -> None:
        fd = self.lock.fd
        if not self.lock.held or fd is None:
            raise StoreError("写入登记簿时须持有文件锁")
        st = os.fstat(fd)
        if self._ident is not None and (st.st_dev, st.st_ino) != self._ident:
            raise StoreError(f"登记簿文件 {self.path} 在读取后被替换，未作改动，请重试")
        if st.st_size < self._offset:
            raise StoreError(f"登记簿文件 {self.path} 被截短，请运行 vipcontract check")
        if st.st_size > self._offset:
            self._set_aside_tail(fd, st.st_size)
        payload, head = self._lines_for(entries)
        try:
            _write_all(fd, payload)
            fault_point("written")
            os.fsync(fd)
        except OSError as exc:  # e.g. a full disk: what was written is a torn line, set aside next time
            raise StoreError(f"写入登记簿 {self.path} 失败：{os_reason(exc)}；本次登记未完成") from None
        if self._offset == 0 and self.lock.created:
            fsync_dir(self.path.resolve().parent)
        # Only now, on disk: after a failed write the next one chains to what is really there.
        self._offset += len(payload)
        self._lines, self._last = head.position, head
        if self._offset == len(payload):
            self.version = VERSION
        self._ident = (st.st_dev, st.st_ino)

    def _lines_for(self, entries: list[tuple[str, dict[str, Any]]]) -> tuple[bytes, Head]:
        """The bytes to append (the header first in a new file) and the head they make."""
        payload, number = b"", self._lines
        if self._offset == 0:
            payload, number = HEADER_LINES[-1], 1
        head = self.head()
        prev = head.hash if head else GENESIS
        for name, docs in entries:
            number += 1
            line = sealed_line(number, prev, name, docs)
            payload += orjson.dumps(line) + b"\n"
            prev = line["h"]
        return payload, Head(number, prev)

    def settle_tail(self) -> TornLine | None:
        """Under the lock, before anything is read to allocate a number: set a torn last line
        aside, so that no writer works from a register that ends in one."""
        fd = self.lock.fd
        if fd is None:
            raise StoreError("写入登记簿时须持有文件锁")
        if not self._offset:  # nothing read yet: a register that ends in a newline has no torn line
            size = os.fstat(fd).st_size
            if not size or os.pread(fd, 1, size - 1) == b"\n":
                return None
        self.refresh()
        size = os.fstat(fd).st_size
        if size <= self._offset or self._ident != _ident(fd):
            return None
        return self._set_aside_tail(fd, size)

    def _set_aside_tail(self, fd: int, size: int) -> TornLine:
        """Copy the bytes after the last newline aside, then cut them from the register."""
        tail = os.pread(fd, size - self._offset, self._offset)
        if b"\n" in tail:  # whole lines this reader has not seen: never cut
            raise StoreError(f"登记簿 {self.path} 在读取之后被其他程序写入，未作改动，请重试")
        torn = set_aside(self.path.resolve(), tail)
        self.set_aside_log.append(torn)
        os.ftruncate(fd, self._offset)
        os.fsync(fd)
        return torn

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
        self._lock = RegisterLock(self.path, timeout)
        self._db = RegisterDB(str(self.path), storage=JournalStorage, lock=self._lock)
        storage = self._db.storage  # typed as TinyDB's Storage: the one given above
        if not isinstance(storage, JournalStorage):
            raise TypeError(f"expected a JournalStorage, got {type(storage).__name__}")
        self._storage = storage
        self._sidecar = Sidecar(self.path, _is_header)

    def append(
        self, contract_no: str, expected_seq: int, records: Sequence[Mapping[str, Any]],
        summary: Summary | None = None,
    ) -> None:
        with self.locked():
            if self._append_indexed(contract_no, expected_seq, records):
                self._index([(contract_no, summary)] if summary is not None else [])
                return
            current = len(self._storage.read().get(contract_no, {}))
            if current != expected_seq:
                raise ConflictError(contract_no, expected_seq, current)
            check_batch(contract_no, expected_seq, records)
            docs = [Document(dict(r), doc_id=int(r["seq"])) for r in records]
            self._db.table(contract_no, cache_size=0).insert_multiple(docs)
            # the journal's line is on disk: the sidecar (a cache) follows, still under the lock
            self._index([(contract_no, summary)] if summary is not None else [])

    def _append_indexed(self, contract_no: str, expected_seq: int, records: Sequence[Mapping[str, Any]]) -> bool:
        """Under the lock, the append made from what the sidecar knows, without reading the journal:
        the contract's lines (read by offset and checked: seqs 1..n, its last record the sidecar's),
        the end of the journal (its size, and the hash of its last line, checked by `sync`) and the
        head. False, with nothing written, when the sidecar cannot vouch for them (not in step, off,
        a version-1 register, this store already reading the journal): the caller then reads the
        journal, and the sidecar is brought up to it again."""
        fd = self._lock.fd
        if fd is None or self._storage._offset:
            return False
        try:
            history = self._indexed_history(contract_no)  # syncs the sidecar with the journal first
            if history is None:
                return False
            size, lines, head, version = self._sidecar.tail()
        except Exception:  # noqa: BLE001 (a cache: read the journal instead)
            self._sidecar.off = True
            return False
        st = os.fstat(fd)
        if (size, version) != (st.st_size, VERSION) or head is None or lines < 1 or \
                self._storage._ident not in (None, (st.st_dev, st.st_ino)):
            return False
        if len(history) != expected_seq:
            raise ConflictError(contract_no, expected_seq, len(history))
        check_batch(contract_no, expected_seq, records)
        line = sealed_line(lines + 1, head, contract_no, {str(r["seq"]): dict(r) for r in records})
        try:
            _write_all(fd, orjson.dumps(line) + b"\n")
            fault_point("written")
            os.fsync(fd)
        except OSError as exc:  # what was written is a torn line: set aside by the next writer
            raise StoreError(f"写入登记簿 {self.path} 失败：{os_reason(exc)}；本次登记未完成") from None
        return True

    # ------------------------------------------------------------ the sidecar (store.sidecar)
    def _index(self, summaries: list[tuple[str, Summary]]) -> None:
        """Bring the sidecar up to the journal and keep `summaries`: never an error for the user."""
        try:
            if self._sidecar.sync() and summaries:
                self._sidecar.put_summaries(summaries)
        except Exception:  # noqa: BLE001 (a cache: the journal is the register)
            self._sidecar.off = True

    def _indexed(self) -> bool:
        """The sidecar is usable for reading, and this store has not read the journal itself."""
        return self._storage._offset == 0 and self._sidecar.sync()

    def _indexed_history(self, contract_no: str) -> list[Record] | None:
        """The contract's records read by offset (None: the sidecar cannot say; read the journal)."""
        if not self._indexed():
            return None
        spans, key = self._sidecar.lines(contract_no)
        if not spans:
            return []
        try:
            with open(self.path, "rb") as fh:
                docs: dict[int, Record] = {}
                for offset, length in spans:
                    line = os.pread(fh.fileno(), length, offset)
                    entry = orjson.loads(line)
                    if entry.get("t") != contract_no:
                        raise ValueError(offset)
                    docs.update((int(k), v) for k, v in entry["d"].items())
        except (OSError, ValueError, TypeError, KeyError, AttributeError):  # orjson's error is a ValueError
            self._sidecar.distrust()
            return None
        records = [docs[seq] for seq in sorted(docs)]
        fits = key is not None and list(docs) and sorted(docs) == list(range(1, len(docs) + 1)) \
            and (records[-1].get("seq"), records[-1].get("hash")) == key
        if not fits:  # the sidecar does not describe the journal: read the journal (and rebuild it)
            self._sidecar.distrust()
            return None
        return records

    def summaries(
        self, last_day_from: dt.date | None = None, last_day_to: dt.date | None = None, *,
        windows: Sequence[Window] | None = None,
    ) -> Iterator[tuple[str, Summary | None]]:
        done = ""  # the last contract handed out (numbers come in order)
        try:
            if self._sidecar.sync():
                for contract_no, summary in self._sidecar.summaries(windows_of(last_day_from, last_day_to, windows)):
                    yield contract_no, summary
                    done = contract_no
                return
        except Exception:  # noqa: BLE001 (a cache: read the journal instead, from where it stopped)
            self._sidecar.off = True
        for contract_no in self.contract_numbers():
            if contract_no > done:
                yield contract_no, None

    def put_summaries(self, items: Iterable[tuple[str, Summary]]) -> None:
        """Keep summaries a reader rebuilt (one transaction of the sidecar)."""
        items = list(items)
        if items:
            self._index(items)

    def indexed_spans(self) -> Iterator[tuple[str, str]]:
        """The sidecar's span rows; none when it is off (then `summaries` gives every contract)."""
        try:
            found = self._sidecar.spans() if self._sidecar.sync() else []
        except Exception:  # noqa: BLE001 (a cache: read the journal instead)
            self._sidecar.off = True
            found = []
        yield from found

    def history(self, contract_no: str) -> list[Record]:
        return self._history(contract_no)

    def _history(self, contract_no: str) -> list[Record]:
        indexed = self._indexed_history(contract_no)
        if indexed is not None:
            return indexed
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

    def histories_of(self, numbers: Iterable[str]) -> Iterator[tuple[str, list[Record]]]:
        # each by its offsets in the sidecar when it is in step (a local file: no round trip to save)
        for contract_no in sorted(set(numbers)):
            records = self._history(contract_no)
            if records:
                yield contract_no, records

    def find(self, kind: str) -> Iterator[Record]:
        tables = self._storage.read()
        for name in sorted(tables.tables_with(kind)):
            # a table's documents are in seq order: appended in order, read in file order
            yield from (doc for doc in tables[name].values() if doc.get("kind") == kind)

    def last(self, kind: str) -> Record | None:
        self._storage.refresh()
        return self._storage.last_of(kind)

    def next_number(self, series: str, prefix: str) -> int:
        check_series(series)
        try:
            if self._indexed():  # the sidecar in step with the journal: its numbers, no journal read
                return self._sidecar.highest(series, prefix) + 1
        except Exception:  # noqa: BLE001 (a cache)
            self._sidecar.off = True
        tables = self._storage.read()
        if series == "contract":
            numbers = [n for n in (series_number(v, prefix) for v in tables) if n is not None]
            return max(numbers, default=0) + 1
        # Every notice id in the register, highest first, until one is a notice sent (a delivery
        # or a return names a sent one: the first candidate nearly always is).
        for number, value in reversed(tables.series_values("notice_id", prefix)):
            if self.notice_contract(value) is not None:
                return number + 1
        return 1

    def _matching(self, field: str, value: str, match: Callable[[Record], bool]) -> list[Record]:
        tables = self._storage.read()
        found = [doc for name in sorted(tables.tables_with_token(field, value))
                 for doc in tables[name].values() if match(doc)]
        return orjson.loads(orjson.dumps(found))

    def notice_contract(self, notice_id: str) -> str | None:
        found = self._matching("notice_id", notice_id, lambda r: sent_notice(r, notice_id))
        return str(found[0]["contract_no"]) if found else None

    def find_file(self, sha256: str) -> list[Record]:
        return self._matching("sha256", sha256, lambda r: names_file(r, sha256))

    def batch_issued(self, batch_key: str) -> list[Record]:
        return self._matching("key", batch_key, lambda r: in_batch(r, batch_key))

    @contextmanager
    def locked(self) -> Iterator[None]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"无法建立登记簿所在目录 {self.path.parent}：{os_reason(exc)}") from None
        outermost = not self._lock.held
        self._lock.acquire()
        try:
            if outermost:
                self._settle_tail()
            yield
        finally:
            self._lock.release()

    def _settle_tail(self) -> None:
        """A torn last line that is a whole append lost only its newline: a committed event. The
        command that finds it is not carried out, since the numbers it would give may be that
        event's; the person told decides first (see service.integrity)."""
        torn = self._storage.settle_tail()
        if torn is not None and torn.record:
            raise StoreError(
                f"本次操作未执行：登记簿末尾的一条完整登记（{torn.record}）缺少换行符，已另存为 {torn.path}"
                "并从登记簿中移除。请核对：如它是已发生的事项，请先按其内容重新登记，再重试本次操作")

    def recorder(self) -> str:
        return os_user()

    def head(self) -> Head | None:
        if self._storage._lines == 0:  # nothing read yet: from the sidecar, else read now
            try:
                if self._indexed():
                    head = self._sidecar.head()
                    if head is not None:
                        return head
            except Exception:  # noqa: BLE001 (a cache)
                self._sidecar.off = True
            self._storage.refresh()
        return self._storage.head()

    def journal(self) -> Journal:
        self._storage.refresh()
        return Journal(self._storage.version, self._storage.journal_lines(self._storage._offset))

    def torn_lines(self) -> list[TornLine]:
        self._storage.refresh()
        unfinished = self._storage.unfinished()
        return ([unfinished] if unfinished else []) + set_aside_files(self.path.resolve())

    def set_aside(self) -> list[TornLine]:
        log, self._storage.set_aside_log = self._storage.set_aside_log, []
        return log

    def put_document(self, sha256: str, content: bytes) -> None:
        DocumentShelf.beside(self.path).put(sha256, content)  # content-addressed: no lock needed

    def get_document(self, sha256: str) -> bytes | None:
        return DocumentShelf.beside(self.path).get(sha256)

    def close(self) -> None:
        self._sidecar.close()
        self._db.close()
