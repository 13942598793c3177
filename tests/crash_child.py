"""The command line as the crash tests run it: in a process of its own (so that it can be killed),
with a fake renderer when VIPCONTRACT_FAKE_RENDER is set (a real PDF takes seconds).

`crash_child.py --serve` loads the command line once and then, for each request read from its
input (one JSON line: args, env, cwd, files for the output), forks a process that runs that one
command as `vipcontract` would and answers with how it ended. The command runs in a process of its
own, killed and exiting as one would, without paying for Python's start and imports each time
(most of a second, and the crash tests start hundreds).
"""

from __future__ import annotations

import json
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


def _run_command(request: dict) -> None:
    """In the forked process: the command with the request's environment, folder and output files."""
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    stdin = os.open(os.devnull, os.O_RDONLY)
    stdout = os.open(request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    stderr = os.open(request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    for source, target in ((stdin, 0), (stdout, 1), (stderr, 2)):
        os.dup2(source, target)
    code = 1
    try:
        sys.argv = ["vipcontract", *request["args"]]
        cli.main(args=request["args"], prog_name="vipcontract")
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
    except BaseException:  # as the interpreter would: the traceback on stderr
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve() -> None:
    for line in sys.stdin:
        request = json.loads(line)
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            _run_command(request)
        _, status = os.waitpid(pid, 0)
        code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        sys.stdout.write(json.dumps({"returncode": code}) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        serve()
    else:
        cli.main()
