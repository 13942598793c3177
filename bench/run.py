"""`make bench`: figures and ratios measured in one process run (medians of repetitions).

Sections: the agreement (DOCX, PDF, both; WeasyPrint alone and docxtpl alone on the same
input; cold first render), LibreOffice where installed, the batch at 1 and N jobs, the register
at growing sizes, and the reports. The raw output of the last run is kept in bench/results/.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import make_agreement  # noqa: E402

LINES: list[str] = []


def say(line: str = "") -> None:
    print(line, flush=True)
    LINES.append(line)


def median_time(fn: Callable[[], object], repeat: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def row(label: str, seconds: float, extra: str = "") -> None:
    say(f"| {label} | {seconds * 1000:,.1f} ms | {extra} |")


def bench_agreement(repeat: int, work: Path) -> None:
    from docxtpl import DocxTemplate
    from weasyprint import CSS, HTML

    from renderers import docx as docx_renderer
    from renderers import pdf as pdf_renderer
    from service.output import write_documents

    doc = make_agreement("corporate")
    say("## 1. One agreement (corporate variant, warm process)")
    say(f"PDF font subsetter: {pdf_renderer.subsetter_in_use()}")
    say("| what | median | note |")
    say("|---|---|---|")
    t_docx = median_time(lambda: docx_renderer.render_docx(doc, work / "a.docx"), repeat)
    row("DOCX (ours)", t_docx)
    t_pdf = median_time(lambda: pdf_renderer.render_pdf(doc, work / "a.pdf"), repeat)
    pages = len(pdf_renderer.get_renderer().layout(doc).pages)
    row("PDF (ours)", t_pdf, f"{pages} pages, {(work / 'a.pdf').stat().st_size / 1024:.0f} KB")
    t_both = median_time(lambda: write_documents(doc, work, ("docx", "pdf"), "both"), repeat)
    row("DOCX + PDF, written atomically", t_both)

    html = pdf_renderer.render_html(doc)
    base = str(pdf_renderer.TEMPLATE_DIR) + "/"
    plain_css = pdf_renderer.stylesheet_text(use_subset=False)

    def weasyprint_alone() -> None:
        HTML(string=html, base_url=base).write_pdf(
            work / "plain.pdf", stylesheets=[CSS(string=plain_css, base_url=base)]
        )

    t_plain = median_time(weasyprint_alone, repeat)
    row("WeasyPrint alone, same HTML, system font", t_plain,
        f"{(work / 'plain.pdf').stat().st_size / 1024:.0f} KB; ours/plain = {t_pdf / t_plain:.2f}x")

    context = docx_renderer.docx_context(doc)

    def docxtpl_alone() -> None:
        tpl = DocxTemplate(io.BytesIO(docx_renderer.template_bytes()))
        tpl.render(context, jinja_env=docx_renderer.jinja_env(), autoescape=True)
        tpl.save(io.BytesIO())

    t_tpl = median_time(docxtpl_alone, repeat)
    row("docxtpl alone, same template and context", t_tpl, f"ours/plain = {t_docx / t_tpl:.2f}x")

    script = (
        "import sys, time; sys.path.insert(0, {!r}); t0=time.perf_counter();"
        "from tests.conftest import make_agreement; from renderers.pdf import render_pdf;"
        "d=make_agreement('corporate'); t1=time.perf_counter(); render_pdf(d, {!r});"
        "print(t1-t0, time.perf_counter()-t1)"
    ).format(str(ROOT), str(work / "cold.pdf"))
    runs = [subprocess.check_output([sys.executable, "-c", script], text=True).split() for _ in range(3)]
    t_import = statistics.median(float(r[0]) for r in runs)
    t_cold = statistics.median(float(r[1]) for r in runs)
    row("fresh process: imports and resolving the tree", t_import)
    row("fresh process: first PDF render (fonts cold)", t_cold, f"cold/warm = {t_cold / t_pdf:.2f}x")
    say()
    return t_docx, t_pdf


def bench_libreoffice(work: Path, t_pdf: float, count: int) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    say("## 2. The clerk's route: LibreOffice headless DOCX -> PDF")
    if not soffice:
        say("soffice is not installed: skipped (apt-get install libreoffice-writer-nogui to include it).")
        say()
        return
    from renderers.docx import render_docx

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
    say("| what | median | note |")
    say("|---|---|---|")
    row("soffice --convert-to pdf, one file per call", t_lo, f"LibreOffice/ours = {t_lo / t_pdf:.2f}x")
    say()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions and smaller sizes")
    args = parser.parse_args()
    repeat = 3 if args.quick else 7
    say(f"# vipcontract benchmark — {time.strftime('%Y-%m-%d %H:%M')}")
    say(f"machine: {platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPUs")
    say()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        _t_docx, t_pdf = bench_agreement(repeat, work)
        bench_libreoffice(work, t_pdf, 3)
        for section in SECTIONS:
            section(work, args.quick)
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "last-run.md").write_text("\n".join(LINES) + "\n", encoding="utf-8")
    print(f"\nraw output: {results / 'last-run.md'}")


SECTIONS: list[Callable[[Path, bool], None]] = []

if __name__ == "__main__":
    main()
