"""Runs: one analysis (and maybe one commit) of a job, keyed by the Airflow run id."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from littlesis.store.base import table_of
from littlesis.store.coltypes import utcnow
from littlesis.store.errors import NotFound
from littlesis.store.models import RUN_STATES, Run
from littlesis.store.records import RunRecord
from littlesis.store.sqlutil import record, require_one_of, rowcount

_T = table_of(Run)


def create_run(
    session: Session,
    *,
    run_id: str,
    job_id: str,
    logical_date: datetime | None = None,
    data_interval_end: datetime | None = None,
    sources: Sequence[dict[str, Any]] = (),
    state: str = "created",
    now: datetime | None = None,
    exist_ok: bool = False,
) -> RunRecord:
    """Record a new run; with ``exist_ok`` a re-run of the same run id returns the existing row."""
    require_one_of(state, RUN_STATES, "run state")
    if exist_ok and (existing := get_run(session, run_id)) is not None:
        return existing
    session.execute(insert(_T), {
        "run_id": run_id, "job_id": job_id, "logical_date": logical_date, "data_interval_end": data_interval_end,
        "created_at": now or utcnow(), "state": state, "state_reason": None, "superseded_by": None,
        "unsafe": False, "unsafe_reasons": [], "counts": {}, "plan_checksum": None, "sources": list(sources),
        "approved_by": None, "approved_at": None, "approval": "none", "committed_at": None,
    })
    return require_run(session, run_id)


def get_run(session: Session, run_id: str) -> RunRecord | None:
    row = session.execute(select(_T).where(_T.c.run_id == run_id)).first()
    return record(RunRecord, row) if row else None


def require_run(session: Session, run_id: str) -> RunRecord:
    run = get_run(session, run_id)
    if run is None:
        raise NotFound(f"no run {run_id!r}")
    return run


def list_runs(
    session: Session, job_id: str, *, states: Sequence[str] | None = None, limit: int = 50, offset: int = 0
) -> list[RunRecord]:
    """The job's runs, newest first."""
    query = (select(_T).where(_T.c.job_id == job_id)
             .order_by(_T.c.created_at.desc(), _T.c.run_id.desc()).limit(limit).offset(offset))
    if states is not None:
        query = query.where(_T.c.state.in_(list(states)))
    return [record(RunRecord, row) for row in session.execute(query)]


def latest_committed_run(session: Session, job_id: str) -> RunRecord | None:
    """The committed run with the newest data: older data must not roll it back."""
    query = (select(_T).where(_T.c.job_id == job_id, _T.c.state == "committed")
             .order_by(_T.c.logical_date.desc().nulls_last(), _T.c.created_at.desc()).limit(1))
    row = session.execute(query).first()
    return record(RunRecord, row) if row else None


def set_run_state(
    session: Session,
    run_id: str,
    state: str,
    reason: str | None = None,
    *,
    superseded_by: str | None = None,
    now: datetime | None = None,
) -> RunRecord:
    """Move the run to ``state`` with its reason; ``committed`` also stamps committed_at."""
    require_one_of(state, RUN_STATES, "run state")
    values: dict[str, Any] = {"state": state, "state_reason": reason}
    if superseded_by is not None:
        values["superseded_by"] = superseded_by
    if state == "committed":
        values["committed_at"] = now or utcnow()
    _update(session, run_id, values)
    return require_run(session, run_id)


def close_if_waiting(
    session: Session, run_id: str, state: str, reason: str, *, waiting: Sequence[str],
    superseded_by: str | None = None,
) -> bool:
    """Move the run to ``state`` only if it is still in one of the ``waiting`` states; False if not.

    The check is part of the UPDATE, so an approval committed in between wins instead of being
    overwritten (on PostgreSQL the UPDATE waits for the approving transaction, then re-reads the state).
    """
    require_one_of(state, RUN_STATES, "run state")
    values: dict[str, Any] = {"state": state, "state_reason": reason}
    if superseded_by is not None:
        values["superseded_by"] = superseded_by
    stmt = update(_T).where(_T.c.run_id == run_id, _T.c.state.in_(list(waiting))).values(**values)
    return rowcount(session.execute(stmt)) == 1


def set_run_sources(session: Session, run_id: str, sources: Sequence[dict[str, Any]]) -> None:
    """The files the run read: ``{"file", "sha256", "archived_path"}`` each."""
    _update(session, run_id, {"sources": list(sources)})


def _update(session: Session, run_id: str, values: dict[str, Any]) -> None:
    if rowcount(session.execute(update(_T).where(_T.c.run_id == run_id).values(**values))) == 0:
        raise NotFound(f"no run {run_id!r}")
