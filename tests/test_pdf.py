"""The PDF renderer: text read back equals the tree, pages, headers, fonts, TOC, signature."""

from __future__ import annotations

import ctypes.util
import dataclasses
import logging
import os
import re
import shutil
import subprocess
import warnings
from decimal import Decimal
from pathlib import Path

import pdfplumber
import pytest
from markupsafe import escape
from pypdf import PdfReader

from contracts.agreement import ContractParams, agreement_context
from contracts.customer import CustomerType, customer_from_mapping
from contracts.document import Attention, Document, Paragraph, Run
from contracts.resolver import resolve
from renderers import fonts
from renderers import pdf as pdf_renderer
from renderers.pdf import render_html, render_pdf, running_header, subsetter_in_use
from service.sources import load_profile, load_source
from tests.conftest import INDIVIDUAL, TEST_PROFILE, TODAY, make_agreement
from tests.readback_pdf import pdf_body_text, read_pages, squash, toc_pages

A4 = (595.28, 841.89)
RARE_NAME = "王堃喆𠇔"
ODD_TEXT = "A&B<C>有限公司"


def tree_text(doc: Document) -> str:
    return squash("".join(doc.text_lines()))


@pytest.fixture(scope="module", params=["individual", "corporate"])
def rendered(request, tmp_path_factory) -> tuple[Document, Path]:
    doc = make_agreement(request.param)
    path = tmp_path_factory.mktemp("pdf") / f"{request.param}.pdf"
    render_pdf(doc, path)
    return doc, path


def named_agreement(name: str) -> Document:
    """An individual agreement through the real pipeline, for a customer called `name`."""
    profile = load_profile(TEST_PROFILE)
    customer = customer_from_mapping(CustomerType.INDIVIDUAL, dict(INDIVIDUAL, name=name), TODAY)
    params = ContractParams("VIP-2026-000077", TODAY, Decimal("12800"), None, profile.term_years)
    context = agreement_context(customer, profile, params)
    return resolve(load_source("agreement"), context, contract_no="VIP-2026-000077")


@pytest.fixture(scope="module")
def odd_names(tmp_path_factory) -> tuple[Document, Path]:
    """A customer name outside GB2312, plus "&<>" (which names from the form may not
    contain, but profile and clause text may) on the cover, in a paragraph and a table."""
    doc = named_agreement(RARE_NAME)
    cover = dataclasses.replace(doc.cover, lines=(*doc.cover.lines, ODD_TEXT))
    preamble = (*doc.preamble, Paragraph((Run("委托方："), Run(ODD_TEXT, (Attention.LIABILITY,)))))
    annex = doc.annexes[0]
    annex = dataclasses.replace(annex, blocks=(*annex.blocks, Paragraph((Run(ODD_TEXT),))))
    doc = dataclasses.replace(doc, cover=cover, preamble=preamble, annexes=(annex, *doc.annexes[1:]))
    path = tmp_path_factory.mktemp("pdf") / "odd.pdf"
    render_pdf(doc, path)
    return doc, path


# Text and pages.


def test_body_text_equals_the_tree(rendered):
    doc, path = rendered
    assert squash(pdf_body_text(path, running_header(doc))) == tree_text(doc)
    # The header is found without being told, too.
    assert squash(pdf_body_text(path)) == tree_text(doc)


def test_every_page_but_the_cover_has_header_and_footer(rendered):
    doc, path = rendered
    pages = read_pages(path, running_header(doc))
    assert len(pages) >= 2
    cover, *rest = pages
    assert cover.footer is None and cover.header is None
    for page in rest:
        assert page.footer == (page.index + 1, len(pages)), page.lines[-3:]
        assert page.header is not None and doc.contract_no in page.header
        assert not any(re.search(r"第\s*\d+\s*页", line) for line in page.body)


def test_pages_are_a4(rendered):
    _, path = rendered
    for page in PdfReader(path).pages:
        box = page.mediabox
        assert abs(float(box.width) - A4[0]) <= 1 and abs(float(box.height) - A4[1]) <= 1


def test_fonts_are_embedded_subsets_with_a_bold_face(rendered):
    _, path = rendered
    names = set()
    for page in PdfReader(path).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            names.add(str(font["/BaseFont"]))
            descendant = font["/DescendantFonts"][0].get_object()
            descriptor = descendant["/FontDescriptor"].get_object()
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    assert names and all(re.match(r"^/[A-Z]{6}\+", name) for name in names), names
    assert any("Bold" in name for name in names), names
    if fonts.font_faces():
        assert all("VIPContract-Serif-SC" in name for name in names), names


def test_bold_runs_are_printed_in_the_bold_face(rendered):
    doc, path = rendered
    assert doc.bold_texts()
    with pdfplumber.open(path) as pdf:
        bold = squash("".join(
            c["text"] for page in pdf.pages for c in page.chars if "Bold" in c["fontname"]
        ))
    for text in doc.bold_texts():
        assert squash(text) in bold, text


def test_toc_lists_every_entry_with_the_right_page(rendered):
    doc, path = rendered
    pages = read_pages(path, running_header(doc))
    toc = toc_pages(path, pages)
    assert toc and toc[0] == 1  # right after the cover
    toc_lines = [squash(line) for i in toc for line in pages[i].body]
    assert toc_lines[0] == "目录"
    for entry in doc.toc_entries():
        key = squash(entry)
        numbers = [
            int(m[1]) for line in toc_lines if line.startswith(key)
            and (m := re.fullmatch(r"\.*(\d+)", line[len(key):]))
        ]
        assert len(numbers) == 1, (entry, toc_lines)
        page = pages[numbers[0] - 1]
        assert page.index not in toc
        assert key in [squash(line) for line in page.body], (entry, numbers[0])


def test_signature_section_is_on_one_page(rendered):
    doc, path = rendered
    signature = doc.signature
    pages = read_pages(path, running_header(doc))
    toc = toc_pages(path, pages)
    heading = squash(signature.heading)
    found = [p for p in pages if p.index not in toc and heading in map(squash, p.body)]
    assert len(found) == 1
    page = found[0]
    assert squash(page.body[0]) == heading  # starts a page
    lines = [signature.heading]
    lines += [b.text for b in signature.blocks if isinstance(b, Paragraph)]
    for party in signature.parties:
        lines.append(party.heading)
        lines += [line.label + line.value for line in party.lines]
    assert squash("".join(lines)) in squash("".join(page.body))


def test_blank_signature_lines_are_drawn_as_rules(rendered):
    """Each empty value is a 62 mm rule (a bordered empty box) with no text over it."""
    doc, path = rendered
    blanks = [line for party in doc.signature.parties for line in party.lines if not line.value]
    assert blanks
    pages = read_pages(path, running_header(doc))
    heading = squash(doc.signature.heading)
    index = next(p.index for p in pages[2:] if heading in map(squash, p.body))
    rule_width = 62 * 72 / 25.4
    with pdfplumber.open(path) as pdf:
        page = pdf.pages[index]
        boxes = {
            (round(r["x0"]), round(r["top"])): r
            for r in page.rects if abs(r["width"] - rule_width) < 1
        }
        assert len(boxes) == len(blanks)
        for box in boxes.values():
            inside = [
                c for c in page.chars
                if c["x0"] >= box["x0"] - 1 and c["x1"] <= box["x1"] + 1
                and c["bottom"] > box["top"] and c["top"] < box["bottom"]
            ]
            assert inside == []


def test_first_page_is_not_blank(rendered, tmp_path):
    _, path = rendered
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    from PIL import Image

    prefix = tmp_path / "page"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(path), str(prefix)],
        check=True,
    )
    (png,) = tmp_path.glob("page*.png")
    image = Image.open(png).convert("L")
    width, height = image.size
    assert abs(width / height - A4[0] / A4[1]) < 0.01
    histogram = image.histogram()  # 256 counts of grey levels
    non_white = sum(histogram[:250]) / (width * height)
    dark = sum(histogram[:160]) / (width * height)
    # The cover measures about 2 % non-white and 1.3 % dark pixels at 60 dpi.
    assert non_white > 0.01 and dark > 0.005, (non_white, dark)


# Names and escaping.


def test_rare_characters_render_in_the_serif_face(odd_names):
    doc, path = odd_names
    with pdfplumber.open(path) as pdf:
        chars = [c for page in pdf.pages[:3] for c in page.chars]
    for rare in "堃喆𠇔":
        used = {c["fontname"] for c in chars if c["text"] == rare}
        assert used, rare
        for name in used:
            assert re.search(r"Noto-?Serif-?CJK", name) and "Sans" not in name, name
    common = {c["fontname"] for c in chars if c["text"] == "王"}
    if fonts.font_faces():
        assert all("VIPContract-Serif-SC" in name for name in common), common
    assert squash(pdf_body_text(path, running_header(doc))) == tree_text(doc)


def test_markup_characters_are_escaped(odd_names):
    doc, path = odd_names
    html = render_html(doc)
    assert "A&amp;B&lt;C&gt;有限公司" in html
    assert "<C>" not in html
    text = pdf_body_text(path, running_header(doc))
    assert text.count(ODD_TEXT) == 3
    assert squash(text) == tree_text(doc)


# Variants of the layout.


@pytest.mark.slow
def test_reading_copy_header_shows_document_number_and_watermark(tmp_path):
    doc = dataclasses.replace(
        make_agreement("corporate"), doc_no="VIP-2026-000001-B1", watermark="仅供阅读"
    )
    header = running_header(doc)
    assert header == "合同编号：VIP-2026-000001　文件编号：VIP-2026-000001-B1　仅供阅读"
    path = tmp_path / "copy.pdf"
    render_pdf(doc, path)
    pages = read_pages(path, header)
    assert all(squash(p.header or "") == squash(header) for p in pages[1:])
    assert squash(pdf_body_text(path, header)) == tree_text(doc)


@pytest.mark.slow
def test_without_cover_and_toc_every_page_is_numbered(tmp_path):
    doc = dataclasses.replace(make_agreement("individual"), cover=None, toc=False)
    path = tmp_path / "plain.pdf"
    render_pdf(doc, path)
    pages = read_pages(path, running_header(doc))
    assert [p.footer for p in pages] == [(i, len(pages)) for i in range(1, len(pages) + 1)]
    assert list(toc_pages(path, pages)) == []
    assert "目录" not in render_html(doc)
    assert squash(pdf_body_text(path, running_header(doc))) == tree_text(doc)


# The renderer's process-wide state and its files.


def test_render_pdf_writes_exactly_the_given_path(tmp_path):
    doc = make_agreement("individual")
    out = tmp_path / "out.pdf.part"
    render_pdf(doc, out)
    assert [p.name for p in tmp_path.iterdir()] == ["out.pdf.part"]
    assert out.read_bytes().startswith(b"%PDF-")


def test_html_is_escaped_and_structured():
    doc = make_agreement("individual")
    html = render_html(doc)
    assert html.count('class="chapter"') == len(doc.chapters)
    assert html.count('class="annex"') == len(doc.annexes)
    for i, _ in enumerate(doc.chapters, 1):
        assert f'href="#ch-{i}"' in html and f'id="ch-{i}"' in html
    assert f'data-header="{running_header(doc)}"' in html
    assert "<strong>" in html
    # Paragraphs are printed run by run with nothing in between: a stray space or newline
    # would print as a gap between two hanzi (and vanish from a whitespace-blind compare).
    paragraphs = [b for b in doc.preamble if isinstance(b, Paragraph)]
    for chapter in doc.chapters:
        paragraphs += [b for b in chapter.blocks if isinstance(b, Paragraph)]
        for clause in chapter.clauses:
            paragraphs += [b for b in clause.blocks if isinstance(b, Paragraph)]
    for annex in doc.annexes:
        paragraphs += [b for b in annex.blocks if isinstance(b, Paragraph)]
    assert paragraphs
    for p in paragraphs:
        inner = f'<span class="label">{escape(p.label)}</span>' if p.label else ""
        inner += "".join(
            f"<strong>{escape(r.text)}</strong>" if r.bold else str(escape(r.text)) for r in p.runs
        )
        assert f'<p class="p-{p.style}">{inner}</p>' in html, p


def test_template_renderer_and_stylesheet_are_loaded_once():
    assert pdf_renderer._template() is pdf_renderer._template()
    assert pdf_renderer.get_renderer() is pdf_renderer.get_renderer()
    assert fonts.font_faces() is fonts.font_faces()


def test_subsetter_in_use_matches_the_system():
    expected = "harfbuzz" if ctypes.util.find_library("harfbuzz-subset") else "fonttools"
    assert subsetter_in_use() == expected


def test_slow_subsetter_is_reported_once(monkeypatch, caplog):
    monkeypatch.setattr(pdf_renderer, "subsetter_in_use", lambda: "fonttools")
    monkeypatch.setattr(pdf_renderer, "_warned_slow_subsetter", False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with caplog.at_level(logging.WARNING, logger="renderers.pdf"):
            pdf_renderer._warn_if_slow_subsetter()
            pdf_renderer._warn_if_slow_subsetter()
    assert len([w for w in caught if "libharfbuzz-subset" in str(w.message)]) == 1
    assert len([r for r in caplog.records if "libharfbuzz-subset" in r.getMessage()]) == 1


# Fonts.


def test_font_subsets_are_cached_and_cover_gb2312():
    faces = fonts.font_faces()
    if not faces:
        pytest.skip("Noto Serif CJK SC is not installed")
    from fontTools.ttLib import TTFont

    assert [f.weight for f in faces] == [400, 700]
    for face in faces:
        assert face.path.parent == fonts.font_cache_dir()
        font = TTFont(face.path, lazy=True)
        cmap = font.getBestCmap()
        assert all(ord(c) in cmap for c in "的一是甲乙方协议（），。：；、《》“”—…¥①")
        assert ord("堃") not in cmap
        assert font["name"].getDebugName(1) == fonts.SUBSET_FAMILY
        assert "GSUB" in font and "GPOS" in font
        assert font["maxp"].numGlyphs < 10000
    css = fonts.font_face_css()
    assert css.count("@font-face") == 2 and "font-weight: 700" in css
    assert fonts.FONT_FAMILY.index(fonts.SUBSET_FAMILY) < fonts.FONT_FAMILY.index(
        '"Noto Serif CJK SC"'
    )


def test_cache_key_follows_the_source_font(tmp_path):
    source = tmp_path / "font.ttc"
    source.write_bytes(b"x" * 10)
    first = fonts._cache_key(source, 2)
    assert fonts._cache_key(source, 1) != first
    os.utime(source, ns=(1, 1_000_000_000))
    assert fonts._cache_key(source, 2) != first


def test_source_font_is_found_without_the_fontconfig_tools(monkeypatch):
    found = fonts.find_source_font(700)
    if found is None:
        pytest.skip("Noto Serif CJK SC is not installed")

    def missing(*args, **kwargs):
        raise FileNotFoundError("fc-match")

    monkeypatch.setattr(fonts.subprocess, "run", missing)
    assert fonts.find_source_font(700) == found


def test_failed_subset_falls_back_to_the_system_font(tmp_path, monkeypatch, caplog):
    if fonts.find_source_font(400) is None:
        pytest.skip("Noto Serif CJK SC is not installed")

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setenv(fonts.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(fonts, "build_subset", broken)
    fonts.font_faces.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger="renderers.fonts"):
            assert fonts.font_faces() == ()
        assert fonts.font_face_css() == ""
        assert any("full font" in r.getMessage() for r in caplog.records)
        renderer = pdf_renderer.PdfRenderer()
        assert not renderer.uses_subset
        path = tmp_path / "full.pdf"
        doc = make_agreement("individual")
        renderer.render_pdf(doc, path)
        names = {
            str(f.get_object()["/BaseFont"])
            for page in PdfReader(path).pages
            for f in page["/Resources"]["/Font"].values()
        }
        assert names and all("Noto-Serif-CJK-SC" in n for n in names), names
    finally:
        fonts.font_faces.cache_clear()
