"""Spreadsheet cells that are never formulas.

A customer's name or address (or any text the program did not make) may start with "=", "+", "-"
or "@": a spreadsheet opening the CSV or XLSX would run it as a formula (CSV injection, e.g.
=HYPERLINK(...) or a DDE command). Every CSV and XLSX the program writes puts text through here.
"""

from __future__ import annotations

from typing import Any

# What makes Excel, LibreOffice or Google Sheets read a cell as a formula (OWASP, "CSV Injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: Any) -> Any:
    """A CSV cell: text that could start a formula is prefixed with an apostrophe (the OWASP
    advice; the csv module quotes the cell when needed). Numbers and empty cells stay as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def csv_row(values: list[Any]) -> list[Any]:
    return [csv_text(v) for v in values]


def set_text(cell: Any, value: Any) -> None:
    """An openpyxl cell holding VALUE; text is stored as text, never as a formula (openpyxl takes
    any string starting with "=" for one). The text itself is unchanged, so it reads back as written."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
