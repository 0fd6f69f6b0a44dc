"""`bin/littlesis setup`: our store migrated, the three connections and the commit pool in Airflow, again and again."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from sqlalchemy.engine import make_url

from littlesis.deploy import setup
from littlesis.deploy.setup import SetupError, import_value, store_connection
from littlesis.store.migrate import current_revision, head_revision
from tests.conftest import ROOT
from tests.orchestration.conftest import airflow_env

CLASSROOM = {"conn_type": "google_cloud_platform",
             "extra": {"api_endpoint": "http://127.0.0.1:8089/", "delegated_admin": "admin@district.example.org"}}


def test_the_ids_it_creates_are_the_ones_the_code_reads():
    from littlesis.classroom import connection
    from littlesis.orchestration import connections, dag_builder
    from littlesis.service import notifications

    assert (setup.CLASSROOM_CONN_ID, setup.CLASSROOM_CONN_TYPE) == (connection.CONN_ID, connection.CONN_TYPE)
    assert setup.STORE_CONN_ID == connections.STORE_CONN_ID
    assert setup.SMTP_CONN_ID == notifications.SMTP_CONN_ID
    assert setup.COMMIT_POOL == dag_builder.COMMIT_POOL


@pytest.mark.parametrize("url", [
    "sqlite:///relative/store.db",
    "postgresql://sync:p%40ss%3Aword@db.example.org:6432/littlesis",
    "postgres://sync@db.example.org/littlesis",
])
def test_the_store_connection_reads_back_as_the_same_database(url, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    conn = store_connection(url)
    monkeypatch.setenv("AIRFLOW_CONN_LITTLESIS_STORE", json.dumps(conn))
    from littlesis.orchestration.connections import store_url

    read_back, given = make_url(store_url()), make_url(url)
    if given.get_backend_name() == "sqlite":
        assert read_back.database == str(tmp_path / "relative" / "store.db")  # absolute: any working directory
    else:
        assert read_back.get_backend_name() == "postgresql"
        assert (read_back.username, read_back.password, read_back.host, read_back.port, read_back.database) == (
            given.username, given.password, given.host, given.port, given.database)


@pytest.mark.parametrize(("url", "message"), [
    ("mysql://x/y", "unsupported store database 'mysql'"),
    ("sqlite://", "needs a SQLite file"),
    ("postgresql://u:secret@h/db?sslmode=require", "query parameters (sslmode)"),
    ("not a url", "not a usable store URL"),
])
def test_an_unusable_store_url_is_refused_without_showing_its_password(url, message):
    with pytest.raises(SetupError, match="LITTLESIS_STORE_URL / --store-url") as caught:
        store_connection(url)
    assert message in str(caught.value)
    assert "secret" not in str(caught.value)


def test_connections_are_taken_as_uri_or_json_of_the_right_type():
    assert import_value("smtp://127.0.0.1:8025", "S", "smtp") == "smtp://127.0.0.1:8025"
    assert import_value(json.dumps(CLASSROOM), "C", "google_cloud_platform") == {
        "conn_type": "google_cloud_platform", "extra_dejson": CLASSROOM["extra"]}
    assert import_value("google-cloud-platform://?delegated_admin=a%40b.org", "C", "google_cloud_platform")
    with pytest.raises(SetupError, match="LITTLESIS_SMTP_URI: conn_type must be smtp, not 'http'"):
        import_value("http://mail", "LITTLESIS_SMTP_URI", "smtp")
    with pytest.raises(SetupError, match="C: not valid JSON"):
        import_value("{conn_type: smtp}", "C", "smtp")


def airflow_json(env, *args):
    done = subprocess.run([sys.executable, "-m", "airflow", *args, "-o", "json"], capture_output=True, text=True,
                          env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def run_setup(env, *flags):
    done = subprocess.run([str(ROOT / "bin" / "littlesis"), "setup", *flags], capture_output=True, text=True,
                          env={**env, "LITTLESIS_PYTHON": sys.executable}, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.slow
def test_setup_on_a_fresh_airflow_then_again_with_another_smtp(tmp_path):
    store = tmp_path / "store" / "littlesis.db"
    env = airflow_env(tmp_path, LITTLESIS_STORE_URL=f"sqlite:///{store}",
                      LITTLESIS_CLASSROOM_URI=json.dumps(CLASSROOM), LITTLESIS_SMTP_URI="smtp://127.0.0.1:8025")

    first = run_setup(env)
    assert "connections littlesis_store, littlesis_classroom, littlesis_smtp created or replaced" in first
    assert current_revision(f"sqlite:///{store}") == head_revision()
    classroom = airflow_json(env, "connections", "get", "littlesis_classroom")[0]
    assert classroom["conn_type"] == "google_cloud_platform" and classroom["extra_dejson"] == CLASSROOM["extra"]
    assert airflow_json(env, "connections", "get", "littlesis_store")[0]["host"] == str(store)
    pool = airflow_json(env, "pools", "get", "littlesis_commit")[0]
    assert (pool["pool"], int(pool["slots"])) == ("littlesis_commit", 1)

    # Again, with another SMTP server by flag and no Classroom value: SMTP replaced, Classroom kept.
    env.pop("LITTLESIS_CLASSROOM_URI")
    again = run_setup(env, "--smtp-uri", json.dumps({"conn_type": "smtp", "host": "mail.example.org", "port": 587}),
                      "--skip-airflow-db-migrate")
    assert "littlesis_classroom left as it is" in again
    smtp = airflow_json(env, "connections", "get", "littlesis_smtp")[0]
    assert (smtp["host"], int(smtp["port"])) == ("mail.example.org", 587)
    assert airflow_json(env, "connections", "get", "littlesis_classroom")[0]["extra_dejson"] == CLASSROOM["extra"]
    assert len(airflow_json(env, "pools", "list")) == 2  # default_pool and ours, not a second copy


@pytest.mark.slow
def test_a_bad_value_changes_nothing(tmp_path):
    env = airflow_env(tmp_path, LITTLESIS_SMTP_URI="http://not-smtp")
    done = subprocess.run([str(ROOT / "bin" / "littlesis"), "setup"], capture_output=True, text=True,
                          env={**env, "LITTLESIS_PYTHON": sys.executable}, cwd=ROOT, timeout=300)
    assert done.returncode == 1
    assert "setup: LITTLESIS_SMTP_URI / --smtp-uri: conn_type must be smtp, not 'http'" in done.stderr
    assert not (tmp_path / "airflow_home" / "airflow.db").exists()  # checked before Airflow was touched


@pytest.mark.slow
@pytest.mark.postgres
def test_the_store_on_postgresql(tmp_path, pg_database_factory):
    url = pg_database_factory()
    env = airflow_env(tmp_path)
    run_setup(env, "--store-url", url)
    assert current_revision(url) == head_revision()
    stored = airflow_json(env, "connections", "get", "littlesis_store")[0]
    assert (stored["conn_type"], stored["schema"]) == ("postgres", make_url(url).database)
    assert os.path.exists(tmp_path / "airflow_home" / "airflow.db")
