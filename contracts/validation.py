"""Field checks. Each returns the cleaned value or raises InvalidInput naming the field."""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from collections.abc import Iterable, Sequence

from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric, uscc

from . import limits
from .errors import InvalidInput, Problem

PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?|400-?\d{3}-?\d{4})$")
EMAIL = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}$")
NAME_FORBIDDEN = set("/\\<>*|:?\"\x00")

# Kangxi radicals and CJK compatibility ideographs: each looks exactly like an ordinary hanzi
# but is another code point, so a name typed with one would not match the licence when searched
# or compared. Only these are mapped, each to what NFKC makes of that single character; a full
# NFKC would also turn the full-width brackets, digits and letters of a registered name
# (西安曲江旅游投资（集团）有限公司) into ASCII, and the agreement must carry the name as on the
# licence.
_LOOKALIKE_RANGES = ((0x2F00, 0x2FDF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F))
_LOOKALIKE_HANZI: dict[int, str] = {
    cp: unicodedata.normalize("NFKC", chr(cp))
    for start, end in _LOOKALIKE_RANGES
    for cp in range(start, end + 1)
    if unicodedata.normalize("NFKC", chr(cp)) != chr(cp)
}


def as_typed(value: str) -> str:
    """Customer text (names, addresses) as the user typed it: whitespace trimmed at both ends and
    look-alike hanzi mapped to the unified ones; full-width brackets, digits, letters and ·
    stay as they are."""
    return value.translate(_LOOKALIKE_HANZI).strip()


def canonical_code(value: str) -> str:
    """NFKC for codes (ID number, credit code, phone, e-mail): these are identifiers whose
    full-width digits and letters mean the same ASCII ones, and the checks and the register
    compare them in their ASCII form."""
    return unicodedata.normalize("NFKC", value).strip()


def id_number(value: str, today: dt.date, field: str = "id_number") -> str:
    """居民身份证号 (GB 11643): checksum, a real birth date, not in the future."""
    number = ric.compact(value)
    if len(number) != 18 or not number[:-1].isdigit():
        raise InvalidInput(Problem(field, f"身份证号 {value} 格式不正确，应为18位"))
    if number[-1] != ric.calc_check_digit(number):
        raise InvalidInput(Problem(field, f"身份证号 {value} 校验位不正确"))
    try:
        ric.get_birth_date(number)
    except stdnum_errors.ValidationError:
        raise InvalidInput(Problem(field, f"身份证号 {value} 中的出生日期不存在")) from None
    try:
        ric.validate(number)
    except stdnum_errors.ValidationError:
        raise InvalidInput(Problem(field, f"身份证号 {value} 中的地区码不存在")) from None
    if ric.get_birth_date(number) > today:
        raise InvalidInput(Problem(field, f"身份证号 {value} 中的出生日期晚于今天"))
    return number


def credit_code(value: str, field: str = "credit_code") -> str:
    """统一社会信用代码 (GB 32100). Registration-authority codes may be letters (N, Y, A...),
    which python-stdnum rejects; those are accepted when the check character is right."""
    code = uscc.compact(value)
    try:
        return uscc.validate(code)
    except stdnum_errors.InvalidChecksum:
        raise InvalidInput(Problem(field, f"统一社会信用代码 {value} 校验位不正确")) from None
    except stdnum_errors.InvalidFormat:
        alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
        shaped = (
            len(code) == 18
            and code[0] in alphabet
            and code[1] in alphabet
            and code[2:8].isdigit()
            and all(c in alphabet for c in code[8:])
        )
        if shaped and code[-1] == uscc.calc_check_digit(code):
            return code
        if shaped:
            raise InvalidInput(Problem(field, f"统一社会信用代码 {value} 校验位不正确")) from None
    except stdnum_errors.ValidationError:
        pass
    raise InvalidInput(Problem(field, f"统一社会信用代码 {value} 格式不正确，应为18位数字或大写字母"))


def phone(value: str, field: str = "phone") -> str:
    cleaned = re.sub(r"[\s()（）]", "", value)
    if not PHONE.match(cleaned):
        raise InvalidInput(
            Problem(field, f"电话 {value} 格式不正确，应为11位手机号或带区号的固定电话，如 010-80000000")
        )
    return cleaned


def email(value: str, field: str = "email") -> str:
    cleaned = value.strip()
    if not EMAIL.match(cleaned):
        raise InvalidInput(Problem(field, f"电子邮箱 {value} 格式不正确"))
    return cleaned


def text(value: str | None, field: str, label: str, max_len: int = 200) -> str:
    cleaned = (value or "").strip()
    if not cleaned:
        raise InvalidInput(Problem(field, f"{label}不能为空"))
    if len(cleaned) > max_len:
        raise InvalidInput(Problem(field, f"{label}过长（最多{max_len}个字）"))
    limits.check_plain_text(cleaned, field, label)
    return cleaned


def optional_text(value: str | None, field: str, label: str, max_len: int) -> str:
    """Free text that may be empty (a notice's address, a note): no hidden characters, bounded."""
    cleaned = (value or "").strip()
    return text(cleaned, field, label, max_len) if cleaned else ""


def person_or_company_name(value: str | None, field: str, label: str) -> str:
    cleaned = text(value, field, label, max_len=100)
    bad = sorted(set(cleaned) & NAME_FORBIDDEN)
    if bad:
        raise InvalidInput(Problem(field, f"{label}含有不允许的字符：{' '.join(bad)}"))
    if not cleaned.strip("."):  # "." and ".." name folders, never a customer (nor a file)
        raise InvalidInput(Problem(field, f"{label}不能只由“.”组成"))
    return cleaned


ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# An ISO date-time in its extended form only: Python's fromisoformat also takes 20250401 and
# 20250401T0900, which every other date in the program refuses.
ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?")


def iso_date(value: object, field: str) -> dt.date:
    """The one date parser: YYYY-MM-DD (or a date a file already holds), within limits.FIRST_DAY
    to limits.LAST_DAY."""
    if isinstance(value, dt.datetime):
        return limits.check_day(value.date(), field)
    if isinstance(value, dt.date):
        return limits.check_day(value, field)
    raw = str(value).strip()
    try:
        if not ISO_DAY.fullmatch(raw):
            raise ValueError
        day = dt.date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(
            Problem(field, f"日期 {value} 无效，请按 YYYY-MM-DD 填写，例如 2025-03-10")
        ) from None
    return limits.check_day(day, field)


def moment(value: object, field: str, default_tz: dt.tzinfo) -> dt.datetime:
    """A date or an ISO date-time; a date-time without a zone is read in `default_tz`."""
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        raw = str(value).strip()
        if ISO_DAY.fullmatch(raw):
            return dt.datetime.combine(iso_date(raw, field), dt.time(9, 0), default_tz)
        try:
            if not ISO_MOMENT.fullmatch(raw):
                raise ValueError
            parsed = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInput(
                Problem(field, f"时间 {value} 无效，请写 YYYY-MM-DD 或 2026-03-01T17:30+08:00")
            ) from None
    limits.check_day(parsed.date(), field)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=default_tz)


def unknown_keys(keys: Iterable[str], known: Sequence[str]) -> list[Problem]:
    """A problem for each key not in KNOWN, with the nearest known key when one is close: a
    misspelled key would otherwise be dropped without a word and its value never used."""
    problems = []
    for key in keys:
        if key in known:
            continue
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f"，是否想写 {close[0]}？" if close else f"；可用的字段：{'、'.join(known)}"
        problems.append(Problem("", f"{key}：未知的字段{hint}"))
    return problems
