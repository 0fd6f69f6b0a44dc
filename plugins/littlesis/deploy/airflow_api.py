"""A small client of Airflow's REST API (``/api/v2``) for the demo launcher and its test.

Log in with ``POST /auth/token`` (the simple auth manager's users), then send the JWT as a
bearer token. Standard library only: it runs before anything else is known to work.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote

HTTP_TIMEOUT_S = 30.0


class AirflowApiError(RuntimeError):
    def __init__(self, method: str, path: str, status: int, body: str) -> None:
        super().__init__(f"{method} {path}: HTTP {status}: {body[:500]}")
        self.status = status


class AirflowApi:
    def __init__(self, base_url: str, token: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token

    @classmethod
    def login(cls, base_url: str, username: str, password: str) -> AirflowApi:
        api = cls(base_url)
        answer = api.request("POST", "/auth/token", {"username": username, "password": password})
        return cls(base_url, str(answer["access_token"]))

    def request(self, method: str, path: str, body: Any = None) -> Any:
        """JSON in, JSON out."""
        text = self.request_text(method, path, body)
        return json.loads(text) if text else None

    def request_text(self, method: str, path: str, body: Any = None) -> str:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Accept", "application/json, text/html")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as answer:
                return str(answer.read().decode())
        except urllib.error.HTTPError as exc:
            raise AirflowApiError(method, path, exc.code, exc.read().decode(errors="replace")) from None

    def dag(self, dag_id: str) -> dict[str, Any] | None:
        """The DAG, or None while the DAG processor has not parsed it yet."""
        try:
            answer: dict[str, Any] = self.request("GET", f"/api/v2/dags/{quote(dag_id)}")
        except AirflowApiError as exc:
            if exc.status == 404:
                return None
            raise
        return answer

    def dag_runs(self, dag_id: str, limit: int = 100) -> list[dict[str, Any]]:
        answer = self.request("GET", f"/api/v2/dags/{quote(dag_id)}/dagRuns?limit={limit}&order_by=-run_after")
        return list(answer["dag_runs"])

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None) -> dict[str, Any]:
        answer: dict[str, Any] = self.request("POST", f"/api/v2/dags/{quote(dag_id)}/dagRuns",
                                              {"logical_date": None, "conf": conf or {}})
        return answer

    def set_paused(self, dag_id: str, paused: bool) -> None:
        self.request("PATCH", f"/api/v2/dags/{quote(dag_id)}", {"is_paused": paused})


def health(base_url: str) -> dict[str, Any] | None:
    """``/api/v2/monitor/health`` (needs no login), or None while the API server does not answer."""
    try:
        answer: dict[str, Any] = AirflowApi(base_url).request("GET", "/api/v2/monitor/health")
    except (OSError, AirflowApiError, ValueError):
        return None
    return answer


def all_healthy(report: dict[str, Any] | None, components: tuple[str, ...]) -> bool:
    return report is not None and all(
        (report.get(name) or {}).get("status") == "healthy" for name in components)


def wait_for(check: Any, timeout_s: float, what: str, interval_s: float = 1.0, alive: Any = None) -> Any:
    """Call ``check()`` until it returns something truthy; TimeoutError after ``timeout_s``.

    ``alive()``, when given, is asked between tries; once it is false, waiting is pointless.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if result:
            return result
        if alive is not None and not alive():
            raise RuntimeError(f"gave up waiting for {what}: the process serving it has stopped")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not ready after {timeout_s:.0f} s")
        time.sleep(interval_s)
