"""Standard terms drawn to attention (民法典 第四百九十六条, 消费者权益保护法 第二十六条,
合同编通则解释 第十条): where they stand, why, that clause 2.2 states the rule truly, and that
both renderers print exactly those words in bold."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pdfplumber
import pytest
from docx import Document as open_docx
from docx.oxml.ns import qn

from contracts.agreement import ContractParams, agreement_context
from contracts.dates import TermCounting
from contracts.document import Attention, Document, Paragraph, Table
from contracts.profile import DisputeMethod
from contracts.resolver import resolve
from renderers.docx import render_docx
from renderers.pdf import render_pdf
from service.sources import load_profile, load_source

from .conftest import TEST_PROFILE, TODAY, make_customer

A = Attention
L, R, P, U, DL, F, K = A.LIABILITY, A.RESTRICTION, A.PENALTY, A.UNILATERAL, A.DELIVERY, A.FORUM, A.KEY_TERM

# Where each variant carries attention text, and why. A change here is a change a lawyer reads.
SHARED = {
    "5.3": {F},  # (3) the forum
    "7.3": {R},  # personal data kept after the end
    "8.4": {P, L, U},  # the late-payment rate, suspension (no liability for it), termination
    "9.2": {L},  # the three-miss threshold; force majeure
    "9.3": {L},  # third parties' own goods; the customer's wrong information
    "10.1": {F},
    "10.2": {DL, U},  # service of process at the agreed address; suspension goes on
    "10.3": {P},  # the costs of the dispute shifted to the party in breach
    "11.1": {R},  # no variation but in writing, not even a staff member's promise
    "11.3": {U},  # the provider's grounds for termination
    "13.5": {DL},  # courier, email, refusal and return, the earliest day, the change of address
    "签署页": {A.ACKNOWLEDGEMENT},
    "附件一": {R},  # activity costs announced beforehand are the customer's
    "附件三": {DL},  # (1) the addresses serve in arbitration or court, (4) the rule of 13.5 stays
}
EXPECTED = {
    # 附件四: the separate consent to processing the ID number (个人信息保护法 第二十九条)
    "individual": {**SHARED, "1.4": {K}, "8.1": {K}, "8.3": {K}, "附件四": {R}},
    # 7.2: the customer warrants its staff were told and agreed before their data are passed on
    "corporate": {**SHARED, "7.2": {R}, "9.3": {L, P}},  # 9.3: the 20% confidentiality penalty, the cap
}


def build(kind: str, method: DisputeMethod, counting: TermCounting, effective: dt.date | None) -> Document:
    profile = dataclasses.replace(load_profile(TEST_PROFILE), dispute_method=method, term_counting=counting)
    params = ContractParams("VIP-2026-000001", TODAY, Decimal("12800"), effective, profile.term_years)
    context = agreement_context(make_customer(kind), profile, params)
    return resolve(load_source("agreement"), context, contract_no="VIP-2026-000001")


def places(doc: Document) -> dict[str, set[Attention]]:
    """Attention places at clause granularity (an annex's items count as the annex)."""
    merged: dict[str, set[Attention]] = {}
    for place, reasons in doc.attention_places().items():
        merged.setdefault(re.sub(r"（\d+）$", "", place), set()).update(reasons)
    return merged


@pytest.mark.parametrize("kind", ["individual", "corporate"])
@pytest.mark.parametrize("method", list(DisputeMethod))
@pytest.mark.parametrize("counting", list(TermCounting))
@pytest.mark.parametrize("effective", [None, dt.date(2024, 2, 29)])
def test_attention_stands_where_the_table_says(kind, method, counting, effective):
    assert places(build(kind, method, counting, effective)) == EXPECTED[kind]


@pytest.mark.parametrize("kind", ["individual", "corporate"])
def test_clause_2_2_names_exactly_the_kinds_that_are_marked(kind):
    doc = build(kind, DisputeMethod.ARBITRATION, TermCounting.EFFECTIVE_DAY_COUNTED, None)
    rule = clause_text(doc, "2.2")
    used = set().union(*doc.attention_places().values()) - {A.ACKNOWLEDGEMENT}
    named = {a for a in Attention if a.label in rule}
    assert named == used
    assert "加粗" in rule and "第四百九十六条" in rule
    assert ("第二十六条" in rule) == (kind == "individual")


@pytest.mark.parametrize("kind", ["individual", "corporate"])
def test_the_acknowledgement_points_to_the_rule_instead_of_restating_it(kind):
    doc = build(kind, DisputeMethod.LITIGATION, TermCounting.CIVIL_CODE, None)
    assert doc.signature is not None
    (ack,) = [b for b in doc.signature.blocks if isinstance(b, Paragraph) and b.bold]
    assert "第2.2条" in ack.text and "加粗" in ack.text
    assert not [a for a in Attention if a.label in ack.text]


def heading_places(doc: Document) -> dict[str, str]:
    """Squashed heading text -> the place that starts there."""
    found = {squash(ch.heading): ch.label for ch in doc.chapters}
    found |= {squash(cl.heading): cl.number for ch in doc.chapters for cl in ch.clauses}
    found |= {squash(a.title): a.title.split("\u3000")[0] for a in doc.annexes}
    if doc.signature:
        found[squash(doc.signature.heading)] = doc.signature.heading
    return found


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def expected_bold(doc: Document) -> dict[str, str]:
    bold: dict[str, str] = {}
    for place, block in doc._placed_blocks():
        if isinstance(block, Paragraph):
            text = "".join(r.text for r in block.runs if r.bold)
            if text:
                bold[place] = bold.get(place, "") + squash(text)
    return bold


def docx_bold(path: Path, headings: dict[str, str]) -> dict[str, str]:
    """Bold runs (w:b on the run itself) of each body paragraph, by the heading above them."""
    place, bold = "", {}
    for p in open_docx(str(path)).element.body.iter(qn("w:p")):
        text = squash("".join(t.text or "" for t in p.iter(qn("w:t"))))
        if text in headings:
            place = headings[text]
            continue
        for r in p.iter(qn("w:r")):
            b = r.find(f"{qn('w:rPr')}/{qn('w:b')}")
            if b is not None and b.get(qn("w:val")) not in ("0", "false", "off"):
                run_text = squash("".join(t.text or "" for t in r.iter(qn("w:t"))))
                if run_text:
                    bold[place] = bold.get(place, "") + run_text
    return bold


def pdf_bold(path: Path, headings: dict[str, str], skip: set[str]) -> dict[str, str]:
    """Characters set in a bold face, line by line, by the heading above them; headings, the
    TOC title, table header rows, party headings and the cover (the renderer's own bold, from
    the tree's structure) are not body text."""
    place, bold = "", {}
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages[1:]:
            for line in page.extract_text_lines(return_chars=True):
                text = squash(line["text"])
                if text in headings:
                    place = headings[text]
                    continue
                if text in skip:
                    continue
                chars = squash("".join(c["text"] for c in line["chars"] if "Bold" in c["fontname"]))
                if chars:
                    bold[place] = bold.get(place, "") + chars
    return bold


CASES = [
    ("individual", DisputeMethod.LITIGATION, TermCounting.EFFECTIVE_DAY_COUNTED, dt.date(2024, 2, 29)),
    ("corporate", DisputeMethod.ARBITRATION, TermCounting.CIVIL_CODE, None),
]


@pytest.mark.parametrize("kind, method, counting, effective", CASES)
def test_both_renderers_print_exactly_the_attention_text_in_bold(tmp_path, kind, method, counting, effective):
    doc = build(kind, method, counting, effective)
    expected = expected_bold(doc)
    assert set(expected) == set(places(doc))
    headings = heading_places(doc)
    render_docx(doc, tmp_path / "a.docx")
    assert docx_bold(tmp_path / "a.docx", headings) == expected
    render_pdf(doc, tmp_path / "a.pdf")
    parties = {squash(party.heading) for party in doc.signature.parties} if doc.signature else set()
    skip = {squash("".join(t.header)) for t in _tables(doc)} | {squash(doc.title), "目录"} | parties
    assert pdf_bold(tmp_path / "a.pdf", headings, skip) == expected


def clause_text(doc: Document, number: str) -> str:
    for chapter in doc.chapters:
        for cl in chapter.clauses:
            if cl.number == number:
                return "".join(b.text for b in cl.blocks if isinstance(b, Paragraph))
    raise KeyError(number)


def _tables(doc: Document) -> list[Table]:
    return [b for b in doc._all_blocks() if isinstance(b, Table)]


@pytest.mark.parametrize("kind", ["individual", "corporate"])
def test_supplementary_agreements_mark_the_forum_and_a_consumers_new_term_and_fee(kind, profile):
    from .test_clause_text import amendment, renewal

    renewed, _ = renewal(kind, profile)
    consumer = {"第一条": {K}, "第二条": {K}} if kind == "individual" else {}
    assert renewed.attention_places() == {**consumer, "第四条": {F}}
    amended, _ = amendment(kind, profile)
    assert amended.attention_places() == {"第四条": {F}}
