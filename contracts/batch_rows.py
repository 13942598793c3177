"""Customer lists for batch issuing: headers, rows, and every problem named by row and column.

Pure: tables come in as plain values (the service reads the files), problems go out as data.
Rows are numbered as the spreadsheet numbers them: the header is row 1, the first data row 2.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from .customer import CUSTOMER_FIELDS, TEXT_AS_TYPED, CustomerType, mask_id
from .errors import InvalidInput
from .signed_rows import DATE_FIELDS, SIGNED_FIELDS

T = TypeVar("T")

# Column order of a mixed list; typed sheets use the subset that applies to their type.
BATCH_FIELDS: tuple[str, ...] = (
    "type", "name", "id_number", "credit_code", "legal_representative", "contact_person",
    "phone", "address", "email", "annual_fee", "effective_date",
)
# A signed agreement's columns follow the customer's (contracts.signed_rows); problems are
# listed in this order too.
ROW_FIELDS: tuple[str, ...] = (*BATCH_FIELDS[:-1], "issued_on", "signed_on", "effective_date",
                               "paid_until", "paid_on")

# Chinese label of each field, as the template writes it and as problems name a missing column.
FIELD_LABELS: dict[str, str] = {
    "type": "类型",
    **{name: spec[0] for name, spec in CUSTOMER_FIELDS.items()},
    "annual_fee": "年服务费（元）",
    "effective_date": "生效日期",
    **SIGNED_FIELDS,
}

# Headers of the template's sheets, per customer type (None: the mixed list with a 类型 column).
SHEET_HEADERS: dict[CustomerType | None, tuple[tuple[str, str], ...]] = {
    CustomerType.INDIVIDUAL: (
        ("name", "姓名"), ("id_number", "身份证号"), ("phone", "联系电话"), ("address", "通讯地址"),
        ("email", "电子邮箱"), ("annual_fee", "年服务费（元）"), ("effective_date", "生效日期"),
    ),
    CustomerType.CORPORATE: (
        ("name", "单位名称"), ("credit_code", "统一社会信用代码"), ("legal_representative", "法定代表人"),
        ("contact_person", "联系人"), ("phone", "联系电话"), ("address", "通讯地址"), ("email", "电子邮箱"),
        ("annual_fee", "年服务费（元）"), ("effective_date", "生效日期"),
    ),
    None: tuple((f, FIELD_LABELS[f]) for f in BATCH_FIELDS),
}
# The template's sheet of agreements already signed: a mixed list with the signed columns.
SIGNED_SHEET = "已签署合同"
SIGNED_HEADERS: tuple[tuple[str, str], ...] = tuple((f, FIELD_LABELS[f]) for f in ROW_FIELDS)

_ALIASES: dict[str, tuple[str, ...]] = {
    "type": ("类型", "客户类型", "type", "customer_type", "kind"),
    "name": ("姓名", "单位名称", "姓名/单位名称", "客户名称", "客户姓名", "名称", "name"),
    "id_number": ("身份证号", "身份证号码", "身份证", "公民身份号码", "id_number", "id"),
    "credit_code": ("统一社会信用代码", "社会信用代码", "信用代码", "credit_code", "uscc"),
    "legal_representative": ("法定代表人", "法人代表", "法定代表人或授权代表", "legal_representative"),
    "contact_person": ("联系人", "contact_person", "contact"),
    "phone": ("联系电话", "电话", "手机", "手机号", "手机号码", "phone", "telephone", "mobile"),
    "address": ("通讯地址", "地址", "送达地址", "通知送达地址", "address"),
    "email": ("电子邮箱", "邮箱", "电子邮件", "email", "e_mail"),
    "annual_fee": ("年服务费", "服务费", "年费", "annual_fee", "fee"),
    "effective_date": ("生效日期", "生效日", "effective_date"),
    "issued_on": ("签发日期", "签发日", "issued_on", "issue_date"),
    "signed_on": ("签署日期", "签署日", "签订日期", "signed_on", "sign_date"),
    "paid_until": ("已付清至服务年度", "已付清至", "已付至服务年度", "已付年度", "paid_until"),
    "paid_on": ("付款日期", "最后付款日期", "paid_on", "payment_date"),
}
HEADER_FIELDS: dict[str, str] = {}
for _field, _names in _ALIASES.items():
    for _name in _names:
        HEADER_FIELDS[_name] = _field

# Columns a clerk may keep beside the data (and the ones the errors workbook adds): read, never used.
ERRORS_COLUMN = "错误说明"
SOURCE_ROW_COLUMN = "原行号"
IGNORED_HEADERS = frozenset({"序号", "备注", "说明", "错误说明", "原行号", "no", "remark", "remarks", "note", "notes"})
# Sheets that hold instructions or examples, never customers.
IGNORED_SHEETS = frozenset({"填写说明", "说明", "示例", "example", "examples", "readme", "instructions"})

# Cells Excel may have turned into numbers: digits beyond the 15th are lost for good.
_TEXT_FIELDS = frozenset({"id_number", "credit_code", "phone"})
_DAY_FIELDS = frozenset({"effective_date", *DATE_FIELDS})
_DATE_FORMS = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


def normalise_header(value: object) -> str:
    """`年服务费（元）*` -> `年服务费`; `Annual Fee` -> `annual_fee`."""
    text = unicodedata.normalize("NFKC", str(value if value is not None else "")).strip()
    text = re.sub(r"\([^)]*\)", "", text)
    text = text.rstrip("*").strip().lower()
    text = re.sub(r"[\s\-]+", "_", text).strip("_")
    return text


def header_field(value: object) -> str | None:
    return HEADER_FIELDS.get(normalise_header(value))


def sheet_kind(name: str) -> CustomerType | None:
    """个人客户 / 单位客户 (or individual / corporate): the sheet name decides the type."""
    try:
        return CustomerType.parse(unicodedata.normalize("NFKC", name).strip())
    except InvalidInput:
        return None


def is_ignored_sheet(name: str) -> bool:
    return normalise_header(name) in IGNORED_SHEETS


@dataclass(frozen=True)
class Table:
    """One sheet (or a CSV file) as read: header row and data rows with their spreadsheet numbers."""

    name: str  # sheet name; "" for a CSV file
    headers: tuple[object, ...]
    rows: tuple[tuple[int, tuple[object, ...]], ...]


@dataclass(frozen=True)
class RowProblem:
    sheet: str
    row: int
    column: str  # the header as written in the file (or the field's Chinese label if there is no column)
    message: str

    @property
    def location(self) -> str:
        return f"{self.sheet} 第{self.row}行" if self.sheet else f"第{self.row}行"

    def __str__(self) -> str:
        return f"{self.location} {self.column}：{self.message}" if self.column else f"{self.location}：{self.message}"


@dataclass(frozen=True)
class BatchRow:
    """One data row: where it is, what it says as written, and the field mapping for validation."""

    sheet: str
    row: int
    headers: tuple[str, ...]  # the sheet's headers as written
    cells: tuple[object, ...]  # the cells as read, aligned with headers
    data: Mapping[str, Any]  # field -> value, ready for parse_request
    columns: Mapping[str, str]  # field -> header as written
    sheet_type: CustomerType | None  # the type the sheet's name gives, if any

    def column(self, field_name: str) -> str:
        return self.columns.get(field_name) or FIELD_LABELS.get(field_name, field_name)

    @property
    def identity_key(self) -> str:
        """The customer's ID number or credit code as written, compacted: for in-file duplicates."""
        for name in ("id_number", "credit_code"):
            value = self.data.get(name)
            if value not in (None, ""):
                return re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", str(value))).upper()
        return ""


@dataclass(frozen=True)
class CheckedRow(Generic[T]):
    source: BatchRow
    request: T | None
    problems: tuple[RowProblem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems and self.request is not None


@dataclass
class BatchCheck(Generic[T]):
    rows: list[CheckedRow[T]] = field(default_factory=list)
    header_problems: list[RowProblem] = field(default_factory=list)

    @property
    def valid(self) -> list[CheckedRow[T]]:
        return [r for r in self.rows if r.ok]

    @property
    def invalid(self) -> list[CheckedRow[T]]:
        return [r for r in self.rows if not r.ok]

    @property
    def problems(self) -> list[RowProblem]:
        return [*self.header_problems, *(p for r in self.rows for p in r.problems)]

    @property
    def ok(self) -> bool:
        return not self.header_problems and all(r.ok for r in self.rows)


def cell_value(field_name: str, value: object) -> tuple[Any, str | None]:
    """A cell as the validation expects it, or a problem with how the spreadsheet stored it."""
    if value is None:
        return None, None
    if isinstance(value, bool):
        return str(value), None
    if isinstance(value, dt.datetime | dt.date):
        day = value.date() if isinstance(value, dt.datetime) else value
        return (day, None) if field_name in _DAY_FIELDS else (day.isoformat(), None)
    if isinstance(value, int):
        return str(value), None
    if isinstance(value, float):
        if field_name in _TEXT_FIELDS:
            if value.is_integer() and abs(value) < 1e15:
                return str(int(value)), None
            label = FIELD_LABELS[field_name]
            return None, f"{label}被表格软件存成了数字（{value:g}），后几位已丢失；请把该列设为文本格式后重新填写"
        return value, None  # parse_amount reads a float through its repr, never through binary arithmetic
    # Names and addresses as typed (customer.customer_from_mapping cleans them); the other cells
    # are dates, amounts, types and codes, read in their ASCII form.
    raw = str(value)
    text = raw.strip() if field_name in TEXT_AS_TYPED else unicodedata.normalize("NFKC", raw).strip()
    if not text:
        return None, None
    if field_name in _DAY_FIELDS:
        match = _DATE_FORMS.fullmatch(text)
        if match:
            try:
                return dt.date(*map(int, match.groups())), None
            except ValueError:
                return text, None  # an impossible date: the validation names it as written
    return text, None


def _header_problems(table: Table) -> tuple[dict[int, str], list[RowProblem]]:
    """Column index -> field, and the problems of the header row itself."""
    mapping: dict[int, str] = {}
    seen: dict[str, str] = {}
    problems: list[RowProblem] = []
    for index, header in enumerate(table.headers):
        written = "" if header is None else str(header).strip()
        if not written:
            continue
        name = header_field(written)
        if name is None:
            if normalise_header(written) not in IGNORED_HEADERS:
                problems.append(RowProblem(
                    table.name, 1, written,
                    "无法识别的列名；可用的列名见模板（如 姓名、身份证号、统一社会信用代码、年服务费、生效日期），"
                    "不需要的列请删除或改名为“备注”",
                ))
            continue
        if name in seen:
            problems.append(RowProblem(table.name, 1, written, f"与“{seen[name]}”是同一项，只能保留一列"))
            continue
        seen[name] = written
        mapping[index] = name
    return mapping, problems


def table_rows(
    table: Table, default_kind: CustomerType | None = None
) -> tuple[list[BatchRow], list[RowProblem], list[RowProblem]]:
    """Rows of one table, problems of its header, and problems found while reading its cells."""
    mapping, header_problems = _header_problems(table)
    headers = tuple("" if h is None else str(h).strip() for h in table.headers)
    columns = {name: headers[index] for index, name in mapping.items()}
    kind = sheet_kind(table.name) if table.name else None
    if kind is None and "type" not in columns and default_kind is None and table.rows:
        header_problems.append(RowProblem(
            table.name, 1, FIELD_LABELS["type"],
            "无法确定客户类型：请加一列“类型”（个人/单位），或把工作表命名为“个人客户”“单位客户”，或使用 --type",
        ))
    rows: list[BatchRow] = []
    cell_problems: list[RowProblem] = []
    for number, cells in table.rows:
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            continue
        data: dict[str, Any] = {}
        for index, name in mapping.items():
            value, problem = cell_value(name, cells[index] if index < len(cells) else None)
            if problem:
                cell_problems.append(RowProblem(table.name, number, columns[name], problem))
            elif value is not None:
                data[name] = value
        padded = tuple(cells) + (None,) * (len(headers) - len(cells))
        rows.append(BatchRow(table.name, number, headers, padded[: max(len(headers), len(cells))],
                             data, columns, kind))
    return rows, header_problems, cell_problems


def row_kind(row: BatchRow, default_kind: CustomerType | None) -> tuple[CustomerType | None, str | None]:
    """The row's type from the sheet name, its 类型 cell and --type; any disagreement is a problem."""
    sources: list[tuple[CustomerType, str]] = []
    if row.sheet_type is not None:
        sources.append((row.sheet_type, f"工作表“{row.sheet}”"))
    if row.data.get("type") not in (None, ""):
        try:
            sources.append((CustomerType.parse(row.data["type"]), f"类型“{row.data['type']}”"))
        except InvalidInput as exc:
            return None, exc.problems[0].message
    if default_kind is not None:
        sources.append((default_kind, f"--type {default_kind.value}"))
    if not sources:
        return None, "未指明客户类型：请填写“个人”或“单位”，或使用 --type"
    first, first_source = sources[0]
    for other, other_source in sources[1:]:
        if other is not first:
            return None, f"{first_source}与{other_source}不一致"
    return first, None


def check_rows(
    tables: Iterable[Table],
    parse: Callable[[CustomerType, Mapping[str, Any], dt.date], T],
    today: dt.date,
    default_kind: CustomerType | None = None,
) -> BatchCheck[T]:
    """Validate every row with `parse` (the same validation as a single agreement) and find the
    customers that appear more than once in the file; every problem is kept, none stops the rest."""
    result: BatchCheck[T] = BatchCheck()
    pending: list[tuple[BatchRow, T | None, list[RowProblem]]] = []
    for table in tables:
        rows, header_problems, cell_problems = table_rows(table, default_kind)
        result.header_problems.extend(header_problems)
        type_unknown = any(p.column == FIELD_LABELS["type"] for p in header_problems)
        by_row: dict[int, list[RowProblem]] = {}
        for problem in cell_problems:
            by_row.setdefault(problem.row, []).append(problem)
        for row in rows:
            problems = by_row.get(row.row, [])
            kind, kind_problem = row_kind(row, default_kind)
            request: T | None = None
            if kind_problem and not type_unknown:  # said once, for the header, not on every row
                problems.append(RowProblem(row.sheet, row.row, row.column("type"), kind_problem))
            if kind is not None:
                data = {k: v for k, v in row.data.items() if k != "type"}
                for problem in problems:  # a cell that could not be read is not validated again
                    for name, column in row.columns.items():
                        if column == problem.column:
                            data.pop(name, None)
                try:
                    request = parse(kind, data, today)
                except InvalidInput as exc:
                    unread = {p.column for p in problems}
                    problems.extend(
                        RowProblem(row.sheet, row.row, row.column(p.field), masked(p.message, row))
                        for p in exc.problems
                        if row.column(p.field) not in unread
                    )
            pending.append((row, request, problems))
    _mark_duplicates(pending)
    if not pending and not result.header_problems:
        result.header_problems.append(RowProblem("", 1, "", "文件中没有客户数据：请从第2行起每行填写一位客户"))
    order = {name: i for i, name in enumerate(ROW_FIELDS)}
    for row, request, problems in pending:
        fields_by_column = {column: name for name, column in row.columns.items()}
        problems.sort(key=lambda p: order.get(fields_by_column.get(p.column, ""), len(order)))
        result.rows.append(CheckedRow(row, None if problems else request, tuple(problems)))
    return result


def _mark_duplicates(pending: list[tuple[BatchRow, Any, list[RowProblem]]]) -> None:
    groups: dict[str, list[tuple[BatchRow, list[RowProblem]]]] = {}
    for row, _request, problems in pending:
        if row.identity_key:
            groups.setdefault(row.identity_key, []).append((row, problems))
    for key, members in groups.items():
        if len(members) < 2:
            continue
        for row, problems in members:
            others = "、".join(_place(other, row.sheet) for other, _ in members if other is not row)
            name = "id_number" if row.data.get("id_number") not in (None, "") else "credit_code"
            problems.append(RowProblem(
                row.sheet, row.row, row.column(name),
                f"同一客户（{masked(key, row)}）在本文件中出现多次（另见{others}）；每位客户只能保留一行",
            ))


def masked(message: str, row: BatchRow) -> str:
    """MESSAGE with the row's ID number masked (110105********002X), as every other output shows
    it: the row and column already say which cell to fix."""
    raw = row.data.get("id_number")
    if raw in (None, ""):
        return message
    written = str(raw).strip()
    compact = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", written)).upper()
    for form in sorted({written, compact, compact.lower()}, key=len, reverse=True):
        if len(form) > 10:
            message = message.replace(form, mask_id(form))
    return message


def _place(row: BatchRow, from_sheet: str) -> str:
    return f"第{row.row}行" if row.sheet == from_sheet else f"{row.sheet} 第{row.row}行"
