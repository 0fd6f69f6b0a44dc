"""``bin/littlesis setup``: make an Airflow installation ready for Little SIS Sync. Idempotent.

1. ``airflow db migrate`` (Airflow's metadata database; skip with ``--skip-airflow-db-migrate``);
2. our store's migrations on the store URL;
3. the connections ``littlesis_store``, ``littlesis_classroom`` and ``littlesis_smtp``, created or
   replaced through ``airflow connections import --overwrite`` (a private temporary file, so no
   password or key shows in the process list);
4. the pool ``littlesis_commit`` with one slot (``airflow pools set``): one commit at a time, as
   every commit of a domain shares its Classroom quota.

Everything goes through Airflow's own command line, so it works on whatever metadata database
the installation uses. The docker-compose init service and the demo both run exactly this.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from littlesis.core.errors import LittleSisError
from littlesis.deploy.airflow_cli import AirflowCommandError, run_airflow

# The ids our code reads (classroom.connection, orchestration.connections, service.notifications,
# dag_builder.COMMIT_POOL; a test checks they agree). Those modules import Airflow and Google's
# client, which would slow down every `bin/littlesis --help`.
CLASSROOM_CONN_ID = "littlesis_classroom"
CLASSROOM_CONN_TYPE = "google_cloud_platform"
STORE_CONN_ID = "littlesis_store"
SMTP_CONN_ID = "littlesis_smtp"
COMMIT_POOL = "littlesis_commit"

STORE_URL_ENV = "LITTLESIS_STORE_URL"
STORE_SOURCE = "LITTLESIS_STORE_URL / --store-url"
CLASSROOM_URI_ENV = "LITTLESIS_CLASSROOM_URI"
SMTP_URI_ENV = "LITTLESIS_SMTP_URI"
COMMIT_POOL_SLOTS = 1
COMMIT_POOL_DESCRIPTION = "Little SIS Sync: one commit at a time (commits of a domain share its Classroom quota)"

DESCRIPTION = f"""\
Make an Airflow installation ready for Little SIS Sync (safe to run again):
  1. airflow db migrate (unless --skip-airflow-db-migrate);
  2. our store's migrations;
  3. the connections {STORE_CONN_ID}, {CLASSROOM_CONN_ID} and {SMTP_CONN_ID} (airflow connections import
     --overwrite);
  4. the pool {COMMIT_POOL} with {COMMIT_POOL_SLOTS} slot (airflow pools set): one commit at a time."""

EPILOG = f"""\
Values come from the flags, else from these environment variables:
  {STORE_URL_ENV}      SQLAlchemy URL of our store, e.g. sqlite:////srv/littlesis/store.db or
                           postgresql://littlesis:secret@db:5432/littlesis
                           (default: sqlite file $AIRFLOW_HOME/littlesis/store.db)
  {CLASSROOM_URI_ENV}  the {CLASSROOM_CONN_ID} connection as an Airflow URI or JSON, e.g.
                           '{{"conn_type": "google_cloud_platform", "extra": {{"key_path": "/keys/sa.json",
                             "delegated_admin": "admin@district.org"}}}}'
                           or, for the emulator, '{{"conn_type": "google_cloud_platform",
                             "extra": {{"api_endpoint": "http://127.0.0.1:8089/"}}}}'
  {SMTP_URI_ENV}       the {SMTP_CONN_ID} connection as an Airflow URI or JSON, e.g.
                           '{{"conn_type": "smtp", "host": "mail.district.org", "port": 587,
                             "login": "sync", "password": "...", "extra": {{"from_email": "sync@district.org"}}}}'
A connection that is given replaces the one stored in Airflow; one that is not is left as it is.
Airflow itself is configured as usual (AIRFLOW_HOME, AIRFLOW__DATABASE__SQL_ALCHEMY_CONN, ...).
"""


class SetupError(LittleSisError):
    """A set-up value is unusable; the message names the variable or flag and the value."""


@dataclass(frozen=True)
class SetupInputs:
    store_url: str
    classroom: str | None
    smtp: str | None
    migrate_airflow: bool = True


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = DESCRIPTION
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--store-url", help=f"our store's SQLAlchemy URL (default ${STORE_URL_ENV})")
    parser.add_argument("--classroom-uri", help=f"the {CLASSROOM_CONN_ID} connection (default ${CLASSROOM_URI_ENV})")
    parser.add_argument("--smtp-uri", help=f"the {SMTP_CONN_ID} connection (default ${SMTP_URI_ENV})")
    parser.add_argument("--skip-airflow-db-migrate", action="store_true",
                        help="don't run `airflow db migrate` (when something else migrates Airflow's database)")


def inputs_from(args: argparse.Namespace, environ: Mapping[str, str]) -> SetupInputs:
    """Flags first, then the environment; empty values count as unset."""
    def pick(flag: str | None, env: str) -> str | None:
        value = flag if flag else environ.get(env, "")
        return value.strip() or None

    from littlesis.orchestration.connections import default_store_path

    return SetupInputs(
        store_url=pick(args.store_url, STORE_URL_ENV) or f"sqlite:///{default_store_path().resolve()}",
        classroom=pick(args.classroom_uri, CLASSROOM_URI_ENV),
        smtp=pick(args.smtp_uri, SMTP_URI_ENV),
        migrate_airflow=not args.skip_airflow_db_migrate,
    )


def store_connection(url: str) -> dict[str, Any]:
    """The ``littlesis_store`` connection for a SQLAlchemy URL (see orchestration.connections.store_url)."""
    from sqlalchemy.exc import ArgumentError

    from littlesis.store.engine import normalize_url

    try:
        parsed = normalize_url(url)
    except (ArgumentError, ValueError) as exc:
        raise SetupError(f"{STORE_SOURCE}: not a usable store URL ({exc}) (got {_redact(url)!r})") from None
    if parsed.query:
        raise SetupError(f"{STORE_SOURCE}: query parameters ({', '.join(parsed.query)}) are not supported in the "
                         f"store connection (got {_redact(url)!r})")
    if parsed.get_backend_name() == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            raise SetupError(f"{STORE_SOURCE}: the store needs a SQLite file, not an in-memory database")
        # Every Airflow process must find the same file, whatever its working directory.
        return {"conn_type": "sqlite", "host": str(Path(parsed.database).expanduser().resolve())}
    conn: dict[str, Any] = {"conn_type": "postgres", "host": parsed.host or "127.0.0.1",
                            "schema": parsed.database or "postgres"}
    for key, value in (("port", parsed.port), ("login", parsed.username), ("password", parsed.password)):
        if value is not None:
            conn[key] = value
    return conn


def import_value(text: str, source: str, conn_type: str) -> str | dict[str, Any]:
    """A connection given as an Airflow URI or JSON, in ``airflow connections import``'s format."""
    if text.lstrip().startswith("{"):
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise SetupError(f"{source}: not valid JSON ({exc})") from None
        if not isinstance(value, dict):
            raise SetupError(f"{source}: a JSON connection must be an object")
        given = str(value.get("conn_type") or "")
        if isinstance(value.get("extra"), dict):  # the import file wants a string or extra_dejson
            value["extra_dejson"] = value.pop("extra")
    else:
        given = text.split("://", 1)[0] if "://" in text else ""
        value = text
    if given.replace("-", "_") != conn_type:
        raise SetupError(f"{source}: conn_type must be {conn_type}, not {given!r}")
    return value


def connections_to_import(inputs: SetupInputs) -> dict[str, str | dict[str, Any]]:
    connections: dict[str, str | dict[str, Any]] = {STORE_CONN_ID: store_connection(inputs.store_url)}
    if inputs.classroom:
        connections[CLASSROOM_CONN_ID] = import_value(inputs.classroom, CLASSROOM_URI_ENV + " / --classroom-uri",
                                                      CLASSROOM_CONN_TYPE)
    if inputs.smtp:
        connections[SMTP_CONN_ID] = import_value(inputs.smtp, SMTP_URI_ENV + " / --smtp-uri", "smtp")
    return connections


def import_connections(connections: Mapping[str, str | dict[str, Any]], env: Mapping[str, str]) -> None:
    # mkdtemp is private to this user (0700): the file holds passwords and keys for a moment.
    folder = Path(tempfile.mkdtemp(prefix="littlesis-setup-"))
    path = folder / "connections.json"
    try:
        path.touch(mode=0o600)
        path.write_text(json.dumps(connections))
        output = run_airflow(["connections", "import", "--overwrite", str(path)], env)
    finally:
        path.unlink(missing_ok=True)
        folder.rmdir()
    missing = [conn_id for conn_id in connections if f"Imported connection {conn_id}" not in output]
    if missing:
        raise AirflowCommandError(f"airflow connections import did not import {', '.join(missing)}:\n{output[-2000:]}")


def run_setup(inputs: SetupInputs, env: Mapping[str, str] | None = None, say: Any = print) -> None:
    from littlesis.store.migrate import upgrade

    env = dict(os.environ if env is None else env)
    connections = connections_to_import(inputs)  # every value is checked before anything changes
    if inputs.migrate_airflow:
        _timed(say, "Airflow metadata database migrated", lambda: run_airflow(["db", "migrate"], env))
    store = connections[STORE_CONN_ID]
    assert isinstance(store, dict)
    if store["conn_type"] == "sqlite":
        Path(store["host"]).parent.mkdir(parents=True, exist_ok=True)
    _timed(say, f"store at {_redact(inputs.store_url)} migrated", lambda: upgrade(inputs.store_url))
    _timed(say, f"connections {', '.join(connections)} created or replaced",
           lambda: import_connections(connections, env))
    for conn_id, name in ((CLASSROOM_CONN_ID, CLASSROOM_URI_ENV), (SMTP_CONN_ID, SMTP_URI_ENV)):
        if conn_id not in connections:
            say(f"setup: {conn_id} left as it is (give ${name} or its flag to set it)")
    for conn_id in (STORE_CONN_ID, CLASSROOM_CONN_ID, SMTP_CONN_ID):
        if f"AIRFLOW_CONN_{conn_id.upper()}" in env:
            say(f"setup: note: AIRFLOW_CONN_{conn_id.upper()} is set; Airflow uses it before the stored {conn_id}")
    _timed(say, f"pool {COMMIT_POOL} has {COMMIT_POOL_SLOTS} slot",
           lambda: run_airflow(["pools", "set", COMMIT_POOL, str(COMMIT_POOL_SLOTS), COMMIT_POOL_DESCRIPTION], env))


def main(args: argparse.Namespace) -> int:
    try:
        run_setup(inputs_from(args, os.environ))
    except (SetupError, AirflowCommandError) as exc:
        print(f"setup: {exc}", file=sys.stderr)
        return 1
    print("setup: done")
    return 0


def _timed(say: Any, what: str, step: Any) -> None:
    started = time.monotonic()
    step()
    say(f"setup: {what} ({time.monotonic() - started:.1f} s)")


def _redact(url: str) -> str:
    """The URL with its password hidden (for messages)."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparsable URL>"
