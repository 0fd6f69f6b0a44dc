"""The declarative base: one MetaData, deterministic constraint names, shared column helpers."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import CheckConstraint, MetaData, Table
from sqlalchemy.orm import DeclarativeBase

# Fixed names keep migrations identical on SQLite and PostgreSQL and let later
# migrations drop or alter a constraint by name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

TABLE_PREFIX = "ls_"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def one_of(column: str, values: Iterable[str]) -> CheckConstraint:
    """A CHECK that keeps a text column inside its vocabulary (named ck_<table>_<column>)."""
    allowed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=column)


def target_metadata() -> MetaData:
    """The complete metadata of the store (every model module imported)."""
    from littlesis.store import cache_models, models  # noqa: F401  (registers the tables)

    return Base.metadata


def table_of(model: type[Base]) -> Table:
    """The Core Table of a model (``__table__`` is typed as a mere FromClause)."""
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to a single table")
    return table
