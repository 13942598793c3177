"""A throw-away PostgreSQL for the tests.

With VIPCONTRACT_TEST_DSN set (a role that may create databases), that server is used: every
test gets a database of its own, dropped after it. Otherwise each test session (each xdist
worker) makes a cluster of its own with initdb in a temporary folder, listening on a Unix
socket in that folder and on 127.0.0.1 at a free port, and removes it at the end. As root, the
cluster belongs to the `postgres` user (initdb refuses root).

Without PostgreSQL the tests that need it are skipped, saying what to install; under CI
(CI=true) they fail instead: a CI run never passes by skipping them.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest

INSTALL = "PostgreSQL is not installed: sudo apt-get install -y postgresql (or make sysdeps), " \
          "or set VIPCONTRACT_TEST_DSN to a server the tests may create databases on"
SUPERUSER = "postgres"
PASSWORD = "vip-secret"  # of the roles made for the tests, over TCP (the socket trusts)
TEMPLATE = "vipcontract_template"


def bindir() -> Path | None:
    """Where initdb and pg_ctl are: pg_config's bindir, Debian's versioned folder, or PATH."""
    candidates = []
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        candidates.append(subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True,
                                         check=True).stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    which = shutil.which("initdb")
    if which:
        candidates.append(str(Path(which).resolve().parent))
    for folder in candidates:
        if folder and (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def missing(reason: str = INSTALL) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """Where the tests' databases are made: `admin` is a superuser's DSN (keyword form)."""

    admin: dict[str, str]
    tcp: dict[str, str] = field(default_factory=dict)  # host and port for logins with a password
    made: list[str] = field(default_factory=list)
    template: str = ""  # a database holding an empty register, copied for each test
    roles: list[str] = field(default_factory=list)

    def dsn(self, dbname: str, **params: str) -> str:
        return " ".join(f"{k}='{v}'" for k, v in {**self.admin, "dbname": dbname, **params}.items())

    def url(self, dbname: str, user: str, password: str = "") -> str:
        """A postgresql:// URL over TCP (what an office's machines use)."""
        secret = f":{quote(password, safe='')}" if password else ""
        host, port = self.tcp["host"], self.tcp["port"]
        if host.startswith("/"):  # a given server reached through its socket folder
            return f"postgresql://{quote(user, safe='')}{secret}@/{dbname}?{urlencode({'host': host, 'port': port})}"
        return f"postgresql://{quote(user, safe='')}{secret}@{host}:{port}/{dbname}"

    def admin_url(self, dbname: str, **params: str) -> str:
        """The superuser's postgresql:// URL of a database (its socket folder, if any, as ?host=)."""
        given = {**self.admin, **params}
        query = {k: v for k, v in given.items() if k not in ("user", "password")}
        secret = f":{quote(given['password'], safe='')}" if given.get("password") else ""
        return f"postgresql://{quote(given['user'], safe='')}{secret}@/{dbname}?{urlencode(query)}"

    def execute(self, sql: str, dbname: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(self.dsn(dbname), autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def new_database(self, template: str = "template0") -> str:
        name = f"vip_{os.getpid()}_{secrets.token_hex(4)}"
        self.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        self.made.append(name)
        return name

    def drop(self, name: str) -> None:
        with contextlib.suppress(Exception):
            self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self.made:
            self.made.remove(name)
        for role in [r for r in self.roles if r.startswith(f"{name}_")]:  # roles outlive databases
            with contextlib.suppress(Exception):
                self.execute(f'DROP ROLE IF EXISTS "{role}"')
            self.roles.remove(role)

    def office_roles(self, dbname: str) -> Roles:
        """A writer and a read-only account on the register in `dbname`, granted as the README
        tells an office to; their URLs over TCP, with the password."""
        writer, reader = f"{dbname}_writer", f"{dbname}_reader"
        for role in (writer, reader):
            self.execute(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{PASSWORD}'")
            self.roles.append(role)
        self.execute(GRANTS.format(writer=writer, reader=reader), dbname)
        return Roles(self.url(dbname, writer, PASSWORD), self.url(dbname, reader, PASSWORD), writer, reader)


# What the README tells an office to run (with its own role names) after `db init`.
GRANTS = """
GRANT USAGE ON SCHEMA vipcontract TO "{writer}", "{reader}";
GRANT SELECT ON ALL TABLES IN SCHEMA vipcontract TO "{writer}", "{reader}";
GRANT INSERT ON vipcontract.events, vipcontract.documents TO "{writer}";
GRANT INSERT, UPDATE ON vipcontract.summaries TO "{writer}";
GRANT INSERT, DELETE ON vipcontract.summary_spans TO "{writer}";
"""


@dataclass(frozen=True)
class Roles:
    writer_url: str
    reader_url: str
    writer: str
    reader: str


def _as_owner(owner: str | None) -> list[str]:
    return ["runuser", "-u", owner, "--"] if owner else []


@contextlib.contextmanager
def local_cluster() -> Iterator[Server]:
    """initdb, pg_ctl start, ... pg_ctl stop and remove."""
    folder = bindir()
    if folder is None:
        missing()
        raise AssertionError("unreachable")
    owner = SUPERUSER if os.geteuid() == 0 else None
    base = Path(tempfile.mkdtemp(prefix="vip-pg-"))
    data, port = base / "data", free_port()
    if owner:
        entry = pwd.getpwnam(owner)
        os.chown(base, entry.pw_uid, entry.pw_gid)
    run = [*_as_owner(owner)]
    try:
        subprocess.run([*run, str(folder / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth-local=trust",
                        "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
                       check=True, capture_output=True)
        options = (f"-k {base} -p {port} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        subprocess.run([*run, str(folder / "pg_ctl"), "-D", str(data), "-l", str(base / "log"), "-o", options,
                        "-w", "-t", "60", "start"], check=True, capture_output=True)
        server = Server({"host": str(base), "port": str(port), "user": SUPERUSER},
                        {"host": "127.0.0.1", "port": str(port)})
        yield server
    finally:
        subprocess.run([*run, str(folder / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@contextlib.contextmanager
def given_server(dsn: str) -> Iterator[Server]:
    from psycopg.conninfo import conninfo_to_dict

    params = {k: str(v) for k, v in conninfo_to_dict(dsn).items() if k != "dbname"}
    server = Server(params, {"host": params.get("host", "localhost"), "port": params.get("port", "5432")})
    try:
        yield server
    finally:
        for name in list(server.made):  # the template too
            server.drop(name)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Server]:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        missing("psycopg is not installed: .venv/bin/pip install -e '.[dev]'")
    given = os.environ.get("VIPCONTRACT_TEST_DSN", "").strip()
    with given_server(given) if given else local_cluster() as server:
        from store.postgres import initialise

        server.template = server.new_database()
        initialise(server.dsn(server.template))
        yield server


@pytest.fixture
def pg_database(pg_server: Server) -> Iterator[str]:
    """A database of this test's own holding an empty register (`db init` done); its name."""
    name = pg_server.new_database(pg_server.template)
    yield name
    pg_server.drop(name)


@pytest.fixture
def pg_dsn(pg_server: Server, pg_database: str) -> str:
    """The superuser's DSN of this test's register."""
    return pg_server.dsn(pg_database)


@pytest.fixture
def pg_url(pg_server: Server, pg_database: str) -> str:
    """The superuser's postgresql:// URL of this test's register, as --db takes it."""
    return pg_server.admin_url(pg_database)


@pytest.fixture
def pg_roles(pg_server: Server, pg_database: str) -> Roles:
    """A writer and a read-only account on this test's register (over TCP, with a password)."""
    return pg_server.office_roles(pg_database)


@pytest.fixture
def pg_bare_database(pg_server: Server) -> Iterator[str]:
    """A database of this test's own with no register in it."""
    name = pg_server.new_database()
    yield name
    pg_server.drop(name)
