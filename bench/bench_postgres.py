"""Section 5: the register on a PostgreSQL server at 1,000 / 10,000 / 100,000 contracts of five events each.

The same histories as section 4 (bench_register.history: sealed with the project's own
`seal`/`to_record`), loaded with COPY into a database made by `db init` on a throw-away cluster
(tests/pg.py: initdb in a temporary folder, a Unix socket; fsync off, as for the tests, so the
figures are the program's and the server's work, not the disk's). Each record is one append with
the journal chain sealed as `PostgresStore.append` seals it, so `check` walks a valid chain.

Measured like section 4: appends and `show` with the store open, each from a fresh open, the
whole `vipcontract` commands; then, each in a process of its own (`whole`), what reads every
contract: `list` (the table as `vipcontract list` prints it), `list --status 即将到期`, every
report (`service.reports.report_from_store` and the terminal table: the path `vipcontract report`
takes) and `check`, each with its wall time, the process's CPU time and peak memory (ru_maxrss), and
the CPU time and peak resident memory (VmHWM, shared buffers it touched included) of the server
process that served it. Each contract's summary is loaded with its records (COPY into the summaries
and their spans, made by contracts.summary from the replayed history as `append` makes it), so that
these measure reading; then, once per size, the summaries are dropped and the first read after that
(`report renewals`, few rows) is measured: the rebuild of every summary (service.summaries: the
histories read in batches, replayed, put back in batches), what an office pays once after `db
upgrade` or after appends by an older program (at 100,000 only when the budget left allows). The
same operations on the embedded register file of the same histories (bench_register.write_bulk)
at 1,000 and 10,000 in the same run, so that the ratio PostgreSQL / file is taken under the same
load (the file at 100,000: section 4). Ratios 100k/1k. Sizes stop when the section's budget
(BUDGET_S) runs out: what was not measured says so.
"""

from __future__ import annotations

import datetime as dt
import json
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
from benchlib import BENCH_PROFILE, fmt_ratio, ms, ratio, say  # noqa: E402

SIZES = (1_000, 10_000, 100_000)
BUDGET_S = 3600.0  # the section's own budget on 2 cores: the 100,000-contract size takes most of it

COLUMNS = ("position, contract_no, seq, kind, recorded_at, recorded_by, body, chain_prev, chain_hash,"
           " contract_prefix, contract_number, notice_prefix, notice_number")


def load(dsn: str, n: int, summaries: bool = True) -> dict[str, float]:
    """Contracts 1..n into the register at `dsn`, one append per record, each contract's summary
    with its records (as `append` keeps it: contracts.summary from the replayed history; with
    `summaries` False, none, as an older program or `db upgrade` leaves a register). Seconds:
    "load_s" the whole load, "summaries_s" the CPU time of making the summaries."""
    from contextlib import ExitStack

    import psycopg

    from store.base import summary_spans
    from store.chain import FIRST_POSITION, GENESIS, sealed_line
    from store.postgres import PostgresStore

    started = time.perf_counter()
    summarizing = 0.0
    prev, position = GENESIS, FIRST_POSITION
    with ExitStack() as stack:
        # a connection per table, each with its COPY open: the rows go out as they are made
        conns = [stack.enter_context(psycopg.connect(dsn)) for _table in range(3 if summaries else 1)]
        copies = [stack.enter_context(conn.cursor().copy(f"COPY vipcontract.{table} FROM STDIN"))
                  for conn, table in zip(conns, (f"events ({COLUMNS})", f"summaries ({SUMMARY_COLUMNS})",
                                                 "summary_spans (contract_no, kind, first_day, last_day)"),
                                         strict=False)]
        for i in range(1, n + 1):
            records = []
            for record in history(i):
                text = json.dumps(record, ensure_ascii=False)
                record = json.loads(text)
                line = sealed_line(position, prev, record["contract_no"], {str(record["seq"]): record})
                copies[0].write_row(PostgresStore._row(position, line, record, text))
                prev, position = line["h"], position + 1
                records.append(record)
            if summaries:
                c = time.process_time()
                summary = summary_of(records)
                summarizing += time.process_time() - c
                copies[1].write_row((summary["contract_no"], summary["last_seq"], summary["last_hash"],
                                     summary["term_last_days"], json.dumps(summary, ensure_ascii=False)))
                for kind, first, last in summary_spans(summary):
                    copies[2].write_row((summary["contract_no"], kind, first, last))
    # (leaving the stack ended the COPYs and committed each connection)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("ANALYZE vipcontract.events")
        conn.execute("ANALYZE vipcontract.summaries")
        conn.execute("ANALYZE vipcontract.summary_spans")
    return {"load_s": time.perf_counter() - started, "summaries_s": summarizing}


SUMMARY_COLUMNS = "contract_no, last_seq, last_hash, term_last_days, body"


def summary_of(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The summary `append` keeps after these records (service.register.summary_after)."""
    from contracts.register import replay
    from contracts.summary import summarize
    from service.register import events_of

    return summarize(replay(events_of(records))).to_dict()


def drop_summaries(dsn: str) -> None:
    """The register as an older program or `db upgrade` leaves it: records without summaries (a
    cache: the table may be emptied; the events refuse it)."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DELETE FROM vipcontract.summary_spans")
        conn.execute("DELETE FROM vipcontract.summaries")
        conn.execute("VACUUM ANALYZE vipcontract.summaries")
        conn.execute("VACUUM ANALYZE vipcontract.summary_spans")


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
    """The operations on one contract of the register at `url` (a postgresql:// URL or a file)
    of n contracts."""
    from contracts.dates import SHANGHAI, DeliveryMethod
    from contracts.events import NoticeKind, NoticeSent, seal, to_record
    from service import register as R
    from service.sources import load_profile
    from store import open_store

    profile = load_profile(BENCH_PROFILE)
    now = dt.datetime.fromisoformat(NOW_ISO).astimezone(SHANGHAI)
    rng = random.Random(n)
    repeat, fresh = (10, 3) if quick or n > 10_000 else (30, 7)
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

    return found


# ---------------------------------------------------------------- whole-register operations, a process each
WHOLE_SCRIPT = r"""
import json, resource, sys, time
sys.path[:0] = [sys.argv[1], sys.argv[1] + "/bench"]
from bench_postgres import whole_operation
print(json.dumps(whole_operation(sys.argv[2], sys.argv[3])))
"""

REPORT_NAMES = ("expiring", "renewals", "amendments", "notices", "deadlines", "receivables")  # service.reports
WHOLE = ("list", "list_expiring", *(f"report_{n}" for n in REPORT_NAMES), "check")
# measured once more after the summaries are dropped (drop_summaries): the first read then rebuilds
# every summary (service.summaries, in batches) and puts them back; a report of few rows, so that
# its time is the rebuild's (`report renewals` from the summaries is in WHOLE, the same run)
FIRST_READ = "first_read"
REBUILD_UP_TO = 10_000  # the rebuild at larger sizes only when REBUILD_S_PER_CONTRACT fits the budget left
REBUILD_S_PER_CONTRACT = 0.006


def whole_operation(url: str, what: str) -> dict[str, Any]:
    """One operation over every contract, in this (fresh) process: wall and CPU seconds, peak
    memory (MB), and what the server process that served it spent (when /proc tells)."""
    import resource

    from contracts.register import Status
    from renderers.report_table import render_text
    from service import register as R
    from service import reports as S
    from service.sources import load_profile
    from store import open_store

    profile = load_profile(BENCH_PROFILE)
    store = open_store(url)
    backend = _backend(store)
    before = _backend_cpu(backend)
    t, c = time.perf_counter(), time.process_time()
    rows: int | None = None
    if what == "check":
        report = R.check(store, profile)
        rows = report.contracts if report.ok else -len(report.problems)
    else:
        if what == FIRST_READ:
            sheet = S.report_from_store(store, profile, "renewals", AS_OF)
        elif what.startswith("list"):
            status = Status.EXPIRING if what == "list_expiring" else None
            sheet = S.register_from_store(store, profile, AS_OF, status=status)
        else:
            sheet = S.report_from_store(store, profile, what.removeprefix("report_"), AS_OF)
        rows = len(sheet.rows)
        with open(os.devnull, "w", encoding="utf-8") as sink:  # what `vipcontract` prints, piped:
            sink.write(render_text(S.for_format(sheet, "table")))  # the terminal's columns
    found = {"wall": time.perf_counter() - t, "cpu": time.process_time() - c, "rows": rows,
             "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    after = _backend_cpu(backend)
    if before is not None and after is not None:
        found["server_cpu"] = after - before
        found["server_peak_mb"] = _backend_peak_mb(backend)
    store.close()
    return found


def _backend(store: Any) -> int | None:
    conn = getattr(store, "_conn", None)  # the bench only: PostgresStore's connection
    return int(conn.info.backend_pid) if conn is not None else None


def _backend_cpu(pid: int | None) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError, TypeError):
        return None


def _backend_peak_mb(pid: int | None) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return None


def whole(url: str, n: int, deadline: float, operations: tuple[str, ...] = WHOLE) -> dict[str, Any]:
    """Every operation of `operations`, each in a process of its own, until `deadline` (monotonic)."""
    found: dict[str, Any] = {}
    for what in operations:
        if time.monotonic() > deadline:
            found[what] = {"error": "budget"}
            continue
        try:
            out = subprocess.run([sys.executable, "-c", WHOLE_SCRIPT, str(ROOT), url, what], check=True,
                                 capture_output=True, text=True, cwd=ROOT,
                                 timeout=max(30.0, deadline - time.monotonic() + 60))
            found[what] = json.loads(out.stdout.strip().splitlines()[-1])
        except (subprocess.SubprocessError, OSError, ValueError) as exc:
            found[what] = {"error": type(exc).__name__}
    return found


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
)
WHOLE_LABELS = {
    "list": "`list` 全部（表格）",
    "list_expiring": "`list --status 即将到期`",
    "report_expiring": "`report expiring`", "report_renewals": "`report renewals`",
    "report_amendments": "`report amendments`", "report_notices": "`report notices`",
    "report_deadlines": "`report deadlines`", "report_receivables": "`report receivables`",
    "check": "`check` 全部",
    FIRST_READ: "装入记录而无摘要后的第一次读取（`report renewals`：分批读历史、重放、写回全部摘要）",
}


def _whole_cell(item: dict[str, Any] | None) -> str:
    if not item:
        return "—"
    if "error" in item:
        return f"未测（{'预算用完' if item['error'] == 'budget' else item['error']}）"
    text = f"{item['wall']:.2f} s（CPU {item['cpu']:.2f} s，{item['peak_mb']:.0f} MB"
    if item.get("server_cpu") is not None:
        peak = item.get("server_peak_mb")
        text += f"；服务器 CPU {item['server_cpu']:.2f} s" + (f"，{peak:.0f} MB" if peak else "")
    return text + "）"


def run(work: Path, quick: bool, budget: float = BUDGET_S, sizes: tuple[int, ...] | None = None,
        twins: bool = True) -> list[dict[str, Any]]:
    from tests.pg import bindir, local_cluster

    sizes = sizes or (SIZES[:2] if quick else SIZES)
    say(f"## 5. The register on PostgreSQL ({' / '.join(f'{n:,}' for n in sizes)} contracts × 5 events)")
    if bindir() is None:
        say("PostgreSQL is not installed here (make sysdeps): not measured.")
        return []
    started = time.monotonic()
    deadline = started + budget
    pg: dict[int, dict[str, Any]] = {}
    files: dict[int, dict[str, Any]] = {}
    with local_cluster() as server:
        from store.postgres import initialise

        for n in sizes:
            if time.monotonic() > deadline:
                say(f"{n:,}: not measured (the section's budget of {budget:.0f} s ran out)")
                continue
            name = server.new_database()
            initialise(server.dsn(name))
            loaded = load(server.dsn(name), n)
            url = server.admin_url(name)
            pg[n] = {**measure(url, n, quick), **loaded, "whole": whole(url, n, deadline)}
            left = deadline - time.monotonic()
            if n <= REBUILD_UP_TO or left > n * REBUILD_S_PER_CONTRACT:
                drop_summaries(server.dsn(name))
                pg[n]["whole"].update(whole(url, n, deadline, (FIRST_READ,)))
            else:
                pg[n]["whole"][FIRST_READ] = {"error": "budget"}
            _progress(f"PostgreSQL {n:,}", pg[n])
            server.drop(name)
            if twins and n <= 10_000:
                path = work / f"pg-twin-{n}.json"
                write_bulk(path, n, 1)
                files[n] = {**measure(str(path), n, quick), "whole": whole(str(path), n, deadline)}
                _progress(f"file {n:,}", files[n])
                path.unlink()
    report(pg, files, time.monotonic() - started)
    return [*pg.values(), *files.values()]


def _progress(what: str, found: dict[str, Any]) -> None:
    """A size's figures as soon as it is measured (a run stopped later keeps them)."""
    print(f"{what}: " + "; ".join(f"{key} {_med(found.get(key)) or 0:.4f} s" for key, _label, _shown in ROWS)
          + "; " + "; ".join(f"{key} {_whole_cell(item)}" for key, item in found["whole"].items()), flush=True)


def report(pg: dict[int, dict[str, Any]], files: dict[int, dict[str, Any]], seconds: float) -> None:
    from benchlib import FIG

    loads = ", ".join(f"{r['load_s']:.1f} s ({n:,}; the summaries' CPU {r['summaries_s']:.1f} s)"
                      for n, r in pg.items())
    say(f"loaded with COPY, records and summaries, in {loads}; "
        f"the section took {seconds:.0f} s")
    checks = {n: r["whole"].get("check", {}).get("rows") for n, r in [*pg.items(), *files.items()]}
    say(f"`check` found every register {'intact' if all(v and v > 0 for v in checks.values()) else 'BROKEN'}")
    sizes = sorted(pg)
    big, small = (sizes[-1], sizes[0]) if sizes else (0, 0)
    head = " | ".join([*(f"文件 {n:,}" for n in sorted(files)), *(f"PostgreSQL {n:,}" for n in sizes)])
    say(f"| 操作 | {head} | PostgreSQL {big:,}/{small:,} |")
    say("|---|" + "---|" * (len(files) + len(sizes) + 1))
    for key, label, shown in ROWS:
        cells = [shown(_med(files[n].get(key))) for n in sorted(files)] + [shown(_med(pg[n].get(key))) for n in sizes]
        change = ratio(_med(pg[big].get(key)), _med(pg[small].get(key))) if sizes else None
        say(f"| {label} | {' | '.join(cells)} | {fmt_ratio(change)} |")
    for key, label in WHOLE_LABELS.items():
        cells = [_whole_cell(files[n]["whole"].get(key)) for n in sorted(files)] + \
            [_whole_cell(pg[n]["whole"].get(key)) for n in sizes]
        walls = [pg[n]["whole"].get(key, {}).get("wall") for n in (big, small)] if sizes else [None, None]
        say(f"| {label} | {' | '.join(cells)} | {fmt_ratio(ratio(*walls))} |")
    for n in sizes:
        for key in ("list", "list_expiring", *(k for k in WHOLE if k.startswith("report_")), "check", FIRST_READ):
            item = pg[n]["whole"].get(key, {})
            if "wall" in item:
                FIG[f"pg_{key}_{n}"] = item["wall"]
                FIG[f"pg_{key}_{n}_peak_mb"] = item["peak_mb"]
        for key in ("append_raw", "fresh_show", "fresh_append"):
            FIG[f"pg_{key}_{n}"] = _med(pg[n].get(key))


if __name__ == "__main__":
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description="section 5 of `make bench` alone")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sizes", help="e.g. 1000,100000 (default: 1,000 / 10,000 / 100,000)")
    parser.add_argument("--no-file", action="store_true", help="without the embedded register of the same histories")
    parser.add_argument("--budget", type=float, default=BUDGET_S)
    args = parser.parse_args()
    chosen = tuple(int(x) for x in args.sizes.split(",")) if args.sizes else None
    with tempfile.TemporaryDirectory(prefix="vipbench-pg-") as tmp:
        run(Path(tmp), args.quick, args.budget, chosen, not args.no_file)
