"""The fonts of a PDF WeasyPrint is about to write: bold drawn by emboldening the regular face, and
each face embedded as the bare CFF of the glyphs drawn (/FontFile3 /CIDFontType0C) instead of an
OpenType file with a slot per glyph id.

Bold (`embolden`): renderers.fonts serves the Regular subset at weight 700 too, so WeasyPrint lays
bold text out with the regular glyphs under a font resource of its own; the text set in it is drawn
filled and stroked (text rendering mode 2, allowed in PDF/A) with a stroke of `EMBOLDEN` em, as a
word processor draws 宋体 in bold. The bold glyphs are then the regular ones: an agreement embeds
one face instead of two (the Bold face alone was some 85 KB of a 300 KB agreement).

Compact programs (`compact_fonts`): WeasyPrint (70) subsets each face with HarfBuzz keeping the
glyph ids (the content streams say glyph id = CID, Identity-H) and embeds the subset as /FontFile3
/OpenType: a CFF with an empty charstring for every id below the highest one used, plus the hmtx,
cmap, name and OS/2 tables a PDF reader does not use for a CID font. In a bare CID-keyed CFF the
CIDs are the charset's, not the glyph order: the charset lists only the glyphs drawn, each under its
old glyph id as CID, so the content streams, the /W widths and the ToUnicode map stay as they are.
Readers (FreeType in poppler and pdfium) look the glyphs of a bare CFF up by CID through the
charset, but take the CID as the glyph id in an OpenType-wrapped one, which is why the glyphs
cannot simply be renumbered inside the OpenType file. The charstrings are copied byte for byte,
with their widths and font dictionaries. The regular and the emboldened use of one face share one
program. Which glyphs a font draws: the CIDs of its /W array (WeasyPrint writes the width of every
glyph it drew, and of no other). A program that cannot be read or rewritten is left as written.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable

log = logging.getLogger(__name__)


def finish_fonts(document, pdf) -> None:
    """A WeasyPrint finisher (also called by other finishers): the bold text of DOCUMENT (a
    weasyprint Document) emboldened, then the font programs compacted, in PDF (pydyf)."""
    from renderers import fonts

    embolden(pdf, {font.hash for font in document.fonts.values() if fonts.is_emboldened(font)})
    compact_fonts(pdf)


def compact_fonts(pdf) -> None:
    """Rewrite, in the pydyf PDF before it is written, the /FontFile3 /OpenType programs of its
    CIDFontType0 fonts as bare CFFs of the glyphs drawn (`bare_cff`). Programs subset from one
    font file (the same PostScript name: the regular face and its emboldened use) become one
    program, which each of their font descriptors names; the others are left empty (unreferenced,
    a few bytes: pydyf has no way to drop an object once numbered)."""
    import pydyf

    by_reference = {obj.reference: obj for obj in pdf.objects if getattr(obj, "number", None) is not None}
    used_by_program: dict[bytes, set[int]] = {}
    descriptors: dict[bytes, list] = {}
    for obj in pdf.objects:
        if isinstance(obj, pydyf.Dictionary) and obj.get("Subtype") == "/CIDFontType0" and "W" in obj:
            descriptor = by_reference.get(obj["FontDescriptor"])
            program = descriptor.get("FontFile3") if descriptor is not None else None
            stream = by_reference.get(program) if program is not None else None
            if program is not None and isinstance(stream, pydyf.Stream) and stream.extra.get("Subtype") == "/OpenType":
                used_by_program.setdefault(program, set()).update(width_cids(obj["W"]))
                descriptors.setdefault(program, []).append(descriptor)
    groups: dict[str, list[bytes]] = {}
    for program in sorted(used_by_program):
        try:
            groups.setdefault(_identity(b"".join(by_reference[program].stream)), []).append(program)
        except Exception:  # not an OpenType CFF font: embedded as WeasyPrint wrote it
            log.warning("cannot read an embedded font, keeping it whole", exc_info=True)
    for programs in groups.values():
        try:
            cff = bare_cff([(b"".join(by_reference[p].stream), used_by_program[p]) for p in programs])
        except Exception:  # an unexpected font: embedded as WeasyPrint wrote it
            log.warning("cannot compact an embedded font, keeping it whole", exc_info=True)
            continue
        kept = by_reference[programs[0]]
        kept.stream = [cff]
        kept.extra["Subtype"] = "/CIDFontType0C"
        for program in programs[1:]:
            by_reference[program].stream = [b""]
            del by_reference[program].extra["Subtype"]
            for descriptor in descriptors[program]:
                descriptor["FontFile3"] = programs[0]


def _identity(opentype: bytes) -> str:
    """The PostScript name of the CFF font: the same for every subset of one font file (WeasyPrint's
    subsets keep the glyph ids, each up to the highest it draws)."""
    from fontTools.ttLib import TTFont

    return str(TTFont(io.BytesIO(opentype), lazy=True)["CFF "].cff.fontNames[0])


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


def bare_cff(sources: list[tuple[bytes, set[int]]]) -> bytes:
    """The CFF table of the OpenType fonts of SOURCES (CID-keyed subsets of one font that keep its
    glyph ids, each with the glyph ids it draws), reduced to .notdef and the glyphs drawn, each
    glyph's CID in the charset being its glyph id. A glyph's charstring is taken from the first
    source drawing it, with that source's font dictionary (the font dictionaries of all sources are
    kept, one after the other: a charstring's width is read with its own dictionary's values)."""
    from fontTools.ttLib import TTFont

    # the font bounding box kept as written: recomputing it would interpret every charstring
    fonts = [TTFont(io.BytesIO(opentype), lazy=True, recalcBBoxes=False) for opentype, _ in sources]
    tops = [font["CFF "].cff.topDictIndex[0] for font in fonts]
    if not all(hasattr(top, "ROS") and hasattr(top, "FDSelect") for top in tops):
        raise ValueError("not a CID-keyed CFF")
    if len(sources) > 1 and any(len(font["CFF "].cff.GlobalSubrs) for font in fonts):
        raise ValueError("subroutines: charstrings cannot move between fonts")
    source_of = {0: 0}
    for i, (_, used) in enumerate(sources):
        count = len(fonts[i].getGlyphOrder())
        for gid in sorted(used):
            if 0 < gid < count:
                source_of.setdefault(gid, i)
    keep = sorted(source_of)
    fd_base = [0]
    for top in tops[:-1]:
        fd_base.append(fd_base[-1] + len(top.FDArray))
    items, fd_select = [], []
    for gid in keep:
        i = source_of[gid]
        # read as bytes, compiled back unchanged
        charstring, fd = tops[i].CharStrings.getItemAndSelector(fonts[i].getGlyphOrder()[gid])
        items.append(charstring)
        fd_select.append(fd_base[i] + fd)
    top = tops[0]
    for other in tops[1:]:
        for font_dict in other.FDArray:
            top.FDArray.append(font_dict)
    index = top.CharStrings.charStringsIndex
    index.items = items
    del index.file, index.offsets
    top.FDSelect.format = None  # the smallest format is chosen when compiled
    top.FDSelect.gidArray = fd_select
    # fontTools writes a CID-keyed charset from the names: "cid01234" is CID 1234
    names = [".notdef", *(f"cid{gid:05d}" for gid in keep[1:])]
    top.CharStrings.charStrings = {name: i for i, name in enumerate(names)}
    top.charset = names
    top.numGlyphs = len(names)
    out = io.BytesIO()
    fonts[0]["CFF "].cff.compile(out, fonts[0])
    return out.getvalue()


# The width of the stroke drawn around an emboldened glyph, as a share of the font size: each stem
# grows by 0.04 em (0.02 em on each side), about what FreeType's and word processors' synthetic
# bold adds (FreeType: 1/24 em); thinner, the emphasis of the clauses under 民法典第四百九十六条
# reads too weak beside the regular text at 60 dpi.
EMBOLDEN = 0.04
_FILL_TO_STROKE = {b"rg": b"RG", b"g": b"G", b"k": b"K"}


def embolden(pdf, bold_fonts: set[str]) -> None:
    """Draw the text set in the fonts named BOLD_FONTS (resource names) filled and stroked (text
    rendering mode 2) in the fill colour, in every content stream of the pydyf PDF: the regular
    face made bold, as word processors do for a face without a bold one. Text in other fonts is
    filled only; the line width, line join and stroke colour are put back after each text object."""
    import pydyf

    names = {f"/{name}".encode() for name in bold_fonts}
    for obj in pdf.objects:
        if isinstance(obj, pydyf.Stream) and any(
            isinstance(item, bytes) and item.endswith(b" Tf") for item in obj.stream
        ):
            obj.stream = emboldened(obj.stream, names)


def emboldened(items: list, bold_names: set[bytes]) -> list:
    """The content stream ITEMS (one operator each, as WeasyPrint writes them) with rendering mode
    2 around the text in the fonts BOLD_NAMES (see `embolden`)."""
    out: list = []
    # fill colour, stroke colour, line width, line join: the last operator setting each
    state: dict[bytes, bytes] = {}
    saved: list[dict[bytes, bytes]] = []
    changed = False
    for item in items:
        out.append(item)
        if not isinstance(item, bytes):
            continue
        operator = item.rsplit(b" ", 1)[-1]
        if item == b"q":
            saved.append(dict(state))
        elif item == b"Q":
            state = saved.pop() if saved else {}
        elif operator in _FILL_TO_STROKE:
            state[b"fill"] = item
        elif operator in (b"cs", b"sc", b"scn"):  # a colour space of its own: not copied to the stroke
            state.pop(b"fill", None)
        elif operator in (b"RG", b"G", b"K", b"CS", b"SC", b"SCN", b"w", b"j"):
            state[operator if operator in (b"w", b"j") else b"stroke"] = item
        elif operator == b"Tf":
            name, size = item.split()[:2]
            if name in bold_names:
                out += [b"2 Tr", f"{float(size) * EMBOLDEN:.3f} w".encode(), b"1 j"]
                fill = state.get(b"fill")
                if fill is not None:
                    out.append(fill[: -len(fill.rsplit(b" ", 1)[-1])] + _FILL_TO_STROKE[fill.rsplit(b" ", 1)[-1]])
                changed = True
            elif changed:
                out.append(b"0 Tr")
        elif item == b"ET" and changed:
            # What WeasyPrint believes is set (it skips an operator setting the same value again).
            out += [b"0 Tr", state.get(b"w", b"1 w"), state.get(b"j", b"0 j")]
            if b"stroke" in state:
                out.append(state[b"stroke"])
            changed = False
    return out
