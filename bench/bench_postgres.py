"""Section 5: the register on a PostgreSQL server at 1,000 / 10,000 contracts of five events each.

The same histories as section 4 (bench_register.history: sealed with the project's own
`seal`/`to_record`), loaded with COPY into a database made by `db init` on a throw-away cluster
(tests/pg.py: initdb in a temporary folder, a Unix socket; fsync off, as for the tests, so the
figures are the program's and the server's work, not the disk's). Each record is one append with
the journal chain sealed as `PostgresStore.append` seals it, so `check` walks a valid chain.

Measured like section 4: appends and `show` with the store open, each from a fresh open, the
whole `vipcontract` commands, and `check` and `list` over every contract; the same operations on
the embedded register file of the same histories (bench_register.write_bulk) in the same run, so
that the ratio PostgreSQL / file is taken under the same load. Ratios 10k/1k.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for folder in (ROOT, HERE):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from bench_register import AS_OF, NOW_ISO, contract_no, history, write_bulk  # noqa: E402
from benchlib import BENCH_PROFILE, fmt_ratio, ms, ratio, say, secs  # noqa: E402

COLUMNS = ("position, contract_no, seq, kind, recorded_at, recorded_by, body, chain_prev, chain_hash,"
           " contract_prefix, contract_number, notice_prefix, notice_number")


def load(dsn: str, n: int) -> float:
    """Contracts 1..n into the register at `dsn`, one append per record: seconds."""
    import json

    import psycopg

    from store.chain import FIRST_POSITION, GENESIS, sealed_line
    from store.postgres import PostgresStore

    started = time.perf_counter()
    prev, position = GENESIS, FIRST_POSITION
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        with cur.copy(f"COPY vipcontract.events ({COLUMNS}) FROM STDIN") as copy:
            for i in range(1, n + 1):
                for record in history(i):
                    text = json.dumps(record, ensure_ascii=False)
                    record = json.loads(text)
                    line = sealed_line(position, prev, record["contract_no"], {str(record["seq"]): record})
                    copy.write_row(PostgresStore._row(position, line, record, text))
                    prev, position = line["h"], position + 1
        conn.commit()
        conn.execute("ANALYZE vipcontract.events")
    return time.perf_counter() - started


def _times(fn: Callable[[int], object], repeat: int, warmup: int = 1) -> list[float]:
    for k in range(warmup):
        fn(-1 - k)
    times = []
    for k in range(repeat):
        t = time.perf_counter()
        fn(k)
        times.append(time.perf_counter() - t)
    return times


def measure(url: str, n: int, quick: bool) -> dict[str, Any]:
    """The operations on the register at `url` (a postgresql:// URL or a file) of n contracts."""
    from contracts.dates import SHANGHAI, DeliveryMethod
    from contracts.events import NoticeKind, NoticeSent, seal, to_record
    from service import register as R
    from service.sources import load_profile
    from store import open_store

    profile = load_profile(BENCH_PROFILE)
    now = dt.datetime.fromisoformat(NOW_ISO).astimezone(SHANGHAI)
    rng = random.Random(n)
    repeat, fresh = (10, 3) if quick else (30, 7)
    found: dict[str, Any] = {"n": n}

    def some_contract() -> str:
        return contract_no(rng.randint(1, n))

    t = time.perf_counter()
    store = open_store(url)
    store.history(contract_no(1))  # a file is read on first use
    found["open"] = [time.perf_counter() - t]
    found["show"] = _times(lambda _k: R.show(store, profile, some_contract(), AS_OF), repeat)

    def raw_append(k: int) -> None:
        no = some_contract()
        records = store.history(no)
        body = NoticeSent(f"N-{900000 + k + 10:06d}", NoticeKind.OTHER, DeliveryMethod.EMAIL,
                          records[0]["data"]["customer"]["email"], now)
        store.append(no, len(records), [to_record(seal(no, len(records) + 1, now, body, records[-1]["hash"]))])

    found["append_raw"] = _times(raw_append, repeat)

    def send(_k: int, target: Any = None) -> None:
        R.send_notice(target or store, profile, some_contract(),
                      R.NoticeRequest(NoticeKind.OTHER, DeliveryMethod.EMAIL, now), now=now)

    found["append_service"] = _times(send, repeat)

    def fresh_show(_k: int) -> None:
        target = open_store(url)
        R.show(target, profile, some_contract(), AS_OF)
        target.close()

    def fresh_send(k: int) -> None:
        target = open_store(url)
        send(k, target)
        target.close()

    found["fresh_show"] = _times(fresh_show, fresh)
    found["fresh_append"] = _times(fresh_send, fresh)
    store.close()

    cli = Path(sys.executable).with_name("vipcontract")
    env = {**os.environ, "COLUMNS": "100", "VIPCONTRACT_PROFILE": str(BENCH_PROFILE)}

    def run_cli(*args: str) -> Callable[[int], object]:
        return lambda _k: subprocess.run([str(cli), "--db", url, *args], check=True, capture_output=True, env=env)

    no = contract_no(1)
    found["cli_show"] = _times(run_cli("show", no, "--as-of", AS_OF.isoformat()), 3)
    found["cli_append"] = _times(run_cli("notice", "send", no, "--kind", "other", "--method", "email",
                                         "--on", AS_OF.isoformat()), 3)

    def whole(fn: Callable[[Any], Any]) -> list[float]:
        times = []
        for _ in range(1 if quick else 3):
            target = open_store(url)
            t = time.perf_counter()
            fn(target)
            times.append(time.perf_counter() - t)
            target.close()
        return times

    found["list"] = whole(lambda s: R.list_contracts(s, profile, AS_OF))
    checked: list[Any] = []
    found["check"] = whole(lambda s: checked.append(R.check(s, profile)))
    found["check_ok"] = checked[-1].ok
    return found


def measure_reports(url: str, quick: bool) -> dict[str, Any]:
    """Every report and `list --status` on the PostgreSQL register as the commands run them
    (bench_register.measure_commands: fresh open, the summaries the spans pick, build; wall and
    CPU time). The events loaded with COPY carry no summary: the first read rebuilds and writes
    back every one (timed apart), the commands then read them."""
    from bench_register import measure_commands

    from service.sources import load_profile
    from service.summaries import summary_states
    from store import open_store

    profile = load_profile(BENCH_PROFILE)
    store = open_store(url)
    t, c = time.perf_counter(), time.process_time()
    try:
        for _state in summary_states(store, profile):
            pass
    finally:
        store.close()
    rebuilt = {"seconds": time.perf_counter() - t, "cpu": time.process_time() - c}
    return {"summaries": rebuilt, "commands": measure_commands(url, profile, 1 if quick else 3, lambda: float("inf"))}


def print_reports(sizes: list[int], found: list[dict[str, Any]]) -> None:
    say()
    say("Reports and `list --status` on PostgreSQL (fresh open + the summaries the spans pick + build; wall, "
        "CPU of this process in brackets — the server's own time is in the wall time only):")
    say("| command | " + " | ".join(f"{n:,}" for n in sizes) + " |")
    say("|---|" + "---|" * len(sizes))
    for name in found[0]["commands"]:
        cells = []
        for item in (f["commands"][name] for f in found):
            cells.append(f"{secs(_med(item['times']))} (CPU {secs(_med(item['cpu']))}; {item['rows']:,} rows)")
        say(f"| {name} | " + " | ".join(cells) + " |")
    say("| (every summary rebuilt and written back, once) | " + " | ".join(
        f"{secs(f['summaries']['seconds'])}" for f in found) + " |")


def _med(values: list[float] | None) -> float | None:
    import statistics

    return statistics.median(values) if values else None


ROWS = (
    ("open", "打开（文件：读入；PostgreSQL：连接并核对结构版本）", ms),
    ("append_raw", "追加一条记录：`store.append`（已打开）", ms),
    ("append_service", "追加一条记录：`notice send`（读取、重放、校验、追加；已打开）", ms),
    ("fresh_append", "追加一条记录：新打开 + `notice send`", ms),
    ("cli_append", "`vipcontract notice send`（命令）", ms),
    ("show", "`show` 一份合同（已打开）", ms),
    ("fresh_show", "`show`：新打开 + 查看一份", ms),
    ("cli_show", "`vipcontract show`（命令）", ms),
    ("list", "`list` 全部（新打开）", secs),
    ("check", "`check` 全部（新打开）", secs),
)


def run(work: Path, quick: bool) -> list[dict[str, Any]]:
    from tests.pg import bindir, local_cluster

    say("## 5. The register on PostgreSQL (1,000 / 10,000 contracts × 5 events)")
    if bindir() is None:
        say("PostgreSQL is not installed here (make sysdeps): not measured.")
        return []
    results: list[dict[str, Any]] = []
    reports: list[dict[str, Any]] = []
    with local_cluster() as server:
        from store.postgres import initialise

        for n in (1_000, 10_000):
            name = server.new_database()
            initialise(server.dsn(name))
            loaded = load(server.dsn(name), n)
            results.append({**measure(server.admin_url(name), n, quick), "load_s": loaded})
            reports.append(measure_reports(server.admin_url(name), quick))
            server.drop(name)
            path = work / f"pg-twin-{n}.json"
            write_bulk(path, n, 1)
            results.append(measure(str(path), n, quick))
            path.unlink()
    pg_small, file_small, pg_large, file_large = results
    intact = all(r["check_ok"] for r in results)
    say(f"loaded with COPY in {pg_small['load_s']:.1f} s and {pg_large['load_s']:.1f} s; `check` found every "
        f"register {'intact' if intact else 'BROKEN'}")
    say("| 操作 | 文件 1,000 | PostgreSQL 1,000 | 文件 10,000 | PostgreSQL 10,000 | PostgreSQL 10k/1k | "
        "PostgreSQL/文件 10k |")
    say("|---|---|---|---|---|---|---|")
    for key, label, shown in ROWS:
        a, b, c, d = (_med(r.get(key)) for r in (file_small, pg_small, file_large, pg_large))
        say(f"| {label} | {shown(a)} | {shown(b)} | {shown(c)} | {shown(d)} | {fmt_ratio(ratio(d, b))} | "
            f"{fmt_ratio(ratio(d, c))} |")
    print_reports([1_000, 10_000], reports)
    return results


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory(prefix="vipbench-pg-") as tmp:
        run(Path(tmp), "--quick" in sys.argv)
