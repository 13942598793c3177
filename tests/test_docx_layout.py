"""The DOCX as LibreOffice lays it out, against the PDF: page count, fonts, cover, 目录.

LibreOffice converts the DOCX with the repository's fontconfig file (renderers/libreoffice.py)
and its own profile directory, so that two test workers never share one.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from renderers.docx import render_docx
from renderers.libreoffice import convert_to_pdf, soffice
from renderers.pdf import render_pdf
from tests.conftest import make_agreement

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        soffice() is None,
        reason="LibreOffice is not installed (soffice not on PATH): apt-get install libreoffice-writer-nogui",
    ),
]

VARIANTS = ["individual", "corporate"]


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> dict[str, tuple[Path, Path]]:
    """kind -> (the PDF renderer's PDF, LibreOffice's PDF of the DOCX), both variants at once."""
    work = tmp_path_factory.mktemp("layout")
    docx_files, ours = [], {}
    for kind in VARIANTS:
        doc = make_agreement(kind)
        render_docx(doc, work / f"{kind}.docx")
        render_pdf(doc, work / f"{kind}.pdf")
        docx_files.append(work / f"{kind}.docx")
        ours[kind] = work / f"{kind}.pdf"
    lo = convert_to_pdf(docx_files, work / "lo", profile_dir=work / "profile")
    return {kind: (ours[kind], pdf) for kind, pdf in zip(VARIANTS, lo, strict=True)}


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("kind", VARIANTS)
def test_page_count_within_ten_percent_of_the_pdf(converted, kind):
    ours, lo = converted[kind]
    pdf_pages, docx_pages = len(PdfReader(ours).pages), len(PdfReader(lo).pages)
    assert abs(docx_pages - pdf_pages) <= 0.1 * pdf_pages, (pdf_pages, docx_pages)


@pytest.mark.parametrize("kind", VARIANTS)
def test_hanzi_are_set_in_noto_serif_cjk_regular_and_bold(converted, kind):
    _, lo = converted[kind]
    fonts = set()
    for page in PdfReader(lo).pages:
        for font in page["/Resources"].get("/Font", {}).values():
            fonts.add(str(font.get_object()["/BaseFont"]).split("+")[-1])
    # The TTC's faces share one CFF named after the JP face: the name says "NotoSerifCJKjp"
    # whichever face fontconfig picked (templates/docx/fonts.conf asks for the SC one).
    cjk = {f for f in fonts if "CJK" in f or "Droid" in f}
    assert any(f.startswith("NotoSerifCJK") and "-Regular" in f for f in cjk), fonts
    assert any(f.startswith("NotoSerifCJK") and "-Bold" in f for f in cjk), fonts
    assert all(f.startswith("NotoSerifCJK") for f in cjk), fonts
    assert not any("DejaVu" in f or "Droid" in f for f in fonts), fonts


@pytest.mark.parametrize("kind", VARIANTS)
def test_cover_has_no_header_or_footer_and_page_two_counts_it(converted, kind):
    doc = make_agreement(kind)
    _, lo = converted[kind]
    pages = PdfReader(lo).pages
    cover, toc = pages[0].extract_text(), pages[1].extract_text()
    # the cover's own lines and nothing else: no running header, no 第 1 页 共 N 页
    assert squash(cover) == squash(doc.cover.mark + doc.cover.title + "".join(doc.cover.lines))
    assert toc.startswith(f"合同编号：{doc.contract_no}")
    assert f"第 2 页 共 {len(pages)} 页" in toc


@pytest.mark.parametrize("kind", VARIANTS)
def test_toc_page_numbers_point_at_the_headings(converted, kind):
    doc = make_agreement(kind)
    ours, lo = converted[kind]
    texts = [squash(p.extract_text()) for p in PdfReader(lo).pages]
    toc = texts[1]
    numbers = []
    for entry in doc.toc_entries():
        found = re.search(re.escape(squash(entry)) + r"\.*(\d+)", toc)
        assert found, entry
        numbers.append(int(found.group(1)))
    for entry, number in zip(doc.toc_entries(), numbers, strict=True):
        assert squash(entry) in texts[number - 1], (entry, number)
    assert numbers == sorted(numbers)
    # the PDF renderer's own 目录, for the record: the same pages
    pdf_toc = squash(PdfReader(ours).pages[1].extract_text())
    pdf_numbers = [int(re.search(re.escape(squash(e)) + r"[.\s]*(\d+)", pdf_toc).group(1))
                   for e in doc.toc_entries()]
    assert max(abs(a - b) for a, b in zip(numbers, pdf_numbers, strict=True)) <= 2
