"""A store in memory, for tests: the same behaviour as the file store, nothing on disk."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from .base import (
    ConflictError,
    Record,
    Summary,
    TornLine,
    Window,
    check_batch,
    check_series,
    in_batch,
    in_windows,
    names_file,
    os_user,
    sent_notice,
    series_number,
    summary_fits,
    summary_span_text,
    windows_of,
)
from .chain import FIRST_POSITION, GENESIS, Head, Journal, JournalLine, sealed_line
from .documents import check_content, check_name


class MemoryStore:
    def __init__(self) -> None:
        # Records are kept as JSON text: what comes back is what a file would give back.
        self._data: dict[str, list[str]] = {}
        self._order: list[tuple[str, int]] = []  # (contract_no, index) in the order appended
        self._lines: list[str] = []  # the journal: one sealed line per append (store.chain)
        self._summaries: dict[str, str] = {}  # contract_no -> its summary as JSON text (base.Store)
        self._lock = threading.RLock()
        self._documents: dict[str, bytes] = {}

    def append(
        self, contract_no: str, expected_seq: int, records: Sequence[Mapping[str, Any]],
        summary: Summary | None = None,
    ) -> None:
        with self._lock:
            current = self._data.get(contract_no, [])
            if len(current) != expected_seq:
                raise ConflictError(contract_no, expected_seq, len(current))
            check_batch(contract_no, expected_seq, records)
            encoded = [json.dumps(r, ensure_ascii=False) for r in records]
            docs = {str(r["seq"]): json.loads(text) for r, text in zip(records, encoded, strict=True)}
            head = self.head()
            line = sealed_line(FIRST_POSITION + len(self._lines), head.hash if head else GENESIS,
                               contract_no, docs)
            self._lines.append(json.dumps(line, ensure_ascii=False))
            self._data[contract_no] = [*current, *encoded]
            self._order += [(contract_no, len(current) + i) for i in range(len(encoded))]
            if summary is not None:
                self.put_summaries([(contract_no, summary)])

    def summaries(
        self, last_day_from: dt.date | None = None, last_day_to: dt.date | None = None, *,
        windows: Sequence[Window] | None = None,
    ) -> Iterator[tuple[str, Summary | None]]:
        wanted = windows_of(last_day_from, last_day_to, windows)
        for contract_no in self.contract_numbers():
            text = self._summaries.get(contract_no)
            summary = json.loads(text) if text is not None else None
            if not summary_fits(summary, json.loads(self._data[contract_no][-1])):
                yield contract_no, None
            elif summary is not None and (wanted is None or in_windows(summary, wanted)):
                yield contract_no, summary

    def put_summaries(self, items: Iterable[tuple[str, Summary]]) -> None:
        with self._lock:
            for contract_no, summary in items:
                records = self._data.get(contract_no)
                if records and summary_fits(summary, json.loads(records[-1])):
                    self._summaries[contract_no] = json.dumps(summary, ensure_ascii=False)

    def indexed_spans(self) -> Iterator[tuple[str, str]]:
        """The spans of the summaries kept: what `summaries` picks by."""
        for contract_no, summary in self.summaries():
            if summary is not None and (text := summary_span_text(summary)):
                yield contract_no, text

    def history(self, contract_no: str) -> list[Record]:
        return [json.loads(r) for r in self._data.get(contract_no, [])]

    def contract_numbers(self) -> list[str]:
        return sorted(self._data)

    def histories(self) -> Iterator[tuple[str, list[Record]]]:
        for contract_no in self.contract_numbers():
            yield contract_no, self.history(contract_no)

    def histories_of(self, numbers: Iterable[str]) -> Iterator[tuple[str, list[Record]]]:
        for contract_no in sorted(set(numbers)):
            if contract_no in self._data:
                yield contract_no, [json.loads(r) for r in self._data[contract_no]]

    def find(self, kind: str) -> Iterator[Record]:
        for _contract_no, records in self.histories():
            yield from (r for r in records if r.get("kind") == kind)

    def last(self, kind: str) -> Record | None:
        for contract_no, index in reversed(self._order):
            record = json.loads(self._data[contract_no][index])
            if record.get("kind") == kind:
                return record
        return None

    def next_number(self, series: str, prefix: str) -> int:
        check_series(series)
        if series == "contract":
            values = self.contract_numbers()
        else:
            values = [str(r["data"].get("notice_id", "")) for r in self.find("notice_sent")]
        numbers = [n for n in (series_number(v, prefix) for v in values) if n is not None]
        return max(numbers, default=0) + 1

    def notice_contract(self, notice_id: str) -> str | None:
        found = [r for r in self.find("notice_sent") if sent_notice(r, notice_id)]
        return str(found[0]["contract_no"]) if found else None

    def find_file(self, sha256: str) -> list[Record]:
        return [r for _no, records in self.histories() for r in records if names_file(r, sha256)]

    def batch_issued(self, batch_key: str) -> list[Record]:
        return [records[0] for _no, records in self.histories() if records and in_batch(records[0], batch_key)]

    @contextmanager
    def locked(self) -> Iterator[None]:
        with self._lock:
            yield

    def recorder(self) -> str:
        return os_user()

    def head(self) -> Head | None:
        if not self._lines:
            return None
        last = json.loads(self._lines[-1])
        return Head(last["n"], last["h"])

    def journal(self) -> Journal:
        lines = [json.loads(text) for text in self._lines]
        return Journal(2, [JournalLine(FIRST_POSITION + i, line["t"], line["d"], line["p"], line["h"],
                                       line["n"]) for i, line in enumerate(lines)])

    def torn_lines(self) -> list[TornLine]:
        return []

    def set_aside(self) -> list[TornLine]:
        return []

    def put_document(self, sha256: str, content: bytes) -> None:
        check_content(sha256, content)
        with self._lock:
            self._documents.setdefault(sha256, bytes(content))

    def get_document(self, sha256: str) -> bytes | None:
        check_name(sha256)
        return self._documents.get(sha256)

    def kept_documents(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._documents)

    def close(self) -> None:
        pass
