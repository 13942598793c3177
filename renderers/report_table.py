"""A report on the terminal: title and as-of date, a rich table, totals, notes.

Made to read at 80 columns: Chinese text wraps inside its cell (overflow "fold": never cut
mid-character, never an ellipsis); dates, amounts and ID numbers keep their width and do not
wrap while there is room; rows are separated by rules so that wrapped rows stay readable.
"""

from __future__ import annotations

import functools
import io
import re

from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text

from contracts.report_model import (
    HEAD_LABEL,
    ColumnKind,
    Report,
    display_total,
    display_value,
    format_generated_at,
    short_head,
    text_width,
)

_KEEP_WHOLE = (ColumnKind.DATE, ColumnKind.AMOUNT, ColumnKind.INT, ColumnKind.ID, ColumnKind.FLAG)
TEXT_MIN_WIDTH = 8  # cells: four Chinese characters a line before a text column gives up room
HEADER_MIN_WIDTH = 8  # a header may fold to this width, not narrower (unless the column is)
WORD_MAX_WIDTH = 20  # a Latin word or number in a text column (VIP-2025-000123) is kept whole up to this


def _cell_width(text: str) -> int:
    """The widest line of a cell (a stacked cell holds one value a line)."""
    return max((text_width(line) for line in text.split("\n")), default=0)


def _longest_word(text: str) -> int:
    """Longest run of narrow non-space characters: contract numbers, e-mail addresses, figures."""
    return max((len(w) for w in re.split(r"[\s\u1100-\uffff]+", text)), default=0)


def _layout(report: Report, width: int, padding: int) -> list[int] | None:
    """Content width of each column so that the table fits `width` cells, or None if it cannot.

    Every column first gets its natural width (widest cell or header). If that is too wide,
    dates, amounts, numbers, IDs and flags keep their values whole and the text columns share
    what is left in proportion to what they would need; headers fold.
    """
    overhead = len(report.columns) + 1 + 2 * padding * len(report.columns)
    natural, minimum = [], []
    for column in report.columns:
        header = _cell_width(column.label)
        cells = max((_cell_width(display_value(column, row[column.key])) for row in report.rows), default=0)
        nat = max(header, cells, 1)
        if column.kind in _KEEP_WHOLE:
            low = max(cells, min(header, HEADER_MIN_WIDTH), 2)
        else:
            words = max((_longest_word(display_value(column, row[column.key])) for row in report.rows), default=0)
            low = min(nat, max(TEXT_MIN_WIDTH, min(words, WORD_MAX_WIDTH)))
            if "\n" in column.label:  # stacked: a header line a value, each kept on its line
                low = max(low, header)
        natural.append(nat)
        minimum.append(low)
    room = width - overhead
    if sum(natural) <= room:
        return natural
    if sum(minimum) > room:
        return None
    widths = list(minimum)
    extra = room - sum(widths)
    # a name or a line of text kept on one line before a header is kept whole: when every text
    # column can have its natural width, the list stays one line a row
    text_want = sum(n - m for c, n, m in zip(report.columns, natural, minimum, strict=True)
                    if c.kind not in _KEEP_WHOLE)
    if text_want <= extra:
        for i, column in enumerate(report.columns):
            if column.kind not in _KEEP_WHOLE:
                widths[i] = natural[i]
        extra -= text_want
    # whole headers over dates, amounts and the like first, the cheapest first: they need little
    cheap = sorted((n - m, i) for i, (c, n, m) in enumerate(zip(report.columns, natural, minimum, strict=True))
                   if c.kind in _KEEP_WHOLE and n > m)
    for want, i in cheap:
        if want <= extra:
            widths[i] += want
            extra -= want
    wants = [n - w for n, w in zip(natural, widths, strict=True)]
    total_want = sum(wants) or 1
    shares = [extra * w // total_want for w in wants]
    left = extra - sum(shares)
    # hand out the remainder by largest fraction, then by position: deterministic
    order = sorted(range(len(wants)), key=lambda i: (-(extra * wants[i] % total_want), i))
    for i in order[:left]:
        shares[i] += 1
    return [w + s for w, s in zip(widths, shares, strict=True)]


_NO_LINE_START = set("，。、；：？！）》」』】〕”’,.;:?!)]}%·…—～")
_NO_LINE_END = set("（《「『【〔“‘([{")


def _tokens(text: str) -> list[str]:
    """Units that are not split across lines: a Latin word or number, one CJK character, a space;
    closing punctuation sticks to what precedes it, opening punctuation to what follows."""
    raw: list[str] = []
    for ch in text:
        narrow = text_width(ch) == 1 and not ch.isspace()
        if narrow and raw and text_width(raw[-1][-1]) == 1 and not raw[-1][-1].isspace() \
                and raw[-1][-1] not in _NO_LINE_START and ch not in _NO_LINE_END:
            raw[-1] += ch
        else:
            raw.append(ch)
    tokens: list[str] = []
    glue_next = False
    for tok in raw:
        if tokens and (glue_next or tok in _NO_LINE_START):
            tokens[-1] += tok
        else:
            tokens.append(tok)
        glue_next = tok[-1] in _NO_LINE_END
    return tokens


@functools.lru_cache(maxsize=1 << 16)  # a report repeats its dates, amounts and names
def wrap_cell(text: str, width: int) -> str:
    """Break `text` into lines of at most `width` cells, between CJK characters and at spaces,
    never inside a Latin word or number that fits on a line, never before a closing mark."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for tok in _tokens(paragraph):
            if lines and not line and tok.isspace():
                continue  # a wrapped line does not start with the spaces it was broken at
            if text_width(line + tok) <= width:
                line += tok
                continue
            if line.strip():
                lines.append(line.rstrip())
            line = tok.lstrip()
            while text_width(line) > width:  # longer than a line: cut by cells
                cut = 0
                while text_width(line[: cut + 1]) <= width:
                    cut += 1
                cut = max(cut, 1)
                lines.append(line[:cut])
                line = line[cut:]
        lines.append(line.rstrip())
    return "\n".join(lines)


def build_table(report: Report, width: int = 80) -> Table | None:
    """The rows as a rich Table at most `width` cells wide, or None if no table can fit."""
    for padding in (1, 0):
        widths = _layout(report, width, padding)
        if widths is not None:
            break
    else:
        return None
    cells = [[wrap_cell(display_value(c, row[c.key]), w) for c, w in zip(report.columns, widths, strict=True)]
             for row in report.rows]
    # rules between rows only where a row takes more than one line: a list of one-line rows
    # (the register) stays one line a contract
    ruled = any("\n" in cell for row in cells for cell in row)
    table = Table(box=box.SQUARE, show_lines=ruled, header_style="bold", padding=(0, padding), expand=False)
    for column, w in zip(report.columns, widths, strict=True):
        table.add_column(
            Text(wrap_cell(column.label, w), overflow="fold"),
            justify="right" if column.numeric else "left",
            overflow="fold",
            width=w,
        )
    for row in cells:
        table.add_row(*(Text(cell, overflow="fold") for cell in row))
    return table


# Above this many rows the table is drawn here, line by line, instead of by rich's Table: rich
# measures and folds every cell again (about 0.5 ms a row: 20 s for a 32,000-row receivables
# report), while the cells are already folded to their widths. Below it rich draws the table; the
# two give the same text (tests/test_report_formats.py compares them).
LINE_BY_LINE_ROWS = 500


def _table_layout(report: Report, width: int) -> tuple[list[int], int] | None:
    for padding in (1, 0):
        widths = _layout(report, width, padding)
        if widths is not None:
            return widths, padding
    return None


def table_lines(report: Report, width: int = 80) -> tuple[list[str], int] | None:
    """The table build_table() would draw, as lines of text (box.SQUARE, headers at the bottom
    of their block, cells at the top of theirs), and how many lines the header block takes; None
    if no table can fit."""
    laid = _table_layout(report, width)
    if laid is None:
        return None
    widths, padding = laid
    right = [column.numeric for column in report.columns]
    headers = [wrap_cell(column.label, w).split("\n") for column, w in zip(report.columns, widths, strict=True)]
    rows = [[wrap_cell(display_value(c, row[c.key]), w).split("\n") for c, w in zip(report.columns, widths,
                                                                                  strict=True)]
            for row in report.rows]
    ruled = any(len(cell) > 1 for row in rows for cell in row)
    pad = " " * padding

    def rule(left: str, middle: str, end: str) -> str:
        return left + middle.join("─" * (w + 2 * padding) for w in widths) + end

    def block(cells: list[list[str]], bottom: bool) -> list[str]:
        height = max(len(cell) for cell in cells)
        lines = []
        for i in range(height):
            parts = []
            for cell, w, to_right in zip(cells, widths, right, strict=True):
                at = i - (height - len(cell)) if bottom else i
                text = cell[at] if 0 <= at < len(cell) else ""
                gap = " " * max(w - cell_len(text), 0)
                parts.append(pad + (gap + text if to_right else text + gap) + pad)
            lines.append("│" + "│".join(parts) + "│")
        return lines

    lines = [rule("┌", "┬", "┐"), *block(headers, bottom=True), rule("├", "┼", "┤")]
    header_lines = len(lines)
    for number, row in enumerate(rows):
        if ruled and number:
            lines.append(rule("├", "┼", "┤"))
        lines += block(row, bottom=False)
    lines.append(rule("└", "┴", "┘"))
    return lines, header_lines


class _DrawnLines:
    """Lines already laid out, handed to rich as they are (no measuring or folding again); the
    first `bold` lines (the header block) in bold."""

    def __init__(self, lines: list[str], bold: int) -> None:
        self.lines, self.bold = lines, bold

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        strong = Style(bold=True)
        for number, line in enumerate(self.lines):
            yield Segment(line, strong if 0 < number < self.bold - 1 else None)
            yield Segment.line()


def _print_lines(report: Report, console: Console) -> bool:
    """The table drawn line by line (see LINE_BY_LINE_ROWS); False if no table can fit."""
    drawn = table_lines(report, console.width)
    if drawn is None:
        return False
    console.print(_DrawnLines(*drawn), crop=False)
    return True


def build_records(report: Report) -> Group:
    """Narrow terminals: each row as a block of "label：value" lines."""
    parts: list[RenderableType] = []
    for number, row in enumerate(report.rows, 1):
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column(overflow="fold")
        for column in report.columns:
            grid.add_row(Text(f"{column.label}："), Text(display_value(column, row[column.key]), overflow="fold"))
        parts += [Text(f"第 {number} 条", style="bold"), grid, Text("")]
    return Group(*parts)


def build_totals(report: Report) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(overflow="fold")
    grid.add_column(justify="right", no_wrap=True)
    for label, value in report.totals:
        grid.add_row(Text(f"{label}："), Text(display_total(value)))
    return grid


def render_table(report: Report, console: Console) -> None:
    """Print the report on `console`; an empty report prints its empty_message instead of a table."""
    console.print(Text(report.title, style="bold", overflow="fold"))
    console.print(Text(f"基准日：{report.as_of.isoformat()}", overflow="fold"))
    if report.generated_at is not None:
        console.print(Text(f"生成时间：{format_generated_at(report.generated_at)}", style="dim"))
    console.print()
    if report.is_empty:
        console.print(Text(report.empty_message, overflow="fold"))
    elif len(report.rows) > LINE_BY_LINE_ROWS and _print_lines(report, console):
        pass
    else:
        table = build_table(report, console.width)
        console.print(table if table is not None else build_records(report))
    if report.totals:
        console.print(build_totals(report))
    for note in report.notes:  # broken where Chinese may break, not only at spaces
        console.print(Text(wrap_cell(f"注：{note}", console.width), overflow="fold"))
    if report.register_head:
        console.print(Text(f"{HEAD_LABEL}：{short_head(report.register_head)}", style="dim", overflow="fold"))


def render_text(report: Report, width: int = 80) -> str:
    """The terminal rendering as plain text (no colour), e.g. for ``--format table --out FILE``."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False, legacy_windows=False,
                      emoji=False, highlight=False, soft_wrap=False)
    render_table(report, console)
    return "".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines())
