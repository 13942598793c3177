"""Sample customers and the demo: agreements of both variants and a register in every status."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from contracts.customer import CustomerType
from contracts.profile import Profile

from .generate import build_agreement, parse_request, write_agreement
from .output import WrittenFile

SAMPLE_INDIVIDUAL = {
    "name": "张三",
    "id_number": "11010519491231002X",
    "phone": "13800000000",
    "address": "北京市朝阳区建国路88号1单元101室",
    "email": "zhangsan@example.com",
    "annual_fee": "12800",
}
SAMPLE_CORPORATE = {
    "name": "北京某某科技有限公司",
    "credit_code": "91110000600037341L",
    "legal_representative": "李四",
    "phone": "010-80000000",
    "address": "北京市海淀区上地十街10号",
    "email": "it@example.com",
    "annual_fee": "98000",
}


def write_sample_agreements(
    profile: Profile, out_dir: Path, today: dt.date, effective_date: dt.date | None = None
) -> list[WrittenFile]:
    """One agreement per variant, DOCX and PDF, numbered as samples."""
    written: list[WrittenFile] = []
    samples = ((CustomerType.INDIVIDUAL, SAMPLE_INDIVIDUAL), (CustomerType.CORPORATE, SAMPLE_CORPORATE))
    for n, (kind, data) in enumerate(samples, start=1):
        payload = dict(data)
        if effective_date:
            payload["effective_date"] = effective_date.isoformat()
        request = parse_request(kind, payload, today)
        number = f"{profile.number_prefix}-{today.year}-S{n:05d}"
        doc = build_agreement(profile, request, number, today, registered=False)
        # samples, made again by every `demo`: the previous ones are replaced
        written += write_agreement(doc, request.customer, out_dir, ("docx", "pdf"), overwrite=True,
                                   mode=profile.document_mode)
    return written


def clear_demo_register(store_path: Path, docs_dir: Path) -> None:
    """Remove the previous demo register and the documents it lists (and nothing else in
    `docs_dir`), so that `demo` can start again: no other command writes over a document."""
    from store import open_store

    if Path(store_path).exists():
        store = open_store(store_path)
        try:
            names = {str(item["name"]) for _no, records in store.histories() for r in records
                     for item in r.get("data", {}).get("files", ())}
        finally:
            store.close()
        for name in names:
            (Path(docs_dir) / name).unlink(missing_ok=True)
    Path(store_path).unlink(missing_ok=True)


def _shift(day: dt.date, years: int = 0, days: int = 0) -> dt.date:
    from dateutil.relativedelta import relativedelta

    return day + relativedelta(years=years, days=days)


def fill_demo_register(
    store_path: Path, profile: Profile, out_dir: Path, today: dt.date
) -> list[tuple[str, str]]:
    """A register with a contract in every status on `today`; returns (contract_no, what)."""
    from contracts.dates import SHANGHAI, DeliveryMethod
    from contracts.events import NoticeKind, NoticeSent
    from store import open_store

    from . import register as reg

    def at(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(10, 0), SHANGHAI)

    def pay_years(contract_no: str, years: int | None = None) -> None:
        """Each service year begun by today (or the first `years`) paid three days in."""
        from contracts.commands import PaymentRequest
        from contracts.register import payment_deadlines

        from .payments import pay

        state = reg.load_state(store, profile, contract_no)
        for item in payment_deadlines(state, profile)[:years]:
            day = min(item.first_day + dt.timedelta(days=3), today)
            if item.first_day <= today:
                pay(store, profile, contract_no, PaymentRequest(day, item.amount, item.service_year),
                    now=at(day))

    people = [
        ("李明", "11010119800101001"), ("王芳", "31010419850315002"), ("刘洋", "44030519900720003"),
        ("陈静", "32010619881111004"), ("赵磊", "42010219881230005"), ("孙丽", "33010619920505006"),
    ]
    formats = ("docx", "pdf")
    made: list[tuple[str, str]] = []
    store = open_store(store_path)
    try:
        def issue_individual(n: int, issued_on: dt.date, fee: str) -> str:
            from stdnum.cn import ric

            name, body = people[n]
            data = {**SAMPLE_INDIVIDUAL, "name": name, "id_number": body + ric.calc_check_digit(body + "0"),
                    "annual_fee": fee, "email": f"vip{n + 1}@example.com"}
            request = parse_request(CustomerType.INDIVIDUAL, data, today)
            return reg.issue(store, profile, request, out_dir, formats, issued_on=issued_on,
                             now=at(issued_on), allow_sample=True).event.contract_no

        # draft: issued this week, not yet signed
        draft = issue_individual(0, today, "12800")
        made.append((draft, "待签署"))

        # active, with an amendment of the fee and a payment reminder by email
        start = _shift(today, years=-1, days=-20)
        active = issue_individual(1, _shift(start, days=-5), "12800")
        reg.sign(store, profile, active, start, now=at(start))
        amended_on = _shift(start, days=120)
        reg.amend(store, profile, active, signed_on=amended_on, effective_on=_shift(amended_on, days=30),
                  changes={"annual_fee": "15800"}, out_dir=out_dir, formats=formats, now=at(amended_on))
        pay_years(active)
        reminder_day = _shift(today, days=-10)
        reg.send_notice(store, profile, active, reg.NoticeRequest(
            NoticeKind.PAYMENT_REMINDER, DeliveryMethod.EMAIL, at(reminder_day)), now=at(reminder_day))
        made.append((active, "履行中，含一份补充协议"))

        # expiring: the last day is 50 days away; a renewal reminder by courier, still in transit
        start = _shift(today, years=-5, days=50)
        expiring = issue_individual(2, _shift(start, days=-3), "12800")
        reg.sign(store, profile, expiring, start, now=at(start))
        pay_years(expiring)
        posted = _shift(today, days=-1)
        reg.send_notice(store, profile, expiring, reg.NoticeRequest(
            NoticeKind.RENEWAL_REMINDER, DeliveryMethod.COURIER, at(posted)), now=at(posted))
        made.append((expiring, "即将到期，续签提醒在途"))

        # renewed: the last day is 20 days away and the renewal is signed
        start = _shift(today, years=-5, days=20)
        renewed = issue_individual(3, _shift(start, days=-3), "9800")
        reg.sign(store, profile, renewed, start, now=at(start))
        pay_years(renewed)
        renew_day = _shift(today, days=-15)
        reg.renew(store, profile, renewed, signed_on=renew_day, out_dir=out_dir, formats=formats,
                  now=at(renew_day))
        made.append((renewed, "已续签"))

        # expired: the last day passed two months ago, no renewal
        start = _shift(today, years=-5, days=-60)
        expired = issue_individual(4, _shift(start, days=-3), "12800")
        reg.sign(store, profile, expired, start, now=at(start))
        pay_years(expired)
        made.append((expired, "已到期"))

        # terminated by a delivered termination notice for late payment: nothing was ever paid
        start = _shift(today, years=-2)
        ended = issue_individual(5, _shift(start, days=-3), "12800")
        reg.sign(store, profile, ended, start, now=at(start))
        sent = _shift(today, days=-30)
        notice = reg.send_notice(store, profile, ended, reg.NoticeRequest(
            NoticeKind.TERMINATION, DeliveryMethod.COURIER, at(sent), reason="late_payment",
            reason_text="乙方逾期支付服务费超过六十日"), out_dir=out_dir, formats=formats, now=at(sent))
        notice_id = notice.event.body_as(NoticeSent).notice_id
        reg.record_delivery(store, profile, notice_id, _shift(sent, days=2), now=at(_shift(sent, days=2)))
        reg.terminate(store, profile, ended, by_notice=notice_id, now=at(_shift(sent, days=3)))
        made.append((ended, "已解除，解除通知已送达"))

        # a corporate contract, overdue: years 1-3 paid, year 4 (begun 100 days ago) not
        request = parse_request(CustomerType.CORPORATE, SAMPLE_CORPORATE, today)
        start = _shift(today, years=-3, days=-100)
        corp = reg.issue(store, profile, request, out_dir, formats, issued_on=_shift(start, days=-7),
                         now=at(_shift(start, days=-7)), allow_sample=True).event.contract_no
        reg.sign(store, profile, corp, start, now=at(start))
        pay_years(corp, 3)
        made.append((corp, "单位客户，逾期付款：第 4 服务年度的服务费未付"))
    finally:
        store.close()
    return made
