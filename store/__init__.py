"""Where the register's histories are kept, behind one small interface (see base.Store).

`open_store(path)` picks the backend: ":memory:" a MemoryStore (tests), a file path the
embedded TinyDB register. A server-backed store (PostgreSQL) can follow the same interface.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir

from .base import ConflictError, Record, Store, StoreError
from .memory import MemoryStore
from .tinydb_store import CorruptStore, TinyDBStore

__all__ = ["ConflictError", "CorruptStore", "MemoryStore", "Record", "Store", "StoreError",
           "TinyDBStore", "default_db_path", "open_store"]

ENV_VAR = "VIPCONTRACT_DB"
MEMORY = ":memory:"


def default_db_path() -> Path:
    """VIPCONTRACT_DB, else register.json in the user's data directory."""
    env = os.environ.get(ENV_VAR, "").strip()
    return Path(env) if env else Path(user_data_dir("vipcontract")) / "register.json"


def open_store(path: str | os.PathLike[str] | None = None) -> Store:
    target = str(path) if path is not None else str(default_db_path())
    if target == MEMORY:
        return MemoryStore()
    if "://" in target:
        raise StoreError(f"不支持的登记簿地址 {target}：目前只支持本地文件")
    if Path(target).is_dir():
        raise StoreError(f"{target} 是目录，请指定登记簿文件路径，如 {Path(target) / 'register.json'}")
    return TinyDBStore(target)
