"""The embedded register's sidecar: where each contract's lines are, and its summary.

`register.json.index` beside the register is an SQLite database (the standard library's sqlite3)
holding, for the journal it covers:

- meta: the journal's device and inode, the bytes covered (always just after a newline), the
  offset and sha256 of the last line covered, the number of lines and the head (store.chain);
- lines: the byte offset and length of every line, by contract;
- contracts: each contract's last seq and last record hash (as the journal says), and the key of
  the summary a writer or a reader put for it; summaries: that summary (contracts.summary), as
  zlib-compressed JSON;
- spans: the days each summary's contract can show in each report on (contracts.report_spans),
  for windowed reads: a report reads only the contracts its as-of date or period can list;
- notices: the id of every notice sent and its contract; numbers: every contract number and
  notice id split into its head and its trailing number, so that a writer takes the next number
  of a series from an index, without reading the journal or scanning the series.

It is a cache, never trusted blindly: before it is used, `sync` checks that it still describes
this journal (same file, not shorter, the last line it covers unchanged); if the journal grew it
reads only the new lines; if anything disagrees it starts again from the journal. A sidecar that
SQLite cannot read is renamed aside (`.index.bad-<time>`) and rebuilt. Any other failure (no
permission, a full disk) turns the sidecar off for this store: the register is then read from the
journal as before, never an error for the user. A summary is handed out only while its key (last
seq and last hash) is its contract's: a stale or tampered one comes back as None and is rebuilt by
the caller (service/summaries.py). The sidecar is written after the journal's append is on disk;
a process killed in between leaves a sidecar that the next `sync` brings up to date.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import time
import zlib
from collections.abc import Iterator, Mapping, Sequence
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any

import orjson

from .base import Window, series_number, span_text, summary_spans, window_bounds
from .chain import Head
from .fault import fault_point

SUFFIX = ".index"
SCHEMA = 4  # PRAGMA user_version: a sidecar of another schema is built again
TIMEOUT = 60.0
BLOCK = 1 << 20
NOTICE_SENT = "notice_sent"  # contracts.events.EventKind.NOTICE_SENT (the store knows records, not events)

_TABLES = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value)",
    "CREATE TABLE lines (contract_no TEXT NOT NULL, offset INTEGER NOT NULL, "
    "length INTEGER NOT NULL, PRIMARY KEY (contract_no, offset)) WITHOUT ROWID",
    # narrow, so that a scan for the contracts whose summary does not fit reads few pages
    "CREATE TABLE contracts (contract_no TEXT PRIMARY KEY, last_seq INTEGER NOT NULL, "
    "last_hash TEXT NOT NULL, sum_seq INTEGER, sum_hash TEXT) WITHOUT ROWID",
    "CREATE TABLE summaries (contract_no TEXT PRIMARY KEY, summary BLOB NOT NULL)",  # zlib'd JSON
    # the spans of each summary (contracts.report_spans; open ends as base.OPEN_FIRST/OPEN_LAST):
    # a report's window is a range of `last` in one kind
    "CREATE TABLE spans (kind TEXT NOT NULL, last TEXT NOT NULL, first TEXT NOT NULL, "
    "contract_no TEXT NOT NULL, PRIMARY KEY (kind, last, first, contract_no)) WITHOUT ROWID",
    "CREATE INDEX spans_contract ON spans (contract_no)",
    "CREATE TABLE notices (notice_id TEXT PRIMARY KEY, contract_no TEXT NOT NULL) WITHOUT ROWID",
    "CREATE TABLE numbers (series TEXT NOT NULL, head TEXT NOT NULL, number INTEGER NOT NULL, "
    "value TEXT NOT NULL, PRIMARY KEY (series, head, number, value)) WITHOUT ROWID",
)
TABLE_NAMES = ("meta", "lines", "contracts", "summaries", "spans", "notices", "numbers")
OLD_TABLES = ("term_days",)  # of earlier schemas, dropped with them
TRAILING_DIGITS = re.compile(r"[0-9]+\Z")


class Distrust(Exception):
    """The sidecar does not describe the journal (or the journal is not one it can index)."""


def sidecar_path(journal: Path) -> Path:
    return journal.with_name(journal.name + SUFFIX)


def summary_key(summary: Mapping[str, Any]) -> tuple[int, str] | None:
    try:
        return int(summary["last_seq"]), str(summary["last_hash"])
    except (KeyError, TypeError, ValueError):
        return None


class Sidecar:
    """The sidecar of one journal, as one store uses it (see the module's doc)."""

    def __init__(self, journal: Path, header_ok: Any) -> None:
        self.journal = journal
        self.path = sidecar_path(Path(os.path.realpath(journal)))  # one per file, whatever the path
        self._header_ok = header_ok  # bytes of line 1 -> bool (the store's own check)
        self._db: sqlite3.Connection | None = None
        self.off = False  # turned off for this store: read the journal instead
        self._seen: tuple[int, int, int] | None = None  # (dev, ino, size) at the last sync

    # ------------------------------------------------------------ opening
    def _open(self) -> sqlite3.Connection:
        if self._db is None:
            if not self.path.exists():
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))  # personal data: 0600
            db = sqlite3.connect(self.path, timeout=TIMEOUT, isolation_level=None)
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")  # a cache: lost work is read again from the journal
                if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA:
                    _create(db)
            except BaseException:
                db.close()
                raise
            self._db = db
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _set_aside(self) -> None:
        """A file SQLite cannot read: renamed aside (never deleted), a new one built."""
        self.close()
        stamp = time.strftime("%Y%m%dT%H%M%S")
        for suffix in ("", "-wal", "-shm"):
            part = Path(str(self.path) + suffix)
            if part.exists():
                part.rename(Path(f"{self.path}.bad-{stamp}-{os.getpid()}{suffix}"))

    def distrust(self) -> None:
        """The sidecar disagrees with the journal: off for this store (which reads the journal),
        and built again from the journal by the next `sync` of any store."""
        self.off = True
        try:
            self._open().execute("DELETE FROM meta")
        except (sqlite3.Error, OSError):
            pass  # the next sync finds it unusable all the same, or this store's reads stay off

    # ------------------------------------------------------------ keeping up with the journal
    def sync(self) -> bool:
        """Bring the sidecar up to the journal's last newline. False: not usable (read the journal)."""
        if self.off:
            return False
        for attempt in range(3):
            try:
                return self._sync()
            except sqlite3.DatabaseError:
                if attempt:
                    break
                try:
                    self._set_aside()
                except OSError:
                    break
            except Distrust:  # the journal path reads it (and says what is wrong): not again and again
                self.off = True
                return False
            except (sqlite3.Error, OSError):
                break
        self.off = True
        self.close()
        return False

    def _sync(self) -> bool:
        try:
            st = os.stat(self.journal)
        except FileNotFoundError:
            return False
        seen = (st.st_dev, st.st_ino, st.st_size)
        if seen == self._seen:
            return True
        if st.st_size == 0 or not self._header_ok(_first_line(self.journal)):
            return False  # nothing to index, or not a register: the journal path says why
        db = self._open()
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("size") != st.st_size or not self._fits(meta, st):  # else: up to date, nothing to write
            db.execute("BEGIN IMMEDIATE")
            try:
                # Both as they are now: another store may have synced while this one waited, the
                # journal grown meanwhile. Judged by the size seen before the wait, a sidecar
                # synced further would look ahead of the journal and be rebuilt back to that size,
                # behind what a writer holding the lock has already read from it.
                st = os.stat(self.journal)
                seen = (st.st_dev, st.st_ino, st.st_size)
                meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
                if not self._fits(meta, st):
                    for table in TABLE_NAMES:
                        db.execute(f"DELETE FROM {table}")
                    meta = {"schema": SCHEMA, "dev": st.st_dev, "ino": st.st_ino, "size": 0, "lines": 0}
                self._catch_up(db, meta, st.st_size)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        self._seen = seen
        return True

    def _fits(self, meta: Mapping[str, Any], st: os.stat_result) -> bool:
        if meta.get("schema") != SCHEMA or (meta.get("dev"), meta.get("ino")) != (st.st_dev, st.st_ino):
            return False
        size = int(meta.get("size") or 0)
        if size > st.st_size:
            return False
        if size == 0:
            return True
        at = int(meta["tail_at"])
        with open(self.journal, "rb") as fh:
            fh.seek(at)
            tail = fh.read(size - at - 1)  # the line without its newline, as _catch_up hashed it
        return hashlib.sha256(tail).hexdigest() == meta.get("tail_sha")

    def _catch_up(self, db: sqlite3.Connection, meta: dict[str, Any], size: int) -> None:
        """Index the lines after meta["size"], a block at a time (a rebuild of a large register
        holds one block in memory, not the whole journal)."""
        offset, number = int(meta["size"]), int(meta["lines"])
        last: dict[str, tuple[int, str]] = {}
        line_rows: list[tuple[str, int, int]] = []
        notice_rows: list[tuple[str, str]] = []
        tail = b""
        with open(self.journal, "rb") as fh:
            fh.seek(offset)
            while offset + len(tail) < size:
                block = tail + fh.read(min(BLOCK, size - offset - len(tail)))
                end = block.rfind(b"\n") + 1  # a line being written, or torn, is not there yet
                if end == 0:
                    if len(block) == size - offset:
                        break
                    tail = block  # a line longer than a block: read on
                    continue
                for line in block[:end].split(b"\n")[:-1]:
                    number += 1
                    if number == 1:
                        meta["version"] = _header_version(line)
                    else:
                        name, seq, digest, stored, sent = self._indexed_line(db, last, line)
                        last[name] = (seq, digest)
                        notice_rows += ((notice_id, name) for notice_id in sent)
                        line_rows.append((name, offset, len(line)))
                        meta["head_hash"] = stored
                    meta.update(tail_at=offset, tail_sha=hashlib.sha256(line).hexdigest())
                    offset += len(line) + 1
                tail = block[end:]
                if len(line_rows) >= 100_000:
                    db.executemany("INSERT INTO lines VALUES (?, ?, ?)", line_rows)
                    line_rows = []
        meta.update(size=offset, lines=number)
        known = {row[0] for name in last for row in
                 db.execute("SELECT contract_no FROM contracts WHERE contract_no = ?", (name,))} if len(last) < 1000 \
            else {row[0] for row in db.execute("SELECT contract_no FROM contracts")}
        db.executemany("INSERT INTO lines VALUES (?, ?, ?)", line_rows)
        # a notice id given twice is the journal's problem (check reports it): the first is kept
        db.executemany("INSERT OR IGNORE INTO notices VALUES (?, ?)", notice_rows)
        new = [name for name in last if name not in known]
        db.executemany("INSERT OR IGNORE INTO numbers VALUES (?, ?, ?, ?)",
                       [*_numbered("contract", new), *_numbered("notice", [n for n, _c in notice_rows])])
        db.executemany(
            "INSERT INTO contracts (contract_no, last_seq, last_hash) VALUES (?, ?, ?) "
            "ON CONFLICT (contract_no) DO UPDATE SET last_seq = excluded.last_seq, last_hash = excluded.last_hash",
            [(name, seq, digest) for name, (seq, digest) in last.items()])
        db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", list(meta.items()))

    def _indexed_line(self, db: sqlite3.Connection, last: Mapping[str, tuple[int, str]], line: bytes
                      ) -> tuple[str, int, str, str | None, list[str]]:
        """(contract, last seq, last record hash, the line's chain hash, the ids of the notices it
        sends) of one line; a line that does not continue its contract's seqs is left to the
        journal path (which reports it)."""
        try:
            entry = orjson.loads(line)
            name, docs = str(entry["t"]), entry["d"]
            seqs = sorted(int(key) for key in docs)
            sent = [str(doc["data"]["notice_id"]) for doc in docs.values() if doc.get("kind") == NOTICE_SENT]
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
            raise Distrust from None
        before = last.get(name)
        if before is None:
            row = db.execute("SELECT last_seq, last_hash FROM contracts WHERE contract_no = ?", (name,)).fetchone()
            before = (row[0], row[1]) if row else (0, "")
        if not seqs or seqs != list(range(before[0] + 1, before[0] + 1 + len(seqs))):
            raise Distrust
        stored = entry.get("h")
        return (name, seqs[-1], str(docs[str(seqs[-1])].get("hash", "")), None if stored is None else str(stored),
                sent)

    # ------------------------------------------------------------ reading
    def head(self) -> Head | None:
        db = self._open()
        meta = dict(db.execute("SELECT key, value FROM meta WHERE key IN ('lines', 'head_hash')").fetchall())
        if not meta.get("head_hash") or int(meta.get("lines") or 0) < 2:
            return None
        return Head(int(meta["lines"]), str(meta["head_hash"]))

    def tail(self) -> tuple[int, int, str | None, int]:
        """(bytes covered, lines, the last line's chain hash, format version) as the sidecar last
        synced them: what a writer appends after without reading the journal."""
        meta = dict(self._open().execute(
            "SELECT key, value FROM meta WHERE key IN ('size', 'lines', 'head_hash', 'version')").fetchall())
        digest = meta.get("head_hash")
        return (int(meta.get("size") or 0), int(meta.get("lines") or 0), None if digest is None else str(digest),
                int(meta.get("version") or 0))

    def highest(self, series: str, prefix: str) -> int:
        """The highest number of the PREFIXdigits series of contract numbers or notice ids (0: none)."""
        db = self._open()
        if not prefix[-1:].isdigit():  # PREFIXdigits: the head of the value is the prefix (an index lookup)
            row = db.execute("SELECT max(number) FROM numbers WHERE series = ? AND head = ?",
                             (series, prefix)).fetchone()
            return int(row[0]) if row and row[0] is not None else 0
        table, column = ("contracts", "contract_no") if series == "contract" else ("notices", "notice_id")
        # the longest, then the greatest, first: digits of one length sort as numbers
        rows = db.execute(f"SELECT {column} FROM {table} WHERE {column} >= ? AND {column} < ? "
                          f"ORDER BY length({column}) DESC, {column} DESC", (prefix, prefix + "\U0010ffff"))
        best = 0
        for (value,) in rows:
            number = series_number(str(value), prefix)
            if number is not None:
                best = max(best, number)
                if len(str(value)) - len(prefix) <= len(str(best)):
                    break  # what is left is no longer (or has a non-digit): none is greater
        return best

    def version(self) -> int:
        row = self._open().execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
        return int(row[0]) if row else 0

    def lines(self, contract_no: str) -> tuple[list[tuple[int, int]], tuple[int, str] | None]:
        """(offset, length) of the contract's lines in order, and its (last seq, last hash)."""
        db = self._open()
        rows = db.execute("SELECT offset, length FROM lines WHERE contract_no = ? ORDER BY offset",
                          (contract_no,)).fetchall()
        key = db.execute("SELECT last_seq, last_hash FROM contracts WHERE contract_no = ?", (contract_no,)).fetchone()
        return [(int(o), int(n)) for o, n in rows], (int(key[0]), str(key[1])) if key else None

    def contract_numbers(self) -> list[str]:
        return [row[0] for row in self._open().execute("SELECT contract_no FROM contracts ORDER BY contract_no")]

    def summaries(self, windows: Sequence[Window] | None) -> Iterator[tuple[str, dict[str, Any] | None]]:
        """(contract_no, summary or None) by number; with windows, only the contracts with a span
        meeting one (base.Store.summaries) and those without a summary that fits."""
        db = self._open()
        sql = ("SELECT c.contract_no, c.last_seq, c.last_hash, s.summary FROM contracts c "
               "LEFT JOIN summaries s ON s.contract_no = c.contract_no")
        args: list[str] = []
        if windows is not None:
            picked = " UNION ".join(["SELECT contract_no FROM spans WHERE kind = ? AND last >= ? AND first <= ?"]
                                    * len(windows)) or "SELECT NULL WHERE 0"
            sql += (" WHERE c.sum_seq IS NOT c.last_seq OR c.sum_hash IS NOT c.last_hash OR c.contract_no IN "
                    f"({picked})")
            for kind, first, last in windows:
                args += [kind, *window_bounds(first, last)]
        for name, seq, digest, blob in db.execute(sql + " ORDER BY c.contract_no", args):
            yield name, _fitting(blob, seq, digest)

    def spans(self) -> list[tuple[str, str]]:
        """(contract_no, its span rows as base.span_text) by number, for every contract with any
        (from the index on contract_no alone: it holds every column of the table)."""
        rows = self._open().execute("SELECT contract_no, kind, first, last FROM spans ORDER BY contract_no")
        return [(contract_no, span_text(row[1:] for row in found))
                for contract_no, found in groupby(rows, key=itemgetter(0))]

    # ------------------------------------------------------------ writing summaries
    def put_summaries(self, items: list[tuple[str, Mapping[str, Any]]]) -> None:
        """Keep each summary whose key is its contract's last record (a stale one is ignored), in
        one transaction."""
        db = self._open()
        db.execute("BEGIN IMMEDIATE")
        try:
            for contract_no, summary in items:
                self._put(db, contract_no, summary)
            fault_point("indexing")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    @staticmethod
    def _put(db: sqlite3.Connection, contract_no: str, summary: Mapping[str, Any]) -> None:
        key = summary_key(summary)
        row = db.execute("SELECT last_seq, last_hash FROM contracts WHERE contract_no = ?",
                         (contract_no,)).fetchone()
        if key is None or row is None or (int(row[0]), str(row[1])) != key:
            return
        db.execute("UPDATE contracts SET sum_seq = ?, sum_hash = ? WHERE contract_no = ?", (*key, contract_no))
        db.execute("INSERT OR REPLACE INTO summaries VALUES (?, ?)",
                   (contract_no, zlib.compress(orjson.dumps(summary), 1)))
        db.execute("DELETE FROM spans WHERE contract_no = ?", (contract_no,))
        db.executemany("INSERT OR IGNORE INTO spans VALUES (?, ?, ?, ?)",
                       [(kind, last, first, contract_no) for kind, first, last in summary_spans(summary)])


def _fitting(blob: bytes | None, seq: int, digest: str) -> dict[str, Any] | None:
    """The stored summary when it is one and its own key is the contract's last record."""
    if blob is None:
        return None
    try:
        summary = orjson.loads(zlib.decompress(blob))
    except (orjson.JSONDecodeError, zlib.error, TypeError):
        return None
    if not isinstance(summary, dict) or summary_key(summary) != (seq, digest):
        return None
    return summary


def _numbered(series: str, values: list[str]) -> list[tuple[str, str, int, str]]:
    """(series, head, number, value) of each value that ends in digits."""
    rows = []
    for value in values:
        digits = TRAILING_DIGITS.search(value)
        if digits:
            rows.append((series, value[:digits.start()], int(digits.group()), value))
    return rows


def _create(db: sqlite3.Connection) -> None:
    """The tables of this schema (those of another one dropped: a cache, built again)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        for table in (*TABLE_NAMES, *OLD_TABLES):
            db.execute(f"DROP TABLE IF EXISTS {table}")
        for statement in _TABLES:
            db.execute(statement)
        db.execute(f"PRAGMA user_version = {SCHEMA}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def _first_line(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return fh.readline(4096)


def _header_version(line: bytes) -> int:
    try:
        return int(orjson.loads(line)["version"])
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        raise Distrust from None
