"""Empty signature fields (AcroForm /FT /Sig) over the signature page's signing lines.

A signing platform (法大大, e签宝, 契约锁, Adobe Sign) and `vipcontract seal` fill a PDF's
signature fields by name: `provider` and `customer` over the blanks each party signs on, and
`provider_seal` / `customer_seal` over the seal area of a party that seals (a company). Where
they go comes from the layout: the HTML template marks those places with ids `sig-*`
(templates/html/document.html.j2) and `signature_boxes` reads their boxes from WeasyPrint's
laid-out pages, so a longer name or a moved line moves the field with it.

The fields are added by pyHanko as an incremental update: the rendered PDF stays byte for byte
as it was, followed by the new objects. The update is deterministic (same input, same bytes):
pyHanko would give the file a random second /ID and stamp /ModDate and /Producer with the clock;
`FieldWriter` derives the /ID from the file's content and leaves the metadata as the renderer
wrote it (tests/test_sigfields.py fails if either comes back).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ID_PREFIX = "sig-"
# CSS pixels per PDF point: WeasyPrint lays out in px (1/96 in), the PDF is in pt (1/72 in).
PT_PER_PX = 0.75

# The fields, with the name a person sees in a viewer or on a platform (/TU).
FIELD_TITLES = {
    "provider": "甲方签字",
    "provider_seal": "甲方盖章",
    "customer": "乙方签字",
    "customer_seal": "乙方盖章",
}


@dataclass(frozen=True)
class FieldBox:
    """A signature field: its name, its page (0-based) and its rectangle in PDF points
    (lower-left x, lower-left y, upper-right x, upper-right y; origin at the page's lower left)."""

    name: str
    page: int
    rect: tuple[float, float, float, float]


def field_name(element_id: str) -> str:
    """"sig-provider-seal" -> "provider_seal"."""
    return element_id.removeprefix(ID_PREFIX).replace("-", "_")


def _children(box: Any) -> Iterable[Any]:
    return getattr(box, "children", ())


def _marked(box: Any, line: Any = None) -> Iterator[tuple[str, Any, Any]]:
    """(id, box, enclosing line box) of every box whose element has an id `sig-*`."""
    from weasyprint.formatting_structure.boxes import LineBox

    if isinstance(box, LineBox):
        line = box
    element = getattr(box, "element", None)
    element_id = element.get("id", "") if element is not None else ""
    if element_id.startswith(ID_PREFIX) and getattr(box, "element_tag", None) is not None:
        yield element_id, box, line
    for child in _children(box):
        yield from _marked(child, line)


def _rect(box: Any, line: Any, page_height: float) -> tuple[float, float, float, float]:
    """The box in PDF points. A blank on a signing line is a thin underline: its field takes
    the blank's width and the whole line's height, room for a signature."""
    left, width = box.border_box_x(), box.border_width()
    top, height = box.border_box_y(), box.border_height()
    if line is not None and box.element_tag == "span":
        top, height = line.position_y, line.height
    return (round(left * PT_PER_PX, 2), round((page_height - top - height) * PT_PER_PX, 2),
            round((left + width) * PT_PER_PX, 2), round((page_height - top) * PT_PER_PX, 2))


def signature_boxes(document: Any) -> list[FieldBox]:
    """The signature fields of a laid-out WeasyPrint document, in page order (the first box of
    each id: a signature page is never split)."""
    found: dict[str, FieldBox] = {}
    for index, page in enumerate(document.pages):
        for element_id, box, line in _marked(page._page_box):
            name = field_name(element_id)
            if name in FIELD_TITLES and name not in found:
                found[name] = FieldBox(name, index, _rect(box, line, page.height))
    return list(found.values())


def _field_writer_class() -> type:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    class FieldWriter(IncrementalPdfFileWriter):
        """An incremental writer that adds nothing the input does not determine."""

        @classmethod
        def _handle_id(cls, prev: Any) -> Any:
            # pyHanko keeps the first /ID (it names the document) and draws the second at
            # random; here it is derived from the file being updated.
            original = prev.stream.getvalue() if hasattr(prev.stream, "getvalue") else b""
            try:
                first = prev.trailer["/ID"][0]
                first = generic.ByteStringObject(getattr(first, "original_bytes", first))
            except KeyError:
                first = generic.ByteStringObject(hashlib.sha256(original).digest()[:16])
            second = generic.ByteStringObject(hashlib.sha256(b"sigfields" + original).digest()[:16])
            return generic.ArrayObject([first, second])

        def _update_meta(self) -> None:
            # Adding form fields changes neither title nor author; the renderer's /Info and XMP
            # (its dates are the document's date) stay as written.
            return None

    return FieldWriter


def add_signature_fields(pdf: bytes, fields: Sequence[FieldBox]) -> bytes:
    """`pdf` with an incremental update adding empty signature fields `fields` (unchanged when
    there are none: a reading copy has no signature page)."""
    if not fields:
        return pdf
    from pyhanko.sign.fields import SigFieldSpec, append_signature_field

    writer = _field_writer_class()(io.BytesIO(pdf))
    for field in fields:
        append_signature_field(writer, SigFieldSpec(
            sig_field_name=field.name, on_page=field.page, box=field.rect,  # type: ignore[arg-type]
            readable_field_name=FIELD_TITLES[field.name]))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def add_fields_to_file(path: Path, document: Any) -> None:
    """The PDF at `path`, just written from the laid-out `document`, with its signature fields."""
    fields = signature_boxes(document)
    if fields:
        path = Path(path)
        path.write_bytes(add_signature_fields(path.read_bytes(), fields))
