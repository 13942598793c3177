"""DOCX renderer: fill templates/docx/document.docx (a docxtpl template) from a Document tree.

The template (built by renderers/build_docx_template.py) walks `doc` itself, in the order of
`Document.text_lines()`; this module supplies the context and the jinja2 environment, stamps
the document's properties and writes the package so that the same tree always gives the same
bytes: no clock time anywhere (core properties carry the document's issue date, zip entries a
fixed one), and app.xml names this program.
All text is escaped by jinja2 (autoescape), so names holding & < > stay text.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import jinja2
from docx.oxml.ns import qn
from docxtpl import DocxTemplate

from contracts.document import Document, Table
from renderers.program import PROGRAM, program_version

from . import locations

TEMPLATE = locations.TEMPLATES / "docx" / "document.docx"
# Zip entries need some date; DOS dates start in 1980. Documents with an issue date use it.
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)

# Runs left empty where docxtpl took a {%r …%} tag out of its run.
_EMPTY_RUN = re.compile(r'<w:r><w:t(?: xml:space="preserve")?></w:t></w:r>')


@dataclass(frozen=True)
class TocEntry:
    """One line of 目录: its text and the bookmark on the heading it points to."""

    text: str
    bookmark: str


class _Environment(jinja2.Environment):
    """Compiles each template part once per process: the parts never change between renders."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._compiled: dict[str, jinja2.Template] = {}

    def from_string(self, source, globals=None, template_class=None):
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        template = self._compiled.get(source)
        if template is None:
            template = self._compiled[source] = super().from_string(source)
        return template


class _Template(DocxTemplate):
    _patched: dict[str, str] = {}  # template part XML -> XML ready for jinja2

    def patch_xml(self, src_xml: str) -> str:
        patched = self._patched.get(src_xml)
        if patched is None:
            patched = self._patched[src_xml] = _EMPTY_RUN.sub("", super().patch_xml(src_xml))
        return patched


@functools.cache
def template_bytes() -> bytes:
    """The template file, read once per process."""
    return TEMPLATE.read_bytes()


@functools.cache
def jinja_env() -> jinja2.Environment:
    env = _Environment(undefined=jinja2.StrictUndefined, autoescape=True)
    env.tests["table"] = lambda block: isinstance(block, Table)
    return env


def load_template() -> DocxTemplate:
    return _Template(io.BytesIO(template_bytes()))


def toc_targets(doc: Document) -> list[TocEntry]:
    """`doc.toc_entries()` with the bookmark the template puts on each heading:
    _Toc_ch_N on chapter N, _Toc_signature, _Toc_annex_N on annex N."""
    return [TocEntry(text, "_Toc_" + anchor.replace("-", "_")) for text, anchor in doc.toc_anchors()]


def docx_context(doc: Document) -> dict[str, Any]:
    """Everything the template reads: the tree itself and the table of contents."""
    return {"doc": doc, "toc": toc_targets(doc) if doc.toc else []}


def docx_bytes(doc: Document) -> bytes:
    """DOC as a Word file; the same tree gives the same bytes."""
    buffer = io.BytesIO()
    _filled(doc).save(buffer)
    return _repacked(buffer.getvalue(), doc.issued_on)


def render_docx(doc: Document, out_path: Path) -> None:
    """Write DOC as a Word file to OUT_PATH (exactly that path)."""
    Path(out_path).write_bytes(docx_bytes(doc))


def warm() -> None:
    """Read the template and compile its parts once, before the first real render."""
    docx_bytes(_WARM_DOC)


def _filled(doc: Document) -> DocxTemplate:
    tpl = load_template()
    tpl.render(docx_context(doc), jinja_env=jinja_env(), autoescape=True)
    for table in tpl.docx.element.body.iter(qn("w:tbl")):
        _fit_columns(table)
    # The template's first page has its own, empty header and footer: the cover's. Without a
    # cover, the first page is a page like any other.
    tpl.docx.sections[0].different_first_page_header_footer = doc.cover is not None
    props = tpl.docx.core_properties
    props.title = doc.title
    props.identifier = doc.doc_no
    props.language = "zh-CN"
    props.author = props.last_modified_by = PROGRAM
    props.revision = 1
    if doc.issued_on is not None:
        # The day the document was issued, not the time it happened to be rendered: a file
        # rendered again from the register is the same file.
        issued = dt.datetime.combine(doc.issued_on, dt.time(), tzinfo=dt.UTC)
        props.created = props.modified = issued
    return tpl


# Tables: 9.5pt type, cells padded 2mm left and right (templates/html/document.css).
_TABLE_EM = 190  # twips
_CELL_PADDING = 2 * 113
_UNBREAKABLE = re.compile(r"[^\s\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]+")


def _text_width(text: str) -> int:
    """Width of TEXT in twips at the table's size: hanzi and full-width forms one em, the rest
    about half of one."""
    return sum(_TABLE_EM if unicodedata.east_asian_width(c) in "WF" else _TABLE_EM // 2 for c in text)


def _min_width(text: str, nowrap: bool) -> int:
    """The narrowest the cell can be: its whole text when it may not wrap (th), else its widest
    unbreakable piece (a number, a word, an e-mail address; any single hanzi)."""
    if nowrap:
        return _text_width(text)
    pieces = [_text_width(m) for m in _UNBREAKABLE.findall(text)]
    return max([_TABLE_EM if text.strip() else 0, *pieces])


def _fit_columns(table) -> None:
    """Column widths in the table grid as the PDF's automatic table layout gives them.

    Word fits an auto-width table to its contents when it lays it out, LibreOffice takes the
    grid's widths as they are: without this, every column of a LibreOffice table is equally
    wide. CSS 2.1's automatic layout: a column is at least as wide as its widest unbreakable
    content (th does not wrap) and at most as wide as its longest text; a table narrower than
    the page when every column has its maximum grows in proportion, a wider one shares the room
    above the minimums in proportion to what each column would still like.
    """
    grid = table.find(qn("w:tblGrid"))
    columns = grid.findall(qn("w:gridCol")) if grid is not None else []
    if not columns:
        return
    count = len(columns)
    least, most = [0] * count, [0] * count
    for row in table.iter(qn("w:tr")):
        tr_pr = row.find(qn("w:trPr"))
        header = tr_pr is not None and tr_pr.find(qn("w:tblHeader")) is not None
        for i, cell in enumerate(row.findall(qn("w:tc"))[:count]):
            text = "".join(t.text or "" for t in cell.iter(qn("w:t")))
            least[i] = max(least[i], _min_width(text, header) + _CELL_PADDING)
            most[i] = max(most[i], _text_width(text) + _CELL_PADDING)
    available = sum(int(c.get(qn("w:w"), "0")) for c in columns)
    if sum(most) <= available:
        widths = [m * available / sum(most) for m in most]
    elif sum(least) <= available:
        room = available - sum(least)
        wants = [m - n for m, n in zip(most, least, strict=True)]
        widths = [n + room * w / sum(wants) for n, w in zip(least, wants, strict=True)]
    else:
        widths = [n * available / sum(least) for n in least]
    for column, width in zip(columns, widths, strict=True):
        column.set(qn("w:w"), str(round(width)))


def _app_xml() -> bytes:
    """docProps/app.xml: this program is the application that wrote the file.

    The version goes with the name, as LibreOffice writes its own ("LibreOffice/7.4…"): Office
    expects AppVersion in its own XX.YYYY form, which a program version is not.
    """
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        f"<Application>{escape(PROGRAM)}/{escape(program_version())}</Application>"
        "<DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop>"
        "<LinksUpToDate>false</LinksUpToDate><SharedDoc>false</SharedDoc>"
        "<HyperlinksChanged>false</HyperlinksChanged>"
        "</Properties>"
    ).encode()


def _repacked(package: bytes, issued_on: dt.date | None) -> bytes:
    """The package rewritten entry by entry with fixed zip metadata.

    python-docx stamps every entry with the current time; here every entry gets the issue date
    (or 1980-01-01), the same permissions and the same compression, in the same order.
    """
    when = (issued_on.year, issued_on.month, issued_on.day, 0, 0, 0) if issued_on else _ZIP_EPOCH
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            data = _app_xml() if name == "docProps/app.xml" else src.read(name)
            info = zipfile.ZipInfo(name, date_time=when)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0o644 << 16
            dst.writestr(info, data, compresslevel=6)
    return out.getvalue()


_WARM_DOC = Document(
    kind="agreement", contract_no="", doc_no="", title="", cover=None, preamble=(), chapters=(),
    signature=None,
)
