"""The demo tests reuse the store tests' throwaway PostgreSQL databases."""

from tests.store.conftest import pg_admin, pg_database_factory  # noqa: F401  (fixtures)
