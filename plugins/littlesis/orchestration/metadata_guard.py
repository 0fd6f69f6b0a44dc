"""A guard that makes task code fail when it touches Airflow's metadata database.

Under a real executor a task has no access to that database (Airflow 3 blocks it), but
``dag.test()`` runs the task in the test's own process, where it works: code that relies on
it would pass every test and fail in production. While a task body runs, the guard swaps
``airflow.settings.Session`` and ``airflow.utils.session.create_session`` (which
``@provide_session`` uses) for stand-ins that raise ``MetadataDbAccess`` when called from
the guarded thread. The execution API that ``dag.test()`` serves in-process (it answers the
task's own ``Connection.get`` and XCom calls) keeps its access, and so do other threads.
"""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

_ALLOWED_CALLERS = ("airflow.api_fastapi.",)  # the execution API served in-process by dag.test()


class MetadataDbAccess(RuntimeError):
    """Task code tried to use Airflow's metadata database."""


@contextmanager
def no_metadata_db() -> Iterator[None]:
    """Within the block, this thread's use of Airflow's ORM session raises ``MetadataDbAccess``."""
    from airflow import settings
    from airflow.utils import session as session_module

    thread = threading.get_ident()
    saved = [(settings, "Session"), (session_module, "create_session")]
    originals = [getattr(module, name, None) for module, name in saved]
    for (module, name), original in zip(saved, originals, strict=True):
        setattr(module, name, _blocked(original, thread, f"{module.__name__}.{name}"))
    try:
        yield
    finally:
        for (module, name), original in zip(saved, originals, strict=True):
            setattr(module, name, original)


def guarded(body: Callable[P, R]) -> Callable[P, R]:
    """``body`` run under ``no_metadata_db``."""

    @functools.wraps(body)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with no_metadata_db():
            return body(*args, **kwargs)

    return run


def _blocked(original: Any, thread: int, name: str) -> Callable[..., Any]:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        if threading.get_ident() != thread or _called_by_airflow_api():
            if original is None:
                raise RuntimeError(f"{name} is not configured")
            return original(*args, **kwargs)
        raise MetadataDbAccess(f"task code must not use Airflow's metadata database ({name}); "
                               "under a real executor it is not reachable. Keep state in the littlesis store.")

    return refuse


def _called_by_airflow_api() -> bool:
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_globals.get("__name__", "").startswith(_ALLOWED_CALLERS):
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False
