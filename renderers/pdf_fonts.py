"""The embedded fonts of a PDF WeasyPrint is about to write, made compact: the bare CFF of the glyphs
the document draws (/FontFile3 /CIDFontType0C) instead of the OpenType file with a slot per glyph id.

WeasyPrint (70) subsets each face with HarfBuzz keeping the glyph ids (the content streams say glyph
id = CID, Identity-H) and embeds the subset as /FontFile3 /OpenType: a CFF with an empty charstring for
every id below the highest one used, plus the hmtx, cmap, name and OS/2 tables no PDF reader uses for
a CID font. In a bare CID-keyed CFF the CIDs are the charset's, not the glyph order: the charset can
list only the glyphs drawn, each under its old glyph id as CID, so the content streams, the /W widths
and the ToUnicode map stay as they are. For a bare CFF readers (FreeType in poppler and pdfium, and
every PDF/A validator) look glyphs up by CID through the charset; for one wrapped in OpenType they
take the CID as the glyph id, which is why the glyphs cannot simply be renumbered inside the OpenType
file. The charstrings are copied byte for byte, with their widths and their font dictionaries.

Which glyphs a face draws: the CIDs of its /W array (WeasyPrint writes the width of every glyph it
drew, and of no other). A face that cannot be read or rewritten is left as WeasyPrint wrote it.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable

log = logging.getLogger(__name__)


def compact_fonts(pdf) -> None:
    """Rewrite, in the pydyf PDF before it is written, every /FontFile3 /OpenType of a CIDFontType0
    font as the bare CFF of its drawn glyphs (`bare_cff`)."""
    import pydyf

    by_reference = {obj.reference: obj for obj in pdf.objects if getattr(obj, "number", None) is not None}
    used_by_program: dict[bytes, set[int]] = {}
    for obj in pdf.objects:
        if isinstance(obj, pydyf.Dictionary) and obj.get("Subtype") == "/CIDFontType0" and "W" in obj:
            descriptor = by_reference.get(obj["FontDescriptor"])
            program = descriptor.get("FontFile3") if descriptor is not None else None
            if program is not None:
                used_by_program.setdefault(program, set()).update(width_cids(obj["W"]))
    for reference, used in sorted(used_by_program.items()):
        stream = by_reference.get(reference)
        if not isinstance(stream, pydyf.Stream) or stream.extra.get("Subtype") != "/OpenType":
            continue
        try:
            cff = bare_cff(b"".join(stream.stream), used)
        except Exception:  # an unexpected font: embedded as WeasyPrint wrote it
            log.warning("cannot compact an embedded font, keeping it whole", exc_info=True)
            continue
        stream.stream = [cff]
        stream.extra["Subtype"] = "/CIDFontType0C"


def width_cids(widths: Iterable) -> set[int]:
    """The CIDs a /W array gives a width: `c [w1 w2 ...]` and `c_first c_last w` entries."""
    items = list(widths)
    cids: set[int] = set()
    i = 0
    while i < len(items):
        first, following = int(items[i]), items[i + 1]
        if isinstance(following, (list, tuple)):
            cids.update(range(first, first + len(following)))
            i += 2
        else:
            cids.update(range(first, int(following) + 1))
            i += 3
    return cids


def bare_cff(opentype: bytes, used: set[int]) -> bytes:
    """The CFF table of the OpenType font OPENTYPE (CID-keyed) reduced to .notdef and the glyphs
    USED (glyph ids), each glyph's CID in the charset being its glyph id in OPENTYPE."""
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(opentype), lazy=True)
    cff = font["CFF "].cff
    top = cff.topDictIndex[0]
    if not hasattr(top, "ROS") or not hasattr(top, "FDSelect"):
        raise ValueError("not a CID-keyed CFF")
    order = font.getGlyphOrder()
    keep = [0, *sorted(g for g in used if 0 < g < len(order))]
    charstrings = top.CharStrings
    for gid in keep:  # each kept charstring read (still as bytes) before the index is cut
        charstrings.getItemAndSelector(order[gid])
    index = charstrings.charStringsIndex
    index.items = [index.items[gid] for gid in keep]
    del index.file, index.offsets
    top.FDSelect.format = None  # the smallest format is chosen when compiled
    top.FDSelect.gidArray = [top.FDSelect.gidArray[gid] for gid in keep]
    # fontTools writes a CID-keyed charset from the names: "cid01234" is CID 1234
    names = [".notdef", *(f"cid{gid:05d}" for gid in keep[1:])]
    charstrings.charStrings = {name: i for i, name in enumerate(names)}
    top.charset = names
    top.numGlyphs = len(names)
    out = io.BytesIO()
    cff.compile(out, font)
    return out.getvalue()
