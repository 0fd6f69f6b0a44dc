"""The store tests' throwaway PostgreSQL databases, for the deployment tests too."""

from tests.store.conftest import pg_admin, pg_database_factory  # noqa: F401  (fixtures)
