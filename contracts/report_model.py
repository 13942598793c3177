"""A report as plain data: what every output format (terminal, CSV, XLSX, JSON, PDF, ICS) prints.

A report function builds a `Report` and returns it; the renderers in `renderers/report_*.py`
turn it into a table on the terminal or a file. Nothing here reads a clock or does I/O, so the
same inputs give the same `Report`, and the renderers give the same bytes.

Cell values by column kind (``None`` is an empty cell in every kind):

=========  ==============================  ===================  ==================
kind       Python value                    shown as             CSV / JSON
=========  ==============================  ===================  ==================
text       str                             as is (wraps)        as is
date       datetime.date (not datetime)    2029-12-31           "2029-12-31"
amount     Decimal (or int), yuan          12,800.00            "12800.00"
int        int                             42                   "42" / 42
id         str, already masked             as is, no wrapping   as is
flag       bool                            是 / 否               "是" / true
=========  ==============================  ===================  ==================

A column marked ``text=True`` (phone numbers, contract and document numbers; `id` columns always)
is a code made of digits that a spreadsheet must not read as a number: 13800000000 would show as
1.38E+10 and an 18-digit number loses its last digits. See `spreadsheet_text`.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import typing
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any, NamedTuple

from stdnum.cn import ric

CENT = Decimal("0.01")
DEFAULT_EMPTY_MESSAGE = "没有符合条件的记录。"
HEAD_LABEL = "登记簿末端"
FLAG_TEXT = {True: "是", False: "否"}


class ColumnKind(StrEnum):
    TEXT = "text"
    DATE = "date"
    AMOUNT = "amount"
    INT = "int"
    ID = "id"
    FLAG = "flag"


@dataclass(frozen=True)
class Column:
    """One column: the key of its value in each row, its Chinese header and its kind."""

    key: str
    label: str
    kind: ColumnKind = ColumnKind.TEXT
    text: bool = False  # a code of digits: kept as text by spreadsheets (CSV, XLSX)

    def __post_init__(self) -> None:
        if not self.key or not isinstance(self.key, str):
            raise ValueError("column key must be a non-empty string")
        try:
            object.__setattr__(self, "kind", ColumnKind(self.kind))
        except ValueError:
            kinds = ", ".join(k.value for k in ColumnKind)
            raise ValueError(f"column {self.key!r}: kind {self.kind!r} is not one of {kinds}") from None

    @property
    def numeric(self) -> bool:
        """Right-aligned kinds."""
        return self.kind in (ColumnKind.AMOUNT, ColumnKind.INT)

    @property
    def keep_text(self) -> bool:
        """Spreadsheets keep the cell as typed (a code, never a number)."""
        return self.text or self.kind is ColumnKind.ID


class Total(NamedTuple):
    """A count or a sum shown under the table: ("到期合同数", 3), ("年费合计", Decimal("38400.00"))."""

    label: str
    value: int | Decimal | str


class LaterEvents(Sequence["CalendarEvent"]):
    """A report's calendar events made when first read, not with the report: only its ICS file
    reads them, and a report of 100,000 contracts would make one for each of its rows."""

    def __init__(self, make: Callable[[], Iterable[CalendarEvent]]) -> None:
        self._make: Callable[[], Iterable[CalendarEvent]] | None = make
        self._made: tuple[CalendarEvent, ...] = ()

    def _events(self) -> tuple[CalendarEvent, ...]:
        if self._make is not None:
            self._made, self._make = tuple(self._make()), None
        return self._made

    @typing.overload
    def __getitem__(self, index: int) -> CalendarEvent: ...
    @typing.overload
    def __getitem__(self, index: slice) -> Sequence[CalendarEvent]: ...
    def __getitem__(self, index: int | slice) -> CalendarEvent | Sequence[CalendarEvent]:
        return self._events()[index]

    def __len__(self) -> int:
        return len(self._events())

    def __iter__(self) -> Iterator[CalendarEvent]:
        return iter(self._events())

    def __eq__(self, other: object) -> bool:
        return self._events() == (tuple(other) if isinstance(other, LaterEvents) else other)

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True)
class CalendarEvent:
    """An all-day calendar entry (ICS). `uid` must be stable: the same event, the same uid.

    `alarm`: the calendar alerts at 09:00 on the day (a VALARM), for what the clerk still has to
    do; a reminder's day is already the profile's lead time before the last day, so the alert
    is on it, not before it. Events that are done or only for the record have none."""

    uid: str
    date: dt.date
    summary: str
    description: str = ""
    alarm: bool = False

    def __post_init__(self) -> None:
        if not self.uid:
            raise ValueError("calendar event needs a uid")
        if isinstance(self.date, dt.datetime) or not isinstance(self.date, dt.date):
            raise ValueError(f"calendar event {self.uid!r}: date must be a datetime.date")


@dataclass(frozen=True)
class MonthlyChart:
    """Counts per calendar month, labelled 'YYYY-MM', oldest first (a bar chart in the PDF)."""

    labels: tuple[str, ...]
    counts: tuple[int, ...]
    caption: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", tuple(self.labels))
        object.__setattr__(self, "counts", tuple(self.counts))
        if len(self.labels) != len(self.counts):
            raise ValueError("chart labels and counts differ in length")
        if any(isinstance(c, bool) or not isinstance(c, int) or c < 0 for c in self.counts):
            raise ValueError("chart counts must be non-negative integers")

    @property
    def total(self) -> int:
        return sum(self.counts)


def month_label(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def monthly_chart(dates: Iterable[dt.date], as_of: dt.date, months: int = 24, caption: str = "") -> MonthlyChart:
    """Count `dates` per month over `months` calendar months, starting with as_of's month.

    Dates before `as_of` (already past) and after the last month are not counted.
    """
    if months < 1:
        raise ValueError("months must be at least 1")
    index: dict[tuple[int, int], int] = {}
    year, month = as_of.year, as_of.month
    for i in range(months):
        index[(year, month)] = i
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    counts = [0] * months
    labels = [f"{y:04d}-{m:02d}" for (y, m) in index]
    for day in dates:
        if day < as_of:
            continue
        slot = index.get((day.year, day.month))
        if slot is not None:
            counts[slot] += 1
    return MonthlyChart(tuple(labels), tuple(counts), caption)


@dataclass(frozen=True)
class Report:
    """Everything a report prints. Build it, return it; the renderers do the rest.

    rows: one mapping per row, keyed by column key; a missing key is an empty cell, an unknown
    key is an error (it would otherwise be silently dropped). Values are checked against the
    column's kind; an `id` column refuses a complete (unmasked) resident identity number.
    generated_at: timezone-aware, or None for reproducible output (``--no-timestamp``).
    register_head: the head of the register read (one line in every format), "" when none.
    """

    name: str
    title: str
    as_of: dt.date
    columns: tuple[Column, ...]
    rows: tuple[dict[str, Any], ...] = ()
    totals: tuple[Total, ...] = ()
    notes: tuple[str, ...] = ()
    generated_at: dt.datetime | None = None
    calendar_events: Sequence[CalendarEvent] = ()  # a tuple, or LaterEvents
    chart: MonthlyChart | None = None
    empty_message: str = DEFAULT_EMPTY_MESSAGE
    register_head: str = ""  # "第 N 行 <hash>": the register as the report read it (store.chain)

    def __post_init__(self) -> None:
        if isinstance(self.as_of, dt.datetime) or not isinstance(self.as_of, dt.date):
            raise ValueError("as_of must be a datetime.date")
        if self.generated_at is not None and (
            not isinstance(self.generated_at, dt.datetime) or self.generated_at.utcoffset() is None
        ):
            raise ValueError("generated_at must be a timezone-aware datetime or None")
        columns = tuple(self.columns)
        if not columns:
            raise ValueError("a report needs at least one column")
        keys = [c.key for c in columns]
        if len(set(keys)) != len(keys):
            raise ValueError(f"duplicate column keys in {keys}")
        object.__setattr__(self, "columns", columns)
        known = frozenset(keys)
        plain = [(c.key, _PLAIN.get(c.kind), c) for c in columns]
        object.__setattr__(self, "rows", tuple(self._check_row(n, r, known, plain)
                                               for n, r in enumerate(self.rows, 1)))
        object.__setattr__(self, "totals", tuple(_total(t) for t in self.totals))
        object.__setattr__(self, "notes", tuple(str(n) for n in self.notes))
        if not isinstance(self.calendar_events, LaterEvents):
            object.__setattr__(self, "calendar_events", tuple(self.calendar_events))

    def _check_row(self, number: int, row: Mapping[str, Any], known: frozenset[str],
                   plain: list[tuple[str, type | None, Column]]) -> dict[str, Any]:
        """`plain`: (key, the type a value of the column needs no more looking at, column)."""
        if not row.keys() <= known:
            unknown = sorted(row.keys() - known)
            raise ValueError(f"{self.name}: row {number} has keys that are not columns: {unknown}")
        checked = {}
        for key, exact, column in plain:
            value = row.get(key)
            checked[key] = value if value is None or type(value) is exact else _check_value(column, value, number)
        return checked

    @property
    def is_empty(self) -> bool:
        return not self.rows

    def with_register_head(self, head: str) -> Report:
        """The same report stamped with the register head it was made from (the rows were
        checked when it was built: not again, a full report has thousands)."""
        stamped = copy.copy(self)
        object.__setattr__(stamped, "register_head", head)
        return stamped

    def column(self, key: str) -> Column:
        for c in self.columns:
            if c.key == key:
                return c
        raise KeyError(key)


def _total(item: Any) -> Total:
    label, value = item
    if isinstance(value, float):
        raise ValueError(f"total {label!r}: use Decimal or int, not float")
    return Total(str(label), value)


# The value of each kind that needs no more looking at: its exact type (a row of a report of
# 100,000 contracts is checked value by value; a subclass or an amount takes the long way).
_PLAIN = {ColumnKind.TEXT: str, ColumnKind.DATE: dt.date, ColumnKind.INT: int, ColumnKind.FLAG: bool}


def _check_value(column: Column, value: Any, row: int) -> Any:
    if value is None:
        return None
    kind = column.kind  # a value of its kind's exact type did not come here (Report._check_row)
    if kind is ColumnKind.AMOUNT and type(value) is Decimal and value.is_finite():
        return value
    problem = ""
    if kind is ColumnKind.DATE:
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            problem = f"expected a datetime.date, got {value!r}"
    elif kind is ColumnKind.AMOUNT:
        if isinstance(value, bool) or not isinstance(value, Decimal | int):
            problem = f"expected a Decimal amount, got {value!r}"
        else:
            value = Decimal(value)
            if not value.is_finite():
                problem = "amount is not finite"
    elif kind is ColumnKind.INT:
        if isinstance(value, bool) or not isinstance(value, int):
            problem = f"expected an int, got {value!r}"
    elif kind is ColumnKind.FLAG:
        if not isinstance(value, bool):
            problem = f"expected a bool, got {value!r}"
    elif not isinstance(value, str):
        problem = f"expected a str, got {value!r}"
    elif kind is ColumnKind.ID and "*" not in value and ric.is_valid(value):  # a masked one is not valid
        problem = "identity number is not masked"
    if problem:
        raise ValueError(f"row {row}, column {column.key!r} ({kind.value}): {problem}")
    return value


# ---------------------------------------------------------------- formatting shared by renderers


def amount_plain(value: Decimal) -> str:
    """12800 -> '12800.00' (CSV, JSON)."""
    return format(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP), "f")


def amount_figures(value: Decimal) -> str:
    """12800 -> '12,800.00' (terminal, PDF)."""
    return f"{Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP):,.2f}"


def display_value(column: Column, value: Any) -> str:
    """The text a person reads in a cell (terminal, PDF)."""
    if value is None:
        return ""
    if column.kind is ColumnKind.DATE:
        return value.isoformat()
    if column.kind is ColumnKind.AMOUNT:
        return amount_figures(value)
    if column.kind is ColumnKind.FLAG:
        return FLAG_TEXT[value]
    return str(value)


def plain_value(column: Column, value: Any) -> str:
    """The text of a cell in a data file (CSV): ISO dates, amounts without separators."""
    if value is None:
        return ""
    if column.kind is ColumnKind.AMOUNT:
        return amount_plain(value)
    return display_value(column, value)


# What Excel turns into a number when it opens a CSV: digits, with a sign, separators, a decimal
# point or an exponent (13800000000 -> 1.38E+10, 0101 -> 101, 1e5 -> 100000).
_LOOKS_NUMERIC = re.compile(r"^\s*[+-]?(\d[\d,]*)?\.?\d*([eE][+-]?\d+)?%?\s*$")


def spreadsheet_text(cell: str) -> str:
    """A CSV cell of a `keep_text` column as Excel keeps it text: ="13800000000" (a constant, the
    usual way to say "this is text" in a CSV for Excel; LibreOffice reads it the same).
    Anything Excel would not read as a number is left as it is."""
    if not cell or not any(ch.isdigit() for ch in cell) or not _LOOKS_NUMERIC.match(cell):
        return cell
    return '="' + cell.replace('"', '""') + '"'


def display_total(value: int | Decimal | str) -> str:
    if isinstance(value, Decimal):
        return amount_figures(value)
    return str(value)


def short_head(head: str) -> str:
    """"第 N 行 9f2c4e…" (16 digits, what `check --expect-head` takes at the least), to fit a line
    of 80 columns; the other formats carry the whole hash."""
    position, _sep, digest = head.rpartition(" ")
    return f"{position} {digest[:16]}…" if len(digest) > 16 else head


def format_generated_at(moment: dt.datetime) -> str:
    """2026-11-24 10:30:00 +08:00, in the moment's own time zone."""
    offset = moment.strftime("%z")
    return f"{moment:%Y-%m-%d %H:%M:%S} {offset[:3]}:{offset[3:]}"


def text_width(text: str) -> int:
    """Width in terminal cells / spreadsheet units: CJK and full-width characters count 2."""
    if text.isascii():  # dates, amounts, numbers: no character of ASCII is wide
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)
