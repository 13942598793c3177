"""Where the register's histories are kept, behind one small interface (see base.Store).

`open_store(target)` picks the backend: ":memory:" a MemoryStore (tests), a
postgresql://… (or postgres://…) URL or libpq's key=value parameters (`host=… dbname=…`) the
register on a PostgreSQL server (store.postgres), any other text the path of the embedded TinyDB
register (base.is_conninfo says where the line between the two is drawn).
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir

from .base import ConflictError, Record, Store, StoreError, is_database_url
from .memory import MemoryStore
from .tinydb_store import CorruptStore, TinyDBStore

__all__ = ["ConflictError", "CorruptStore", "MemoryStore", "Record", "Store", "StoreError",
           "TinyDBStore", "default_db_path", "is_database_url", "open_store", "register_exists",
           "register_target"]

ENV_VAR = "VIPCONTRACT_DB"
MEMORY = ":memory:"


def default_db_path() -> Path:
    """VIPCONTRACT_DB, else register.json in the user's data directory."""
    env = os.environ.get(ENV_VAR, "").strip()
    return Path(env) if env else Path(user_data_dir("vipcontract")) / "register.json"


def register_target(value: str | None = None) -> str | Path:
    """--db as given (else VIPCONTRACT_DB, else the default file): an address (scheme://…, or
    libpq's key=value parameters) stays text (a Path would fold its "//", and open_store says which
    schemes it takes), anything else is a path."""
    text = (value if value is not None else os.environ.get(ENV_VAR, "")).strip()
    if "://" in text or is_database_url(text):
        return text
    return Path(text) if text else default_db_path()


def register_exists(target: str | os.PathLike[str]) -> bool:
    """Whether there is a register to read: a server's is asked for when opened."""
    return is_database_url(target) or str(target) == MEMORY or Path(target).exists()


def open_store(path: str | os.PathLike[str] | None = None) -> Store:
    target = str(path) if path is not None else str(register_target())
    if target == MEMORY:
        return MemoryStore()
    if is_database_url(target):
        from .postgres import PostgresStore  # psycopg is loaded only for a server's register

        return PostgresStore(target)
    if "://" in target:
        raise StoreError(f"不支持的登记簿地址 {target.split('://')[0]}://…："
                         "只支持本地文件、postgresql:// 地址或 host=… dbname=… 形式的连接参数")
    if Path(target).is_dir():
        raise StoreError(f"{target} 是目录，请指定登记簿文件路径，如 {Path(target) / 'register.json'}")
    return TinyDBStore(target)
