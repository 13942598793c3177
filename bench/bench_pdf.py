"""Where an agreement PDF's bytes and a fresh process's first render go.

`pdf_breakdown(path)`: the embedded font programs of a PDF (per face: the glyphs that carry an
outline, the bytes of their charstrings, the stream's size as stored) and what the rest of the
file takes. `COLD_SCRIPT`: run in a new process, it times the stages of the first agreement PDF
(imports and the document tree; importing WeasyPrint; the renderer's set-up: font configuration,
@font-face rules, stylesheet; layout; writing) and then a second render in the same process.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any


def pdf_breakdown(path: Path) -> dict[str, Any]:
    import pypdf
    from fontTools.ttLib import TTFont

    reader = pypdf.PdfReader(str(path))
    faces: list[dict[str, Any]] = []
    seen = set()
    programs: set[Any] = set()
    for page in reader.pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            key = font.indirect_reference
            if key in seen:
                continue
            seen.add(key)
            base = str(font.get("/BaseFont", "?")).lstrip("/")
            face = {"name": base.split("+", 1)[-1], "stored": 0, "glyphs": None, "outline_bytes": None,
                    "tounicode": 0}
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descendant.get("/FontDescriptor")
            if descriptor is not None:
                descriptor = descriptor.get_object()
                for file_key in ("/FontFile", "/FontFile2", "/FontFile3"):
                    if file_key not in descriptor:
                        continue
                    stream = descriptor[file_key].get_object()
                    if stream.indirect_reference in programs:  # one program for the regular and bold text
                        face["name"] += " (shares the program above)"
                        continue
                    programs.add(stream.indirect_reference)
                    face["stored"] = len(stream._data)  # noqa: SLF001 (the compressed bytes in the file)
                    try:
                        if stream.get("/Subtype") == "/CIDFontType0C":
                            face.update(_bare_cff_glyphs(stream.get_data()))
                        else:
                            face.update(_glyphs(TTFont(io.BytesIO(stream.get_data()))))
                    except Exception:  # a font program fontTools cannot read: sizes only
                        pass
            unicode_map = font.get("/ToUnicode")
            if unicode_map is not None:
                face["tounicode"] = len(unicode_map.get_object()._data)  # noqa: SLF001
            faces.append(face)
    text = "".join(page.extract_text() or "" for page in reader.pages)
    return {"size": path.stat().st_size, "pages": len(reader.pages), "faces": faces,
            "distinct_chars": len({c for c in text if not c.isspace()})}


def _bare_cff_glyphs(data: bytes) -> dict[str, Any]:
    """Glyphs and their bytes in a bare CFF (/FontFile3 /CIDFontType0C): every glyph is one drawn."""
    from fontTools.cffLib import CFFFontSet

    cff = CFFFontSet()
    cff.decompile(io.BytesIO(data), None)
    index = cff[cff.fontNames[0]].CharStrings.charStringsIndex
    sizes = [index.offsets[i + 1] - index.offsets[i] for i in range(len(index))]
    return {"glyphs": sum(1 for s in sizes if s > 1), "outline_bytes": sum(sizes), "glyph_slots": len(sizes)}


def _glyphs(font: Any) -> dict[str, Any]:
    """Glyphs with an outline and their bytes (CFF charstrings, or glyf entries)."""
    if "CFF " in font:
        cff = font["CFF "].cff
        index = cff[cff.fontNames[0]].CharStrings.charStringsIndex
        sizes = [index.offsets[i + 1] - index.offsets[i] for i in range(len(index))]
        outlined = [s for s in sizes if s > 1]
        return {"glyphs": len(outlined), "outline_bytes": sum(outlined), "glyph_slots": len(sizes)}
    if "glyf" in font:
        loca = font["loca"]
        sizes = [loca[i + 1] - loca[i] for i in range(len(loca) - 1)]
        outlined = [s for s in sizes if s > 0]
        return {"glyphs": len(outlined), "outline_bytes": sum(outlined), "glyph_slots": len(sizes)}
    return {}


COLD_SCRIPT = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
t0 = time.perf_counter()
from tests.conftest import make_agreement
from renderers import pdf
doc = make_agreement("corporate")
t1 = time.perf_counter()
import weasyprint  # noqa
t2 = time.perf_counter()
renderer = pdf.get_renderer()
t3 = time.perf_counter()
laid_out = renderer.layout(doc)
t4 = time.perf_counter()
laid_out.write_pdf(sys.argv[2])
t5 = time.perf_counter()
renderer.render_pdf(doc, sys.argv[2])
t6 = time.perf_counter()
print(json.dumps({"tree": t1 - t0, "weasyprint_import": t2 - t1, "renderer": t3 - t2, "layout": t4 - t3,
                  "write": t5 - t4, "second": t6 - t5}))
"""
