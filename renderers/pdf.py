"""PDF renderer: the document tree as HTML (templates/html/), laid out by WeasyPrint.

Everything that does not depend on the document is prepared once per process: the
jinja2 template (compiled on first use), and in a `PdfRenderer` the WeasyPrint font
configuration with the cached font subsets of `renderers.fonts` and the parsed
stylesheet. `render_pdf()` uses one module-level `PdfRenderer`, so a worker rendering
hundreds of agreements pays for all this once.

Pages: the cover (no header or footer), the table of contents, the body, the signature
page, one page per annex. Every page but the cover carries the running header
(`running_header()`) and the footer "第 X 页 共 Y 页", X and Y counting the physical pages
of the file, cover included, so that they match the page numbers of the table of
contents and of any PDF viewer.

Every file is PDF/A-3b (`archival_options`): WeasyPrint writes the XMP identification, the
sRGB output intent and embeds the fonts; the data file the document tree carries
(`Document.data_file`, see contracts/archive.py) is attached as an associated file with
/AFRelationship /Data. Nothing in the file comes from the clock: its dates are the document's
(`document_date`), the trailer /ID is computed from the content, so the same document gives
the same bytes.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

import jinja2

from contracts.document import Document, Table
from renderers import fonts, locations, pdf_fonts, sigfields
from renderers.program import PROGRAM, program_version

log = logging.getLogger(__name__)

TEMPLATE_DIR = locations.TEMPLATES / "html"
TEMPLATE_NAME = "document.html.j2"
STYLESHEET_NAME = "document.css"
HEADER_SEPARATOR = "\u3000"

_SLOW_SUBSET_MESSAGE = (
    "libharfbuzz-subset is not available: WeasyPrint subsets fonts with fontTools, which "
    "takes 14-18 s per agreement instead of about 1 s. Install it: "
    "sudo apt-get install libharfbuzz-subset0"
)


@dataclass(frozen=True)
class TocLink:
    id: str
    text: str


def running_header(doc: Document) -> str:
    """The header line of every page but the cover."""
    parts = [f"合同编号：{doc.contract_no}"]
    if doc.doc_no and doc.doc_no != doc.contract_no:
        parts.append(f"文件编号：{doc.doc_no}")
    if doc.watermark:
        parts.append(doc.watermark)
    return HEADER_SEPARATOR.join(parts)


def toc_links(doc: Document) -> list[TocLink]:
    """`doc.toc_entries()` with the id of the heading each entry points to."""
    return [TocLink(anchor, text) for text, anchor in doc.toc_anchors()]


def subsetter_in_use() -> str:
    """"harfbuzz" when WeasyPrint can subset fonts with libharfbuzz-subset, else "fonttools"."""
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    if harfbuzz_subset is not None and harfbuzz.hb_version_atleast(4, 1, 0):
        return "harfbuzz"
    return "fonttools"


_warned_slow_subsetter = False


def _warn_if_slow_subsetter() -> None:
    global _warned_slow_subsetter
    if _warned_slow_subsetter:
        return
    _warned_slow_subsetter = True
    if subsetter_in_use() != "harfbuzz":
        log.warning(_SLOW_SUBSET_MESSAGE)
        warnings.warn(_SLOW_SUBSET_MESSAGE, RuntimeWarning, stacklevel=3)


def _template_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.tests["table_block"] = lambda block: isinstance(block, Table)
    return env


@functools.cache
def _template() -> jinja2.Template:
    """templates/html/document.html.j2, compiled once per process."""
    return _template_environment().get_template(TEMPLATE_NAME)


def render_html(doc: Document) -> str:
    """The HTML WeasyPrint lays out (the stylesheet is applied separately)."""
    return _template().render(
        doc=doc,
        header=running_header(doc),
        toc=toc_links(doc) if doc.toc else [],
    )


def stylesheet_text(use_subset: bool = True) -> str:
    """The font rules followed by templates/html/document.css."""
    parts = []
    if use_subset:
        parts.append(fonts.font_face_css())
    parts.append(f"html, body {{ font-family: {fonts.FONT_FAMILY}; }}")
    parts.append((TEMPLATE_DIR / STYLESHEET_NAME).read_text(encoding="utf-8"))
    return "\n".join(p for p in parts if p)


class PdfRenderer:
    """Font configuration, stylesheet and template loaded once; renders many documents.

    `use_subset=False` serves the system font as is (for measurements and as the path
    taken anyway when the subset cannot be built). Not meant for concurrent use from
    several threads: calls are serialised by a lock.
    """

    def __init__(self, use_subset: bool = True) -> None:
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        _warn_if_slow_subsetter()
        self.font_config = FontConfiguration()
        self.stylesheet = CSS(
            string=stylesheet_text(use_subset),
            base_url=str(TEMPLATE_DIR) + "/",
            font_config=self.font_config,
        )
        self.uses_subset = use_subset and bool(fonts.font_faces())
        self._lock = threading.Lock()

    def layout(self, doc: Document):
        """The laid-out WeasyPrint document (pages, then `write_pdf`)."""
        return self.layout_html(render_html(doc))

    def layout_html(self, html: str):
        from weasyprint import HTML

        with self._lock:
            return HTML(string=html, base_url=str(TEMPLATE_DIR) + "/").render(
                stylesheets=[self.stylesheet], font_config=self.font_config
            )

    def render_pdf(self, doc: Document, out_path: Path) -> None:
        Path(out_path).write_bytes(self.pdf_bytes(doc))

    def pdf_bytes(self, doc: Document, archival: bool = True) -> bytes:
        """DOC as PDF/A-3b (ARCHIVAL False: a plain PDF, for measurements)."""
        document = self.layout(doc)
        stamp_metadata(document.metadata, doc)
        with self._lock:
            pdf = document.write_pdf(**(archival_options(doc) if archival else {"finisher": _finish}))
        # The signature fields go in as an incremental update over the written file, placed
        # from this layout (renderers.sigfields); a document without a signature page has none.
        fields = sigfields.signature_boxes(document)
        return sigfields.add_signature_fields(pdf, fields) if fields else pdf


# PDF/A-3b: WeasyPrint writes the XMP metadata (pdfaid:part 3, conformance B), the sRGB output
# intent with the ICC profile it ships, and for each attachment an associated file (/AF on the
# catalog, /AFRelationship from the attachment); the fonts are embedded, nothing is encrypted.
PDF_VARIANT = "pdf/a-3b"


def document_date(doc: Document) -> str | None:
    """The date the file states it was created and modified: the document's own date (from its
    event), never the clock, so that rendering it again gives the same bytes. W3C form, UTC."""
    return f"{doc.issued_on.isoformat()}T00:00:00+00:00" if doc.issued_on else None


def stamp_metadata(metadata, doc: Document) -> None:
    """Title, dates and creator of the PDF's Info dictionary and XMP, from the document."""
    metadata.title = doc.title
    metadata.created = metadata.modified = document_date(doc)
    metadata.generator = f"{PROGRAM} {program_version()}"
    metadata.lang = "zh-CN"


def archival_options(doc: Document) -> dict:
    """write_pdf options: PDF/A-3b, and the document's data file attached as its data."""
    options: dict = {"pdf_variant": PDF_VARIANT, "finisher": _finish}
    if doc.data_file is not None:
        from weasyprint import Attachment

        when = (dt.datetime.combine(doc.issued_on, dt.time(), tzinfo=dt.UTC) if doc.issued_on
                else dt.datetime(1980, 1, 1, tzinfo=dt.UTC))  # a fixed date, never the clock
        options["attachments"] = [Attachment(
            string=doc.data_file.content.encode("utf-8"), name=doc.data_file.name,
            description="合同数据（供程序读取）", created=when, modified=when, relationship="Data",
        )]
    return options


def _finish(document, pdf) -> None:
    """What is changed in the PDF WeasyPrint built, before it is written: bold drawn by emboldening
    the regular face, the fonts made compact (renderers.pdf_fonts), the catalog's /AF listing each
    attachment once."""
    pdf_fonts.finish_fonts(document, pdf)
    _one_entry_per_file(document, pdf)


def _one_entry_per_file(document, pdf) -> None:
    """WeasyPrint (70) lists each attachment twice in the catalog's /AF, once from the
    EmbeddedFiles name tree and once from the file specifications: one entry each is kept."""
    if "AF" in pdf.catalog:
        import pydyf

        pdf.catalog["AF"] = pydyf.Array(dict.fromkeys(pdf.catalog["AF"]))


_renderer: PdfRenderer | None = None
_renderer_lock = threading.Lock()


def get_renderer() -> PdfRenderer:
    """The process-wide renderer, created on first use."""
    global _renderer
    with _renderer_lock:
        if _renderer is None:
            _renderer = PdfRenderer()
        return _renderer


def render_pdf(doc: Document, out_path: Path) -> None:
    """Write the agreement as PDF to exactly `out_path` (the caller renames it into place)."""
    get_renderer().render_pdf(doc, out_path)
