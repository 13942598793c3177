"""Customer lists, pure: headers in Chinese or English, rows numbered as the spreadsheet numbers
them, every problem named by row and column, customers repeated in one file."""

import datetime as dt

import pytest

from contracts.batch_rows import (
    Table,
    cell_value,
    check_rows,
    header_field,
    normalise_header,
    sheet_kind,
)
from contracts.customer import CustomerType
from service.generate import parse_request

TODAY = dt.date(2026, 11, 24)

HEADERS = ("类型", "姓名/单位名称", "身份证号", "统一社会信用代码", "法定代表人", "联系电话", "通讯地址", "电子邮箱",
           "年服务费（元）", "生效日期")


def person(name="张三", id_number="110105198001010016", fee="12800", date=None, **extra):
    row = {"类型": "个人", "姓名/单位名称": name, "身份证号": id_number, "联系电话": "13800000001",
           "通讯地址": "北京市朝阳区建国路1号", "电子邮箱": "a@example.com", "年服务费（元）": fee, "生效日期": date}
    row.update(extra)
    return tuple(row.get(h) for h in HEADERS)


def company(name="北京某某科技有限公司", code="91110000600037341L", **extra):
    row = {"类型": "单位", "姓名/单位名称": name, "统一社会信用代码": code, "法定代表人": "李四",
           "联系电话": "010-80000000", "通讯地址": "北京市海淀区上地十街10号", "电子邮箱": "it@example.com",
           "年服务费（元）": "98000"}
    row.update(extra)
    return tuple(row.get(h) for h in HEADERS)


def table(*rows, name="", headers=HEADERS):
    return Table(name, headers, tuple((n, r) for n, r in enumerate(rows, start=2)))


def check(*tables, kind=None):
    return check_rows(tables, parse_request, TODAY, kind)


@pytest.mark.parametrize(
    ("header", "field"),
    [("姓名", "name"), ("单位名称", "name"), ("姓名/单位名称", "name"), ("name", "name"), ("Name", "name"),
     ("身份证号", "id_number"), ("id_number", "id_number"), ("ID Number", "id_number"),
     ("统一社会信用代码", "credit_code"), ("credit-code", "credit_code"), ("年服务费（元）", "annual_fee"),
     ("年服务费(元)*", "annual_fee"), ("Annual Fee", "annual_fee"), ("生效日期", "effective_date"),
     ("生效日期（YYYY-MM-DD）", "effective_date"), ("类型", "type"), ("type", "type"), (" 联系电话 ", "phone"),
     ("E-mail", "email"), ("法定代表人", "legal_representative"), ("联系人", "contact_person")],
)
def test_headers_in_chinese_or_english(header, field):
    assert header_field(header) == field


def test_unknown_header_is_none():
    assert header_field("身份正号") is None
    assert normalise_header("备注") == "备注"


@pytest.mark.parametrize(("name", "kind"), [("个人客户", CustomerType.INDIVIDUAL), ("单位客户", CustomerType.CORPORATE),
                                            ("个人", CustomerType.INDIVIDUAL), ("corporate", CustomerType.CORPORATE),
                                            ("Sheet1", None), ("混合名单", None)])
def test_sheet_name_decides_the_type(name, kind):
    assert sheet_kind(name) is kind


def test_good_rows_pass():
    result = check(table(person(), company(), person("李雷", "310101199002020036", date=dt.date(2027, 1, 1))))
    assert result.ok
    assert [r.source.row for r in result.valid] == [2, 3, 4]
    assert result.valid[2].request.effective_date == dt.date(2027, 1, 1)
    assert result.valid[1].request.customer.credit_code == "91110000600037341L"


def test_every_problem_named_by_row_and_column_as_written():
    result = check(table(
        person(),                                           # 2 good
        person("李四", "110105198001010025"),               # 3 bad ID checksum
        person("王五", "310101199002020036", date="2027-13-01"),  # 4 13th month
        person("赵六", "440304198503150044", fee="-500"),   # 5 negative fee
        person(None, "110105197506070052"),                 # 6 missing name
        person("孙八", "110108198808080065", **{"统一社会信用代码": "91310000MA1FL1234Q"}),  # 7 USCC for an individual
    ))
    assert [str(p) for p in result.problems] == [
        "第3行 身份证号：身份证号 110105********0025 校验位不正确",
        "第4行 生效日期：日期 2027-13-01 无效，请按 YYYY-MM-DD 填写，例如 2025-03-10",
        "第5行 年服务费（元）：金额必须大于零",
        "第6行 姓名/单位名称：姓名/单位名称不能为空",
        "第7行 统一社会信用代码：个人客户不填写统一社会信用代码；单位客户请用 --type corporate",
    ]
    assert [r.source.row for r in result.valid] == [2]
    assert all(r.request is None for r in result.invalid)


def test_several_problems_in_one_row_are_all_reported_in_column_order():
    result = check(table(person("王五", "110105198001010025", fee="abc", date="2027/02/30", **{"电子邮箱": "x"})))
    assert [(p.row, p.column) for p in result.problems] == [
        (2, "身份证号"), (2, "电子邮箱"), (2, "年服务费（元）"), (2, "生效日期")]


def test_duplicate_customer_flags_every_occurrence():
    result = check(table(person(), company(), person("张三丰", "110105198001010016"),
                         company("另一家公司", "91110000600037341l")))
    lines = [str(p) for p in result.problems]
    assert lines == [
        "第2行 身份证号：同一客户（110105********0016）在本文件中出现多次（另见第4行）；每位客户只能保留一行",
        "第3行 统一社会信用代码：同一客户（91110000600037341L）在本文件中出现多次（另见第5行）；每位客户只能保留一行",
        "第4行 身份证号：同一客户（110105********0016）在本文件中出现多次（另见第2行）；每位客户只能保留一行",
        "第5行 统一社会信用代码：同一客户（91110000600037341L）在本文件中出现多次（另见第3行）；每位客户只能保留一行",
    ]
    assert not result.valid


def test_duplicates_across_sheets_name_the_other_sheet():
    headers = ("姓名", "身份证号", "联系电话", "通讯地址", "电子邮箱", "年服务费")
    row = ("张三", "110105198001010016", "13800000001", "北京市朝阳区建国路1号", "a@example.com", "100")
    result = check(table(row, name="个人客户", headers=headers), table(row, name="个人客户2", headers=headers),
                   kind=CustomerType.INDIVIDUAL)
    assert str(result.problems[0]) == (
        "个人客户 第2行 身份证号：同一客户（110105********0016）在本文件中出现多次（另见个人客户2 第2行）；每位客户只能保留一行")


def test_blank_rows_are_skipped_and_numbering_follows_the_sheet():
    rows = Table("", HEADERS, ((2, person()), (3, (None,) * len(HEADERS)), (4, ("  ",)), (5, person("李四", "1"))))
    result = check(rows)
    assert [r.source.row for r in result.rows] == [2, 5]
    assert result.problems[0].row == 5


def test_type_from_sheet_column_or_option_and_conflicts():
    headers = ("类型", "姓名", "身份证号", "联系电话", "通讯地址", "电子邮箱", "年服务费")
    row = ["个人", "张三", "110105198001010016", "13800000001", "北京市朝阳区建国路1号", "a@example.com", "100"]
    assert check(table(tuple(row), name="个人客户", headers=headers)).ok
    conflict = check(table(("单位", *row[1:]), name="个人客户", headers=headers))
    assert str(conflict.problems[0]) == "个人客户 第2行 类型：工作表“个人客户”与类型“单位”不一致"
    by_option = check(table((None, *row[1:]), headers=headers), kind=CustomerType.INDIVIDUAL)
    assert by_option.ok
    against_option = check(table(tuple(row), headers=headers), kind=CustomerType.CORPORATE)
    assert str(against_option.problems[0]) == "第2行 类型：类型“个人”与--type corporate不一致"
    bad_type = check(table(("公司", *row[1:]), headers=headers))
    assert "客户类型“公司”无效" in str(bad_type.problems[0])
    missing = check(table((None, *row[1:]), headers=headers))
    assert str(missing.problems[0]) == "第2行 类型：未指明客户类型：请填写“个人”或“单位”，或使用 --type"


def test_no_way_to_know_the_type_is_a_header_problem():
    headers = ("姓名", "身份证号")
    result = check(table(("张三", "110105198001010016"), headers=headers))
    assert result.header_problems and result.header_problems[0].row == 1
    assert result.header_problems[0].column == "类型"


def test_unknown_and_repeated_columns_are_header_problems_notes_are_not():
    headers = (*HEADERS, "备注", "身份正号", "姓名")
    result = check(table((*person(), "老客户", "x", "y")))
    assert result.ok  # a table with fewer headers than cells: extra cells are ignored
    result = check(table((*person(), "老客户", "x", "y"), headers=headers))
    assert [(p.row, p.column) for p in result.header_problems] == [(1, "身份正号"), (1, "姓名")]
    assert "无法识别的列名" in result.header_problems[0].message
    assert "与“姓名/单位名称”是同一项" in result.header_problems[1].message


def test_english_headers():
    headers = ("type", "name", "id_number", "phone", "address", "email", "annual_fee", "effective_date")
    row = ("individual", "张三", "110105198001010016", "13800000001", "北京市朝阳区建国路1号", "a@example.com",
           "12800.50", "2027-03-10")
    result = check(table(row, headers=headers))
    assert result.ok
    assert str(result.valid[0].request.annual_fee) == "12800.50"


def test_cells_as_a_spreadsheet_stores_them():
    assert cell_value("phone", 13800000001) == ("13800000001", None)
    assert cell_value("phone", 13800000001.0) == ("13800000001", None)
    value, problem = cell_value("id_number", 1.1010519800101002e17)
    assert value is None and "存成了数字" in problem
    assert cell_value("effective_date", dt.datetime(2027, 3, 10, 0, 0)) == (dt.date(2027, 3, 10), None)
    assert cell_value("effective_date", "2027/3/10") == (dt.date(2027, 3, 10), None)
    assert cell_value("effective_date", "2027年3月10日") == (dt.date(2027, 3, 10), None)
    assert cell_value("effective_date", "2027/13/10") == ("2027/13/10", None)  # named as written
    assert cell_value("annual_fee", 12800) == ("12800", None)
    assert cell_value("annual_fee", 0.1) == (0.1, None)
    assert cell_value("name", "  张三 ") == ("张三", None)
    assert cell_value("name", "   ") == (None, None)


def test_id_number_stored_as_a_number_is_one_problem_not_two():
    row = list(person())
    row[2] = 1.1010519800101002e17
    result = check(table(tuple(row)))
    assert [str(p) for p in result.problems] == [
        "第2行 身份证号：身份证号被表格软件存成了数字（1.10105e+17），后几位已丢失；请把该列设为文本格式后重新填写"]
