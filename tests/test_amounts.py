from decimal import Decimal

import pytest

from contracts.amounts import parse_amount, rmb_capitals, rmb_figures
from contracts.errors import InvalidInput


@pytest.mark.parametrize(
    ("amount", "capitals", "figures"),
    [
        ("12800", "壹万贰仟捌佰元整", "12,800.00"),
        ("98000", "玖万捌仟元整", "98,000.00"),
        ("15800.50", "壹万伍仟捌佰元伍角", "15,800.50"),
        ("100000.05", "壹拾万元零伍分", "100,000.05"),
        ("0.01", "壹分", "0.01"),
        ("1005", "壹仟零伍元整", "1,005.00"),
        ("2000000", "贰佰万元整", "2,000,000.00"),
    ],
)
def test_figures_and_capitals_agree(amount, capitals, figures):
    value = parse_amount(amount)
    assert rmb_capitals(value) == capitals
    assert rmb_figures(value) == figures


def test_capitals_round_half_up_instead_of_truncating():
    # cn2an truncates beyond the cent; the amount is quantised half-up first.
    assert rmb_capitals(Decimal("0.125")) == "壹角叁分"
    assert rmb_figures(Decimal("0.125")) == "0.13"


@pytest.mark.parametrize("text", ["12,800", "￥12800", "人民币12800元", " 12800.00 "])
def test_parse_accepts_what_clerks_type(text):
    assert parse_amount(text) == Decimal("12800.00")


def test_parse_never_goes_through_float():
    assert parse_amount(0.1) == Decimal("0.10")
    assert parse_amount("0.10") == Decimal("0.10")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("-5", "annual_fee：金额必须大于零"),
        ("0", "annual_fee：金额必须大于零"),
        ("12.345", "annual_fee：金额最多保留两位小数（到分）"),
        ("abc", "annual_fee：“abc”不是金额，请填写数字，例如 12800 或 12800.50"),
        ("NaN", "annual_fee：“NaN”不是金额"),
    ],
)
def test_parse_rejects_with_a_message_naming_the_field(text, message):
    with pytest.raises(InvalidInput) as err:
        parse_amount(text)
    assert str(err.value) == message
