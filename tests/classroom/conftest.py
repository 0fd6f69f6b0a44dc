"""One in-process emulator per session, reset for every test; clients of the real google-api-python-client."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from littlesis.classroom import ClassroomOps, GoogleClassroomClient, RetryPolicy
from littlesis.classroom.credentials import static_token
from littlesis.emulator import EmulatorServer
from tests.classroom.helpers import ADMIN, DOMAIN, OWNER, Hooks

# The store tests' fixtures: store_url is a migrated store on SQLite and on PostgreSQL in turn.
from tests.store.conftest import backend, pg_admin, pg_database_factory, pg_store_url, store_url  # noqa: F401


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer() as server:
        yield server


@pytest.fixture
def hooks(emulator: EmulatorServer) -> Hooks:
    """A reset emulator seeded with one domain and a course owner."""
    hooks = Hooks(emulator.base_url)
    hooks.reset()
    hooks.seed({"domains": [DOMAIN], "users": [{"email": OWNER, "givenName": "Olive", "familyName": "Owner"}]})
    return hooks


class SleepRecorder:
    """Stands in for time.sleep in retry policies: records the backoff, waits for nothing."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.sleeps.append(seconds)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def make_client(emulator: EmulatorServer, hooks: Hooks, sleeps: SleepRecorder
                ) -> Iterator[Callable[..., GoogleClassroomClient]]:
    """make_client(**client options, retry=RetryPolicy(...)): no rate limit and instant retries by default."""
    made: list[GoogleClassroomClient] = []

    def make(**options: Any) -> GoogleClassroomClient:
        options.setdefault("retry", RetryPolicy(base=0.01, cap=0.08, max_attempts=6, sleep=sleeps,
                                                rng=random.Random(7)))
        options.setdefault("credentials", static_token(ADMIN))
        client = GoogleClassroomClient(emulator.base_url, **options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., GoogleClassroomClient]) -> GoogleClassroomClient:
    return make_client()


@pytest.fixture
def ops(client: GoogleClassroomClient) -> ClassroomOps:
    return ClassroomOps(client)
