"""What the journal (store.tinydb_store) relies on inside TinyDB, pinned to major version 4 in
pyproject.toml. If an upgrade changes any of it, these fail before a register is written wrong:

- a write reads the storage's dict, REPLACES the table's dict in it by item assignment (never
  changes the old one in place), with the document ids as strings, and hands the same dict
  object back to `Storage.write`: that is how `_Tables` learns which documents are new;
- the methods that change or remove documents are exactly those AppendOnlyTable refuses.
"""

from __future__ import annotations

from importlib.metadata import version

import pytest
from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document, Table

from store.tinydb_store import AppendOnlyTable, StoreError


class Recording(dict):
    def __init__(self) -> None:
        super().__init__()
        self.assigned: list[tuple[str, dict]] = []

    def __setitem__(self, name, table) -> None:
        self.assigned.append((name, table))
        super().__setitem__(name, table)


class RecordingStorage(Storage):
    def __init__(self) -> None:
        self.data = Recording()
        self.data_written: list[object] = []

    def read(self):
        return self.data

    def write(self, data) -> None:
        self.data_written.append(data)

    def close(self) -> None:
        pass


def test_the_major_version_is_the_one_the_journal_was_built_on():
    assert version("tinydb").split(".")[0] == "4"


def test_a_write_replaces_the_table_dict_and_hands_back_the_same_object():
    db = TinyDB(storage=RecordingStorage)
    storage = db.storage
    first = {"1": {"seq": 1}}
    dict.__setitem__(storage.data, "A", first)
    db.table("A", cache_size=0).insert_multiple([Document({"seq": 2}, doc_id=2)])
    assert storage.data_written == [storage.data]  # the very dict read, not a copy
    assert [name for name, _t in storage.data.assigned] == ["A"]
    replaced = storage.data.assigned[0][1]
    assert replaced is not first and first == {"1": {"seq": 1}}  # the old dict left as it was
    assert replaced == {"1": {"seq": 1}, "2": {"seq": 2}}  # string ids, old and new documents


def test_the_changing_methods_are_the_ones_refused():
    public = {name for name in dir(Table) if not name.startswith("_")}
    reading = {"all", "clear_cache", "contains", "count", "default_query_cache_capacity", "document_class",
               "document_id_class", "get", "name", "query_cache_class", "search", "storage"}
    adding = {"insert", "insert_multiple"}
    changing = {"remove", "truncate", "update", "update_multiple", "upsert"}
    assert public == reading | adding | changing, "TinyDB's Table changed: review AppendOnlyTable"
    for name in changing:
        with pytest.raises(StoreError):
            getattr(AppendOnlyTable, name)(None)
