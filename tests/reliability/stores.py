"""A fresh, migrated store per scenario, and the two ways a store fails under a commit.

- SQLite: a file migrated once and copied per scenario. ``hold_write_lock`` is another
  connection taking the write lock (``BEGIN IMMEDIATE``) for a while.
- PostgreSQL: a database migrated once and used as the template of one database per
  scenario (``CREATE DATABASE ... TEMPLATE``: fast). ``cut_connections`` terminates every
  backend connected to it (``pg_terminate_backend``) from the server's maintenance database,
  preferably while one is in a transaction: an idle pooled connection is replaced quietly
  (``pool_pre_ping``), a busy one fails the statement under way.
"""

from __future__ import annotations

import shutil
import sqlite3
import time
import uuid
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

from littlesis.store.engine import make_engine, sqlite_url
from littlesis.store.migrate import upgrade
from tests.store.conftest import PG_ADMIN_URLS

BACKENDS = ("sqlite", "postgresql")


class SqliteStores:
    backend = "sqlite"

    def __init__(self, folder: Path) -> None:
        self.template = folder / "template.db"
        upgrade(sqlite_url(self.template))

    def new(self, folder: Path) -> str:
        path = folder / "store.db"
        shutil.copyfile(self.template, path)
        return sqlite_url(path)

    def hold_write_lock(self, url: str, seconds: float) -> None:
        """Hold the database's write lock for ``seconds`` from another connection, as a stuck writer would."""
        connection = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")
            time.sleep(seconds)
            connection.execute("ROLLBACK")
        finally:
            connection.close()

    def drop(self, url: str) -> None:
        """Nothing to do: the file goes with its folder."""

    def close(self) -> None:
        """Nothing to do: the template goes with its folder."""


class PgStores:
    backend = "postgresql"

    def __init__(self, admin: Engine) -> None:
        self.admin = admin
        self.template = f"littlesis_rel_tpl_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.template}"'))
        url = self._url(self.template)
        upgrade(url)
        make_engine(url).dispose()
        self.created: list[str] = []

    @classmethod
    def connect(cls) -> PgStores | None:
        """On the first maintenance database that answers; None when no server does."""
        for url in PG_ADMIN_URLS:
            admin = create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
            try:
                with admin.connect() as conn:
                    conn.execute(text("SELECT 1"))
            except Exception:
                admin.dispose()
                continue
            return cls(admin)
        return None

    def _url(self, database: str) -> str:
        return self.admin.url.set(database=database).render_as_string(hide_password=False)

    def new(self, folder: Path) -> str:
        name = f"littlesis_rel_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"'))
        self.created.append(name)
        return self._url(name)

    def cut_connections(self, url: str, *, wait_busy: float) -> tuple[int, bool]:
        """Terminate every backend connected to the store's database, once one of them is in a statement or
        transaction (or after ``wait_busy`` seconds: idle ones are cut then). (How many, whether one was busy.)"""
        params = {"db": url.rsplit("/", 1)[1]}
        deadline = time.monotonic() + wait_busy
        with self.admin.connect() as conn:
            while True:
                busy = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = :db "
                                         "AND pid <> pg_backend_pid() AND state <> 'idle'"), params).scalar_one()
                if busy or time.monotonic() >= deadline:
                    break
                time.sleep(0.001)
            ended = conn.execute(text("SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                      "WHERE datname = :db AND pid <> pg_backend_pid()) AS t"), params)
            return int(ended.scalar_one()), bool(busy)

    def drop(self, url: str) -> None:
        database = url.rsplit("/", 1)[1]
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        if database in self.created:
            self.created.remove(database)

    def close(self) -> None:
        with self.admin.connect() as conn:
            for name in [*self.created, self.template]:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()
