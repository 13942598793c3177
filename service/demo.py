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
        doc = build_agreement(profile, request, number, today)
        written += write_agreement(doc, request.customer, out_dir, ("docx", "pdf"))
    return written
