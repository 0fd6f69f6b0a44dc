"""Our two Airflow connections, found the way Airflow finds them (environment first).

- ``littlesis_store``: our own database. ``sqlite`` (``host`` = the file path) or
  ``postgres``. Undefined: a SQLite file beside Airflow's home, so the embedded
  demo needs no set-up.
- ``littlesis_classroom``: see ``littlesis.classroom.connection``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

from littlesis.classroom.credentials import ClassroomSettings

STORE_CONN_ID = "littlesis_store"


class StoreConfigError(ValueError):
    """The store connection is defined but unusable."""


def default_store_path() -> Path:
    home = os.environ.get("AIRFLOW_HOME") or str(Path.home() / "airflow")
    return Path(home) / "littlesis" / "store.db"


def store_url(conn_id: str = STORE_CONN_ID) -> str:
    """A SQLAlchemy URL for the store connection (a default SQLite file when it is not defined)."""
    from airflow.sdk import Connection  # late: Airflow is slow to import
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        conn = Connection.get(conn_id)
    except AirflowNotFoundException:
        conn = None
    return url_of(conn_id, conn)


async def async_store_url(conn_id: str = STORE_CONN_ID) -> str:
    """``store_url`` for async code (the triggerer), which must look connections up without blocking."""
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        conn = await Connection.async_get(conn_id)
    except AirflowNotFoundException:
        conn = None
    return url_of(conn_id, conn)


def url_of(conn_id: str, conn: Any) -> str:
    """The SQLAlchemy URL of a store connection (``None``: not defined, the default SQLite file)."""
    if conn is None:
        path = default_store_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path}"
    kind = (conn.conn_type or "").replace("-", "_").lower()
    if kind == "sqlite":
        if not conn.host:
            raise StoreConfigError(f"{conn_id}: a sqlite connection needs host = the database file path")
        path = Path(conn.host).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path}"
    if kind in {"postgres", "postgresql"}:
        auth = ""
        if conn.login:
            auth = quote(conn.login, safe="")
            if conn.password:
                auth += ":" + quote(conn.password, safe="")
            auth += "@"
        port = f":{conn.port}" if conn.port else ""
        return f"postgresql+psycopg2://{auth}{conn.host or '127.0.0.1'}{port}/{conn.schema or 'postgres'}"
    raise StoreConfigError(f"{conn_id}: conn_type must be sqlite or postgres, not {conn.conn_type!r}")


def classroom_domain(settings: ClassroomSettings) -> str:
    """The cache key of a Classroom connection: the admin it acts as, and where it talks to."""
    return f"{settings.delegated_admin or 'anonymous'}@{settings.endpoint}"
