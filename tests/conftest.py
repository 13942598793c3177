from __future__ import annotations

import datetime as dt
import signal
from decimal import Decimal
from pathlib import Path

import pytest

from contracts.agreement import ContractParams, agreement_context
from contracts.customer import Customer, CustomerType, customer_from_mapping
from contracts.document import Document
from contracts.resolver import resolve
from service.demo import SAMPLE_CORPORATE, SAMPLE_INDIVIDUAL
from service.sources import load_profile, load_source

TODAY = dt.date(2026, 11, 24)

# A provider of the tests' own: the built-in sample provider may never issue a contract.
TEST_PROFILE = Path(__file__).resolve().parent / "data" / "profile.toml"


@pytest.fixture(autouse=True)
def _test_profile(monkeypatch):
    """Commands run through the CLI use the tests' profile unless a test says otherwise."""
    monkeypatch.setenv("VIPCONTRACT_PROFILE", str(TEST_PROFILE))


@pytest.fixture(autouse=True)
def _ctrl_c_as_before():
    """A command interrupted in-process stops listening for Ctrl-C, as a process that is ending
    does; the next test gets it back, and so do the processes it starts (a child started with
    SIGINT ignored would never see a Ctrl-C)."""
    handler = signal.getsignal(signal.SIGINT)
    yield
    signal.signal(signal.SIGINT, handler)

# The demo's sample customers, without the fee (the agreement's parameter, not the customer's).
INDIVIDUAL = {k: v for k, v in SAMPLE_INDIVIDUAL.items() if k != "annual_fee"}
CORPORATE = {k: v for k, v in SAMPLE_CORPORATE.items() if k != "annual_fee"}


@pytest.fixture(scope="session")
def profile():
    return load_profile(TEST_PROFILE)


def make_customer(kind: str) -> Customer:
    data = INDIVIDUAL if kind == "individual" else CORPORATE
    return customer_from_mapping(CustomerType(kind), data, TODAY)


def make_agreement(
    kind: str, effective_date: dt.date | None = None, fee: str = "12800", contract_no: str = "VIP-2026-000001"
) -> Document:
    profile = load_profile(TEST_PROFILE)
    params = ContractParams(contract_no, TODAY, Decimal(fee), effective_date, profile.term_years)
    context = agreement_context(make_customer(kind), profile, params)
    return resolve(load_source("agreement"), context, contract_no=contract_no)


@pytest.fixture(params=["individual", "corporate"])
def agreement(request) -> Document:
    return make_agreement(request.param)


# PostgreSQL for the tests that need it (tests/pg.py): a cluster per session, a database per test
from tests.pg import pg_bare_database, pg_database, pg_dsn, pg_roles, pg_server, pg_url  # noqa: E402, F401
