"""A report as PDF: templates/html/report.html.j2 and report.css through WeasyPrint.

Title, as-of date, the generated-at line (unless the report has none), an SVG bar chart when
the report carries one, the table (A4 landscape when it is wide), totals, notes, and
"第 X 页 共 Y 页" in the footer. The fonts are those of the agreement (`_font_setup`, the one
place that chooses them). The PDF's metadata dates are the as-of date and the file has no
random identifier, so the same report without a timestamp gives the same bytes.

The file is PDF/A-3b like the agreements (output intent, XMP identification, fonts embedded),
with the report's data as JSON attached as an associated file (`archival_document`).
"""

from __future__ import annotations

import datetime as dt
import functools
import html
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from contracts.document import Document
from contracts.report_model import (
    ColumnKind,
    MonthlyChart,
    Report,
    display_total,
    display_value,
    format_generated_at,
    text_width,
)

from . import locations

TEMPLATES = locations.TEMPLATES / "html"
TEMPLATE = "report.html.j2"
REPORT_DATA_NAME = "vipcontract-report.json"  # the report's data attached to its PDF
STYLESHEET = TEMPLATES / "report.css"
# Portrait A4 holds about this many width units (a CJK character is 2) across at 9.5 pt;
# a wider table, or more columns than LANDSCAPE_COLUMNS, turns the page.
PORTRAIT_UNITS = 100
LANDSCAPE_COLUMNS = 6
CELL_UNITS_CAP = 30  # a long text cell wraps: it counts this much at most
# Chinese text may break between any two characters, so a table squeezed by one long column
# gave a short column its narrowest width and split 陈静 into 陈/静. A text column is kept at
# least as wide as its longest cell up to this many units (a CJK character is 2): a name of
# up to five characters stays on one line, a company name wraps after that.
TEXT_MIN_UNITS = 10


def _font_setup() -> tuple[str, str]:
    """(@font-face rules, CSS font-family): the agreement's CJK serif, from renderers.fonts."""
    from renderers.fonts import FONT_FAMILY, font_face_css

    return font_face_css(), FONT_FAMILY


@functools.cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def is_landscape(report: Report) -> bool:
    """A4 landscape when the table would be crowded in portrait (never for an empty report)."""
    if report.is_empty:
        return False
    if len(report.columns) > LANDSCAPE_COLUMNS:
        return True
    units = 0
    for column in report.columns:
        cells = (text_width(display_value(column, row[column.key])) for row in report.rows)
        units += min(max(text_width(column.label), *cells, 0), CELL_UNITS_CAP) + 2
    return units > PORTRAIT_UNITS


# ---------------------------------------------------------------- the chart


def _nice_step(top: int) -> int:
    """Grid step giving at most five lines up to `top`: 1, 2, 5, 10, 20, 50..."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if top <= step * factor * 5:
                return step * factor
        step *= 10


def chart_svg(chart: MonthlyChart, font_family: str, width: int = 720, height: int = 190) -> str:
    """A bar chart of counts per month as an inline SVG (no external tools); deterministic."""
    left, right, top, bottom = 34, 8, 16, 52
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(chart.counts), 1)
    peak = max(chart.counts, default=0)
    step = _nice_step(max(peak, 1))
    y_max = max(step * -(-max(peak, 1) // step), step)
    slot = plot_w / n
    bar = slot * 0.62
    # WeasyPrint's SVG text takes a plain comma-separated list: quoted names would not match
    font = html.escape(font_family.replace('"', "").replace("'", ""), quote=True)

    def y(value: float) -> float:
        return top + plot_h - plot_h * value / y_max

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" font-family="{font}" font-size="10" role="img">'
    ]
    for tick in range(0, y_max + 1, step):
        ty = y(tick)
        parts.append(f'<line x1="{left}" y1="{ty:.2f}" x2="{width - right}" y2="{ty:.2f}" '
                     f'stroke="{"#666" if tick == 0 else "#ddd"}" stroke-width="{1 if tick == 0 else 0.6}"/>')
        parts.append(f'<text x="{left - 5}" y="{ty + 3.5:.2f}" text-anchor="end" fill="#444">{tick}</text>')
    for i, (label, count) in enumerate(zip(chart.labels, chart.counts, strict=True)):
        cx = left + slot * i + slot / 2
        if count:
            by = y(count)
            parts.append(f'<rect x="{cx - bar / 2:.2f}" y="{by:.2f}" width="{bar:.2f}" '
                         f'height="{top + plot_h - by:.2f}" fill="#3b6ea5"/>')
            parts.append(f'<text x="{cx:.2f}" y="{by - 3:.2f}" text-anchor="middle" font-size="9" '
                         f'fill="#222">{count}</text>')
        ly = top + plot_h + 10
        parts.append(f'<text x="{cx:.2f}" y="{ly:.2f}" text-anchor="end" font-size="8.5" fill="#333" '
                     f'transform="rotate(-50 {cx:.2f} {ly:.2f})">{html.escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


# ---------------------------------------------------------------- HTML and PDF


def min_widths(report: Report) -> list[str]:
    """Per column, a CSS min-width ("4em") for text columns, "" for the others (dates,
    numbers and ids do not wrap at all, see report.css)."""
    widths = []
    for column in report.columns:
        if column.kind is not ColumnKind.TEXT:
            widths.append("")
            continue
        units = max((text_width(display_value(column, row[column.key])) for row in report.rows), default=0)
        units = min(max(units, text_width(column.label)), TEXT_MIN_UNITS)
        widths.append(f"{units / 2:g}em" if units else "")
    return widths



def render_html(report: Report) -> str:
    """The report as HTML (what WeasyPrint lays out)."""
    _faces, family = _font_setup()
    rows = [[(c.kind.value, display_value(c, row[c.key])) for c in report.columns] for row in report.rows]
    return _environment().get_template(TEMPLATE).render(
        report=report,
        rows=rows,
        min_widths=min_widths(report),
        totals=[(label, display_total(value)) for label, value in report.totals],
        generated_at=format_generated_at(report.generated_at) if report.generated_at else "",
        chart_svg=Markup(chart_svg(report.chart, family)) if report.chart is not None else "",
        pdf_date=f"{report.as_of.isoformat()}T00:00:00Z",
    )


def page_css(report: Report) -> str:
    """What depends on the report and the machine: the fonts and the page orientation."""
    faces, family = _font_setup()
    size = "A4 landscape" if is_landscape(report) else "A4"
    return f"{faces}\n@page {{ size: {size}; }}\nhtml {{ font-family: {family}; }}\n"


def archival_document(report: Report) -> Document:
    """What `renderers.pdf.archival_options` reads of a document, for a report: its date, the
    as-of date (never the clock). The data goes in by `data_attachment`."""
    return Document(kind="report", contract_no="", doc_no="", title=report.title, cover=None, preamble=(),
                    chapters=(), signature=None, toc=False, issued_on=report.as_of)


def data_attachment(report: Report) -> Any:
    """The JSON `--format json` writes, as an associated file with /AFRelationship /Data: ISO
    32000-2 gives Data for "information used to derive a visual presentation, such as for a table
    or a graph", which is what it is for the table, totals and chart (Supplement is for another
    rendering of the same content). Dated the as-of date, as the file."""
    from weasyprint import Attachment

    from renderers.report_files import render_json

    when = dt.datetime.combine(report.as_of, dt.time(), tzinfo=dt.UTC)
    return Attachment(string=render_json(report), name=REPORT_DATA_NAME, description="报表数据（供程序读取）",
                      created=when, modified=when, relationship="Data")


def render_pdf(report: Report, data: Report | None = None) -> bytes:
    """The report as PDF/A-3b (as the agreements: renderers.pdf.archival_options), with the JSON
    of `data` attached: the full report when `report` is the view of it a page shows (by default
    `report` itself)."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from renderers.pdf import archival_options

    fonts = FontConfiguration()  # @font-face rules outside the HTML need it
    document = HTML(string=render_html(report), base_url=str(TEMPLATES))
    stylesheets = [CSS(string=page_css(report), font_config=fonts),
                   CSS(filename=str(STYLESHEET), font_config=fonts)]
    # PDF/A-3b; archival_options' finisher draws bold from the regular face, as in the agreement
    return document.write_pdf(stylesheets=stylesheets, font_config=fonts, pdf_identifier=None,
                              attachments=[data_attachment(data or report)],
                              **archival_options(archival_document(report)))
