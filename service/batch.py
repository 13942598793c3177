"""Batch issuing from a customer list (.xlsx or .csv): template, check, issue in parallel.

The parent process is the register's only writer: it reads the next contract numbers, claims
each row's temporary files (service.writes: a note next to the register, 0600 files in the output
directory), hands rendering to worker processes (which write those temporary files only), then for
each finished row, in number order, appends its `issued` event with the files' hashes under the
register's lock and only THEN gives the files their names. A row is recognised by the customer's
identity (ID number or credit code) and the batch key, so a second run issues nothing twice and
a run stopped at any point is carried on by the next one. A crash before the append leaves
temporary files the next run removes; a crash after it, a registered row whose files the next run
(or `check --repair`) names. No final name ever names a file the register does not hold.

A row with a signing date is an agreement already signed on paper (contracts.signed_rows): it is
numbered in the year it was issued, its issued, signed and paid events go in one append, and it
is rendered only when asked (`render_signed`); without files it never reaches a worker.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import signal
import threading
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from filelock import FileLock, Timeout

from contracts.batch_rows import (
    ERRORS_COLUMN,
    FIELD_LABELS,
    SHEET_HEADERS,
    SIGNED_HEADERS,
    SIGNED_SHEET,
    SOURCE_ROW_COLUMN,
    BatchCheck,
    CheckedRow,
    RowProblem,
    Table,
    check_rows,
    is_ignored_sheet,
)
from contracts.customer import Customer, CustomerType, mask_id
from contracts.dates import SHANGHAI
from contracts.errors import ContractError, HistoryError, InvalidInput, Problem
from contracts.events import Issued
from contracts.limits import check_file_size
from contracts.profile import Profile
from contracts.register import issued_problems
from contracts.report_model import HEAD_LABEL
from contracts.signed_rows import SIGNED_FIELDS, parse_signed_columns, signed_events
from renderers.cells import csv_row, set_text
from store.atomic import OutputExists, atomic_write
from store.fault import fault_point

from . import failures, output, register, writes
from .generate import AgreementRequest, build_agreement, parse_request
from .integrity import set_aside_warning
from .output import WrittenFile, parse_formats, safe_stem, sha256_file
from .sources import load_profile

if TYPE_CHECKING:  # rich is imported only when a progress bar is shown
    from rich.progress import TaskID

LEGACY_PART_SUFFIX = ".batch.part"  # what earlier versions rendered into (0644): removed on sight
ERRORS_SUFFIX = "-errors"


# ---------------------------------------------------------------- reading
def read_tables(path: Path) -> list[Table]:
    """The sheets of a workbook, or the one table of a CSV file, as plain values."""
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise InvalidInput(Problem("", f"找不到文件 {path}"))
    check_file_size(path.stat().st_size, "", f"客户名单 {path.name} ")
    if suffix in (".xlsx", ".xlsm"):
        return _read_workbook(path)
    if suffix in (".csv", ".txt"):
        return [_read_csv(path)]
    if suffix == ".xls":
        raise InvalidInput(Problem("", f"{path.name} 是旧版 Excel 文件，请另存为 .xlsx 或 .csv 后再试"))
    raise InvalidInput(Problem("", f"{path.name}：只支持 .xlsx 和 .csv 文件"))


def _read_workbook(path: Path) -> list[Table]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds (all in English) for a file that is not a workbook
        raise InvalidInput(Problem("", f"无法读取 {path.name}：不是有效的 .xlsx 文件（可能已损坏，"
                                       "或是改了扩展名的其他文件）")) from None
    tables: list[Table] = []
    # openpyxl warns in English about cells it cannot read (a date serial out of range becomes
    # #VALUE!); the row's problem is reported in Chinese by the validation instead.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _read_sheets(workbook, tables)
    return tables


def _read_sheets(workbook: Any, tables: list[Table]) -> None:
    try:
        for sheet in workbook.worksheets:
            if is_ignored_sheet(sheet.title):
                continue
            sheet.reset_dimensions()  # some writers record a wrong size; read what is there
            rows = list(sheet.iter_rows(min_row=1, values_only=True))
            if not rows or all(v is None for v in rows[0]):
                continue
            headers = _trim(rows[0])
            body = tuple((number, _trim(cells)) for number, cells in enumerate(rows[1:], start=2))
            tables.append(Table(sheet.title, headers, body))
    finally:
        workbook.close()


def _trim(cells: Sequence[object]) -> tuple[object, ...]:
    values = list(cells)
    while values and (values[-1] is None or values[-1] == ""):
        values.pop()
    return tuple(values)


# Encodings read as GB18030: the detector names GB2312 and GBK text by these (GB18030 contains both).
_GB_FAMILY = frozenset({"gb18030", "gbk", "gb2312", "hz", "ascii"})
# How an encoding the detector finds is named to the clerk.
_ENCODING_NAMES = {
    **dict.fromkeys(("big5", "big5hkscs", "cp950"), "Big5（繁体中文）"),
    **dict.fromkeys(("cp932", "shift_jis", "shift_jis_2004", "shift_jisx0213"), "Shift-JIS（日文）"),
    **dict.fromkeys(("euc_jp", "euc_jis_2004"), "EUC-JP（日文）"),
    **dict.fromkeys(("cp949", "euc_kr"), "EUC-KR（韩文）"),
    "utf_16": "UTF-16",
}


def decode_text(raw: bytes, name: str = "") -> str:
    """UTF-8 with or without BOM; otherwise GB18030, which Chinese Excel still writes (and UTF-16
    with its BOM, Excel's "Unicode text"). Nearly any bytes decode as GB18030, so Big5 or Shift-JIS
    would pass as mojibake: charset-normalizer is asked first, and a file it finds more plausible
    in another encoding is refused, naming that encoding."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    other = _other_encoding(raw)
    if other or text is None:
        named = f"似乎是 {other} 编码" if other else "编码无法识别"
        raise InvalidInput(Problem("", f"{name or '文件'} {named}：请在表格软件中另存为“CSV UTF-8”"
                                       "（或 GB18030 编码的 CSV）后再试")) from None
    return text


def _other_encoding(raw: bytes) -> str:
    """The encoding charset-normalizer finds for RAW when it rules GB18030 out, or finds Big5 or a
    Japanese encoding reads it better; "" otherwise. A few short Chinese names are often as
    plausible in Korean as in GB18030, and such a file is read as GB18030."""
    from charset_normalizer import from_bytes

    matches = list(from_bytes(raw))
    if not matches or matches[0].encoding in _GB_FAMILY:
        return ""
    best = matches[0]
    gb = [m for m in matches if m.encoding in _GB_FAMILY]
    rival = best.encoding in _ENCODING_NAMES and "EUC-KR" not in _ENCODING_NAMES[best.encoding]
    if not gb or (rival and gb[0].chaos > best.chaos):
        return _ENCODING_NAMES.get(best.encoding, best.encoding)
    return ""


def _read_csv(path: Path) -> Table:
    text = decode_text(path.read_bytes(), path.name)  # size checked by read_tables
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records = [tuple(c if c.strip() else None for c in row) for row in reader]
    if not records:
        return Table("", (), ())
    body = tuple((number, _trim(cells)) for number, cells in enumerate(records[1:], start=2))
    return Table("", _trim(records[0]), body)


def batch_key_for(path: Path, explicit: str | None = None) -> str:
    """`customers.xlsx` -> `customers`; a fed-back `customers-errors.xlsx` stays in batch `customers`."""
    if explicit and explicit.strip():
        return unicodedata.normalize("NFKC", explicit).strip()
    key = unicodedata.normalize("NFKC", Path(path).stem).strip()
    while key.endswith(ERRORS_SUFFIX) and len(key) > len(ERRORS_SUFFIX):
        key = key[: -len(ERRORS_SUFFIX)]
    return key


def parse_type(value: str | None) -> CustomerType | None:
    return CustomerType.parse(value) if value else None


def row_parser(profile: Profile) -> Callable[[CustomerType, Mapping[str, Any], dt.date], AgreementRequest]:
    """The validation of `generate` (parse_request), plus what the register refuses at issue time
    (an effective date before the issue date) and, for an agreement already signed, every rule
    the register applies to its signing and payments (contracts.signed_rows), so that `check`
    finds every row `issue` would refuse."""

    def parse(kind: CustomerType, data: Mapping[str, Any], today: dt.date) -> AgreementRequest:
        problems: list[Problem] = []
        request = None
        try:
            request = parse_request(kind, {k: v for k, v in data.items() if k not in SIGNED_FIELDS}, today)
        except InvalidInput as exc:
            problems += exc.problems
        try:
            issued_on, facts = parse_signed_columns(data, today)
        except InvalidInput as exc:
            problems += exc.problems
        if problems:
            raise InvalidInput(problems)
        assert request is not None
        body = Issued(issued_on or today, request.customer, request.annual_fee, profile.term_years,
                      profile.term_counting, profile.payment_days, profile.courier_deemed_days,
                      request.effective_date)
        problems = issued_problems(body)
        if not problems and facts is not None:
            # the same events the append will carry, recorded today (the number does not matter)
            now = dt.datetime.combine(today, dt.time(12), SHANGHAI)
            decided = signed_events(f"{profile.number_prefix}-{body.issued_on.year}-000000", body,
                                    facts, profile, now)
            problems = decided if isinstance(decided, list) else []
        if problems:
            raise InvalidInput(problems)
        return replace(request, issued_on=issued_on, signed=facts)

    return parse


def check_file(
    path: Path, today: dt.date, default_type: str | CustomerType | None = None, profile: Profile | None = None
) -> BatchCheck[AgreementRequest]:
    """Every row validated as `issue` will validate it, plus customers repeated in the file."""
    kind = default_type if isinstance(default_type, CustomerType) else parse_type(default_type)
    return check_rows(read_tables(path), row_parser(profile or load_profile()), today, kind)


# ---------------------------------------------------------------- writing workbooks
def _atomic_save(path: Path, save: Callable[[Path], object]) -> None:
    """The index, the errors workbook and the template: rebuilt by each run, so replaced."""
    atomic_write(path, save, overwrite=True)


_WIDTHS = {"type": 8, "name": 24, "id_number": 22, "credit_code": 22, "legal_representative": 12,
           "contact_person": 10, "phone": 16, "address": 36, "email": 26, "annual_fee": 14,
           "effective_date": 13, "issued_on": 13, "signed_on": 13, "paid_until": 12, "paid_on": 13}
_TEXT_COLUMNS = {"id_number", "credit_code", "phone"}
_REQUIRED = {
    CustomerType.INDIVIDUAL: {"name", "id_number", "phone", "address", "email", "annual_fee"},
    CustomerType.CORPORATE: {"name", "credit_code", "legal_representative", "phone", "address", "email",
                             "annual_fee"},
    None: {"type", "name", "phone", "address", "email", "annual_fee"},
    SIGNED_SHEET: {"type", "name", "phone", "address", "email", "annual_fee", "issued_on", "signed_on"},
}
_HINTS = {
    "type": "个人 或 单位（也可写 individual / corporate）",
    "name": "个人客户填姓名，单位客户填单位全称",
    "id_number": "18位居民身份证号（仅个人客户）；本列为文本格式，末位 X 大小写均可",
    "credit_code": "18位统一社会信用代码（仅单位客户）",
    "legal_representative": "法定代表人或授权代表姓名（仅单位客户）",
    "contact_person": "联系人（单位客户，可不填）",
    "phone": "11位手机号或带区号的固定电话，如 010-80000000",
    "address": "通讯地址，即通知送达地址",
    "email": "通知送达邮箱",
    "annual_fee": "年服务费，单位元，大于零，最多两位小数，如 12800 或 12800.50",
    "effective_date": "协议写明的生效日期，格式 YYYY-MM-DD，如 2025-03-10；自签署之日起生效的留空",
    "issued_on": "协议上的签发日期（已签署的合同必填），不晚于今天",
    "signed_on": "双方签署之日（填写即为已签署的合同，登记签发和签署），不晚于今天",
    "paid_until": "已付清的最后一个服务年度，如 2 即第1、2服务年度已付清；未付款填 0 或留空",
    "paid_on": "收到其中最后一笔款项之日（填写已付清至服务年度时必填），不晚于今天",
}
_EXAMPLES = {
    "type": "个人", "name": "张三", "id_number": "11010519491231002X", "credit_code": "91110000600037341L",
    "legal_representative": "李四", "contact_person": "王五", "phone": "13800000000",
    "address": "北京市朝阳区建国路88号1单元101室", "email": "zhangsan@example.com", "annual_fee": 12800,
    "effective_date": dt.date(2025, 3, 10),
}
# A signed agreement of the 已签署合同 sheet: issued, signed the same week, effective on signing
# (生效日期 left empty), the first service year paid.
_SIGNED_EXAMPLE = {**_EXAMPLES, "credit_code": None, "legal_representative": None, "contact_person": None,
                   "effective_date": None, "issued_on": dt.date(2024, 3, 1),
                   "signed_on": dt.date(2024, 3, 8), "paid_until": 1, "paid_on": dt.date(2024, 3, 20)}
_DAY_COLUMNS = ("effective_date", "issued_on", "signed_on", "paid_on")
_CORPORATE_EXAMPLE = {"type": "单位", "name": "北京某某科技有限公司", "phone": "010-80000000",
                      "address": "北京市海淀区上地十街10号", "email": "it@example.com", "annual_fee": 98000}
SHEET_TITLES = {CustomerType.INDIVIDUAL: "个人客户", CustomerType.CORPORATE: "单位客户", None: "混合名单"}
TEMPLATE_ROWS = 1000  # rows that carry the data validation and the text format


def _header_cell(ws: Any, column: int, field_name: str, label: str, required: bool) -> None:
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill

    cell = ws.cell(row=1, column=column, value=label)
    cell.font = Font(bold=True, color="FFFFFF" if required else "000000")
    cell.fill = PatternFill("solid", fgColor="1F4E79" if required else "D9E1F2")
    cell.alignment = Alignment(horizontal="center", vertical="center")
    note = f"{field_name}{'（必填）' if required else ''}：{_HINTS[field_name]}"
    cell.comment = Comment(note, "vipcontract", width=260, height=90)


def _format_columns(ws, fields: Sequence[str], rows: int) -> None:
    """Widths, a frozen header, column formats (as column styles: no empty cells are created, so
    the first row a clerk or a program adds is row 2) and data validation on the first `rows` rows."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 22
    for index, name in enumerate(fields, start=1):
        letter = get_column_letter(index)
        column = ws.column_dimensions[letter]
        column.width = _WIDTHS.get(name, 14)
        span = f"{letter}2:{letter}{rows + 1}"
        if name in _TEXT_COLUMNS:
            column.number_format = "@"  # an 18-digit number would lose its last digits
            continue
        if name in _DAY_COLUMNS:
            column.number_format = "yyyy-mm-dd"
            title = FIELD_LABELS[name]
            dv = DataValidation(type="date", operator="between", formula1="36526", formula2="73415",
                                allow_blank=True, showErrorMessage=True, errorTitle=title,
                                error="请填写 2000-01-01 至 2100-12-31 之间的日期，格式 YYYY-MM-DD",
                                promptTitle=title, prompt=_HINTS[name], showInputMessage=True)
        elif name == "paid_until":
            dv = DataValidation(type="whole", operator="between", formula1="0", formula2="100",
                                allow_blank=True, showErrorMessage=True, errorTitle="已付清至服务年度",
                                error="请填写已付清的最后一个服务年度（整数），未付款填 0",
                                promptTitle="已付清至服务年度", prompt=_HINTS[name], showInputMessage=True)
        elif name == "annual_fee":
            column.number_format = "#,##0.00"
            dv = DataValidation(type="decimal", operator="greaterThan", formula1="0", allow_blank=True,
                                showErrorMessage=True, errorTitle="年服务费",
                                error="年服务费应为大于零的金额（元），最多两位小数",
                                promptTitle="年服务费", prompt=_HINTS[name], showInputMessage=True)
        elif name == "type":
            dv = DataValidation(type="list", formula1='"个人,单位"', allow_blank=True, showErrorMessage=True,
                                errorTitle="类型", error="请从列表中选择：个人 或 单位",
                                promptTitle="类型", prompt=_HINTS[name], showInputMessage=True)
        else:
            continue
        ws.add_data_validation(dv)
        dv.add(span)


def check_template_name(path: Path) -> None:
    """Only the two kinds of file `batch check` reads back."""
    if Path(path).suffix.lower() not in (".xlsx", ".csv"):
        raise InvalidInput(Problem("", f"{Path(path).name}：模板请使用 .xlsx（或 .csv）文件名"))


def write_template(path: Path) -> Path:
    """An empty customer list: a sheet per customer type, a mixed list with a 类型 column, and
    a 填写说明 sheet with the instructions and one example row per type (never issued)."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        labels = [label for _f, label in SHEET_HEADERS[None]]
        _atomic_save(path, lambda tmp: tmp.write_text(",".join(labels) + "\r\n", encoding="utf-8-sig"))
        return path
    check_template_name(path)
    from openpyxl import Workbook

    wb = Workbook()
    assert wb.active is not None  # a new workbook has one sheet, active
    wb.remove(wb.active)
    for kind in (CustomerType.INDIVIDUAL, CustomerType.CORPORATE, None):
        ws = wb.create_sheet(SHEET_TITLES[kind])
        fields = [f for f, _label in SHEET_HEADERS[kind]]
        for column, (name, label) in enumerate(SHEET_HEADERS[kind], start=1):
            _header_cell(ws, column, name, label, name in _REQUIRED[kind])
        _format_columns(ws, fields, TEMPLATE_ROWS)
    # Agreements signed before the office used the register: registered, not written again.
    ws = wb.create_sheet(SIGNED_SHEET)
    for column, (name, label) in enumerate(SIGNED_HEADERS, start=1):
        _header_cell(ws, column, name, label, name in _REQUIRED[SIGNED_SHEET])
    _format_columns(ws, [f for f, _label in SIGNED_HEADERS], TEMPLATE_ROWS)
    _instructions(wb.create_sheet("填写说明"))
    _atomic_save(path, wb.save)
    return path


def _instructions(ws) -> None:
    from openpyxl.styles import Font

    lines = [
        "批量签发客户名单：填写说明",
        "1. 个人客户填在“个人客户”工作表，单位客户填在“单位客户”工作表，工作表名称决定客户类型；"
        "也可以全部填在“混合名单”中，用“类型”列（个人/单位）区分。",
        "2. 第1行是表头，不要修改；从第2行起每行一位客户。深色表头为必填项，把鼠标移到表头上可以看到说明。",
        "3. 身份证号、统一社会信用代码、联系电话请保持文本格式，否则 Excel 会把18位号码的末几位变成0。",
        "4. 年服务费单位为元；生效日期格式为 YYYY-MM-DD，协议尚未签署时留空。",
        "5. 同一文件中每位客户（同一身份证号或统一社会信用代码）只能出现一次。",
        "6. 填好后先运行 vipcontract batch check 文件名.xlsx 检查，"
        "再运行 vipcontract batch issue 文件名.xlsx --out 目录。",
        "7. 本工作表中的示例只作说明，不会被签发。",
        "8. 已经签署的纸质协议填在“已签署合同”工作表：填写签发日期和签署日期（不晚于今天），"
        "协议写明生效日期的填写生效日期，自签署之日起生效的留空；已收款的填写已付清至第几服务年度"
        "和收到最后一笔款项的付款日期。batch issue 登记签发、签署和付款，不再生成协议文件"
        "（需要时加 --render）；合同编号按签发日期的年份由登记簿分配。",
    ]
    ws.column_dimensions["A"].width = 14
    for row, line in enumerate(lines, start=1):
        ws.cell(row=row, column=1, value=line).font = Font(bold=row == 1, size=14 if row == 1 else 11)
    row = len(lines) + 2
    for kind, example in ((CustomerType.INDIVIDUAL, _EXAMPLES),
                          (CustomerType.CORPORATE, {**_EXAMPLES, **_CORPORATE_EXAMPLE})):
        ws.cell(row=row, column=1, value=f"示例：{SHEET_TITLES[kind]}").font = Font(bold=True)
        row += 1
        for column, (name, label) in enumerate(SHEET_HEADERS[kind], start=1):
            ws.cell(row=row, column=column, value=label).font = Font(bold=True)
            cell = ws.cell(row=row + 1, column=column, value=example[name])
            if name == "effective_date":
                cell.number_format = "yyyy-mm-dd"
        row += 3
    ws.cell(row=row, column=1, value=f"示例：{SIGNED_SHEET}").font = Font(bold=True)
    for column, (name, label) in enumerate(SIGNED_HEADERS, start=1):
        ws.cell(row=row + 1, column=column, value=label).font = Font(bold=True)
        cell = ws.cell(row=row + 2, column=column, value=_SIGNED_EXAMPLE.get(name))
        if name in _DAY_COLUMNS:
            cell.number_format = "yyyy-mm-dd"


def errors_workbook_path(source: Path, out_dir: Path) -> Path:
    return Path(out_dir) / f"{Path(source).stem}{ERRORS_SUFFIX}.xlsx"


def write_errors_workbook(
    rows: Sequence[CheckedRow[Any]], path: Path, default_type: CustomerType | None = None
) -> Path:
    """The bad rows as written, with their columns, plus 错误说明 and 原行号: fix and feed back.

    Each source sheet keeps its name (so a typed sheet still decides the type); a CSV's rows go to
    a sheet named after the type given with --type when the file has no 类型 column."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    bad = PatternFill("solid", fgColor="F8CBAD")
    wb = Workbook()
    assert wb.active is not None  # a new workbook has one sheet, active
    wb.remove(wb.active)
    sheets: dict[str, Any] = {}
    for checked in rows:
        source = checked.source
        title = source.sheet or (
            SHEET_TITLES[default_type] if default_type and "type" not in source.columns else "客户名单"
        )
        ws = sheets.get(title)
        if ws is None:
            ws = sheets[title] = wb.create_sheet(title[:31])
            headers = [*source.headers, ERRORS_COLUMN, SOURCE_ROW_COLUMN]
            for column, header in enumerate(headers, start=1):
                set_text(ws.cell(row=1, column=column), header)
                ws.cell(row=1, column=column).font = Font(bold=True)
            fields = {column: name for name, column in source.columns.items()}
            for index, header in enumerate(source.headers, start=1):
                ws.column_dimensions[get_column_letter(index)].width = _WIDTHS.get(fields.get(header, ""), 14)
            ws.column_dimensions[get_column_letter(len(source.headers) + 1)].width = 60
            ws.freeze_panes = "A2"
        target = ws.max_row + 1
        text_columns = {source.columns[f] for f in _TEXT_COLUMNS if f in source.columns}
        problem_columns: dict[str, list[str]] = {}
        for problem in checked.problems:
            problem_columns.setdefault(problem.column, []).append(problem.message)
        for column, (header, value) in enumerate(zip(source.headers, source.cells, strict=False), start=1):
            cell = ws.cell(row=target, column=column)
            set_text(cell, value)  # as written in the list, and never a formula
            if header in text_columns:
                cell.number_format = "@"
            if isinstance(value, dt.date | dt.datetime):
                cell.number_format = "yyyy-mm-dd"
            if header in problem_columns:
                cell.fill = bad
                cell.comment = Comment("\n".join(problem_columns[header]), "vipcontract")
        message = "\n".join(f"{p.column}：{p.message}" if p.column else p.message for p in checked.problems)
        note = ws.cell(row=target, column=len(source.headers) + 1)
        set_text(note, message)
        note.alignment = Alignment(wrap_text=True, vertical="top")
        ws.cell(row=target, column=len(source.headers) + 2, value=source.row)
    if not sheets:
        wb.create_sheet("客户名单")
    _atomic_save(Path(path), wb.save)
    return Path(path)


# ---------------------------------------------------------------- the register, as the batch needs it
@dataclass(frozen=True)
class IssuedFile:
    format: str
    path: str
    sha256: str


@dataclass(frozen=True)
class IssuedRecord:
    """One contract issued by a batch, as the register recorded it."""

    contract_no: str
    customer_type: str
    customer_name: str
    identity: str
    annual_fee: str
    issue_date: str
    files: tuple[IssuedFile, ...]
    batch_key: str
    source: str = ""  # where the row was: "个人客户 第3行"
    signed: bool = False  # an agreement already signed, brought in by this run


class Registrar(Protocol):
    """What batch issuing needs from the register; the parent process is its only caller."""

    def issued_in_batch(self, batch_key: str) -> list[IssuedRecord]:
        """Every contract already issued under this batch key."""

    def next_numbers(self, count: int, issue_date: dt.date) -> list[str]:
        """The next `count` free contract numbers, in order, without taking them."""

    def second_contracts(self, customers: Sequence[Customer], today: dt.date) -> dict[str, list[Problem]]:
        """By identity (upper case), why each customer who has a contract not ended would get a
        second one (service.register.second_contracts)."""

    def head(self) -> str:
        """The register's head as last read ("第 N 行 <hash>"), "" for an empty register."""

    def record_issued(
        self, contract_no: str, request: AgreementRequest, issue_date: dt.date, batch: Mapping[str, str],
        files: Sequence[WrittenFile],
    ) -> None:
        """Under the register's writers' lock: raise AlreadyTaken if `contract_no` is taken or the
        customer was already issued under `batch["key"]`; otherwise append the `issued` event with
        `files` (their final names and sha256; the caller names them once this returns) and
        `batch` in its data, and for an agreement already signed (request.signed) its signed and
        paid events in the same append."""

    def recover(self) -> None:
        """Finish or remove what a killed writer left (service.writes.recover)."""

    def staging(self, contract_no: str, targets: Sequence[writes.Target]) -> writes.Staging:
        """Claim the temporary files of one row (service.writes.Staging)."""


class AlreadyTaken(ContractError):
    """The contract number, or the customer in this batch, was taken meanwhile by another writer."""


class StoreRegistrar:
    """The Registrar over the register service (service/register.py) and its store."""

    def __init__(self, store: Any, profile: Profile, now: Callable[[], dt.datetime] | None = None):
        self.store, self.profile, self._now = store, profile, now

    def issued_in_batch(self, batch_key: str) -> list[IssuedRecord]:
        records = []
        for contract_no, body in register.issued_in_batch(self.store, batch_key):
            batch = dict(body.batch)
            where = f"{batch.get('sheet', '')} 第{batch['row']}行".strip() if batch.get("row") else ""
            records.append(IssuedRecord(
                contract_no, body.customer.type.value, body.customer.name, body.customer.identity,
                format(body.annual_fee, "f"), body.issued_on.isoformat(),
                tuple(IssuedFile(f.format, f.name, f.sha256) for f in body.files), batch_key, where,
            ))
        return records

    def next_numbers(self, count: int, issue_date: dt.date) -> list[str]:
        return register.next_contract_numbers(self.store, self.profile.number_prefix, issue_date.year, count)

    def second_contracts(self, customers: Sequence[Customer], today: dt.date) -> dict[str, list[Problem]]:
        return register.second_contracts(self.store, self.profile, customers, today)

    def head(self) -> str:
        head = self.store.head()
        return head.text() if head else ""

    def record_issued(
        self, contract_no: str, request: AgreementRequest, issue_date: dt.date, batch: Mapping[str, str],
        files: Sequence[WrittenFile],
    ) -> None:
        with self.store.locked():  # re-entrant: register.record_issued takes it again
            if self.store.history(contract_no):
                raise AlreadyTaken(f"合同编号 {contract_no} 已被其他签发占用")
            try:
                register.record_issued(self.store, self.profile, contract_no, request, issue_date, files,
                                       batch=batch, now=self._now() if self._now else None)
            except HistoryError as exc:
                raise AlreadyTaken(str(exc)) from None

    def recover(self) -> None:
        writes.recover(self.store)

    def staging(self, contract_no: str, targets: Sequence[writes.Target]) -> writes.Staging:
        return writes.Staging(self.store, contract_no, targets, self.profile.document_mode)


# ---------------------------------------------------------------- workers
_WORKER: dict[str, Any] = {}


def _worker_init(profile: Profile, renderer: Callable[[Any, str, Path], None] | None,
                 formats: Sequence[str]) -> None:
    """Runs once per worker: ignore Ctrl-C (the parent decides), load the renderers' fonts and templates."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER["profile"] = profile
    _WORKER["renderer"] = renderer
    if renderer is None:
        warm_renderers(formats)


def warm_renderers(formats: Iterable[str]) -> None:
    """Import each renderer and let it load what it caches (fonts, templates) before the first row."""
    import importlib

    for fmt in formats:
        try:
            module = importlib.import_module(f"renderers.{fmt}")
        except ImportError:
            continue
        # A renderer's own `warm()` if it has one; else what each renderer caches per process:
        # the PDF renderer's fonts and stylesheet, the DOCX template and its jinja2 environment.
        names = ("warm",) if callable(getattr(module, "warm", None)) else (
            "get_renderer", "template_bytes", "jinja_env")
        for name in names:
            cached = getattr(module, name, None)
            if callable(cached):
                cached()


@dataclass(frozen=True)
class RenderTask:
    index: int
    contract_no: str
    request: AgreementRequest
    issue_date: dt.date
    out_dir: str
    stem: str  # the files are out_dir/stem.fmt, rendered first to the temporary files in `temps`
    formats: tuple[str, ...]
    temps: tuple[str, ...] = ()  # one per format, claimed by the parent (service.writes.Staging)

    def part(self, fmt: str) -> Path:
        return Path(self.temps[self.formats.index(fmt)])

    def final(self, fmt: str) -> Path:
        return Path(self.out_dir) / f"{self.stem}.{fmt}"

    def targets(self) -> list[writes.Target]:
        return [writes.Target(self.final(fmt), fmt) for fmt in self.formats]


@dataclass(frozen=True)
class Rendered:
    index: int
    hashes: tuple[tuple[str, str], ...]  # (format, sha256)


def render_task(task: RenderTask) -> Rendered:
    """Build the agreement and render every format to its temporary path; nothing else is touched."""
    doc = build_agreement(_WORKER["profile"], task.request, task.contract_no, task.issue_date)
    render = _WORKER.get("renderer") or output.render_to
    hashes = []
    for fmt in task.formats:
        path = task.part(fmt)
        render(doc, fmt, path)
        os.chmod(path, 0o600)  # a renderer that replaced the file keeps it private
        with open(path, "rb") as fh:
            os.fsync(fh.fileno())
        hashes.append((fmt, sha256_file(path)))
        fault_point("rendered")
    return Rendered(task.index, tuple(hashes))


# ---------------------------------------------------------------- issuing
class Progress(Protocol):
    def start(self, total: int) -> None: ...
    def advance(self, done: int = 1) -> None: ...
    def stop(self) -> None: ...


class NoProgress:
    def start(self, total: int) -> None:
        pass

    def advance(self, done: int = 1) -> None:
        pass

    def stop(self) -> None:
        pass


@dataclass
class BatchResult:
    source: Path
    batch_key: str
    out_dir: Path
    check: BatchCheck[AgreementRequest]
    refused: bool = False  # invalid rows and no --skip-invalid: nothing was written
    issued: list[IssuedRecord] = field(default_factory=list)  # by this run
    skipped: list[CheckedRow[AgreementRequest]] = field(default_factory=list)  # issued by an earlier run
    failed: list[tuple[CheckedRow[AgreementRequest], str]] = field(default_factory=list)
    not_started: int = 0  # valid rows left for the next run
    interrupted: str = ""  # why the run stopped early (Ctrl-C, a worker that died)
    cancelled: bool = False  # stopped by Ctrl-C
    errors_path: Path | None = None
    index_paths: tuple[Path, ...] = ()
    register_head: str = ""  # the head of the register the index was made from

    @property
    def invalid(self) -> list[CheckedRow[AgreementRequest]]:
        return self.check.invalid

    @property
    def complete(self) -> bool:
        """Every row issued (now or before): nothing invalid, failed or left over."""
        return not (self.refused or self.invalid or self.failed or self.interrupted or self.not_started)

    @property
    def exit_code(self) -> int:
        """0: every valid row is issued (invalid rows skipped on request); 1: refused, a row failed,
        a worker died, or every row was invalid (skipping them left nothing to issue: a script
        must not take that for success); 130: stopped by Ctrl-C. Either way, running again
        carries on."""
        if self.cancelled:
            return failures.INTERRUPTED_EXIT
        nothing_valid = bool(self.invalid) and not (self.issued or self.skipped)
        return 1 if (self.refused or self.failed or self.interrupted or self.not_started or nothing_valid) else 0


def issue_batch(
    source: Path,
    out_dir: Path,
    registrar: Registrar,
    profile: Profile,
    *,
    today: dt.date,
    formats: Sequence[str] = ("docx", "pdf"),
    jobs: int | None = None,
    skip_invalid: bool = False,
    batch_key: str | None = None,
    default_type: str | CustomerType | None = None,
    progress: Progress | None = None,
    renderer: Callable[[Any, str, Path], None] | None = None,
    render_signed: bool = False,
    allow_second: bool = False,
) -> BatchResult:
    """Validate every row, then issue the valid rows not yet issued under the batch key.
    A row for a customer who already has a contract not ended is invalid unless `allow_second`
    (as `issue` asks for --allow-second).

    Invalid rows refuse the whole batch (nothing written) unless `skip_invalid`, which issues the
    good rows and writes the bad ones to `<stem>-errors.xlsx` in `out_dir`. `jobs` worker processes
    render (default: one per CPU; 1: in this process); `renderer` replaces
    `service.output.render_to` (tests). Ctrl-C or a worker that dies ends the run early with
    `result.interrupted` set: what was recorded stays, nothing half-written is left, and running
    the same command again carries on."""
    source, out_dir = Path(source), Path(out_dir)
    kind = default_type if isinstance(default_type, CustomerType) else parse_type(default_type)
    check = check_rows(read_tables(source), row_parser(profile), today, kind)
    key = batch_key_for(source, batch_key)
    if not allow_second and not check.header_problems:
        refuse_second_contracts(check, registrar, key, today)
    result = BatchResult(source, key, out_dir, check)
    if check.header_problems or (check.invalid and not skip_invalid):
        result.refused = True
        return result
    out_dir.mkdir(parents=True, exist_ok=True)
    with _batch_lock(out_dir):
        _remove_stale_parts(out_dir)
        registrar.recover()
        if check.invalid:
            result.errors_path = write_errors_workbook(check.invalid, errors_workbook_path(source, out_dir), kind)
        done = {r.identity for r in registrar.issued_in_batch(key)}
        todo: list[CheckedRow[AgreementRequest]] = []
        for row in check.valid:
            assert row.request is not None
            (result.skipped if row.request.customer.identity in done else todo).append(row)
        with _sigint_restored():
            try:
                if todo:
                    _issue_rows(todo, result, registrar, profile, today, tuple(formats), jobs,
                                progress or NoProgress(), renderer, render_signed)
            except KeyboardInterrupt:
                # One Ctrl-C stops the run; a second one must not cut the clean-up and the index short.
                _ignore_sigint()
                result.interrupted, result.cancelled = "已按 Ctrl-C 中断", True
            finally:
                records = registrar.issued_in_batch(key)
                result.register_head = registrar.head()  # of the read that gave `records`
                result.index_paths = write_index(records, out_dir, key, result.register_head)
    return result


def refuse_second_contracts(
    check: BatchCheck[AgreementRequest], registrar: Registrar, batch_key: str, today: dt.date
) -> None:
    """Mark invalid each valid row whose customer already has a contract not ended, as single
    `issue` refuses it without --allow-second: the row and the ID column named, the contracts
    listed. Rows this batch issued before (a run carried on) are not second contracts."""
    done = {r.identity.strip().upper() for r in registrar.issued_in_batch(batch_key)}
    rows = [r for r in check.valid if r.request is not None
            and r.request.customer.identity.strip().upper() not in done]
    if not rows:
        return
    found = registrar.second_contracts([r.request.customer for r in rows if r.request is not None], today)
    for row in rows:
        assert row.request is not None
        customer = row.request.customer
        problems = found.get(customer.identity.strip().upper())
        if problems:
            column = row.source.column("id_number" if customer.is_individual else "credit_code")
            refused = tuple(RowProblem(row.source.sheet, row.source.row, column, p.message) for p in problems)
            check.rows[check.rows.index(row)] = replace(row, request=None, problems=refused)


@contextmanager
def _batch_lock(out_dir: Path) -> Iterator[None]:
    """One batch run per output directory at a time (its temporary files are cleaned up by name)."""
    lock = FileLock(str(out_dir / ".vipcontract-batch.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise ContractError(f"另一个批量签发正在向 {out_dir} 输出，请等它结束后再运行") from None
    try:
        yield
    finally:
        lock.release()


def _remove_stale_parts(out_dir: Path) -> None:
    """Temporary files an earlier version left behind (we hold the directory's batch lock); this
    version's are named in notes next to the register and finished or removed by `recover`."""
    for part in out_dir.glob(f".*{LEGACY_PART_SUFFIX}"):
        part.unlink(missing_ok=True)


def issue_day(row: CheckedRow[AgreementRequest], today: dt.date) -> dt.date:
    """The day the row's agreement is (or was) issued."""
    assert row.request is not None
    return row.request.issued_on or today


def _issue_rows(
    todo: list[CheckedRow[AgreementRequest]], result: BatchResult, registrar: Registrar, profile: Profile,
    today: dt.date, formats: tuple[str, ...], jobs: int | None, progress: Progress,
    renderer: Callable[[Any, str, Path], None] | None, render_signed: bool = False,
) -> None:
    # A contract is numbered in the year it was issued, like any other: agreements brought in
    # take the next free numbers of their issue years, in order of issue date.
    todo.sort(key=lambda r: issue_day(r, today))
    by_year: dict[int, list[int]] = {}
    for position, row in enumerate(todo):
        by_year.setdefault(issue_day(row, today).year, []).append(position)
    numbers: dict[int, str] = {}
    for year, positions in sorted(by_year.items()):
        numbers.update(zip(positions, registrar.next_numbers(len(positions), dt.date(year, 1, 1)), strict=True))
    tasks: list[RenderTask] = []
    for index, row in enumerate(todo):
        assert row.request is not None
        number = numbers[index]
        stem = safe_stem(number, row.request.customer.name)
        # an agreement already signed exists on paper: rendered again only when asked to
        chosen = formats if row.request.signed is None or render_signed else ()
        tasks.append(RenderTask(index, number, row.request, issue_day(row, today), str(result.out_dir), stem,
                                chosen))
    jobs = 1 if not any(t.formats for t in tasks) else min(max(1, jobs or default_jobs()), len(tasks))
    committer = _Committer(todo, tasks, result, registrar)
    progress.start(len(tasks))
    try:
        if jobs == 1:
            _run_here(tasks, committer, profile, renderer, progress)
        else:
            _run_pool(tasks, committer, profile, renderer, formats, jobs, progress)
    finally:
        progress.stop()
        committer.discard_uncommitted()
        result.not_started = len(tasks) - committer.settled


def default_jobs() -> int:
    """The CPUs this process may run on (a container may allow fewer than the machine has)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _run_here(tasks: list[RenderTask], committer: _Committer, profile: Profile,
              renderer: Callable[[Any, str, Path], None] | None, progress: Progress) -> None:
    _WORKER["profile"], _WORKER["renderer"] = profile, renderer
    for task in tasks:
        claimed = committer.claim(task)
        if claimed is not None and not claimed.formats:
            committer.done(Rendered(task.index, ()))
        elif claimed is not None:
            try:
                rendered = render_task(claimed)
            except Exception as exc:  # one row's rendering failed: report it, carry on
                committer.failed(task.index, exc)
            else:
                committer.done(rendered)
        progress.advance(committer.take_advance())


def _run_pool(tasks: list[RenderTask], committer: _Committer, profile: Profile,
              renderer: Callable[[Any, str, Path], None] | None, formats: Sequence[str], jobs: int,
              progress: Progress) -> None:
    """At most 2 × jobs rows in flight: an interruption wastes little, numbers stay in order."""
    window = jobs * 2
    pending: dict[Future[Rendered], RenderTask] = {}
    queue = iter(tasks)
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=_worker_init, initargs=(profile, renderer, formats))

    def submit(task: RenderTask) -> None:
        claimed = committer.claim(task)  # a row refused here is settled by the committer
        if claimed is not None and not claimed.formats:
            committer.done(Rendered(task.index, ()))  # nothing to render: recorded here
        elif claimed is not None:
            pending[pool.submit(render_task, claimed)] = claimed

    try:
        # The workers are forked on the first submit with this process's handler; a Ctrl-C
        # before their initializer ignores it would print a traceback from each of them, so it is
        # held (in them too) and raised here once the first rows are submitted.
        with writes.interrupt_guard() as guard:
            guard.hold()
            for task in queue:
                submit(task)
                if len(pending) >= window:
                    break
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                task = pending.pop(future)
                try:
                    rendered = future.result()
                except BrokenProcessPool:
                    raise
                except Exception as exc:
                    committer.failed(task.index, exc)
                else:
                    committer.done(rendered)
                progress.advance(committer.take_advance())
                while len(pending) < window and (following := next(queue, None)) is not None:
                    submit(following)
    except BrokenProcessPool:
        # Raised by a future's result or by submit() once the pool has broken: either way a
        # worker died.
        committer.result.interrupted = "一个工作进程意外退出"
        pool.shutdown(wait=True, cancel_futures=True)
    except BaseException:
        _stop_pool(pool)
        raise
    else:
        pool.shutdown(wait=True)


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Ctrl-C: stop the workers now and wait until they are gone. They only ever write temporary
    files, which are removed after them (`discard_uncommitted`), so nothing is lost by cutting a
    row short. A second Ctrl-C meanwhile is ignored: interrupting the wait left workers running
    and the process hanging at exit."""
    _ignore_sigint()  # until issue_batch has cleaned up and written the index (_sigint_restored)
    # The executor has no public way to stop a running worker; its processes are terminated
    # directly, then shut down (which joins them).
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()
    pool.shutdown(wait=True, cancel_futures=True)


def _ignore_sigint() -> None:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def _sigint_restored() -> Iterator[None]:
    """Ctrl-C as it was before the block, whatever the block did to it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.SIG_DFL)


class _Committer:
    """Claims each row's temporary files, then records finished rows and names their files, in
    number order, from the parent only."""

    def __init__(self, rows: list[CheckedRow[AgreementRequest]], tasks: list[RenderTask],
                 result: BatchResult, registrar: Registrar):
        self.rows, self.tasks, self.result, self.registrar = rows, tasks, result, registrar
        self.ready: dict[int, Rendered | BaseException] = {}
        self.staged: dict[int, writes.Staging] = {}
        self.next = 0  # every task before this one is recorded or has failed
        self.settled = 0
        self._advance = 0

    def claim(self, task: RenderTask) -> RenderTask | None:
        """The task with its temporary files claimed; None (the row failed) when they cannot
        be, e.g. a file of that name is already in the output directory."""
        if not task.formats:
            return task  # a signed agreement registered without its files: nothing to claim
        try:
            stage = self.registrar.staging(task.contract_no, task.targets())
        except ContractError as exc:
            self.failed(task.index, exc)
            return None
        self.staged[task.index] = stage
        self.tasks[task.index] = task = replace(task, temps=tuple(str(t) for t in stage.temps))
        return task

    def done(self, rendered: Rendered) -> None:
        self.ready[rendered.index] = rendered
        self._flush()

    def failed(self, index: int, exc: BaseException) -> None:
        self.ready[index] = exc
        self._flush()

    def take_advance(self) -> int:
        n, self._advance = self._advance, 0
        return n

    def _flush(self) -> None:
        while self.next in self.ready:
            # Ctrl-C waits until a row's event is written and its files named (or neither).
            with writes.interrupt_guard() as guard:
                guard.hold()
                outcome = self.ready[self.next]
                task, row = self.tasks[self.next], self.rows[self.next]
                stage = self.staged.pop(self.next, None)
                if isinstance(outcome, BaseException):
                    if stage is not None:
                        stage.discard()
                    self.result.failed.append((row, _describe(outcome)))
                elif stage is None:
                    self._commit_unrendered(task, row)
                else:
                    self._commit(task, row, stage)
                del self.ready[self.next]
                self.next += 1
                self.settled += 1
                self._advance += 1

    def _batch(self, row: CheckedRow[AgreementRequest]) -> dict[str, str]:
        return {"key": self.result.batch_key, "source": self.result.source.name,
                "sheet": row.source.sheet, "row": str(row.source.row)}

    def _commit_unrendered(self, task: RenderTask, row: CheckedRow[AgreementRequest]) -> None:
        """A signed agreement that exists on paper: its events, one append, no file."""
        try:
            self.registrar.record_issued(task.contract_no, task.request, task.issue_date, self._batch(row), ())
        except (AlreadyTaken, InvalidInput) as exc:
            again = "；请重新运行本命令" if isinstance(exc, AlreadyTaken) else ""
            self.result.failed.append((row, _describe(exc) + again))
            return
        self.result.issued.append(_record(task, row, (), self.result.batch_key))

    def _commit(self, task: RenderTask, row: CheckedRow[AgreementRequest], stage: writes.Staging) -> None:
        batch = self._batch(row)
        with stage:  # not committed: the temporary files and the note go
            files = stage.files()
            try:
                stage.check_free()
                stage.keep()  # the bytes first: an event never names bytes the register lacks
                self.registrar.record_issued(task.contract_no, task.request, task.issue_date, batch, files)
            except (AlreadyTaken, InvalidInput, OutputExists) as exc:
                again = "；请重新运行本命令" if isinstance(exc, AlreadyTaken) else ""
                self.result.failed.append((row, _describe(exc) + again))
                return
            stage.committed = True
            fault_point("appended")
            stage.place()
        self.result.issued.append(_record(task, row, files, self.result.batch_key))

    def discard_uncommitted(self) -> None:
        for stage in self.staged.values():
            stage.discard()
        self.staged.clear()
        self.ready.clear()


def _record(task: RenderTask, row: CheckedRow[AgreementRequest], written: Sequence[WrittenFile],
            batch_key: str) -> IssuedRecord:
    customer = task.request.customer
    return IssuedRecord(
        task.contract_no, customer.type.value, customer.name, customer.identity,
        format(task.request.annual_fee, "f"), task.issue_date.isoformat(),
        tuple(IssuedFile(w.format, str(w.path), w.sha256) for w in written), batch_key,
        row.source.sheet + (" " if row.source.sheet else "") + f"第{row.source.row}行",
        task.request.signed is not None,
    )


def _describe(exc: BaseException) -> str:
    if isinstance(exc, InvalidInput):
        return "；".join(str(p) for p in exc.problems)
    return f"{type(exc).__name__}: {exc}" if not isinstance(exc, ContractError) else str(exc)


# ---------------------------------------------------------------- the batch index
INDEX_HEADERS = ("合同编号", "客户名称", "客户类型", "证件号码", "年服务费（元）", "签发日期",
                 "DOCX 文件", "DOCX SHA-256", "PDF 文件", "PDF SHA-256", "原表位置")


def index_paths(out_dir: Path, batch_key: str) -> tuple[Path, Path]:
    stem = safe_stem(batch_key) + "-index"
    return Path(out_dir) / f"{stem}.csv", Path(out_dir) / f"{stem}.xlsx"


def index_rows(records: Iterable[IssuedRecord], out_dir: Path) -> list[list[str]]:
    rows = []
    for record in sorted(records, key=lambda r: r.contract_no):
        files = {f.format: f for f in record.files}
        kind = CustomerType(record.customer_type)
        identity = mask_id(record.identity) if kind is CustomerType.INDIVIDUAL else record.identity
        row = [record.contract_no, record.customer_name, kind.label, identity, record.annual_fee, record.issue_date]
        for fmt in ("docx", "pdf"):
            item = files.get(fmt)
            row += [_relative(item.path, out_dir), item.sha256] if item else ["", ""]
        rows.append([*row, record.source])
    return rows


def _relative(path: str, out_dir: Path) -> str:
    if not Path(path).is_absolute():
        return str(path)  # the register records file names
    try:
        return str(Path(path).resolve().relative_to(Path(out_dir).resolve()))
    except ValueError:
        return str(path)


def write_index(records: Iterable[IssuedRecord], out_dir: Path, batch_key: str, head: str = "") -> tuple[Path, Path]:
    """`<batch>-index.csv` (UTF-8 with BOM, for Excel) and `.xlsx`: every contract of the batch,
    rebuilt from the register each run, so it always lists the earlier runs too; the last line
    names the register head it was made from."""
    rows = index_rows(records, out_dir)
    if head:
        rows.append([f"{HEAD_LABEL}：{head}"])
    csv_path, xlsx_path = index_paths(out_dir, batch_key)

    def save_csv(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(INDEX_HEADERS)
            writer.writerows(csv_row(row) for row in rows)

    def save_xlsx(tmp: Path) -> None:
        from openpyxl import Workbook
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        wb = Workbook()
        ws = wb.active
        assert ws is not None  # a new workbook has one sheet, active
        ws.title = "签发清单"
        ws.append(list(INDEX_HEADERS))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for r, row in enumerate(rows, start=2):
            for column, value in enumerate(row, start=1):
                set_text(ws.cell(row=r, column=column), value)
        for index, width in enumerate((20, 26, 10, 22, 14, 12, 40, 66, 40, 66, 16), start=1):
            ws.column_dimensions[get_column_letter(index)].width = width
        ws.freeze_panes = "A2"
        wb.save(tmp)

    _atomic_save(csv_path, save_csv)
    _atomic_save(xlsx_path, save_xlsx)
    return csv_path, xlsx_path


def read_index(path: Path) -> list[dict[str, str]]:
    """The batch index read back (CSV or XLSX), one dict per contract keyed by the Chinese headers."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
    else:
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True)
        try:
            sheet = wb.active
            assert sheet is not None  # write_index saves one sheet, active
            values = list(sheet.iter_rows(values_only=True))
        finally:
            wb.close()
        headers = [str(h) for h in values[0]]
        rows = [{h: "" if v is None else str(v) for h, v in zip(headers, row, strict=False)} for row in values[1:]]
    return [row for row in rows if not str(row.get(INDEX_HEADERS[0]) or "").startswith(HEAD_LABEL)]


# ---------------------------------------------------------------- for the command line
def problem_lines(problems: Sequence[RowProblem]) -> list[str]:
    return [str(p) for p in problems]


def summary_lines(result: BatchResult) -> list[str]:
    """What `batch issue` prints at the end, in the clerk's words."""
    if result.refused:
        lines = problem_lines(result.check.problems)
        if result.check.header_problems:
            lines.append("表头有误，未签发任何协议；请修正表头后重新运行。")
        else:
            lines.append(f"共 {len(result.invalid)} 行有误，未签发任何协议、未写入任何文件；"
                         "请修正后重新运行，或加 --skip-invalid 先签发无误的行。")
        return lines
    lines = []
    if result.interrupted:
        lines.append(f"{result.interrupted}；已签发的协议均已登记，没有留下未完成的文件。")
    brought_in = sum(r.signed for r in result.issued)
    lines += [
        f"批次：{result.batch_key}（{result.source.name}）",
        f"本次签发：{len(result.issued)} 份"
        + (f"（其中已签署的合同 {brought_in} 份，登记了签发、签署和付款）" if brought_in else ""),
        f"此前已签发、本次跳过：{len(result.skipped)} 份",
        f"有误未签发：{len(result.invalid)} 行",
        f"失败：{len(result.failed)} 行",
    ]
    for row, message in result.failed:
        where = f"{row.source.sheet} 第{row.source.row}行" if row.source.sheet else f"第{row.source.row}行"
        lines.append(f"  {where}：{message}")
    if result.not_started:
        lines.append(f"尚未签发：{result.not_started} 行（重新运行同一命令即可继续，已签发的不会重复）")
    lines.append(f"协议文件：{result.out_dir}")
    if result.index_paths:
        lines.append(f"签发清单：{'、'.join(str(p) for p in result.index_paths)}")
    if result.register_head:
        lines.append(f"{HEAD_LABEL}：{result.register_head}")
    if result.errors_path:
        lines.append(f"有误的行及错误说明：{result.errors_path}（修改后可直接用它重新运行 batch issue）")
    return lines


def _rate_column():
    from rich.progress import ProgressColumn
    from rich.text import Text

    class Rate(ProgressColumn):
        def render(self, task) -> Text:
            speed = task.finished_speed or task.speed
            return Text(f"{speed * 60:.1f} 份/分钟" if speed else "-- 份/分钟")

    return Rate()


class RichProgress:
    """A rich progress bar: count, rate, elapsed and time left (stderr, only on a terminal)."""

    def __init__(self, description: str = "签发中", console: Any = None):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RichBar

        self._bar = RichBar(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), _rate_column(),
            TextColumn("已用"), TimeElapsedColumn(), TextColumn("剩余"), TimeRemainingColumn(),
            console=console or Console(stderr=True), transient=False,
        )
        self._description = description
        self._task: TaskID | None = None

    def start(self, total: int) -> None:
        self._bar.start()
        self._task = self._bar.add_task(self._description, total=total)

    def advance(self, done: int = 1) -> None:
        if self._task is not None and done:
            self._bar.advance(self._task, done)

    def stop(self) -> None:
        self._bar.stop()




# ---------------------------------------------------------------- the commands, with plain arguments
def run_template(path: str | Path) -> list[str]:
    """`batch template FILE`: the lines to print."""
    target = write_template(Path(path))
    lines = [f"已生成客户名单模板：{target}",
             "个人客户、单位客户分别填在对应的工作表中（或都填在“混合名单”中并写明类型），"
             "填好后运行 vipcontract batch check 检查。"]
    if target.suffix.lower() != ".csv":
        lines.append(f"已经签署的纸质协议填在“{SIGNED_SHEET}”工作表中（见“填写说明”第 8 条）："
                     "只登记，不再生成协议文件。")
    return lines


def run_check(
    path: str | Path, *, profile: Profile, today: dt.date, default_type: str | None = None,
    db_path: str | Path | None = None, allow_second: bool = False,
) -> tuple[int, list[str]]:
    """`batch check FILE`: (exit code, lines). Writes nothing; exit 1 when any row has a problem.
    With a register at `db_path`, a row for a customer who has a contract not ended is a problem
    unless `allow_second`, as `batch issue` says it."""
    check = check_file(Path(path), today, default_type, profile)
    if db_path is not None and Path(db_path).is_file() and not allow_second and not check.header_problems:
        from store import open_store

        store = open_store(db_path)
        try:
            refuse_second_contracts(check, StoreRegistrar(store, profile), batch_key_for(Path(path)), today)
        finally:
            store.close()
    if check.ok:
        return 0, [f"{Path(path).name}：共 {len(check.rows)} 行，全部无误，可以签发。"]
    lines = problem_lines(check.problems)
    lines.append(f"{Path(path).name}：共 {len(check.rows)} 行，其中 {len(check.invalid)} 行有误"
                 + ("，表头有误" if check.header_problems else "") + "。")
    return 1, lines


def run_issue(
    path: str | Path, *, db_path: str | Path, profile: Profile, out_dir: str | Path, today: dt.date,
    formats: str | Sequence[str] = "docx,pdf", jobs: int | None = None, skip_invalid: bool = False,
    batch_key: str | None = None, default_type: str | None = None, show_progress: bool = True,
    render_signed: bool = False, allow_second: bool = False,
) -> tuple[int, list[str]]:
    """`batch issue FILE --out DIR`: (exit code, summary lines). Exit 0 when every valid row is
    issued (now or by an earlier run), 1 when the batch was refused or a row failed, 130 after Ctrl-C."""
    from store import open_store

    from .register import refuse_sample

    refuse_sample(profile)
    chosen = parse_formats(formats)
    if jobs is not None and jobs < 1:
        raise InvalidInput(Problem("jobs", "并行进程数应为正整数"))
    store = open_store(db_path)
    try:
        result = issue_batch(
            Path(path), Path(out_dir), StoreRegistrar(store, profile), profile, today=today, formats=chosen,
            jobs=jobs, skip_invalid=skip_invalid, batch_key=batch_key, default_type=default_type,
            progress=RichProgress() if show_progress else None, render_signed=render_signed,
            allow_second=allow_second,
        )
        warnings = [set_aside_warning(torn) for torn in store.set_aside()]
    finally:
        store.close()
    return result.exit_code, summary_lines(result) + warnings
