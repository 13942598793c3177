"""The limits every input is held to, each defined once: the CLI, the `--from` files, the batch
lists and the profile all check against these, so a value one path accepts no other path refuses
half-way (a name that passes `batch check` and then cannot be a file name in `batch issue`).

Pure: no file is read here; callers pass sizes and texts.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal

from .errors import InvalidInput, Problem

# Dates: every date option and every date in a file. A year like 9995 overflowed while a five-year
# term was computed. The end is 2099 rather than later because a document's date is also the
# timestamp of the entries of its DOCX and XLSX (zip) files, which cannot be later than 2107.
FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2099, 12, 31)

# The annual fee: below one hundred million yuan. Large enough for any VIP agreement; far below
# where the decimal arithmetic and the Chinese capitals (人民币大写) stop being exact.
FEE_CEILING = Decimal("100000000")

# File names: most file systems allow 255 bytes. The stem (document number and customer name) is
# cut to this many UTF-8 bytes, which leaves room for the extension and the temporary names
# (".stem.XXXXXXXX.docx.part").
STEM_MAX_BYTES = 200

# Input files (`--from`, the profile, customer lists): larger than any real one, small enough that
# reading one can neither exhaust memory nor take minutes.
INPUT_FILE_MAX_BYTES = 16 * 1024 * 1024
DATA_FILE_MAX_BYTES = 1024 * 1024  # a `--from` file or the profile: one record, a few KB

# Free text printed into documents and the register (notice addresses, notes).
ADDRESS_MAX_CHARS = 200
NOTE_MAX_CHARS = 500

# The contract number prefix of the profile: it starts every file name and every register key.
NUMBER_PREFIX = re.compile(r"[A-Z][A-Z0-9]{0,9}")

# Characters that are invisible or reorder what is shown, so that two names look alike and differ,
# or a name shows other than it is stored: zero-width characters, bidirectional overrides and
# isolates, the BOM, and control characters (Unicode category Cc, which includes tab and newline).
INVISIBLE = frozenset(
    [chr(c) for c in range(0x200B, 0x2010)]  # zero-width space/joiners, LRM, RLM
    + [chr(c) for c in range(0x202A, 0x202F)]  # LRE, RLE, PDF, LRO, RLO
    + [chr(c) for c in range(0x2060, 0x2070)]  # word joiner, invisible operators, LRI/RLI/FSI/PDI
    + ["\ufeff", "\u00ad", "\u180e", "\u061c"]
)


def hidden_characters(text: str) -> list[str]:
    """The invisible or control characters in TEXT, as U+XXXX, in order of first appearance."""
    found = [c for c in text if c in INVISIBLE or unicodedata.category(c) in ("Cc", "Cf", "Cs")]
    return [f"U+{ord(c):04X}" for c in dict.fromkeys(found)]


def check_plain_text(text: str, field: str, label: str) -> None:
    """Refuse invisible and control characters: a name or address must read as it is stored."""
    hidden = hidden_characters(text)
    if hidden:
        raise InvalidInput(Problem(field, f"{label}含有不可见字符或控制字符（{'、'.join(hidden)}），请删除后重新输入"))


def check_day(day: dt.date, field: str) -> dt.date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidInput(Problem(field, f"日期 {day.isoformat()} 超出范围：应在 {FIRST_DAY} 至 {LAST_DAY} 之间"))
    return day


def check_fee(amount: Decimal, field: str) -> Decimal:
    if amount >= FEE_CEILING:
        raise InvalidInput(Problem(field, f"金额过大：年服务费应小于 {FEE_CEILING:,} 元"))
    return amount


def check_file_size(size: int, field: str, what: str, limit: int = INPUT_FILE_MAX_BYTES) -> None:
    if size > limit:
        raise InvalidInput(Problem(field, f"{what}过大（{size:,} 字节，最多 {limit:,} 字节）"))


def check_number_prefix(prefix: str, field: str = "contract.number_prefix") -> str:
    if not NUMBER_PREFIX.fullmatch(prefix):
        raise InvalidInput(Problem(field, f"编号前缀“{prefix}”无效：应为 1 到 10 个大写英文字母或数字，"
                                          "以字母开头，如 VIP"))
    return prefix


def cut_to_bytes(text: str, limit: int = STEM_MAX_BYTES) -> str:
    """TEXT cut to at most LIMIT bytes of UTF-8, on a character boundary."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", errors="ignore")
