"""Engines and sessions: SQLite (a file, WAL) for small installs, PostgreSQL in production.

Transactions are meant to be short: open one with :func:`session_scope` per unit of
work and never hold it across network calls. On SQLite every writing transaction
starts with ``BEGIN IMMEDIATE``: it waits (``busy_timeout``) for the write lock up
front instead of failing half way with "database is locked" when it upgrades a
read to a write.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.orm import Session

BUSY_TIMEOUT_MS = 30_000
# A transaction left open this long on PostgreSQL is a bug; the server ends it.
IDLE_IN_TRANSACTION_TIMEOUT_MS = 120_000
# Execution option read by the SQLite "begin" hook: "IMMEDIATE" (default) or "DEFERRED".
BEGIN_MODE = "littlesis_sqlite_begin"


def sqlite_url(path: str | Path) -> str:
    """The SQLAlchemy URL of a SQLite file."""
    return f"sqlite:///{Path(path).resolve()}"


def normalize_url(url: str | URL) -> URL:
    """Accept the spellings Airflow connections produce (``postgres://``, ``postgresql+psycopg2``)."""
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg2")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ValueError(f"unsupported store database {parsed.get_backend_name()!r}: use sqlite or postgresql")
    return parsed


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An engine for the store: SQLite in WAL mode with foreign keys, or PostgreSQL via psycopg2."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, **kwargs)
    connect_args = {"options": f"-c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_TIMEOUT_MS}"}
    # values_plus_batch: executemany UPDATEs (per-action results) go in pages, not one round trip each.
    kwargs.setdefault("executemany_mode", "values_plus_batch")
    return create_engine(parsed, pool_pre_ping=True, connect_args=connect_args, **kwargs)


def _sqlite_engine(url: URL, **kwargs: Any) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
    in_memory = url.database in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite so BEGIN is ours (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if not in_memory:
                cursor.execute("PRAGMA journal_mode = WAL")
                # Durable enough in WAL mode (a power cut may lose the last commit, never corrupt).
                cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(BEGIN_MODE, "IMMEDIATE")
        connection.exec_driver_sql("BEGIN" if mode == "DEFERRED" else "BEGIN IMMEDIATE")

    return engine


def is_sqlite(engine: Engine | Connection) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def session_scope(engine: Engine, *, readonly: bool = False) -> Iterator[Session]:
    """One short transaction: committed when the block ends, rolled back if it raises.

    ``readonly=True`` starts a deferred transaction on SQLite, so readers never wait
    for a writer; use it for pages and polling.
    """
    bind = engine.execution_options(**{BEGIN_MODE: "DEFERRED" if readonly else "IMMEDIATE"})
    with Session(bind=bind, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
