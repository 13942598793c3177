"""Section 3: a batch of agreements (DOCX + PDF) through the real batch engine, at 1 job and at N
jobs, and the clerk's route (docxtpl, then one `soffice --convert-to pdf` per file) in the same run.

Each batch runs `service.batch.run_issue` (validation, numbering, parallel rendering, register,
batch index) in a new process, as `vipcontract batch issue` does, with a fresh register and output
directory; the input is an .xlsx made here with openpyxl (a sheet per customer type, valid generated
customers: ID numbers with python-stdnum's `cn.ric.calc_check_digit`, credit codes with
`cn.uscc.calc_check_digit`). The child prints the time spent in `run_issue` as JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from benchlib import BENCH_PROFILE, FIG, Load, customer_fields, fmt_ratio, ms, ratio, say, secs  # noqa: E402

TODAY = dt.date(2026, 11, 24)
CORPORATE_EVERY = 4  # one customer in four is a company


def customers(count: int) -> list[tuple[bool, dict[str, Any]]]:
    """(corporate?, fields) for `count` customers; every other one with an effective date."""
    out = []
    for i in range(count):
        corporate = i % CORPORATE_EVERY == CORPORATE_EVERY - 1
        fields = customer_fields(1000 + i, corporate)
        fields["effective_date"] = TODAY + dt.timedelta(days=1 + i % 60) if i % 2 else None
        out.append((corporate, fields))
    return out


def write_workbook(path: Path, rows: list[tuple[bool, dict[str, Any]]]) -> None:
    """The customer list as a clerk fills in `vipcontract batch template`: one sheet per type."""
    from openpyxl import Workbook

    from contracts.batch_rows import SHEET_HEADERS
    from contracts.customer import CustomerType
    from service.batch import SHEET_TITLES

    wb = Workbook()
    wb.remove(wb.active)
    for kind in (CustomerType.INDIVIDUAL, CustomerType.CORPORATE):
        ws = wb.create_sheet(SHEET_TITLES[kind])
        headers = SHEET_HEADERS[kind]
        ws.append([label for _field, label in headers])
        for corporate, fields in rows:
            if corporate == (kind is CustomerType.CORPORATE):
                ws.append([fields.get(name) for name, _label in headers])
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, dt.date):
                    cell.number_format = "yyyy-mm-dd"
                elif headers[cell.column - 1][0] in ("id_number", "credit_code", "phone"):
                    cell.number_format = "@"
    wb.save(path)


def run_batch(source: Path, work: Path, jobs: int, tag: str) -> dict[str, Any]:
    """`run_issue` in a new process with a fresh register and output directory."""
    db, out = work / f"register-{tag}.json", work / f"out-{tag}"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(source), str(db), str(out), str(jobs)]
    load = Load()
    t = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    used = load.result()
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"batch child failed ({done.returncode}): {done.stderr.strip()[-800:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall_s"] = wall
    result["cpu_s"], result["other_cpu_s"] = used["own_cpu"], used["other_cpu"]
    result["pdfs"] = sorted(out.glob("*.pdf"))
    result["docxs"] = sorted(out.glob("*.docx"))
    result["out"], result["db"] = out, db
    return result


def _child(source: str, db: str, out: str, jobs: str) -> None:
    t0 = time.perf_counter()
    from service.batch import run_issue
    from service.sources import load_profile

    profile = load_profile(BENCH_PROFILE)
    t1 = time.perf_counter()
    code, lines = run_issue(source, db_path=db, profile=profile, out_dir=out, today=TODAY, formats="docx,pdf",
                            jobs=int(jobs), show_progress=False)
    t2 = time.perf_counter()
    print(json.dumps({"import_s": t1 - t0, "issue_s": t2 - t1, "code": code, "lines": lines},
                     ensure_ascii=False))


def register_ok(db: Path) -> tuple[int, bool]:
    from service import register as R
    from service.sources import load_profile
    from store import open_store

    store = open_store(db)
    try:
        report = R.check(store, load_profile(BENCH_PROFILE))
        return report.contracts, report.ok
    finally:
        store.close()


def clerk_route(rows: list[tuple[bool, dict[str, Any]]], work: Path, soffice: str, profile_dir: Path
                ) -> dict[str, Any]:
    """Per agreement: our agreement text through docxtpl (the DOCX renderer), then one
    `soffice --convert-to pdf` call for that file; then the same files given to soffice at once."""
    from contracts.customer import CustomerType
    from renderers.docx import render_docx
    from service.generate import build_agreement, parse_request
    from service.sources import load_profile

    profile = load_profile(BENCH_PROFILE)
    folder = work / "clerk"
    folder.mkdir(exist_ok=True)
    docx_s, lo_s, files = [], [], []
    if not profile_dir.exists():  # LibreOffice's first call creates its user profile: not counted
        first = folder / "warm-up.docx"
        render_docx(build_agreement(profile, parse_request(CustomerType.INDIVIDUAL if not rows[0][0] else
                                                           CustomerType.CORPORATE, rows[0][1], TODAY),
                                    f"VIP-{TODAY.year}-900000", TODAY), first)
        subprocess.run([soffice, f"-env:UserInstallation=file://{profile_dir}", "--headless", "--convert-to", "pdf",
                        "--outdir", str(folder / "warm-up"), str(first)], check=True, capture_output=True)
    for k, (corporate, fields) in enumerate(rows):
        kind = CustomerType.CORPORATE if corporate else CustomerType.INDIVIDUAL
        request = parse_request(kind, fields, TODAY)
        t0 = time.perf_counter()
        doc = build_agreement(profile, request, f"VIP-{TODAY.year}-{900001 + k:06d}", TODAY)
        path = folder / f"clerk-{k:03d}.docx"
        render_docx(doc, path)
        t1 = time.perf_counter()
        subprocess.run([soffice, f"-env:UserInstallation=file://{profile_dir}", "--headless", "--convert-to", "pdf",
                        "--outdir", str(folder), str(path)], check=True, capture_output=True)
        t2 = time.perf_counter()
        docx_s.append(t1 - t0)
        lo_s.append(t2 - t1)
        files.append(path)
    together = folder / "together"
    together.mkdir(exist_ok=True)
    t = time.perf_counter()
    subprocess.run([soffice, f"-env:UserInstallation=file://{profile_dir}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(together), *map(str, files)], check=True, capture_output=True)
    at_once = (time.perf_counter() - t) / len(files)
    per = [a + b for a, b in zip(docx_s, lo_s, strict=True)]
    pdf_sizes = [p.stat().st_size for p in folder.glob("clerk-*.pdf")]
    return {"docx": statistics.median(docx_s), "soffice": statistics.median(lo_s), "per": statistics.median(per),
            "mean": statistics.fmean(per), "at_once": at_once, "count": len(rows),
            "pdf_kb": statistics.median(pdf_sizes) / 1024 if pdf_sizes else None}


def run(work: Path, quick: bool) -> None:
    count = 20 if quick else 200
    sample = 3 if quick else 10
    jobs_n = os.cpu_count() or 1
    say(f"## 3. Batch: {count} agreements (DOCX + PDF) through `service.batch.run_issue`, 1 job and {jobs_n} jobs")
    say("Each run is a new process (as `vipcontract batch issue`) with a fresh register and output directory; "
        f"input: an .xlsx made by the bench ({count - count // CORPORATE_EVERY} individual, "
        f"{count // CORPORATE_EVERY} corporate customers, every other one with an effective date). "
        "One run per setting (a 200-agreement batch is itself the repetition); "
        "time = the call of `run_issue` (validation, numbering, rendering, register, batch index).")
    folder = work / "batch"
    folder.mkdir(exist_ok=True)
    rows = customers(count)
    source = folder / "customers.xlsx"
    write_workbook(source, rows)

    results = {}
    for jobs in (1, jobs_n) if jobs_n > 1 else (1,):
        results[jobs] = r = run_batch(source, folder, jobs, f"j{jobs}")
        contracts, ok = register_ok(r["db"])
        r["contracts"], r["check_ok"] = contracts, ok
    say("| jobs | time | per agreement | agreements per minute | CPU used by the run | "
        "CPU used meanwhile by other processes | issued (register, check) | note |")
    say("|---|---|---|---|---|---|---|---|")
    one = results[1]
    for jobs, r in results.items():
        per = r["issue_s"] / count
        speed = ratio(one["issue_s"], r["issue_s"])
        note = f"speed-up {speed:.2f}x" if jobs != 1 and speed else ""
        other = r["other_cpu_s"]
        say(f"| {jobs} | {secs(r['issue_s'])} | {ms(per)} | {60 * count / r['issue_s']:,.1f} | "
            f"{r['cpu_s']:.0f} s | {'?' if other is None else f'{other:.0f} s'} | "
            f"{len(r['pdfs'])} PDF + {len(r['docxs'])} DOCX, {r['contracts']} contracts, "
            f"{'check ok' if r['check_ok'] else 'CHECK FAILED'}, exit {r['code']} | "
            f"{note}{'; ' if note else ''}process wall {secs(r['wall_s'])} |")
    for jobs, r in results.items():
        other = r["other_cpu_s"]
        if other is not None and other > 0.05 * r["wall_s"]:
            say(f"- disturbed: while the run at {jobs} job{'s' if jobs > 1 else ''} went, other processes used "
                f"{other:.0f} CPU-seconds ({other / r['wall_s']:.2f} of a core on average); its time is inflated "
                "by up to that much, and the speed-up with it.")
    best = results[jobs_n]
    FIG["batch_count"] = count
    FIG["batch_other"] = {jobs: (r["other_cpu_s"], r["wall_s"]) for jobs, r in results.items()}
    FIG["batch_jobs"] = jobs_n
    FIG["batch_one_s"] = one["issue_s"]
    FIG["batch_n_s"] = best["issue_s"]
    FIG["batch_speedup"] = ratio(one["issue_s"], best["issue_s"]) if jobs_n > 1 else None
    sizes = sorted(p.stat().st_size for p in best["pdfs"])
    if sizes:
        corp = sorted(p.stat().st_size for p in best["pdfs"] if "公司" in p.name)
        indi = sorted(p.stat().st_size for p in best["pdfs"] if "公司" not in p.name)
        say(f"- PDF sizes in the batch: median {statistics.median(sizes) / 1024:.0f} KB, "
            f"max {sizes[-1] / 1024:.0f} KB (individual median {statistics.median(indi) / 1024:.0f} KB, "
            f"corporate median {statistics.median(corp) / 1024:.0f} KB)" if corp and indi else
            f"- PDF sizes in the batch: median {statistics.median(sizes) / 1024:.0f} KB, max {sizes[-1] / 1024:.0f} KB")
        FIG["batch_pdf_median"] = statistics.median(sizes)
        FIG["batch_pdf_max"] = sizes[-1]
    for r in results.values():
        shutil.rmtree(r["out"], ignore_errors=True)

    say()
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        say("The clerk's route: soffice is not installed, so it was not measured "
            "(apt-get install libreoffice-writer-nogui to include it).")
        say()
        return
    profile_dir = work / "lo-profile"
    picked = rows[:: max(1, count // sample)][:sample]
    clerk = clerk_route(picked, folder, soffice, profile_dir)
    ours_n = best["issue_s"] / count
    ours_1 = one["issue_s"] / count
    FIG["clerk_per"] = clerk["per"]
    FIG["clerk_vs_ours"] = ratio(clerk["per"], ours_n)
    FIG["clerk_vs_ours_1"] = ratio(clerk["per"], ours_1)
    say(f"The clerk's route, on {clerk['count']} of the same customers (agreement through docxtpl, "
        "then one `soffice --headless --convert-to pdf` call per file; LibreOffice's profile already initialised):")
    say("| what | median per agreement | note |")
    say("|---|---|---|")
    say(f"| docxtpl (our DOCX renderer, agreement built from the row) | {ms(clerk['docx'])} | |")
    say(f"| soffice --convert-to pdf, one call per file | {ms(clerk['soffice'])} | "
        f"PDF median {clerk['pdf_kb']:.0f} KB |")
    say(f"| the clerk's route, per agreement | {ms(clerk['per'])} | mean {ms(clerk['mean'])} |")
    say(f"| ours, batch at {jobs_n} jobs, per agreement | {ms(ours_n)} | clerk / ours = "
        f"{fmt_ratio(FIG['clerk_vs_ours'])} |")
    say(f"| ours, batch at 1 job, per agreement | {ms(ours_1)} | clerk / ours = {fmt_ratio(FIG['clerk_vs_ours_1'])} |")
    say(f"| (for reference) soffice given the {clerk['count']} files in one call, per file | {ms(clerk['at_once'])} | "
        "not the clerk's route |")
    say()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _child(*sys.argv[2:6])
    else:
        raise SystemExit("run through bench/run.py")
