"""Build templates/docx/document.docx, the docxtpl template of renderers/docx.py.

    python -m renderers.build_docx_template [OUT]

The template holds the Word styles (Title, Heading 1/2, Body Text, List Item, Centered, the
table style …), the A4 page set-up, the running header and footer, and the jinja2 tags that
walk the document tree (`doc`) in the order of `Document.text_lines()`. Besides the page
furniture (目录, 合同编号, 第 X 页 共 Y 页) every word comes from the tree at render time.
Run it again after changing this file and commit the result.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    # Run as a file, this folder would come first on sys.path and its docx.py would shadow
    # python-docx.
    _here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _here]

from docx import Document  # noqa: E402
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Pt, RGBColor, Twips

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "templates" / "docx" / "document.docx"

# Fonts every stock Chinese Windows has: 宋体 (SimSun) for the hanzi, Times New Roman for
# Latin letters and digits. Headings are 宋体 in bold, as the PDF's headings are its serif face
# in bold. Linux has neither: LibreOffice finds fonts through fontconfig, and
# templates/docx/fonts.conf maps 宋体 and SimSun to Noto Serif CJK SC, the face the PDF
# embeds; Times New Roman already has its metric twin there (Liberation Serif).
EAST_ASIAN_FONT = "宋体"
EAST_ASIAN_FONT_EN = "SimSun"
LATIN_FONT = "Times New Roman"


def mm(value: float) -> int:
    """Millimetres (the stylesheet's unit) in twips."""
    return round(value * 1440 / 25.4)


def pt(value: float) -> int:
    """Points in twips."""
    return round(value * 20)


# templates/html/document.css, @page: A4, margin 26mm 22mm 24mm 25mm.
PAGE_W, PAGE_H = 11906, 16838
MARGIN_TOP, MARGIN_RIGHT, MARGIN_BOTTOM, MARGIN_LEFT = mm(26), mm(22), mm(24), mm(25)
TEXT_W = PAGE_W - MARGIN_LEFT - MARGIN_RIGHT
# The PDF's header sits in the top margin, its text ending 7.5 mm above the body (margin-bottom
# 5mm + padding 2.5mm, 9pt type); its footer starts 6 mm below the body. Word measures the header
# from the top edge to the header's top and the footer from the bottom edge to the footer's bottom.
HEADER_DISTANCE = mm(13)
FOOTER_DISTANCE = mm(12.5)

# Type sizes and line heights of the stylesheet. CSS line-height is a multiple of the font
# size; Word's "multiple" line spacing is a multiple of the font's own line gap (about 1.45 em
# for Noto CJK), so the DOCX states each CSS line height exactly, in twips.
BODY_PT = 10.5  # html { font-size: 10.5pt; line-height: 1.75 }
EM = pt(BODY_PT)  # text-indent: 2em is two of these
BODY_LINE = pt(BODY_PT * 1.75)
SIGNATURE_BLANK = mm(62)  # .sig-blank { width: 62mm }

# Block paragraph style of the tree (Paragraph.style) -> Word style; anything else is body.
BLOCK_STYLES = {"item": "List Item", "center": "Centered", "right": "Right Aligned", "note": "Note"}
BODY_STYLE = "Body Text"
PREAMBLE_STYLE = "Preamble"  # .preamble .p-body { text-indent: 0 }

# Child order inside w:pPr and w:rPr (ECMA-376), for the elements python-docx has no API for.
PPR_ORDER = (
    "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr suppressLineNumbers "
    "pBdr shd tabs suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE "
    "autoSpaceDN bidi adjustRightInd snapToGrid spacing ind contextualSpacing mirrorIndents "
    "suppressOverlap jc textDirection textAlignment textboxTightWrap outlineLvl divId cnfStyle "
    "rPr sectPr pPrChange"
).split()
RPR_ORDER = (
    "rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss imprint "
    "noProof snapToGrid vanish webHidden color spacing w kern position sz szCs highlight u "
    "effect bdr shd fitText vertAlign rtl cs em lang eastAsianLayout specVanish oMath"
).split()


def set_ordered(parent, tag: str, order: list[str], **attrs: str):
    """Put (or replace) the child w:TAG of PARENT at its schema position; return it."""
    old = parent.find(qn(f"w:{tag}"))
    if old is not None:
        parent.remove(old)
    child = OxmlElement(f"w:{tag}", {qn(f"w:{k}"): v for k, v in attrs.items()})
    later = set(order[order.index(tag) + 1 :])
    for i, existing in enumerate(parent):
        if existing.tag.split("}")[-1] in later:
            parent.insert(i, child)
            return child
    parent.append(child)
    return child


def fonts_rpr(rpr) -> None:
    set_ordered(
        rpr, "rFonts", RPR_ORDER,
        ascii=LATIN_FONT, hAnsi=LATIN_FONT, eastAsia=EAST_ASIAN_FONT, cs=LATIN_FONT,
    )


# --------------------------------------------------------------------------- package clean-up

STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"
KEEP_STYLES = {"Normal", "DefaultParagraphFont", "TableNormal", "NoList", "TableGrid"}


def prune_package(doc) -> None:
    """Drop the parts and styles of python-docx's default template that nothing uses."""
    part = doc.part
    for rid, rel in list(part.rels.items()):
        if rel.reltype in (STYLES_WITH_EFFECTS, RT.CUSTOM_XML):
            part.rels.pop(rid)
    for rid, rel in list(part.package.rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            part.package.rels.pop(rid)


def prune_styles(doc, used_ids: set[str]) -> None:
    styles = doc.styles.element
    for style in styles.findall(qn("w:style")):
        sid = style.get(qn("w:styleId"))
        if sid not in used_ids | KEEP_STYLES:
            styles.remove(style)
            continue
        for tag in ("w:link", "w:rsid"):
            for el in style.findall(qn(tag)):
                style.remove(el)


def clean_style(style) -> None:
    """Forget the theme fonts, colours and spacing a built-in style brings along."""
    el = style.element
    for tag in ("w:pPr", "w:rPr", "w:tblPr", "w:trPr", "w:tcPr", "w:tblStylePr"):
        for child in el.findall(qn(tag)):
            el.remove(child)


# --------------------------------------------------------------------------- styles


def paragraph_style(
    doc,
    name: str,
    *,
    style_id: str | None = None,
    base: str | None = "Normal",
    size: float | None = None,
    bold: bool = False,
    align=None,
    first_line: int | None = None,
    left: int | None = None,
    before: int | None = None,
    after: int | None = None,
    line: int | None = None,
    keep_next: bool = False,
    outline: int | None = None,
    tabs: tuple = (),
    color: str | None = None,
):
    """A paragraph style; lengths (indents, spacing, the exact line height) in twips."""
    styles = doc.styles
    try:
        style = styles[name]
        clean_style(style)
    except KeyError:
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    if style_id:
        style.style_id = style_id
    if name.startswith("toc "):  # Word's own "toc N" styles
        style.element.attrib.pop(qn("w:customStyle"), None)
    style.base_style = styles[base] if base else None
    style.quick_style = True
    style.hidden = False
    style.unhide_when_used = False
    pf, font = style.paragraph_format, style.font
    if size is not None:
        font.size = Pt(size)
        set_ordered(style.element.get_or_add_rPr(), "szCs", RPR_ORDER, val=str(round(size * 2)))
    if bold:
        font.bold = True
        set_ordered(style.element.get_or_add_rPr(), "bCs", RPR_ORDER)
    if color:
        font.color.rgb = RGBColor.from_string(color)
    if align is not None:
        pf.alignment = align
    if left is not None:
        pf.left_indent = Twips(left)
    if first_line is not None:
        pf.first_line_indent = Twips(first_line)
    if before is not None:
        pf.space_before = Twips(before)
    if after is not None:
        pf.space_after = Twips(after)
    if line is not None:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = Twips(line)
    if keep_next:
        pf.keep_with_next = True
    for pos, alignment, leader in tabs:
        pf.tab_stops.add_tab_stop(Twips(pos), alignment, leader)
    if outline is not None:
        set_ordered(style.element.get_or_add_pPr(), "outlineLvl", PPR_ORDER, val=str(outline))
    return style


def table_style(doc, name: str):
    """Ruled cells with the stylesheet's padding (th, td { padding: 1.2mm 2mm })."""
    style = doc.styles.add_style(name, WD_STYLE_TYPE.TABLE)
    style.base_style = doc.styles["Table Grid"]
    style.quick_style = True
    v, h = mm(1.2), mm(2)
    style.element.append(
        parse_xml(
            f"<w:tblPr {nsdecls('w')}>{borders_xml('tblBorders', 4)}"
            f'<w:tblCellMar><w:top w:w="{v}" w:type="dxa"/><w:left w:w="{h}" w:type="dxa"/>'
            f'<w:bottom w:w="{v}" w:type="dxa"/><w:right w:w="{h}" w:type="dxa"/></w:tblCellMar>'
            "</w:tblPr>"
        )
    )
    return style


def borders_xml(tag: str, size: int, ns: str = "") -> str:
    """Table borders; SIZE in eighths of a point (4 = the stylesheet's 0.5pt)."""
    sides = "".join(
        f'<w:{side} w:val="single" w:sz="{size}" w:space="0" w:color="333333"/>'
        for side in ("top", "left", "bottom", "right", "insideH", "insideV")
    )
    return f"<w:{tag}{ns}>{sides}</w:{tag}>"


def define_styles(doc) -> set[str]:
    """All styles of the template, each following its rule in templates/html/document.css;
    returns their style ids."""
    center, right = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT
    justify = WD_ALIGN_PARAGRAPH.JUSTIFY
    right_tab, dots = WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS
    defined = [
        # html: 10.5pt (五号), line-height 1.75
        paragraph_style(doc, "Normal", base=None, size=BODY_PT, line=BODY_LINE),
        # .p-body: text-indent 2em, justified
        paragraph_style(doc, BODY_STYLE, align=justify, first_line=2 * EM),
        paragraph_style(doc, PREAMBLE_STYLE, style_id="Preamble", align=justify),
        # .p-item: the label is inline, the paragraph indented like body text
        paragraph_style(doc, "List Item", align=justify, first_line=2 * EM),
        paragraph_style(doc, "Centered", align=center),
        paragraph_style(doc, "Right Aligned", align=right),
        # .p-note: 9pt, #333, text-indent 2em (of 9pt)
        paragraph_style(
            doc, "Note", size=9, line=pt(9 * 1.75), first_line=pt(18), color="333333",
        ),
        # .cover (padding-top 42mm), .cover-mark, .cover-title (margin-top 22mm), .cover-lines
        # (margin-top 58mm: the title's space after)
        paragraph_style(
            doc, "Cover Mark", align=center, size=40, bold=True, line=pt(40 * 1.2),
            before=mm(42), color="3A3A3A",
        ),
        paragraph_style(
            doc, "Title", align=center, size=22, bold=True, line=pt(22 * 1.45), before=mm(22),
            after=mm(58),
        ),
        paragraph_style(doc, "Cover Line", align=center, size=13, line=pt(13 * 2.3)),
        # h2 of chapters, the signature page and annexes: 13pt bold, centred, line-height 1.5,
        # margin 5mm 0 2mm, break-after avoid; the outline level names it for Word's navigation
        paragraph_style(
            doc, "Heading 1", size=13, bold=True, align=center, line=pt(13 * 1.5), before=mm(5),
            after=mm(2), keep_next=True, outline=0,
        ),
        # .clause h3: 10.5pt bold, margin-top 2mm
        paragraph_style(
            doc, "Heading 2", size=BODY_PT, bold=True, line=pt(BODY_PT * 1.5), before=mm(2),
            after=0, keep_next=True, outline=1,
        ),
        # .toc-title: 16pt bold, centred, margin-bottom 8mm; outside the outline (level 9)
        paragraph_style(
            doc, "TOC Heading", base="Heading 1", style_id="TOCHeading", size=16,
            line=pt(16 * 1.5), before=0, after=mm(8), outline=9,
        ),
        # .toc li: line-height 2.2, a dotted leader to the page number at the right margin
        paragraph_style(
            doc, "toc 1", style_id="TOC1", line=pt(BODY_PT * 2.2), tabs=((TEXT_W, right_tab, dots),),
        ),
        # .doc-title: 18pt bold, centred, margin-bottom 6mm
        paragraph_style(
            doc, "Document Title", style_id="DocumentTitle", align=center, size=18, bold=True,
            line=pt(18 * 1.5), after=mm(6),
        ),
        # table: 9.5pt, line-height 1.5; th bold, left-aligned
        paragraph_style(doc, "Table Text", size=9.5, line=pt(9.5 * 1.5)),
        paragraph_style(doc, "Table Heading", base="Table Text", bold=True),
        # .party (margin-top 9mm), .party-heading (bold, margin-bottom 2mm)
        paragraph_style(
            doc, "Signature Party", bold=True, before=mm(9), after=mm(2), keep_next=True,
        ),
        # .sig-line: line-height 2.6, padding-left 2em
        paragraph_style(
            doc, "Signature Line", line=pt(BODY_PT * 2.6), left=2 * EM, keep_next=True,
        ),
        # @top-center / @bottom-center: 9pt, #333, centred
        paragraph_style(doc, "Header", size=9, line=pt(9 * 1.75), align=center, color="333333"),
        paragraph_style(doc, "Footer", size=9, line=pt(9 * 1.75), align=center, color="333333"),
    ]
    doc.styles["Heading 1"].next_paragraph_style = doc.styles[BODY_STYLE]
    doc.styles["Heading 2"].next_paragraph_style = doc.styles[BODY_STYLE]
    # @top-center: border-bottom 0.5pt #777, padding-bottom 2.5mm (w:space is in points)
    header_ppr = doc.styles["Header"].element.get_or_add_pPr()
    set_ordered(header_ppr, "pBdr", PPR_ORDER).append(
        parse_xml(f'<w:bottom {nsdecls("w")} w:val="single" w:sz="4" w:space="7" w:color="777777"/>')
    )
    fonts_rpr(doc.styles["Normal"].element.get_or_add_rPr())
    clean_style(doc.styles["Table Grid"])
    defined.append(table_style(doc, "Contract Table"))
    return {s.style_id for s in defined} | {"TableGrid"}


def set_doc_defaults(doc) -> None:
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts_rpr(rpr)
    size = str(round(BODY_PT * 2))
    set_ordered(rpr, "sz", RPR_ORDER, val=size)
    set_ordered(rpr, "szCs", RPR_ORDER, val=size)
    set_ordered(rpr, "lang", RPR_ORDER, val="en-US", eastAsia="zh-CN", bidi="ar-SA")
    ppr = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr"))
    set_ordered(ppr, "spacing", PPR_ORDER, after="0", line="240", lineRule="auto")


def set_normal_paragraph(doc) -> None:
    """Paragraph rules every style inherits from Normal. (LibreOffice reads these from the
    Normal style but not from w:pPrDefault.)"""
    ppr = doc.styles["Normal"].element.get_or_add_pPr()
    # orphans: 2; widows: 2 (the stylesheet's body text; CSS's default everywhere else)
    set_ordered(ppr, "widowControl", PPR_ORDER)
    # No extra gap between hanzi and Latin letters or digits ("VIP客户", not "VIP 客户"): the PDF
    # sets none, and Word adds a quarter em by default. (LibreOffice 7.4 ignores both elements
    # when it reads a DOCX and always adds the gap.)
    set_ordered(ppr, "autoSpaceDE", PPR_ORDER, val="0")
    set_ordered(ppr, "autoSpaceDN", PPR_ORDER, val="0")


def set_font_table_and_theme(doc) -> None:
    """Name 宋体 (and its English name SimSun) in fontTable.xml and in the theme."""
    for rel in doc.part.rels.values():
        if rel.reltype == RT.FONT_TABLE:
            rel.target_part._blob = FONT_TABLE.encode("utf-8")
        elif rel.reltype == RT.THEME:
            theme = rel.target_part.blob.decode("utf-8")
            theme = theme.replace('<a:ea typeface=""/>', f'<a:ea typeface="{EAST_ASIAN_FONT}"/>')
            rel.target_part._blob = theme.encode("utf-8")


# panose, charset 86 (GB2312) and pitch as Word itself writes them for SimSun and Times New Roman
FONT_TABLE = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:fonts {nsdecls("w")}>
<w:font w:name="{EAST_ASIAN_FONT}"><w:altName w:val="{EAST_ASIAN_FONT_EN}"/>\
<w:panose1 w:val="02010600030101010101"/><w:charset w:val="86"/><w:family w:val="auto"/>\
<w:pitch w:val="variable"/><w:sig w:usb0="00000003" w:usb1="288F0000" w:usb2="00000016" \
w:usb3="00000000" w:csb0="00040001" w:csb1="00000000"/></w:font>
<w:font w:name="{LATIN_FONT}"><w:panose1 w:val="02020603050405020304"/><w:charset w:val="00"/>\
<w:family w:val="roman"/><w:pitch w:val="variable"/></w:font>
</w:fonts>
"""


def set_settings(doc) -> None:
    settings = doc.settings.element
    for tag in ("w:savePreviewPicture", "w:rsids", "w:proofState", "w:updateFields"):
        for el in settings.findall(qn(tag)):
            settings.remove(el)
    # No w:updateFields: it makes Word ask on every open whether to update the fields. Nothing
    # needs it (see toc()): PAGE and NUMPAGES are laid out live, and the table of contents'
    # page numbers are PAGEREF fields that LibreOffice computes and Word fills in on F9.
    lang = settings.find(qn("w:themeFontLang"))
    lang.set(qn("w:eastAsia"), "zh-CN")


def set_properties(doc) -> None:
    """Blank properties; the renderer stamps the document's own (renderers/docx.py)."""
    props = doc.core_properties
    props.author = ""
    props.last_modified_by = ""
    props.comments = ""
    props.title = ""
    props.subject = ""
    props.keywords = ""
    props.revision = 1
    for el in list(props._element):
        if el.tag.split("}")[-1] in ("created", "modified", "lastPrinted"):
            props._element.remove(el)


# --------------------------------------------------------------------------- template body


def tag(doc_or_cell, text: str) -> None:
    """A paragraph holding only a docxtpl paragraph-level tag ({%p …%}, {{p …}})."""
    doc_or_cell.add_paragraph(text)


def field_runs(paragraph, instruction: str, cached: str | None) -> None:
    """A complex field: begin, instruction, separate, cached result, end."""
    field_start(paragraph, instruction)
    if cached is not None:
        paragraph.add_run(cached)
    add_fld_char(paragraph, "end")


def field_start(paragraph, instruction: str) -> None:
    """Begin, instruction and separate of a complex field; the result follows."""
    add_fld_char(paragraph, "begin")
    instr = OxmlElement("w:instrText", {qn("xml:space"): "preserve"})
    instr.text = f" {instruction} "
    paragraph.add_run()._r.append(instr)
    add_fld_char(paragraph, "separate")


def add_fld_char(paragraph, kind: str) -> None:
    paragraph.add_run()._r.append(OxmlElement("w:fldChar", {qn("w:fldCharType"): kind}))


def bookmark(paragraph, bookmark_id: str, name: str) -> None:
    """Mark the whole of PARAGRAPH as bookmark NAME (the target of a TOC entry)."""
    p = paragraph._p
    start = OxmlElement("w:bookmarkStart", {qn("w:id"): bookmark_id, qn("w:name"): name})
    ppr = p.find(qn("w:pPr"))
    if ppr is not None:
        ppr.addnext(start)
    else:
        p.insert(0, start)
    p.append(OxmlElement("w:bookmarkEnd", {qn("w:id"): bookmark_id}))


def runs_paragraph(container, style: str, *, keep: bool = False):
    """A paragraph printing the label (if any) and the runs of `b`, bold where Run.bold.

    Bold is the only direct run formatting in the body, and it comes from the tree alone:
    headings are bold through their paragraph styles.
    """
    p = container.add_paragraph(style=style)
    if keep:
        p.paragraph_format.keep_with_next = True
    p.add_run("{%r if b.label %}")
    p.add_run("{{ b.label }}")
    p.add_run("{%r endif %}")
    p.add_run("{%r for run in b.runs %}")
    p.add_run("{%r if run.bold %}")
    p.add_run("{{ run.text }}").bold = True
    p.add_run("{%r else %}")
    p.add_run("{{ run.text }}")
    p.add_run("{%r endif %}")
    p.add_run("{%r endfor %}")
    return p


def styled(doc, style: str, text: str, *, page_break: bool = False):
    p = doc.add_paragraph(text, style=style)
    if page_break:
        p.paragraph_format.page_break_before = True
    return p


def with_page_break(doc, condition: str, style: str, text: str) -> None:
    """The same paragraph twice: starting a new page when CONDITION holds, else in place."""
    tag(doc, f"{{%p if {condition} %}}")
    styled(doc, style, text, page_break=True)
    tag(doc, "{%p else %}")
    styled(doc, style, text)
    tag(doc, "{%p endif %}")


def blocks_macro(doc) -> None:
    """`blocks(items, keep, preamble)`: paragraphs and tables of a block list; keep=True keeps
    every paragraph with the next one (the signature page); preamble=True sets body paragraphs
    without the first-line indent."""
    tag(doc, "{%p macro blocks(items, keep=False, preamble=False) %}")
    tag(doc, "{%p for b in items %}")
    tag(doc, "{%p if b is table %}")
    block_table(doc)
    for keep in (True, False):
        tag(doc, "{%p elif keep %}" if keep else "{%p else %}")
        first = True
        for key, style in BLOCK_STYLES.items():
            tag(doc, f"{{%p {'if' if first else 'elif'} b.style == '{key}' %}}")
            runs_paragraph(doc, style, keep=keep)
            first = False
        if not keep:
            tag(doc, "{%p elif preamble %}")
            runs_paragraph(doc, PREAMBLE_STYLE)
        tag(doc, "{%p else %}")
        runs_paragraph(doc, BODY_STYLE, keep=keep)
        tag(doc, "{%p endif %}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endmacro %}")


def block_table(doc) -> None:
    """A Table block: the header row repeats on every page; rows and columns are loops."""
    table = doc.add_table(rows=4, cols=3, style="Contract Table")
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    tbl_pr = table._tbl.tblPr
    tbl_w = tbl_pr.find(qn("w:tblW"))
    tbl_w.set(qn("w:type"), "pct")
    tbl_w.set(qn("w:w"), "5000")
    # borders on the table as well, for readers that ignore table styles
    tbl_pr.find(qn("w:tblLook")).addprevious(
        parse_xml(borders_xml("tblBorders", 4, " " + nsdecls("w")))
    )
    for row in table.rows:
        for cell in row.cells:
            tc_w = cell._tc.get_or_add_tcPr().find(qn("w:tcW"))
            if tc_w is not None:
                tc_w.set(qn("w:type"), "auto")
                tc_w.set(qn("w:w"), "0")
    header, open_rows, body, close_rows = table.rows
    tr_pr = header._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))
    tr_pr.append(OxmlElement("w:tblHeader"))
    body._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    cell_texts(header, "{%tc for h in b.header %}", "{{ h }}", "{%tc endfor %}", "Table Heading")
    # th { background: #eee }
    header.cells[1]._tc.get_or_add_tcPr().append(
        OxmlElement("w:shd", {qn("w:val"): "clear", qn("w:color"): "auto", qn("w:fill"): "EEEEEE"})
    )
    cell_texts(body, "{%tc for c in row %}", "{{ c }}", "{%tc endfor %}", "Table Text")
    open_rows.cells[0].paragraphs[0].text = "{%tr for row in b.rows %}"
    close_rows.cells[0].paragraphs[0].text = "{%tr endfor %}"


def cell_texts(row, opening: str, content: str, closing: str, style: str) -> None:
    first, middle, last = row.cells
    first.paragraphs[0].text = opening
    middle.paragraphs[0].text = content
    middle.paragraphs[0].style = style
    last.paragraphs[0].text = closing


def toc(doc) -> None:
    """目录: one paragraph per entry of `Document.toc_entries()`, linked to its heading, with the
    heading's page number as a PAGEREF field whose cached result is empty.

    Not a TOC field, so that nothing in the file is left to an update: LibreOffice computes
    PAGEREF from its own layout when it opens or converts the file (it keeps a TOC field's
    cached text, page numbers included, as they are), and Word shows the entries at once and
    fills in its own page numbers when fields are updated (F9, or printing). No page number is
    ever a guess made before the file was laid out. An update cannot change the entries either:
    they are the PDF's, not whatever the heading styles collect.
    """
    tag(doc, "{%p if toc %}")
    with_page_break(doc, "doc.cover", "TOC Heading", "目录")
    tag(doc, "{%p for entry in toc %}")
    p = doc.add_paragraph(style="toc 1")
    link = OxmlElement("w:hyperlink", {qn("w:anchor"): "{{ entry.bookmark }}", qn("w:history"): "1"})
    p._p.append(link)
    run = p.add_run("{{ entry.text }}")
    link.append(run._r)
    p.add_run().add_tab()
    field_runs(p, r"PAGEREF {{ entry.bookmark }} \h", None)
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")


def heading(doc, text: str, bookmark_id: str, name: str, *, page_top: bool = False) -> None:
    """A Heading 1 paragraph bookmarked for its TOC entry.

    page_top: the signature page's and the annexes' headings, which start a page with no
    space above and 4mm below (.signature h2, .annex h2).
    """
    p = styled(doc, "Heading 1", text, page_break=page_top)
    if page_top:
        p.paragraph_format.space_before = Twips(0)
        p.paragraph_format.space_after = Twips(mm(4))
    bookmark(p, bookmark_id, name)


def body(doc) -> None:
    blocks_macro(doc)
    # cover
    tag(doc, "{%p if doc.cover %}")
    styled(doc, "Cover Mark", "{{ doc.cover.mark }}")
    styled(doc, "Title", "{{ doc.cover.title }}")
    tag(doc, "{%p for line in doc.cover.lines %}")
    styled(doc, "Cover Line", "{{ line }}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")
    toc(doc)
    # title and preamble
    with_page_break(doc, "doc.cover or toc", "Document Title", "{{ doc.title }}")
    tag(doc, "{{p blocks(doc.preamble, preamble=True) }}")
    # chapters and clauses; bookmark names and ids as renderers.docx.toc_targets() gives them
    tag(doc, "{%p for chapter in doc.chapters %}")
    heading(doc, "{{ chapter.heading }}", "{{ loop.index }}", "_Toc_ch_{{ loop.index }}")
    tag(doc, "{{p blocks(chapter.blocks) }}")
    tag(doc, "{%p for clause in chapter.clauses %}")
    styled(doc, "Heading 2", "{{ clause.heading }}")
    tag(doc, "{{p blocks(clause.blocks) }}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endfor %}")
    # signature page: on a page of its own, every paragraph kept with the next
    tag(doc, "{%p if doc.signature %}")
    heading(doc, "{{ doc.signature.heading }}", "900", "_Toc_signature", page_top=True)
    tag(doc, "{{p blocks(doc.signature.blocks, keep=True) }}")
    tag(doc, "{%p for party in doc.signature.parties %}")
    styled(doc, "Signature Party", "{{ party.heading }}")
    tag(doc, "{%p for line in party.lines %}")
    p = doc.add_paragraph(style="Signature Line")
    # a blank of 62mm after the label: a tab stop that far past the label's end (labels are
    # hanzi, one em each)
    stop = p.paragraph_format.tab_stops.add_tab_stop(Twips(0))
    stop._element.set(qn("w:pos"), f"{{{{ {2 * EM + SIGNATURE_BLANK} + line.label|length * {EM} }}}}")
    p.add_run("{{ line.label }}")
    p.add_run("{%r if line.value %}")
    p.add_run("{{ line.value }}")
    p.add_run("{%r else %}")
    p.add_run().add_tab()
    p.runs[-1].underline = True  # a blank to fill in by hand
    p.add_run("{%r endif %}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")
    # annexes, each on a new page
    tag(doc, "{%p for annex in doc.annexes %}")
    heading(doc, "{{ annex.title }}", "{{ 1000 + loop.index }}", "_Toc_annex_{{ loop.index }}",
            page_top=True)
    tag(doc, "{{p blocks(annex.blocks) }}")
    tag(doc, "{%p endfor %}")


def page_setup(doc) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Twips(PAGE_W), Twips(PAGE_H)
    section.top_margin, section.bottom_margin = Twips(MARGIN_TOP), Twips(MARGIN_BOTTOM)
    section.left_margin, section.right_margin = Twips(MARGIN_LEFT), Twips(MARGIN_RIGHT)
    section.header_distance, section.footer_distance = Twips(HEADER_DISTANCE), Twips(FOOTER_DISTANCE)
    section.gutter = Twips(0)

    # the PDF's running header (renderers.pdf.running_header): its parts joined by U+3000
    header = section.header.paragraphs[0]
    header.style = "Header"
    header.add_run(
        "合同编号：{{ doc.contract_no }}"
        "{% if doc.doc_no and doc.doc_no != doc.contract_no %}"
        "　文件编号：{{ doc.doc_no }}{% endif %}"
        "{% if doc.watermark %}　{{ doc.watermark }}{% endif %}"
    )

    footer = section.footer.paragraphs[0]
    footer.style = "Footer"
    footer.add_run("第 ")
    field_runs(footer, "PAGE", "1")
    footer.add_run(" 页 共 ")
    field_runs(footer, "NUMPAGES", "1")
    footer.add_run(" 页")

    # The cover has neither header nor footer (@page cover): a different, empty first-page
    # header and footer. The renderer turns this off for documents without a cover. PAGE still
    # counts the cover, as the PDF's footer does.
    section.different_first_page_header_footer = True
    for part in (section.first_page_header, section.first_page_footer):
        part.is_linked_to_previous = False
        part.paragraphs[0].style = "Normal"  # not "Header": no rule across the cover


def build(out: Path = OUT) -> Path:
    doc = Document()
    prune_package(doc)
    body_el = doc.element.body
    for child in list(body_el):
        if child.tag != qn("w:sectPr"):
            body_el.remove(child)
    set_doc_defaults(doc)
    used = define_styles(doc)
    set_normal_paragraph(doc)
    prune_styles(doc, used)
    set_font_table_and_theme(doc)
    set_settings(doc)
    set_properties(doc)
    page_setup(doc)
    body(doc)
    out.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(out))
    return out


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    print(build(target))
