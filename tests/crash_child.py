"""The command line as the crash tests run it: in a process of its own (so that it can be killed),
with a fake renderer when VIPCONTRACT_FAKE_RENDER is set (a real PDF takes seconds)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

if os.environ.get("VIPCONTRACT_FAKE_RENDER"):
    import service.output

    def fake_render(doc, fmt: str, path: Path) -> None:
        Path(path).write_text(f"{fmt}:{doc.doc_no}:{doc.title}:{len(repr(doc))}", encoding="utf-8")

    service.output.render_to = fake_render

import cli  # noqa: E402

if __name__ == "__main__":
    cli.main()
