from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from littlesis.store.base import target_metadata
from littlesis.store.engine import make_engine
from littlesis.store.migrate import VERSION_TABLE, current_revision, head_revision, include_name, upgrade

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"
OUR_TABLES = {t.name for t in target_metadata().sorted_tables}


def _diff(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={
                "version_table": VERSION_TABLE, "include_name": include_name,
                "compare_type": True, "compare_server_default": True,
            })
            return list(compare_metadata(context, target_metadata()))
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_of_an_empty_database_creates_the_models_schema(empty_url):
    assert current_revision(empty_url) is None
    upgrade(empty_url)
    assert current_revision(empty_url) == head_revision()
    assert _tables(empty_url) == OUR_TABLES | {VERSION_TABLE}
    assert all(name.startswith("ls_") for name in OUR_TABLES)
    assert _diff(empty_url) == []


def test_upgrade_twice_is_a_no_op(empty_url):
    upgrade(empty_url)
    engine = make_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO ls_locks (name, holder, acquired_at, expires_at)"
                          " VALUES ('x', 'h', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"))
    upgrade(empty_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT holder FROM ls_locks")).scalar_one() == "h"
        assert conn.execute(text(f"SELECT count(*) FROM {VERSION_TABLE}")).scalar_one() == 1
    engine.dispose()
    assert current_revision(empty_url) == head_revision()


def test_other_applications_tables_are_left_alone(empty_url):
    engine = make_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        conn.execute(text("INSERT INTO alembic_version VALUES ('someone_elses')"))
        conn.execute(text("CREATE TABLE dag_run (id INTEGER PRIMARY KEY)"))
    upgrade(empty_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "someone_elses"
    engine.dispose()
    assert {"alembic_version", "dag_run"} <= _tables(empty_url)
    assert _diff(empty_url) == []


def test_concurrent_upgrades_from_several_processes(empty_url):
    start_at = time.time() + 1.5  # every process imports first, then all start together
    script = (
        "import sys, time\n"
        "from littlesis.store.migrate import upgrade\n"
        "time.sleep(max(0.0, float(sys.argv[2]) - time.time()))\n"
        "upgrade(sys.argv[1])\n"
    )
    env = {**os.environ, "PYTHONPATH": str(PLUGINS)}
    procs = [
        subprocess.Popen([sys.executable, "-c", script, empty_url, str(start_at)], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outcomes = [(p.wait(timeout=60), p.stderr.read() if p.stderr else "") for p in procs]
    for proc in procs:
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()
    assert [code for code, _ in outcomes] == [0, 0, 0], outcomes
    assert current_revision(empty_url) == head_revision()
    assert _diff(empty_url) == []
