"""A real Airflow API server with the Little SIS plugin mounted, in its own process and AIRFLOW_HOME.

Used by the web tests, the browser tests and ``bench/review_latency.py``: ``airflow db migrate``,
``airflow dags reserialize`` (so "Run sync analysis" finds the jobs' DAGs), then ``airflow
api-server`` on a free loopback port with SimpleAuthManager users whose passwords are set here.
The test process never imports Airflow's configuration for this home: everything Airflow-side
runs in the server process, as in production.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.orchestration.conftest import airflow_env

# SimpleAuthManager roles: viewer reads everything, user may also change DAGs and their runs,
# admin may do everything; a user with no role may do nothing.
USERS = {"reader": "viewer", "editor": "user", "admin": "admin", "nobody": ""}
AIRFLOW = [sys.executable, "-m", "airflow"]
START_TIMEOUT = 120


@dataclass
class AirflowServer:
    base_url: str
    home: Path
    env: dict[str, str]
    passwords: dict[str, str]
    log: Path
    _tokens: dict[str, str] = field(default_factory=dict)

    def token(self, user: str) -> str:
        """A JWT from ``POST /auth/token``, as scripts get one (cached per user)."""
        if user not in self._tokens:
            answer = httpx.post(self.base_url + "/auth/token",
                                json={"username": user, "password": self.passwords[user]}, timeout=30)
            assert answer.status_code in (200, 201), answer.text
            self._tokens[user] = answer.json()["access_token"]
        return self._tokens[user]

    def client(self, user: str | None = None, *, cookie: bool = False, fresh_token: bool = False) -> httpx.Client:
        """An HTTP client: anonymous, a script (Bearer header) or a browser session (``_token`` cookie)."""
        headers: dict[str, str] = {}
        cookies: dict[str, str] = {}
        if user is not None:
            token = self.fresh_token(user) if fresh_token else self.token(user)
            if cookie:
                cookies["_token"] = token
            else:
                headers["Authorization"] = f"Bearer {token}"
        return httpx.Client(base_url=self.base_url, headers=headers, cookies=cookies, follow_redirects=False,
                            timeout=60)

    def fresh_token(self, user: str) -> str:
        """Another token of the same user (another login: another session)."""
        answer = httpx.post(self.base_url + "/auth/token", json={"username": user, "password": self.passwords[user]},
                            timeout=30)
        assert answer.status_code in (200, 201), answer.text
        token: str = answer.json()["access_token"]
        return token

    def airflow(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([*AIRFLOW, *args], env=self.env, capture_output=True, text=True, timeout=timeout)
        assert done.returncode == 0, done.stderr[-4000:]
        return done


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def airflow_api_server(tmp: Path, *, config_dir: Path, store: Mapping[str, object],
                       classroom_url: str | None = None, extra_env: Mapping[str, str] | None = None
                       ) -> Iterator[AirflowServer]:
    """Start the API server; ``store`` is the littlesis_store connection (e.g. {"conn_type": "sqlite", ...})."""
    passwords = {user: f"{user}-password-{os.getpid()}" for user in USERS}
    env = airflow_env(
        tmp,
        AIRFLOW__CORE__AUTH_MANAGER="airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=",".join(f"{u}:{r}" for u, r in USERS.items()),
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(tmp / "passwords.json"),
        AIRFLOW__API_AUTH__JWT_SECRET="littlesis-web-test-jwt-secret-0123456789abcdef",
        AIRFLOW__API__SECRET_KEY="littlesis-web-test-secret-key",
        AIRFLOW__API__EXPOSE_CONFIG="False",
        LITTLESIS_JOB_CONFIGS=str(config_dir),
        LITTLESIS_ARTIFACTS=str(tmp / "artifacts"),
        AIRFLOW_CONN_LITTLESIS_STORE=json.dumps(dict(store)),
        **({"AIRFLOW_CONN_LITTLESIS_CLASSROOM": json.dumps({"conn_type": "google_cloud_platform", "extra": {
            "api_endpoint": classroom_url, "delegated_admin": "admin@district.example.org"}})}
           if classroom_url else {}),
        **(extra_env or {}),
    )
    env["PYTHONPATH"] = os.pathsep.join([str(Path(env["AIRFLOW__CORE__PLUGINS_FOLDER"])),
                                         str(Path(env["AIRFLOW__CORE__DAGS_FOLDER"]).parent)])
    (tmp / "passwords.json").write_text(json.dumps(passwords), encoding="utf-8")
    port = free_port()
    log = tmp / "api-server.log"
    server = AirflowServer(f"http://127.0.0.1:{port}", Path(env["AIRFLOW_HOME"]), env, passwords, log)
    server.airflow("db", "migrate")
    server.airflow("dags", "reserialize")
    with log.open("w") as out:
        process = subprocess.Popen([*AIRFLOW, "api-server", "-H", "127.0.0.1", "-p", str(port), "-w", "1"],
                                   env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_until_up(server, process)
        yield server
    finally:
        _stop(process)


def _wait_until_up(server: AirflowServer, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the API server exited ({process.returncode}):\n{server.log.read_text()[-4000:]}")
        try:
            if httpx.get(server.base_url + "/api/v2/monitor/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"the API server did not answer in {START_TIMEOUT} s:\n{server.log.read_text()[-4000:]}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """End the server and the workers it started (its own process group), by the group's id."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=20)
