"""A report on the terminal: title and as-of date, a rich table, totals, notes.

Made to read at 80 columns: Chinese text wraps inside its cell (overflow "fold": never cut
mid-character, never an ellipsis); dates, amounts and ID numbers keep their width and do not
wrap while there is room; rows are separated by rules so that wrapped rows stay readable.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import groupby
from typing import IO, cast

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


@dataclass
class CellStats:
    """What the layout needs to know of a column's cells: the widest (in cells), the longest
    narrow word, and whether one holds more than one line. Gathered a row at a time, so that a
    table can be laid out without keeping its rows (stream_table)."""

    widest: int = 0
    longest_word: int = 0
    lines: bool = False

    def add(self, text: str) -> None:
        widest, longest_word, lines = _measured(text)
        if widest > self.widest:
            self.widest = widest
        if longest_word > self.longest_word:
            self.longest_word = longest_word
        self.lines = self.lines or lines


@functools.lru_cache(maxsize=1 << 16)  # a column repeats its dates, amounts, flags and kinds
def _measured(text: str) -> tuple[int, int, bool]:
    return _cell_width(text), _longest_word(text), "\n" in text


def cell_stats(report: Report) -> list[CellStats]:
    stats = [CellStats() for _ in report.columns]
    for row in report.rows:
        for column, found in zip(report.columns, stats, strict=True):
            found.add(display_value(column, row[column.key]))
    return stats


def _layout(report: Report, width: int, padding: int, stats: list[CellStats] | None = None) -> list[int] | None:
    """Content width of each column so that the table fits `width` cells, or None if it cannot.

    Every column first gets its natural width (widest cell or header). If that is too wide,
    dates, amounts, numbers, IDs and flags keep their values whole and the text columns share
    what is left in proportion to what they would need; headers fold.
    """
    stats = stats if stats is not None else cell_stats(report)
    overhead = len(report.columns) + 1 + 2 * padding * len(report.columns)
    natural, minimum = [], []
    for column, found in zip(report.columns, stats, strict=True):
        header = _cell_width(column.label)
        cells = found.widest
        nat = max(header, cells, 1)
        if column.kind in _KEEP_WHOLE:
            low = max(cells, min(header, HEADER_MIN_WIDTH), 2)
        else:
            words = found.longest_word
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
    if "\n" not in text and text_width(text) <= width:  # one line that fits: what the loop below gives
        return text.rstrip()
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


def _table_layout(report: Report, width: int, stats: list[CellStats] | None = None) -> tuple[list[int], int] | None:
    stats = stats if stats is not None else cell_stats(report)
    for padding in (1, 0):
        widths = _layout(report, width, padding, stats)
        if widths is not None:
            return widths, padding
    return None


@dataclass(frozen=True)
class _Frame:
    """A table's columns laid out: what draws its header, its rows and its rules."""

    widths: list[int]
    padding: int
    right: list[bool]
    ruled: bool  # rules between rows: some cell takes more than one line

    def rule(self, left: str, middle: str, end: str) -> str:
        return left + middle.join("─" * (w + 2 * self.padding) for w in self.widths) + end

    def block(self, cells: list[list[str]], bottom: bool) -> list[str]:
        pad = " " * self.padding
        height = max(len(cell) for cell in cells)
        lines = []
        for i in range(height):
            parts = []
            for cell, w, to_right in zip(cells, self.widths, self.right, strict=True):
                at = i - (height - len(cell)) if bottom else i
                text = cell[at] if 0 <= at < len(cell) else ""
                parts.append(_padded(text, w, to_right, pad))
            lines.append("│" + "│".join(parts) + "│")
        return lines

    def top_block(self, texts: list[str]) -> list[str]:
        """block(bottom=False) of cells given as their display texts, each folded to its column
        and padded once for every cell of that text and width (a long report repeats most)."""
        cells = [_folded(text, w, to_right, self.padding) for text, w, to_right in
                 zip(texts, self.widths, self.right, strict=True)]
        height = max(len(cell) for cell in cells)
        if height == 1:
            return ["│" + "│".join(cell[0] for cell in cells) + "│"]
        return ["│" + "│".join(cell[i] if i < len(cell) else _padded("", w, False, " " * self.padding)
                                for cell, w in zip(cells, self.widths, strict=True)) + "│"
                for i in range(height)]

    def head(self, report: Report) -> list[str]:
        headers = [wrap_cell(column.label, w).split("\n") for column, w in zip(report.columns, self.widths,
                                                                                strict=True)]
        return [self.rule("┌", "┬", "┐"), *self.block(headers, bottom=True), self.rule("├", "┼", "┤")]

    def row(self, texts: list[str], first: bool) -> list[str]:
        """The lines of one row, given its cells' display texts (the rule before it included)."""
        return ([] if first or not self.ruled else [self.rule("├", "┼", "┤")]) + self.top_block(texts)


@functools.lru_cache(maxsize=1 << 16)
def _padded(text: str, width: int, to_right: bool, pad: str) -> str:
    gap = " " * max(width - cell_len(text), 0)
    return pad + (gap + text if to_right else text + gap) + pad


@functools.lru_cache(maxsize=1 << 16)
def _folded(text: str, width: int, to_right: bool, padding: int) -> tuple[str, ...]:
    """The cell's lines at the top of its block, padded to the column (_Frame.block)."""
    pad = " " * padding
    return tuple(_padded(line, width, to_right, pad) for line in wrap_cell(text, width).split("\n"))


def _frame(report: Report, width: int, stats: list[CellStats] | None = None) -> _Frame | None:
    stats = stats if stats is not None else cell_stats(report)
    laid = _table_layout(report, width, stats)
    if laid is None:
        return None
    widths, padding = laid
    # a cell takes more than one line when it holds a line break or is wider than its column
    ruled = any(found.lines or found.widest > w for found, w in zip(stats, widths, strict=True))
    return _Frame(widths, padding, [column.numeric for column in report.columns], ruled)


def table_lines(report: Report, width: int = 80) -> tuple[list[str], int] | None:
    """The table build_table() would draw, as lines of text (box.SQUARE, headers at the bottom
    of their block, cells at the top of theirs), and how many lines the header block takes; None
    if no table can fit."""
    texts = [[display_value(c, row[c.key]) for c in report.columns] for row in report.rows]
    stats = [CellStats() for _ in report.columns]
    for row_texts in texts:
        for text, found in zip(row_texts, stats, strict=True):
            found.add(text)
    frame = _frame(report, width, stats)
    if frame is None:
        return None
    lines = frame.head(report)
    header_lines = len(lines)
    for number, row_texts in enumerate(texts):
        lines += frame.row(row_texts, first=not number)
    lines.append(frame.rule("└", "┴", "┘"))
    return lines, header_lines


class _DrawnLines:
    """Lines already laid out, handed to rich as they are (no measuring or folding again); the
    first `bold` lines (the header block) in bold."""

    def __init__(self, lines: list[str], bold: int) -> None:
        self.lines, self.bold = lines, bold

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        strong = Style(bold=True)
        # a run of lines of one style as one segment: rich writes a segment's text as it is
        # (a bold line stays a segment of its own, its line break outside the style)
        for bold, run in groupby(enumerate(self.lines), key=lambda item: 0 < item[0] < self.bold - 1):
            if bold:
                for _number, line in run:
                    yield Segment(line, strong)
                    yield Segment.line()
            else:
                yield Segment("".join(line + "\n" for _number, line in run))


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
    _heading(report, console)
    if report.is_empty:
        console.print(Text(report.empty_message, overflow="fold"))
    elif len(report.rows) > LINE_BY_LINE_ROWS and _print_lines(report, console):
        pass
    else:
        table = build_table(report, console.width)
        console.print(table if table is not None else build_records(report))
    _footing(report, console)


def _heading(report: Report, console: Console) -> None:
    console.print(Text(report.title, style="bold", overflow="fold"))
    console.print(Text(f"基准日：{report.as_of.isoformat()}", overflow="fold"))
    if report.generated_at is not None:
        console.print(Text(f"生成时间：{format_generated_at(report.generated_at)}", style="dim"))
    console.print()


def _footing(report: Report, console: Console) -> None:
    if report.totals:
        console.print(build_totals(report))
    for note in report.notes:  # broken where Chinese may break, not only at spaces
        console.print(Text(wrap_cell(f"注：{note}", console.width), overflow="fold"))
    if report.register_head:
        console.print(Text(f"{HEAD_LABEL}：{short_head(report.register_head)}", style="dim", overflow="fold"))


# ---------------------------------------------------------------- a table printed as it is read
STREAM_LINES = 2000  # lines handed to rich at a time


def render_streamed(frame: Report, stats: list[CellStats], texts: Callable[[], Iterable[list[str]]],
                    console: Console) -> bool:
    """Print a report whose rows are not held: `frame` is the report without its rows (or with a
    sample of them: its title, columns, totals, notes), `stats` what its rows' cells measure
    (CellStats, gathered as they were read), `texts` gives every row's cell texts again, in order.
    The same text as render_table of the whole report drawn line by line (more than
    LINE_BY_LINE_ROWS rows); False, with nothing printed, when no table fits (the caller then
    prints the report as it did before: a block a row)."""
    layout = _frame(frame, console.width, stats)
    if layout is None:
        return False
    _heading(frame, console)
    head = layout.head(frame)
    console.print(_DrawnLines(head, len(head)), crop=False)
    lines: list[str] = []
    for number, row in enumerate(texts()):
        lines += layout.row(row, first=not number)
        if len(lines) >= STREAM_LINES:
            console.print(_DrawnLines(lines, 0), crop=False)
            lines = []
    lines.append(layout.rule("└", "┴", "┘"))
    console.print(_DrawnLines(lines, 0), crop=False)
    _footing(frame, console)
    return True


class _Stripped(io.TextIOBase):
    """Text written on to `out` a whole line at a time, each without its trailing spaces (as
    render_text gives it)."""

    def __init__(self, out: IO[str]) -> None:
        self.out, self.tail = out, ""

    def write(self, text: str) -> int:
        lines = (self.tail + text).split("\n")
        self.tail = lines.pop()
        if lines:
            self.out.write("".join(line.rstrip() + "\n" for line in lines))
        return len(text)

    def flush(self) -> None:
        if self.tail:
            self.out.write(self.tail.rstrip() + "\n")
            self.tail = ""
        self.out.flush()


def write_streamed_text(frame: Report, stats: list[CellStats], texts: Callable[[], Iterable[list[str]]],
                        out: IO[str], width: int = 80) -> bool:
    """render_streamed as plain text on `out`: the same text as render_text of the whole report."""
    stripped = _Stripped(out)
    if not render_streamed(frame, stats, texts, _plain_console(cast(IO[str], stripped), width)):
        return False
    stripped.flush()
    return True


def _plain_console(file: IO[str], width: int) -> Console:
    return Console(file=file, width=width, color_system=None, force_terminal=False, legacy_windows=False,
                   emoji=False, highlight=False, soft_wrap=False)


def render_text(report: Report, width: int = 80) -> str:
    """The terminal rendering as plain text (no colour), e.g. for ``--format table --out FILE``."""
    buffer = io.StringIO()
    render_table(report, _plain_console(buffer, width))
    return "".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines())
