"""The agreement PDF at or under 250 KB, both variants, as issued (PDF/A-3b, the data attached,
signature fields): its fonts embedded as bare CFFs of the glyphs drawn, bold drawn by emboldening
the regular face, and what the readers show unchanged by either (poppler and pdfium read the same
text and draw the same glyphs as from the font WeasyPrint embedded)."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
from decimal import Decimal
from pathlib import Path

import pdfplumber
import pikepdf
import pytest
from PIL import Image, ImageChops, ImageStat

from renderers import fonts, pdf_fonts
from renderers import pdf as pdf_renderer
from service.generate import AgreementRequest, build_agreement
from service.sources import load_profile
from tests.conftest import TEST_PROFILE, make_customer
from tests.readback_pdf import squash

SIZE_CEILING = 250 * 1024


def issued_agreement(kind: str):
    request = AgreementRequest(make_customer(kind), Decimal("12800"), None)
    return build_agreement(load_profile(TEST_PROFILE), request, "VIP-2026-000001", dt.date(2026, 12, 2))


@pytest.fixture(scope="module", params=["corporate", "individual"])
def issued(request, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("size") / f"{request.param}.pdf"
    path.write_bytes(pdf_renderer.get_renderer().pdf_bytes(issued_agreement(request.param)))
    return path


@pytest.fixture(scope="module")
def uncompacted(tmp_path_factory) -> tuple[Path, Path]:
    """The corporate agreement written with and without the font rewriting (emboldening kept, so
    that both draw the same text the same way)."""
    if not fonts.font_faces():
        pytest.skip("Noto Serif CJK SC is not installed")
    doc = issued_agreement("corporate")
    folder = tmp_path_factory.mktemp("compact")
    ours = folder / "ours.pdf"
    ours.write_bytes(pdf_renderer.get_renderer().pdf_bytes(doc))
    whole = folder / "whole.pdf"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pdf_fonts, "compact_fonts", lambda pdf: None)
        whole.write_bytes(pdf_renderer.get_renderer().pdf_bytes(doc))
    return ours, whole


def test_the_agreement_is_at_most_250_kb(issued):
    if not fonts.font_faces():
        pytest.skip("Noto Serif CJK SC is not installed")
    assert issued.stat().st_size <= SIZE_CEILING, issued.stat().st_size


def test_one_bare_cff_program_holds_exactly_the_glyphs_drawn(issued):
    if not fonts.font_faces():
        pytest.skip("Noto Serif CJK SC is not installed")
    from fontTools.cffLib import CFFFontSet

    with pikepdf.open(issued) as pdf:
        programs: dict[tuple[int, int], set[int]] = {}
        for page in pdf.pages:
            for font in page.Resources.Font.values():
                descendant = font.DescendantFonts[0]
                assert descendant.Subtype == "/CIDFontType0"
                program = descendant.FontDescriptor.FontFile3
                assert program.Subtype == "/CIDFontType0C"
                programs.setdefault(program.objgen, set()).update(
                    pdf_fonts.width_cids([int(x) if isinstance(x, int) else [int(w) for w in x]
                                          for x in descendant.W]))
                program_bytes = program.read_bytes()
        # the regular text and the bold text share the one program
        assert len(programs) == 1
        cff = CFFFontSet()
        cff.decompile(io.BytesIO(program_bytes), None)
        top = cff.topDictIndex[0]
        assert hasattr(top, "ROS")
        cids = {int(name[3:]) for name in top.charset if name.startswith("cid")}
        assert cids == next(iter(programs.values())) - {0}


def test_bold_text_is_filled_and_stroked_and_other_text_filled(issued):
    with pikepdf.open(issued) as pdf:
        bold_names = {name for page in pdf.pages for name, font in page.Resources.Font.items()
                      if "Bold" in str(font.BaseFont)}
        assert bold_names
        seen = set()
        for page in pdf.pages:
            mode, width = 0, 1.0
            for operands, operator in pikepdf.parse_content_stream(page):
                op = str(operator)
                if op == "Tr":
                    mode = int(operands[0])
                elif op == "w":
                    width = float(operands[0])
                elif op == "Tf":
                    font, size = str(operands[0]), float(operands[1])
                elif op in ("TJ", "Tj"):
                    bold = font in bold_names
                    seen.add(bold)
                    assert mode == (2 if bold else 0), (font, mode)
                    if bold:
                        assert width == pytest.approx(size * pdf_fonts.EMBOLDEN, abs=0.001)
        assert seen == {True, False}


def test_bold_text_is_clearly_darker_than_regular_text(issued, tmp_path):
    """The emphasis the law asks for is visible: the bold characters of a page carry more ink,
    glyph box for glyph box, than the regular characters of the same size."""
    with pdfplumber.open(issued) as pdf:
        page_no, page = next((i, p) for i, p in enumerate(pdf.pages) if sum(
            "Bold" in c["fontname"] and c["size"] < 11 for c in p.chars) > 100)
        chars = [c for c in page.chars if c["size"] == pytest.approx(10.5) and "\u4e00" <= c["text"] <= "\u9fff"]
        height = float(page.height)
    subprocess.run(["pdftoppm", "-r", "150", "-gray", "-f", str(page_no + 1), "-l", str(page_no + 1),
                    str(issued), str(tmp_path / "p")], check=True)
    image = Image.open(next(tmp_path.glob("p*.pgm")))
    scale = image.height / height

    def ink(bold: bool) -> float:
        boxes = [c for c in chars if ("Bold" in c["fontname"]) == bold]
        assert len(boxes) > 20
        return sum(255 - ImageStat.Stat(image.crop(
            (round(c["x0"] * scale), round(c["top"] * scale), round(c["x1"] * scale), round(c["bottom"] * scale))
        )).mean[0] for c in boxes) / len(boxes)

    assert ink(True) > 1.25 * ink(False), (ink(True), ink(False))


def _pages(path: Path, folder: Path) -> list[Image.Image]:
    folder.mkdir()
    subprocess.run(["pdftoppm", "-r", "100", "-gray", str(path), str(folder / "p")], check=True)
    return [Image.open(p) for p in sorted(folder.glob("p*.pgm"))]


def test_poppler_draws_the_same_glyphs_from_the_compact_fonts(uncompacted, tmp_path):
    """Page by page the same picture, to anti-aliasing (FreeType reads a bare CFF and an
    OpenType-wrapped one through different paths): a glyph looked up wrongly, or missing, would
    change whole glyph boxes."""
    ours, whole = uncompacted
    assert ours.stat().st_size < whole.stat().st_size
    for mine, theirs in zip(_pages(ours, tmp_path / "a"), _pages(whole, tmp_path / "b"), strict=True):
        difference = ImageChops.difference(mine, theirs)
        assert ImageStat.Stat(difference).mean[0] < 1.0
        # no glyph-sized blotch: differences stay on the edges of strokes
        assert sum(difference.point(lambda v: 255 if v > 200 else 0).histogram()[255:]) < 50


def test_pdfium_reads_the_same_text_and_draws_the_same_glyphs(uncompacted):
    pdfium = pytest.importorskip("pypdfium2")
    ours, whole = uncompacted
    mine, theirs = pdfium.PdfDocument(str(ours)), pdfium.PdfDocument(str(whole))
    assert len(mine) == len(theirs)
    for a, b in zip(mine, theirs, strict=True):
        assert a.get_textpage().get_text_range() == b.get_textpage().get_text_range()
        difference = ImageChops.difference(a.render(scale=100 / 72).to_pil().convert("L"),
                                           b.render(scale=100 / 72).to_pil().convert("L"))
        assert difference.getextrema()[1] < 64


def test_poppler_reads_the_same_text(uncompacted):
    ours, whole = uncompacted
    texts = [subprocess.run(["pdftotext", str(p), "-"], capture_output=True, check=True, text=True).stdout
             for p in (ours, whole)]
    assert squash(texts[0]) == squash(texts[1]) and len(squash(texts[0])) > 5000


def test_the_content_stream_state_is_put_back_after_bold_text():
    items = [b"q", b"0.5 0.5 0.5 RG", b"2 w", b"0.2 0.2 0.2 rg", b"BT", b"/B 14 Tf", b"[<01>] TJ",
             b"/R 14 Tf", b"[<02>] TJ", b"ET", b"0 0 m", b"S", b"Q", b"BT", b"/R 10 Tf", b"ET"]
    out = pdf_fonts.emboldened(items, {b"/B"})
    assert out == [
        b"q", b"0.5 0.5 0.5 RG", b"2 w", b"0.2 0.2 0.2 rg", b"BT",
        b"/B 14 Tf", b"2 Tr", f"{14 * pdf_fonts.EMBOLDEN:.3f} w".encode(), b"1 j", b"0.2 0.2 0.2 RG",
        b"[<01>] TJ", b"/R 14 Tf", b"0 Tr", b"[<02>] TJ",
        b"ET", b"0 Tr", b"2 w", b"0 j", b"0.5 0.5 0.5 RG",  # what the border stroke after it expects
        b"0 0 m", b"S", b"Q", b"BT", b"/R 10 Tf", b"ET",
    ]


def test_a_font_that_cannot_be_compacted_is_kept_whole(caplog):
    import pydyf

    pdf = pydyf.PDF()
    program = pydyf.Stream([b"not a font"], pydyf.Dictionary({"Subtype": "/OpenType"}))
    pdf.add_object(program)
    descriptor = pydyf.Dictionary({"Type": "/FontDescriptor", "FontFile3": program.reference})
    pdf.add_object(descriptor)
    font = pydyf.Dictionary({"Subtype": "/CIDFontType0", "W": pydyf.Array([3, pydyf.Array([1000])]),
                             "FontDescriptor": descriptor.reference})
    pdf.add_object(font)
    pdf_fonts.compact_fonts(pdf)
    assert program.stream == [b"not a font"] and program.extra["Subtype"] == "/OpenType"
    assert any("keeping it whole" in r.getMessage() for r in caplog.records)


def test_width_cids_reads_both_forms_of_w():
    assert pdf_fonts.width_cids([3, [500, 600], 10, 12, 1000]) == {3, 4, 10, 11, 12}
