"""Signature fields of every signable PDF: named, on the signature page, over the signing lines,
found by pyHanko and by poppler's pdfsig, and added without anything random."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pdfplumber
import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields
from pypdf import PdfReader

from contracts.document import Document
from renderers import pdf as pdf_renderer
from renderers import sigfields
from renderers.pdf import render_pdf

from .conftest import make_agreement
from .test_clause_text import amendment, renewal, termination

# document -> the fields its signature page must carry
EXPECTED = {
    "agreement-individual": {"provider", "provider_seal", "customer"},
    "agreement-corporate": {"provider", "provider_seal", "customer", "customer_seal"},
    "amendment-individual": {"provider", "provider_seal", "customer"},
    "amendment-corporate": {"provider", "provider_seal", "customer", "customer_seal"},
    "renewal-individual": {"provider", "provider_seal", "customer"},
    "renewal-corporate": {"provider", "provider_seal", "customer", "customer_seal"},
    "termination-agreement-corporate": {"provider", "provider_seal", "customer", "customer_seal"},
    "termination-notice-individual": {"provider", "provider_seal"},  # 甲方's notice: 甲方 alone signs
}


def build(name: str, profile) -> Document:
    kind = name.rsplit("-", 1)[1]
    if name.startswith("agreement"):
        return make_agreement(kind)
    if name.startswith("amendment"):
        return amendment(kind, profile)[0]
    if name.startswith("renewal"):
        return renewal(kind, profile)[0]
    by_notice = "notice" in name
    return termination(kind, profile, by_notice=by_notice, reason="breach" if by_notice else "mutual")[0]


@pytest.fixture(scope="module", params=sorted(EXPECTED))
def rendered(request, tmp_path_factory) -> tuple[str, Document, Path]:
    from service.sources import load_profile

    from .conftest import TEST_PROFILE

    doc = build(request.param, load_profile(TEST_PROFILE))
    path = tmp_path_factory.mktemp("fields") / f"{request.param}.pdf"
    render_pdf(doc, path)
    return request.param, doc, path


def fields_of(path: Path) -> dict[str, tuple[int, tuple[float, ...]]]:
    """name -> (0-based page, rectangle) of every signature field, as pyHanko reads the file."""
    with open(path, "rb") as fh:
        reader = PdfFileReader(fh)
        pages = {reader.find_page_for_modification(i)[0].idnum: i for i in range(len(PdfReader(path).pages))}
        found = {}
        for name, value, ref in enumerate_sig_fields(reader):
            field = ref.get_object()
            assert field["/FT"] == "/Sig" and value is None  # empty: nobody has signed yet
            found[name] = (pages[field.raw_get("/P").idnum], tuple(float(x) for x in field["/Rect"]))
    return found


def signature_page(path: Path, doc: Document) -> int:
    heading = doc.signature.heading
    with pdfplumber.open(path) as pdf:
        for index, page in enumerate(pdf.pages):
            words = page.extract_words()
            if words and any(w["text"].startswith(heading) for w in words[:8]):
                return index
    raise AssertionError(f"no page starts with {heading}")


def word_boxes(path: Path, page: int, text: str) -> list[tuple[float, float, float, float]]:
    """(x0, bottom, x1, top) in PDF points of every line on `page` containing `text`."""
    with pdfplumber.open(path) as pdf:
        p = pdf.pages[page]
        lines = p.extract_text_lines()
        return [(ln["x0"], p.height - ln["bottom"], ln["x1"], p.height - ln["top"])
                for ln in lines if text in ln["text"]]


def test_fields_are_named_and_on_the_signature_page(rendered):
    name, doc, path = rendered
    found = fields_of(path)
    assert set(found) == EXPECTED[name]
    page = signature_page(path, doc)
    assert {p for p, _rect in found.values()} == {page}


def overlaps(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_signing_fields_lie_on_the_signing_lines(rendered):
    """Each party's signing field starts where its label "（签字）：" / "签字：" ends, on the same
    line; the provider's above the customer's, as printed."""
    name, doc, path = rendered
    found = fields_of(path)
    page = found["provider"][0]
    lines = word_boxes(path, page, "签字）：") + word_boxes(path, page, "签字：")
    assert lines
    for role in ("provider", "customer"):
        if role not in found:
            continue
        rect = found[role][1]
        on_line = [ln for ln in lines if ln[1] < rect[3] and rect[1] < ln[3]]
        assert len(on_line) == 1, (role, rect, lines)
        label = on_line[0]
        assert abs(rect[0] - label[2]) < 3  # the blank follows the label
        assert rect[2] - rect[0] > 100 and rect[3] - rect[1] > 15  # room for a signature
    if "customer" in found:
        assert found["provider"][1][1] > found["customer"][1][3]


def test_seal_fields_cover_their_party_and_no_other_field(rendered):
    name, doc, path = rendered
    found = fields_of(path)
    page = found["provider"][0]
    headings = {"provider": word_boxes(path, page, "甲方（盖章）"), "customer": word_boxes(path, page, "乙方（盖章）")}
    for role in ("provider", "customer"):
        if f"{role}_seal" not in found:
            assert not headings[role] or "notice" in name
            continue
        seal = found[f"{role}_seal"][1]
        assert seal[2] - seal[0] > 100 and seal[3] - seal[1] > 100  # a company seal is about 40 mm
        heading = headings[role][0]
        assert seal[1] < heading[3] <= seal[3] + 1  # level with the party's heading
        assert overlaps(seal, found[role][1]) is False
        assert overlaps(seal, (0, 0, seal[0], 842)) is False


def test_pdfsig_finds_the_fields(rendered):
    if shutil.which("pdfsig") is None:
        pytest.skip("poppler-utils (pdfsig) is not installed")
    name, _doc, path = rendered
    out = subprocess.run(["pdfsig", "-nocert", str(path)], capture_output=True, text=True, check=True).stdout
    names = {line.split(":", 1)[1].strip() for line in out.splitlines() if "Signature Field Name" in line}
    assert names == EXPECTED[name]
    assert "not signed" in out


def test_a_reading_copy_has_no_fields(tmp_path):
    """No signature page, no fields, and the file exactly as WeasyPrint wrote it."""
    doc = make_agreement("individual")
    import dataclasses

    copy = dataclasses.replace(doc, signature=None)
    path = tmp_path / "copy.pdf"
    render_pdf(copy, path)
    assert fields_of(path) == {}
    layout = pdf_renderer.get_renderer().layout(copy)
    pdf_renderer.stamp_metadata(layout.metadata, copy)
    base = layout.write_pdf(**pdf_renderer.archival_options(copy))
    assert path.read_bytes() == base


def test_fields_are_added_deterministically(tmp_path):
    """Rendering twice gives the same bytes; the fields are an incremental update after the
    renderer's own bytes, whose /Info (dates, producer) they leave as written. Fails if pyHanko's
    writer brings back a random /ID or a clock time."""
    doc = make_agreement("corporate")
    first, second = tmp_path / "1.pdf", tmp_path / "2.pdf"
    render_pdf(doc, first)
    render_pdf(doc, second)
    assert first.read_bytes() == second.read_bytes()

    layout = pdf_renderer.get_renderer().layout(doc)
    base = layout.write_pdf()
    fielded = sigfields.add_signature_fields(base, sigfields.signature_boxes(layout))
    assert fielded.startswith(base) and len(fielded) > len(base)
    assert fielded == sigfields.add_signature_fields(base, sigfields.signature_boxes(layout))
    assert PdfReader(io.BytesIO(fielded)).metadata == PdfReader(io.BytesIO(base)).metadata
    ids = PdfReader(io.BytesIO(fielded)).trailer["/ID"]
    base_ids = PdfReader(io.BytesIO(base)).trailer.get("/ID")
    if base_ids is not None:
        assert ids[0] == base_ids[0]  # the same document
    assert ids[1] != ids[0]  # a different revision of it


def test_the_writer_hooks_still_exist():
    """FieldWriter overrides two of pyHanko's internals; if a pyHanko release renames them, the
    overrides would silently stop applying."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    assert callable(IncrementalPdfFileWriter._handle_id)
    assert callable(IncrementalPdfFileWriter._update_meta)


def test_field_names_from_ids():
    assert sigfields.field_name("sig-provider-seal") == "provider_seal"
    assert sigfields.field_name("sig-customer") == "customer"
    assert set(sigfields.FIELD_TITLES) == {"provider", "provider_seal", "customer", "customer_seal"}
