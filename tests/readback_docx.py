"""Read a rendered DOCX back the way a reader sees it (python-docx and the raw XML)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from docx import Document as open_docx
from docx.oxml.ns import qn

TOC_HEADING_STYLE = "TOC Heading"


def _is_toc_style(name: str | None) -> bool:
    """Word's styles of table-of-contents entries: "toc 1", "toc 2", …"""
    return bool(name) and re.fullmatch(r"toc \d", name.lower()) is not None


def docx_body_lines(path: Path) -> list[str]:
    """Non-empty paragraph texts of the body in document order, table cells row by row.

    The table of contents is left out: its heading (style "TOC Heading"), its entries (styles
    "toc N") and everything inside a TOC field. Tabs read as "\\t", line breaks as "\\n".
    """
    doc = open_docx(str(path))
    names = _style_names(doc)
    lines = []
    fields: list[dict] = []  # open complex fields, innermost last; shared across paragraphs
    for p in _paragraphs(doc.element.body):
        text = _paragraph_text(p, fields)
        name = names.get(_style_id(p))
        if name == TOC_HEADING_STYLE or _is_toc_style(name):
            continue
        if text.strip():
            lines.append(text)
    return lines


def docx_header_footer_text(path: Path) -> tuple[str, str]:
    """(header text, footer text) of all sections, fields' cached results included."""
    doc = open_docx(str(path))
    headers, footers = [], []
    for section in doc.sections:
        for part, out in ((section.header, headers), (section.footer, footers)):
            if part.is_linked_to_previous:
                continue
            out.extend(_paragraph_text(p, []) for p in _paragraphs(part._element))
    return "\n".join(headers), "\n".join(footers)


def field_instructions(element) -> list[str]:
    """Instructions of the complex and simple fields under ELEMENT, e.g. ["PAGE", "NUMPAGES"]."""
    found = []
    current: list[str] | None = None
    for el in element.iter(qn("w:fldChar"), qn("w:instrText"), qn("w:fldSimple")):
        if el.tag == qn("w:fldSimple"):
            found.append(el.get(qn("w:instr")).strip())
        elif el.tag == qn("w:instrText"):
            if current is not None:
                current.append(el.text or "")
        else:
            kind = el.get(qn("w:fldCharType"))
            if kind == "begin":
                current = []
            elif kind == "separate" and current is not None:
                found.append("".join(current).strip())
                current = None
    return found


def toc_entries(path: Path) -> list[str]:
    """The entries of the table of contents, one per paragraph in order: paragraphs in a
    "toc N" style or inside a TOC field, up to the tab before the page number."""
    doc = open_docx(str(path))
    names = _style_names(doc)
    entries = []
    fields: list[dict] = []
    for p in _paragraphs(doc.element.body):
        in_field = _paragraph_text(p, fields, want_toc=True)
        text = in_field or (_paragraph_text(p, []) if _is_toc_style(names.get(_style_id(p))) else "")
        text = text.split("\t")[0].strip()
        if text:
            entries.append(text)
    return entries


def toc_page_fields(path: Path) -> list[tuple[str, str]]:
    """(instruction, cached result) of every field in the "toc N" paragraphs."""
    doc = open_docx(str(path))
    names = _style_names(doc)
    found = []
    for p in _paragraphs(doc.element.body):
        if not _is_toc_style(names.get(_style_id(p))):
            continue
        instruction, result, state = "", "", None
        for el in p.iter(qn("w:fldChar"), qn("w:instrText"), qn("w:t")):
            if el.tag == qn("w:fldChar"):
                state = {"begin": "instr", "separate": "result", "end": None}[el.get(qn("w:fldCharType"))]
                if state is None:
                    found.append((instruction.strip(), result))
                    instruction, result = "", ""
            elif el.tag == qn("w:instrText") and state == "instr":
                instruction += el.text or ""
            elif el.tag == qn("w:t") and state == "result":
                result += el.text or ""
    return found


def bookmarks(path: Path) -> dict[str, str]:
    """Bookmark name -> text of the paragraph it starts in."""
    doc = open_docx(str(path))
    found = {}
    for p in _paragraphs(doc.element.body):
        for start in p.iter(qn("w:bookmarkStart")):
            found[start.get(qn("w:name"))] = _paragraph_text(p, [])
    return found


def bold_run_texts(path: Path) -> list[str]:
    """Stripped texts of the runs marked bold themselves (w:b), body and tables."""
    doc = open_docx(str(path))
    texts = []
    for p in _paragraphs(doc.element.body):
        for r in p.iter(qn("w:r")):
            rpr = r.find(qn("w:rPr"))
            b = rpr.find(qn("w:b")) if rpr is not None else None
            if b is None or b.get(qn("w:val")) in ("0", "false", "off"):
                continue
            text = "".join(t.text or "" for t in r.iter(qn("w:t"))).strip()
            if text:
                texts.append(text)
    return texts


def _paragraphs(container) -> Iterator:
    """w:p elements in document order, descending into tables (row by row) and w:sdt."""
    for child in container:
        if child.tag == qn("w:p"):
            yield child
        elif child.tag == qn("w:tbl"):
            for tr in child.iter(qn("w:tr")):
                for tc in tr.findall(qn("w:tc")):
                    yield from _paragraphs(tc)
        elif child.tag in (qn("w:sdt"), qn("w:sdtContent")):
            yield from _paragraphs(child)


def _paragraph_text(p, fields: list[dict], want_toc: bool = False) -> str:
    """Text of paragraph P; FIELDS carries the open complex fields over paragraph ends.

    want_toc=False: text outside any TOC field; True: only the TOC field's cached result.
    """
    out = []
    for el in p.iter(qn("w:fldChar"), qn("w:instrText"), qn("w:t"), qn("w:tab"), qn("w:br"),
                     qn("w:fldSimple")):
        tag = el.tag
        if tag == qn("w:fldChar"):
            kind = el.get(qn("w:fldCharType"))
            if kind == "begin":
                fields.append({"instr": "", "result": False})
            elif kind == "separate" and fields:
                fields[-1]["result"] = True
            elif kind == "end" and fields:
                fields.pop()
            continue
        if tag == qn("w:instrText"):
            if fields:
                fields[-1]["instr"] += el.text or ""
            continue
        if tag == qn("w:fldSimple"):
            continue
        if fields and not fields[-1]["result"]:
            continue  # inside an instruction
        in_toc = any(f["instr"].split()[:1] == ["TOC"] for f in fields) or _in_simple_toc(el)
        if in_toc != want_toc:
            continue
        if tag == qn("w:t"):
            out.append(el.text or "")
        elif tag == qn("w:tab"):
            if el.getparent().tag == qn("w:r"):  # not a tab stop definition
                out.append("\t")
        else:
            out.append("\n")
    return "".join(out)


def _in_simple_toc(el) -> bool:
    for ancestor in el.iterancestors(qn("w:fldSimple")):
        if ancestor.get(qn("w:instr"), "").split()[:1] == ["TOC"]:
            return True
    return False


def _style_id(p) -> str | None:
    ppr = p.find(qn("w:pPr"))
    style = ppr.find(qn("w:pStyle")) if ppr is not None else None
    return style.get(qn("w:val")) if style is not None else None


def _style_names(doc) -> dict[str, str]:
    return {s.style_id: s.name for s in doc.styles}
