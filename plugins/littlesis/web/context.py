"""Per-request helpers: the app's dependencies, the store session, links inside the mount, job lookup."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import Depends, HTTPException, Request, status
from sqlalchemy.orm import Session

from littlesis.store.engine import session_scope
from littlesis.web.deps import WebDependencies
from littlesis.web.memo import Memo

DAG_PREFIX = "littlesis_"  # littlesis.orchestration.dag_builder.DAG_PREFIX (kept free of Airflow's DAG imports)
_JOB_ID = re.compile(r"[a-z0-9_]{1,200}")


def deps_of(request: Request) -> WebDependencies:
    deps: WebDependencies = request.app.state.littlesis
    return deps


Deps = Annotated[WebDependencies, Depends(deps_of)]


def memo_of(request: Request) -> Memo:
    memo: Memo = request.app.state.littlesis_memo
    return memo


PlanMemo = Annotated[Memo, Depends(memo_of)]


def job_id_of(dag_id: str) -> str:
    """The job behind a DAG id; 404 for DAGs that are not Little SIS jobs."""
    job_id = dag_id.removeprefix(DAG_PREFIX)
    if job_id == dag_id or not _JOB_ID.fullmatch(job_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{dag_id!r} is not a Little SIS job's DAG")
    return job_id


def dag_id_of(job_id: str) -> str:
    return DAG_PREFIX + job_id


@contextmanager
def store_session(deps: WebDependencies, *, readonly: bool = True) -> Iterator[Session]:
    """A short transaction on the store (readers never wait for writers on SQLite)."""
    with session_scope(deps.store(), readonly=readonly) as session:
        yield session


def base_path(request: Request) -> str:
    """Where the app is mounted (``/littlesis``, under Airflow's own base path if it has one)."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def link(request: Request, *parts: str, query: dict[str, object] | None = None) -> str:
    """A path inside the app, each part percent-encoded but for the path-safe characters of run ids."""
    # ':' '+' '@' are legal in a path and left as they are: Airflow's UI copies the iframe's address
    # into its own and reloads the frame at the unescaped form, so an escaped run id
    # (manual__2026-12-04T05:00:00+00:00) would load every page twice.
    path = base_path(request) + "/" + "/".join(quote(p, safe=":+@") for p in parts)
    clean = {k: v for k, v in (query or {}).items() if v not in (None, "")}
    return path + ("?" + urlencode(clean, doseq=True) if clean else "")
