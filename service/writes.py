"""The write path of a command that records documents: render, append, then name the files.

1. A note next to the register (`<register>.pending-<token>`, 0600) names the output directory,
   the contract and the temporary files about to be written. The writer holds `flock` on the
   note for as long as it lives, so a note nobody holds is a writer that died.
2. The documents are rendered into those temporary files (0600, `.<name>.<random>.vipcontract-tmp`
   in the output directory), outside the register's lock: rendering a PDF takes seconds.
3. Under the lock the number is allocated (or the documents are found still right), the files'
   bytes are kept with the register (`Store.put_document`, by sha256), and then the event is
   appended with the files' sha256: one append. An event therefore never names bytes the register
   lacks; a crash between the two leaves a kept document no event names, which is harmless (the
   next write of the same bytes finds it kept, and `check` mentions it).
4. The temporary files get their final names (never over an existing file), the directory is
   synced and the note removed.

A crash before 3 leaves a note and temporary files, no event; a crash after it, a registered event
whose files are still temporary. `recover` (run by the next writer, and by `check --repair`)
removes the first and finishes the second; `pending_problems` is what `check` says about them. A
final name therefore only ever names a registered, complete file.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import signal
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracts.errors import ContractError, Problem
from store import Store
from store.atomic import (
    PRIVATE,
    OutputExists,
    WrittenFile,
    as_target_error,
    fsync_dir,
    publish,
    refuse_existing,
    sha256_file,
    temp_path,
    write_all,
)
from store.fault import fault_point

PENDING = ".pending-"


def register_path(store: Store) -> Path | None:
    """The register file, for the notes next to it (a server's register: its name on this
    computer; None: a store with no file, e.g. in memory)."""
    path = getattr(store, "path", None)
    return Path(path).resolve() if isinstance(path, Path | str) else None


@dataclass(frozen=True)
class Target:
    final: Path
    format: str


class Staging:
    """The temporary files of one write and the note that claims them, until placed or removed."""

    def __init__(self, store: Store, contract_no: str, targets: Sequence[Target], mode: int = PRIVATE) -> None:
        self.targets = tuple(targets)
        self.mode = mode  # of the named files; the temporary ones are always 0600
        self.temps: tuple[Path, ...] = ()
        self.committed = False
        self.store = store
        self._contents: tuple[tuple[str, bytes], ...] = ()  # (sha256, bytes) read by files()
        self._note: Path | None = None
        self._fd: int | None = None
        refuse_existing([t.final for t in self.targets])
        register = register_path(store)
        # The names are chosen first and the note written before any file exists: a writer killed
        # at any point leaves no temporary file that no note names.
        names = tuple(temp_path(t.final) for t in self.targets)
        try:
            for directory in {t.final.parent for t in self.targets}:
                directory.mkdir(parents=True, exist_ok=True)
            if register is not None:
                self._write_note(register, contract_no, names)
            fault_point("noted")
            for name in names:
                os.close(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, PRIVATE))
                self.temps += (name,)
        except BaseException as exc:
            self.discard()
            if isinstance(exc, OSError):
                raise as_target_error(exc, self.targets[0].final) from None
            raise
        fault_point("staged")

    def _write_note(self, register: Path, contract_no: str, temps: Sequence[Path]) -> None:
        """Written and locked under a name recoverers do not look at, then renamed (the lock goes
        with the file): a recoverer never finds a note that is not yet locked and written."""
        token = secrets.token_hex(6)
        register.parent.mkdir(parents=True, exist_ok=True)  # a server's register: a folder of this computer
        draft = register.with_name(f".{register.name}{PENDING}{token}")
        note = register.with_name(f"{register.name}{PENDING}{token}")
        self._fd = os.open(draft, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, PRIVATE)
        self._note = draft
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        entries = [{"temp": tmp.name, "final": t.final.name, "format": t.format}
                   for tmp, t in zip(temps, self.targets, strict=True)]
        body = {"contract_no": contract_no, "dir": str(self.targets[0].final.parent.resolve()),
                "files": entries}
        write_all(self._fd, json.dumps(body, ensure_ascii=False).encode())
        os.fsync(self._fd)
        os.rename(draft, note)
        self._note = note
        fsync_dir(note.parent)

    def render(self, documents: Sequence[Any], render_to: Any) -> None:
        """`documents[i]` rendered into temps[i] by `render_to(doc, fmt, path)`."""
        for doc, temp, target in zip(documents, self.temps, self.targets, strict=True):
            try:
                render_to(doc, target.format, temp)
                os.chmod(temp, PRIVATE)  # a renderer that replaced the file keeps it private
            except OSError as exc:  # e.g. a full disk: said of the file asked for
                raise as_target_error(exc, target.final) from None
            fault_point("rendered")

    def files(self) -> tuple[WrittenFile, ...]:
        """The rendered files under their final names, with their content's sha256 (synced:
        what the register is about to vouch for is on disk)."""
        found, contents = [], []
        for temp, target in zip(self.temps, self.targets, strict=True):
            with open(temp, "rb") as fh:
                os.fsync(fh.fileno())
                content = fh.read()
            digest = hashlib.sha256(content).hexdigest()
            found.append(WrittenFile(target.final, target.format, digest))
            contents.append((digest, content))
        self._contents = tuple(contents)
        return tuple(found)

    def keep(self) -> None:
        """The bytes `files()` read, kept with the register: called just before the append that
        names them (an event never names bytes the register lacks)."""
        for digest, content in self._contents:
            self.store.put_document(digest, content)
            fault_point("kept")
        self._contents = ()

    def check_free(self) -> None:
        refuse_existing([t.final for t in self.targets])

    def place(self) -> None:
        """The registered files get their names; then the note goes (the write is complete)."""
        for temp, target in zip(self.temps, self.targets, strict=True):
            if self.mode != PRIVATE:
                os.chmod(temp, self.mode)  # [output] document_mode, set just before the name
            publish(temp, target.final)
            fault_point("placed")
        for directory in {t.final.parent for t in self.targets}:
            fsync_dir(directory)
        self._drop_note()

    def discard(self) -> None:
        """Nothing was registered: the temporary files and the note go."""
        for temp in self.temps:
            temp.unlink(missing_ok=True)
        self._drop_note()

    def _drop_note(self) -> None:
        if self._note is not None:
            self._note.unlink(missing_ok=True)
            self._note = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.committed:
            self.discard()
        elif self._note is not None:
            # Registered but not all named (a file appeared under the name meanwhile): the note
            # and the temporary files stay for `check` to report and `recover` to finish.
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


class InterruptGuard:
    """Ctrl-C as usual until `hold()`; from then on it is held and raised when the block ends:
    the files of a registered event are named, not thrown away half-way."""

    def __init__(self) -> None:
        self.holding = False
        self.received = False

    def hold(self) -> None:
        self.holding = True

    def handle(self, signum: int, frame: object) -> None:
        if not self.holding:
            raise KeyboardInterrupt
        self.received = True


@contextlib.contextmanager
def interrupt_guard() -> Iterator[InterruptGuard]:
    guard = InterruptGuard()
    if threading.current_thread() is not threading.main_thread():
        yield guard  # signals reach the main thread only
        return
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, guard.handle)
    try:
        yield guard
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.SIG_DFL)
    if guard.received:
        raise KeyboardInterrupt


# ---------------------------------------------------------------- what a killed writer left
@dataclass(frozen=True)
class Leftover:
    """One file of a note whose writer is gone, and what it needs."""

    note: Path
    temp: Path
    final: Path
    state: str  # "unregistered" (remove), "unnamed" (registered: rename), "missing", "conflict", "done"


def pending_notes(store: Store) -> list[Path]:
    register = register_path(store)
    if register is None or not register.parent.is_dir():
        return []
    prefix = f"{register.name}{PENDING}"
    return sorted(p for p in register.parent.iterdir() if p.name.startswith(prefix))


def registered_files(store: Store, contract_no: str) -> dict[str, str]:
    """File name -> sha256 of every document the register holds for `contract_no`."""
    found: dict[str, str] = {}
    for record in store.history(contract_no):
        for item in record.get("data", {}).get("files", ()):
            found[str(item.get("name"))] = str(item.get("sha256"))
    return found


@contextlib.contextmanager
def _abandoned(note: Path) -> Iterator[Mapping[str, Any] | None]:
    """The note's content when its writer is gone (its lock free), else None; held meanwhile, so
    that two recoverers never work on one note."""
    try:
        fd = os.open(note, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        yield None
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield None  # a writer at work
            return
        if os.fstat(fd).st_nlink == 0:
            yield None  # finished by another recoverer meanwhile
            return
        raw = os.pread(fd, 1 << 20, 0)
        try:
            yield json.loads(raw) if raw else {}
        except ValueError:
            yield {}  # killed before the note was written: it claims nothing yet
    finally:
        os.close(fd)


def survey(store: Store, note: Path, content: Mapping[str, Any]) -> list[Leftover]:
    directory = Path(str(content.get("dir", ".")))
    registered = registered_files(store, str(content.get("contract_no", ""))) if content else {}
    found = []
    for item in content.get("files", ()):
        temp, final = directory / str(item["temp"]), directory / str(item["final"])
        sha = registered.get(final.name)
        if temp.exists():
            ours = sha is not None and sha256_file(temp) == sha
            placed = final.exists() and sha256_file(final) == sha
            state = "unregistered" if not ours else ("done" if placed else
                                                     "conflict" if final.exists() else "unnamed")
        else:
            state = "missing" if sha is not None and not final.exists() else "done"
        found.append(Leftover(note, temp, final, state))
    return found


def recover(store: Store) -> list[Leftover]:
    """Finish or remove what killed writers left; returns what needs a person (missing files, a
    name taken by another file). Safe to run at any time: notes of live writers are skipped."""
    needs_person = []
    for note in pending_notes(store):
        with _abandoned(note) as content:
            if content is None:
                continue
            try:
                needs_person += _finish(store, note, content)
            except (OSError, ContractError):
                continue  # e.g. a folder gone read-only: left for `check` to report
    return needs_person


def _finish(store: Store, note: Path, content: Mapping[str, Any]) -> list[Leftover]:
    left = survey(store, note, content)
    for item in left:
        if item.state in ("unregistered", "done"):
            item.temp.unlink(missing_ok=True)
        elif item.state == "unnamed":
            publish(item.temp, item.final)
            fsync_dir(item.final.parent)
    stuck = [i for i in left if i.state in ("missing", "conflict")]
    if not stuck:
        note.unlink(missing_ok=True)
    return stuck


def pending_problems(store: Store) -> list[Problem]:
    """What `check` reports about the notes of writers that are gone (none changed)."""
    problems = []
    for note in pending_notes(store):
        with _abandoned(note) as content:
            if content is None:
                continue
            for item in survey(store, note, content) or [Leftover(note, note, note, "unregistered")]:
                if item.state != "done":
                    problems.append(Problem(str(item.note), LEFTOVER_TEXT[item.state].format(
                        temp=item.temp, final=item.final)))
    return problems


LEFTOVER_TEXT = {
    "unregistered": "一次被中断的写入留下的临时文件 {temp}，未登记：下一次登记或 vipcontract check --repair 会删除它",
    "unnamed": "已登记的文书仍是临时文件 {temp}（应为 {final}）：下一次登记或 vipcontract check --repair 会为它改名",
    "missing": "已登记的文书 {final} 不存在（写入被中断，临时文件也已不在）：请用 vipcontract verify 核对副本，"
               "或重新生成后核对哈希；处理后删除此记录文件",
    "conflict": "已登记的文书应为 {final}，但该名称已被另一个文件占用；登记的文件仍在 {temp}：请核对后处理，"
                "再删除此记录文件",
}


__all__ = ["OutputExists", "Staging", "Target", "interrupt_guard", "pending_problems", "recover"]
