"""deploy/postgres/: the compose file's PostgreSQL init script, run here against the local server.

It must make two databases, each owned by its own login role, neither open to the other role,
and take passwords with quotes in them (they come from .env, not from us).
"""

from __future__ import annotations

import os
import subprocess
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from tests.conftest import ROOT

pytestmark = pytest.mark.postgres
SCRIPT = ROOT / "deploy" / "postgres" / "init-databases.sh"


@pytest.fixture
def names(pg_admin):
    prefix = f"littlesis_init_{uuid.uuid4().hex[:8]}"
    names = {"AIRFLOW_DB_USER": f"{prefix}_af", "AIRFLOW_DB_NAME": f"{prefix}_afdb",
             "LITTLESIS_DB_USER": f"{prefix}_st", "LITTLESIS_DB_NAME": f"{prefix}_stdb"}
    yield names
    with pg_admin.connect() as conn:
        for key in ("AIRFLOW_DB_NAME", "LITTLESIS_DB_NAME"):
            conn.execute(text(f'DROP DATABASE IF EXISTS "{names[key]}" WITH (FORCE)'))
        for key in ("AIRFLOW_DB_USER", "LITTLESIS_DB_USER"):
            conn.execute(text(f'DROP ROLE IF EXISTS "{names[key]}"'))


def run_script(pg_admin, names: dict[str, str], **extra: str) -> subprocess.CompletedProcess[str]:
    url = pg_admin.url
    env = {**os.environ, "PGHOST": url.host or "127.0.0.1", "PGPORT": str(url.port or 5432),
           "POSTGRES_USER": url.username or "postgres", "POSTGRES_DB": url.database or "postgres", **names, **extra}
    return subprocess.run([str(SCRIPT)], capture_output=True, text=True, env=env, timeout=60)


def test_two_databases_each_owned_by_its_own_role_and_closed_to_the_other(pg_admin, names):
    done = run_script(pg_admin, names, AIRFLOW_DB_PASSWORD="it's a 'quoted' one", LITTLESIS_DB_PASSWORD="x;y")
    assert done.returncode == 0, done.stderr
    with pg_admin.connect() as conn:
        owners = dict(conn.execute(text(
            "SELECT d.datname, r.rolname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba "
            "WHERE d.datname IN (:a, :s)"), {"a": names["AIRFLOW_DB_NAME"], "s": names["LITTLESIS_DB_NAME"]}).all())
        logins = dict(conn.execute(text(
            "SELECT rolname, rolcanlogin AND rolpassword IS NOT NULL FROM pg_authid WHERE rolname IN (:a, :s)"),
            {"a": names["AIRFLOW_DB_USER"], "s": names["LITTLESIS_DB_USER"]}).all())
    assert owners == {names["AIRFLOW_DB_NAME"]: names["AIRFLOW_DB_USER"],
                      names["LITTLESIS_DB_NAME"]: names["LITTLESIS_DB_USER"]}
    assert logins == {names["AIRFLOW_DB_USER"]: True, names["LITTLESIS_DB_USER"]: True}

    def connect(user: str, database: str) -> None:
        engine = create_engine(pg_admin.url.set(username=user, password=None, database=database))
        try:
            with engine.connect() as conn:
                conn.execute(text("CREATE TABLE reach (id int)"))
                conn.commit()
        finally:
            engine.dispose()

    connect(names["AIRFLOW_DB_USER"], names["AIRFLOW_DB_NAME"])
    connect(names["LITTLESIS_DB_USER"], names["LITTLESIS_DB_NAME"])
    for user, database in ((names["LITTLESIS_DB_USER"], names["AIRFLOW_DB_NAME"]),
                           (names["AIRFLOW_DB_USER"], names["LITTLESIS_DB_NAME"])):
        with pytest.raises(OperationalError, match="permission denied for database"):
            connect(user, database)


def test_refuses_to_start_without_the_passwords(pg_admin, names):
    done = run_script(pg_admin, names, AIRFLOW_DB_PASSWORD="", LITTLESIS_DB_PASSWORD="x")
    assert done.returncode != 0
    assert "AIRFLOW_DB_PASSWORD is not set" in done.stderr
