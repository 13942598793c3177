"""What only a register on a PostgreSQL server has: `db init`, its accounts (a writer, a
read-only one), a server that is down or refuses the login, a connection lost or a writer killed
in the middle of a command, several processes and machines writing at once, and the documents.
The interface itself is tested with every backend in tests/test_store.py."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from cli import main
from store import open_store
from store.postgres import PostgresStore, ReadOnlyAccount, masked_dsn
from tests.conftest import INDIVIDUAL, TEST_PROFILE
from tests.forked_cli import run_forked
from tests.pg import PASSWORD, free_port
from tests.test_register_fixtures import fake_renderer  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parent.parent
NO = "VIP-2025-000001"


def cli(db: str, *args: str):
    return CliRunner().invoke(main, ["--db", db, *args])


def issue_and_sign(db: str, tmp_path: Path) -> None:
    customer = tmp_path / "customer.yaml"
    customer.write_text("\n".join(f'{k}: "{v}"' for k, v in {**INDIVIDUAL, "annual_fee": "12800"}.items()),
                        encoding="utf-8")
    issued = cli(db, "issue", "--type", "individual", "--from", str(customer), "--issued-on", "2025-03-01",
                 "--out", str(tmp_path / "out"))
    assert issued.exit_code == 0, issued.output
    signed = cli(db, "sign", NO, "--on", "2025-03-10")
    assert signed.exit_code == 0, signed.output


def records(db: str, contract_no: str = NO) -> list[dict]:
    store = open_store(db)
    try:
        return store.history(contract_no)
    finally:
        store.close()


# ---------------------------------------------------------------- db init, a database without a register
def test_db_init_makes_the_register_once_and_says_its_version(pg_server, pg_bare_database):
    url = pg_server.admin_url(pg_bare_database)
    first = cli(url, "db", "init")
    assert (first.exit_code, first.output) == (0, f"已在 {url} 建立登记簿，结构版本 3\n")
    again = cli(url, "db", "init")
    assert (again.exit_code, again.output) == (0, f"{url} 已有登记簿，结构版本 3，未作改动\n")
    upgraded = cli(url, "db", "upgrade")
    assert (upgraded.exit_code, upgraded.output) == (0, f"{url} 的登记簿已是结构版本 3，无需升级\n")
    assert cli(url, "list").exit_code == 0


def test_a_version_1_register_is_refused_until_upgraded(pg_server, pg_bare_database, tmp_path,
                                                         fake_renderer):  # noqa: F811
    """A register made before the summaries table: every command asks for db upgrade; the
    upgrade adds the table, and the records are there and read as before."""
    import psycopg

    from store import postgres

    url = pg_server.admin_url(pg_bare_database)
    with psycopg.connect(pg_server.dsn(pg_bare_database), autocommit=True) as conn:
        conn.execute(postgres.SCHEMA_V1)
    refused = cli(url, "list")
    assert refused.exit_code == 1 and "结构版本为 1" in refused.output and "db upgrade" in refused.output
    upgraded = cli(url, "db", "upgrade")
    assert (upgraded.exit_code, upgraded.output) == (0, f"{url} 的登记簿已由结构版本 1 升级到 3\n")
    issue_and_sign(url, tmp_path)
    listed = cli(url, "list")
    assert listed.exit_code == 0 and NO in listed.output
    with psycopg.connect(pg_server.dsn(pg_bare_database), autocommit=True) as conn:
        (kept,) = conn.execute("SELECT count(*) FROM vipcontract.summaries").fetchone()
    assert kept == 1  # the summary went in with the append (or was written back by list)


def test_db_commands_are_for_a_server_only(tmp_path):
    result = cli(str(tmp_path / "register.json"), "db", "init")
    assert result.exit_code == 1 and "db 命令只用于 PostgreSQL 服务器上的登记簿" in result.output
    assert not (tmp_path / "register.json").exists()


def test_a_database_without_a_register_is_refused_naming_db_init(pg_server, pg_bare_database, tmp_path,
                                                                  fake_renderer):  # noqa: F811
    url = pg_server.admin_url(pg_bare_database)
    customer = [f"--{k.replace('_', '-')}={v}" for k, v in INDIVIDUAL.items()]
    for args in (["list"], ["show", NO], ["check"],
                 ["--new-register", "issue", "--type", "individual", *customer, "--annual-fee", "9000",
                  "--out", str(tmp_path)]):
        result = cli(url, *args)
        assert result.exit_code == 1, args
        assert result.output.startswith("错误：") and "vipcontract" in result.output and "db init" in result.output
    with psycopg.connect(pg_server.dsn(pg_bare_database)) as conn:  # nothing was made
        assert conn.execute("SELECT to_regclass('vipcontract.events')").fetchone() == (None,)
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- a server that cannot be used
def test_a_server_that_is_not_running_is_said_without_the_password():
    url = f"postgresql://clerk:s3cret@127.0.0.1:{free_port()}/register"
    result = cli(url, "list")
    assert result.exit_code == 1
    assert result.output == (f"错误：无法连接 PostgreSQL 登记簿 postgresql://clerk:***@127.0.0.1:{url.split(':')[3]}"
                             "：服务器没有运行或拒绝连接（请检查主机、端口和服务器状态）\n")


def test_an_unknown_host_is_said():
    result = cli("postgresql://clerk:s3cret@no-such-host.invalid/register", "list")
    assert result.exit_code == 1 and "找不到该主机" in result.output and "s3cret" not in result.output


def test_a_wrong_password_is_said_without_it(pg_roles):
    url = pg_roles.writer_url.replace(f":{PASSWORD}@", ":wrong-one@")
    with contextlib.suppress(psycopg.OperationalError), psycopg.connect(url):
        pytest.skip("this server trusts the connection (VIPCONTRACT_TEST_DSN): it asks for no password")
    result = cli(url, "list")
    assert result.exit_code == 1
    assert f"账户 {pg_roles.writer} 的密码不对" in result.output
    assert "wrong-one" not in result.output and PASSWORD not in result.output


def test_a_password_from_pgpassword_is_used(pg_roles, monkeypatch):
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    url = pg_roles.writer_url.replace(f":{PASSWORD}@", "@")
    assert cli(url, "list").exit_code == 0


# ---------------------------------------------------------------- libpq's key=value form, ~/.pgpass, services
def keyword_dsn(pg_server, pg_database: str, user: str, **params: str) -> str:
    """The writer's key=value DSN over TCP, without its password (libpq finds it)."""
    return (f"host={pg_server.tcp['host']} port={pg_server.tcp['port']} dbname={pg_database} user={user} "
            "sslmode=disable" + "".join(f" {k}={v}" for k, v in params.items()))


def test_a_keyword_dsn_in_db_or_the_environment_with_the_password_from_a_pgpass_file(
        pg_server, pg_database, pg_roles, tmp_path, monkeypatch):
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"{pg_server.tcp['host']}:{pg_server.tcp['port']}:{pg_database}:{pg_roles.writer}:{PASSWORD}\n")
    pgpass.chmod(0o600)
    monkeypatch.delenv("PGPASSWORD", raising=False)
    dsn = keyword_dsn(pg_server, pg_database, pg_roles.writer)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))
    refused = cli(dsn, "list")
    if refused.exit_code == 0:
        pytest.skip("this server trusts the connection (VIPCONTRACT_TEST_DSN): it asks for no password")
    assert refused.exit_code == 1 and f"服务器要求账户 {pg_roles.writer} 的密码" in refused.output, refused.output
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    issue_and_sign(dsn, tmp_path)  # through --db
    assert [r["kind"] for r in records(pg_roles.writer_url)] == ["issued", "signed"]
    monkeypatch.setenv("VIPCONTRACT_DB", dsn)
    shown = CliRunner().invoke(main, ["show", NO])
    assert shown.exit_code == 0 and NO in shown.output, shown.output
    assert not (tmp_path / "host=").exists() and not list(Path.cwd().glob("host=*"))  # never taken for a file


def test_a_service_file_names_the_server(pg_server, pg_database, pg_roles, tmp_path, monkeypatch):
    services = tmp_path / "pg_service.conf"
    services.write_text(f"[office]\nhost={pg_server.tcp['host']}\nport={pg_server.tcp['port']}\n"
                        f"dbname={pg_database}\nuser={pg_roles.writer}\nsslmode=disable\n")
    monkeypatch.setenv("PGSERVICEFILE", str(services))
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    issue_and_sign("service=office", tmp_path)
    assert [r["kind"] for r in records(pg_roles.writer_url)] == ["issued", "signed"]
    monkeypatch.setenv("PGSERVICE", "office")  # libpq's own variable fills in what --db leaves out
    shown = cli("sslmode=disable", "show", NO)
    assert shown.exit_code == 0 and NO in shown.output, shown.output


def test_a_keyword_dsn_is_said_without_its_password():
    dsn = f"host=127.0.0.1 port={free_port()} dbname=register user=clerk password='s3 cret' sslmode=disable"
    result = cli(dsn, "list")
    assert result.exit_code == 1
    assert result.output.startswith("错误：无法连接 PostgreSQL 登记簿 user=clerk password=*** dbname=register")
    assert "s3" not in result.output and "cret" not in result.output


@pytest.mark.parametrize(("text", "server"), [
    ("host=db.office dbname=register", True),
    ("service=office", True),
    ("register.json", False),
    ("./dbname=x", False),          # a file named like a parameter: given with its folder
    ("/data/a=b.json", False),
    ("dbname=x and more", False),    # not libpq's form: a path
    ("postgresql://vip@db.office/register", True),
])
def test_a_path_stays_a_path(text, server):
    from store import register_target
    from store.base import is_database_url

    assert is_database_url(text) is server
    assert isinstance(register_target(text), str) is server


@pytest.mark.parametrize(("dsn", "shown"), [
    ("postgresql://vip:pa%40ss@db.office:5432/register?sslmode=require",
     "postgresql://vip:***@db.office:5432/register?sslmode=require"),
    ("postgres://vip@db.office/register?password=secret&sslmode=verify-full",
     "postgres://vip@db.office/register?password=***&sslmode=verify-full"),
    ("host=db.office user=vip password='a b' dbname=register", "user=vip password=*** dbname=register host=db.office"),
    ("host=db.office password = s3cret sslmode=require", "password=*** host=db.office sslmode=require"),
    ("host=db.office password='not closed", "host=db.office password=***"),
    ("postgresql:///register?host=/run/postgresql", "postgresql:///register?host=/run/postgresql"),
])
def test_a_dsn_is_never_shown_with_its_password(dsn, shown):
    assert masked_dsn(dsn) == shown


# ---------------------------------------------------------------- accounts
def test_a_read_only_account_reads_everything_and_writes_nothing(pg_roles, tmp_path, fake_renderer):  # noqa: F811
    issue_and_sign(pg_roles.writer_url, tmp_path)
    before = records(pg_roles.writer_url)
    reader = pg_roles.reader_url
    for args in (["list"], ["show", NO], ["show", NO, "--json"], ["find", "张三"], ["check"],
                 ["report", "expiring"], ["report", "receivables"], ["report", "notices"],
                 ["verify", str(tmp_path / "out" / f"{NO}_张三.pdf")]):
        result = cli(reader, *args)
        assert result.exit_code == 0, (args, result.output)
    out = tmp_path / "refused"
    for args in (["pay", NO, "--on", "2025-03-20", "--amount", "12800"],
                 ["notice", "send", NO, "--kind", "other", "--method", "email", "--on", "2025-04-01"],
                 ["amend", NO, "--signed-on", "2026-01-05", "--effective-on", "2026-03-10", "--set", "annual_fee=15800",
                  "--out", str(out)],
                 ["issue", "--type", "individual", *[f"--{k.replace('_', '-')}={v}" for k, v in INDIVIDUAL.items()],
                  "--annual-fee", "9000", "--out", str(out)]):
        result = cli(reader, *args)
        assert result.exit_code == 1, (args, result.output)
        assert result.output.startswith("错误：该数据库账户只有只读权限，不能写入登记簿"), result.output
        assert PASSWORD not in result.output
    assert records(pg_roles.writer_url) == before
    assert not out.exists() or list(out.iterdir()) == []


def test_the_writer_account_can_only_append(pg_roles, pg_dsn, tmp_path, fake_renderer):  # noqa: F811
    import hashlib

    issue_and_sign(pg_roles.writer_url, tmp_path)
    writer = PostgresStore(pg_roles.writer_url)
    writer.put_document(hashlib.sha256(b"doc").hexdigest(), b"doc")
    writer.close()
    with psycopg.connect(pg_roles.writer_url, autocommit=True) as conn:
        for sql in ("UPDATE vipcontract.events SET kind = 'x'", "DELETE FROM vipcontract.events",
                    "TRUNCATE vipcontract.events"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(sql)
    with psycopg.connect(pg_dsn, autocommit=True) as conn:  # not even the owner, without saying so first
        for sql in ("UPDATE vipcontract.events SET kind = 'x'", "DELETE FROM vipcontract.events",
                    "TRUNCATE vipcontract.events", "DELETE FROM vipcontract.documents"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
                conn.execute(sql)
    assert [r["kind"] for r in records(pg_roles.writer_url)] == ["issued", "signed"]


def test_each_event_names_the_account_and_the_person(pg_roles, tmp_path, fake_renderer):  # noqa: F811
    import getpass

    issue_and_sign(pg_roles.writer_url, tmp_path)
    user = getpass.getuser()
    assert {r["recorded_by"] for r in records(pg_roles.writer_url)} == {f"{pg_roles.writer}（{user}）"}
    shown = cli(pg_roles.reader_url, "show", NO, "--json")
    assert [h["recorded_by"] for h in __import__("json").loads(shown.output)["history"]] == \
        [f"{pg_roles.writer}（{user}）"] * 2


# ---------------------------------------------------------------- documents
def test_documents_are_kept_by_their_hash(pg_roles):
    import hashlib

    content = "协议正文".encode() * 1000
    digest = hashlib.sha256(content).hexdigest()
    writer = PostgresStore(pg_roles.writer_url)
    assert writer.get_document(digest) is None
    writer.put_document(digest, content)
    writer.put_document(digest, content)  # again: nothing happens
    with pytest.raises(Exception, match="不符"):
        writer.put_document(digest, b"other bytes")
    writer.close()
    reader = PostgresStore(pg_roles.reader_url)
    assert reader.get_document(digest) == content
    with pytest.raises(ReadOnlyAccount):
        reader.put_document(hashlib.sha256(b"x").hexdigest(), b"x")
    reader.close()


# ---------------------------------------------------------------- a command cut short
def test_a_writer_killed_inside_its_transaction_leaves_nothing(pg_url, tmp_path, fake_renderer):  # noqa: F811
    issue_and_sign(pg_url, tmp_path)
    before = records(pg_url)
    env = {**os.environ, "VIPCONTRACT_FAULT_AT": "written", "VIPCONTRACT_PROFILE": str(TEST_PROFILE)}
    killed = subprocess.run([sys.executable, "-c", "from cli import main; main()", "--db", pg_url,
                             "pay", NO, "--on", "2025-03-20", "--amount", "12800"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert killed.returncode == -9, killed.stderr
    assert records(pg_url) == before
    paid = cli(pg_url, "pay", NO, "--on", "2025-03-20", "--amount", "12800")  # the lock went with it
    assert paid.exit_code == 0, paid.output
    checked = cli(pg_url, "check")
    assert checked.exit_code == 0 and checked.output.startswith("已检查 1 份合同、3 条记录，未发现问题。")


def test_a_connection_cut_by_the_server_mid_command_rolls_back_and_says_so(pg_url, pg_dsn, tmp_path,
                                                                           fake_renderer, monkeypatch):  # noqa: F811
    import store.postgres

    issue_and_sign(pg_url, tmp_path)
    before = records(pg_url)

    def cut(step: str) -> None:  # the administrator ends the clerk's session between insert and commit
        if step == "written":
            with psycopg.connect(pg_dsn, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                              " WHERE application_name = 'vipcontract' AND datname = current_database()")

    monkeypatch.setattr(store.postgres, "fault_point", cut)
    result = cli(pg_url, "pay", NO, "--on", "2025-03-20", "--amount", "12800")
    assert result.exit_code == 1
    assert "连接中断" in result.output and "已开始的写入已全部撤销" in result.output, result.output
    assert records(pg_url) == before
    monkeypatch.undo()
    assert cli(pg_url, "check").exit_code == 0


# ---------------------------------------------------------------- several writers at once
def _append_25(url: str, year: int, start) -> None:
    """25 appends: new contracts (numbers allocated under the lock) and notices (ids likewise)."""
    import datetime as dt

    from contracts.amounts import parse_amount
    from contracts.dates import SHANGHAI, DeliveryMethod
    from contracts.events import NoticeKind
    from service import register
    from service.generate import AgreementRequest
    from service.sources import load_profile
    from tests.conftest import make_customer

    profile, store = load_profile(TEST_PROFILE), open_store(url)
    request = AgreementRequest(make_customer("individual"), parse_amount("12800", "annual_fee"), None)
    start.wait()
    contract_no = ""
    for n in range(25):
        if n % 2 == 0:
            with store.locked():  # allocate-then-append, as issue does
                contract_no = register.next_contract_no(store, profile.number_prefix, year)
                register.record_issued(store, profile, contract_no, request, dt.date(year, 1, 5), [])
        else:
            register.send_notice(store, profile, contract_no, register.NoticeRequest(
                NoticeKind.OTHER, DeliveryMethod.EMAIL, dt.datetime(year, 1, 6, 9, tzinfo=SHANGHAI)))
    store.close()


@pytest.mark.slow
def test_eight_processes_on_two_machines_lose_nothing_and_give_no_number_twice(pg_url, pg_roles, profile):
    """8 processes × 25 appends; half through the server's socket as its owner, half over TCP as
    the office's writer account (another machine would do the same): nothing lost, no contract
    number or notice id given twice, `check` passes, each event names its account."""
    from service import register

    urls = [pg_url, pg_roles.writer_url]
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [context.Process(target=_append_25, args=(urls[i % 2], 2026, start)) for i in range(8)]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(300)
        assert worker.exitcode == 0
    store = open_store(pg_url)
    assert store.contract_numbers() == [f"VIP-2026-{n:06d}" for n in range(1, 8 * 13 + 1)]
    ids = sorted(r["data"]["notice_id"] for r in store.find("notice_sent"))
    assert ids == [f"N-{n:06d}" for n in range(1, 8 * 12 + 1)]
    assert sum(len(h) for _no, h in store.histories()) == 8 * 25
    assert register.check(store, profile).ok
    assert store.head().position == 1 + 8 * 25
    accounts = {r["recorded_by"].split("（")[0] for _no, h in store.histories() for r in h}
    assert accounts == {"postgres", pg_roles.writer}
    store.close()


# ---------------------------------------------------------------- documents of a write cut short
def run_child(url: str, tmp_path: Path, *args: str, fault: str | None = None,
              cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The command line in a process of its own, with a fake renderer; the in-progress notes go in
    this test's data folder (`cwd`: the process's working folder, if not this one's)."""
    env = {**os.environ, "VIPCONTRACT_FAKE_RENDER": "1", "VIPCONTRACT_PROFILE": str(TEST_PROFILE),
           "XDG_DATA_HOME": str(tmp_path / "data"), "VIPCONTRACT_LOG": str(tmp_path / "error.log")}
    env.pop("VIPCONTRACT_FAULT_AT", None)
    if fault:
        env["VIPCONTRACT_FAULT_AT"] = fault
    return run_forked(["--db", url, *args], env, cwd)


@pytest.mark.parametrize("fault", ["rendered", "appended"])
def test_a_writer_killed_between_append_and_names_is_finished_on_this_computer(pg_url, tmp_path, fault):
    out = tmp_path / "out"
    customer = [f"--{k.replace('_', '-')}={v}" for k, v in INDIVIDUAL.items()]
    issue = ["issue", "--type", "individual", *customer, "--annual-fee", "12800", "--issued-on", "2025-03-01",
             "--out", str(out), "--format", "docx"]
    killed = run_child(pg_url, tmp_path, *issue, fault=fault)
    assert killed.returncode == -9, killed.stderr
    assert [p.name.endswith(".vipcontract-tmp") for p in out.iterdir()] == [True]
    assert len(list((tmp_path / "data").rglob("*.pending-*"))) == 1  # the note, on this computer
    registered = records(pg_url, NO) if fault == "appended" else []
    assert len(registered) == (1 if fault == "appended" else 0)
    checked = run_child(pg_url, tmp_path, "check")
    assert checked.returncode == 1 and ("仍是临时文件" in checked.stdout if registered else "未登记" in checked.stdout), \
        checked.stdout
    repaired = run_child(pg_url, tmp_path, "check", "--repair")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == ([f"{NO}_张三.docx"] if registered else [])
    assert list((tmp_path / "data").rglob("*.pending-*")) == []


def test_the_head_after_reading_every_history_is_the_head_of_what_was_read(pg_url):
    from tests.test_store import fill, rec

    reader, writer = PostgresStore(pg_url), PostgresStore(pg_url)
    fill(writer)
    histories = list(reader.histories())
    read_head = reader.head()
    writer.append("A", 2, [rec("A", 3)])  # another clerk, after the read
    assert len(histories) == 2 and reader.head() == read_head and read_head.position == 4  # three appends
    assert reader.history("A")[-1]["seq"] == 3
    assert reader.head() == writer.head() != read_head  # any other read: the head now
    reader.close()
    writer.close()


def test_without_postgresql_ci_fails_and_a_developer_is_told_what_to_install(monkeypatch):
    from tests import pg

    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="apt-get install -y postgresql"):
        pg.missing()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y postgresql"):
        pg.missing()
