"""Store fixtures: every store test runs on a SQLite file and on a throwaway PostgreSQL database.

PostgreSQL tests create ``littlesis_test_<random>`` databases on the local server and drop
them afterwards; they are skipped, with the reason, only when no server answers.
Point LITTLESIS_TEST_PG_URLS (space separated) at other maintenance databases if needed.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from littlesis.store.base import target_metadata
from littlesis.store.engine import make_engine, sqlite_url
from littlesis.store.migrate import upgrade

PG_ADMIN_URLS = os.environ.get(
    "LITTLESIS_TEST_PG_URLS",
    "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres postgresql+psycopg2://root@127.0.0.1:5432/postgres",
).split()

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[Engine]:
    """An AUTOCOMMIT engine on the server's maintenance database (to create and drop test databases)."""
    failures = []
    for url in PG_ADMIN_URLS:
        engine = create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except OperationalError as exc:
            engine.dispose()
            reason = " ".join(str(exc.orig).split())
            failures.append(f"{make_url(url).render_as_string(hide_password=True)}: {reason}")
            continue
        yield engine
        engine.dispose()
        return
    pytest.skip("PostgreSQL tests skipped: no server answered (" + "; ".join(failures) + ")")


@pytest.fixture(scope="session")
def pg_database_factory(pg_admin: Engine) -> Iterator[Callable[[], str]]:
    """Makes empty throwaway databases; drops every one of them at the end of the session."""
    created: list[str] = []

    def create() -> str:
        name = f"littlesis_test_{uuid.uuid4().hex[:12]}"
        with pg_admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return pg_admin.url.set(database=name).render_as_string(hide_password=False)

    yield create
    with pg_admin.connect() as conn:
        for name in created:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def empty_url(backend: str, tmp_path, request: pytest.FixtureRequest) -> str:
    """The URL of a database with nothing of ours in it."""
    if backend == "sqlite":
        return sqlite_url(tmp_path / "store.db")
    factory: Callable[[], str] = request.getfixturevalue("pg_database_factory")
    return factory()


@pytest.fixture(scope="session")
def pg_store_url(pg_database_factory: Callable[[], str]) -> str:
    """One migrated PostgreSQL database shared by the session (emptied before each test)."""
    url = pg_database_factory()
    upgrade(url)
    return url


@pytest.fixture
def store_url(backend: str, tmp_path, request: pytest.FixtureRequest) -> str:
    """The URL of an empty, migrated store."""
    if backend == "sqlite":
        url = sqlite_url(tmp_path / "store.db")
        upgrade(url)
        return url
    url = request.getfixturevalue("pg_store_url")
    tables = ", ".join(t.name for t in target_metadata().sorted_tables)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    engine = make_engine(store_url)
    yield engine
    engine.dispose()
