"""DOCX renderer: fill templates/docx/document.docx (a docxtpl template) from a Document tree.

The template (built by renderers/build_docx_template.py) walks `doc` itself, in the order of
`Document.text_lines()`; this module only supplies the context and the jinja2 environment.
All text is escaped by jinja2 (autoescape), so names holding & < > stay text.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from docxtpl import DocxTemplate

from contracts.document import Document, Table

TEMPLATE = Path(__file__).resolve().parent.parent / "templates" / "docx" / "document.docx"

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
    names = [f"_Toc_ch_{i}" for i, _ in enumerate(doc.chapters, 1)]
    if doc.signature:
        names.append("_Toc_signature")
    names.extend(f"_Toc_annex_{i}" for i, _ in enumerate(doc.annexes, 1))
    entries = doc.toc_entries()
    if len(entries) != len(names):
        raise ValueError(f"table of contents has {len(entries)} entries for {len(names)} headings")
    return [TocEntry(text, name) for text, name in zip(entries, names, strict=True)]


def docx_context(doc: Document) -> dict[str, Any]:
    """Everything the template reads: the tree itself and the table of contents."""
    return {"doc": doc, "toc": toc_targets(doc) if doc.toc else []}


def render_docx(doc: Document, out_path: Path) -> None:
    """Write DOC as a Word file to OUT_PATH (exactly that path)."""
    _filled(doc).save(str(out_path))


def warm() -> None:
    """Read the template and compile its parts once, before the first real render."""
    _filled(_WARM_DOC).save(io.BytesIO())


def _filled(doc: Document) -> DocxTemplate:
    tpl = load_template()
    tpl.render(docx_context(doc), jinja_env=jinja_env(), autoescape=True)
    # The template's first page has its own, empty header and footer: the cover's. Without a
    # cover, the first page is a page like any other.
    tpl.docx.sections[0].different_first_page_header_footer = doc.cover is not None
    props = tpl.docx.core_properties
    props.title = doc.title
    props.identifier = doc.doc_no
    props.language = "zh-CN"
    props.created = props.modified = dt.datetime.now(dt.UTC).replace(microsecond=0)
    return tpl


_WARM_DOC = Document(
    kind="agreement", contract_no="", doc_no="", title="", cover=None, preamble=(), chapters=(),
    signature=None,
)
