import datetime as dt

import pytest
from stdnum.cn import uscc

from contracts import validation as v
from contracts.customer import CustomerType, customer_from_mapping, mask_id
from contracts.errors import InvalidInput

TODAY = dt.date(2026, 11, 24)


def test_valid_id_number():
    assert v.id_number("11010519491231002x", TODAY) == "11010519491231002X"


def with_check(body: str) -> str:
    from stdnum.cn import ric

    return body + ric.calc_check_digit(body + "0")


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("110105194912310021", "校验位不正确"),
        (with_check("11010519491331002"), "出生日期不存在"),
        (with_check("99999919491231002"), "地区码不存在"),
        ("1101051949123", "格式不正确"),
    ],
)
def test_bad_id_numbers(number, message):
    with pytest.raises(InvalidInput, match=message):
        v.id_number(number, TODAY)


def test_id_number_born_in_the_future_is_rejected():
    # python-stdnum accepts future birth dates; a customer cannot be born after today.
    number = with_check("11010520301231001")
    with pytest.raises(InvalidInput, match="晚于今天"):
        v.id_number(number, TODAY)


def test_credit_code_plain():
    assert v.credit_code("91110000600037341L") == "91110000600037341L"


@pytest.mark.parametrize("first", ["N", "Y", "A"])
def test_credit_code_with_letter_registration_authority(first):
    # python-stdnum 2.2 rejects these although GB 32100 allows letters in position 1.
    body = first + "1110108MA01A2B3C"
    code = body + uscc.calc_check_digit(body + "0")
    assert not uscc.is_valid(code)
    assert v.credit_code(code) == code


def test_credit_code_with_letter_and_wrong_check_is_rejected():
    body = "N1110108MA01A2B3C"
    right = uscc.calc_check_digit(body + "0")
    wrong = "0" if right != "0" else "1"
    with pytest.raises(InvalidInput, match="校验位不正确"):
        v.credit_code(body + wrong)


@pytest.mark.parametrize("phone", ["13800000000", "010-80000000", "0755-12345678", "400-123-4567"])
def test_phones(phone):
    assert v.phone(phone)


@pytest.mark.parametrize("phone", ["12345", "23800000000", "phone"])
def test_bad_phones(phone):
    with pytest.raises(InvalidInput, match="phone：电话"):
        v.phone(phone)


def test_bad_email():
    with pytest.raises(InvalidInput, match="email：电子邮箱 a@b 格式不正确"):
        v.email("a@b")


@pytest.mark.parametrize("bad", ["2025-13-01", "2025-02-30", "20250310", "明天"])
def test_bad_dates(bad):
    with pytest.raises(InvalidInput, match="YYYY-MM-DD"):
        v.iso_date(bad, "effective_date")


def test_customer_collects_every_problem_at_once():
    with pytest.raises(InvalidInput) as err:
        customer_from_mapping(
            CustomerType.INDIVIDUAL,
            {"name": "张三", "id_number": "110105194912310021", "phone": "1", "credit_code": "x"},
            TODAY,
        )
    fields = [p.field for p in err.value.problems]
    assert fields == ["address", "email", "credit_code", "phone", "id_number"]


def test_look_alike_hanzi_in_customer_text_become_the_ordinary_ones():
    # U+2F08 KANGXI RADICAL MAN looks like 人 but is another code point.
    customer = customer_from_mapping(
        CustomerType.INDIVIDUAL,
        {"name": "张\u2f08", "id_number": "11010519491231002X", "phone": "13800000000",
         "address": "北京市", "email": "a@example.com"},
        TODAY,
    )
    assert customer.name == "张人"


def test_path_characters_are_refused_in_names():
    with pytest.raises(InvalidInput, match="name：姓名含有不允许的字符"):
        customer_from_mapping(
            CustomerType.INDIVIDUAL,
            {"name": "../张三", "id_number": "11010519491231002X", "phone": "13800000000",
             "address": "北京市", "email": "a@example.com"},
            TODAY,
        )


def test_mask_id():
    assert mask_id("11010519491231002X") == "110105********002X"
