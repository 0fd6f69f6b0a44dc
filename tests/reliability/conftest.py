"""Stores for the fault scenarios: one migrated SQLite template and one PostgreSQL template per session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.reliability.stores import PgStores, SqliteStores


@pytest.fixture(scope="session")
def sqlite_stores(tmp_path_factory: pytest.TempPathFactory) -> SqliteStores:
    return SqliteStores(tmp_path_factory.mktemp("stores"))


@pytest.fixture(scope="session")
def pg_stores() -> Iterator[PgStores]:
    stores = PgStores.connect()
    if stores is None:
        pytest.skip("PostgreSQL fault scenarios skipped: no server answered on the maintenance databases")
    yield stores
    stores.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def stores(request: pytest.FixtureRequest) -> SqliteStores | PgStores:
    """Each backend in turn (its store fault: a write lock on SQLite, cut connections on PostgreSQL)."""
    return request.getfixturevalue(f"{'pg' if request.param == 'postgresql' else 'sqlite'}_stores")
