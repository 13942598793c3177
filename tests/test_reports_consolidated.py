"""The consolidated reading copy: the agreement's own clause text resolved with the terms in force
on a date, marked 仅供阅读 and listing what it includes; read back from DOCX and PDF."""

from __future__ import annotations

import datetime as dt

import pypdf
import pytest

from contracts.errors import HistoryError, NotFound
from contracts.reports import consolidated_context, consolidation
from contracts.resolver import resolve, undeclared_variables
from service import register as R
from service import reports as S
from service.sources import load_source
from store import TinyDBStore
from tests.readback_docx import docx_body_lines, docx_header_footer_text
from tests.test_register_fixtures import fake_renderer  # noqa: F401  (fixture)
from tests.test_reports import (  # noqa: F401  (profile, register_path: fixtures)
    DD,
    NEW_ADDRESS,
    OLD_ADDRESS,
    B,
    C,
    E,
    _request,
    profile,
    register_path,
)

D = dt.date.fromisoformat
YEAR_END = D("2026-12-31")


@pytest.fixture(scope="module")
def store(register_path):  # noqa: F811
    store = TinyDBStore(register_path)
    yield store
    store.close()


def state_of(store, profile, no):  # noqa: F811
    return R.load_state(store, profile, no)


def text(doc) -> str:
    return "\n".join(doc.text_lines())


def test_the_source_is_the_agreement_with_the_reading_blocks_laid_over_it():
    agreement, source = load_source("agreement"), S.consolidated_source()
    assert source["chapters"] is agreement["chapters"]  # the clause text is the agreement's own
    assert source["annexes"] is agreement["annexes"]
    assert source["signature"] is None and agreement["signature"]  # a reading copy is not signed
    assert source["watermark"] == "仅供阅读" and source["kind"] == "consolidated"
    assert source["preamble"][-len(agreement["preamble"]):] == agreement["preamble"]
    assert "watermark" not in agreement and load_source("agreement")["kind"] == "agreement"


def test_every_variable_of_the_source_is_in_the_context(store, profile):  # noqa: F811
    context = consolidated_context(state_of(store, profile, DD), YEAR_END, profile)
    assert undeclared_variables(S.consolidated_source()) <= set(context)


def test_two_amendments_applied(store, profile):  # noqa: F811
    doc = S.consolidated_document(state_of(store, profile, DD), YEAR_END, profile)
    body = text(doc)
    assert doc.watermark == "仅供阅读" and doc.kind == "consolidated" and doc.contract_no == DD
    assert "每年人民币15,800.00元（大写：人民币壹万伍仟捌佰元整）" in body
    lines = list(doc.text_lines())
    assert f"通讯地址：{NEW_ADDRESS}" in lines and f"通讯地址：{OLD_ADDRESS}" not in lines
    assert f"{DD}-B1" in body and f"{DD}-B2" in body
    assert "截至2026年12月31日有效约定的合并文本，仅供阅读" in body
    assert "阅读本（截至2026年12月31日的有效约定）" in doc.cover.lines
    # the same chapters, clauses and annexes as the agreement
    plain = resolve(load_source("agreement"), consolidated_context(state_of(store, profile, DD), YEAR_END, profile),
                    contract_no=DD)
    assert [c.heading for c in doc.chapters] == [c.heading for c in plain.chapters]
    assert [a.title for a in doc.annexes] == [a.title for a in plain.annexes]
    # annex 2: the first service year at the fee of its day, the later ones at the amended fee
    schedule = next(b for b in doc.annexes[1].blocks if hasattr(b, "rows"))
    assert [row[2] for row in schedule.rows] == ["¥12,800.00"] + ["¥15,800.00"] * 4
    assert schedule.rows[1][3] == "2026年10月8日前（含当日；遇法定休假日顺延）"


def test_before_the_amendments_take_effect(store, profile):  # noqa: F811
    state = state_of(store, profile, DD)
    included, later = consolidation(state, D("2026-02-01"))
    assert included == [] and [i.doc_no for i in later] == [f"{DD}-B1"]
    body = text(S.consolidated_document(state, D("2026-02-01"), profile))
    assert "每年人民币12,800.00元" in body and f"通讯地址：{OLD_ADDRESS}" in body
    assert f"下列文件已经签署，其约定的变更尚未开始适用，本文本未予并入：{DD}-B1（2026年3月1日起生效）" in body
    assert "本协议没有已开始适用的补充协议或续签协议" in body
    # between the two: B1 in, B2 not yet signed
    included, later = consolidation(state, D("2026-03-15"))
    assert [i.doc_no for i in included] == [f"{DD}-B1"] and later == []


def test_a_renewal_in_force_is_stated_with_its_own_dates_beside_the_original_term(store, profile):  # noqa: F811
    state = state_of(store, profile, B)
    body = text(S.consolidated_document(state, D("2027-02-01"), profile))
    # clause 1.4 and 12.1 keep the original facts; the renewal is added with its own dates
    assert "本协议期限自2022年1月10日起至2027年1月9日止" in body
    assert "生效日期为2022年1月10日" in body and "生效日期为2027年1月10日" not in body
    assert f"{B}-X1续签协议" in body and "续签期限自2027年1月10日起至2032年1月9日止" in body
    assert "现行期限为2027年1月10日至2032年1月9日" in body
    assert "现行期限为续签期限（第二期" in body
    assert "每年人民币16,800.00元" in body and f"{B}-X1" in body
    # signed but not begun: the first term, the renewal listed as not applying yet
    before = text(S.consolidated_document(state, D("2026-12-01"), profile))
    assert "本协议期限自2022年1月10日起至2027年1月9日止" in before and "每年人民币12,800.00元" in before
    assert f"{B}-X1（续签期限自2027年1月10日起）" in before
    assert "现行期限为2022年1月10日至2027年1月9日" in before


def test_a_terminated_contract_says_so(store, profile):  # noqa: F811
    body = text(S.consolidated_document(state_of(store, profile, C), YEAR_END, profile))
    assert "本协议已于2026年6月3日解除（因乙方违约解除）" in body


def test_a_draft_has_no_dates(store, profile):  # noqa: F811
    body = text(S.consolidated_document(state_of(store, profile, E), YEAR_END, profile))
    assert "本协议的生效日期为签署页所载的签署日期" in body and "仅供阅读" in body


@pytest.mark.usefixtures("fake_renderer")
def test_a_voided_or_unknown_contract_has_no_reading_copy(profile, tmp_path):  # noqa: F811
    voided = TinyDBStore(tmp_path / "v.json")
    try:
        no = R.issue(voided, profile, _request("individual", "2026-01-05"), tmp_path / "docs", ("docx",),
                     issued_on=D("2026-01-05")).contract_no
        R.void(voided, profile, no, D("2026-01-06"))
        with pytest.raises(HistoryError, match="作废，没有可供阅读的有效文本"):
            S.write_consolidated(voided, profile, no, YEAR_END, tmp_path / "out")
        with pytest.raises(NotFound, match="VIP-2099-000001"):
            S.write_consolidated(voided, profile, "VIP-2099-000001", YEAR_END, tmp_path / "out")
    finally:
        voided.close()
    assert not (tmp_path / "out").exists()


@pytest.mark.usefixtures("fake_renderer")
def test_the_file_names(store, profile, tmp_path):  # noqa: F811
    written = S.write_consolidated(store, profile, DD, YEAR_END, tmp_path)
    assert [w.path.name for w in written] == [f"{DD}-consolidated-2026-12-31_王芳.docx",
                                              f"{DD}-consolidated-2026-12-31_王芳.pdf"]


@pytest.mark.slow
def test_read_back_from_docx_and_pdf(store, profile, tmp_path):  # noqa: F811
    docx_file, pdf_file = (w.path for w in S.write_consolidated(store, profile, DD, YEAR_END, tmp_path))
    lines = docx_body_lines(docx_file)
    body = "\n".join(lines)
    header, _footer = docx_header_footer_text(docx_file)
    assert "仅供阅读" in header and DD in header
    assert "15,800.00" in body and NEW_ADDRESS in body and f"{DD}-B1" in body and f"{DD}-B2" in body
    reader = pypdf.PdfReader(pdf_file)
    pages = [p.extract_text() for p in reader.pages]
    assert all("仅供阅读" in p for p in pages[2:])  # the running header of every page after the cover and TOC
    pdf_text = "".join("".join(p.split()) for p in pages)
    assert "每年人民币15,800.00元" in pdf_text and "上海市徐汇区漕溪北路100号" in pdf_text
    assert f"{DD}-B1" in pdf_text and f"{DD}-B2" in pdf_text
