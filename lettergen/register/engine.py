"""Database plumbing: engines, the one transaction helper, schema migrations.

* SQLite (the default): a file created on first use, in WAL mode with
  ``synchronous=FULL`` (each commit is one synced append to the ``-wal`` file
  instead of a synced journal plus a synced database: about half the disk
  waits, and readers never block the writer; a commit is still on disk when
  it returns).  ``journal="delete"`` keeps SQLite's classic rollback journal
  (one file, no ``-wal``/``-shm`` beside it).  The pysqlite driver's
  own transaction handling is switched off and SQLAlchemy emits ``BEGIN
  IMMEDIATE`` for writing transactions (the recipe from the SQLAlchemy SQLite
  dialect documentation), so a writer holds the database's write lock from
  its first statement; other processes wait up to :data:`BUSY_TIMEOUT`.  lettergen's
  own writers queue on a lock file first (:mod:`lettergen.register.writelock`), so
  the next one starts as soon as the last commits instead of after SQLite's sleeps.
* PostgreSQL: ordinary transactions; writers lock the sequence row with
  ``SELECT … FOR UPDATE`` (see :mod:`lettergen.register.core`); migrations are
  serialised with a transaction-level advisory lock.

Migrations are Alembic revisions in :mod:`lettergen.migrations`, run
programmatically on a connection this module opens.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from ..errors import RegisterError, RegisterUnavailable
from ..migrations import HEAD
from .writelock import writer_lock

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
VERSION_TABLE = "register_alembic_version"
BUSY_TIMEOUT = 60.0  # seconds a SQLite writer waits for another one
_MIGRATION_LOCK = 0x6C657474  # PostgreSQL advisory lock id ("lett")


def safe_url(url: str) -> str:
    """``url`` with any password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


JOURNAL_MODES = ("wal", "delete")


def create_register_engine(url: str, *, journal: str = "wal") -> Engine:
    """An engine for ``url``; SQLite files (and their folder) are created as needed."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise RegisterError(f"登记簿地址「{url}」无法识别（应为 sqlite:///文件路径 或 postgresql+psycopg://…）") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        if journal not in JOURNAL_MODES:
            raise RegisterError(f"[register] journal 应为 {' 或 '.join(JOURNAL_MODES)}，而不是「{journal}」")
        engine = sa.create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT})
        _install_sqlite_hooks(engine, journal)
        return engine
    if backend == "postgresql":
        try:
            return sa.create_engine(parsed, pool_pre_ping=True)
        except NoSuchModuleError:
            raise RegisterError(f"登记簿地址「{safe_url(url)}」的数据库驱动未安装（需要 psycopg）") from None
    raise RegisterError(f"不支持的登记簿数据库「{backend}」：只支持 SQLite 和 PostgreSQL")


def _install_sqlite_hooks(engine: Engine, journal: str) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):  # noqa: ANN001
        # Stop pysqlite from emitting BEGIN itself; SQLAlchemy does it below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        # The journal mode is stored in the file: every process switches it to the settings' choice.
        cursor.execute(f"PRAGMA journal_mode={journal.upper()}")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("lettergen_write", True)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN DEFERRED")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def transaction(engine: Engine, *, write: bool = True) -> Iterator[Connection]:
    """The one way the register talks to the database: a committed-or-rolled-back block.

    ``write=True`` takes SQLite's write lock at ``BEGIN``; read-only blocks use
    a deferred transaction on SQLite and ``REPEATABLE READ`` on PostgreSQL so
    that all their queries see one snapshot.  Driver errors become
    :class:`RegisterError` with a Chinese message.
    """
    lock = writer_lock(engine.url.database) if write and is_sqlite(engine) else None
    try:
        if lock is not None and not lock.acquire(BUSY_TIMEOUT):
            lock = None
    except TimeoutError:
        raise RegisterUnavailable(f"登记簿 {safe_url(str(engine.url))} 被其他进程占用（已等待 {BUSY_TIMEOUT:.0f} 秒），"
                                  "请稍后重试") from None
    try:
        with engine.connect() as conn:
            if is_sqlite(engine):
                conn.execution_options(lettergen_write=write)
            elif not write:
                conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn
    except DBAPIError as exc:
        raise _translate(engine, exc) from exc
    finally:
        if lock is not None:
            lock.release()


def _translate(engine: Engine, exc: DBAPIError) -> RegisterError:
    where = safe_url(str(engine.url))
    text = str(getattr(exc, "orig", None) or exc).strip()
    detail = text.splitlines()[0] if text else type(exc).__name__
    if "locked" in detail or "busy" in detail:
        return RegisterUnavailable(f"登记簿 {where} 被其他进程占用（已等待 {BUSY_TIMEOUT:.0f} 秒），请稍后重试（{detail}）")
    if exc.connection_invalidated or isinstance(exc, sa.exc.OperationalError):
        return RegisterUnavailable(f"无法访问登记簿 {where}：{detail}")
    return RegisterError(f"登记簿操作失败（{where}）：{detail}")


# --- migrations ------------------------------------------------------------
# Alembic is imported only when a schema really has to change: opening an
# up-to-date register reads the version row with plain SQL (fast CLI start).

def _alembic_config(conn: Connection | None = None):
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if conn is not None:
        cfg.attributes["connection"] = conn
    return cfg


def _script():
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config())


def head_revision() -> str:
    """The newest schema revision shipped with this version of lettergen (from Alembic)."""
    return _script().get_current_head()


def _read_revision(conn: Connection) -> str | None:
    if not sa.inspect(conn).has_table(VERSION_TABLE):
        return None
    return conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


def current_revision(engine: Engine) -> str | None:
    """The schema revision of the database behind ``engine`` (``None``: empty)."""
    with transaction(engine, write=False) as conn:
        return _read_revision(conn)


def migrate(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the schema in place to ``revision`` (default: newest).

    Runs inside one write transaction (on PostgreSQL under an advisory lock),
    so processes opening a new register at the same time do not collide and a
    failed upgrade leaves the database as it was.
    """
    if current_revision(engine) == (HEAD if revision == "head" else revision):
        return
    from alembic import command

    with transaction(engine) as conn:
        if not is_sqlite(engine):
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
        found = _read_revision(conn)
        if found is not None and found not in {rev.revision for rev in _script().walk_revisions()}:
            raise RegisterError(
                f"登记簿 {safe_url(str(engine.url))} 的结构版本为 {found}，比本程序新；请升级 lettergen"
            )
        command.upgrade(_alembic_config(conn), revision)


def process_after_fork(engine: Engine, owner_pid: int) -> int:
    """Drop pooled connections inherited across ``fork()``; return the current pid."""
    pid = os.getpid()
    if pid != owner_pid:
        engine.dispose(close=False)
    return pid
