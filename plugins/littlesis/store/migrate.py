"""Our own Alembic migrations, run from code: no alembic.ini, a version table of our own.

The version table is ``littlesis_alembic_version`` so the store can share a database
with other applications (Airflow's own metadata database included). Concurrent
upgrades are serialised: ``pg_advisory_lock`` on PostgreSQL, ``BEGIN IMMEDIATE``
(one writer at a time) on SQLite; whoever comes second finds the schema at head and
does nothing.

New revision for a model change (from a shell with the venv)::

    from alembic import command
    from littlesis.store.migrate import alembic_config
    command.revision(alembic_config("sqlite:////tmp/x.db"), message="...", autogenerate=True)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection

from littlesis.store.base import TABLE_PREFIX
from littlesis.store.engine import BEGIN_MODE, is_sqlite, make_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "littlesis_alembic_version"
# pg_advisory_lock key: "lsmigrat" as a 64-bit integer, shared by every process of every version.
ADVISORY_LOCK_KEY = int.from_bytes(b"lsmigrat", "big")


def alembic_config(url: str | None = None) -> Config:
    """An Alembic Config pointing at our migrations (and, for offline SQL or revisions, at ``url``)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        # configparser interpolation: a literal % in a password must be doubled.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def include_name(name: str | None, type_: str, _parent: object) -> bool:
    """Only our tables take part in migrations: the database may hold other apps' tables."""
    return type_ != "table" or bool(name and name.startswith(TABLE_PREFIX))


def current_revision(bind: str | Engine) -> str | None:
    """The revision the database is at, or None when the store was never created there."""
    engine = make_engine(bind) if isinstance(bind, str) else bind
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE}).get_current_revision()
    finally:
        if isinstance(bind, str):
            engine.dispose()


def upgrade(bind: str | Engine, revision: str = "head") -> None:
    """Bring the store schema up to ``revision``; a no-op when it is already there.

    Safe to run from several processes at once.
    """
    engine = make_engine(bind) if isinstance(bind, str) else bind
    try:
        with engine.connect() as conn, _migration_lock(conn) as locked:
            config = alembic_config()
            config.attributes["connection"] = locked
            command.upgrade(config, revision)
    finally:
        if isinstance(bind, str):
            engine.dispose()


@contextmanager
def _migration_lock(conn: Connection) -> Iterator[Connection]:
    if is_sqlite(conn):
        # The whole migration runs in one BEGIN IMMEDIATE transaction (env.py begins it).
        yield conn.execution_options(**{BEGIN_MODE: "IMMEDIATE"})
        return
    conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
    conn.commit()  # the lock is held by the session, not the transaction
    try:
        yield conn
    finally:
        conn.rollback()
        conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
        conn.commit()
