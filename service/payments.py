"""`pay` and `late-fee pay|waive`: load the contract, let contracts.commands decide the event,
append it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from contracts.commands import LateFeeRequest, PaymentRequest, decide_late_fee, decide_payment
from contracts.dates import local_date
from contracts.errors import InvalidInput
from contracts.profile import Profile
from contracts.register import ContractState
from store import Store
from store.fault import fault_point

from . import register
from .register import Recorded, _append, _seal, load_state


def pay(
    store: Store, profile: Profile, contract_no: str, request: PaymentRequest,
    *, now: dt.datetime | None = None,
) -> Recorded:
    """Record a payment (or refund) received; today is the day of `now` (the clock by default)."""
    return _record_money(store, profile, contract_no, lambda state, today: decide_payment(
        state, request, profile, today), now)


def settle_late_fee(
    store: Store, profile: Profile, contract_no: str, request: LateFeeRequest,
    *, now: dt.datetime | None = None,
) -> Recorded:
    """Record a late fee received, or waived by the provider; today is the day of `now`."""
    return _record_money(store, profile, contract_no, lambda state, today: decide_late_fee(
        state, request, profile, today), now)


def _record_money(
    store: Store, profile: Profile, contract_no: str,
    decide: Callable[[ContractState, dt.date], Any], now: dt.datetime | None,
) -> Recorded:
    """Under the lock: the state, the decision (an event body or problems), one append."""
    now = now or register.now_shanghai()
    with store.locked():
        state = load_state(store, profile, contract_no)
        decided = decide(state, local_date(now))
        if isinstance(decided, list):
            raise InvalidInput(decided)
        event = _seal(store, state, decided, now)
        _append(store, state, event, profile)
        # The crash tests kill here: the record is on disk, the lock still held, nothing said yet.
        fault_point("appended")
    return Recorded(event)
