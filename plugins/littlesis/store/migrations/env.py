"""Alembic environment of the store; run through littlesis.store.migrate, never an alembic.ini."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from littlesis.store.base import target_metadata
from littlesis.store.engine import make_engine
from littlesis.store.migrate import VERSION_TABLE, include_name

config = context.config


def run_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata(),
        version_table=VERSION_TABLE,
        include_name=include_name,
        literal_binds=True,
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_with(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("run the store migrations with littlesis.store.migrate.upgrade(url)")
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            _run_with(conn)
    finally:
        engine.dispose()


def _run_with(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata(),
        version_table=VERSION_TABLE,
        include_name=include_name,
        # Our SQLite engine issues BEGIN itself, so SQLite DDL is transactional too.
        transactional_ddl=True,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
