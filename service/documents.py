"""The documents kept with the register: `documents list`, `documents get`, `documents add`, and
what `check` says about them.

Every event that issued documents names them in data.files (format, file name, sha256); the store
keeps their bytes by sha256 (Store.put_document, kept before the event is appended). A register
made before the bytes were kept names documents it does not hold: that is said as a notice, not
as damage, and `documents add FILE` brings in a copy whose sha256 the register names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracts.errors import ContractError, InvalidInput, NotFound, Problem
from contracts.events import EventKind
from store import Store, StoreError, TinyDBStore
from store.atomic import PRIVATE, WrittenFile, atomic_write, is_temp, refuse_existing, sha256_file
from store.base import ListsDocuments
from store.documents import DocumentShelf

LISTED_MISSING = 10  # `check` names this many missing documents, then counts the rest


@dataclass(frozen=True)
class RegisteredDocument:
    """One document an event of the contract names, and whether the register holds its bytes."""

    contract_no: str
    seq: int
    kind: EventKind
    format: str
    name: str
    sha256: str
    size: int | None  # None: the register does not hold the bytes
    sealed_doc_no: str = ""  # a sealed copy: the number of the document signed

    @property
    def event_text(self) -> str:
        sealed = f"（{self.sealed_doc_no}）" if self.sealed_doc_no else ""
        return f"第 {self.seq} 条：{self.kind.label}{sealed}"


def named_files(records: Iterable[Mapping[str, Any]]) -> list[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    """(record, file item) for every document the records name, in order."""
    return [(record, item) for record in records for item in record.get("data", {}).get("files", ())]


def registered_documents(store: Store, contract_no: str) -> list[RegisteredDocument]:
    """The contract's documents in the order they were recorded (each sha256 once)."""
    history = store.history(contract_no)
    if not history:
        raise NotFound(f"登记簿中没有合同 {contract_no}")
    found: dict[str, RegisteredDocument] = {}
    for record, item in named_files(history):
        sha = str(item.get("sha256", ""))
        if sha in found:
            continue
        content = store.get_document(sha)
        kind = EventKind(record["kind"])
        sealed = str(record["data"].get("document_no") or contract_no) if kind is EventKind.SEALED else ""
        found[sha] = RegisteredDocument(contract_no, int(record["seq"]), kind, str(item.get("format", "")),
                                        str(item.get("name", "")), sha, None if content is None else len(content),
                                        sealed)
    return list(found.values())


def pick(documents: Sequence[RegisteredDocument], contract_no: str, sha256: str | None = None,
         name: str | None = None) -> list[RegisteredDocument]:
    """All of them, or the one with this sha256 (or its first digits) or this file name."""
    if not documents:
        raise NotFound(f"合同 {contract_no} 没有登记任何文书")
    chosen = list(documents)
    if sha256:
        wanted = sha256.strip().lower()
        chosen = [d for d in chosen if d.sha256.startswith(wanted)] if len(wanted) >= 8 else []
        if not chosen:
            raise InvalidInput(Problem("sha256", f"合同 {contract_no} 没有哈希以 {sha256} 开头的文书"
                                                 "（至少写 8 位；vipcontract documents list 列出全部）"))
    if name:
        chosen = [d for d in chosen if d.name == name.strip()]
        if not chosen:
            raise InvalidInput(Problem("file", f"合同 {contract_no} 没有名为 {name} 的文书"
                                               "（vipcontract documents list 列出全部）"))
    names = [d.name for d in chosen]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InvalidInput(Problem("sha256", f"合同 {contract_no} 有多份名为 {twice[0]} 的文书，"
                                             "请用 --sha256 选择其中一份"))
    return chosen


def write_out(store: Store, documents: Sequence[RegisteredDocument], out_dir: Path,
              mode: int = PRIVATE) -> list[WrittenFile]:
    """Every chosen document under its registered name in `out_dir`, each checked against its
    sha256; never over an existing file, and all or none."""
    targets = [Path(out_dir) / d.name for d in documents]
    refuse_existing(targets)
    contents = []
    for doc in documents:
        content = store.get_document(doc.sha256)
        if content is None:
            raise ContractError(f"登记簿中没有保存文书 {doc.name}（合同 {doc.contract_no} {doc.event_text}）"
                                "的内容：这本登记簿早于文书随登记簿保存的版本，或文书文件被移走；"
                                "找到原件后可用 vipcontract documents add 文件 补入；未写出任何文件")
        contents.append(content)
    written: list[WrittenFile] = []
    try:
        for doc, target, content in zip(documents, targets, contents, strict=True):
            item = atomic_write(target, content, fmt=doc.format, mode=mode)
            if item.sha256 != doc.sha256:  # what reached the disk is not what the register holds
                raise StoreError(f"写出的 {target} 与登记的哈希不符，请检查磁盘后重试")
            written.append(item)
    except BaseException:
        for item in written:  # ours, just written, copies of what the register keeps
            item.path.unlink(missing_ok=True)
        raise
    return written


@dataclass(frozen=True)
class Added:
    path: Path
    sha256: str
    names: tuple[str, ...]  # "合同 X 第 n 条：签发" for each record naming it
    already: bool  # the register held the bytes before


@dataclass(frozen=True)
class AddResult:
    added: tuple[Added, ...]
    ignored: int  # files found in the folders given that the register does not name


def add_files(store: Store, paths: Sequence[Path]) -> AddResult:
    """Bring in files whose sha256 the register names (documents issued before the bytes were
    kept, or the original of a damaged kept copy). A file given by name must be one of them, and
    all are checked before any is kept; a folder is searched (with its subfolders) and the files
    in it the register does not name are left out and counted."""
    store.recorder()  # an account that may only read is refused here, before any file is read
    found, ignored = [], 0
    for given in map(Path, paths):
        for path in _files_in(given) if given.is_dir() else [given]:
            sha = sha256_file(path)  # read in blocks: a file given by mistake may be large
            records = store.find_file(sha)
            if records:
                found.append((path, sha, _record_names(records)))
            elif given.is_dir():
                ignored += 1
            else:
                raise InvalidInput(Problem("", f"{path} 不是本登记簿登记的文书（没有登记记录的哈希与它相同），"
                                               "未存入任何文件"))
    added, seen = [], set()
    for path, sha, names in found:
        already = sha in seen or _held(store, sha)
        if not already:
            store.put_document(sha, path.read_bytes())  # refused if the file changed meanwhile
        seen.add(sha)
        added.append(Added(path, sha, names, already))
    return AddResult(tuple(added), ignored)


def _files_in(folder: Path) -> list[Path]:
    """The files under `folder`, without this program's temporary files."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and not is_temp(p))


def _record_names(records: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    return tuple(f"合同 {r['contract_no']} 第 {r['seq']} 条：{EventKind(r['kind']).label}" for r in records)


def _held(store: Store, sha: str) -> bool:
    try:
        return store.get_document(sha) is not None
    except StoreError:  # a damaged copy: the put sets it aside
        return False


# ---------------------------------------------------------------- what `check` says
@dataclass(frozen=True)
class DocumentFindings:
    problems: tuple[Problem, ...]
    notes: tuple[str, ...]


def findings(store: Store, histories: Mapping[str, Sequence[Mapping[str, Any]]]) -> DocumentFindings:
    """Damaged kept documents and damaged ones set aside (problems); documents the register names
    but does not hold, and kept ones no event names (notices)."""
    problems: list[Problem] = []
    missing: list[str] = []
    named: set[str] = set()
    for contract_no, records in sorted(histories.items()):
        for record, item in named_files(records):
            sha = str(item.get("sha256", ""))
            if sha in named:
                continue
            named.add(sha)
            try:
                held = store.get_document(sha) is not None
            except StoreError as exc:
                problems.append(Problem(f"{contract_no}#{record.get('seq')}", str(exc)))
                continue
            if not held:
                missing.append(f"{item.get('name')}（合同 {contract_no} 第 {record.get('seq')} 条）")
    notes = [missing_note(missing)] if missing else []
    shelf = _shelf(store)
    listing = shelf.listing() if shelf is not None else None
    if listing is not None:
        problems += [Problem(str(p), "登记簿保存的一份文书内容与其哈希不符，已另存于此，尚待处理：请核对后移出该目录"
                             "（该文书如有原件，可用 vipcontract documents add 补入）") for p in listing.set_aside]
    kept = (listing.kept if listing is not None else
            store.kept_documents() if isinstance(store, ListsDocuments) else frozenset())
    stray = len(kept - named)
    if stray:
        notes.append(f"登记簿保存了 {stray} 份没有任何登记引用的文书：是被中断的登记先保存的文书，无害。")
    if shelf is not None and listing is not None and listing.temporary:
        notes.append(f"文书目录 {shelf.root} 中有 {len(listing.temporary)} 个被中断的保存留下的临时文件"
                     "（以 .vipcontract-tmp 结尾）：其中的内容没有登记，可以删除。")
    return DocumentFindings(tuple(problems), tuple(notes))


def missing_note(missing: Sequence[str]) -> str:
    listed = "、".join(missing[:LISTED_MISSING]) + (f" 等共 {len(missing)} 份" if len(missing) > LISTED_MISSING else "")
    return (f"登记簿中没有保存 {len(missing)} 份已登记文书的内容：{listed}。这不是损坏："
            "登记簿早于文书随登记簿保存的版本（或文书文件被移走）时如此；"
            "找到原件后可用 vipcontract documents add 文件 补入（哈希相符才会存入）。")


def _shelf(store: Store) -> DocumentShelf | None:
    """The embedded store's documents folder (None: a store with no file)."""
    return DocumentShelf.beside(store.path) if isinstance(store, TinyDBStore) else None
