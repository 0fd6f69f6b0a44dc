"""No secret ever lands in logs, XCom, artifacts, our store or error messages.

A whole job runs under ``dag.test()`` with real secrets planted in its connections: a
service-account key (the client signs a JWT grant with it and a token server on loopback
checks the signature), the access tokens that server hands out, an SMTP password (the SMTP
server requires AUTH with it) and a password in the store's PostgreSQL connection. The test
proves each secret was used, then reads every place a run leaves text behind and looks for them.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import MetaData, select
from sqlalchemy.engine import make_url

from littlesis.emulator import EmulatorServer
from littlesis.store.engine import make_engine
from tests.google_token_server import TokenServer, keyfile, running_token_server
from tests.orchestration.conftest import DEMO, airflow_env
from tests.smtp_inbox import Inbox, smtp_server

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

RUNNER = Path(__file__).parents[1] / "orchestration" / "dag_test_runner.py"
SEED = DEMO / "classroom_seed.json"
ADMIN = "admin@district.example.org"
SMTP_LOGIN = "sync-mailer"
TIMEOUT = 300


class Secrets:
    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.keyfile = keyfile(self.key)
        self.smtp_password = f"smtp-{uuid.uuid4().hex}"
        self.store_password = f"store-{uuid.uuid4().hex}"

    def needles(self, tokens: list[str]) -> dict[str, str]:
        """What must never be found: slices of the key's body, each access token, the passwords."""
        body = "".join(line for line in self.keyfile["private_key"].splitlines() if "-----" not in line)
        found = {f"private key, chars {i}-{i + 24}": body[i:i + 24] for i in range(0, len(body) - 24, 200)}
        found["private key marker"] = "PRIVATE KEY-----"
        found |= {f"access token {n}": token.split(".")[1] for n, token in enumerate(tokens)}
        found |= {"SMTP password": self.smtp_password, "store password": self.store_password}
        return found


@pytest.fixture
def secrets() -> Secrets:
    return Secrets()


@pytest.fixture
def token_server(secrets: Secrets) -> Iterator[TokenServer]:
    with running_token_server(secrets.key.public_key()) as server:
        yield server


@pytest.fixture
def smtp(secrets: Secrets) -> Iterator[tuple[Inbox, int]]:
    with smtp_server(login=SMTP_LOGIN, password=secrets.smtp_password) as running:
        yield running


def _run_env(tmp: Path, secrets: Secrets, classroom: str, token_uri: str, smtp_port: int, store_db: str,
             smtp_password: str) -> dict[str, str]:
    store = make_url(store_db)
    return airflow_env(
        tmp,
        AIRFLOW__API_AUTH__JWT_SECRET=f"jwt-{uuid.uuid4().hex}",
        LITTLESIS_JOB_CONFIGS=str(tmp / "job_configs"),
        LITTLESIS_ARTIFACTS=str(tmp / "artifacts"),
        AIRFLOW_CONN_LITTLESIS_CLASSROOM=json.dumps({"conn_type": "google_cloud_platform", "extra": {
            "api_endpoint": classroom, "delegated_admin": ADMIN, "qps": 500,
            "keyfile_dict": json.dumps({**secrets.keyfile, "token_uri": token_uri})}}),
        AIRFLOW_CONN_LITTLESIS_SMTP=json.dumps({
            "conn_type": "smtp", "host": "127.0.0.1", "port": smtp_port, "login": SMTP_LOGIN,
            "password": smtp_password,
            "extra": {"disable_ssl": True, "disable_tls": True, "from_email": "sync@district.example.org"}}),
        # Trust auth ignores the password, so a made-up one can travel the whole way unnoticed.
        AIRFLOW_CONN_LITTLESIS_STORE=json.dumps({
            "conn_type": "postgres", "host": store.host, "port": store.port or 5432, "login": store.username,
            "password": secrets.store_password, "schema": store.database}),
    )


def _job_config(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    shipped = DEMO.parent / "job_configs" / "demo_generic.yaml"
    (folder / "demo_generic.yaml").write_text(
        shipped.read_text(encoding="utf-8").replace("../demo/", f"{DEMO}/"), encoding="utf-8")


def _run(env: dict[str, str]) -> tuple[dict[str, Any], str]:
    done = subprocess.run([sys.executable, str(RUNNER), "littlesis_demo_generic", '{"approval": "stage-all"}'],
                          env=env, capture_output=True, text=True, timeout=TIMEOUT, cwd=RUNNER.parents[2])
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stdout + done.stderr


def _texts_of_folder(folder: Path) -> Iterator[tuple[str, str]]:
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix in {".db", ".db-wal", ".db-shm"}:
            continue  # databases are read row by row below (text in them may straddle pages)
        yield str(path), path.read_bytes().decode("utf-8", errors="replace")


def _texts_of_sqlite(path: Path) -> Iterator[tuple[str, str]]:
    with sqlite3.connect(path) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in db.execute(f'SELECT * FROM "{table}"'):  # names from sqlite_master
                yield f"{path.name}:{table}", " ".join(
                    value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)
                    for value in row)


def _texts_of_store(url: str) -> Iterator[tuple[str, str]]:
    engine = make_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as conn:
            for table in metadata.sorted_tables:
                for row in conn.execute(select(table)):
                    yield f"store:{table.name}", " ".join(str(value) for value in row)
    finally:
        engine.dispose()


def _leaks(places: Iterator[tuple[str, str]], needles: dict[str, str]) -> list[str]:
    return [f"{what} in {where}" for where, text in places for what, needle in needles.items() if needle in text]


def test_a_whole_run_leaves_no_secret_behind(tmp_path: Path, secrets: Secrets, token_server: TokenServer,
                                             smtp: tuple[Inbox, int], pg_database_factory: Callable[[], str]):
    inbox, smtp_port = smtp
    store_db = pg_database_factory()
    with EmulatorServer(seed=json.loads(SEED.read_text())) as classroom:
        env = _run_env(tmp_path, secrets, classroom.base_url, token_server.uri, smtp_port, store_db,
                       secrets.smtp_password)
        _job_config(tmp_path / "job_configs")
        migrated = subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=env,
                                  capture_output=True, text=True, timeout=TIMEOUT)
        assert migrated.returncode == 0, migrated.stderr[-4000:]
        result, output = _run(env)

    # Every secret was really used: the sync signed its grants, the mail logged in, the store answered.
    assert result["state"] == "success", result
    assert token_server.grants and all(g["sub"] == ADMIN for g in token_server.grants)
    assert inbox.logins and all(ok for _, ok in inbox.logins) and inbox.messages
    needles = secrets.needles(token_server.tokens)

    places = [("dag.test output", output), *_texts_of_folder(tmp_path),
              *_texts_of_sqlite(tmp_path / "airflow_home" / "airflow.db"), *_texts_of_store(store_db)]
    assert any(where.endswith(":xcom") for where, _ in places)  # XCom really was read
    assert any("artifacts" in where for where, _ in places)  # and the run's archive
    assert _leaks(iter(places), needles) == []


def test_a_run_that_fails_on_a_secret_does_not_repeat_it(tmp_path: Path, secrets: Secrets,
                                                         token_server: TokenServer, smtp: tuple[Inbox, int],
                                                         pg_database_factory: Callable[[], str]):
    """A wrong SMTP password: the failure is reported (log, XCom notes), the password is not."""
    inbox, smtp_port = smtp
    wrong = f"wrong-{uuid.uuid4().hex}"
    store_db = pg_database_factory()
    with EmulatorServer(seed=json.loads(SEED.read_text())) as classroom:
        env = _run_env(tmp_path, secrets, classroom.base_url, token_server.uri, smtp_port, store_db, wrong)
        _job_config(tmp_path / "job_configs")
        migrated = subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=env,
                                  capture_output=True, text=True, timeout=TIMEOUT)
        assert migrated.returncode == 0, migrated.stderr[-4000:]
        done = subprocess.run([sys.executable, str(RUNNER), "littlesis_demo_generic", '{"approval": "stage-all"}'],
                              env=env, capture_output=True, text=True, timeout=TIMEOUT, cwd=RUNNER.parents[2])
    output = done.stdout + done.stderr
    assert inbox.logins and not any(ok for _, ok in inbox.logins)  # the wrong password was tried
    assert "teacher notifications not sent" in output, output[-6000:]  # the failure is told, the sync is done
    needles = secrets.needles(token_server.tokens) | {"wrong SMTP password": wrong}
    places = [("dag.test output", output), *_texts_of_folder(tmp_path),
              *_texts_of_sqlite(tmp_path / "airflow_home" / "airflow.db"), *_texts_of_store(store_db)]
    assert _leaks(iter(places), needles) == []
