"""The DOCX renderer, checked by opening what it writes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import time
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from docx import Document as open_docx
from docx.oxml.ns import qn
from docx.shared import Pt, Twips

from contracts.customer import CustomerType
from contracts.document import (
    Annex,
    Attention,
    Chapter,
    Clause,
    Cover,
    Document,
    Paragraph,
    Run,
    Signature,
    SignatureLine,
    SignatureParty,
    Table,
)
from renderers.docx import (
    TEMPLATE,
    docx_context,
    jinja_env,
    load_template,
    program_version,
    render_docx,
    template_bytes,
    warm,
)
from renderers.pdf import running_header
from tests.conftest import make_agreement
from tests.readback_docx import (
    bold_run_texts,
    bookmarks,
    docx_body_lines,
    docx_header_footer_text,
    field_instructions,
    toc_entries,
    toc_page_fields,
)

NASTY = "A&B<C>公司\"'"


def squash(lines) -> str:
    return re.sub(r"\s+", "", "".join(lines))


def small_document(name: str = NASTY, **changes) -> Document:
    """A hand-made tree touching every kind of node, with NAME in text, table and signature."""

    def para(*runs, **kw):
        return Paragraph(tuple(Run(text, (Attention.LIABILITY,) if bold else ()) for text, bold in runs), **kw)

    doc = Document(
        kind="amendment",
        contract_no="VIP-2026-000009",
        doc_no="VIP-2026-000009-B1",
        title="补充协议",
        cover=Cover("补充协议", ("合同编号：VIP-2026-000009", f"乙方：{name}")),
        preamble=(para((f"乙方：{name}", False)),),
        chapters=(
            Chapter(1, "第一条", "变更内容", blocks=(para(("双方同意：", False)),), clauses=(
                Clause("1.1", "费用", (
                    para(("普通，", False), ("加粗<条款>&", True), ("，结尾。", False)),
                    para(("第一项；", False), label="（1）", style="item"),
                    para(("第二项", True), label="（2）", style="item"),
                    para(("居中", False), style="center"),
                    para(("靠右", False), style="right"),
                    para(("注：", False), style="note"),
                    Table(("项目", "金额"), (("服务费", "¥1.00"), (name, "¥2.00"))),
                )),
            )),
        ),
        signature=Signature("签署页", (para(("乙方已阅读。", True)),), (
            SignatureParty("甲方（盖章）", (SignatureLine("名称：", "示例公司"),
                                          SignatureLine("日期："))),
            SignatureParty("乙方（签字）", (SignatureLine("姓名：", name),
                                          SignatureLine("签字："))),
        )),
        annexes=(Annex("附件一　明细", (Table(("a", "b", "c", "d"), (("1", "2", "3", name),)),)),),
    )
    return dataclasses.replace(doc, **changes)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Render each variant once; tests share the files."""
    cache: dict[str, tuple[Document, Path]] = {}

    def get(kind: str) -> tuple[Document, Path]:
        if kind not in cache:
            doc = make_agreement(kind)
            out = tmp_path_factory.mktemp("docx") / f"{kind}.docx"
            render_docx(doc, out)
            cache[kind] = (doc, out)
        return cache[kind]

    return get


VARIANTS = ["individual", "corporate"]


def render(tmp_path: Path, doc: Document, name: str = "out.docx") -> Path:
    out = tmp_path / name
    render_docx(doc, out)
    return out


def xml_parts(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml")}


def effective_keep_with_next(paragraph) -> bool:
    style = paragraph.style
    if paragraph.paragraph_format.keep_with_next is not None:
        return paragraph.paragraph_format.keep_with_next
    while style is not None:
        if style.paragraph_format.keep_with_next is not None:
            return style.paragraph_format.keep_with_next
        style = style.base_style
    return False


# --------------------------------------------------------------------------- text and bold


@pytest.mark.parametrize("kind", VARIANTS)
def test_body_text_follows_the_tree(rendered, kind):
    doc, path = rendered(kind)
    assert squash(docx_body_lines(path)) == squash(doc.text_lines())


@pytest.mark.parametrize("kind", VARIANTS)
def test_bold_runs_are_the_highlighted_texts(rendered, kind):
    doc, path = rendered(kind)
    assert doc.bold_texts(), "the agreement highlights clauses in bold"
    assert Counter(bold_run_texts(path)) == Counter(t.strip() for t in doc.bold_texts())


def test_small_document_text_bold_and_escaping(tmp_path):
    doc = small_document()
    path = render(tmp_path, doc)
    assert squash(docx_body_lines(path)) == squash(doc.text_lines())
    assert Counter(bold_run_texts(path)) == Counter(t.strip() for t in doc.bold_texts())
    lines = docx_body_lines(path)
    assert f"乙方：{NASTY}" in lines
    assert NASTY in lines  # table cell
    assert f"姓名：{NASTY}" in lines  # signature value
    body = xml_parts(path)["word/document.xml"]
    assert "A&amp;B&lt;C&gt;" in body
    assert "<C>" not in body


def test_without_cover_and_toc(tmp_path):
    doc = small_document(cover=None, toc=False, annexes=())
    path = render(tmp_path, doc)
    assert squash(docx_body_lines(path)) == squash(doc.text_lines())
    assert not any(i.startswith("TOC") for i in field_instructions(open_docx(str(path)).element))
    first = open_docx(str(path)).paragraphs[0]
    assert first.text == doc.title
    assert not first.paragraph_format.page_break_before


# --------------------------------------------------------------------------- structure


@pytest.mark.parametrize("kind", VARIANTS)
def test_headings_use_word_heading_styles(rendered, kind):
    doc, path = rendered(kind)
    paragraphs = open_docx(str(path)).paragraphs
    by_style: dict[str, list[str]] = {}
    for p in paragraphs:
        by_style.setdefault(p.style.name, []).append(p.text)
    level1 = [c.heading for c in doc.chapters] + [doc.signature.heading]
    level1 += [a.title for a in doc.annexes]
    assert by_style["Heading 1"] == level1
    assert by_style["Heading 2"] == [cl.heading for c in doc.chapters for cl in c.clauses]
    assert by_style["Title"] == [doc.cover.title]
    assert doc.title in by_style["Document Title"]


def test_styles_fonts_and_page(tmp_path):
    path = render(tmp_path, small_document())
    word = open_docx(str(path))
    styles = word.styles
    defaults = styles.element.find(qn("w:docDefaults"))
    fonts = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr")).find(qn("w:rFonts"))
    # fonts of every stock Chinese Windows; templates/docx/fonts.conf maps 宋体 to Noto Serif CJK SC
    assert fonts.get(qn("w:eastAsia")) == "宋体"
    assert fonts.get(qn("w:ascii")) == fonts.get(qn("w:hAnsi")) == "Times New Roman"
    table = xml_parts(path)["word/fontTable.xml"]
    assert '<w:font w:name="宋体"><w:altName w:val="SimSun"/>' in table
    assert "Noto" not in "".join(xml_parts(path).values())
    # templates/html/document.css: 10.5pt type, line-height 1.75, text-indent 2em
    assert styles["Normal"].font.size == Pt(10.5)
    assert abs(styles["Normal"].paragraph_format.line_spacing.pt - 18.375) < 0.05
    assert styles["Body Text"].paragraph_format.first_line_indent == Pt(21)
    assert not styles["Preamble"].paragraph_format.first_line_indent
    assert styles["Heading 1"].font.bold and styles["Heading 2"].font.bold
    assert styles["Heading 1"].font.size == Pt(13) and styles["Heading 2"].font.size == Pt(10.5)
    assert styles["Heading 1"].paragraph_format.keep_with_next
    assert styles["Heading 2"].paragraph_format.keep_with_next
    item = styles["List Item"].paragraph_format
    assert item.first_line_indent == Pt(21) and not item.left_indent  # the label is inline (.p-item)
    assert styles["Centered"].paragraph_format.alignment == 1  # centre
    section = word.sections[0]
    assert abs(section.page_width.mm - 210) < 0.5 and abs(section.page_height.mm - 297) < 0.5
    margins = (section.top_margin, section.right_margin, section.bottom_margin, section.left_margin)
    assert [round(m.mm) for m in margins] == [26, 22, 24, 25]  # @page { margin: 26mm 22mm 24mm 25mm }
    items = [p for p in word.paragraphs if p.style.name == "List Item"]
    assert [p.text[:3] for p in items] == ["（1）", "（2）"]
    assert [p.text for p in word.paragraphs if p.style.name == "Preamble"] == [f"乙方：{NASTY}"]


def test_tables_have_borders_and_a_repeating_bold_header(tmp_path):
    doc = small_document()
    word = open_docx(str(render(tmp_path, doc)))
    assert len(word.tables) == 2
    for table, block in zip(word.tables, (doc.chapters[0].clauses[0].blocks[-1],
                                          doc.annexes[0].blocks[0]), strict=True):
        assert table.style.name == "Contract Table"
        assert table.style.element.find(qn("w:tblPr")).find(qn("w:tblBorders")) is not None
        header = table.rows[0]
        assert header._tr.trPr.find(qn("w:tblHeader")) is not None
        assert [c.text for c in header.cells] == list(block.header)
        assert all(c.paragraphs[0].style.font.bold for c in header.cells)
        assert [[c.text for c in r.cells] for r in table.rows[1:]] == [list(r) for r in block.rows]
        assert len(table._tbl.tblGrid.findall(qn("w:gridCol"))) == len(block.header)


@pytest.mark.parametrize("kind", VARIANTS)
def test_table_columns_are_as_wide_as_their_contents_want(rendered, kind):
    doc, path = rendered(kind)
    word = open_docx(str(path))
    text_width = word.sections[0].page_width - word.sections[0].left_margin - word.sections[0].right_margin
    for table in word.tables:
        widths = [int(c.get(qn("w:w"))) for c in table._tbl.tblGrid.findall(qn("w:gridCol"))]
        assert abs(Twips(sum(widths)) - text_width) <= Twips(len(widths))  # the table is 100% wide
    rights = word.tables[0]  # 附件一: 权益项目 | 具体内容 | 服务标准
    assert [c.text for c in rights.rows[0].cells] == ["权益项目", "具体内容", "服务标准"]
    item, content, standard = (int(c.get(qn("w:w"))) for c in rights._tbl.tblGrid.findall(qn("w:gridCol")))
    assert item < standard < content
    assert item >= 4 * 190  # th does not wrap: 权益项目 on one line


@pytest.mark.parametrize("kind", VARIANTS)
def test_toc_lists_the_pdfs_entries_with_page_references(rendered, kind):
    doc, path = rendered(kind)
    word = open_docx(str(path))
    assert toc_entries(path) == doc.toc_entries()
    assert any(p.text == "目录" and p.style.name == "TOC Heading" for p in word.paragraphs)
    # no TOC field: nothing for an update to regenerate from the heading styles
    assert not any(i.startswith("TOC") for i in field_instructions(word.element.body))
    # each entry's page number is a PAGEREF to the bookmark on its heading, with no cached
    # number: LibreOffice computes it, Word fills it in on F9; none is ever a guess
    fields = toc_page_fields(path)
    assert [result for _, result in fields] == [""] * len(doc.toc_entries())
    targets = [re.fullmatch(r"PAGEREF (\S+) \\h", instruction).group(1) for instruction, _ in fields]
    marks = bookmarks(path)
    assert [marks[t] for t in targets] == doc.toc_entries()
    assert all(t.startswith("_Toc") for t in targets)  # hidden bookmarks in Word
    anchors = [h.get(qn("w:anchor")) for h in word.element.body.iter(qn("w:hyperlink"))]
    assert anchors == targets


def test_opening_the_file_prompts_for_nothing(rendered):
    _, path = rendered("individual")
    settings = open_docx(str(path)).settings.element
    assert settings.find(qn("w:updateFields")) is None


def test_cover_has_no_header_or_footer(rendered):
    _, path = rendered("individual")
    section = open_docx(str(path)).sections[0]
    assert section.different_first_page_header_footer
    for part in (section.first_page_header, section.first_page_footer):
        assert not part.is_linked_to_previous
        assert not "".join(p.text for p in part.paragraphs).strip()
        assert not field_instructions(part._element)
    assert not section.first_page_header.paragraphs[0].paragraph_format.element.find(qn("w:pBdr"))


def test_without_a_cover_the_first_page_has_the_header(tmp_path):
    section = open_docx(str(render(tmp_path, small_document(cover=None)))).sections[0]
    assert not section.different_first_page_header_footer


def test_page_breaks_and_signature_kept_together(tmp_path):
    doc = small_document()
    word = open_docx(str(render(tmp_path, doc)))
    paragraphs = [p for p in word.paragraphs if not p.style.name.startswith("toc")]
    texts = [p.text for p in paragraphs]
    toc_heading = paragraphs[texts.index("目录")]
    title = next(p for p in paragraphs if p.style.name == "Document Title")
    assert toc_heading.paragraph_format.page_break_before  # after the cover
    assert title.paragraph_format.page_break_before  # after the table of contents
    start = texts.index(doc.signature.heading)
    assert paragraphs[start].paragraph_format.page_break_before
    annex = texts.index(doc.annexes[0].title)
    assert paragraphs[annex].paragraph_format.page_break_before
    signature = paragraphs[start:annex]
    assert len(signature) == 1 + len(doc.signature.blocks) + sum(
        1 + len(party.lines) for party in doc.signature.parties
    )
    assert all(effective_keep_with_next(p) for p in signature)


def test_blank_signature_values_are_underlined_blanks(tmp_path):
    doc = small_document()
    word = open_docx(str(render(tmp_path, doc)))
    blanks = {line.label for party in doc.signature.parties for line in party.lines
              if not line.value}
    found = 0
    for p in word.paragraphs:
        if p.style.name == "Signature Line" and p.text.strip() in blanks:
            underlined = [r for r in p.runs if r.underline]
            assert underlined and all(not r.text.strip() for r in underlined)
            assert any(r._r.find(qn("w:tab")) is not None for r in underlined)
            found += 1
    assert found == len(blanks)


# --------------------------------------------------------------------------- header and footer


@pytest.mark.parametrize("kind", VARIANTS)
def test_header_and_footer(rendered, kind):
    doc, path = rendered(kind)
    header, footer = docx_header_footer_text(path)
    assert doc.contract_no in header
    for word in ("第", "页", "共"):
        assert word in footer
    section = open_docx(str(path)).sections[0]
    instructions = field_instructions(section.footer._element)
    assert "PAGE" in instructions and "NUMPAGES" in instructions


def test_header_shows_document_number_and_watermark(tmp_path):
    doc = small_document(watermark="仅供<阅读>&")
    header, _ = docx_header_footer_text(render(tmp_path, doc, "a.docx"))
    assert doc.contract_no in header and doc.doc_no in header and "仅供<阅读>&" in header
    assert header == running_header(doc)  # the PDF's header, word for word
    plain = small_document(doc_no="VIP-2026-000009")
    header, _ = docx_header_footer_text(render(tmp_path, plain, "b.docx"))
    assert header.count("VIP-2026-000009") == 1 and "仅供阅读" not in header


# --------------------------------------------------------------------------- template


def test_no_template_tags_left(tmp_path):
    path = render(tmp_path, small_document(watermark="仅供阅读"))
    for name, xml in xml_parts(path).items():
        for tag in ("{{", "{%", "%}", "}}", "{#"):
            assert tag not in xml, (name, tag)


def test_template_variables_are_all_provided():
    tpl = load_template()
    used = tpl.get_undeclared_template_variables(jinja_env=jinja_env())
    assert used == set(docx_context(small_document()))


def test_template_is_a_committed_file():
    assert TEMPLATE.is_file()
    with zipfile.ZipFile(TEMPLATE) as z:
        assert "word/document.xml" in z.namelist()


def test_warm_loads_and_compiles_once():
    warm()
    assert template_bytes() is template_bytes()
    assert jinja_env() is jinja_env()


def test_writes_exactly_the_given_path(tmp_path):
    out = tmp_path / "agreement.docx.part"
    render_docx(small_document(), out)
    assert [p.name for p in tmp_path.iterdir()] == [out.name]
    assert zipfile.is_zipfile(out)


# --------------------------------------------------------------------------- properties and bytes


def issued(doc: Document, day: dt.date = dt.date(2026, 11, 24)) -> Document:
    return dataclasses.replace(doc, issued_on=day)


def test_properties_carry_the_issue_date_and_this_program(tmp_path):
    doc = issued(make_agreement("individual"))
    path = render(tmp_path, doc)
    props = open_docx(str(path)).core_properties
    midnight = dt.datetime(2026, 11, 24, tzinfo=dt.UTC)
    assert props.created == props.modified == midnight
    assert props.author == props.last_modified_by == "vipcontract"
    assert props.revision == 1
    assert props.title == doc.title and props.identifier == doc.doc_no
    app = xml_parts(path)["docProps/app.xml"]
    assert f"<Application>vipcontract/{program_version()}</Application>" in app
    assert "Word" not in app and "AppVersion" not in app


def test_without_an_issue_date_no_date_at_all(tmp_path):
    core = xml_parts(render(tmp_path, small_document()))["docProps/core.xml"]
    assert "dcterms:created" not in core and "dcterms:modified" not in core


@pytest.mark.parametrize("kind", VARIANTS)
def test_same_tree_same_bytes(tmp_path, kind):
    doc = issued(make_agreement(kind))
    first = render(tmp_path, doc, "a.docx").read_bytes()
    time.sleep(2.1)  # zip times have a two-second resolution: a clock stamp would differ now
    second = render(tmp_path, doc, "b.docx").read_bytes()
    assert first == second
    with zipfile.ZipFile(tmp_path / "a.docx") as z:
        assert {info.date_time for info in z.infolist()} == {(2026, 11, 24, 0, 0, 0)}
    other_day = render(tmp_path, issued(doc, dt.date(2026, 11, 25)), "c.docx").read_bytes()
    assert other_day != first


def test_the_service_stamps_the_issue_date(tmp_path, profile):
    from service.generate import build_agreement, parse_request
    from tests.conftest import INDIVIDUAL, TODAY

    request = parse_request(CustomerType.INDIVIDUAL, {**INDIVIDUAL, "annual_fee": "12800"}, TODAY)
    doc = build_agreement(profile, request, "VIP-2026-000001", dt.date(2026, 3, 2))
    assert doc.issued_on == dt.date(2026, 3, 2)
    assert open_docx(str(render(tmp_path, doc))).core_properties.created == dt.datetime(2026, 3, 2, tzinfo=dt.UTC)


# --------------------------------------------------------------------------- bold, read by python-docx


@pytest.mark.parametrize("kind", VARIANTS)
def test_body_runs_are_bold_exactly_where_the_tree_says(rendered, kind):
    """Read with python-docx: a run's own bold (not its style's) marks the highlighted clauses;
    headings are bold through their styles only."""
    doc, path = rendered(kind)
    word = open_docx(str(path))
    bold, plain = [], []
    for p in word.paragraphs:
        for run in p.runs:
            if run.text.strip():
                (bold if run.bold else plain).append(run.text)
        if p.style.name.startswith("Heading") or p.style.name in ("Title", "Document Title"):
            assert p.style.font.bold and all(r.bold is None for r in p.runs)
    for table in word.tables:
        for row in table.rows:
            for cell in row.cells:
                for p in cell.paragraphs:
                    assert all(r.bold is None for r in p.runs)
    expected = [r.text for b in doc._all_blocks() if isinstance(b, Paragraph) for r in b.runs if r.bold]
    assert [t.strip() for t in bold] == [t.strip() for t in expected if t.strip()]
    assert all(r.bold is not True for p in word.paragraphs for r in p.runs if r.text in plain)
