"""Section 4: the register at 1,000 / 10,000 / 100,000 contracts of five events each.

The store file is generated in its on-disk format (store/tinydb_store.py: a header line, then one
JSON line per append, `{"t": contract_no, "d": {"seq": record}, "n", "p", "h"}`) from records sealed with the
project's own `contracts.events.seal` / `to_record` and serialised with orjson as the store does.
Building 500,000 events through fsync'ed appends would take minutes; at the smallest size the
register is also built through `TinyDBStore.append` (one fsync'ed append per event) and the two
files are compared byte for byte, which shows the bulk file is exactly what appends would write.

The register of each size is built once (the journal written directly, then every contract's
summary put into the sidecar index by the readers' own path, service/summaries.py) and kept in
bench/.cache keyed by CACHE_VERSION; each run copies it in.

Each size runs in its own process (`python bench/bench_register.py --child N FILE BUDGET`) so that
its peak memory is its own and a size that runs too long can be stopped; the child prints one JSON
line per measurement and the parent (section 4 of bench/run.py) prints the tables.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from benchlib import BENCH_PROFILE, FIG, Load, customer_fields, ms, ratio, say, secs  # noqa: E402

NOW_ISO = "2026-11-01T10:00:00+08:00"
AS_OF = dt.date(2026, 11, 1)
FIRST_ISSUE = dt.date(2021, 6, 1)
KINDS = ("issued", "signed", "amended", "notice_sent", "notice_delivered")
REPORT_NAMES = ("expiring", "renewals", "amendments", "notices", "deadlines")


# ---------------------------------------------------------------- the generator
def contract_no(i: int) -> str:
    return f"VIP-{issue_date(i).year}-{i:06d}"


def issue_date(i: int) -> dt.date:
    """Issue dates spread over 2021-06 .. 2026-09, so that on 2026-11-01 some contracts have
    expired, some are expiring, most are active."""
    return FIRST_ISSUE + dt.timedelta(days=(i * 7) % 1920)


# The registers the bench builds (five events per contract in each):
# - "office" (the default): what an office's register looks like. Every contract is issued and
#   signed; 10% have a 补充协议 (i % 10 == 3: the annual fee up by 1,000 from day 40), 20% a notice
#   sent and delivered (i % 5 == 1), and the remaining events are payments of the service years due
#   by AS_OF, each made on or up to 5 days before the due date of the first year it pays, allocated
#   oldest year first by contracts.payments.allocate (as `pay` does): several years at once when
#   there are more years due than payments, one year in instalments when fewer. About 8% are in
#   arrears (i % 12 == 7): their last year due is unpaid (of a single year due, half is paid),
#   and their notice, if any, is a payment reminder sent after that year fell due.
# - "worst": every contract has a 补充协议 and a notice and no payment, so every contract in force
#   is overdue and every report has to look at nearly every contract (the adversarial case).
REGISTERS = ("office", "worst")
WORST_SIZE = 10_000  # the adversarial register is measured at this size in `make bench`
ARREARS_EVERY, ARREARS_AT = 12, 7


def is_amended(i: int) -> bool:
    return i % 10 == 3


def is_noticed(i: int) -> bool:
    return i % 5 == 1


def in_arrears(i: int) -> bool:
    return i % ARREARS_EVERY == ARREARS_AT


def history(i: int, register: str = "office") -> list[dict[str, Any]]:
    """The five sealed records of contract `i` in `register` (see REGISTERS), with a valid hash
    chain, in the order of their dates."""
    return sealed(i, bodies(i, register))


def bodies(i: int, register: str = "office") -> list[Any]:
    """The event bodies of contract `i` in `register`, in the order of their dates."""
    return _worst_bodies(i) if register == "worst" else _office_bodies(i)


def _customer(i: int) -> Any:
    from contracts.customer import Customer, CustomerType

    corporate = i % 5 == 0
    fields = customer_fields(i, corporate)
    kind = CustomerType.CORPORATE if corporate else CustomerType.INDIVIDUAL
    extra = ({"credit_code": fields["credit_code"], "legal_representative": fields["legal_representative"],
              "contact_person": fields["contact_person"]} if corporate else {"id_number": fields["id_number"]})
    return Customer(kind, fields["name"], fields["phone"], fields["address"], fields["email"], **extra), \
        Decimal(fields["annual_fee"]).quantize(Decimal("0.01"))


def _issued_signed(i: int) -> list[Any]:
    from contracts.events import FileHash, Issued, Signed, TermCounting

    no = contract_no(i)
    customer, fee = _customer(i)
    issued_on = issue_date(i)
    signed_on = issued_on + dt.timedelta(days=5)
    return [
        Issued(issued_on, customer, fee, 5, TermCounting.EFFECTIVE_DAY_COUNTED, 15, 3, None,
               (FileHash("docx", f"{no}.docx", f"{i:064x}"), FileHash("pdf", f"{no}.pdf", f"{i + 1:064x}")),
               {"key": "bench", "source": "bench.xlsx", "sheet": "", "row": str(i + 1)}),
        Signed(signed_on, signed_on),
    ]


def _amended(i: int) -> Any:
    from contracts.events import Amended, Change

    no, fee, issued_on = contract_no(i), _customer(i)[1], issue_date(i)
    return Amended(f"{no}-B1", issued_on + dt.timedelta(days=30), issued_on + dt.timedelta(days=40),
                   (Change("annual_fee", format(fee, "f"), format(fee + 1000, "f")),))


def _notice(i: int, kind: Any, sent_on: dt.date) -> list[Any]:
    from contracts.dates import SHANGHAI, DeliveryMethod
    from contracts.events import NoticeDelivered, NoticeSent

    address = _customer(i)[0].address
    return [NoticeSent(f"N-{i:06d}", kind, DeliveryMethod.COURIER, address,
                       dt.datetime.combine(sent_on, dt.time(9), SHANGHAI)),
            NoticeDelivered(f"N-{i:06d}", sent_on + dt.timedelta(days=2))]


def _worst_bodies(i: int) -> list[Any]:
    from contracts.events import NoticeKind

    issued_on = issue_date(i)
    return [*_issued_signed(i), _amended(i),
            *_notice(i, NoticeKind.PAYMENT_REMINDER, issued_on + dt.timedelta(days=50))]


_PROFILE: list[Any] = []


def _bench_profile() -> Any:
    if not _PROFILE:
        from service.sources import load_profile

        _PROFILE.append(load_profile(BENCH_PROFILE))
    return _PROFILE[0]


def _office_bodies(i: int) -> list[Any]:
    from contracts.events import NoticeKind
    from contracts.register import replay, service_schedule

    rng = random.Random(i)
    bodies = _issued_signed(i)
    if is_amended(i):
        bodies.append(_amended(i))
    # the fees and due dates as the register works them out (the amendment changes the fee)
    schedule = service_schedule(replay(_sealed_events(i, bodies), _bench_profile()), _bench_profile())
    due = [d for d in schedule if d.due_on <= AS_OF] or schedule[:1]
    arrears = in_arrears(i)
    pieces = [(d.service_year, d.due_on, d.amount) for d in (due[:-1] if arrears and len(due) > 1 else due)]
    if arrears and len(due) == 1:
        pieces = [(1, due[0].due_on, (due[0].amount / 2).quantize(Decimal("0.01")))]
    slots = 5 - len(bodies) - (2 if is_noticed(i) else 0)
    while len(pieces) < slots:  # instalments: the largest part split in two
        at = max(range(len(pieces)), key=lambda k: pieces[k][2])
        year, day, amount = pieces[at]
        half = (amount / 2).quantize(Decimal("0.01"))
        pieces[at:at + 1] = [(year, day - dt.timedelta(days=10), half), (year, day, amount - half)]
    groups = [pieces[k * len(pieces) // slots:(k + 1) * len(pieces) // slots] for k in range(slots)]
    # a year after the first is paid once its fee is known: after the 补充协议 that changed it
    known = bodies[2].signed_on if is_amended(i) else bodies[1].signed_on
    bodies += _payments(schedule, groups, bodies[1].signed_on, known, rng)
    if is_noticed(i):
        if arrears:  # a reminder after the unpaid year fell due
            sent = min(due[-1].due_on + dt.timedelta(days=10), AS_OF - dt.timedelta(days=3))
            bodies += _notice(i, NoticeKind.PAYMENT_REMINDER, sent)
        else:
            bodies += _notice(i, NoticeKind.OTHER, issue_date(i) + dt.timedelta(days=50))
    return sorted(bodies, key=_body_day)  # stable: issued, signed first


def _payments(schedule: list[Any], groups: list[list[tuple[int, dt.date, Decimal]]], signed_on: dt.date,
              fees_known: dt.date, rng: random.Random) -> list[Any]:
    from contracts.events import Allocation, Paid
    from contracts.payments import allocate

    owed = {d.service_year: d.amount for d in schedule}
    out, last = [], signed_on
    for group in groups:
        amount = sum((a for _year, _day, a in group), Decimal("0.00"))
        day = max(last, group[0][1] - dt.timedelta(days=rng.randint(0, 5)))
        if any(year > 1 for year, _day, _a in group):
            day = max(day, fees_known)
        day = min(day, AS_OF)
        parts = allocate(amount, [(y, left) for y, left in owed.items() if left > 0])
        assert all(y for y, _a in parts), (schedule[0], amount)
        for year, part in parts:
            owed[year] -= part
        out.append(Paid(day, amount, tuple(Allocation(y, a) for y, a in parts), reference=f"B{len(out) + 1}"))
        last = day
    return out


def _body_day(body: Any) -> dt.date:
    for name in ("issued_on", "signed_on", "on"):
        value = getattr(body, name, None)
        if isinstance(value, dt.date):
            return value
    return body.sent_at.date()  # type: ignore[no-any-return]


def _sealed_events(i: int, bodies: list[Any]) -> list[Any]:
    from contracts.dates import SHANGHAI
    from contracts.events import GENESIS, seal

    no, now = contract_no(i), dt.datetime.fromisoformat(NOW_ISO).astimezone(SHANGHAI)
    events, prev = [], GENESIS
    for seq, body in enumerate(bodies, start=1):
        event = seal(no, seq, now, body, prev)
        events.append(event)
        prev = event.hash
    return events


def sealed(i: int, bodies: list[Any]) -> list[dict[str, Any]]:
    """The records of contract `i` with these bodies, in this order, sealed in a chain."""
    from contracts.events import to_record

    return [to_record(event) for event in _sealed_events(i, bodies)]


def store_line(record: dict[str, Any]) -> bytes:
    """One append of one record, as store.tinydb_store.JournalStorage writes it but for the chain
    over the journal, which `write_bulk` adds when it puts the lines in their order."""
    import orjson

    return orjson.dumps({"t": record["contract_no"], "d": {str(record["seq"]): record}}) + b"\n"


def _write_phases(path: Path, first: int, last: int, chunk: int, register: str = "office") -> float:
    """Contracts first..last into one file per phase (`path.phaseK.chunkC`): seconds sealing."""
    seal_s = 0.0
    handles = [open(_phase_file(path, k, chunk), "wb") for k in range(len(KINDS))]  # noqa: SIM115
    try:
        for i in range(first, last + 1):
            t = time.perf_counter()
            records = history(i, register)
            seal_s += time.perf_counter() - t
            for handle, record in zip(handles, records, strict=True):
                handle.write(store_line(record))
    finally:
        for handle in handles:
            handle.close()
    return seal_s


def _phase_file(path: Path, phase: int, chunk: int) -> Path:
    return path.with_name(f"{path.name}.phase{phase}.chunk{chunk:03d}")


def write_bulk(path: Path, n: int, workers: int = 1, register: str = "office") -> tuple[float, float]:
    """The register file of n contracts, written directly: (seconds sealing and serialising, in
    all the worker processes; wall seconds of the whole build).

    Lines are in the order a register filled over time has them: every contract's `issued`, then
    every `signed`, ... so a contract's lines are spread over the file. Contracts are sealed in
    `workers` processes, each writing its range's lines to one file per phase; the files are then
    concatenated in phase order, which gives the same bytes as one process writing them in turn."""
    import orjson

    from store.chain import GENESIS as GENESIS_LINE
    from store.chain import sealed_line
    from store.tinydb_store import HEADER

    started = time.perf_counter()
    chunks = max(1, min(workers, n // 1000 or 1))
    bounds = [(1 + c * n // chunks, (c + 1) * n // chunks, c) for c in range(chunks)]
    if chunks == 1:
        seal_s = _write_phases(path, *bounds[0], register)
    else:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=chunks) as pool:
            seal_s = sum(pool.map(_write_phases, [path] * chunks, *zip(*bounds, strict=True),
                                  [register] * chunks))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(orjson.dumps(HEADER) + b"\n")
        position, prev = 1, GENESIS_LINE
        for phase in range(len(KINDS)):
            for _first, _last, chunk in bounds:
                part = _phase_file(path, phase, chunk)
                with open(part, "rb") as src:
                    for line in src:  # the chain over the journal runs in file order
                        entry = orjson.loads(line)
                        position += 1
                        sealed = sealed_line(position, prev, entry["t"], entry["d"])
                        out.write(orjson.dumps(sealed) + b"\n")
                        prev = sealed["h"]
                part.unlink()
        out.flush()
        os.fsync(out.fileno())
    return seal_s, time.perf_counter() - started


# The registers at each size are built once and kept in bench/.cache (journal and sidecar index,
# with every contract's summary), keyed by this version: change it when the generator, the
# journal's format or the summaries change.
CACHE_VERSION = 3
CACHE = HERE / ".cache"


def cached_register(n: int, workers: int, register: str = "office") -> tuple[Path, dict[str, Any] | None]:
    """The cached register of n contracts (built now if missing: then also how long it took). The
    journal is kept while CACHE_VERSION holds; the sidecar with the summaries while the summary
    version and the sidecar's schema hold (else it is built again from the cached journal)."""
    from contracts.summary import SUMMARY_VERSION
    from store.sidecar import SCHEMA, sidecar_path

    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"register-v{CACHE_VERSION}-{register}-{n}.json"
    journal_done = path.with_name(path.name + ".done")
    done = path.with_name(f"{path.name}.summaries-{SUMMARY_VERSION}-{SCHEMA}.done")
    if done.exists() and journal_done.exists() and path.exists():
        return path, None
    built: dict[str, Any] = {"seal_s": 0.0, "wall_s": 0.0, "workers": workers}
    if not (journal_done.exists() and path.exists()):
        for old in CACHE.glob(f"register-v*-{n}.json*"):
            # this register's, or one from before the registers had names
            if f"-{register}-" in old.name or old.name.count("-") == 2:
                old.unlink()
        built["seal_s"], built["wall_s"] = write_bulk(path, n, workers, register)
        journal_done.write_text("ok")
    for old in [*path.parent.glob(f"{path.name}.summaries-*"), *path.parent.glob(f"{sidecar_path(path).name}*")]:
        old.unlink()
    t = time.perf_counter()
    built["summaries_s"] = summarize_all(path)
    built["index_s"] = time.perf_counter() - t
    done.write_text("ok")
    return path, built


def summarize_all(path: Path) -> float:
    """Every contract's summary put into the sidecar (the fast path: the journal written directly
    holds none; a reader would rebuild them on first use, as this does). Seconds spent."""
    from service.sources import load_profile
    from service.summaries import summary_states
    from store import open_store

    t = time.perf_counter()
    store = open_store(path)
    try:
        for _state in summary_states(store, load_profile(BENCH_PROFILE)):
            pass
    finally:
        store.close()
    return time.perf_counter() - t


def place_register(n: int, path: Path, workers: int, register: str = "office") -> dict[str, Any]:
    """A copy of the cached register at `path`, its sidecar told the copy's device and inode (the
    bytes are the cache's own: what `sync` would otherwise check line by line and rebuild)."""
    import shutil
    import sqlite3

    from store.sidecar import sidecar_path

    cached, built = cached_register(n, workers, register)
    t = time.perf_counter()
    shutil.copyfile(cached, path)
    shutil.copyfile(sidecar_path(cached), sidecar_path(path))
    st = path.stat()
    with sqlite3.connect(sidecar_path(path)) as db:
        db.executemany("UPDATE meta SET value = ? WHERE key = ?", [(st.st_dev, "dev"), (st.st_ino, "ino")])
    db.close()
    return {"built": built, "copy_s": time.perf_counter() - t, "file_mb": st.st_size / 1e6, "events": 5 * n,
            "index_mb": sidecar_path(path).stat().st_size / 1e6}


def write_by_appends(path: Path, n: int) -> float:
    """The same register through the store interface: one fsync'ed append per event."""
    from store import open_store

    all_records = [history(i) for i in range(1, n + 1)]
    store = open_store(path)
    t = time.perf_counter()
    try:
        for phase in range(len(KINDS)):
            for records in all_records:
                store.append(records[0]["contract_no"], phase, [records[phase]])
    finally:
        store.close()
    return time.perf_counter() - t


# ---------------------------------------------------------------- the child process (one size)
def _emit(key: str, value: Any) -> None:
    print(json.dumps({"key": key, "value": value}, ensure_ascii=False), flush=True)


_PEAK = [0.0]  # the highest peak seen before the last reset


def _reset_peak() -> bool:
    """Reset the process's peak RSS (Linux: /proc/self/clear_refs, value 5), keeping the overall one."""
    _PEAK[0] = max(_PEAK[0], _rss_mb()[1] or 0.0)
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _rss_mb() -> tuple[float | None, float | None]:
    """(current RSS, peak RSS since the last reset) in MB."""
    cur = peak = None
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                cur = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1]) / 1024
    except OSError:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return cur, peak


def _times(fn: Callable[[int], object], repeat: int, warmup: int = 0) -> list[float]:
    for k in range(warmup):
        fn(-1 - k)
    out = []
    for k in range(repeat):
        t = time.perf_counter()
        fn(k)
        out.append(time.perf_counter() - t)
    return out


def report_builder() -> tuple[Callable[..., Any] | None, tuple[str, ...], str]:
    """service.reports.build_report(name, states, as_of, profile), when it exists."""
    try:
        from service import reports
    except ImportError as exc:
        return None, (), f"service.reports not importable ({exc})"
    build = getattr(reports, "build_report", None)
    if not callable(build):
        return None, (), "service.reports has no build_report"
    names = getattr(reports, "REPORT_NAMES", None) or getattr(reports, "REPORTS", None) or REPORT_NAMES
    if isinstance(names, dict):
        names = tuple(names)
    return build, tuple(str(n) for n in names), ""


def measure_commands(path: Path, profile: Any, whole: int, left: Callable[[], float],
                     only: tuple[str, ...] = ()) -> dict[str, Any]:
    """What `vipcontract report NAME` and `list --status` do after their imports: open, read, build
    (wall and process CPU time, and the rows); `only`: these commands alone."""
    from service import reports as S
    from store import open_store

    commands: dict[str, Any] = {}
    for name in (*S.REPORT_NAMES, "list --status 即将到期", "list --status 履行中"):
        if only and name not in only:
            continue
        if left() < 10:
            commands[name] = {"error": "time cap"}
            continue
        if name.startswith("list"):
            from contracts.register import Status

            wanted = Status.EXPIRING if name.endswith("即将到期") else Status.ACTIVE
            def build_it(s: Any, w: Any = wanted) -> Any:
                return S.register_from_store(s, profile, AS_OF, status=w)
        else:
            def build_it(s: Any, k: str = name) -> Any:
                return S.report_from_store(s, profile, k, AS_OF)
        times, cpu, rows = [], [], None
        for _ in range(whole):
            target = open_store(path)
            t, c = time.perf_counter(), time.process_time()
            out = build_it(target)
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
            rows = len(out.rows)
            target.close()
        commands[name] = {"times": times, "cpu": cpu, "rows": rows}
        if name in RENDERED and left() > 20:
            commands[name]["render"] = measure_render(out)
    return commands


# The two commands whose output is nearly every contract: their output is timed too, in each
# format the command prints or writes without --out (the terminal table piped, as 80 columns)
RENDERED = ("deadlines", "list --status 履行中")
RENDER_FORMATS = ("table", "csv", "json")


def measure_render(report: Any) -> dict[str, Any]:
    """(wall, CPU) seconds of service.reports.render in each RENDER_FORMATS (the CLI's own call)."""
    from service import reports as S

    found: dict[str, Any] = {}
    for fmt in RENDER_FORMATS:
        t, c = time.perf_counter(), time.process_time()
        size = len(S.render(report, fmt))
        found[fmt] = {"wall": time.perf_counter() - t, "cpu": time.process_time() - c, "bytes": size}
    return found


def child(n: int, path: Path, budget: float, smallest: bool, quick: bool,  # noqa: PLR0915
          register: str = "office") -> None:
    from contracts.dates import SHANGHAI, DeliveryMethod
    from contracts.events import NoticeKind, NoticeSent, seal, to_record
    from service import register as R
    from service.reports import load_states
    from service.sources import load_profile
    from store import open_store

    started = time.monotonic()
    profile = load_profile(BENCH_PROFILE)
    now = dt.datetime.fromisoformat(NOW_ISO).astimezone(SHANGHAI)
    rng = random.Random(n)
    big = n >= 50_000
    repeat = 10 if quick else (20 if big else 50)  # in-process operations (milliseconds)
    fresh = 3 if (quick or big) else 7  # operations that open the store afresh
    whole = 1 if big else 3  # list / check / reports over every contract

    def left() -> float:
        return budget - (time.monotonic() - started)

    def some_contract() -> str:
        return contract_no(rng.randint(1, n))

    _reset_peak()
    workers = os.cpu_count() or 1
    _emit("build", place_register(n, path, workers, register))
    if register != "office":  # the adversarial register: the reports and `list --status` only
        _emit("commands", measure_commands(path, profile, whole, left))
        _emit("done", {"seconds": time.monotonic() - started, "peak_mb": max(_PEAK[0], _rss_mb()[1] or 0.0)})
        return
    if smallest:
        twin = path.with_name(path.name + ".appended")
        seconds = write_by_appends(twin, n)
        single = path.with_name(path.name + ".single")
        write_bulk(single, n, 1)
        _emit("appended_build", {"seconds": seconds, "events": 5 * n,
                                 "identical": twin.read_bytes() == path.read_bytes() == single.read_bytes()})
        for extra in (twin, single):
            extra.unlink()
            Path(f"{extra}.lock").unlink(missing_ok=True)

    # fresh open: everything a command does after its imports
    def fresh_show(_k: int) -> None:
        store = open_store(path)
        R.show(store, profile, some_contract(), AS_OF)
        store.close()

    gc.collect()
    _reset_peak()
    t = time.perf_counter()
    store = open_store(path)
    store.history(contract_no(1))
    open_s = time.perf_counter() - t
    _emit("open", {"seconds": open_s, "rss_mb": _rss_mb()[0]})
    _emit("fresh_show", _times(fresh_show, fresh))

    # with the store open
    _times(lambda _k: R.show(store, profile, some_contract(), AS_OF), 3)
    _emit("show", _times(lambda _k: R.show(store, profile, some_contract(), AS_OF), repeat))

    def raw_append(k: int) -> None:
        no = some_contract()
        records = store.history(no)
        body = NoticeSent(f"N-{900000 + k:06d}", NoticeKind.OTHER, DeliveryMethod.EMAIL,
                          records[0]["data"]["customer"]["email"], now)
        event = seal(no, len(records) + 1, now, body, records[-1]["hash"])
        store.append(no, len(records), [to_record(event)])

    _emit("append_raw", _times(raw_append, repeat))

    def send(_k: int, target: Any = None) -> None:
        R.send_notice(target or store, profile, some_contract(),
                      R.NoticeRequest(NoticeKind.OTHER, DeliveryMethod.EMAIL, now), now=now)

    _emit("append_service", _times(send, repeat))

    def pay(_k: int) -> None:
        from decimal import Decimal

        from contracts.commands import PaymentRequest
        from service.payments import pay as record_payment

        # a contract in arrears: one paid up has nothing a payment could go to
        owing = contract_no(rng.randrange(ARREARS_AT, n + 1, ARREARS_EVERY))
        record_payment(store, profile, owing, PaymentRequest(AS_OF, Decimal("100")), now=now)

    _emit("append_pay", _times(pay, repeat))

    def fresh_send(k: int) -> None:
        target = open_store(path)
        send(k, target)
        target.close()

    _emit("fresh_append", _times(fresh_send, fresh))
    store.close()
    store = None  # its tables are freed before the measurements over every contract
    gc.collect()

    cli = Path(sys.executable).with_name("vipcontract")
    if cli.exists() and not big and left() > 20:
        def run_cli(*args: str) -> Callable[[int], object]:
            def go(_k: int) -> None:
                subprocess.run([str(cli), "--db", str(path), *args], check=True, capture_output=True,
                               env={**os.environ, "COLUMNS": "100"})
            return go

        no = contract_no(1)
        _emit("cli_show", _times(run_cli("show", no, "--as-of", AS_OF.isoformat()), 3))
        _emit("cli_append", _times(run_cli("notice", "send", no, "--kind", "other", "--method", "email",
                                           "--on", AS_OF.isoformat()), 3))
    elif big:
        _emit("note", "the `vipcontract` commands are not run at this size (the fresh-open rows give their cost "
                      "beyond the imports)")
    else:
        _emit("skipped", "cli")

    # over every contract, each from a fresh open (what `list`, `check`, `report` do)
    def whole_run(key: str, fn: Callable[[Any], Any], count: int, expected: float) -> Any:
        """`expected`: the step's likely seconds, as a multiple of the first open's time."""
        if left() < max(5.0, expected):
            _emit("skipped", key)
            return None
        gc.collect()
        _reset_peak()
        times, result = [], None
        for _ in range(count):
            target = open_store(path)
            t = time.perf_counter()
            result = fn(target)
            times.append(time.perf_counter() - t)
            target.close()
            del target
            if left() < 5:
                break
        _emit(key, {"times": times, "peak_mb": _rss_mb()[1]})
        return result

    from service import reports as S

    sheet = whole_run("list", lambda s: S.register_from_store(s, profile, AS_OF), whole, n / 5000)
    if sheet is not None:
        statuses: dict[str, int] = {}
        for item in sheet.rows:
            statuses[item["status"]] = statuses.get(item["status"], 0) + 1
        _emit("statuses", statuses)
    del sheet
    gc.collect()
    _emit("list_peak", list_peak_mb(path))
    if not big:
        whole_run("list_json", lambda s: R.list_contracts(s, profile, AS_OF), whole, n / 2500)

    if not big and left() > 40 * open_s:  # where the time of `list` goes; and how much of it is the cyclic GC
        from contracts.register import contract_view, replay

        for key, collector in (("list_split", True), ("list_split_nogc", False)):
            target = open_store(path)
            gc.collect()
            if not collector:
                gc.disable()
            try:
                t0 = time.perf_counter()
                histories = list(target.histories())
                t1 = time.perf_counter()
                events = [R.events_of(records) for _no, records in histories]
                t2 = time.perf_counter()
                states = [replay(e, profile) for e in events]
                t3 = time.perf_counter()
                for state in states:
                    contract_view(state, AS_OF, profile)
                t4 = time.perf_counter()
            finally:
                gc.enable()
            _emit(key, {"read": t1 - t0, "decode": t2 - t1, "replay": t3 - t2, "view": t4 - t3})
            target.close()
            del target, histories, events, states
            gc.collect()

    _emit("commands", measure_commands(path, profile, whole, left))

    # check replays every history once (the rules and the summary it compares with the stored one)
    report = whole_run("check", lambda s: R.check(s, profile), whole, n / 2500)
    if report is not None:
        _emit("check_result", {"ok": report.ok, "contracts": report.contracts, "events": report.events,
                               "problems": [str(p) for p in report.problems[:3]]})

    build, names, why = report_builder()
    if build is None:
        _emit("reports_missing", why)
    elif not big and left() > max(10.0, 20 * open_s):
        gc.collect()
        _reset_peak()
        target = open_store(path)
        t = time.perf_counter()
        states = load_states(target, profile)  # the path `vipcontract report` takes
        load_s = time.perf_counter() - t
        results: dict[str, Any] = {}
        for name in names:
            if left() < 5:
                results[name] = {"error": "time cap"}
                continue
            try:
                times, out = [], None
                for _ in range(whole):
                    t = time.perf_counter()
                    with R.bulk_read():  # as service.reports.report_from_store does
                        out = build(name, states, AS_OF, profile)
                    times.append(time.perf_counter() - t)
                rows = getattr(out, "rows", None)
                results[name] = {"times": times, "rows": len(rows) if rows is not None else None}
            except Exception as exc:  # a report that fails is reported, not fatal
                results[name] = {"error": f"{type(exc).__name__}: {exc}"}
        _emit("reports", {"load_s": load_s, "reports": results, "peak_mb": _rss_mb()[1]})
        target.close()
        del target, states
    else:
        _emit("skipped", "reports")

    if n <= 10_000 and left() > 20:  # the same insert through TinyDB's default JSONStorage
        _emit("tinydb_default", tinydb_default(path, n, 3))
    _emit("done", {"seconds": time.monotonic() - started, "peak_mb": max(_PEAK[0], _rss_mb()[1] or 0.0)})


LIST_PEAK_SCRIPT = """
import resource, subprocess, sys
with open("/dev/null", "w") as sink:
    command = [sys.executable, "-c", "import cli; cli.main()", "--db", sys.argv[1], "list", "--as-of", sys.argv[2]]
    subprocess.run(command, stdout=sink, check=True, cwd=sys.argv[3])
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def list_peak_mb(path: Path) -> float | None:
    """Peak memory (ru_maxrss) of the `vipcontract list` command, in a process of its own."""
    env = {**os.environ, "VIPCONTRACT_PROFILE": str(BENCH_PROFILE), "COLUMNS": "100"}
    try:
        out = subprocess.run([sys.executable, "-c", LIST_PEAK_SCRIPT, str(path), AS_OF.isoformat(), str(ROOT)],
                             capture_output=True, text=True, check=True, env=env, timeout=600).stdout
    except (subprocess.SubprocessError, OSError):
        return None
    return int(out.split()[-1]) / 1024


def tinydb_default(path: Path, n: int, repeat: int) -> list[float]:
    """One insert into a TinyDB with the default JSONStorage holding the same histories (one
    table per contract): TinyDB reads and rewrites the whole file on every insert."""
    import orjson
    from tinydb import TinyDB

    data: dict[str, dict[str, Any]] = {}
    with open(path, "rb") as fh:
        fh.readline()
        for line in fh:
            entry = orjson.loads(line)
            data.setdefault(entry["t"], {}).update(entry["d"])
    plain = path.with_name(path.name + ".tinydb-default.json")
    plain.write_bytes(orjson.dumps(data))
    del data
    db = TinyDB(plain)
    record = history(n + 1)[0]
    try:
        return _times(lambda k: db.table(f"VIP-2099-{k + 10:06d}").insert(record), repeat, warmup=1)
    finally:
        db.close()
        plain.unlink()


# ---------------------------------------------------------------- the parent (section 4)
def run_size(n: int, work: Path, budget: float, smallest: bool, quick: bool,
             register: str = "office") -> dict[str, Any]:
    """Run one size in a child process; stop it at `budget` + 10 s. What it measured is kept."""
    path = work / f"register-{n}.json"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(n), str(path), str(budget),
           "1" if smallest else "0", "1" if quick else "0", register]
    found: dict[str, Any] = {"n": n, "skipped": []}
    started = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    import selectors

    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)  # type: ignore[arg-type]
    hard = budget + 10
    load = Load()
    try:
        while True:
            remaining = hard - (time.monotonic() - started)
            if remaining <= 0:
                proc.kill()
                found["killed"] = f"stopped after {hard:.0f} s (time cap)"
                break
            if not sel.select(timeout=min(remaining, 5)):
                if proc.poll() is not None:
                    break
                continue
            line = proc.stdout.readline()  # type: ignore[union-attr]
            if not line:
                break
            item = json.loads(line)
            if item["key"] == "skipped":
                found["skipped"].append(item["value"])
            elif item["key"] == "note":
                found.setdefault("notes", []).append(item["value"])
            else:
                found[item["key"]] = item["value"]
    finally:
        sel.close()
        proc.wait()
        for leftover in work.glob(f"register-{n}.json*"):
            leftover.unlink(missing_ok=True)
    found["wall_s"] = time.monotonic() - started
    found["load"] = load.describe()
    if proc.returncode not in (0, None) and "killed" not in found:
        err = (proc.stderr.read() if proc.stderr else "").strip().splitlines()  # type: ignore[union-attr]
        found["error"] = f"exit {proc.returncode}: {err[-1] if err else ''}"
    return found


def med(values: list[float] | None) -> float | None:
    return statistics.median(values) if values else None


def whole_med(item: dict[str, Any] | None) -> float | None:
    return med(item.get("times")) if item else None


def run(work: Path, quick: bool, deadline: float, elapsed: Callable[[], float]) -> None:
    """Section 4. `deadline`: seconds since the benchmark started by which this section ends."""
    sizes = (1_000, 10_000) if quick else (1_000, 10_000, 100_000)
    caps = {1_000: 60.0, 10_000: 120.0, 100_000: 300.0}
    say("## 4. The register: 1,000 / 10,000 / 100,000 contracts, five events each")
    say("Each size is built by the bench's generator (the `office` register of bench_register.REGISTERS: five "
        "events per contract — issued, signed, then payments on their due dates, 10% amended, 20% with a notice "
        "sent and delivered, about 8% in arrears; records sealed with contracts.events.seal/to_record, hash "
        "chains valid) and written "
        "directly in the store's on-disk format; each size runs in its own process (peak memory is its own). "
        "Times are medians; `fresh` = open the store file and do the operation, in a process whose imports "
        "are done; `CLI` = the whole `vipcontract` command as a new process.")
    results: list[dict[str, Any]] = []
    for index, n in enumerate(sizes):
        available = deadline - elapsed()
        budget = min(caps[n], available - 12)
        if budget < 30:
            say(f"- {n:,} contracts: not run — the benchmark's 10-minute budget was used up "
                f"({available:.0f} s left).")
            results.append({"n": n, "skipped": ["all"], "not_run": True})
            continue
        results.append(run_size(n, work, budget, index == 0, quick))
    _print(results)
    available = deadline - elapsed()
    if available - 12 >= 40:  # the adversarial register at 10,000 (see REGISTERS)
        worst = run_size(WORST_SIZE, work, min(caps[WORST_SIZE], available - 12), False, quick, "worst")
        _print_commands([worst], "worst")
    else:
        say(f"- the adversarial register (`worst`): not run — the time budget was used up ({available:.0f} s left).")


def _print(results: list[dict[str, Any]]) -> None:  # noqa: PLR0912, PLR0915
    ran = [r for r in results if not r.get("not_run")]
    say()
    say("| contracts | file (sidecar index) | generated and written in | fresh open, first read | "
        "peak memory of the child |")
    say("|---|---|---|---|---|")
    for r in ran:
        b, o = r.get("build"), r.get("open")
        done = r.get("done", {})
        made = b.get("built") if b else None
        built = (f"{made['wall_s'] + made['index_s']:.1f} s ({made['workers']} processes; sealing "
                 f"{made['seal_s']:.1f} s of CPU; every summary {made['summaries_s']:.1f} s)" if made else
                 f"cached in bench/.cache (copied in {b['copy_s']:.1f} s)" if b else "—")
        say(f"| {r['n']:,} | {b['file_mb']:.1f} MB ({b.get('index_mb', 0):.1f} MB) | {built} | "
            f"{ms(o['seconds']) if o else '—'} | "
            f"{done.get('peak_mb', 0):,.0f} MB |" if b else f"| {r['n']:,} | — | — | — | — |")
    for r in ran:
        a = r.get("appended_build")
        if a:
            say(f"\nBuilt also through `TinyDBStore.append` (one fsync'ed append per event) at {r['n']:,} contracts: "
                f"{a['seconds']:.1f} s for {a['events']:,} events ({a['seconds'] / a['events'] * 1000:.2f} ms each); "
                f"the two files are {'identical byte for byte' if a['identical'] else 'DIFFERENT'}.")
            FIG["appended_identical"] = a["identical"]
            FIG["appended_ms"] = a["seconds"] / a["events"]
    say()
    rows = [
        ("append: `store.append` of one sealed event (store open)", "append_raw", med),
        ("append: `notice send` service call — read, replay, check, append (store open)", "append_service", med),
        ("append: fresh open + `notice send`", "fresh_append", med),
        ("append: `pay` service call — read, replay, decide, check, append (store open)", "append_pay", med),
        ("append: `vipcontract notice send` (CLI process)", "cli_append", med),
        ("show: one contract (store open)", "show", med),
        ("show: fresh open + show one contract", "fresh_show", med),
        ("show: `vipcontract show` (CLI process)", "cli_show", med),
        ("list: every contract's row, from the summaries (fresh open + `list` table's report)", "list", whole_med),
        ("list --json: every contract's whole view, replayed (fresh open + list_contracts)", "list_json", whole_med),
        ("check: every history (fresh open + check)", "check", whole_med),
        ("TinyDB default JSONStorage: one insert (reference)", "tinydb_default", med),
    ]
    say("| operation | " + " | ".join(f"{r['n']:,}" for r in ran) + " | 10k / 1k |"
        + (" 100k / 10k |" if len(ran) > 2 else ""))
    say("|---|" + "---|" * len(ran) + "---|" + ("---|" if len(ran) > 2 else ""))
    table: dict[str, list[float | None]] = {}
    for label, key, pick in rows:
        values = [pick(r.get(key)) for r in ran]
        table[key] = values
        cells = [(secs(v) if v is not None and v >= 1 else ms(v)) for v in values]
        if len(values) > 2 and values[2] is None and key in ran[2].get("skipped", []):
            cells[2] = "skipped (time cap)"
        tail = [f"{ratio(values[1], values[0]):.2f}x" if len(values) > 1 and ratio(values[1], values[0]) else "—"]
        if len(ran) > 2:
            tail.append(f"{ratio(values[2], values[1]):.2f}x" if ratio(values[2], values[1]) else "—")
        say(f"| {label} | " + " | ".join(cells) + " | " + " | ".join(tail) + " |")
    say()
    for r in ran:
        split = r.get("list_split")
        if split:
            total = sum(split.values())
            say(f"- where `list` goes at {r['n']:,}: " + ", ".join(
                f"{k} {v:.2f} s ({v / total:.0%})" for k, v in split.items())
                + " (read = the store's histories; decode = records to events; replay = state; view = JSON view)")
    for r in ran:
        split, nogc = r.get("list_split"), r.get("list_split_nogc")
        if split and nogc:
            say(f"- the same at {r['n']:,} with Python's cyclic garbage collector off: " + ", ".join(
                f"{k} {v:.2f} s" for k, v in nogc.items())
                + f" — {sum(nogc.values()):.2f} s instead of {sum(split.values()):.2f} s")
    for r in ran:
        mem = [f"{k} peak {r[k]['peak_mb']:,.0f} MB" for k in ("list", "check", "reports")
               if isinstance(r.get(k), dict) and r[k].get("peak_mb")]
        extra = f", open RSS {r['open']['rss_mb']:,.0f} MB" if r.get("open") else ""
        if mem:
            say(f"- memory at {r['n']:,}: " + ", ".join(mem) + extra)
    for r in ran:
        c = r.get("check_result")
        if c:
            say(f"- check at {r['n']:,}: {c['contracts']:,} contracts, {c['events']:,} events, "
                + ("no problem" if c["ok"] else f"PROBLEMS: {c['problems']}"))
        st = r.get("statuses")
        if st:
            say(f"- statuses at {r['n']:,} on {AS_OF}: " + ", ".join(f"{k} {v:,}" for k, v in sorted(st.items())))
    for r in ran:
        if r.get("killed") or r.get("error") or r.get("skipped"):
            say(f"- {r['n']:,}: " + "; ".join(x for x in (
                r.get("killed"), r.get("error"),
                ("skipped, it would not have fitted in the time cap: " + ", ".join(r["skipped"]))
                if r.get("skipped") else "") if x))
        for note in r.get("notes", []):
            say(f"- {r['n']:,}: {note}")
        say(f"- {r['n']:,} took {r['wall_s']:.0f} s in all ({r['load']}).")
    for r in results:
        if r.get("not_run"):
            say(f"- {r['n']:,}: not run (time budget).")
    _print_commands(ran)
    _print_reports(ran)
    say()
    by_n = {r["n"]: r for r in ran}
    for r in ran:
        FIG[f"reg_list_peak_{r['n']}"] = r.get("list_peak")
    for key in ("append_raw", "append_service", "append_pay", "fresh_append", "cli_append", "show", "fresh_show",
                "cli_show", "list", "check"):
        values = table.get(key) or []
        for r, v in zip(ran, values, strict=False):
            FIG[f"reg_{key}_{r['n']}"] = v
    FIG["reg_sizes"] = sorted(by_n)
    FIG["reg_results"] = by_n


def _print_commands(ran: list[dict[str, Any]], register: str = "office") -> None:
    """Each report and `list --status` as the command runs it: fresh open, summaries, build."""
    with_commands = [r for r in ran if r.get("commands")]
    if not with_commands:
        return
    say()
    if register != "office":
        say(f"\nThe adversarial register (`{register}`: every contract amended, with a notice and no payment; "
            "see bench_register.REGISTERS), the same commands:")
    say("Reports and `list --status` as the commands run them (fresh open + the contracts' summaries, only "
        "those the report could list + build; `service.reports.report_from_store` / `register_from_store`); "
        "wall time, and in brackets the CPU time of the process (on a machine shared with other work, the "
        "wall time includes waiting for a core):")
    say("| command | " + " | ".join(f"{r['n']:,}" for r in with_commands) + " |")
    say("|---|" + "---|" * len(with_commands))
    for name in with_commands[0]["commands"]:
        cells = []
        for r in with_commands:
            item = r["commands"].get(name, {})
            if "error" in item:
                cells.append(item["error"])
                continue
            value, cpu = med(item["times"]), med(item.get("cpu"))
            cells.append(f"{secs(value)} (CPU {secs(cpu)}; {item['rows']:,} rows)")
            tag = "" if register == "office" else f"{register}_"
            FIG[f"command_{tag}{name}_{r['n']}"] = value
            FIG[f"command_cpu_{tag}{name}_{r['n']}"] = cpu
        say(f"| {name} | " + " | ".join(cells) + " |")
    FIG["command_names"] = list(with_commands[0]["commands"])
    for name in RENDERED:
        cells = []
        for r in with_commands:
            rendered = r["commands"].get(name, {}).get("render")
            if rendered:
                cells.append(f"{r['n']:,}: " + ", ".join(
                    f"{fmt} {secs(v['wall'])} (CPU {secs(v['cpu'])})" for fmt, v in rendered.items()))
                for fmt, v in rendered.items():
                    FIG[f"command_render_{name}_{fmt}_{r['n']}"] = v["wall"]
        if cells:
            say(f"- `{name}` output, after the report is built (service.reports.render): " + "; ".join(cells))
    peaks = [f"{r['n']:,}: {r['list_peak']:,.0f} MB" for r in ran if r.get("list_peak")]
    if peaks:
        say(f"- peak memory of `vipcontract list` (the whole command, ru_maxrss of its process): {', '.join(peaks)}")


def _print_reports(ran: list[dict[str, Any]]) -> None:
    missing = [r for r in ran if r.get("reports_missing")]
    if missing:
        say(f"- reports: not measured — {missing[0]['reports_missing']}. The bench runs "
            "`service.reports.build_report(name, states, as_of, profile)` for every report as soon as it exists.")
        FIG["reports_missing"] = missing[0]["reports_missing"]
        return
    with_reports = [r for r in ran if r.get("reports")]
    if not with_reports:
        return
    names = list(with_reports[0]["reports"]["reports"])
    say()
    say("Reports (`service.reports.build_report` over the states of every contract; "
        "`total` = fresh open + load every state + build):")
    say("| report | " + " | ".join(f"{r['n']:,} build | {r['n']:,} total" for r in with_reports) + " |")
    say("|---|" + "---|---|" * len(with_reports))
    say("| (load every state) | " + " | ".join(f"— | {secs(r['reports']['load_s'])}" for r in with_reports) + " |")
    for name in names:
        cells = []
        for r in with_reports:
            item = r["reports"]["reports"].get(name, {})
            if "error" in item:
                cells += [item["error"], "—"]
                continue
            build = med(item["times"])
            total = r["reports"]["load_s"] + build
            rows = f" ({item['rows']:,} rows)" if item.get("rows") is not None else ""
            cells += [ms(build) + rows, secs(total)]
            FIG[f"report_{name}_{r['n']}"] = total
            FIG[f"report_build_{name}_{r['n']}"] = build
        say(f"| {name} | " + " | ".join(cells) + " |")
    FIG["report_names"] = names


# ---------------------------------------------------------------- the whole-register commands alone
def commands_child(path: Path, src: str | None) -> None:
    """Measure the reports and `list --status` (measure_commands, twice each, with their output)
    on the register at `path`; `src`: another source tree to measure (a figure before a change)."""
    if src:
        sys.path.insert(0, src)
    from service.sources import load_profile

    n = int(path.stem.rsplit("-", 1)[-1])
    _emit("commands", measure_commands(path, load_profile(BENCH_PROFILE), 1, lambda: 1e9,
                                       RENDERED if n >= ALL_COMMANDS_UP_TO else ()))
    _emit("peak_mb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


ROUNDS = 2
ALL_COMMANDS_UP_TO = 50_000  # above: only the RENDERED commands (the others take minutes at 100,000)


def _commands_round(path: Path, src: str, found: dict[str, Any]) -> None:
    """One child's figures merged into `found`: the best time of each command and format so far."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--commands-child", str(path), src]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode:
        found["error"] = (proc.stderr.strip().splitlines() or [""])[-1]
    for line in proc.stdout.splitlines():
        item = json.loads(line)
        if item["key"] == "peak_mb":
            found["peak_mb"] = max(found.get("peak_mb", 0), item["value"])
            continue
        for name, got in item["value"].items():
            kept = found["commands"].setdefault(name, {"times": [], "cpu": [], "rows": got.get("rows"), "render": {}})
            kept["times"] += got.get("times", [])
            kept["cpu"] += got.get("cpu", [])
            for fmt, v in (got.get("render") or {}).items():
                best = kept["render"].get(fmt)
                kept["render"][fmt] = v if best is None or v["cpu"] < best["cpu"] else best


def commands_only(sizes: list[int], sources: list[str]) -> None:
    """`python bench/bench_register.py --commands 10000,100000 [SRC ...]`: only the reports and
    `list --status` on the cached registers (from ALL_COMMANDS_UP_TO contracts on, only `deadlines`
    and `list --status 履行中`), for this tree and each other source tree given, one process each,
    in turn in the same run (so that their figures share the machine's load)."""
    import tempfile

    load = Load()
    say(f"# Reports and `list --status` — {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %z}")
    for n in sizes:
        with tempfile.TemporaryDirectory() as work:
            path = Path(work) / f"register-{n}.json"
            place_register(n, path, os.cpu_count() or 1)
            runs = [{"n": n, "src": src or "this tree", "commands": {}} for src in ["", *sources]]
            for _round in range(ROUNDS):  # the trees in turn, so that a burst of load hits each alike
                for found, src in zip(runs, ["", *sources], strict=True):
                    _commands_round(path, src, found)
        say(f"\n## {n:,} contracts (best of {ROUNDS} processes; wall, CPU of the process in brackets)")
        say("| command | " + " | ".join(r["src"] for r in runs) + " |")
        say("|---|" + "---|" * len(runs))
        for name in runs[0].get("commands", {}):
            cells = []
            for r in runs:
                item = r.get("commands", {}).get(name)
                if not item or not item["times"]:
                    cells.append(r.get("error", "—"))
                    continue
                cell = f"{secs(min(item['times']))} (CPU {secs(min(item['cpu']))}; {item['rows']:,} rows)"
                for fmt, v in (item.get("render") or {}).items():
                    cell += f"; {fmt} +{secs(v['wall'])} (CPU {secs(v['cpu'])})"
                cells.append(cell)
            say(f"| {name} | " + " | ".join(cells) + " |")
        say("- peak memory of each process: " + ", ".join(f"{r['src']}: {r.get('peak_mb', 0):,.0f} MB" for r in runs))
    say(f"- machine load during the run: {load.describe()}")


def _main(argv: list[str]) -> None:
    if argv[:1] == ["--child"]:
        n, path, budget, smallest, quick, register = argv[1:7]
        child(int(n), Path(path), float(budget), smallest == "1", quick == "1", register)
        return
    if argv[:1] == ["--commands-child"]:
        commands_child(Path(argv[1]), argv[2] if len(argv) > 2 else None)
        return
    if argv[:1] == ["--commands"]:
        commands_only([int(n) for n in argv[1].split(",")], argv[2:])
        return
    raise SystemExit("run through bench/run.py, or: bench/bench_register.py --commands 10000,100000 [SRC ...]")


if __name__ == "__main__":
    _main(sys.argv[1:])

