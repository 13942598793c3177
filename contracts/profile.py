"""The company profile: the provider's details (甲方) and the agreement's parameters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from . import limits
from . import validation as v
from .dates import TermCounting
from .errors import InvalidInput, Problem
from .late_fee import LateFeeRate, rate_from_lpr
from .workdays import HolidaySupplement


class DisputeMethod(StrEnum):
    ARBITRATION = "arbitration"
    LITIGATION = "litigation"


@dataclass(frozen=True)
class Provider:
    name: str
    credit_code: str
    address: str
    legal_representative: str
    contact_person: str
    phone: str
    email: str
    notice_address: str
    bank_name: str
    bank_account: str
    account_name: str
    signing_place: str


@dataclass(frozen=True)
class Profile:
    provider: Provider
    number_prefix: str
    term_years: int
    term_counting: TermCounting
    payment_days: int
    late_fee: LateFeeRate  # clause 8.4: a multiple of the one-year LPR, fixed at issue
    late_payment_suspend_days: int
    late_payment_terminate_days: int
    response_hours: int
    courier_deemed_days: int
    expiry_warning_days: int
    reminder_days: tuple[int, ...]
    renewal_notice_days: int
    dispute_method: DisputeMethod
    arbitration_commission: str
    court: str
    consumer_court: str  # an individual customer's forum: one the consumer can reach
    holidays: HolidaySupplement
    # The provider's details are still the built-in sample's: fit for a preview, never for a
    # contract a customer signs (nor for the register).
    sample: bool = False
    # The mode of the documents written ([output] document_mode): 0600 unless the profile says
    # otherwise, since an agreement carries the customer's full ID number.
    document_mode: int = 0o600
    # The data embedded in a document's PDF ([output] data_full_id_number): an individual's ID
    # number masked unless the profile says otherwise (contracts/archive.py).
    data_full_id_number: bool = False
    # Root certificates `seal` and `verify` trust besides the system's ([signing] trust_roots):
    # file names as written, relative to the profile's folder.
    trust_roots: tuple[str, ...] = ()


# The fields by which the built-in sample provider is recognised, even in a copy `init` wrote.
SAMPLE_MARKERS = ("name", "credit_code", "bank_account")
SAMPLE_MARK = "样本"


def sample_refusal(profile: Profile) -> Problem | None:
    """Why a contract cannot be issued with this profile: None when it can."""
    if not profile.sample:
        return None
    return Problem("profile", f"公司档案中的甲方信息仍是内置示例（{profile.provider.name}），"
                              "不能用于正式签发；请先运行 vipcontract init 并在档案中填写甲方的真实信息")


def sample_number(number: str) -> str:
    """A document number marked as a sample, so that it can never pass for a real one."""
    suffix = f"（{SAMPLE_MARK}）"
    return number if number.endswith(suffix) else number + suffix


def _int(section: Mapping[str, Any], key: str, low: int, high: int) -> int:
    value = section.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidInput(Problem(f"contract.{key}", f"应为 {low} 到 {high} 之间的整数"))
    return value


# The profile key of the old fixed daily rate (万分之五 a day). Refused rather than read: honouring
# it would keep printing a rate with no stated basis that courts reduce, and ignoring it silently
# would change the rate of new agreements behind the back of whoever set it.
RETIRED_LATE_FEE_KEY = "late_fee_per_day"

# The interbank center publishes the LPR in percent with at most two decimals (e.g. 3.45).
LPR_PLACES = 2
# Four times the one-year LPR is the ceiling courts apply to interest in private lending
# (民间借贷司法解释 第二十五条); a late-payment rate near it is certain to be reduced.
MAX_LPR_MULTIPLE = Decimal(4)


def _decimal(section: Mapping[str, Any], key: str, low: Decimal, high: Decimal, hint: str) -> Decimal:
    """A decimal in (low, high], typed as a string or a number, with at most two decimals."""
    message = f"应为大于 {low}、不超过 {high} 的数，最多两位小数，{hint}"
    raw = section.get(key)
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise InvalidInput(Problem(f"contract.{key}", message))
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise InvalidInput(Problem(f"contract.{key}", message)) from None
    if not value.is_finite() or not low < value <= high:
        raise InvalidInput(Problem(f"contract.{key}", message))
    exponent = value.as_tuple().exponent  # an int: the value is finite
    if not isinstance(exponent, int) or -exponent > LPR_PLACES:
        raise InvalidInput(Problem(f"contract.{key}", message))
    return value


def _late_fee(section: Mapping[str, Any]) -> LateFeeRate:
    if RETIRED_LATE_FEE_KEY in section:
        raise InvalidInput(Problem(
            f"contract.{RETIRED_LATE_FEE_KEY}",
            "已不再使用：逾期付款违约金改为按一年期贷款市场报价利率（LPR）的倍数计算。请从公司档案中删除"
            "该项，并填写 contract.lpr_one_year、contract.lpr_published_on 和 "
            "contract.late_fee_lpr_multiple（说明见 vipcontract init 生成的档案）"))
    lpr = _decimal(section, "lpr_one_year", Decimal(0), Decimal(10),
                   "即全国银行间同业拆借中心公布的一年期LPR的百分数，如 \"3.0\" 表示 3.0%")
    if "lpr_published_on" not in section:
        raise InvalidInput(Problem("contract.lpr_published_on", "不能为空：应为该LPR的公布日期，如 2025-05-20"))
    published = v.iso_date(section["lpr_published_on"], "contract.lpr_published_on")
    multiple = _decimal(section, "late_fee_lpr_multiple", Decimal(0), MAX_LPR_MULTIPLE,
                        "即逾期付款违约金的年利率为一年期LPR的几倍，如 \"1.5\"")
    return rate_from_lpr(lpr, published, multiple)


def _holidays(section: Mapping[str, Any]) -> HolidaySupplement:
    years: set[int] = set()
    rest: set[dt.date] = set()
    work: set[dt.date] = set()
    for year, spec in section.items():
        if not str(year).isdigit():
            raise InvalidInput(Problem(f"holidays.{year}", "年份应为四位数字"))
        years.add(int(year))
        for key, target in (("rest_days", rest), ("working_days", work)):
            for day in spec.get(key, []):
                parsed = v.iso_date(day, f"holidays.{year}.{key}")
                if parsed.year != int(year):
                    raise InvalidInput(Problem(f"holidays.{year}.{key}", f"{day} 不在 {year} 年"))
                target.add(parsed)
    return HolidaySupplement(frozenset(years), frozenset(rest), frozenset(work))


def profile_from_mapping(data: Mapping[str, Any], sample_provider: Mapping[str, Any] | None = None) -> Profile:
    """Build the profile from the merged TOML data (defaults overlaid by the user's file);
    SAMPLE_PROVIDER: the built-in sample's provider, to recognise it."""
    p, c, d = data.get("provider", {}), data.get("contract", {}), data.get("disputes", {})
    provider_fields = Provider.__dataclass_fields__
    missing = [k for k in provider_fields if not str(p.get(k, "")).strip()]
    if missing:
        raise InvalidInput([Problem(f"provider.{k}", "不能为空") for k in missing])
    provider = Provider(**{k: str(p[k]).strip() for k in provider_fields})
    v.credit_code(provider.credit_code, "provider.credit_code")
    v.email(provider.email, "provider.email")
    try:
        counting = TermCounting(c.get("term_counting"))
    except ValueError:
        raise InvalidInput(Problem("contract.term_counting",
                                   "应为 effective_day_counted 或 civil_code")) from None
    try:
        method = DisputeMethod(d.get("method"))
    except ValueError:
        raise InvalidInput(Problem("disputes.method", "应为 arbitration（仲裁）或 litigation（诉讼）")) from None
    late_fee = _late_fee(c)
    needed = ("arbitration_commission",) if method is DisputeMethod.ARBITRATION else ("court", "consumer_court")
    blank = [k for k in needed if not str(d.get(k, "")).strip()]
    if blank:
        raise InvalidInput([Problem(f"disputes.{k}", "按所选争议解决方式不能为空") for k in blank])
    reminders = c.get("reminder_days", [])
    if not all(isinstance(x, int) and 0 < x <= 366 for x in reminders):
        raise InvalidInput(Problem("contract.reminder_days", "应为 1 到 366 之间的整数列表"))
    return Profile(
        provider=provider,
        number_prefix=limits.check_number_prefix(str(c.get("number_prefix", "VIP")).strip() or "VIP"),
        term_years=_int(c, "term_years", 1, 30),
        term_counting=counting,
        payment_days=_int(c, "payment_days", 1, 90),
        late_fee=late_fee,
        late_payment_suspend_days=_int(c, "late_payment_suspend_days", 1, 365),
        late_payment_terminate_days=_int(c, "late_payment_terminate_days", 1, 365),
        response_hours=_int(c, "response_hours", 1, 168),
        courier_deemed_days=_int(c, "courier_deemed_days", 1, 30),
        expiry_warning_days=_int(c, "expiry_warning_days", 1, 366),
        reminder_days=tuple(sorted(set(reminders), reverse=True)),
        renewal_notice_days=_int(c, "renewal_notice_days", 1, 365),
        dispute_method=method,
        arbitration_commission=str(d.get("arbitration_commission", "")).strip(),
        court=str(d.get("court", "")).strip(),
        consumer_court=str(d.get("consumer_court", "")).strip(),
        holidays=_holidays(data.get("holidays", {})),
        sample=any(str(p.get(k, "")).strip() == str((sample_provider or {}).get(k, "")).strip()
                   for k in SAMPLE_MARKERS) if sample_provider else False,
        document_mode=_document_mode(data.get("output", {})),
        data_full_id_number=_flag(data.get("output", {}), "data_full_id_number"),
        trust_roots=_trust_roots(data.get("signing", {})),
    )


def _trust_roots(section: Mapping[str, Any]) -> tuple[str, ...]:
    roots = section.get("trust_roots", [])
    if not isinstance(roots, list) or not all(isinstance(r, str) and r.strip() for r in roots):
        raise InvalidInput(Problem("signing.trust_roots", "应为根证书文件名的列表，如 [\"ca-root.pem\"]"))
    return tuple(r.strip() for r in roots)


DOCUMENT_MODES = {"0600": 0o600, "0640": 0o640, "0644": 0o644}


def _document_mode(section: Mapping[str, Any]) -> int:
    value = str(section.get("document_mode", "0600")).strip()
    if value not in DOCUMENT_MODES:
        raise InvalidInput(Problem("output.document_mode", f"“{value}”无效，可选：{'、'.join(DOCUMENT_MODES)}"))
    return DOCUMENT_MODES[value]


def _flag(section: Mapping[str, Any], key: str) -> bool:
    value = section.get(key, False)
    if not isinstance(value, bool):
        raise InvalidInput(Problem(f"output.{key}", f"“{value}”无效，应为 true 或 false（不加引号）"))
    return value


def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Overlay `override` on `base`, section by section."""
    result = {k: (dict(val) if isinstance(val, Mapping) else val) for k, val in base.items()}
    for key, val in override.items():
        if isinstance(val, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = merge(result[key], val)
        else:
            result[key] = val
    return result

