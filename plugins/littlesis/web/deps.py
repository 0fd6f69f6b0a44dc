"""What the review app needs from the world, passed to ``create_app`` so the plugin and tests choose."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy import Engine

from littlesis.store.engine import make_engine
from littlesis.store.migrate import upgrade


@dataclass(frozen=True)
class TriggeredRun:
    run_id: str
    paused: bool  # a paused DAG's run waits in the queue until someone unpauses it


@dataclass(frozen=True)
class DagInfo:
    """What Airflow knows about a job's DAG (exists=False: not parsed yet, or the config is broken)."""

    dag_id: str
    exists: bool
    paused: bool | None = None
    next_run: datetime | None = None


@dataclass(frozen=True)
class DagPermissions:
    """What the signed-in user may do with one DAG (asked of Airflow's auth manager)."""

    read: bool
    edit: bool


class TriggerRefused(Exception):
    """Airflow would not create the run (the message says why)."""


class DagTrigger(Protocol):
    def trigger(self, dag_id: str, *, user: str) -> TriggeredRun:
        """Create a DAG run; LookupError when Airflow has no such DAG, TriggerRefused when it says no."""
        ...


class DagDirectory(Protocol):
    def describe(self, dag_ids: Sequence[str]) -> dict[str, DagInfo]: ...


class LazyEngine:
    """The store engine, created (and the schema migrated) on first use, not when the plugin loads."""

    def __init__(self, url: str | Callable[[], str]) -> None:
        self._url = url
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    def __call__(self) -> Engine:
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    url = self._url() if callable(self._url) else self._url
                    upgrade(url)
                    self._engine = make_engine(url)
        return self._engine

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


@dataclass(frozen=True)
class WebDependencies:
    store: Callable[[], Engine]
    config_dir: Path
    trigger: DagTrigger
    dags: DagDirectory
    clock: Callable[[], datetime]
    # Key of the CSRF tokens (HMAC of the session's JWT); the same on every API server worker.
    csrf_secret: Callable[[], bytes]
    # Cache key of the Classroom domain (for the teacher's roster on the match page); None: unknown.
    classroom_domain: Callable[[], str | None]
