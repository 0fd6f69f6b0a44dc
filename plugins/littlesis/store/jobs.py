"""Jobs: one row per job config, with the state shown on its card."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from littlesis.store.base import table_of
from littlesis.store.coltypes import utcnow
from littlesis.store.errors import NotFound
from littlesis.store.models import AUTOMATION_MODES, JOB_STATES, Job
from littlesis.store.records import JobRecord
from littlesis.store.sqlutil import record, require_one_of, rowcount, upsert

_T = table_of(Job)


def upsert_job(
    session: Session,
    *,
    job_id: str,
    name: str,
    config_path: str,
    config_sha: str,
    automation_mode: str,
    now: datetime | None = None,
) -> JobRecord:
    """Create the job (awaiting analysis) or refresh its config facts; its state is left alone."""
    require_one_of(automation_mode, AUTOMATION_MODES, "automation mode")
    values = {"name": name, "config_path": config_path, "config_sha": config_sha,
              "automation_mode": automation_mode, "updated_at": now or utcnow()}
    stmt = upsert(session, _T).values(job_id=job_id, state="awaiting_analysis", state_reason=None, **values)
    session.execute(stmt.on_conflict_do_update(index_elements=[_T.c.job_id], set_=values))
    return _require(session, job_id)


def get_job(session: Session, job_id: str) -> JobRecord | None:
    row = session.execute(select(_T).where(_T.c.job_id == job_id)).first()
    return record(JobRecord, row) if row else None


def list_jobs(session: Session) -> list[JobRecord]:
    return [record(JobRecord, row) for row in session.execute(select(_T).order_by(_T.c.job_id))]


def set_job_state(
    session: Session, job_id: str, state: str, reason: str | None = None, *, now: datetime | None = None
) -> JobRecord:
    """Move the job card to ``state``; ``reason`` says why (kept for failures, cleared otherwise)."""
    require_one_of(state, JOB_STATES, "job state")
    result = session.execute(
        update(_T).where(_T.c.job_id == job_id).values(state=state, state_reason=reason, updated_at=now or utcnow())
    )
    if rowcount(result) == 0:
        raise NotFound(f"no job {job_id!r}")
    return _require(session, job_id)


def _require(session: Session, job_id: str) -> JobRecord:
    job = get_job(session, job_id)
    if job is None:
        raise NotFound(f"no job {job_id!r}")
    return job

