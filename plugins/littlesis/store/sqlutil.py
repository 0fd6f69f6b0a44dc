"""Small SQL helpers shared by the repository modules."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from itertools import islice
from typing import Any, TypeVar, cast

from sqlalchemy import JSON, Table, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult, Row
from sqlalchemy.orm import Session

from littlesis.store.coltypes import as_utc

T = TypeVar("T")

# Keeps IN lists and executemany batches well under every driver's parameter limit.
CHUNK = 500
BULK_CHUNK = 10_000


def chunked(items: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def bulk_insert(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert many rows that share their keys: COPY on PostgreSQL, executemany on SQLite.

    COPY is several times faster than multi-row INSERTs on PostgreSQL for plan-sized
    batches; it runs on the session's own connection, inside its transaction.
    """
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(table), list(rows))
        return
    columns = list(rows[0])
    as_json = [isinstance(table.c[c].type, JSON) for c in columns]
    buffer = io.StringIO()
    buffer.writelines(
        "\t".join(_copy_text(row[c], j) for c, j in zip(columns, as_json, strict=True)) + "\n" for row in rows
    )
    buffer.seek(0)
    names = ", ".join(f'"{c}"' for c in columns)
    cursor = cast(Any, session.connection().connection).cursor()
    try:
        cursor.copy_expert(f'COPY "{table.name}" ({names}) FROM STDIN', buffer)
    finally:
        cursor.close()


def _copy_text(value: Any, as_json: bool) -> str:
    """One value in COPY's text format (NULL is \\N; backslash, tab and newlines escaped)."""
    if value is None:
        return "\\N"
    if as_json:
        text = json.dumps(value)
    elif isinstance(value, bool):
        text = "t" if value else "f"
    elif isinstance(value, datetime):
        text = as_utc(value).isoformat()
    else:
        text = str(value)
    return text.translate(_COPY_ESCAPES)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def upsert(session: Session, table: Table) -> Any:
    """INSERT that can say ON CONFLICT on both backends (SQLite and PostgreSQL share the syntax)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def record(cls: type[T], row: Row[Any]) -> T:
    """A plain dataclass from a row whose column names are the dataclass fields."""
    return cls(**row._mapping)


def rowcount(result: Any) -> int:
    """Rows matched by an UPDATE or DELETE (Session.execute is typed as a plain Result)."""
    return int(cast(CursorResult[Any], result).rowcount)


def require_one_of(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}: expected one of {', '.join(allowed)}")
