"""`vipcontract find` and `vipcontract list --format …`: look a contract up by a fragment of what
a clerk knows, and the register as a sheet in the reports' formats."""

from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import load_workbook

from tests.test_cli_reports import AS_OF, run, run_empty  # noqa: F401  (fixtures)
from tests.test_register_fixtures import fake_renderer  # noqa: F401  (fixture)
from tests.test_reports import DD, A, B, C, E, profile, register_path  # noqa: F401  (fixtures)

FULL_ID = "11010519491231002X"
MASKED = "110105********002X"


def found(result) -> list[str]:
    return [no for no in (A, B, C, DD, E) if no in result.output]


@pytest.mark.parametrize(("query", "expected", "matched"), [
    ("张三", [A], "名称"),
    ("北京某某", [B], "名称"),
    ("1380000", [A, C, DD, E], "电话"),
    ("138 0000-0000", [A, C, DD, E], "电话"),  # typed with spaces and dashes
    ("110105", [A, C, DD, E], "身份证号"),
    ("9111000060", [B], "信用代码"),
    ("2025-000002", [DD], "合同编号"),
    ("vip-2025", [C, DD], "合同编号"),
])
def test_find_by_a_fragment(run, query, expected, matched):  # noqa: F811
    result = run("find", query, "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert found(result) == expected, result.output
    assert matched in result.output
    assert FULL_ID not in result.output
    assert f"找到合同：  {len(expected)}" in result.output


def test_find_shows_status_and_masked_id(run):  # noqa: F811
    result = run("find", "王芳", "--as-of", AS_OF)
    # no payment is recorded in this register: the contract in force is overdue
    assert "逾期付款" in result.output and MASKED in result.output
    assert "注：身份证号已遮蔽显示。" in result.output


def test_find_nothing(run, run_empty):  # noqa: F811
    result = run("find", "钱七", "--as-of", AS_OF)
    assert result.exit_code == 0
    assert "没有找到与“钱七”相符的合同。" in result.output
    assert "登记簿中还没有合同。" in run_empty("find", "张三").output
    blank = run("find", "  ")
    assert blank.exit_code == 1
    assert blank.output.startswith("错误：请写出要查找的内容")


def test_list_as_csv(run, tmp_path):  # noqa: F811
    out = tmp_path / "register.csv"
    result = run("list", "--as-of", AS_OF, "--format", "csv", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.output == f"已生成：{out}\n"
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    header, body = rows[0], rows[1:-1]
    assert header[:4] == ["合同编号", "类型", "客户", "证件号码"] and "年服务费（元）" in header
    assert [r[0] for r in body] == [A, B, C, DD, E]
    phone = header.index("联系电话")
    assert body[0][phone] == '="13800000000"'  # text in Excel, never 1.38E+10
    assert body[1][phone] == CORPORATE_PHONE
    assert body[0][header.index("证件号码")] == MASKED
    assert FULL_ID not in out.read_text(encoding="utf-8-sig")
    assert rows[-1][0].startswith("登记簿末端：")


CORPORATE_PHONE = "010-80000000"


def test_list_as_xlsx_json_and_pdf(run, tmp_path):  # noqa: F811
    xlsx = tmp_path / "register.xlsx"
    assert run("list", "--as-of", AS_OF, "--status", "逾期付款", "--format", "xlsx", "--out", str(xlsx)).exit_code == 0
    sheet = load_workbook(xlsx).worksheets[0]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert [r[0] for r in values[1:]] == [DD]
    phone = values[0].index("联系电话")
    assert sheet.cell(row=2, column=phone + 1).value == "13800000000"
    assert sheet.cell(row=2, column=phone + 1).number_format == "@"
    data = json.loads(run("list", "--as-of", AS_OF, "--format", "json", "--no-timestamp").output)
    assert data["report"] == "register" and len(data["rows"]) == 5
    assert data["rows"][3]["annual_fee"] == "15800.00"
    pdf = tmp_path / "register.pdf"
    assert run("list", "--as-of", AS_OF, "--format", "pdf", "--out", str(pdf)).exit_code == 0
    assert pdf.read_bytes().startswith(b"%PDF")


def test_list_file_formats_need_out(run, tmp_path):  # noqa: F811
    result = run("list", "--format", "xlsx")
    assert result.exit_code == 1
    assert result.output.startswith("错误：--out：--format xlsx 输出文件，请用 --out 指定文件名")
    ics = run("list", "--format", "ics", "--out", str(tmp_path / "x.ics"))
    assert ics.exit_code == 1 and not (tmp_path / "x.ics").exists()


def test_report_csv_keeps_codes_as_text(run, tmp_path):  # noqa: F811
    out = tmp_path / "expiring.csv"
    assert run("report", "expiring", "--as-of", AS_OF, "--format", "csv", "--out", str(out)).exit_code == 0
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    header, first = rows[0], rows[1]
    assert first[header.index("联系电话")] == '="13800000000"'
    assert first[header.index("合同编号")] == A  # not a number: as it is
    assert first[header.index("证件号码")] == MASKED
