"""An error page never shows a secret: the review app with its store unreachable behind a password.

The app is built by its own factory with a store URL that carries a password and points at a
closed port; Airflow's permission checks are replaced by a signed-in editor (this test is about
what an error shows, the auth matrix is tested in tests/web). Every page then fails on the
store; the answers and the logs must not carry the password.
"""

from __future__ import annotations

import logging
import socket
import traceback
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
from fastapi import FastAPI
from fastapi.testclient import TestClient

from littlesis.web import auth
from littlesis.web.app import create_app
from littlesis.web.deps import DagInfo, LazyEngine, TriggeredRun, WebDependencies

PASSWORD = f"store-{uuid.uuid4().hex}"


class NoDags:
    def describe(self, dag_ids: Sequence[str]) -> dict[str, DagInfo]:
        return {}


class RefusingTrigger:
    def trigger(self, dag_id: str, *, user: str) -> TriggeredRun:
        raise LookupError(dag_id)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends: nothing listens there


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    url = f"postgresql+psycopg2://district:{PASSWORD}@127.0.0.1:{_closed_port()}/littlesis"
    deps = WebDependencies(store=LazyEngine(url), config_dir=tmp_path, trigger=RefusingTrigger(), dags=NoDags(),
                           clock=lambda: datetime.now(UTC), csrf_secret=lambda: b"k" * 32,
                           classroom_domain=lambda: None)
    app = create_app(deps)
    editor = SimpleAuthManagerUser(username="editor", role="user")
    for declared in (auth.read_runs, auth.edit_runs, auth.create_runs, auth.edit_dag, auth.signed_in):
        app.dependency_overrides[declared.dependency] = lambda: None
    app.dependency_overrides[auth.get_user] = lambda: editor
    return app


@pytest.mark.parametrize("path", ["/", "/jobs/littlesis_demo", "/jobs/littlesis_demo/runs/manual__1",
                                  "/jobs/littlesis_demo/history", "/jobs/littlesis_demo/runs/manual__1/results.csv"])
@pytest.mark.parametrize("accept", ["text/html", "application/json"])
def test_a_page_failing_on_the_store_shows_no_password(app: FastAPI, caplog: pytest.LogCaptureFixture,
                                                       path: str, accept: str):
    with caplog.at_level(logging.DEBUG):
        answer = TestClient(app, raise_server_exceptions=False).get(path, headers={"Accept": accept})
    assert answer.status_code >= 500  # the store really was needed, and failed
    assert PASSWORD not in answer.text
    assert PASSWORD not in caplog.text
    # What the API server would log: the exception and its whole traceback.
    with pytest.raises(Exception) as failure:
        TestClient(app).get(path, headers={"Accept": accept})
    logged = "".join(traceback.format_exception(failure.value))
    assert "refused" in logged.lower(), logged[-2000:]  # it failed reaching the store
    assert PASSWORD not in logged
