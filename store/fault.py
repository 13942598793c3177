"""Fault points for the crash tests: the process kills itself at a named step of a write.

`VIPCONTRACT_FAULT_AT=appended` sends SIGKILL to the process the first time the write path
reaches the step "appended"; `appended#2` the second time. Unset (always, outside the tests),
a fault point costs one dictionary lookup. SIGKILL, not an exception: nothing of the program
runs after it (no `finally`, no clean-up), exactly as after a power cut or the OOM killer.

Steps, in the order of a write: noted (the pending note is on disk), staged (the temporary files
exist), rendered (after each file), kept (after each file's bytes are kept with the register),
appended (the event is on disk, before any rename), placed
(after each rename); "written" is inside the file store, after the line is written and before
it is synced; "indexing" inside the file store's sidecar update, after the line is synced and
before the sidecar's transaction commits (store.sidecar). `pay` writes no document: only
"written", "indexing" and "appended" (still under the lock).
`db copy` (service.copy): "copied", after each append made in the target.
"""

from __future__ import annotations

import os
import signal

ENV = "VIPCONTRACT_FAULT_AT"
_seen: dict[str, int] = {}


def fault_point(step: str) -> None:
    wanted = os.environ.get(ENV)
    if not wanted:
        return
    name, _, nth = wanted.partition("#")
    if name != step:
        return
    _seen[step] = _seen.get(step, 0) + 1
    if _seen[step] == int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
