"""Documents kept with the register, and `db copy`: figures and ratios against baselines measured
in the same run (never asserts).

A register of N contracts (bench_register's generator: five records each, two documents named by
the `issued` record) is written in its on-disk format, with documents of a real agreement's size
(PDF 330 KB, DOCX 60 KB) whose sha256 the records name. Then:

1. keeping the 2N documents (`TinyDBStore.put_document`) against writing the same bytes to as
   many files with one fsync each (the least any durable copy costs);
2. `check` with every document kept (each read back and hashed) against `check` of the same
   register without them;
3. `db copy` embedded -> embedded (the documents and 5N appends) against the same appends made
   with `TinyDBStore.append` and the documents written as in 1.

With --postgres, only `db copy` embedded -> PostgreSQL (a database made by `db init` on a throw-away
cluster, tests/pg.py: a Unix socket, fsync off, as for the tests) against `db copy` embedded ->
embedded in the same run, then the copy run again.

`python bench/bench_copy.py [--contracts N] [--quick] [--postgres]` (`make bench-copy`); quick: 200
contracts.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for entry in (str(ROOT), str(HERE)):
    if entry not in sys.path:
        sys.path.insert(0, entry)

import bench_register  # noqa: E402
from benchlib import BENCH_PROFILE, machine_lines, say  # noqa: E402

SIZES = {"pdf": 330 * 1024, "docx": 60 * 1024}


def document_bytes(name: str, fmt: str) -> bytes:
    """Bytes of a document's size, different for every name (hashing and writing them is the cost)."""
    seed = hashlib.sha256(name.encode()).digest()
    size = SIZES[fmt]
    return (seed * (size // len(seed) + 1))[:size]


def with_real_documents() -> None:
    """bench_register's records name documents whose bytes `document_bytes` gives."""
    import contracts.events as events

    original = events.FileHash

    def file_hash(fmt: str, name: str, _sha: str) -> Any:
        return original(fmt, name, hashlib.sha256(document_bytes(name, fmt)).hexdigest())

    events.FileHash = file_hash  # type: ignore[misc,assignment]


def documents_of(path: Path) -> list[tuple[str, bytes]]:
    from store import TinyDBStore

    store = TinyDBStore(path)
    found = [(item["sha256"], document_bytes(item["name"], item["format"]))
             for _no, records in store.histories() for r in records for item in r["data"].get("files", ())]
    store.close()
    return found


def timed(fn: Any) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def plain_writes(folder: Path, documents: list[tuple[str, bytes]]) -> None:
    folder.mkdir()
    for sha, content in documents:
        fd = os.open(folder / sha, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, content)
            os.fsync(fd)
        finally:
            os.close(fd)


def keep_all(path: Path, documents: list[tuple[str, bytes]]) -> None:
    from store import TinyDBStore

    store = TinyDBStore(path)
    for sha, content in documents:
        store.put_document(sha, content)
    store.close()


def run_check(path: Path) -> Any:
    from service import register
    from service.sources import load_profile
    from store import TinyDBStore

    store = TinyDBStore(path)
    try:
        return register.check(store, load_profile(BENCH_PROFILE))
    finally:
        store.close()


def run_copy(source: Path, target: Path | str) -> Any:
    from service.copy import copy_register
    from store import TinyDBStore, open_store

    src, dst = TinyDBStore(source), open_store(target)
    try:
        return copy_register(src, dst)
    finally:
        src.close()
        dst.close()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contracts", type=int, default=None)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--postgres", action="store_true", help="only the copy into PostgreSQL")
    args = parser.parse_args(argv)
    n = args.contracts or (200 if args.quick else 1000)
    with_real_documents()
    for line in machine_lines():
        say(line)
    work = Path(tempfile.mkdtemp(prefix="vipcontract-bench-copy-"))
    try:
        source = work / "register.json"
        bench_register.write_bulk(source, n)
        documents = documents_of(source)
        volume = sum(len(c) for _s, c in documents) / 1e6
        if args.postgres:
            keep_all(source, documents)
            copy_to_postgres(source, work, n, len(documents), volume)
            return
        say(f"\n### Documents kept with the register and `db copy`: {n:,} contracts, {5 * n:,} appends, "
            f"{len(documents):,} documents ({volume:,.0f} MB)\n")
        say("| measurement | time | baseline (same run) | ratio |")
        say("|---|---|---|---|")
        base_docs = timed(lambda: plain_writes(work / "plain", documents))
        keep = timed(lambda: keep_all(source, documents))
        say(f"| keep {len(documents):,} documents (put_document) | {keep:.2f} s | "
            f"write + fsync the same bytes: {base_docs:.2f} s | {keep / base_docs:.2f} |")
        shutil.rmtree(work / "plain")
        with_docs = timed(lambda: run_check(source))
        shelf = source.with_name(source.name + ".documents")
        shelf.rename(work / "shelf-away")
        without = timed(lambda: run_check(source))
        (work / "shelf-away").rename(shelf)
        say(f"| `check`, every document read back and hashed | {with_docs:.2f} s | "
            f"`check` without documents kept: {without:.2f} s | {with_docs / without:.2f} |")
        appends = bench_register.write_by_appends(work / "appended.json", n)
        copied = timed(lambda: run_copy(source, work / "copy.json"))
        result = run_copy(source, work / "copy.json")  # run again: nothing to do
        again = timed(lambda: run_copy(source, work / "copy.json"))
        say(f"| `db copy` embedded -> embedded ({5 * n:,} appends, {len(documents):,} documents) | {copied:.2f} s | "
            f"the same appends {appends:.2f} s + documents {base_docs:.2f} s | {copied / (appends + base_docs):.2f} |")
        say(f"| `db copy` run again (nothing to copy; documents checked) | {again:.2f} s | first copy {copied:.2f} s | "
            f"{again / copied:.2f} |")
        say(f"\nheads equal: {result.head.text()}; appends per second in the copy: {5 * n / copied:,.0f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def copy_to_postgres(source: Path, work: Path, n: int, documents: int, volume: float) -> None:
    """`db copy` of the register at `source` (documents kept) into a new PostgreSQL register."""
    from store.postgres import initialise
    from tests.pg import local_cluster

    say(f"\n### `db copy` into PostgreSQL: {n:,} contracts, {5 * n:,} appends, {documents:,} documents "
        f"({volume:,.0f} MB)\n")
    say("| measurement | time | baseline (same run) | ratio |")
    say("|---|---|---|---|")
    embedded = timed(lambda: run_copy(source, work / "copy.json"))
    with local_cluster() as server:
        database = server.new_database()
        initialise(server.dsn(database))
        url = server.admin_url(database)
        copied = timed(lambda: run_copy(source, url))
        result = run_copy(source, url)  # nothing to do: the documents are found kept
        again = timed(lambda: run_copy(source, url))
    say(f"| `db copy` embedded -> PostgreSQL | {copied:.2f} s | embedded -> embedded {embedded:.2f} s | "
        f"{copied / embedded:.2f} |")
    say(f"| `db copy` into PostgreSQL run again (nothing to copy) | {again:.2f} s | first copy {copied:.2f} s | "
        f"{again / copied:.2f} |")
    say(f"\nheads equal: {result.head.text()}; appends per second into PostgreSQL: {5 * n / copied:,.0f}")


if __name__ == "__main__":
    main(sys.argv[1:])
