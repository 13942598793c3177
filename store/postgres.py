"""The register on a PostgreSQL server: one register that clerks on several machines write at once.

The same interface and promises as the embedded file (store.base), in the schema `vipcontract`:

- `events`: one row per record, the record itself in `body` (json, its text kept: what comes
  back is what was appended, keys in their order; the lookups read it as jsonb through
  expression indexes), with the columns the lookups need: `position` (the append's place in the journal,
  shared by the records of one append), `contract_no`, `seq` (UNIQUE together), `kind`,
  `recorded_at`, `recorded_by`, and the append's chain hashes (`chain_prev`, `chain_hash`, see
  store.chain). Every lookup of the interface has an index (no scan of the register).
- `documents`: the registered documents' bytes by sha256 (checked against it when read; `check`
  lists the kept documents no event names through `kept_documents`).
- `schema_version`: the version of this layout (`vipcontract db init`, `db upgrade`).

Appends take a transaction-scoped advisory lock, so that the chain has one order; `locked()`
holds the same lock for the session (re-entrant) across allocate-then-append. An append
commits before it returns, as a file append is synced; a writer that dies or loses its
connection before that leaves nothing (the server rolls the transaction back and frees its
locks). The tables refuse UPDATE, DELETE and TRUNCATE (a trigger), and a writer role needs no
more than SELECT and INSERT: nothing committed is ever changed.

A command that writes documents keeps its in-progress notes (service.writes) beside `path`: a
name of this register in the user's data folder on this computer, as a file register keeps
them beside itself; the next writer on this computer, or `check --repair`, finishes or clears
what a writer killed here left.

Every psycopg error is turned into a StoreError subclass here (`_mapped`), one Chinese line
that names the server without its password (`masked_dsn`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
import psycopg
from platformdirs import user_data_dir
from psycopg import errors as pg_errors
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.types.json import Jsonb, set_json_loads

from .base import (
    DATABASE_URL_SCHEMES,
    ConflictError,
    Record,
    StoreError,
    Summary,
    TornLine,
    Window,
    check_batch,
    check_series,
    os_user,
    series_number,
    summary_fits,
    summary_spans,
    windows_of,
)
from .chain import FIRST_POSITION, GENESIS, Head, Journal, JournalLine, sealed_line
from .documents import DamagedDocument, check_content, check_name
from .fault import fault_point

SCHEMA = "vipcontract"
SCHEMA_VERSION = 3
# One number for the writers of every register on the server: appends are serialised anyway
LOCK_KEY = 0x76697063  # "vipc"
LOCK_TIMEOUT = "60s"
CONNECT_TIMEOUT = 10
TRAILING_DIGITS = re.compile(r"[0-9]+\Z")
HISTORIES_AT_ONCE = 2000  # contracts per query of histories_of: a query's rows held at once stay small


# ---------------------------------------------------------------- errors
class DatabaseUnavailable(StoreError):
    """The server cannot be reached, or refuses the login."""


class ConnectionLost(StoreError):
    """The connection broke during a command: its transaction was rolled back."""


class ReadOnlyAccount(StoreError):
    """The account may read the register but not write it."""


class NoRegister(StoreError):
    """The database holds no register (or one of another version)."""


def masked_dsn(dsn: str) -> str:
    """The DSN as it may be printed: any password replaced by ***."""
    text = dsn.strip()
    if text.lower().startswith(DATABASE_URL_SCHEMES):
        parts = urlsplit(text)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, _at, hostinfo = netloc.rpartition("@")
            user, colon, _password = userinfo.partition(":")
            netloc = f"{user}{':***' if colon else ''}@{hostinfo}"
        query = re.sub(r"(^|&)(password=)[^&]*", r"\1\2***", parts.query, flags=re.IGNORECASE)
        # put together by hand: urlunsplit would drop the "//" of an empty host (a local socket)
        return f"{parts.scheme}://{netloc}{parts.path}" + (f"?{query}" if query else "")
    try:  # libpq's key=value form, read by libpq (the keys come back in its order)
        params = conninfo_to_dict(text)
    except psycopg.Error:  # not readable: no part after a "password" is shown
        return re.sub(r"(password\s*=).*", r"\1***", text, flags=re.IGNORECASE | re.DOTALL)
    return make_conninfo("", **{k: "***" if k == "password" else v for k, v in params.items()})


def _where(dsn: str) -> str:
    return f"PostgreSQL 登记簿 {masked_dsn(dsn)}"


def _connect_failure(dsn: str, exc: psycopg.Error) -> StoreError:
    """Why the server could not be used, without the password."""
    text = str(exc).lower()
    where = _where(dsn)
    try:
        params = conninfo_to_dict(dsn)
    except psycopg.Error:
        params = {}
    user = params.get("user") or os_user()
    if isinstance(exc, pg_errors.InvalidPassword) or "password authentication failed" in text:
        return DatabaseUnavailable(f"无法登录 {where}：账户 {user} 的密码不对（可用 PGPASSWORD 或 ~/.pgpass 提供密码）")
    if "no password supplied" in text or "password is required" in text:
        return DatabaseUnavailable(f"无法登录 {where}：服务器要求账户 {user} 的密码，但没有提供"
                                   "（可用 PGPASSWORD 或 ~/.pgpass 提供密码）")
    if isinstance(exc, pg_errors.InvalidAuthorizationSpecification) or "role" in text and "does not exist" in text:
        return DatabaseUnavailable(f"无法登录 {where}：服务器不接受账户 {user}（账户不存在或不允许从本机登录）")
    if isinstance(exc, pg_errors.InvalidCatalogName) or "database" in text and "does not exist" in text:
        return DatabaseUnavailable(f"无法打开 {where}：服务器上没有这个数据库")
    if "could not translate host name" in text or "name or service not known" in text:
        return DatabaseUnavailable(f"无法连接 {where}：找不到该主机（主机名是否写错？）")
    if "timeout" in text or "timed out" in text:
        return DatabaseUnavailable(f"无法连接 {where}：连接超时（服务器未开机、网络不通或被防火墙拦截）")
    if "connection refused" in text or "no such file or directory" in text:
        return DatabaseUnavailable(f"无法连接 {where}：服务器没有运行或拒绝连接（请检查主机、端口和服务器状态）")
    if "ssl" in text:
        return DatabaseUnavailable(f"无法连接 {where}：SSL 加密连接未能建立（请检查 sslmode 等设置）")
    return DatabaseUnavailable(f"无法连接 {where}：服务器拒绝了连接")


def _read_only(exc: psycopg.Error) -> bool:
    return isinstance(exc, pg_errors.InsufficientPrivilege | pg_errors.ReadOnlySqlTransaction)


# ---------------------------------------------------------------- the schema
# Version 1. Each later version is one more entry of UPGRADES, applied in order by `db upgrade`.
SCHEMA_V1 = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
CREATE TABLE {SCHEMA}.schema_version (
    version integer PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE {SCHEMA}.events (
    position bigint NOT NULL,           -- the append's place in the journal (store.chain)
    contract_no text COLLATE "C" NOT NULL,  -- ordered as Python orders str: by code point
    seq integer NOT NULL,
    kind text NOT NULL,
    recorded_at timestamptz,
    recorded_by text NOT NULL DEFAULT '',
    body json NOT NULL,                 -- the record as appended, its text kept as it was
    chain_prev text NOT NULL,           -- the append's chain hashes, on each of its records
    chain_hash text NOT NULL,
    contract_prefix text,               -- seq 1: the contract number as PREFIX and digits
    contract_number numeric,
    notice_prefix text,                 -- notice_sent: the notice id likewise
    notice_number numeric,
    PRIMARY KEY (contract_no, seq)
);
CREATE INDEX events_position ON {SCHEMA}.events (position, seq);
CREATE INDEX events_kind ON {SCHEMA}.events (kind, contract_no, seq);
CREATE INDEX events_kind_last ON {SCHEMA}.events (kind, position DESC, seq DESC);
CREATE INDEX events_contract_numbers ON {SCHEMA}.events (contract_prefix, contract_number) WHERE seq = 1;
CREATE INDEX events_notice_numbers ON {SCHEMA}.events (notice_prefix, notice_number)
    WHERE kind = 'notice_sent';
CREATE INDEX events_notice_ids ON {SCHEMA}.events (((body::jsonb)->'data'->>'notice_id'), contract_no, seq)
    WHERE kind = 'notice_sent';
CREATE INDEX events_files ON {SCHEMA}.events USING gin (((body::jsonb)->'data'->'files') jsonb_path_ops);
CREATE INDEX events_batch_keys ON {SCHEMA}.events (((body::jsonb)->'data'->'batch'->>'key'), contract_no)
    WHERE seq = 1 AND kind = 'issued';
CREATE TABLE {SCHEMA}.documents (
    sha256 text PRIMARY KEY,
    content bytea NOT NULL,
    stored_at timestamptz NOT NULL DEFAULT now()
);
CREATE FUNCTION {SCHEMA}.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the vipcontract register is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON {SCHEMA}.events
    FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.refuse_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON {SCHEMA}.events
    FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.refuse_change();
CREATE TRIGGER documents_append_only BEFORE UPDATE OR DELETE ON {SCHEMA}.documents
    FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.refuse_change();
CREATE TRIGGER documents_no_truncate BEFORE TRUNCATE ON {SCHEMA}.documents
    FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.refuse_change();
INSERT INTO {SCHEMA}.schema_version (version) VALUES (1);
"""
# Version 2: the contracts' summaries (base.Store "Summaries"), a cache beside the events: rows
# are replaced as contracts change, and a row whose key is not its contract's last record is
# never handed out. The term last days are a column of their own for the expiring window.
SCHEMA_V2 = f"""
CREATE TABLE {SCHEMA}.summaries (
    contract_no text PRIMARY KEY,
    last_seq integer NOT NULL,
    last_hash text NOT NULL,
    term_last_days date[] NOT NULL DEFAULT '{{}}',
    body json NOT NULL
);
CREATE INDEX summaries_term_last_days ON {SCHEMA}.summaries USING gin (term_last_days);
"""
# Version 3: the spans of each summary (base.Store "Summaries", contracts.report_spans), a row per
# span, so that a report reads by index only the contracts its as-of date or period can list. The
# summaries kept before had no spans: they are dropped with the upgrade (a cache: the next reader
# rebuilds them from the events).
SCHEMA_V3 = f"""
CREATE TABLE {SCHEMA}.summary_spans (
    contract_no text COLLATE "C" NOT NULL,
    kind text NOT NULL,
    first_day date NOT NULL,
    last_day date NOT NULL
);
CREATE INDEX summary_spans_window ON {SCHEMA}.summary_spans (kind, last_day, first_day, contract_no);
CREATE INDEX summary_spans_contract ON {SCHEMA}.summary_spans (contract_no);
DELETE FROM {SCHEMA}.summaries;
"""
UPGRADES: dict[int, str] = {2: SCHEMA_V2, 3: SCHEMA_V3}  # version -> the SQL that brings the version before to it


def _connect(dsn: str) -> psycopg.Connection[Any]:
    options: dict[str, Any] = {"autocommit": True}
    try:
        params = conninfo_to_dict(dsn)
    except psycopg.Error as exc:
        raise DatabaseUnavailable(f"登记簿地址 {masked_dsn(dsn)} 写法不对：{exc}") from None
    if "connect_timeout" not in params:
        options["connect_timeout"] = CONNECT_TIMEOUT
    if "application_name" not in params:
        options["application_name"] = "vipcontract"
    try:
        return psycopg.connect(dsn, **options)
    except psycopg.Error as exc:
        raise _connect_failure(dsn, exc) from None


def stored_version(conn: psycopg.Connection[Any]) -> int | None:
    """The schema version of the database's register; None: no register there."""
    found = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (f"{SCHEMA}.schema_version",)).fetchone()
    if not found or not found[0]:
        return None
    row = conn.execute(f"SELECT max(version) FROM {SCHEMA}.schema_version").fetchone()
    return int(row[0]) if row and row[0] is not None else None


def initialise(dsn: str) -> tuple[int, bool]:
    """`db init`: the register's tables, unless already there. (schema version, created now)."""
    conn = _connect(dsn)
    try:
        with _mapped(dsn, "建立登记簿"), conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))  # two inits at once: one creates
            version = stored_version(conn)
            if version is not None:
                return version, False
            conn.execute(SCHEMA_V1)  # type: ignore[arg-type]  # a constant, not user input
            for target in sorted(UPGRADES):
                _upgrade_to(conn, target)
            return SCHEMA_VERSION, True
    finally:
        conn.close()


def upgrade(dsn: str) -> tuple[int, int]:
    """`db upgrade`: every later version's changes, in order. (version before, version after)."""
    conn = _connect(dsn)
    try:
        with _mapped(dsn, "升级登记簿"), conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
            before = stored_version(conn)
            if before is None:
                raise NoRegister(f"{_where(dsn)} 中还没有登记簿：请先运行 vipcontract db init")
            _refuse_newer(dsn, before)
            for target in sorted(v for v in UPGRADES if v > before):
                _upgrade_to(conn, target)
            return before, max(before, SCHEMA_VERSION)
    finally:
        conn.close()


def _upgrade_to(conn: psycopg.Connection[Any], version: int) -> None:
    conn.execute(UPGRADES[version])  # type: ignore[arg-type]  # a constant
    conn.execute(f"INSERT INTO {SCHEMA}.schema_version (version) VALUES (%s)", (version,))


def _refuse_newer(dsn: str, version: int) -> None:
    if version > SCHEMA_VERSION:
        raise NoRegister(f"{_where(dsn)} 的结构版本为 {version}，比本程序支持的 {SCHEMA_VERSION} 新："
                         "请先升级 vipcontract")


@contextmanager
def _mapped(dsn: str, doing: str = "", *, committing: bool = False) -> Iterator[None]:
    """psycopg's errors as the register's: one Chinese line, the password never in it."""
    try:
        yield
    except StoreError:
        raise
    except psycopg.Error as exc:
        raise _failure(dsn, doing, exc, committing) from None


def _read_only_error(dsn: str) -> ReadOnlyAccount:
    return ReadOnlyAccount(f"该数据库账户只有只读权限，不能写入登记簿（{_where(dsn)}）；"
                           "查询、列表、报表、检查和取回文书不受影响，写入请用有写入权限的账户")


def _failure(dsn: str, doing: str, exc: psycopg.Error, committing: bool) -> StoreError:
    what = f"{doing}时" if doing else ""
    if _read_only(exc):
        return _read_only_error(dsn)
    if isinstance(exc, pg_errors.LockNotAvailable):
        return StoreError(f"{what}登记簿正被其他文员写入，等待 {LOCK_TIMEOUT.removesuffix('s')} 秒仍未轮到：请稍后重试")
    if isinstance(exc, pg_errors.UniqueViolation):
        return StoreError(f"{what}另一位文员同时写入了同一份合同：未作任何改动，请重试")
    if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
        if committing:
            return ConnectionLost(f"{what}与 {_where(dsn)} 的连接中断，无法确认本次登记是否已写入："
                                  "请用 vipcontract show 查看该合同后再决定是否重做")
        return ConnectionLost(f"{what}与 {_where(dsn)} 的连接中断，本次操作未完成，"
                              "已开始的写入已全部撤销（登记簿没有任何改动）")
    return StoreError(f"{what}{_where(dsn)} 出错（{type(exc).__name__}）：未作任何改动")


def _split_number(value: Any) -> tuple[str, int] | tuple[None, None]:
    """PREFIXdigits as (PREFIX, number): the index next_number reads."""
    if not isinstance(value, str):
        return None, None
    digits = TRAILING_DIGITS.search(value)
    if digits is None:
        return None, None
    return value[: digits.start()], int(digits.group())


def _recorded_at(record: Mapping[str, Any]) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(record["recorded_at"]))
    except (KeyError, ValueError):
        return None


# ---------------------------------------------------------------- the store
def notes_path(dsn: str) -> Path:
    """Where this computer keeps the in-progress notes of writes to the register at `dsn`: one
    name per server and database (never the password), in the user's data folder."""
    try:
        params = conninfo_to_dict(dsn)
    except psycopg.Error:
        params = {}
    where = f"{params.get('host') or 'local'}-{params.get('port') or 5432}-{params.get('dbname') or ''}"
    digest = hashlib.sha256(where.encode()).hexdigest()[:12]
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", where).strip("_.")[:60]
    return Path(user_data_dir("vipcontract")) / "server-registers" / f"{slug}-{digest}"


class PostgresStore:
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn.strip()
        self.path = notes_path(self.dsn)  # for service.writes' notes; no register file is there
        self._conn = _connect(self.dsn)
        set_json_loads(orjson.loads, self._conn)
        self._depth = 0  # how many locked() blocks are open
        self._recorder: str | None = None
        # the head read together with every history (histories()): the head of exactly what a
        # report or a batch read, while other clerks go on appending; None after any other read
        self._read_head: Head | None = None
        try:
            with self._mapped("打开登记簿"):
                self._conn.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
                version = stored_version(self._conn)
            if version is None:
                raise NoRegister(f"{_where(self.dsn)} 中还没有登记簿：由管理员运行一次 "
                                 f"vipcontract --db {masked_dsn(self.dsn)} db init 建立")
            _refuse_newer(self.dsn, version)
            if version < SCHEMA_VERSION:
                raise NoRegister(f"{_where(self.dsn)} 的结构版本为 {version}，本程序需要 {SCHEMA_VERSION}："
                                 "请由管理员运行 vipcontract db upgrade")
        except BaseException:
            self._conn.close()
            raise

    def __repr__(self) -> str:
        return f"PostgresStore({masked_dsn(self.dsn)!r})"

    def _mapped(self, doing: str = "", *, committing: bool = False) -> Any:
        return _mapped(self.dsn, doing, committing=committing)

    def _rows(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self._read_head = None
        with self._mapped("读取登记簿"):
            return self._conn.execute(query, params).fetchall()  # type: ignore[arg-type]

    # ------------------------------------------------------------ writing
    def append(
        self, contract_no: str, expected_seq: int, records: Sequence[Mapping[str, Any]],
        summary: Summary | None = None,
    ) -> None:
        check_batch(contract_no, expected_seq, records)
        # what is stored is JSON text: the chain is computed over exactly what will be read back
        texts = [json.dumps(r, ensure_ascii=False) for r in records]
        self._check_writable()
        self._read_head = None  # from here on, head() says the register's head, this append included
        committing, sealed = False, ""
        try:
            with self._conn.transaction():
                sealed = self._append_locked(contract_no, expected_seq, texts)
                if summary is not None and summary_fits(summary, records[-1]):
                    # with the events; an account that may not keep summaries (the grants of an
                    # older schema) still appends: a savepoint, and the next reader rebuilds it
                    self.put_summaries([(contract_no, summary)])
                fault_point("written")  # inside the transaction: a kill here leaves nothing
                committing = True
        except psycopg.Error as exc:
            self._read_head = None
            outcome = self._outcome(contract_no, expected_seq + 1, sealed) if committing else False
            if outcome:
                return  # the connection broke after the server committed: the append stands
            raise _failure(self.dsn, "写入登记簿", exc, outcome is None) from None

    def _outcome(self, contract_no: str, seq: int, sealed: str) -> bool | None:
        """Whether an append whose commit got no answer is in the register (None: cannot tell).
        Asked under the writers' lock, which the old session holds until it has finished."""
        try:
            conn = _connect(self.dsn)
        except StoreError:
            return None
        try:
            with conn.transaction():
                conn.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
                row = conn.execute(f"SELECT chain_hash FROM {SCHEMA}.events WHERE contract_no = %s AND seq = %s",
                                   (contract_no, seq)).fetchone()
            return row is not None and row[0] == sealed
        except psycopg.Error:
            return None
        finally:
            conn.close()

    def _append_locked(self, contract_no: str, expected_seq: int, texts: Sequence[str]) -> str:
        """The append, in the caller's transaction; its chain hash."""
        conn = self._conn
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        row = conn.execute(f"SELECT coalesce(max(seq), 0) FROM {SCHEMA}.events WHERE contract_no = %s",
                           (contract_no,)).fetchone()
        current = int(row[0]) if row else 0
        if current != expected_seq:
            raise ConflictError(contract_no, expected_seq, current)
        docs = {str(record["seq"]): record for record in map(json.loads, texts)}
        head = self._current_head()
        position = head.position + 1 if head else FIRST_POSITION
        line = sealed_line(position, head.hash if head else GENESIS, contract_no, docs)
        with conn.cursor() as cur:
            cur.executemany(
                f"INSERT INTO {SCHEMA}.events (position, contract_no, seq, kind, recorded_at, recorded_by,"
                " body, chain_prev, chain_hash, contract_prefix, contract_number, notice_prefix, notice_number)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s::json, %s, %s, %s, %s, %s, %s)",
                [self._row(position, line, record, text) for record, text in zip(docs.values(), texts, strict=True)])
        return str(line["h"])

    @staticmethod
    def _row(position: int, line: Mapping[str, Any], record: Record, text: str) -> tuple[Any, ...]:
        seq = int(record["seq"])
        kind = str(record.get("kind", ""))
        contract = _split_number(record["contract_no"]) if seq == 1 else (None, None)
        data = record.get("data")
        notice_id = data.get("notice_id") if isinstance(data, dict) else None
        notice = _split_number(notice_id) if kind == "notice_sent" else (None, None)
        return (position, record["contract_no"], seq, kind, _recorded_at(record),
                str(record.get("recorded_by") or ""), text, line["p"], line["h"], *contract, *notice)

    def _check_writable(self) -> None:
        """Said before any work: a read-only account, or a read-only server (a standby)."""
        with self._mapped("写入登记簿"):
            row = self._conn.execute(
                "SELECT has_table_privilege(%s, 'INSERT'), current_setting('transaction_read_only') = 'on'",
                (f"{SCHEMA}.events",)).fetchone()
        if row is None or not row[0] or row[1]:
            raise _read_only_error(self.dsn)

    @contextmanager
    def locked(self) -> Iterator[None]:
        if self._depth == 0:
            self._check_writable()
            with self._mapped("等待写入登记簿"):
                self._conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0:
                self._unlock()

    def _unlock(self) -> None:
        if self._conn.closed or self._conn.broken:
            return  # the server ended the session, and its locks with it
        try:
            self._conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
        except psycopg.Error:
            pass  # the connection went since: the server freed the lock with the session

    def recorder(self) -> str:
        """The database account, and the computer's user when it says more: "vip（张三）". A
        read-only account records nothing: refused here, before a command does any work."""
        if self._recorder is None:
            self._check_writable()
            with self._mapped("读取登记簿"):
                row = self._conn.execute("SELECT current_user").fetchone()
            role = str(row[0]) if row else ""
            person = os_user()
            self._recorder = f"{role}（{person}）" if person and person != role else role
        return self._recorder

    # ------------------------------------------------------------ reading
    def history(self, contract_no: str) -> list[Record]:
        return [r[0] for r in self._rows(f"SELECT body FROM {SCHEMA}.events WHERE contract_no = %s ORDER BY seq",
                                         (contract_no,))]

    def contract_numbers(self) -> list[str]:
        return [str(r[0]) for r in self._rows(f"SELECT contract_no FROM {SCHEMA}.events WHERE seq = 1"
                                              " ORDER BY contract_no")]

    def histories(self) -> Iterator[tuple[str, list[Record]]]:
        with self._mapped("读取登记簿"), self._conn.transaction():  # one snapshot: the rows and their head
            self._conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            rows = self._conn.execute(f"SELECT contract_no, body FROM {SCHEMA}.events"
                                      " ORDER BY contract_no, seq").fetchall()
            head = self._current_head()
        self._read_head = head
        for contract_no, group in itertools.groupby(rows, key=lambda r: r[0]):
            yield str(contract_no), [body for _no, body in group]

    def histories_of(self, numbers: Iterable[str]) -> Iterator[tuple[str, list[Record]]]:
        wanted = sorted(set(numbers))
        for start in range(0, len(wanted), HISTORIES_AT_ONCE):  # one query each, by the primary key
            rows = self._rows(f"SELECT contract_no, body FROM {SCHEMA}.events WHERE contract_no = ANY(%s)"
                              " ORDER BY contract_no, seq", (wanted[start:start + HISTORIES_AT_ONCE],))
            for contract_no, group in itertools.groupby(rows, key=lambda r: r[0]):
                yield str(contract_no), [body for _no, body in group]

    def find(self, kind: str) -> Iterator[Record]:
        rows = self._rows(f"SELECT body FROM {SCHEMA}.events WHERE kind = %s ORDER BY contract_no, seq", (kind,))
        return (r[0] for r in rows)

    def last(self, kind: str) -> Record | None:
        rows = self._rows(f"SELECT body FROM {SCHEMA}.events WHERE kind = %s"
                          " ORDER BY position DESC, seq DESC LIMIT 1", (kind,))
        return rows[0][0] if rows else None

    def next_number(self, series: str, prefix: str) -> int:
        check_series(series)
        column, where = (("contract", "seq = 1") if series == "contract" else ("notice", "kind = 'notice_sent'"))
        if TRAILING_DIGITS.search(prefix) is None:
            # PREFIXdigits splits at its last non-digit into this very PREFIX: the index answers
            rows = self._rows(f"SELECT max({column}_number) FROM {SCHEMA}.events"
                              f" WHERE {where} AND {column}_prefix = %s", (prefix,))
            found = rows[0][0] if rows else None
            return int(found) + 1 if found is not None else 1
        # a prefix ending in a digit (never the program's own): every value of the series, read
        value = "contract_no" if series == "contract" else "(body::jsonb)->'data'->>'notice_id'"
        rows = self._rows(f"SELECT {value} FROM {SCHEMA}.events WHERE {where} AND starts_with({value}, %s)",
                          (prefix,))
        numbers = [n for n in (series_number(str(r[0]), prefix) for r in rows) if n is not None]
        return max(numbers, default=0) + 1

    def notice_contract(self, notice_id: str) -> str | None:
        rows = self._rows(f"SELECT contract_no FROM {SCHEMA}.events WHERE kind = 'notice_sent'"
                          " AND (body::jsonb)->'data'->>'notice_id' = %s ORDER BY contract_no, seq LIMIT 1",
                          (notice_id,))
        return str(rows[0][0]) if rows else None

    def find_file(self, sha256: str) -> list[Record]:
        rows = self._rows(f"SELECT body FROM {SCHEMA}.events WHERE (body::jsonb)->'data'->'files' @> %s"
                          " ORDER BY contract_no, seq", (Jsonb([{"sha256": sha256}]),))
        return [r[0] for r in rows]

    def batch_issued(self, batch_key: str) -> list[Record]:
        rows = self._rows(f"SELECT body FROM {SCHEMA}.events WHERE seq = 1 AND kind = 'issued'"
                          " AND (body::jsonb)->'data'->'batch'->>'key' = %s ORDER BY contract_no", (batch_key,))
        return [r[0] for r in rows]

    def head(self) -> Head | None:
        """After histories(): the head of what it read; else the register's head now."""
        if self._read_head is not None:
            return self._read_head
        with self._mapped("读取登记簿"):
            return self._current_head()

    def _current_head(self) -> Head | None:
        row = self._conn.execute(f"SELECT position, chain_hash FROM {SCHEMA}.events"
                                 " ORDER BY position DESC LIMIT 1").fetchone()
        return Head(int(row[0]), str(row[1])) if row else None

    def journal(self) -> Journal:
        rows = self._rows(f"SELECT position, contract_no, seq, body, chain_prev, chain_hash"
                          f" FROM {SCHEMA}.events ORDER BY position, seq")
        return Journal(2, _journal_lines(rows))

    # ------------------------------------------------------------ summaries
    def summaries(
        self, last_day_from: dt.date | None = None, last_day_to: dt.date | None = None, *,
        windows: Sequence[Window] | None = None,
    ) -> Iterator[tuple[str, Summary | None]]:
        wanted = windows_of(last_day_from, last_day_to, windows)
        # each contract's last record beside its summary: a summary is handed out only under the
        # key of that record (base.summary_fits); with windows, the index of the summaries' spans
        # picks the contracts, and those without a fitting summary come too (None)
        query = (f"SELECT l.contract_no, s.body, e.body FROM"
                 f" (SELECT contract_no, max(seq) AS seq FROM {SCHEMA}.events GROUP BY contract_no) l"
                 f" JOIN {SCHEMA}.events e ON e.contract_no = l.contract_no AND e.seq = l.seq"
                 f" LEFT JOIN {SCHEMA}.summaries s ON s.contract_no = l.contract_no")
        params: list[Any] = []
        if wanted is not None:
            picked = " OR ".join(["(kind = %s AND last_day >= %s AND first_day <= %s)"] * len(wanted)) or "false"
            # the seq alone here (the hash of every last record would be every body parsed): a
            # summary handed out is checked against its record's hash below
            query += (" WHERE s.body IS NULL OR s.last_seq <> l.seq"
                      f" OR l.contract_no IN (SELECT contract_no FROM {SCHEMA}.summary_spans WHERE {picked})")
            for kind, first, last in wanted:
                params += [kind, first or dt.date.min, last or dt.date.max]
        for contract_no, summary, last in self._rows(query + " ORDER BY l.contract_no", params):
            yield str(contract_no), summary if summary_fits(summary, last) else None

    def put_summaries(self, items: Iterable[tuple[str, Summary]]) -> None:
        """Keep summaries a reader rebuilt. A cache: an account that may not write them (a
        read-only one) or a failure leaves the register as it was, and nothing is said."""
        items = list(items)
        if not items:
            return
        try:
            with self._conn.transaction():  # a savepoint inside a writer's transaction
                self._upsert_summaries(items)
        except psycopg.Error:
            return

    def _upsert_summaries(self, items: Sequence[tuple[str, Summary]]) -> None:
        """Each summary whose key is still its contract's last record, in the caller's transaction:
        three statements for any number of them (the summaries as arrays, unnested by the server),
        not a statement each."""
        latest = dict(items)  # a contract given twice: its later summary (one row may change once)
        keys = [(no, int(summary["last_seq"]), str(summary["last_hash"])) for no, summary in latest.items()]
        days = [",".join(str(day) for day in summary.get("term_last_days", ())) for summary in latest.values()]
        bodies = [json.dumps(summary, ensure_ascii=False) for summary in latest.values()]
        nos, seqs, hashes = (list(column) for column in zip(*keys, strict=True))
        with self._conn.cursor() as cur:
            cur.execute(
                f"INSERT INTO {SCHEMA}.summaries AS s (contract_no, last_seq, last_hash, term_last_days, body)"
                " SELECT x.no, x.seq, x.hash, string_to_array(x.days, ',')::date[], x.body::json"
                " FROM unnest(%b::text[], %b::int[], %b::text[], %b::text[], %b::text[])"
                " AS x(no, seq, hash, days, body)"
                f" JOIN {SCHEMA}.events e ON e.contract_no = x.no AND e.seq = x.seq"
                "  AND (e.body::jsonb)->>'hash' = x.hash"
                f" WHERE NOT EXISTS (SELECT 1 FROM {SCHEMA}.events f WHERE f.contract_no = x.no AND f.seq > x.seq)"
                " ON CONFLICT (contract_no) DO UPDATE SET last_seq = excluded.last_seq,"
                " last_hash = excluded.last_hash, term_last_days = excluded.term_last_days,"
                " body = excluded.body",
                [nos, seqs, hashes, days, bodies])
            # the spans of the summaries now kept (of those refused, the kept ones' spans stay)
            cur.execute(f"DELETE FROM {SCHEMA}.summary_spans p USING unnest(%s::text[], %s::int[], %s::text[])"
                        f" AS x(no, seq, hash) JOIN {SCHEMA}.summaries s ON s.contract_no = x.no"
                        " AND s.last_seq = x.seq AND s.last_hash = x.hash WHERE p.contract_no = x.no",
                        [nos, seqs, hashes])
            rows = [(no, int(summary["last_seq"]), str(summary["last_hash"]), kind, first, last)
                    for no, summary in latest.items() for kind, first, last in summary_spans(summary)]
            if rows:
                cur.execute(f"INSERT INTO {SCHEMA}.summary_spans (contract_no, kind, first_day, last_day)"
                            " SELECT x.no, x.kind, x.first, x.last FROM unnest(%b::text[], %b::int[], %b::text[],"
                            " %b::text[], %b::date[], %b::date[]) AS x(no, seq, hash, kind, first, last)"
                            f" JOIN {SCHEMA}.summaries s ON s.contract_no = x.no AND s.last_seq = x.seq"
                            " AND s.last_hash = x.hash",
                            [list(column) for column in zip(*rows, strict=True)])

    def indexed_spans(self) -> Iterator[tuple[str, str]]:
        # a text per contract made by the server (base.span_text: distinct lines in code point
        # order, dates as ISO whatever the DateStyle), not a row per span sent and held
        rows = self._rows(f"SELECT contract_no, string_agg(DISTINCT line, E'\\n' ORDER BY line) FROM"
                          f" (SELECT contract_no, (kind || ' ' || to_char(first_day, 'YYYY-MM-DD') || ' '"
                          f" || to_char(last_day, 'YYYY-MM-DD')) COLLATE \"C\" AS line"
                          f" FROM {SCHEMA}.summary_spans) s GROUP BY contract_no ORDER BY contract_no")
        for contract_no, text in rows:
            yield str(contract_no), str(text)

    # ------------------------------------------------------------ documents
    def put_document(self, sha256: str, content: bytes) -> None:
        """Keep a document's bytes under their sha256 (again: nothing happens). The name is checked
        as the file register checks it, so that both keep exactly the same names."""
        check_content(sha256, content)
        self._check_writable()
        if self._rows(f"SELECT 1 FROM {SCHEMA}.documents WHERE sha256 = %s", (sha256,)):
            return  # kept already: its bytes are not sent again (a copy run again, a write retried)
        with self._mapped("保存文书", committing=True):
            self._conn.execute(f"INSERT INTO {SCHEMA}.documents (sha256, content) VALUES (%s, %s)"
                               " ON CONFLICT (sha256) DO NOTHING", (sha256, content))

    def get_document(self, sha256: str) -> bytes | None:
        check_name(sha256)
        rows = self._rows(f"SELECT content FROM {SCHEMA}.documents WHERE sha256 = %s", (sha256,))
        if not rows:
            return None
        content = bytes(rows[0][0])
        if hashlib.sha256(content).hexdigest() != sha256:  # the tables refuse changes: an owner lifted that
            raise DamagedDocument(f"{_where(self.dsn)} 保存的文书 {sha256[:12]}… 已损坏（内容与其哈希不符）："
                                  "请运行 vipcontract check，并用 vipcontract documents add 补入该文书的原件")
        return content

    def kept_documents(self) -> frozenset[str]:
        """The sha256 of every document kept (for `check`: those no event names)."""
        return frozenset(str(r[0]) for r in self._rows(f"SELECT sha256 FROM {SCHEMA}.documents"))

    # ------------------------------------------------------------ a file's concerns: none here
    def torn_lines(self) -> list[TornLine]:
        return []

    def set_aside(self) -> list[TornLine]:
        return []

    def close(self) -> None:
        self._conn.close()


def _journal_lines(rows: Sequence[tuple[Any, ...]]) -> Iterator[JournalLine]:
    """The rows of one append (one stored position) make one journal line."""
    ordinal = FIRST_POSITION - 1
    index = 0
    while index < len(rows):
        position, contract_no, _seq, _body, prev, digest = rows[index]
        docs: dict[str, Record] = {}
        while index < len(rows) and rows[index][0] == position:
            docs[str(rows[index][2])] = rows[index][3]
            index += 1
        ordinal += 1
        yield JournalLine(ordinal, str(contract_no), docs, str(prev), str(digest), int(position))
