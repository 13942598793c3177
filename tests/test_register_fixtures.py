"""Shared helpers of the register tests: events built by hand, a fake renderer, stores."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from contracts.customer import Customer, CustomerType
from contracts.dates import SHANGHAI, TermCounting, local_date
from contracts.events import GENESIS, Body, Event, Issued, Signed, seal
from contracts.register import FACT_DATES, ContractState, replay
from store import MemoryStore, TinyDBStore

D = dt.date.fromisoformat
NO = "VIP-2025-000001"
RECORDED = dt.datetime(2025, 3, 1, 10, tzinfo=SHANGHAI)
CUSTOMER = Customer(CustomerType.INDIVIDUAL, "张三", "13800000000", "北京市朝阳区建国路88号",
                    "zhangsan@example.com", id_number="11010519491231002X")


def issued(issued_on: str = "2025-03-01", fee: str = "12800.00", **kw) -> Issued:
    return Issued(D(issued_on), CUSTOMER, Decimal(fee), 5, TermCounting.EFFECTIVE_DAY_COUNTED,
                  15, 3, **kw)


def recorded_when(body: Body) -> dt.datetime:
    """When a clerk would record `body`: on the day of its latest fact (a fact cannot be recorded
    before it happens), never before RECORDED."""
    days = [local_date(v) if isinstance(v, dt.datetime) else v
            for field, _label, _option in FACT_DATES.get(type(body), ())
            if isinstance(v := getattr(body, field), dt.date)]
    latest = max(days, default=RECORDED.date())
    return max(RECORDED, dt.datetime.combine(latest, dt.time(18), SHANGHAI))


def chain(*bodies: Body, contract_no: str = NO, recorded_at: dt.datetime | None = None) -> list[Event]:
    """Events with seq and hashes as the store would hold them, each recorded at `recorded_at`
    or, by default, on the day it happened (recorded_when)."""
    events, prev = [], GENESIS
    for seq, body in enumerate(bodies, start=1):
        event = seal(contract_no, seq, recorded_at or recorded_when(body), body, prev)
        events.append(event)
        prev = event.hash
    return events


def history_state(effective: str = "2025-03-10", *more: Body, issued_on: str | None = None) -> ContractState:
    first = issued(issued_on or effective)
    return replay(chain(first, Signed(D(effective), D(effective)), *more))


def freeze_clock(patch: pytest.MonkeyPatch, moment: dt.datetime) -> None:
    """Commands run as if it were `moment`: the clock the CLI reads and passes on, and the one
    the service reads when none is passed (facts dated after it are refused)."""
    import cli
    import service.register

    patch.setattr(service.register, "now_shanghai", lambda: moment)
    patch.setattr(cli, "now", lambda: moment)
    patch.setattr(cli, "today", lambda: moment.date())


def fake_render(doc, fmt: str, path: Path) -> None:
    Path(path).write_text(f"{fmt}:{doc.doc_no}:{doc.title}", encoding="utf-8")


@pytest.fixture
def fake_renderer(monkeypatch):
    import service.output

    monkeypatch.setattr(service.output, "render_to", fake_render)


@pytest.fixture(params=["memory", "tinydb", "postgres"])
def any_store(request, tmp_path):
    if request.param == "postgres":
        from store.postgres import PostgresStore

        store = PostgresStore(request.getfixturevalue("pg_dsn"))
    else:
        store = MemoryStore() if request.param == "memory" else TinyDBStore(tmp_path / "register.json")
    yield store
    store.close()


def signed_contract_cli(tmp_path: Path, patch: pytest.MonkeyPatch, moment: dt.datetime):
    """The CLI on a fresh register holding one individual contract, issued 2025-03-01 and signed
    2025-03-10, with the clock at `moment`; returns `invoke(*args)` (its `.db` is the file)."""
    from click.testing import CliRunner

    from cli import main
    from tests.conftest import INDIVIDUAL

    db = tmp_path / "register.json"
    patch.chdir(tmp_path)
    freeze_clock(patch, moment)
    customer = tmp_path / "customer.yaml"
    customer.write_text("\n".join(f'{k}: "{v}"' for k, v in {**INDIVIDUAL, "annual_fee": "12800"}.items()),
                        encoding="utf-8")

    def invoke(*args: str):
        return CliRunner().invoke(main, ["--db", str(db), "--new-register", *args])

    assert invoke("issue", "--type", "individual", "--from", str(customer), "--issued-on", "2025-03-01",
                  "--format", "pdf", "--out", "out").exit_code == 0
    assert invoke("sign", NO, "--on", "2025-03-10").exit_code == 0
    invoke.db = db  # type: ignore[attr-defined]
    return invoke
