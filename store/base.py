"""The store interface: an append-only list of event records per contract.

Records are plain JSON objects (see contracts.events). A backend keeps them per contract in
seq order and appends only when the caller's idea of the last seq is still right, so that two
writers can never both append seq 7. Anything that allocates a number from what is stored
(contract numbers, notice ids) does it inside `locked()`, together with the append.

Every append is also one entry of the register's journal, chained to the entry before it
(store.chain: the format and its checks, the same for every backend). A backend seals each
append with `chain.sealed_line` and gives the entries back through `journal()`; `head()` is the
last one. `torn_lines()`/`set_aside()` are for a file backend's unfinished last line; a database
backend returns [] for both.

The bytes of every document an event names (data.files) are kept with the register, by sha256
(`put_document`, `get_document`): a writer keeps them before it appends the event that names
them, so an event never names bytes the register lacks.
"""

from __future__ import annotations

import datetime as dt
import errno
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from contracts.errors import ContractError

if TYPE_CHECKING:
    from .chain import Head, Journal

Record = dict[str, Any]
Summary = Mapping[str, Any]  # contracts.summary.ContractSummary.to_dict()


class StoreError(ContractError):
    """The register file cannot be read or written."""


OS_REASONS = {
    errno.EACCES: "没有权限", errno.EPERM: "没有权限", errno.ENOSPC: "磁盘空间已满",
    errno.EDQUOT: "超出磁盘配额", errno.EROFS: "文件系统只读", errno.ENOENT: "文件或目录不存在",
    errno.ENOTDIR: "路径中有一段不是目录", errno.EISDIR: "是目录", errno.ELOOP: "符号链接循环",
    errno.EIO: "输入输出错误",
}


def os_reason(exc: OSError) -> str:
    """Why the system refused, in the clerk's language (the system's own words otherwise)."""
    return OS_REASONS.get(exc.errno or 0) or exc.strerror or str(exc)


class ConflictError(StoreError):
    """Another writer appended to the contract first: re-read and try again."""

    def __init__(self, contract_no: str, expected_seq: int, actual_seq: int):
        self.contract_no, self.expected_seq, self.actual_seq = contract_no, expected_seq, actual_seq
        super().__init__(f"合同 {contract_no} 的记录已被其他操作更新"
                         f"（应为第 {expected_seq} 条，实为第 {actual_seq} 条），请重试")


@dataclass(frozen=True)
class TornLine:
    """Bytes after the register's last newline: an append cut short, or one that lost its
    newline (a copy, a restore, an editor). Never deleted: a writer copies them to a file of
    their own (`set_aside`) before it cuts them from the register, and `check` lists both kinds
    until a person has looked."""

    path: Path  # the register (still at its end) or the file they were copied to
    size: int
    set_aside: bool
    record: str = ""  # "合同 VIP-2026-000001 第 3 条" when the bytes are a whole append


@runtime_checkable
class Store(Protocol):
    def append(
        self, contract_no: str, expected_seq: int, records: Sequence[Mapping[str, Any]],
        summary: Summary | None = None,
    ) -> None:
        """Add `records` (seq expected_seq+1, +2...) after the last one, all or none.

        Raises ConflictError when the contract's last seq is not `expected_seq` (0: new).
        `summary`: the contract's summary after these records (see "Summaries" below), kept with
        them; a backend that fails to keep it still appends (a summary is a cache)."""

    # Summaries: a JSON object per contract made by contracts.summary from its replayed history.
    # The store reads three keys of it: "last_seq" and "last_hash" (the seq and hash of the record
    # it was made from: its key) and "spans" ({kind: [[first, last], ...]}, ISO dates, last null
    # when open: the days the contract can show in a report on, contracts.report_spans, for the
    # windows below, by index); the rest it keeps as given. A store hands a summary out only while
    # its key is the contract's last record; otherwise (none given, a later append, a tampered
    # copy) it gives None and the caller replays the history and may put the new summary back.
    def summaries(
        self, last_day_from: dt.date | None = None, last_day_to: dt.date | None = None, *,
        windows: Sequence[Window] | None = None,
    ) -> Iterator[tuple[str, Summary | None]]:
        """(contract_no, summary or None) for every contract, sorted by contract number. With
        windows (kind, from, to): only the contracts with a span of one of those kinds that meets
        its [from, to] (either end open when None), and every contract whose summary is None (its
        days are not known). A window of the term last days alone: last_day_from, last_day_to."""

    def put_summaries(self, items: Iterable[tuple[str, Summary]]) -> None:
        """Keep (contract_no, summary) a reader rebuilt, in one go, the span rows with it; each is
        ignored when its key is not the contract's last record."""

    def indexed_spans(self) -> Iterator[tuple[str, str]]:
        """(contract_no, the span rows `summaries(windows=...)` picks it by, as span_text) for
        every contract with any, sorted by contract number: for `check` to compare with the spans
        of the summary it replays (a row lost hides the contract from every report). A store that
        picks from the summaries themselves gives their spans."""

    def history(self, contract_no: str) -> list[Record]:
        """The contract's records in seq order; [] for an unknown contract."""

    def contract_numbers(self) -> list[str]:
        """Every contract number, sorted."""

    def histories(self) -> Iterator[tuple[str, list[Record]]]:
        """(contract_no, records) for every contract, sorted by contract number. The records
        are the store's own: read them, do not change them."""

    def histories_of(self, numbers: Iterable[str]) -> Iterator[tuple[str, list[Record]]]:
        """(contract_no, records) for each of `numbers` the register holds (an unknown one is left
        out), sorted by contract number: many histories in one read (a database: one query), for
        the summaries a reader rebuilds. The records are the caller's own."""

    def find(self, kind: str) -> Iterator[Record]:
        """Every record of one kind (e.g. "notice_sent"), in (contract_no, seq) order: what
        an index on the kind column gives a database."""

    def last(self, kind: str) -> Record | None:
        """The record of one kind that was appended last (e.g. the newest notice: numbers
        allocated under the lock grow with the order of appending)."""

    def locked(self) -> AbstractContextManager[None]:
        """Hold the writers' lock (re-entrant) for allocate-then-append."""

    def recorder(self) -> str:
        """Who the events appended through this store are recorded as (each record's
        recorded_by): the computer's user, or a server's account; "" when unknown. A store this
        account may only read refuses here, before a command does any work."""

    # What a writer looks up under the lock, answered by the store (a database: an index each)
    # rather than by the caller reading every history.
    def next_number(self, series: str, prefix: str) -> int:
        """One more than the highest number in a series (1 for none): series "contract", the
        contract numbers PREFIXdigits; series "notice", the notice ids PREFIXdigits of the
        notice_sent records."""

    def notice_contract(self, notice_id: str) -> str | None:
        """The contract a notice was sent under (None: never sent)."""

    def find_file(self, sha256: str) -> list[Record]:
        """Every record naming a document with this sha256 in data.files."""

    def batch_issued(self, batch_key: str) -> list[Record]:
        """The issued records made under this batch key (data.batch.key), by contract number."""

    def head(self) -> Head | None:
        """The last append as this store last read the register (store.chain); None: empty."""

    def journal(self) -> Journal:
        """Every append in the order made, as stored, for checking the chain (store.chain)."""

    def torn_lines(self) -> list[TornLine]:
        """Unfinished last lines: still in the register, or set aside and not yet dealt with."""

    def set_aside(self) -> list[TornLine]:
        """The torn lines this store copied aside since the last call (for the caller to say)."""

    def put_document(self, sha256: str, content: bytes) -> None:
        """Keep a document's bytes under their sha256 (lowercase hex); nothing happens when they
        are kept already. Raises StoreError when `content` does not hash to `sha256`."""

    def get_document(self, sha256: str) -> bytes | None:
        """The bytes kept under `sha256`; None when the register does not hold them. Raises
        StoreError when the kept bytes no longer hash to `sha256`."""

    def close(self) -> None: ...


@runtime_checkable
class ListsDocuments(Protocol):
    """A store that names every document it keeps, as `check` needs to find those no event names
    (the embedded file register: its documents folder, store.documents, is listed instead)."""

    def kept_documents(self) -> frozenset[str]:
        """The sha256 of every document kept."""


def os_user() -> str:
    """The account running the program; "" when it has no name (a bare container)."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


def check_batch(contract_no: str, expected_seq: int, records: Sequence[Mapping[str, Any]]) -> None:
    """What every backend refuses: an empty batch, another contract's record, a seq gap."""
    if not records:
        raise StoreError("没有要写入的记录")
    for offset, record in enumerate(records, start=1):
        if record.get("contract_no") != contract_no:
            raise StoreError(f"记录的合同编号 {record.get('contract_no')} 与 {contract_no} 不符")
        if record.get("seq") != expected_seq + offset:
            raise StoreError(f"合同 {contract_no} 的记录序号应为 {expected_seq + offset}，"
                             f"实为 {record.get('seq')}")


DATABASE_URL_SCHEMES = ("postgresql://", "postgres://")


def is_database_url(target: object) -> bool:
    """A register on a PostgreSQL server (store.postgres): a postgresql://… or postgres://… URL, or
    libpq's key=value form (`host=db.office dbname=register sslmode=require`, see is_conninfo)."""
    if not isinstance(target, str):
        return False
    text = target.strip()
    return text.lower().startswith(DATABASE_URL_SCHEMES) or is_conninfo(text)


def is_conninfo(text: str) -> bool:
    """Text that libpq reads as key=value connection parameters, every key one of its own
    (`host=… dbname=…`, `service=office`). Anything else is a path: `register.json`,
    `/data/a=b.json` (`/data/a` is no libpq key); a file named like `dbname=x` is given as
    `./dbname=x`. Checked by libpq itself (psycopg's conninfo_to_dict), loaded only for text with
    an "=" in it and no scheme."""
    if "=" not in text or "://" in text:
        return False
    from psycopg import Error
    from psycopg.conninfo import conninfo_to_dict

    try:
        return bool(conninfo_to_dict(text))
    except Error:
        return False


SERIES = ("contract", "notice")


def series_number(value: str, prefix: str) -> int | None:
    """The number of PREFIXdigits, else None."""
    rest = value[len(prefix):] if value.startswith(prefix) else ""
    return int(rest) if rest.isdigit() and rest.isascii() else None


def names_file(record: Mapping[str, Any], sha256: str) -> bool:
    return any(item.get("sha256") == sha256 for item in record.get("data", {}).get("files", ()))


def in_batch(record: Mapping[str, Any], batch_key: str) -> bool:
    return record.get("kind") == "issued" and record.get("data", {}).get("batch", {}).get("key") == batch_key


def sent_notice(record: Mapping[str, Any], notice_id: str) -> bool:
    return record.get("kind") == "notice_sent" and record.get("data", {}).get("notice_id") == notice_id


def check_series(series: str) -> None:
    if series not in SERIES:
        raise ValueError(f"unknown series {series!r}; one of {', '.join(SERIES)}")


def summary_fits(summary: Summary | None, last: Mapping[str, Any] | None) -> bool:
    """Whether `summary` was made from the history whose last record is `last`."""
    if summary is None or last is None:
        return False
    return summary.get("last_seq") == last.get("seq") and summary.get("last_hash") == last.get("hash")


Window = tuple[str, dt.date | None, dt.date | None]  # (span kind, from, to) of Store.summaries
TERM_END = "term_end"  # the span kind of the term last days (contracts.report_spans)
OPEN_FIRST, OPEN_LAST = dt.date.min.isoformat(), dt.date.max.isoformat()  # a span's open ends, as stored


def windows_of(last_day_from: dt.date | None, last_day_to: dt.date | None,
               windows: Sequence[Window] | None) -> list[Window] | None:
    """The windows Store.summaries was asked for (None: every contract)."""
    if last_day_from is not None or last_day_to is not None:
        return [*(windows or ()), (TERM_END, last_day_from, last_day_to)]
    return None if windows is None else list(windows)


def window_bounds(first: dt.date | None, last: dt.date | None) -> tuple[str, str]:
    return (first or dt.date.min).isoformat(), (last or dt.date.max).isoformat()


def summary_spans(summary: Summary) -> list[tuple[str, str, str]]:
    """(kind, first, last) of every span of the summary, the open ends as OPEN_FIRST, OPEN_LAST."""
    spans = summary.get("spans")
    if not isinstance(spans, Mapping):
        return []
    return [(str(kind), str(first or OPEN_FIRST), str(last or OPEN_LAST))
            for kind, found in spans.items() for first, last in found]


def span_text(rows: Iterable[tuple[str, str, str]]) -> str:
    """(kind, first, last) rows as one text, each once, a line "kind first last" in code point
    order: what Store.indexed_spans gives per contract (a text per contract, not a set of tuples:
    a tenth of the memory at 100,000 contracts) and `check` compares."""
    return "\n".join(sorted({f"{kind} {first} {last}" for kind, first, last in rows}))


def summary_span_text(summary: Summary) -> str:
    """The span rows a store indexes the summary by, as span_text."""
    return span_text(summary_spans(summary))


def in_windows(summary: Summary, windows: Sequence[Window]) -> bool:
    """A span of the summary meets one of the windows (ISO dates compare as text)."""
    spans = summary_spans(summary)
    for kind, first, last in windows:
        low, high = window_bounds(first, last)
        if any(k == kind and a <= high and b >= low for k, a, b in spans):
            return True
    return False
