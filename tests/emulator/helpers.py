"""Helpers for the emulator tests: hooks client, error parsing, batches."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import httplib2
import pytest
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

DOMAIN = "district.example.org"
OWNER = f"owner@{DOMAIN}"


class Hooks:
    """The /_emulator/ test hooks, over plain HTTP."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base_url + path, data=data, method=method)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, json.loads(exc.read() or b"null")

    def state(self) -> dict[str, Any]:
        return self.request("GET", "_emulator/state")[1]

    def reset(self) -> None:
        assert self.request("POST", "_emulator/reset")[0] == 200

    def seed(self, seed: dict[str, Any]) -> dict[str, Any]:
        status, body = self.request("POST", "_emulator/seed", seed)
        assert status == 200, body
        return body

    def journal(self, since: int = 0) -> list[dict[str, Any]]:
        return self.request("GET", f"_emulator/journal?since={since}")[1]["entries"]

    def faults(self, **settings: Any) -> dict[str, Any]:
        status, body = self.request("POST", "_emulator/faults", settings)
        assert status == 200, body
        return body


def error_of(exc: HttpError) -> tuple[int, str, str]:
    """(HTTP status, Google status, message) of an API error."""
    error = json.loads(exc.content)["error"]
    return exc.status_code, error["status"], error["message"]


def build_classroom(http: httplib2.Http, base_url: str) -> Any:
    return build("classroom", "v1", http=http, client_options={"api_endpoint": base_url}, static_discovery=True)


def run_batch(base_url: str, http: httplib2.Http, requests: list[Any]) -> list[tuple[Any, HttpError | None]]:
    """Run ``requests`` as one batch; (response, exception) per request, in order."""
    results: dict[str, tuple[Any, HttpError | None]] = {}
    batch = BatchHttpRequest(batch_uri=base_url + "batch",
                             callback=lambda rid, resp, exc: results.__setitem__(rid, (resp, exc)))
    for index, request in enumerate(requests):
        batch.add(request, request_id=str(index))
    batch.execute(http=http)
    return [results[str(i)] for i in range(len(requests))]


def make_course(classroom: Any, alias: str | None = "d:SIS-1", **fields: Any) -> dict[str, Any]:
    body = {"name": "Biology 10", "ownerId": OWNER, **fields}
    if alias:
        body["id"] = alias
    return classroom.courses().create(body=body).execute()


def expect_error(request: Any, status: int, google_status: str, reason: str | None = None) -> str:
    """Execute ``request`` expecting an API error; returns its message."""
    with pytest.raises(HttpError) as caught:
        request.execute()
    code, got_status, message = error_of(caught.value)
    assert (code, got_status) == (status, google_status), message
    if reason:
        assert message.startswith(f"@{reason} "), message
    return message


class BearerHttp(httplib2.Http):
    """An httplib2.Http that sends ``Authorization: Bearer <token>``, as authorized credentials would."""

    def __init__(self, token: str) -> None:
        super().__init__(timeout=30)
        self.token = token

    def request(self, uri: str, method: str = "GET", body: Any = None, headers: Any = None,
                *args: Any, **kwargs: Any) -> Any:
        headers = dict(headers or {})
        headers["authorization"] = f"Bearer {self.token}"
        return super().request(uri, method, body, headers, *args, **kwargs)
