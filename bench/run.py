"""`make bench`: figures and ratios measured in one run (medians of repetitions), never asserts.

Sections: 1. one agreement (DOCX, PDF, both; WeasyPrint alone and docxtpl alone on the same input;
a fresh process's first render, stage by stage; where the PDF's bytes go; then the signature
fields, `seal` and the signature part of `verify`); 2. LibreOffice headless
on our DOCX where installed; 3. a batch of 200 agreements through the batch engine at 1 and N jobs,
and the clerk's route (docxtpl, then soffice per file) in the same run; 4. the register at 1,000 /
10,000 / 100,000 contracts (append, show, list, check, reports); 5. the register on PostgreSQL at 1,000 /
10,000 / 100,000 contracts (bench_postgres: a throw-away cluster, its own budget bench_postgres.BUDGET_S;
skipped where PostgreSQL is not installed);
then the targets, met or missed.

`--quick`: fewer repetitions, a batch of 20, the register at 1,000 and 10,000 only (a few minutes).
The output of the last full run is kept in bench/results/last-run.md (of a quick run, in
bench/results/last-quick-run.md).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import bench_batch  # noqa: E402
import bench_esign  # noqa: E402
import bench_postgres  # noqa: E402
import bench_register  # noqa: E402
from bench_pdf import COLD_SCRIPT, pdf_breakdown  # noqa: E402
from benchlib import (  # noqa: E402
    FIG,
    LINES,
    Load,
    elapsed,
    fmt_ratio,
    load_average,
    machine_lines,
    median_time,
    ratio,
    row,
    say,
)

from tests.conftest import TEST_PROFILE, make_agreement, make_customer  # noqa: E402


def issued_agreement(kind: str):
    """The agreement as `issue` builds it: with its issue date and the data it carries."""
    import datetime as dt
    from decimal import Decimal

    from service.generate import AgreementRequest, build_agreement
    from service.sources import load_profile

    request = AgreementRequest(make_customer(kind), Decimal("12800"), None)
    return build_agreement(load_profile(TEST_PROFILE), request, "VIP-2026-000001", dt.date(2026, 12, 2))

BUDGET_S = 600.0  # `make bench` on 2 cores
COLD_PROCESSES = 5
REGISTER_DEADLINE_S = 580.0  # section 4 stops its sizes by then (since the start of the run)


# ---------------------------------------------------------------- 1. one agreement
def bench_agreement(repeat: int, work: Path) -> None:
    from docxtpl import DocxTemplate
    from weasyprint import CSS, HTML

    from renderers import docx as docx_renderer
    from renderers import pdf as pdf_renderer
    from service.output import write_documents

    doc = issued_agreement("corporate")
    say("## 1. One agreement (corporate variant, warm process)")
    say(f"PDF font subsetter: {pdf_renderer.subsetter_in_use()}; repetitions: {repeat} after one warm-up")
    say("| what | median | note |")
    say("|---|---|---|")
    t_tree = median_time(lambda: make_agreement("corporate"), repeat)
    row("the document tree: clause source resolved for one customer", t_tree,
        "service.generate.build_agreement / contracts.resolver.resolve; every agreement pays it")
    t_docx = median_time(lambda: docx_renderer.render_docx(doc, work / "a.docx"), repeat)
    row("DOCX (ours)", t_docx)
    t_pdf = median_time(lambda: pdf_renderer.render_pdf(doc, work / "a.pdf"), repeat)
    renderer = pdf_renderer.get_renderer()
    pages = len(renderer.layout(doc).pages)
    size = (work / "a.pdf").stat().st_size
    row("PDF (ours): PDF/A-3b with the data attached", t_pdf, f"{pages} pages, {size / 1024:.0f} KB")
    individual = renderer.pdf_bytes(issued_agreement("individual"))
    say(f"| agreement PDF size against the 250 KB target | | corporate {size / 1024:.1f} KB "
        f"({_versus_target(size)}), individual {len(individual) / 1024:.1f} KB ({_versus_target(len(individual))}) |")
    t_pdf_plain = median_time(lambda: (work / "a-plain.pdf").write_bytes(renderer.pdf_bytes(doc, archival=False)),
                              repeat)
    plain_size = (work / "a-plain.pdf").stat().st_size
    row("PDF (ours), plain PDF (no PDF/A, no data)", t_pdf_plain,
        f"{plain_size / 1024:.0f} KB; PDF/A adds {(size - plain_size) / 1024:.1f} KB")
    from service.archive import read_pdf_data

    t_data = median_time(lambda: read_pdf_data(work / "a.pdf"), repeat)
    row("data extraction (`vipcontract data`: the embedded JSON read back)", t_data)
    t_both = median_time(lambda: write_documents(doc, work, ("docx", "pdf"), "both", overwrite=True), repeat)
    row("DOCX + PDF, written atomically", t_both)

    html = pdf_renderer.render_html(doc)
    base = str(pdf_renderer.TEMPLATE_DIR) + "/"
    plain_css = pdf_renderer.stylesheet_text(use_subset=False)

    def weasyprint_alone() -> None:
        HTML(string=html, base_url=base).write_pdf(
            work / "plain.pdf", stylesheets=[CSS(string=plain_css, base_url=base)]
        )

    def weasyprint_alone_pdfa() -> None:
        HTML(string=html, base_url=base).write_pdf(
            work / "plain-a.pdf", stylesheets=[CSS(string=plain_css, base_url=base)], pdf_variant="pdf/a-3b"
        )

    t_plain = median_time(weasyprint_alone, repeat)
    row("WeasyPrint alone, same HTML, system font", t_plain,
        f"{(work / 'plain.pdf').stat().st_size / 1024:.0f} KB; ours (plain) / this = {t_pdf_plain / t_plain:.2f}x")
    t_plain_a = median_time(weasyprint_alone_pdfa, repeat)
    row("WeasyPrint alone, same HTML, system font, pdf/a-3b", t_plain_a,
        f"{(work / 'plain-a.pdf').stat().st_size / 1024:.0f} KB; ours (PDF/A) / this = {t_pdf / t_plain_a:.2f}x")

    context = docx_renderer.docx_context(doc)

    def docxtpl_alone() -> None:
        tpl = DocxTemplate(io.BytesIO(docx_renderer.template_bytes()))
        tpl.render(context, jinja_env=docx_renderer.jinja_env(), autoescape=True)
        tpl.save(io.BytesIO())

    t_tpl = median_time(docxtpl_alone, repeat)
    row("docxtpl alone, same template and context", t_tpl, f"ours/plain = {t_docx / t_tpl:.2f}x")

    runs = [json.loads(subprocess.check_output(
        [sys.executable, "-c", COLD_SCRIPT, str(ROOT), str(work / "cold.pdf")], text=True))
        for _ in range(COLD_PROCESSES)]
    cold = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    first = cold["weasyprint_import"] + cold["renderer"] + cold["layout"] + cold["write"]
    first_ex = first - cold["weasyprint_import"]
    say()
    say(f"A fresh process (median of {COLD_PROCESSES} processes), stage by stage:")
    say("| stage | median | note |")
    say("|---|---|---|")
    row("imports of ours and the document tree", cold["tree"])
    row("import weasyprint (cffi loads Pango, HarfBuzz, fontconfig)", cold["weasyprint_import"])
    row("renderer set-up: FontConfiguration, @font-face, stylesheet", cold["renderer"])
    row("first layout", cold["layout"])
    row("first write_pdf (font subsetting, PDF)", cold["write"])
    row("first PDF in a fresh process (the four stages above)", first,
        f"cold/warm = {first / t_pdf:.2f}x (warm = PDF (ours) above)")
    row("the same without importing weasyprint", first_ex, f"cold/warm = {first_ex / t_pdf:.2f}x")
    row("second PDF in that process", cold["second"], f"vs warm above {cold['second'] / t_pdf:.2f}x")

    ours, plain = pdf_breakdown(work / "a.pdf"), pdf_breakdown(work / "plain.pdf")
    say()
    say(f"Where the agreement PDF's bytes go ({ours['pages']} pages, {ours['size'] / 1024:.0f} KB, "
        f"{ours['distinct_chars']} distinct non-space characters in its text):")
    say("| PDF | font face | glyphs with an outline | outline bytes (per glyph) | font stream as stored | ToUnicode |")
    say("|---|---|---|---|---|---|")
    for label, info in (("ours", ours), ("WeasyPrint alone", plain)):
        for face in info["faces"]:
            glyphs, outline = face.get("glyphs"), face.get("outline_bytes")
            per = f" ({outline / glyphs:.0f} B)" if glyphs and outline else ""
            say(f"| {label} | {face['name']} | {glyphs if glyphs is not None else '?'} | "
                f"{(outline or 0) / 1024:.0f} KB{per} | {face['stored'] / 1024:.0f} KB | "
                f"{face['tounicode'] / 1024:.1f} KB |")
        fonts = sum(f["stored"] + f["tounicode"] for f in info["faces"])
        say(f"| {label} | everything else (page content, outline, links, structure) | | | "
            f"{(info['size'] - fonts) / 1024:.0f} KB | |")
    say()
    FIG.update(pdf_plain=t_pdf_plain, plain_pdfa=t_plain_a, data=t_data, pdf_plain_size=plain_size)
    FIG.update(pdf_size_individual=len(individual))
    FIG.update(tree=t_tree, docx=t_docx, pdf=t_pdf, both=t_both, plain=t_plain, tpl=t_tpl, pages=pages, pdf_size=size,
               cold=cold, cold_first=first, cold_first_ex=first_ex, pdf_breakdown=ours, plain_breakdown=plain)


# ---------------------------------------------------------------- 2. LibreOffice
def bench_libreoffice(work: Path, count: int) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    say("## 2. LibreOffice headless DOCX -> PDF (our DOCX)")
    if not soffice:
        say("soffice is not installed: skipped (apt-get install libreoffice-writer-nogui to include it).")
        say()
        return
    from renderers.docx import render_docx

    version = subprocess.run([soffice, "--version"], capture_output=True, text=True).stdout.strip()
    doc = make_agreement("corporate")
    src = work / "lo"
    src.mkdir(exist_ok=True)
    render_docx(doc, src / "a.docx")
    profile = work / "lo-profile"

    def convert() -> None:
        subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless",
                        "--convert-to", "pdf", "--outdir", str(src), str(src / "a.docx")],
                       check=True, capture_output=True)

    t_lo = median_time(convert, count)
    say(f"{version}; the first call (not counted) initialises LibreOffice's user profile.")
    say("| what | median | note |")
    say("|---|---|---|")
    versus = fmt_ratio(ratio(t_lo, FIG.get("pdf")))
    row("soffice --convert-to pdf, one file per call", t_lo,
        f"{(src / 'a.pdf').stat().st_size / 1024:.0f} KB; LibreOffice/ours (PDF) = {versus}")
    say()
    FIG["lo_one"] = t_lo


# ---------------------------------------------------------------- 5. targets
def _met(value: float | None, limit: float, higher_is_better: bool = False, strict: bool = False) -> str:
    if value is None:
        return "not measured"
    if strict:
        ok = value > limit if higher_is_better else value < limit
    else:
        ok = value >= limit if higher_is_better else value <= limit
    return "met" if ok else "missed"


PDF_SIZE_TARGET = 250 * 1024


def _versus_target(size: int) -> str:
    margin = PDF_SIZE_TARGET - size
    return f"{margin / 1024:.1f} KB under the target" if margin >= 0 else f"{-margin / 1024:.1f} KB over the target"


def targets() -> list[tuple[str, str, str, str]]:
    out: list[tuple[str, str, str, str]] = []

    def add(what: str, value: float | None, shown: str, target: str, limit: float, higher: bool = False,
            strict: bool = False) -> None:
        out.append((what, shown if value is not None else "—", target, _met(value, limit, higher, strict)))

    size = FIG.get("pdf_size")
    add("agreement PDF size (section 1, corporate)", size, f"{(size or 0) / 1024:.0f} KB", "≤ 250 KB", 250 * 1024)
    size = FIG.get("pdf_size_individual")
    add("agreement PDF size (section 1, individual)", size, f"{(size or 0) / 1024:.0f} KB", "≤ 250 KB", 250 * 1024)
    biggest = FIG.get("batch_pdf_max")
    add("largest agreement PDF of the batch", biggest, f"{(biggest or 0) / 1024:.0f} KB", "≤ 250 KB", 250 * 1024)
    r = ratio(FIG.get("pdf"), FIG.get("plain_pdfa"))
    add("our PDF/A / WeasyPrint alone with pdf/a-3b, same HTML", r, fmt_ratio(r), "≤ 1.15x", 1.15)
    r = ratio(FIG.get("pdf_plain"), FIG.get("plain"))
    add("our plain PDF / WeasyPrint alone, same HTML", r, fmt_ratio(r), "≤ 1.15x", 1.15)
    r = ratio(FIG.get("cold_first"), FIG.get("pdf"))
    add("first PDF in a fresh process / warm", r, fmt_ratio(r), "≤ 2x", 2.0)
    r = ratio(FIG.get("cold_first_ex"), FIG.get("pdf"))
    add("  the same, not counting `import weasyprint`", r, fmt_ratio(r), "(≤ 2x)", 2.0)
    r = FIG.get("batch_speedup")
    jobs = FIG.get("batch_jobs", os.cpu_count())
    add(f"batch speed-up, {jobs} jobs vs 1 ({FIG.get('batch_count', '?')} agreements)", r, fmt_ratio(r),
        "≥ 1.8x on 2 cores", 1.8, True)
    r = FIG.get("clerk_vs_ours")
    add(f"clerk's route / ours, per agreement ({jobs} jobs)", r, fmt_ratio(r), "≥ 2x", 2.0, True)
    r = FIG.get("clerk_vs_ours_1")
    add("  the same against our batch at 1 job", r, fmt_ratio(r), "(≥ 2x)", 2.0, True)
    for key, label in (("append_service", "append (`notice send`, store open)"),
                       ("append_pay", "append (`pay`, store open)"),
                       ("append_raw", "append (`store.append`, store open)"),
                       ("fresh_append", "append (fresh open + `notice send`)"),
                       ("cli_append", "append (`vipcontract notice send` process)"),
                       ("show", "show (store open)"),
                       ("fresh_show", "show (fresh open + show)"),
                       ("cli_show", "show (`vipcontract show` process)")):
        r = ratio(FIG.get(f"reg_{key}_10000"), FIG.get(f"reg_{key}_1000"))
        add(f"{label}: 10,000 / 1,000 contracts", r, fmt_ratio(r), "≤ 2x", 2.0)
    for key, label in (("fresh_show", "show (fresh open + show)"),):
        r = ratio(FIG.get(f"reg_{key}_100000"), FIG.get(f"reg_{key}_1000"))
        add(f"{label}: 100,000 / 1,000 contracts", r, fmt_ratio(r), "≤ 2x", 2.0)
    for name in FIG.get("command_names", ()):
        for n, limit in ((10_000, 2.0), (100_000, 5.0)):
            v, cpu = FIG.get(f"command_{name}_{n}"), FIG.get(f"command_cpu_{name}_{n}")
            if v is not None:
                add(f"`{name}` at {n:,} contracts (fresh open + summaries + build)", v,
                    f"{v:.2f} s (CPU {cpu or 0:.2f} s)", f"< {limit:.0f} s", limit, strict=True)
    peak = FIG.get("reg_list_peak_100000")
    add("peak memory of `vipcontract list` at 100,000 contracts", peak, f"{peak or 0:,.0f} MB", "< 500 MB", 500,
        strict=True)
    for key, label in (("fresh_append", "append (fresh open + `notice send`)"),
                       ("append_raw", "append (`store.append`, store open)"),
                       ("fresh_show", "show (fresh open + show)")):
        r = ratio(FIG.get(f"pg_{key}_100000"), FIG.get(f"pg_{key}_1000"))
        add(f"PostgreSQL {label}: 100,000 / 1,000 contracts", r, fmt_ratio(r), "≤ 2x", 2.0)
    for key in ("list_expiring", *(f"report_{n}" for n in bench_postgres.REPORT_NAMES)):
        v = FIG.get(f"pg_{key}_100000")
        add(f"PostgreSQL `{key.replace('_', ' ', 1)}` at 100,000 contracts (a process of its own)", v,
            f"{v or 0:.2f} s ({FIG.get(f'pg_{key}_100000_peak_mb') or 0:.0f} MB)", "< 2 s", 2.0, strict=True)
    for key, label in (("check", "`check` of the whole register"),
                       (bench_postgres.FIRST_READ, "first read after a load without summaries (the rebuild)")):
        for n in (10_000, 100_000):
            v = FIG.get(f"pg_{key}_{n}")
            if v is not None:
                out.append((f"PostgreSQL {label} at {n:,} contracts", f"{v:.1f} s "
                            f"({FIG.get(f'pg_{key}_{n}_peak_mb') or 0:.0f} MB)", "a figure", "measured"))
    names = FIG.get("report_names")
    if names:
        for name in names:
            v = FIG.get(f"report_{name}_10000")
            add(f"report `{name}` over 10,000 contracts (open + states + build)", v,
                f"{v:.3f} s" if v is not None else "—", "< 2 s", 2.0, strict=True)
    else:
        out.append(("every report over 10,000 contracts", "—", "< 2 s",
                    f"not measured: {FIG.get('reports_missing', 'no reports')}"))
    return out


def print_targets() -> None:
    say("## 5. Targets")
    say("| what | measured | target | |")
    say("|---|---|---|---|")
    for what, value, target, verdict in targets():
        say(f"| {what} | {value} | {target} | {verdict} |")
    say()


# ---------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions and smaller sizes")
    parser.add_argument("--sections", default="1,2,3,4,5", metavar="1,2,3,4,5",
                        help="run only these sections (to repeat a noisy one); the output then goes to "
                             "bench/results/last-partial-run.md and the targets of the others are not measured")
    args = parser.parse_args()
    chosen = {int(x) for x in args.sections.split(",") if x.strip()}
    repeat = 3 if args.quick else 5
    flags = " ".join(f for f in ("--quick" if args.quick else "",
                                 f"--sections {args.sections}" if chosen != {1, 2, 3, 4, 5} else "") if f)
    say(f"# vipcontract benchmark — {time.strftime('%Y-%m-%d %H:%M')}{f' ({flags})' if flags else ''}")
    for line in machine_lines():
        say(line)
    say()
    with tempfile.TemporaryDirectory(prefix="vipbench-") as tmp:
        work = Path(tmp)
        for number, section in ((1, lambda: (bench_agreement(repeat, work), bench_esign.run(repeat, work))),
                                (2, lambda: bench_libreoffice(work, 3)),
                                (3, lambda: bench_batch.run(work, args.quick)),
                                (4, lambda: bench_register.run(work, args.quick, REGISTER_DEADLINE_S, elapsed)),
                                (5, lambda: bench_postgres.run(work, args.quick))):
            if number not in chosen:
                continue
            load = Load()
            section()
            say(f"(section {number}: {load.describe()})")
            say()
    print_targets()
    say(f"Whole run: {elapsed():.0f} s; load average (1/5/15 min) at the end: {load_average()}.")
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    name = ("last-partial-run.md" if chosen != {1, 2, 3, 4, 5} else
            "last-quick-run.md" if args.quick else "last-run.md")
    (results / name).write_text("\n".join(LINES) + "\n", encoding="utf-8")
    print(f"\nraw output: {results / name}")


if __name__ == "__main__":
    main()
