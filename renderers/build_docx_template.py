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

FONT = "Noto Serif CJK SC"
FALLBACK_FONT = "宋体"  # SimSun: what Word substitutes where Noto Serif CJK SC is missing

# A4, binding margin on the left. Text width 11906 - 1701 - 1417 = 8788 twips.
PAGE_W, PAGE_H = 11906, 16838
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = 1440, 1440, 1701, 1417
TEXT_W = PAGE_W - MARGIN_LEFT - MARGIN_RIGHT

# Block paragraph style of the tree (Paragraph.style) -> Word style; anything else is body.
BLOCK_STYLES = {"item": "List Item", "center": "Centered", "right": "Right Aligned", "note": "Note"}
BODY_STYLE = "Body Text"

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
    set_ordered(rpr, "rFonts", RPR_ORDER, ascii=FONT, hAnsi=FONT, eastAsia=FONT, cs=FONT)


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
    before: float | None = None,
    after: float | None = None,
    exact: float | None = None,
    multiple: float | None = None,
    keep_next: bool = False,
    outline: int | None = None,
    tabs: tuple = (),
    spacing: int | None = None,
    color: str | None = None,
):
    styles = doc.styles
    try:
        style = styles[name]
        clean_style(style)
    except KeyError:
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    if style_id:
        style.style_id = style_id
    if name.startswith("toc "):  # Word's own "toc N" styles, which its TOC field fills in
        style.element.attrib.pop(qn("w:customStyle"), None)
    style.base_style = styles[base] if base else None
    style.quick_style = True
    style.hidden = False
    style.unhide_when_used = False
    pf, font = style.paragraph_format, style.font
    if size is not None:
        font.size = Pt(size)
        set_ordered(style.element.get_or_add_rPr(), "szCs", RPR_ORDER, val=str(int(size * 2)))
    if bold:
        font.bold = True
        set_ordered(style.element.get_or_add_rPr(), "bCs", RPR_ORDER)
    if color:
        font.color.rgb = RGBColor.from_string(color)
    if spacing is not None:
        set_ordered(style.element.get_or_add_rPr(), "spacing", RPR_ORDER, val=str(spacing))
    if align is not None:
        pf.alignment = align
    if left is not None:
        pf.left_indent = Twips(left)
    if first_line is not None:
        pf.first_line_indent = Twips(first_line)
    if before is not None:
        pf.space_before = Pt(before)
    if after is not None:
        pf.space_after = Pt(after)
    if exact is not None:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = Pt(exact)
    if multiple is not None:
        pf.line_spacing = multiple
    if keep_next:
        pf.keep_with_next = True
    for pos, alignment, leader in tabs:
        pf.tab_stops.add_tab_stop(Twips(pos), alignment, leader)
    if outline is not None:
        set_ordered(style.element.get_or_add_pPr(), "outlineLvl", PPR_ORDER, val=str(outline))
    return style


def table_style(doc, name: str):
    style = doc.styles.add_style(name, WD_STYLE_TYPE.TABLE)
    style.base_style = doc.styles["Table Grid"]
    style.quick_style = True
    style.element.append(
        parse_xml(
            f"<w:tblPr {nsdecls('w')}>{borders_xml('tblBorders', 4)}"
            '<w:tblCellMar><w:top w:w="57" w:type="dxa"/><w:left w:w="85" w:type="dxa"/>'
            '<w:bottom w:w="57" w:type="dxa"/><w:right w:w="85" w:type="dxa"/></w:tblCellMar>'
            "</w:tblPr>"
        )
    )
    return style


def borders_xml(tag: str, size: int, ns: str = "") -> str:
    sides = "".join(
        f'<w:{side} w:val="single" w:sz="{size}" w:space="0" w:color="000000"/>'
        for side in ("top", "left", "bottom", "right", "insideH", "insideV")
    )
    return f"<w:{tag}{ns}>{sides}</w:{tag}>"


def define_styles(doc) -> set[str]:
    """All styles of the template; returns their style ids."""
    center, right = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT
    justify = WD_ALIGN_PARAGRAPH.JUSTIFY
    left_tab, right_tab = WD_TAB_ALIGNMENT.LEFT, WD_TAB_ALIGNMENT.RIGHT
    no_leader = WD_TAB_LEADER.SPACES
    defined = [
        # 小四 12 pt body, fixed 22 pt lines (Noto CJK's own line gap is large)
        paragraph_style(doc, "Normal", base=None, size=12, exact=22),
        paragraph_style(doc, BODY_STYLE, align=justify, first_line=480),
        # the label (（1）…) hangs in the first 42 pt; the text wraps at the tab stop
        paragraph_style(
            doc, "List Item", align=justify, left=1320, first_line=-840,
            tabs=((1320, left_tab, no_leader),),
        ),
        paragraph_style(doc, "Centered", align=center),
        paragraph_style(doc, "Right Aligned", align=right),
        paragraph_style(doc, "Note", size=10.5, exact=18, align=justify),
        # cover
        paragraph_style(
            doc, "Cover Mark", align=center, size=16, bold=True, spacing=200, before=96,
            after=24, exact=30, color="595959",
        ),
        paragraph_style(doc, "Title", align=center, size=22, bold=True, multiple=1.2, after=120),
        paragraph_style(doc, "Cover Line", align=center, size=14, exact=32),
        # headings (what the TOC field collects) and the table of contents
        paragraph_style(
            doc, "Heading 1", size=14, bold=True, align=center, before=12, after=6,
            multiple=1.0, keep_next=True, outline=0,
        ),
        paragraph_style(
            doc, "Heading 2", size=12, bold=True, before=6, after=0, keep_next=True, outline=1,
        ),
        paragraph_style(doc, "TOC Heading", base="Heading 1", style_id="TOCHeading", outline=9),
        paragraph_style(
            doc, "toc 1", style_id="TOC1", tabs=((TEXT_W, right_tab, WD_TAB_LEADER.DOTS),),
        ),
        paragraph_style(
            doc, "toc 2", style_id="TOC2", left=480,
            tabs=((TEXT_W, right_tab, WD_TAB_LEADER.DOTS),),
        ),
        # body
        paragraph_style(
            doc, "Document Title", style_id="DocumentTitle", align=center, size=18, bold=True,
            multiple=1.2, after=18,
        ),
        paragraph_style(doc, "Table Text", size=10.5, multiple=1.0),
        paragraph_style(doc, "Table Heading", base="Table Text", bold=True, align=center),
        paragraph_style(doc, "Signature Party", bold=True, before=18, keep_next=True),
        paragraph_style(
            doc, "Signature Line", exact=30, keep_next=True, tabs=((8200, left_tab, no_leader),),
        ),
        # running header and footer, 小五 9 pt
        paragraph_style(
            doc, "Header", size=9, multiple=1.0, tabs=((TEXT_W, right_tab, no_leader),),
        ),
        paragraph_style(doc, "Footer", size=9, multiple=1.0, align=center),
    ]
    doc.styles["Heading 1"].next_paragraph_style = doc.styles[BODY_STYLE]
    doc.styles["Heading 2"].next_paragraph_style = doc.styles[BODY_STYLE]
    header_ppr = doc.styles["Header"].element.get_or_add_pPr()
    set_ordered(header_ppr, "pBdr", PPR_ORDER).append(
        parse_xml(f'<w:bottom {nsdecls("w")} w:val="single" w:sz="4" w:space="1" w:color="000000"/>')
    )
    fonts_rpr(doc.styles["Normal"].element.get_or_add_rPr())
    clean_style(doc.styles["Table Grid"])
    defined.append(table_style(doc, "Contract Table"))
    return {s.style_id for s in defined} | {"TableGrid"}


def set_doc_defaults(doc) -> None:
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts_rpr(rpr)
    set_ordered(rpr, "sz", RPR_ORDER, val="24")
    set_ordered(rpr, "szCs", RPR_ORDER, val="24")
    set_ordered(rpr, "lang", RPR_ORDER, val="en-US", eastAsia="zh-CN", bidi="ar-SA")
    ppr = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr"))
    set_ordered(ppr, "spacing", PPR_ORDER, after="0", line="240", lineRule="auto")


def set_font_table_and_theme(doc) -> None:
    """Name the CJK face (with its 宋体 fallback) in fontTable.xml and the theme."""
    for rel in doc.part.rels.values():
        if rel.reltype == RT.FONT_TABLE:
            rel.target_part._blob = FONT_TABLE.encode("utf-8")
        elif rel.reltype == RT.THEME:
            theme = rel.target_part.blob.decode("utf-8")
            theme = theme.replace('<a:ea typeface=""/>', f'<a:ea typeface="{FONT}"/>')
            rel.target_part._blob = theme.encode("utf-8")


FONT_TABLE = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:fonts {nsdecls("w")}>
<w:font w:name="{FONT}"><w:altName w:val="{FALLBACK_FONT}"/><w:panose1 w:val="02020400000000000000"/>\
<w:charset w:val="86"/><w:family w:val="roman"/><w:pitch w:val="variable"/></w:font>
<w:font w:name="{FALLBACK_FONT}"><w:altName w:val="SimSun"/><w:panose1 w:val="02010600030101010101"/>\
<w:charset w:val="86"/><w:family w:val="auto"/><w:pitch w:val="variable"/></w:font>
<w:font w:name="Times New Roman"><w:panose1 w:val="02020603050405020304"/><w:charset w:val="00"/>\
<w:family w:val="roman"/><w:pitch w:val="variable"/></w:font>
</w:fonts>
"""


def set_settings(doc) -> None:
    settings = doc.settings.element
    for tag in ("w:savePreviewPicture", "w:rsids", "w:proofState"):
        for el in settings.findall(qn(tag)):
            settings.remove(el)
    # Word rebuilds the table of contents and page numbers when it opens the file.
    settings.find(qn("w:compat")).addprevious(
        OxmlElement("w:updateFields", {qn("w:val"): "true"})
    )
    lang = settings.find(qn("w:themeFontLang"))
    lang.set(qn("w:eastAsia"), "zh-CN")


def set_properties(doc) -> None:
    props = doc.core_properties
    props.author = ""
    props.last_modified_by = ""
    props.comments = ""
    props.title = ""
    props.subject = ""
    props.keywords = ""
    props.revision = 1
    for el in list(props._element):  # the render stamps its own dates
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


def runs_paragraph(container, style: str, *, item: bool = False, keep: bool = False):
    """A paragraph printing the label (if any) and the runs of `b`, bold where Run.bold.

    An item's label is followed by a tab to the hanging indent.
    """
    p = container.add_paragraph(style=style)
    if keep:
        p.paragraph_format.keep_with_next = True
    p.add_run("{%r if b.label %}")
    p.add_run("{{ b.label }}")
    if item:
        p.add_run().add_tab()
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
    """`blocks(items, keep)`: paragraphs and tables of a block list; keep=True keeps every
    paragraph with the next one (the signature page)."""
    tag(doc, "{%p macro blocks(items, keep=False) %}")
    tag(doc, "{%p for b in items %}")
    tag(doc, "{%p if b is table %}")
    block_table(doc)
    for keep in (True, False):
        tag(doc, "{%p elif keep %}" if keep else "{%p else %}")
        first = True
        for key, style in BLOCK_STYLES.items():
            tag(doc, f"{{%p {'if' if first else 'elif'} b.style == '{key}' %}}")
            runs_paragraph(doc, style, item=key == "item", keep=keep)
            first = False
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
    """目录 and a TOC field whose cached result already lists the entries."""
    tag(doc, "{%p if toc_entries %}")
    with_page_break(doc, "doc.cover", "TOC Heading", "目录")
    tag(doc, "{%p for entry in toc_entries %}")
    p = doc.add_paragraph(style="toc 1")
    p.add_run("{%r if loop.first %}")
    field_start(p, r'TOC \o "1-2" \h \z \u')  # the field ends after the last entry
    p.add_run("{%r endif %}")
    p.add_run("{{ entry }}")
    p.add_run("{%r if loop.last %}")
    add_fld_char(p, "end")
    p.add_run("{%r endif %}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")


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
    with_page_break(doc, "doc.cover or toc_entries", "Document Title", "{{ doc.title }}")
    tag(doc, "{{p blocks(doc.preamble) }}")
    # chapters and clauses
    tag(doc, "{%p for chapter in doc.chapters %}")
    styled(doc, "Heading 1", "{{ chapter.heading }}")
    tag(doc, "{{p blocks(chapter.blocks) }}")
    tag(doc, "{%p for clause in chapter.clauses %}")
    styled(doc, "Heading 2", "{{ clause.heading }}")
    tag(doc, "{{p blocks(clause.blocks) }}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endfor %}")
    # signature page: on a page of its own, every paragraph kept with the next
    tag(doc, "{%p if doc.signature %}")
    styled(doc, "Heading 1", "{{ doc.signature.heading }}", page_break=True)
    tag(doc, "{{p blocks(doc.signature.blocks, keep=True) }}")
    tag(doc, "{%p for party in doc.signature.parties %}")
    styled(doc, "Signature Party", "{{ party.heading }}")
    tag(doc, "{%p for line in party.lines %}")
    p = doc.add_paragraph(style="Signature Line")
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
    styled(doc, "Heading 1", "{{ annex.title }}", page_break=True)
    tag(doc, "{{p blocks(annex.blocks) }}")
    tag(doc, "{%p endfor %}")


def page_setup(doc) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Twips(PAGE_W), Twips(PAGE_H)
    section.top_margin, section.bottom_margin = Twips(MARGIN_TOP), Twips(MARGIN_BOTTOM)
    section.left_margin, section.right_margin = Twips(MARGIN_LEFT), Twips(MARGIN_RIGHT)
    section.header_distance, section.footer_distance = Twips(851), Twips(851)
    section.gutter = Twips(0)

    header = section.header.paragraphs[0]
    header.style = "Header"
    header.add_run(
        "合同编号：{{ doc.contract_no }}"
        "{% if doc.doc_no and doc.doc_no != doc.contract_no %}"
        "　文件编号：{{ doc.doc_no }}{% endif %}"
    )
    header.add_run("{%r if doc.watermark %}")
    header.add_run().add_tab()
    header.add_run("{{ doc.watermark }}").bold = True
    header.add_run("{%r endif %}")

    footer = section.footer.paragraphs[0]
    footer.style = "Footer"
    footer.add_run("第 ")
    field_runs(footer, "PAGE", "1")
    footer.add_run(" 页 共 ")
    field_runs(footer, "NUMPAGES", "1")
    footer.add_run(" 页")


def build(out: Path = OUT) -> Path:
    doc = Document()
    prune_package(doc)
    body_el = doc.element.body
    for child in list(body_el):
        if child.tag != qn("w:sectPr"):
            body_el.remove(child)
    set_doc_defaults(doc)
    used = define_styles(doc)
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
