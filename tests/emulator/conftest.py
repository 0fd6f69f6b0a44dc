"""One emulator per session, reset between tests, driven by the real google-api-python-client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httplib2
import pytest

from littlesis.emulator import EmulatorServer
from tests.emulator.helpers import DOMAIN, OWNER, Hooks, build_classroom


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer() as server:
        yield server


@pytest.fixture(scope="session")
def base_url(emulator: EmulatorServer) -> str:
    return emulator.base_url


@pytest.fixture(scope="session")
def session_http() -> Iterator[httplib2.Http]:
    http = httplib2.Http(timeout=30)
    yield http
    http.close()


@pytest.fixture(scope="session")
def session_classroom(session_http: httplib2.Http, base_url: str) -> Any:
    return build_classroom(session_http, base_url)


@pytest.fixture
def hooks(base_url: str) -> Hooks:
    hooks = Hooks(base_url)
    hooks.reset()
    return hooks


@pytest.fixture
def http(session_http: httplib2.Http, hooks: Hooks) -> httplib2.Http:
    return session_http


@pytest.fixture
def classroom(session_classroom: Any, hooks: Hooks) -> Any:
    """The real client against a freshly reset emulator seeded with one domain and an owner."""
    hooks.seed({"domains": [DOMAIN], "users": [{"email": OWNER, "givenName": "Olive", "familyName": "Owner"}]})
    return session_classroom


@pytest.fixture
def fresh_http() -> Iterator[httplib2.Http]:
    """A connection pool of its own, for tests that break connections."""
    http = httplib2.Http(timeout=30)
    yield http
    http.close()
