"""The clause text: the agreement's fourteen chapters and the three supplementary documents."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from decimal import Decimal

import pytest

from contracts.agreement import ContractParams, agreement_context
from contracts.dates import TermCounting
from contracts.document import Document, Paragraph
from contracts.payments import Arrears, YearAccount
from contracts.profile import DisputeMethod, Profile
from contracts.register import PaymentDeadline
from contracts.resolver import resolve, undeclared_variables
from contracts.supplements import amendment_context, renewal_context, termination_context
from service.sources import load_source

from .conftest import TODAY, make_agreement, make_customer

VARIANTS = ["individual", "corporate"]

SEED_CHAPTERS = [
    "协议概述", "定义与解释", "客户服务品质提升", "规范化管理", "客户权益保护", "信息保密",
    "保密信息", "服务费用及支付", "违约责任", "争议解决", "合同变更与解除", "合同生效及终止",
    "其他", "合同附件",
]

SEED_CLAUSES = {
    "1.1": "协议目的", "1.2": "协议依据", "1.3": "协议范围", "1.4": "协议期限",
    "2.1": "关键术语", "2.2": "术语解释", "2.3": "定义变更",
    "3.1": "服务目标", "3.2": "服务内容", "3.3": "服务标准", "3.4": "服务流程", "3.5": "服务监督",
    "4.1": "管理体系", "4.2": "管理职责", "4.3": "管理制度", "4.4": "管理监督",
    "5.1": "权益内容", "5.2": "权益保障措施", "5.3": "权益争议解决",
    "6.1": "信息保密义务", "6.2": "信息保密措施", "6.3": "违反保密义务的责任",
    "7.1": "保密信息范围", "7.2": "保密信息使用", "7.3": "保密信息处理",
    "8.1": "服务费用标准", "8.2": "支付方式", "8.3": "支付时间", "8.4": "逾期支付责任",
    "9.1": "违约行为", "9.2": "违约责任承担", "9.3": "违约赔偿",
    "10.1": "争议解决方式", "10.2": "争议解决程序", "10.3": "争议解决费用",
    "11.1": "合同变更", "11.2": "合同解除", "11.3": "合同解除条件",
    "12.1": "合同生效", "12.2": "合同终止", "12.3": "合同终止后的责任",
    "13.1": "适用法律", "13.2": "语言适用", "13.3": "合同附件", "13.4": "合同份数",
    "13.5": "通知与送达",
}

D = dt.date

# 民诉法解释 第三十一条: a consumer gets a forum it can reach; a company the provider's seat.
COURT = {"individual": "乙方住所地有管辖权的人民法院", "corporate": "甲方住所地有管辖权的人民法院"}


def text(doc: Document) -> str:
    return "\n".join(doc.text_lines())


def clause(doc: Document, number: str) -> str:
    for chapter in doc.chapters:
        for cl in chapter.clauses:
            if cl.number == number:
                return "\n".join(b.text for b in cl.blocks if isinstance(b, Paragraph))
    raise KeyError(number)


def chapter_text(doc: Document, n: int) -> str:
    chapter = doc.chapters[n - 1]
    lines = [b.text for b in chapter.blocks if isinstance(b, Paragraph)]
    for cl in chapter.clauses:
        lines += [b.text for b in cl.blocks if isinstance(b, Paragraph)]
    return "\n".join(lines)


def build(kind: str, profile: Profile, effective_date: dt.date | None = None,
          fee: str = "12800") -> tuple[Document, dict]:
    params = ContractParams("VIP-2026-000001", TODAY, Decimal(fee), effective_date, profile.term_years)
    context = agreement_context(make_customer(kind), profile, params)
    return resolve(load_source("agreement"), context, contract_no="VIP-2026-000001"), context


@pytest.fixture(scope="module")
def litigation(profile) -> Profile:
    return dataclasses.replace(profile, dispute_method=DisputeMethod.LITIGATION)


# ---- the agreement -------------------------------------------------------------------------

def test_title_and_cover(agreement):
    assert agreement.title == "VIP客户服务品质提升与规范化管理协议"
    assert agreement.cover.mark == "CONTRACT"
    assert "COUNTRACT" not in text(agreement)
    lines = agreement.cover.lines
    assert lines[0] == "合同编号：VIP-2026-000001"
    assert any(line.startswith("甲方：") for line in lines)
    assert any(line.startswith("乙方：") for line in lines)
    # no date known yet: the year is written in by hand, like the signature page's dates
    assert "签订年份：＿＿＿＿年" in lines


def test_fourteen_chapters_in_seed_order(agreement):
    assert [c.title for c in agreement.chapters] == SEED_CHAPTERS
    assert [c.label for c in agreement.chapters][:2] == ["第一章", "第二章"]
    assert agreement.chapters[-1].label == "第十四章"


def test_seed_clause_titles_and_bodies(agreement):
    found = {cl.number: cl for ch in agreement.chapters for cl in ch.clauses}
    assert {n: cl.title for n, cl in found.items()} == SEED_CLAUSES
    for cl in found.values():
        assert cl.blocks, cl.number
        assert sum(len(b.text) for b in cl.blocks if isinstance(b, Paragraph)) >= 30, cl.number
    annexes_chapter = agreement.chapters[-1]
    assert not annexes_chapter.clauses and annexes_chapter.blocks


def test_length_is_that_of_a_real_agreement(agreement):
    hanzi = len(re.findall(r"[\u4e00-\u9fff]", text(agreement)))
    assert 9000 <= hanzi <= 16000


def test_civil_code_not_the_repealed_contract_law(agreement):
    body = text(agreement)
    assert "《中华人民共和国合同法》" not in body
    assert "《合同法》" not in body
    assert "《中华人民共和国民法典》" in clause(agreement, "1.2")
    assert "《中华人民共和国个人信息保护法》" in body


def test_consumer_law_only_for_individuals():
    individual, corporate = make_agreement("individual"), make_agreement("corporate")
    assert "《中华人民共和国消费者权益保护法》" in clause(individual, "1.2")
    assert "消费者权益保护法" not in text(corporate)


def test_lists_are_numbered_by_the_resolver(agreement):
    hand_numbered = re.compile(r"^\s*[（(]\s*[0-9一二三四五六七八九十]+\s*[)）]")
    for block in agreement._all_blocks():
        if isinstance(block, Paragraph):
            raw = "".join(r.text for r in block.runs)
            assert not hand_numbered.match(raw), raw[:30]
    standards = [b for b in agreement.chapters[2].clauses[2].blocks if isinstance(b, Paragraph)]
    labels = [b.label for b in standards if b.label]
    assert labels[:3] == ["（1）", "（2）", "（3）"]
    assert any("24小时内作出响应" in b.text for b in standards)


def test_fee_in_figures_and_capitals(agreement):
    fee = clause(agreement, "8.1")
    assert "每年人民币12,800.00元（大写：人民币壹万贰仟捌佰元整）" in fee
    assert "每年人民币元" not in text(agreement)


def test_corporate_fee_is_agreed_and_stated():
    fee = clause(make_agreement("corporate", fee="98000"), "8.1")
    assert "协商确定" in fee
    assert "人民币98,000.00元（大写：人民币玖万捌仟元整）" in fee


def test_cash_payment_only_for_individuals():
    individual, corporate = make_agreement("individual"), make_agreement("corporate")
    assert "现金" in clause(individual, "8.2")
    assert "现金" not in text(corporate)
    for doc in (individual, corporate):
        assert "中国工商银行北京中关村支行" in clause(doc, "8.2")
        assert "0200 0049 0920 0012 345" in clause(doc, "8.2")


def test_payment_time_and_late_payment(agreement):
    due = clause(agreement, "8.3")
    assert "15日内" in due and "第二百零三条" in due and "附件二" in due
    late = clause(agreement, "8.4")
    assert "30日" in late and "60日" in late and "第十一章" in late
    assert "万分之" not in late


LATE_FEE = ("按逾期未付金额，以年利率4.5%按日计算（每日为年利率的三百六十五分之一），向甲方支付逾期付款违约金。"
            "该年利率为全国银行间同业拆借中心于2025年5月20日公布的一年期贷款市场报价利率（LPR）3.0%的1.5倍，"
            "在本协议期限内不变，不随此后公布的贷款市场报价利率调整。")


@pytest.mark.parametrize("kind", VARIANTS)
@pytest.mark.parametrize("method", list(DisputeMethod))
def test_late_payment_rate_is_a_multiple_of_the_lpr_stated_once(kind, method, profile):
    doc, _ = build(kind, dataclasses.replace(profile, dispute_method=method))
    late = clause(doc, "8.4")
    assert LATE_FEE in late
    # one rule, stated once: the rate appears in 8.4 and nowhere else in the agreement
    assert text(doc).count("年利率4.5%") == 1 and text(doc).count("贷款市场报价利率（LPR）") == 1
    first = next(b for b in doc.chapters[7].clauses[3].blocks if isinstance(b, Paragraph))
    assert first.bold and {a.value for r in first.runs for a in r.attention} == {"penalty"}


def test_late_payment_rate_follows_the_profile(profile):
    from contracts.late_fee import rate_from_lpr

    rate = rate_from_lpr(Decimal("3.45"), D(2024, 6, 20), Decimal("1.3"))
    doc, _ = build("individual", dataclasses.replace(profile, late_fee=rate))
    late = clause(doc, "8.4")
    assert "以年利率4.485%按日计算" in late
    assert "于2024年6月20日公布的一年期贷款市场报价利率（LPR）3.45%的1.3倍" in late


@pytest.mark.parametrize("kind", VARIANTS)
def test_arbitration_only_when_chosen(kind, profile, litigation):
    arbitration, _ = build(kind, profile)
    body = text(arbitration)
    assert "北京仲裁委员会" in clause(arbitration, "10.1")
    assert "北京仲裁委员会" in clause(arbitration, "5.3")
    assert "《中华人民共和国仲裁法》" in body
    assert "人民法院" not in body and "诉讼" not in body and "民事诉讼法" not in body

    court, _ = build(kind, litigation)
    body = text(court)
    forum = COURT[kind]
    assert forum in clause(court, "10.1") and forum in clause(court, "5.3")
    assert [t for t in court.bold_texts() if forum in t]
    assert "甲方住所地" not in body if kind == "individual" else "乙方住所地" not in body
    assert "《中华人民共和国民事诉讼法》第三十五条" in body
    assert "仲裁" not in body


def test_term_with_the_effective_day_counted():
    doc = make_agreement("individual", D(2025, 3, 10))
    term = clause(doc, "1.4")
    assert "自2025年3月10日起至2030年3月9日止" in term
    assert "生效之日计入期限" in term and "第二百零四条" in term
    assert "2025年3月10日" in clause(doc, "12.1")
    schedule = [t for t in (b for a in doc.annexes for b in a.blocks) if not isinstance(t, Paragraph)]
    assert schedule[1].rows[0][1] == "2025年3月10日至2026年3月9日"


def test_term_under_the_civil_code_rule(profile):
    civil = dataclasses.replace(profile, term_counting=TermCounting.CIVIL_CODE)
    doc, _ = build("corporate", civil, D(2025, 3, 10))
    term = clause(doc, "1.4")
    assert "自2025年3月11日起至2030年3月10日止（生效之日2025年3月10日不计入）" in term
    assert "自2025年3月10日起" not in term
    assert "第二百零一条、第二百零二条" in term and "生效当日不计入" in term


def test_term_without_an_effective_date(agreement):
    term = clause(agreement, "1.4")
    assert "签署页所载的签署日期" in term
    assert "起至" not in term
    for party in agreement.signature.parties:
        assert [ln.value for ln in party.lines if ln.label == "日期："] == [""]


@pytest.mark.parametrize("kind", VARIANTS)
def test_signature_dates_are_left_blank_when_the_effective_date_is_known(kind):
    # The effective date is the later of the two signing days, not each party's: both write theirs.
    doc = make_agreement(kind, D(2025, 3, 10))
    for party in doc.signature.parties:
        assert [ln.value for ln in party.lines if ln.label == "日期："] == [""]


def test_party_blocks_and_signatures_differ_by_variant():
    individual, corporate = make_agreement("individual"), make_agreement("corporate")
    pre_i = "\n".join(b.text for b in individual.preamble)
    pre_c = "\n".join(b.text for b in corporate.preamble)
    for label in ("姓名：张三", "身份证号：11010519491231002X", "联系电话：", "通讯地址：", "电子邮箱："):
        assert label in pre_i
    for label in ("单位名称：北京某某科技有限公司", "统一社会信用代码：91110000600037341L",
                  "法定代表人：李四", "联系电话：", "通讯地址：", "电子邮箱："):
        assert label in pre_c
    assert "身份证号" not in pre_c
    assert "签订地点：北京市海淀区" in pre_i
    assert [p.heading for p in individual.signature.parties] == ["甲方（盖章）", "乙方（签字）"]
    assert [p.heading for p in corporate.signature.parties] == ["甲方（盖章）", "乙方（盖章）"]
    assert "签字之日起生效" in clause(individual, "12.1")
    assert "盖章" in clause(corporate, "12.1") and "法定代表人或者授权代表签字" in clause(corporate, "12.1")


@pytest.mark.parametrize("method", list(DisputeMethod))
def test_bold_marks_the_forum_the_exclusions_and_the_acknowledgement(method, profile):
    doc, _ = build("individual", dataclasses.replace(profile, dispute_method=method))
    bold = doc.bold_texts()
    forum = "北京仲裁委员会" if method is DisputeMethod.ARBITRATION else COURT["individual"]
    assert any(forum in t for t in bold)
    assert any("已仔细阅读" in t and "加粗" in t and "充分理解" in t for t in bold)
    assert any("暂停提供" in t for t in bold)
    assert any("不可抗力" in t for t in bold)
    paragraphs = [b for b in doc._all_blocks() if isinstance(b, Paragraph)]
    assert sum(1 for p in paragraphs if any(r.bold for r in p.runs)) < len(paragraphs) / 8


def test_liability_cap_only_in_the_corporate_variant():
    cap = "赔偿责任总额"
    assert cap not in text(make_agreement("individual"))
    corporate = make_agreement("corporate")
    assert any(cap in t for t in corporate.bold_texts())


def test_confidentiality_chapters_do_not_repeat_each_other(agreement):
    six, seven = chapter_text(agreement, 6), chapter_text(agreement, 7)
    sentences = {s for s in re.split(r"[。；：]", six) if len(s) > 12}
    assert not [s for s in sentences if s in seven]
    assert "返还或者销毁" in clause(agreement, "7.3") and "第十九条" in clause(agreement, "7.3")


def test_notices_clause(agreement):
    notices = clause(agreement, "13.5")
    assert "签收回执之日" in notices
    assert "交邮之日起第3日" in notices
    assert "第一百三十七条" in notices
    assert "拒收之日或者退回之日" in notices
    assert "送达对方之日起对对方发生效力" in notices
    assert "vip@example.com" in notices and "北京市海淀区中关村大街1号示例大厦10层 客户服务部" in notices


NOTICE_PRIORITY = ("依照前款各项，一份通知有两个以上可以作为送达日的日期的，以其中最早的一日为送达日。据此，邮寄的通知"
                   "在交邮之日起第3日以后才被签收、拒收或者退回的，以该第3日为送达日。")


def marked_delivery(doc: Document, text_part: str) -> bool:
    """The paragraph holding `text_part` is bold throughout, for the delivery reason only."""
    for block in doc._all_blocks():
        if isinstance(block, Paragraph) and text_part in block.text:
            return block.bold and {a.value for r in block.runs for a in r.attention} == {"delivery"}
    raise KeyError(text_part)


@pytest.mark.parametrize("kind", VARIANTS)
@pytest.mark.parametrize("method", list(DisputeMethod))
def test_notices_one_delivery_rule_with_its_priority(kind, method, profile):
    doc, _ = build(kind, dataclasses.replace(profile, dispute_method=method))
    notices = clause(doc, "13.5")
    assert NOTICE_PRIORITY in notices
    assert "但最迟以交邮之日起第3日为送达日" in notices
    assert "以专人递送或者邮寄方式发出的通知被收件方拒收" in notices
    # the rule is stated in 13.5 only: annex 3 refers to it
    body = text(doc)
    assert body.count("以其中最早的一日为送达日") == 1
    assert body.count("以拒收之日或者退回之日为送达日") == 1
    assert "以文件被退回或者被拒收之日为送达日" not in body
    for part in ("但最迟以交邮之日起第3日", "进入收件方依照本条指定的电子邮箱之日", "拒收之日或者退回之日为送达日",
                 "以其中最早的一日为送达日", "应当自变更之日起五日内书面通知对方"):
        assert marked_delivery(doc, part), part
    receipt = next(b for b in doc._all_blocks() if isinstance(b, Paragraph) and "签收回执之日" in b.text)
    assert not receipt.bold


@pytest.mark.parametrize("kind", VARIANTS)
@pytest.mark.parametrize("method", list(DisputeMethod))
def test_annex_3_refers_to_13_5(kind, method, profile):
    doc, _ = build(kind, dataclasses.replace(profile, dispute_method=method))
    annex = next(a for a in doc.annexes if a.title.endswith("通知送达地址确认书"))
    items = [b for b in annex.blocks if isinstance(b, Paragraph) and b.label]
    assert [b.label for b in items] == ["（1）", "（2）", "（3）", "（4）"]
    assert [b.bold for b in items] == [True, False, False, True]
    assert marked_delivery(doc, items[0].text[3:]) and marked_delivery(doc, items[3].text[3:])
    assert "送达日依照本协议第13.5条的规定确定" in items[1].text
    assert items[3].text.endswith("仍依照本协议第13.5条的规定确定送达日。")
    forum = "仲裁程序中文书的送达，依照仲裁规则的规定" if method is DisputeMethod.ARBITRATION \
        else "诉讼程序中文书的送达，依照法律的规定"
    assert forum in items[1].text


def privacy_annex(doc: Document):
    return next(a for a in doc.annexes if a.title.endswith("个人信息处理告知书"))


@pytest.mark.parametrize("method", list(DisputeMethod))
def test_personal_information_notice_for_individuals(method, profile):
    doc, _ = build("individual", dataclasses.replace(profile, dispute_method=method))
    annex = privacy_annex(doc)
    assert annex.title == "附件四　个人信息处理告知书"
    body = "\n".join(b.text for b in annex.blocks if isinstance(b, Paragraph))
    # 第十七条: the processor and its contact, from the profile
    for part in ("北京测试客户服务有限公司（即甲方）", "联系人赵六", "联系电话010-80001234", "电子邮箱vip@example.com",
                 "通讯地址北京市海淀区中关村大街1号示例大厦10层 客户服务部"):
        assert part in body, part
    # purposes and categories
    table = next(b for b in annex.blocks if not isinstance(b, Paragraph))
    assert table.header == ("个人信息种类", "处理目的")
    kinds = "".join(row[0] for row in table.rows)
    for kind in ("姓名", "居民身份证号码（敏感个人信息）", "联系电话", "通讯地址", "电子邮箱", "服务记录", "付款记录"):
        assert kind in kinds, kind
    assert all(row[1] for row in table.rows)
    assert "处理方式：" in body and "第十三条第一款第二项" in body
    # retention: clause 7.3's rule by reference, no second rule
    assert "保存期限：甲方保存乙方个人信息的期限，依照本协议第7.3条的规定确定" in body
    assert "三年" not in body
    # the rights of 第四十四条 to 第四十八条 and how to use them
    for right in ("知情权", "决定权", "查阅、复制权", "更正、补充权", "删除权", "撤回同意权", "要求解释说明权"):
        assert right in body, right
    assert "第四十四条至第四十八条" in body
    assert "自收到请求之日起七日内答复并办理" in body and "书面说明理由" in body
    # the ID number: a separate consent, its purpose and necessity, signed separately
    lines = [b.text for b in annex.blocks if isinstance(b, Paragraph)]
    start = lines.index("乙方单独同意")
    consent = next(b for b in annex.blocks if isinstance(b, Paragraph) and b.text.startswith("乙方已阅读本告知书"))
    assert consent.bold and {a.value for r in consent.runs for a in r.attention} == {"restriction"}
    assert "目的" in consent.text and "必要性" in consent.text and "第二十九条" in consent.text
    assert lines[-2:] == ["乙方（签字）：", "日期：　　　　年　　月　　日"]
    assert start < len(lines) - 2
    # the notice never mentions a forum of its own (or-arbitrate-or-sue stays in chapter 10)
    assert "诉讼" not in body and "仲裁" not in body
    # 6.1 cites the annex instead of promising a notice that does not exist
    duty = clause(doc, "6.1")
    assert "见附件四《个人信息处理告知书》" in duty and "单独同意" in duty
    assert "在处理前以显著方式" not in duty


def test_no_personal_information_notice_for_companies():
    corporate = make_agreement("corporate")
    assert [a.title for a in corporate.annexes][-1] == "附件三　通知送达地址确认书"
    assert "个人信息处理告知书" not in text(corporate)


@pytest.mark.parametrize("method", list(DisputeMethod))
def test_company_staff_data_come_with_the_customers_warranty(method, profile):
    doc, _ = build("corporate", dataclasses.replace(profile, dispute_method=method))
    use = clause(doc, "7.2")
    assert "第十三条第一款第二项" not in text(doc)
    assert "不是本协议的当事人" in use
    warranty = next(b for b in doc._all_blocks() if isinstance(b, Paragraph) and "乙方保证" in b.text)
    marked = [r for r in warranty.runs if r.bold]
    assert len(marked) == 1 and marked[0].text.startswith("乙方保证：向甲方提供相关个人的个人信息前")
    assert "第十七条、第二十三条" in marked[0].text and "单独同意" in marked[0].text
    assert {a.value for a in marked[0].attention} == {"restriction"}
    plain = "".join(r.text for r in warranty.runs if not r.bold)
    assert "甲方仅处理提供本协议项下服务所必需的相关个人信息" in plain
    # 1.2 and 6.1 no longer say the staff's data are processed under the agreement
    basis, duty = clause(doc, "1.2"), clause(doc, "6.1")
    assert "及本协议的约定处理" not in basis and "依照第7.2条的约定告知本人后提供给甲方" in basis
    assert "在处理前以显著方式" not in duty and "依照第7.2条的约定" in duty


def test_individual_7_2_keeps_the_contract_basis():
    use = clause(make_agreement("individual"), "7.2")
    assert "甲方处理乙方个人信息，以订立、履行本协议所必需为限（《中华人民共和国个人信息保护法》第十三条第一款第二项）" in use


def test_variation_termination_and_effect(agreement):
    assert "补充协议" in clause(agreement, "11.1") and "30日" in clause(agreement, "11.1")
    assert "第五百六十三条" in clause(agreement, "11.2")
    assert "通知到达对方时解除" in clause(agreement, "11.2")
    assert "第五百八十五条" in clause(agreement, "9.3")


def test_annexes_listed_and_referenced(agreement):
    titles = [a.title for a in agreement.annexes]
    individual = "身份证号" in "".join(b.text for b in agreement.preamble)
    assert titles == ["附件一　VIP服务权益清单", "附件二　服务费用及支付明细", "附件三　通知送达地址确认书",
                      *(["附件四　个人信息处理告知书"] if individual else [])]
    listing = chapter_text(agreement, 14)
    for name in ("附件一", "附件二", "附件三"):
        assert name in listing
    assert ("附件四：个人信息处理告知书" in listing) is individual
    assert ("附件三：通知送达地址确认书；" if individual else "附件三：通知送达地址确认书。") in listing
    fees = agreement.annexes[1].blocks
    table = next(b for b in fees if not isinstance(b, Paragraph))
    assert table.header == ("服务年度", "服务期间", "服务费", "付款期限")
    assert len(table.rows) == 5
    notices = next(b for b in agreement.annexes[2].blocks if not isinstance(b, Paragraph))
    cells = {c for row in notices.rows for c in row}
    assert "vip@example.com" in cells


@pytest.mark.parametrize("kind", VARIANTS)
def test_agreement_variables_are_all_in_the_context(kind, profile):
    _, context = build(kind, profile)
    assert undeclared_variables(load_source("agreement")) <= set(context)


# ---- the supplementary documents -----------------------------------------------------------

def amendment(kind: str, profile: Profile) -> tuple[Document, dict]:
    context = amendment_context(
        make_customer(kind), profile, contract_no="VIP-2025-000123", doc_no="VIP-2025-000123-B1",
        contract_signed_on=D(2025, 3, 10), signed_on=D(2026, 5, 1), effective_on=D(2026, 6, 1),
        changes=[("年度服务费", "每年人民币12,800.00元", "每年人民币15,000.00元")],
        term_last_day=D(2030, 3, 9))
    doc = resolve(load_source("amendment"), context, contract_no="VIP-2025-000123",
                  doc_no="VIP-2025-000123-B1")
    return doc, context


def renewal(kind: str, profile: Profile) -> tuple[Document, dict]:
    context = renewal_context(
        make_customer(kind), profile, contract_no="VIP-2025-000123", doc_no="VIP-2025-000123-R1",
        signed_on=D(2030, 2, 1), current_last_day=D(2030, 3, 9), new_first_day=D(2030, 3, 10),
        new_last_day=D(2035, 3, 9), years=5, annual_fee=Decimal("13800"))
    doc = resolve(load_source("renewal"), context, contract_no="VIP-2025-000123",
                  doc_no="VIP-2025-000123-R1")
    return doc, context


def overdue(days: int = 402) -> Arrears:
    """Year 2 of a contract effective 2025-03-10 with 7,800 still unpaid, as the
    register would show it (contracts.payments)."""
    deadline = PaymentDeadline(2, 1, D(2026, 3, 10), D(2027, 3, 9), D(2026, 3, 25), None, False,
                               Decimal("12800.00"))
    year = YearAccount(deadline, Decimal("5000.00"), Decimal("7800.00"), days, None, None)
    return Arrears(days, Decimal("7800.00"), None, (year,))


def termination(kind: str, profile: Profile, *, by_notice: bool, reason: str) -> tuple[Document, dict]:
    context = termination_context(
        make_customer(kind), profile, contract_no="VIP-2025-000123", doc_no="VIP-2025-000123-T1",
        issued_on=D(2027, 5, 1), reason=reason, reason_text="",
        effective_on=None if by_notice else D(2027, 6, 1), by_notice=by_notice,
        arrears=overdue() if by_notice and reason == "late_payment" else None)
    doc = resolve(load_source("termination"), context, contract_no="VIP-2025-000123",
                  doc_no="VIP-2025-000123-T1")
    return doc, context


@pytest.mark.parametrize("kind", VARIANTS)
def test_amendment(kind, profile):
    doc, context = amendment(kind, profile)
    body = text(doc)
    assert undeclared_variables(load_source("amendment")) <= set(context)
    assert doc.cover is None and not doc.toc
    assert doc.chapters[0].label == "第一条" and not doc.chapters[0].clauses
    assert "VIP-2025-000123-B1" in body and "2025年3月10日" in body
    table = next(b for b in doc.chapters[0].blocks if not isinstance(b, Paragraph))
    assert table.rows == (("年度服务费", "每年人民币12,800.00元", "每年人民币15,000.00元"),)
    assert "自2026年6月1日起生效" in body
    assert "以本补充协议为准" in body and "不可分割的组成部分" in body
    expected = "乙方（签字）" if kind == "individual" else "乙方（盖章）"
    assert [p.heading for p in doc.signature.parties] == ["甲方（盖章）", expected]
    if kind == "individual":
        assert "110105********002X" in body and "11010519491231002X" not in body


def test_amendment_without_the_signing_date(profile):
    context = amendment_context(
        make_customer("individual"), profile, contract_no="VIP-2025-000123", doc_no="B1",
        contract_signed_on=None, signed_on=D(2026, 5, 1), effective_on=D(2026, 6, 1),
        changes=[("联系人", "赵六", "钱七")], term_last_day=D(2030, 3, 9))
    body = text(resolve(load_source("amendment"), context, contract_no="VIP-2025-000123"))
    assert "双方签订了《VIP客户服务品质提升与规范化管理协议》" in body
    with pytest.raises(ValueError):
        amendment_context(
            make_customer("individual"), profile, contract_no="X", doc_no="B1",
            contract_signed_on=None, signed_on=D(2026, 5, 1), effective_on=D(2026, 6, 1),
            changes=[], term_last_day=D(2030, 3, 9))


@pytest.mark.parametrize("kind", VARIANTS)
def test_renewal(kind, profile):
    doc, context = renewal(kind, profile)
    body = text(doc)
    assert undeclared_variables(load_source("renewal")) <= set(context)
    assert "续签期限为五年，自2030年3月10日起至2035年3月9日止" in body
    assert "每年人民币13,800.00元（大写：人民币壹万叁仟捌佰元整）" in body
    assert "继续适用" in body
    assert len(doc.signature.parties) == 2


@pytest.mark.parametrize("kind", VARIANTS)
@pytest.mark.parametrize("reason", ["breach", "late_payment", "other"])
def test_termination_notice(kind, reason, profile, litigation):
    doc, context = termination(kind, profile, by_notice=True, reason=reason)
    body = text(doc)
    assert undeclared_variables(load_source("termination")) <= set(context)
    assert doc.title.endswith("解除通知书")
    assert "第五百六十五条" in body and "到达乙方时解除" in body
    assert "结算至原协议解除之日" in body and "第十章" in body and "第七章" in body
    assert [p.heading for p in doc.signature.parties] == ["甲方（盖章）"]
    assert "北京仲裁委员会" in body and "人民法院" not in body
    court = text(termination(kind, litigation, by_notice=True, reason=reason)[0])
    assert COURT[kind] in court and "仲裁" not in court


@pytest.mark.parametrize("kind", VARIANTS)
def test_termination_by_agreement(kind, profile):
    doc, context = termination(kind, profile, by_notice=False, reason="mutual")
    body = text(doc)
    assert undeclared_variables(load_source("termination")) <= set(context)
    assert doc.title.endswith("解除协议")
    assert "原协议自2027年6月1日起解除" in body and "第五百六十二条" in body
    assert len(doc.signature.parties) == 2


def test_a_late_payment_notice_states_the_registers_facts(profile):
    body = text(termination("individual", profile, by_notice=True, reason="late_payment")[0])
    assert ("截至2027年5月1日，乙方未依照原协议第8.3条的约定付清第二个服务年度（2026年3月10日至2027年3月9日）"
            "的服务费人民币7,800.00元（付款期限至2026年3月25日），逾期已达402日，超过原协议第8.4条约定的60日") in body
    breach = text(termination("individual", profile, by_notice=True, reason="breach")[0])
    assert "催告" not in breach  # the register holds no demand: the notice does not claim one


def test_termination_rejects_inconsistent_requests(profile):
    customer = make_customer("individual")
    common = dict(contract_no="X", doc_no="X-T1", issued_on=D(2027, 5, 1), reason_text="",
                  effective_on=None)
    with pytest.raises(ValueError):
        termination_context(customer, profile, reason="late_payment", by_notice=True, **common)
    with pytest.raises(ValueError):
        termination_context(customer, profile, reason="mutual", by_notice=True, **common)
    with pytest.raises(ValueError):
        termination_context(customer, profile, reason="whim", by_notice=False, **common)
