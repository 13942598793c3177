"""Read a rendered agreement PDF back as text, to compare it with the document tree.

`pdf_body_text(path)` returns the text pypdf extracts from the PDF minus what the tree's
`Document.text_lines()` does not contain:

1. the running footer: on every page, the lines matching "第 X 页 共 Y 页";
2. the running header: on every page that has a footer, the LAST line equal (whitespace
   ignored) to the header text. WeasyPrint draws the page margin boxes after the page
   content, so the header comes right before the footer in pypdf's output; taking the
   last occurrence leaves alone a body line that happens to read the same (the preamble
   repeats "合同编号：…"). The header text is given (`renderers.pdf.running_header(doc)`)
   or, when omitted, taken as the line found on every page with a footer, nearest the
   footer;
3. the table of contents: the PDF outline (bookmarks) has an entry "目录" followed by the
   entry of the body title; the pages from the first up to (not including) the page of the
   second are dropped. Without an outline, a page whose first line is "目录" starts the
   TOC, and it runs while the lines end with a page number.

The cover page (no footer) is kept: its text is part of `text_lines()`. Lines are joined
with "\\n"; compare after removing all whitespace, since line breaks and the spaces pypdf
infers from glyph positions are not part of the tree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from pypdf import PdfReader

FOOTER = re.compile(r"^\s*第\s*(\d+)\s*页\s*共\s*(\d+)\s*页\s*$")
TOC_TITLE = "目录"
_TOC_LINE = re.compile(r"\d+\s*$")
_SPACE = re.compile(r"\s+")


def squash(text: str) -> str:
    """`text` with every whitespace character removed (U+3000 included)."""
    return _SPACE.sub("", text)


@dataclass
class PdfPage:
    index: int  # 0-based
    lines: list[str]  # every extracted line
    footer: tuple[int, int] | None = None  # (X, Y) of "第 X 页 共 Y 页"
    header: str | None = None  # the header line found on the page
    body: list[str] = field(default_factory=list)  # lines minus header and footer


def read_pages(path: Path, header: str | None = None) -> list[PdfPage]:
    """Every page with its footer and header identified and split off."""
    reader = PdfReader(str(path))
    pages = []
    for index, page in enumerate(reader.pages):
        lines = [line for line in page.extract_text().splitlines() if line.strip()]
        pdf_page = PdfPage(index, lines)
        body = []
        for line in lines:
            match = FOOTER.match(line)
            if match and pdf_page.footer is None:
                pdf_page.footer = (int(match[1]), int(match[2]))
            else:
                body.append(line)
        pdf_page.body = body
        pages.append(pdf_page)
    with_footer = [p for p in pages if p.footer]
    if header is None:
        header = _guess_header(with_footer)
    if header:
        wanted = squash(header)
        for page in with_footer:
            for i in range(len(page.body) - 1, -1, -1):
                if squash(page.body[i]) == wanted:
                    page.header = page.body.pop(i)
                    break
    return pages


def _guess_header(pages: list[PdfPage]) -> str | None:
    if not pages:
        return None
    common = set(map(squash, pages[0].body))
    for page in pages[1:]:
        common &= set(map(squash, page.body))
    for line in reversed(pages[0].body):
        if squash(line) in common:
            return line
    return None


def toc_pages(path: Path, pages: list[PdfPage] | None = None) -> range:
    """0-based indexes of the table-of-contents pages (empty when there is none)."""
    reader = PdfReader(str(path))
    entries = _flat_outline(reader, reader.outline)
    for i, (title, page) in enumerate(entries):
        if title.strip() == TOC_TITLE:
            if i + 1 < len(entries):
                return range(page, max(page + 1, entries[i + 1][1]))
            return range(page, page + 1)
    if pages is None:
        pages = read_pages(path)
    for page in pages:
        if page.body and page.body[0].strip() == TOC_TITLE:
            end = page.index + 1
            while end < len(pages) and pages[end].body and all(
                _TOC_LINE.search(line) for line in pages[end].body
            ):
                end += 1
            return range(page.index, end)
    return range(0)


def _flat_outline(reader: PdfReader, outline) -> list[tuple[str, int]]:
    found = []
    for item in outline:
        if isinstance(item, list):
            found.extend(_flat_outline(reader, item))
        else:
            found.append((str(item.title), reader.get_destination_page_number(item)))
    return found


def pdf_body_text(path: Path, header: str | None = None) -> str:
    """The text of the PDF without header, footer and table of contents (see module doc)."""
    pages = read_pages(path, header)
    skip = set(toc_pages(path, pages))
    return "\n".join(line for page in pages if page.index not in skip for line in page.body)
