"""Commands in processes of their own, started by fork from one process that has loaded the
command line (tests/crash_child.py --serve), for tests that start hundreds of them."""

from __future__ import annotations

import atexit
import json
import os
import selectors
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

CHILD = Path(__file__).resolve().parent / "crash_child.py"


class ForkedCli:
    """`run(args, env)` as subprocess.run of `crash_child.py args` would give it. The server is
    started with `env` of the first command (what it imports at start depends on it, e.g. the
    fake renderer); every command gets its own environment."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._server = subprocess.Popen([sys.executable, str(CHILD), "--serve"], env=dict(env),
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self._folder = tempfile.TemporaryDirectory(prefix="vip-forked-")

    def run(self, args: Sequence[str], env: Mapping[str, str], cwd: Path | None = None, timeout: float = 120
            ) -> subprocess.CompletedProcess[str]:
        out, err = Path(self._folder.name, "stdout"), Path(self._folder.name, "stderr")
        request = {"args": list(args), "env": dict(env), "cwd": str(cwd or os.getcwd()), "stdout": str(out),
                   "stderr": str(err)}
        assert self._server.stdin is not None and self._server.stdout is not None
        self._server.stdin.write(json.dumps(request) + "\n")
        self._server.stdin.flush()
        with selectors.DefaultSelector() as waiting:
            waiting.register(self._server.stdout, selectors.EVENT_READ)
            if not waiting.select(timeout):
                self.close()
                raise subprocess.TimeoutExpired(list(args), timeout)
        answer = self._server.stdout.readline()
        if not answer:
            raise RuntimeError(f"the command server ended (exit {self._server.wait()})")
        code = json.loads(answer)["returncode"]
        return subprocess.CompletedProcess(list(args), code, out.read_text(encoding="utf-8"),
                                           err.read_text(encoding="utf-8"))

    def close(self) -> None:
        if self._server.poll() is None:
            self._server.kill()
            self._server.wait()
        self._folder.cleanup()


_SERVERS: dict[str, ForkedCli] = {}


def run_forked(args: Sequence[str], env: Mapping[str, str], cwd: Path | None = None
               ) -> subprocess.CompletedProcess[str]:
    """`crash_child.py args` in a process of its own, forked from this test process's server (one
    per way of rendering: the fake renderer is chosen when the server starts)."""
    kind = "fake" if env.get("VIPCONTRACT_FAKE_RENDER") else "real"
    if kind not in _SERVERS:
        _SERVERS[kind] = ForkedCli(env)
        atexit.register(_SERVERS[kind].close)
    return _SERVERS[kind].run(args, env, cwd)
