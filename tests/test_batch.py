"""Batch issuing from a real .xlsx and a GB18030 .csv: check, refuse, --skip-invalid and the errors
workbook, idempotent re-runs, interrupted runs carried on, the batch index read back.

Rendering is replaced by a fake renderer here (fast); tests/test_batch_parallel.py runs worker
processes and the real renderers."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from service import batch, output
from service import register as register_service
from service.sources import load_profile
from store import open_store
from tests.conftest import TEST_PROFILE

TODAY = dt.date(2026, 11, 24)

# Valid identities (checksums and region codes checked by the same validation as generate).
IDS = ["110101198001010010", "110102198001010025", "310104199002020035", "440106198503150046",
       "110105197506070052", "110108198808080065", "310115199209090072", "11010519491231002X",
       "110105198001010024"]
BAD_CHECKSUM = "110101198001010011"
USCC = ["91110000600037341L", "91310000MA1FL1234Q", "91440300MA5D12345W"]

MIXED_HEADERS = ["类型", "姓名/单位名称", "身份证号", "统一社会信用代码", "法定代表人", "联系人", "联系电话",
                 "通讯地址", "电子邮箱", "年服务费（元）", "生效日期"]


def mixed(kind, name, id_number="", code="", fee="12800", date="", legal="", email=None):
    return [kind, name, id_number, code, legal, "", "13800000001" if kind == "个人" else "010-80000000",
            "北京市朝阳区建国路1号", email or "client@example.com", fee, date]


# The CSV: rows 2..12 as the spreadsheet numbers them.
CSV_ROWS = [
    mixed("个人", "张三", IDS[0]),                                    # 2 good
    mixed("单位", "北京某某科技有限公司", code=USCC[0], legal="李四"),    # 3 good
    mixed("个人", "李四", BAD_CHECKSUM),                              # 4 bad ID checksum
    mixed("个人", "王五", IDS[1], date="2027-13-01"),                 # 5 13th month
    mixed("个人", "赵六", IDS[2], fee="-500"),                        # 6 negative fee
    mixed("个人", "", IDS[3]),                                        # 7 missing name
    mixed("个人", "孙八", IDS[4], code=USCC[1]),                      # 8 USCC for an individual
    mixed("个人", "周九", IDS[5], date="2027-01-01"),                 # 9 good
    mixed("个人", "吴十", IDS[6]),                                    # 10 duplicate of 11
    mixed("个人", "吴十", IDS[6], fee="13800"),                       # 11 duplicate of 10
    mixed("单位", "上海某某贸易有限公司", code=USCC[2], legal="王强", fee="56000.50"),  # 12 good
]
CSV_GOOD_ROWS = [2, 3, 9, 12]
CSV_PROBLEMS = [
    "第4行 身份证号：身份证号 110101********0011 校验位不正确",
    "第5行 生效日期：日期 2027-13-01 无效，请按 YYYY-MM-DD 填写，例如 2025-03-10",
    "第6行 年服务费（元）：金额必须大于零",
    "第7行 姓名/单位名称：姓名/单位名称不能为空",
    "第8行 统一社会信用代码：个人客户不填写统一社会信用代码；单位客户请用 --type corporate",
    "第10行 身份证号：同一客户（310115********0072）在本文件中出现多次（另见第11行）；每位客户只能保留一行",
    "第11行 身份证号：同一客户（310115********0072）在本文件中出现多次（另见第10行）；每位客户只能保留一行",
]


def write_csv(path: Path, rows=CSV_ROWS, headers=MIXED_HEADERS, encoding="gb18030") -> Path:
    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


INDIVIDUAL_HEADERS = ["姓名", "身份证号", "联系电话", "通讯地址", "电子邮箱", "年服务费（元）", "生效日期"]
CORPORATE_HEADERS = ["单位名称", "统一社会信用代码", "法定代表人", "联系人", "联系电话", "通讯地址", "电子邮箱",
                     "年服务费（元）", "生效日期"]


def write_xlsx(path: Path) -> Path:
    """Two typed sheets and a mixed one, as a clerk fills them in Excel (numbers, dates, text)."""
    wb = openpyxl.Workbook()
    people = wb.active
    people.title = "个人客户"
    people.append(INDIVIDUAL_HEADERS)
    for row in [
        ["张三", IDS[0], 13800000001, "北京市朝阳区建国路1号", "a@example.com", 12800, None],         # 2 good
        ["李四", BAD_CHECKSUM, "13800000002", "北京市朝阳区建国路2号", "b@example.com", 9800, None],  # 3 bad ID
        ["王五", IDS[1], "13800000003", "北京市朝阳区建国路3号", "c@example.com", 9800, "2027-13-01"],  # 4 13th month
        ["赵六", IDS[2], "13800000004", "北京市朝阳区建国路4号", "d@example.com", -500, None],        # 5 negative fee
        [None, IDS[3], "13800000005", "北京市朝阳区建国路5号", "e@example.com", 9800, None],          # 6 missing name
        ["周九", IDS[5], "13800000006", "北京市朝阳区建国路6号", "f@example.com", 9800.5,
         dt.datetime(2027, 1, 1)],                                                                    # 7 good (a date cell)
        [None] * 7,                                                                                   # 8 blank
        ["张三", IDS[0], "13800000001", "北京市朝阳区建国路1号", "a@example.com", 12800, None],       # 9 duplicate of 2
    ]:
        people.append(row)
    companies = wb.create_sheet("单位客户")
    companies.append(CORPORATE_HEADERS)
    companies.append(["北京某某科技有限公司", USCC[0], "李四", "", "010-80000000", "北京市海淀区上地十街10号",
                      "it@example.com", 98000, "2027/3/10"])                                          # 2 good
    companies.append(["上海某某贸易有限公司", USCC[1], "王强", "小王", "021-60000000", "上海市浦东新区世纪大道1号",
                      "sh@example.com", "56,000.50", None])                                           # 3 good
    both = wb.create_sheet("混合名单")
    both.append(MIXED_HEADERS)
    both.append(mixed("个人", "孙八", IDS[4], code=USCC[2]))                                          # 2 USCC for individual
    both.append(mixed("个人", "吴十", IDS[6]))                                                        # 3 good
    notes = wb.create_sheet("填写说明")
    notes.append(["示例：个人客户"])
    notes.append(INDIVIDUAL_HEADERS)
    notes.append(["张三", IDS[8], "13800000000", "北京", "x@example.com", 1, None])
    wb.save(path)
    return path


XLSX_GOOD = [("个人客户", 7), ("单位客户", 2), ("单位客户", 3), ("混合名单", 3)]
XLSX_PROBLEMS = [
    "个人客户 第2行 身份证号：同一客户（110101********0010）在本文件中出现多次（另见第9行）；每位客户只能保留一行",
    "个人客户 第3行 身份证号：身份证号 110101********0011 校验位不正确",
    "个人客户 第4行 生效日期：日期 2027-13-01 无效，请按 YYYY-MM-DD 填写，例如 2025-03-10",
    "个人客户 第5行 年服务费（元）：金额必须大于零",
    "个人客户 第6行 姓名：姓名/单位名称不能为空",
    "个人客户 第9行 身份证号：同一客户（110101********0010）在本文件中出现多次（另见第2行）；每位客户只能保留一行",
    "混合名单 第2行 统一社会信用代码：个人客户不填写统一社会信用代码；单位客户请用 --type corporate",
]


def fake_render(doc, fmt, path):
    """Stands in for the DOCX/PDF renderers: content that differs per document and format."""
    Path(path).write_bytes(f"{fmt}|{doc.doc_no}|{doc.title}".encode())


@pytest.fixture
def profile():
    return load_profile(TEST_PROFILE)


@pytest.fixture
def fake_renderer(monkeypatch):
    calls = []

    def render(doc, fmt, path):
        calls.append((doc.doc_no, fmt))
        fake_render(doc, fmt, path)

    monkeypatch.setattr(output, "render_to", render)
    return calls


@pytest.fixture
def store(tmp_path):
    s = open_store(tmp_path / "register.json")
    yield s
    s.close()


def issue(source, out, store, profile, **options):
    options.setdefault("jobs", 1)
    return batch.issue_batch(source, out, batch.StoreRegistrar(store, profile), profile, today=TODAY, **options)


def files_in(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.suffix in (".docx", ".pdf")) if out.exists() else []


def parts_in(out: Path) -> list[str]:
    """Temporary files, of this version or an earlier one."""
    return sorted(p.name for p in out.iterdir() if p.name.endswith((".part", ".vipcontract-tmp"))) \
        if out.exists() else []


def assert_register_consistent(store, profile, out: Path):
    """`vipcontract check` accepts the register, and every recorded file is there with its hash."""
    report = register_service.check(store, profile)
    assert report.ok, report.problems
    for _no, records in store.histories():
        for item in records[0]["data"]["files"]:
            assert output.sha256_file(out / item["name"]) == item["sha256"]


# ---------------------------------------------------------------- reading and checking
def test_check_gb18030_csv_lists_every_problem(tmp_path, profile):
    source = write_csv(tmp_path / "客户名单.csv")
    assert source.read_bytes().decode("gb18030")  # really GB18030, not UTF-8
    with pytest.raises(UnicodeDecodeError):
        source.read_bytes().decode("utf-8")
    result = batch.check_file(source, TODAY, profile=profile)
    assert [str(p) for p in result.problems] == CSV_PROBLEMS
    assert [r.source.row for r in result.valid] == CSV_GOOD_ROWS


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_encodings(tmp_path, profile, encoding):
    source = write_csv(tmp_path / "c.csv", rows=CSV_ROWS[:2], encoding=encoding)
    result = batch.check_file(source, TODAY, profile=profile)
    assert result.ok and [r.request.customer.name for r in result.valid] == ["张三", "北京某某科技有限公司"]


def test_excel_unicode_text_utf16_tab_separated(tmp_path, profile):
    text = "\r\n".join("\t".join(row) for row in [MIXED_HEADERS, CSV_ROWS[0], CSV_ROWS[1]])
    source = tmp_path / "c.txt"
    source.write_bytes(text.encode("utf-16"))
    result = batch.check_file(source, TODAY, profile=profile)
    assert result.ok and len(result.valid) == 2


def test_check_xlsx_lists_every_problem_with_sheet_row_and_column(tmp_path, profile):
    source = write_xlsx(tmp_path / "customers.xlsx")
    result = batch.check_file(source, TODAY, profile=profile)
    assert [str(p) for p in result.problems] == XLSX_PROBLEMS
    assert [(r.source.sheet, r.source.row) for r in result.valid] == XLSX_GOOD
    fees = {r.request.customer.name: str(r.request.annual_fee) for r in result.valid}
    assert fees["周九"] == "9800.50" and fees["上海某某贸易有限公司"] == "56000.50"
    dates = {r.request.customer.name: r.request.effective_date for r in result.valid}
    assert dates["周九"] == dt.date(2027, 1, 1) and dates["北京某某科技有限公司"] == dt.date(2027, 3, 10)


def test_run_check_prints_problems_and_writes_nothing(tmp_path, profile):
    source = write_csv(tmp_path / "c.csv")
    before = sorted(tmp_path.iterdir())
    code, lines = batch.run_check(source, profile=profile, today=TODAY)
    assert code == 1
    assert lines[:-1] == CSV_PROBLEMS
    assert lines[-1] == "c.csv：共 11 行，其中 7 行有误。"
    assert sorted(tmp_path.iterdir()) == before
    good = write_csv(tmp_path / "good.csv", rows=CSV_ROWS[:2])
    assert batch.run_check(good, profile=profile, today=TODAY) == (0, ["good.csv：共 2 行，全部无误，可以签发。"])


def test_effective_date_before_the_issue_date_is_found_by_check(tmp_path, profile):
    source = write_csv(tmp_path / "c.csv", rows=[mixed("个人", "张三", IDS[0], date="2025-03-10")])
    result = batch.check_file(source, TODAY, profile=profile)
    assert [str(p) for p in result.problems] == ["第2行 生效日期：生效日期 2025-03-10 早于签发日期 2026-11-24"]


def test_type_option_for_a_file_without_type_column(tmp_path, profile):
    headers = ["name", "id_number", "phone", "address", "email", "annual_fee"]
    rows = [["张三", IDS[0], "13800000001", "北京市朝阳区建国路1号", "a@example.com", "100"]]
    source = write_csv(tmp_path / "en.csv", rows=rows, headers=headers, encoding="utf-8-sig")
    assert [str(p) for p in batch.check_file(source, TODAY, profile=profile).problems] == [
        "第1行 类型：无法确定客户类型：请加一列“类型”（个人/单位），或把工作表命名为“个人客户”“单位客户”，或使用 --type"]
    assert batch.check_file(source, TODAY, "individual", profile).ok
    assert batch.check_file(source, TODAY, "个人", profile).ok


def test_unsupported_files(tmp_path):
    (tmp_path / "a.xls").write_bytes(b"\xd0\xcf")
    with pytest.raises(batch.InvalidInput, match="旧版 Excel"):
        batch.read_tables(tmp_path / "a.xls")
    with pytest.raises(batch.InvalidInput, match="找不到文件"):
        batch.read_tables(tmp_path / "none.csv")
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip")
    with pytest.raises(batch.InvalidInput, match="无法读取"):
        batch.read_tables(tmp_path / "broken.xlsx")


def test_batch_key():
    assert batch.batch_key_for(Path("/x/2026年春季名单.xlsx")) == "2026年春季名单"
    assert batch.batch_key_for(Path("customers-errors.xlsx")) == "customers"
    assert batch.batch_key_for(Path("customers-errors-errors.xlsx")) == "customers"
    assert batch.batch_key_for(Path("customers.xlsx"), " spring ") == "spring"


# ---------------------------------------------------------------- the template
def test_template_has_typed_sheets_validation_and_reads_back_empty(tmp_path, profile):
    path = batch.write_template(tmp_path / "customers.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["个人客户", "单位客户", "混合名单", "已签署合同", "填写说明"]
    people, companies, both = wb["个人客户"], wb["单位客户"], wb["混合名单"]
    assert [c.value for c in people[1]] == INDIVIDUAL_HEADERS
    assert [c.value for c in companies[1]] == CORPORATE_HEADERS
    assert [c.value for c in both[1]] == MIXED_HEADERS
    for ws in (people, companies, both):
        assert ws.freeze_panes == "A2"
        assert ws.max_row == 1 or all(c.value is None for row in ws.iter_rows(min_row=2) for c in row)
        # the English field name is findable on every header
        fields = [c.comment.text.split("：")[0].removesuffix("（必填）") for c in ws[1]]
        assert all(batch_field in fields for batch_field in ("name", "phone", "address", "email", "annual_fee"))
    assert people["B1"].comment.text.startswith("id_number（必填）")
    assert people.column_dimensions["B"].number_format == "@"  # 18-digit numbers must stay text
    kinds = {dv.type: dv for dv in both.data_validations.dataValidation}
    assert kinds["list"].formula1 == '"个人,单位"'
    assert kinds["decimal"].operator == "greaterThan" and kinds["decimal"].formula1 == "0"
    assert kinds["date"].type == "date" and str(kinds["date"].sqref).startswith("K2:K")
    assert people.column_dimensions["B"].width > 15
    notes = [c.value for c in wb["填写说明"]["A"] if c.value]
    assert any("示例" in str(v) for v in notes)
    result = batch.check_file(path, TODAY, profile=profile)
    assert result.rows == []  # the examples in 填写说明 are never read
    assert [p.message for p in result.problems] == ["文件中没有客户数据：请从第2行起每行填写一位客户"]


def test_filled_template_is_accepted(tmp_path, profile):
    path = batch.write_template(tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["个人客户"].append(["张三", IDS[0], "13800000001", "北京市朝阳区建国路1号", "a@example.com", 12800, None])
    wb["单位客户"].append(["北京某某科技有限公司", USCC[0], "李四", None, "010-80000000", "北京市海淀区上地十街10号",
                          "it@example.com", 98000, dt.date(2027, 1, 1)])
    wb["混合名单"].append(mixed("个人", "李雷", IDS[1]))
    wb.save(path)
    result = batch.check_file(path, TODAY, profile=profile)
    assert result.ok
    assert [(r.source.sheet, r.source.row) for r in result.valid] == [("个人客户", 2), ("单位客户", 2), ("混合名单", 2)]


def test_csv_template(tmp_path, profile):
    path = batch.write_template(tmp_path / "t.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert path.read_text(encoding="utf-8-sig").strip().split(",") == MIXED_HEADERS
    assert batch.run_template(tmp_path / "t2.xlsx")[0].endswith("t2.xlsx")


# ---------------------------------------------------------------- issuing
def test_issue_refuses_the_whole_batch_and_writes_nothing(tmp_path, store, profile, fake_renderer):
    source = write_csv(tmp_path / "c.csv")
    out = tmp_path / "out"
    result = issue(source, out, store, profile)
    assert result.refused and not result.issued
    assert [str(p) for p in result.check.problems] == CSV_PROBLEMS
    assert not out.exists()
    assert fake_renderer == []
    assert store.contract_numbers() == []
    lines = batch.summary_lines(result)
    assert lines[:-1] == CSV_PROBLEMS and "--skip-invalid" in lines[-1]


def test_skip_invalid_issues_good_rows_and_writes_the_errors_workbook(tmp_path, store, profile, fake_renderer):
    source = write_csv(tmp_path / "c.csv")
    out = tmp_path / "out"
    result = issue(source, out, store, profile, skip_invalid=True)
    assert not result.refused and not result.failed and not result.interrupted
    issued = [(r.contract_no, r.customer_name) for r in result.issued]
    assert issued == [("VIP-2026-000001", "张三"), ("VIP-2026-000002", "北京某某科技有限公司"),
                      ("VIP-2026-000003", "周九"), ("VIP-2026-000004", "上海某某贸易有限公司")]
    assert files_in(out) == sorted(f"{no}_{name}.{fmt}" for no, name in issued for fmt in ("docx", "pdf"))
    assert parts_in(out) == []
    assert_register_consistent(store, profile, out)
    first = store.history("VIP-2026-000001")[0]["data"]
    assert first["batch"] == {"key": "c", "source": "c.csv", "sheet": "", "row": "2"}

    # the errors workbook: the bad rows as written, with their messages, ready to fix and feed back
    assert result.errors_path == out / "c-errors.xlsx"
    tables = batch.read_tables(result.errors_path)
    assert [t.name for t in tables] == ["客户名单"]
    errors = tables[0]
    assert list(errors.headers) == [*MIXED_HEADERS, "错误说明", "原行号"]
    by_row = {cells[-1]: cells for _n, cells in errors.rows}
    assert sorted(by_row) == [4, 5, 6, 7, 8, 10, 11]
    assert by_row[4][2] == BAD_CHECKSUM and "身份证号：身份证号 110101********0011 校验位不正确" in by_row[4][-2]
    assert "生效日期：日期 2027-13-01 无效" in by_row[5][-2]
    assert by_row[6][9] == "-500" and "年服务费（元）：金额必须大于零" in by_row[6][-2]
    assert "姓名/单位名称不能为空" in by_row[7][-2]
    assert "个人客户不填写统一社会信用代码" in by_row[8][-2]
    assert "出现多次" in by_row[10][-2] and "出现多次" in by_row[11][-2]
    sheet = openpyxl.load_workbook(result.errors_path)["客户名单"]
    assert sheet["C2"].fill.fgColor.rgb.endswith("F8CBAD")  # the bad cell is marked
    assert sheet["C2"].number_format == "@"


def test_errors_workbook_fixed_and_fed_back_completes_the_same_batch(tmp_path, store, profile, fake_renderer):
    source = write_csv(tmp_path / "c.csv")
    out = tmp_path / "out"
    first = issue(source, out, store, profile, skip_invalid=True)
    wb = openpyxl.load_workbook(first.errors_path)
    ws = wb["客户名单"]
    fixes = {4: {"C": IDS[7]}, 5: {"K": "2027-12-01"}, 6: {"J": "500"}, 7: {"B": "郑七"}, 8: {"D": None}}
    delete = []
    for row in ws.iter_rows(min_row=2):
        source_row = row[-1].value
        if source_row == 11:
            delete.append(row[0].row)  # the clerk keeps one of the two duplicate rows
        for column, value in fixes.get(source_row, {}).items():
            ws[f"{column}{row[0].row}"] = value
    for index in reversed(delete):
        ws.delete_rows(index)
    fixed = tmp_path / "c-errors.xlsx"
    wb.save(fixed)
    assert batch.check_file(fixed, TODAY, profile=profile).ok
    second = issue(fixed, out, store, profile)
    assert second.batch_key == "c" and second.complete
    assert [r.customer_name for r in second.issued] == ["李四", "王五", "赵六", "郑七", "孙八", "吴十"]
    assert len(store.contract_numbers()) == 10
    rows = batch.read_index(second.index_paths[0])
    assert len(rows) == 10  # the index lists the whole batch, both runs
    assert_register_consistent(store, profile, out)


def test_second_run_issues_nothing(tmp_path, store, profile, fake_renderer):
    source = write_xlsx(tmp_path / "customers.xlsx")
    out = tmp_path / "out"
    first = issue(source, out, store, profile, skip_invalid=True)
    assert len(first.issued) == len(XLSX_GOOD)
    rendered = len(fake_renderer)
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    second = issue(source, out, store, profile, skip_invalid=True)
    assert second.issued == [] and len(second.skipped) == len(XLSX_GOOD)
    assert len(fake_renderer) == rendered
    assert store.contract_numbers() == [f"VIP-2026-{n:06d}" for n in range(1, len(XLSX_GOOD) + 1)]
    after = {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.suffix in (".docx", ".pdf")}
    assert all(before[name] == mtime for name, mtime in after.items())
    lines = batch.summary_lines(second)
    assert "本次签发：0 份" in lines and f"此前已签发、本次跳过：{len(XLSX_GOOD)} 份" in lines
    # the same rows under another batch key are another batch: second contracts for the same
    # customers, issued only when the clerk says so (as single `issue --allow-second`)
    refused = issue(source, out, store, profile, batch_key="2027")
    assert refused.refused and refused.issued == []
    assert sum("已有未终止的合同" in p.message for p in refused.check.problems) == len(XLSX_GOOD)
    third = issue(source, out, store, profile, skip_invalid=True, batch_key="2027", allow_second=True)
    assert len(third.issued) == len(XLSX_GOOD)


def test_rows_recorded_with_sheet_and_row(tmp_path, store, profile, fake_renderer):
    source = write_xlsx(tmp_path / "customers.xlsx")
    result = issue(source, tmp_path / "out", store, profile, skip_invalid=True)
    rows = batch.read_index(result.index_paths[1])
    assert [r["原表位置"] for r in rows] == [f"{sheet} 第{row}行" for sheet, row in XLSX_GOOD]
    assert [r["客户类型"] for r in rows] == ["个人客户", "单位客户", "单位客户", "个人客户"]
    assert rows[0]["证件号码"] == "110108********0065"  # ID numbers masked outside the documents


def test_batch_index_csv_and_xlsx(tmp_path, store, profile, fake_renderer):
    source = write_csv(tmp_path / "c.csv", rows=[CSV_ROWS[0], CSV_ROWS[1]])
    out = tmp_path / "out"
    result = issue(source, out, store, profile)
    csv_path, xlsx_path = result.index_paths
    assert csv_path == out / "c-index.csv" and xlsx_path == out / "c-index.xlsx"
    assert csv_path.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel opens it right
    from_csv, from_xlsx = batch.read_index(csv_path), batch.read_index(xlsx_path)
    assert from_csv == from_xlsx
    assert [r["合同编号"] for r in from_csv] == ["VIP-2026-000001", "VIP-2026-000002"]
    first = from_csv[0]
    assert first["客户名称"] == "张三" and first["客户类型"] == "个人客户" and first["年服务费（元）"] == "12800.00"
    assert first["DOCX 文件"] == "VIP-2026-000001_张三.docx" and first["PDF 文件"] == "VIP-2026-000001_张三.pdf"
    assert first["DOCX SHA-256"] == output.sha256_file(out / first["DOCX 文件"])
    assert first["PDF SHA-256"] == output.sha256_file(out / first["PDF 文件"])
    assert from_csv[1]["证件号码"] == USCC[0]
    head = store.head().text()  # the last line of both, left out when read back
    assert result.register_head == head and f"登记簿末端：{head}" in batch.summary_lines(result)
    assert csv_path.read_text(encoding="utf-8-sig").splitlines()[-1] == f"登记簿末端：{head}"
    from openpyxl import load_workbook

    assert list(load_workbook(xlsx_path).active.iter_rows(values_only=True))[-1][0] == f"登记簿末端：{head}"


def test_docx_only(tmp_path, store, profile, fake_renderer):
    source = write_csv(tmp_path / "c.csv", rows=[CSV_ROWS[0]])
    result = issue(source, tmp_path / "out", store, profile, formats=("docx",))
    assert files_in(tmp_path / "out") == ["VIP-2026-000001_张三.docx"]
    row = batch.read_index(result.index_paths[0])[0]
    assert row["PDF 文件"] == "" and row["DOCX 文件"]


def test_header_problems_refuse_even_with_skip_invalid(tmp_path, store, profile, fake_renderer):
    headers = [*MIXED_HEADERS[:-1], "身份正号"]
    source = write_csv(tmp_path / "c.csv", rows=[CSV_ROWS[0]], headers=headers)
    result = issue(source, tmp_path / "out", store, profile, skip_invalid=True)
    assert result.refused and not (tmp_path / "out").exists()
    assert "表头有误" in batch.summary_lines(result)[-1]


# ---------------------------------------------------------------- interruptions
class Interrupt:
    """A renderer that is interrupted (Ctrl-C) in the middle of writing its `at`-th file."""

    def __init__(self, at: int):
        self.at, self.calls = at, 0

    def __call__(self, doc, fmt, path):
        self.calls += 1
        if self.calls == self.at:
            Path(path).write_bytes(b"half a document")
            raise KeyboardInterrupt
        fake_render(doc, fmt, path)


def test_interrupted_run_leaves_nothing_half_written_and_the_next_run_carries_on(tmp_path, store, profile):
    source = write_csv(tmp_path / "c.csv")
    out = tmp_path / "out"
    first = issue(source, out, store, profile, skip_invalid=True, renderer=Interrupt(at=4))  # row 2's PDF
    assert first.interrupted == "已按 Ctrl-C 中断" and first.exit_code == 130
    assert [r.customer_name for r in first.issued] == ["张三"]
    assert first.not_started == 3
    assert parts_in(out) == []
    assert files_in(out) == ["VIP-2026-000001_张三.docx", "VIP-2026-000001_张三.pdf"]
    assert_register_consistent(store, profile, out)
    assert "已按 Ctrl-C 中断" in batch.summary_lines(first)[0]
    assert [r["合同编号"] for r in batch.read_index(first.index_paths[0])] == ["VIP-2026-000001"]

    second = issue(source, out, store, profile, skip_invalid=True, renderer=fake_render)
    assert second.complete is False  # invalid rows remain invalid
    assert [r.customer_name for r in second.issued] == ["北京某某科技有限公司", "周九", "上海某某贸易有限公司"]
    assert len(second.skipped) == 1
    identities = [h[0]["data"]["customer"].get("id_number") or h[0]["data"]["customer"]["credit_code"]
                  for _no, h in store.histories()]
    assert len(identities) == len(CSV_GOOD_ROWS) == len(set(identities))
    assert store.contract_numbers() == [f"VIP-2026-{n:06d}" for n in range(1, 5)]  # no gap
    assert len(files_in(out)) == 2 * len(CSV_GOOD_ROWS)
    assert_register_consistent(store, profile, out)


class StopAfterRecording(batch.StoreRegistrar):
    """The run stops (as if killed) right after the `at`-th row's event, before its files are named."""

    def __init__(self, store, profile, at):
        super().__init__(store, profile)
        self.at, self.calls = at, 0

    def record_issued(self, contract_no, request, issue_date, batch_data, files):
        self.calls += 1
        super().record_issued(contract_no, request, issue_date, batch_data, files)
        if self.calls == self.at:
            raise SystemExit("killed")


def test_a_row_recorded_but_not_named_is_named_by_the_next_run(tmp_path, store, profile, monkeypatch):
    import os

    from service import writes

    source = write_csv(tmp_path / "c.csv", rows=[CSV_ROWS[0], CSV_ROWS[1], CSV_ROWS[7]])
    out = tmp_path / "out"
    # A killed process runs no clean-up: the staging of the row being recorded is left as it is.
    def killed(self, *exc):  # the note's lock goes with the process, the note stays
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    monkeypatch.setattr(writes.Staging, "__exit__", killed)
    monkeypatch.setattr(batch._Committer, "discard_uncommitted", lambda self: None)
    with pytest.raises(SystemExit):
        batch.issue_batch(source, out, StopAfterRecording(store, profile, at=2), profile, today=TODAY, jobs=1,
                          renderer=fake_render)
    monkeypatch.undo()
    assert store.contract_numbers() == ["VIP-2026-000001", "VIP-2026-000002"]
    assert not (out / "VIP-2026-000002_北京某某科技有限公司.docx").exists()  # no final name before the event
    assert len(parts_in(out)) == 2
    problems = [p.message for p in register_service.check(store, profile).problems]
    assert len(problems) == 2 and all("已登记的文书仍是临时文件" in m for m in problems)
    second = issue(source, out, store, profile, renderer=fake_render)
    assert [r.contract_no for r in second.issued] == ["VIP-2026-000003"]
    assert len(files_in(out)) == 6 and parts_in(out) == []
    assert_register_consistent(store, profile, out)


def test_stale_part_files_of_a_killed_run_are_removed(tmp_path, store, profile, fake_renderer):
    out = tmp_path / "out"
    out.mkdir()
    (out / ".VIP-2026-000001_张三.pdf.batch.part").write_bytes(b"torn")
    (out / "keep.txt").write_text("mine")
    source = write_csv(tmp_path / "c.csv", rows=[CSV_ROWS[0]])
    issue(source, out, store, profile)
    assert parts_in(out) == [] and (out / "keep.txt").exists()


def test_a_row_that_fails_to_render_is_reported_and_the_rest_issued(tmp_path, store, profile):
    def flaky(doc, fmt, path):
        if "000002" in doc.doc_no:
            raise RuntimeError("字体缺失")
        fake_render(doc, fmt, path)

    source = write_csv(tmp_path / "c.csv", rows=[CSV_ROWS[0], CSV_ROWS[1], CSV_ROWS[7]])
    out = tmp_path / "out"
    result = issue(source, out, store, profile, renderer=flaky)
    assert [r.customer_name for r in result.issued] == ["张三", "周九"]
    assert [(row.source.row, message) for row, message in result.failed] == [(3, "RuntimeError: 字体缺失")]
    assert parts_in(out) == []
    assert "  第3行：RuntimeError: 字体缺失" in batch.summary_lines(result)
    again = issue(source, out, store, profile, renderer=fake_render)
    assert [r.customer_name for r in again.issued] == ["北京某某科技有限公司"] and again.complete


def test_number_taken_meanwhile_is_refused_without_leaving_files(tmp_path, store, profile, fake_renderer):
    class Racing(batch.StoreRegistrar):
        def next_numbers(self, count, issue_date):
            numbers = super().next_numbers(count, issue_date)
            # another clerk issues one contract right after the numbers were read
            from service.generate import parse_request
            request = parse_request(batch.CustomerType.INDIVIDUAL, {
                "name": "另一客户", "id_number": IDS[8], "phone": "13800000009", "address": "北京",
                "email": "o@example.com", "annual_fee": "1"}, TODAY)
            register_service.issue(self.store, profile, request, tmp_path / "elsewhere", ("docx",),
                                   issued_on=TODAY)
            return numbers

    source = write_csv(tmp_path / "c.csv", rows=[CSV_ROWS[0], CSV_ROWS[1]])
    out = tmp_path / "out"
    result = batch.issue_batch(source, out, Racing(store, profile), profile, today=TODAY, jobs=1)
    assert [row.source.row for row, _m in result.failed] == [2]
    assert "已被其他签发占用" in result.failed[0][1]
    assert [r.contract_no for r in result.issued] == ["VIP-2026-000002"]
    assert files_in(out) == ["VIP-2026-000002_北京某某科技有限公司.docx", "VIP-2026-000002_北京某某科技有限公司.pdf"]
    again = issue(source, out, store, profile)
    assert [r.contract_no for r in again.issued] == ["VIP-2026-000003"] and again.complete


def test_run_issue_exit_codes_and_summary(tmp_path, profile, fake_renderer):
    db = tmp_path / "register.json"
    source = write_csv(tmp_path / "c.csv")
    code, lines = batch.run_issue(source, db_path=db, profile=profile, out_dir=tmp_path / "out", today=TODAY,
                                  show_progress=False)
    assert code == 1 and lines[:-1] == CSV_PROBLEMS
    code, lines = batch.run_issue(source, db_path=db, profile=profile, out_dir=tmp_path / "out", today=TODAY,
                                  skip_invalid=True, jobs=1, formats="docx", show_progress=False)
    assert code == 0
    assert lines[:5] == ["批次：c（c.csv）", "本次签发：4 份", "此前已签发、本次跳过：0 份", "有误未签发：7 行", "失败：0 行"]
    assert any(line.startswith("有误的行及错误说明：") for line in lines)
    with pytest.raises(batch.InvalidInput, match="格式“odt”无效"):
        batch.run_issue(source, db_path=db, profile=profile, out_dir=tmp_path / "out", today=TODAY, formats="odt")


def test_skip_invalid_with_no_good_row_exits_1(tmp_path, profile, fake_renderer):
    """The help says 1 for rows in error: skipping every row leaves nothing issued, not success."""
    source = write_csv(tmp_path / "bad.csv", rows=CSV_ROWS[2:4])
    code, lines = batch.run_issue(source, db_path=tmp_path / "register.json", profile=profile,
                                  out_dir=tmp_path / "out", today=TODAY, skip_invalid=True, jobs=1,
                                  formats="docx", show_progress=False)
    assert code == 1 and "本次签发：0 份" in lines and "有误未签发：2 行" in lines
    assert (tmp_path / "out" / "bad-errors.xlsx").exists()


def test_a_second_batch_into_the_same_directory_waits_its_turn(tmp_path, store, profile, fake_renderer):
    from filelock import FileLock

    out = tmp_path / "out"
    out.mkdir()
    source = write_csv(tmp_path / "c.csv", rows=[CSV_ROWS[0]])
    with FileLock(str(out / ".vipcontract-batch.lock")), pytest.raises(batch.ContractError, match="另一个批量签发"):
        issue(source, out, store, profile)


def test_ctrl_c_while_a_row_is_being_recorded_waits_for_its_event(tmp_path, store, profile):
    import os
    import signal

    class CtrlCWhileRecording(batch.StoreRegistrar):
        def record_issued(self, contract_no, request, issue_date, batch_data, files):
            super().record_issued(contract_no, request, issue_date, batch_data, files)
            os.kill(os.getpid(), signal.SIGINT)

    source = write_csv(tmp_path / "c.csv", rows=[CSV_ROWS[0], CSV_ROWS[1]])
    out = tmp_path / "out"
    result = batch.issue_batch(source, out, CtrlCWhileRecording(store, profile), profile, today=TODAY, jobs=1,
                               renderer=fake_render)
    assert result.cancelled and result.exit_code == 130
    assert [r.contract_no for r in result.issued] == ["VIP-2026-000001"]  # its event was written
    assert store.contract_numbers() == ["VIP-2026-000001"]
    assert files_in(out) == ["VIP-2026-000001_张三.docx", "VIP-2026-000001_张三.pdf"]
    assert_register_consistent(store, profile, out)


def test_progress_bar_shows_count_rate_and_time_left(tmp_path, store, profile, fake_renderer):
    import io

    from rich.console import Console

    sink = io.StringIO()
    progress = batch.RichProgress(console=Console(file=sink, width=120, force_terminal=False))
    source = write_csv(tmp_path / "c.csv", rows=[CSV_ROWS[0], CSV_ROWS[1]])
    result = issue(source, tmp_path / "out", store, profile, progress=progress)
    assert result.complete
    shown = sink.getvalue()
    assert "签发中" in shown and "2/2" in shown and "份/分钟" in shown and "剩余" in shown
