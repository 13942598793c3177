import datetime as dt
from decimal import Decimal

import pytest

from contracts.document import Attention, Paragraph, Table
from contracts.resolver import TemplateError, resolve, undeclared_variables

SOURCE = {
    "title": "测试协议{{ n }}",
    "chapters": [
        {"id": "a", "title": "甲", "clauses": [
            {"id": "a1", "title": "一", "blocks": ["见{{ ref('b2') }}条和{{ ref('c') }}。"]},
            {"title": "跳过", "when": "False", "blocks": ["x"]},
            {"id": "a3", "title": "三", "blocks": [{"items": ["x", {"text": "y", "when": "n > 5"}, {"text": "z", "attention": "penalty"}]}]},
        ]},
        {"id": "skipped", "when": "n > 5", "title": "不出现", "clauses": []},
        {"id": "c", "title": "丙", "clauses": [
            {"title": "一", "blocks": []},
            {"id": "b2", "title": "二", "blocks": [{"table": {"header": ["h"], "rows": "rows"}}]},
        ]},
    ],
}


def test_numbers_labels_and_refs_are_computed():
    doc = resolve(SOURCE, {"n": 1, "rows": [["r1"], ["r2"]]}, contract_no="X")
    assert [c.heading for c in doc.chapters] == ["第一章　甲", "第二章　丙"]
    assert [c.number for c in doc.chapters[0].clauses] == ["1.1", "1.2"]
    assert doc.chapters[0].clauses[0].blocks[0].text == "见2.2条和第二章。"
    items = doc.chapters[0].clauses[1].blocks
    assert [p.text for p in items] == ["（1）x", "（2）z"]
    assert items[1].bold and not items[0].bold
    table = doc.chapters[1].clauses[1].blocks[0]
    assert isinstance(table, Table) and table.rows == (("r1",), ("r2",))


def test_attention_spans_are_split_before_substitution():
    source = {"title": "t", "preamble": [{"text": "乙方：{{ name }}，**加粗**", "attention": "forum"}]}
    doc = resolve(source, {"name": "a**b"}, contract_no="X")
    para = doc.preamble[0]
    assert isinstance(para, Paragraph)
    assert [(r.text, r.attention) for r in para.runs] == [("乙方：a**b，", ()), ("加粗", (Attention.FORUM,))]


def test_attention_without_spans_marks_the_whole_paragraph_with_every_reason():
    source = {"title": "t", "preamble": [{"text": "全部", "attention": ["penalty", "unilateral"]}]}
    para = resolve(source, {}, contract_no="X").preamble[0]
    assert [(r.text, r.attention) for r in para.runs] == [("全部", (Attention.PENALTY, Attention.UNILATERAL))]


def test_an_items_node_marks_each_item_unless_the_item_says_otherwise():
    source = {"title": "t", "preamble": [
        {"items": ["a", {"text": "b", "attention": "delivery"}], "attention": "unilateral"}]}
    items = resolve(source, {}, contract_no="X").preamble
    assert [r.attention for p in items for r in p.runs] == [(Attention.UNILATERAL,), (Attention.DELIVERY,)]


def test_attention_when_limits_the_marking_to_some_contracts():
    node = {"text": "价格**一百元**", "attention": "key_term", "attention_when": "consumer"}
    for consumer, expected in ((True, [(), (Attention.KEY_TERM,)]), (False, [(), ()])):
        para = resolve({"title": "t", "preamble": [node]}, {"consumer": consumer}, contract_no="X").preamble[0]
        assert [r.attention for r in para.runs] == expected


@pytest.mark.parametrize("node, message", [
    ({"text": "**粗**"}, "needs an attention reason"),
    ("**粗**", "needs an attention reason"),
    ({"text": "粗", "bold": True}, "bold is not a source key"),
    ({"text": "粗", "attention": "taste"}, "not one of"),
])
def test_bold_without_a_reason_is_refused(node, message):
    with pytest.raises(TemplateError, match=message):
        resolve({"title": "t", "preamble": [node]}, {}, contract_no="X")


def test_undefined_variable_is_an_error():
    with pytest.raises(TemplateError, match="missing"):
        resolve({"title": "{{ missing }}"}, {}, contract_no="X")


def test_unknown_ref_is_an_error():
    with pytest.raises(TemplateError, match="nope"):
        resolve({"title": "{{ ref('nope') }}"}, {}, contract_no="X")


def test_undeclared_variables_lists_every_name():
    assert undeclared_variables(SOURCE) == {"n", "rows"}


def test_agreement_source_uses_only_declared_variables(profile):
    from contracts.agreement import ContractParams, agreement_context
    from service.sources import load_source
    from tests.conftest import make_customer

    for kind in ("individual", "corporate"):
        params = ContractParams("VIP-2026-000001", dt.date(2026, 11, 24), Decimal(1), None)
        context = agreement_context(make_customer(kind), profile, params)
        assert undeclared_variables(load_source("agreement")) <= set(context)


def test_no_template_syntax_left_in_the_text(agreement):
    text = "".join(agreement.text_lines())
    for marker in ("{{", "}}", "{%", "%}", "**"):
        assert marker not in text
