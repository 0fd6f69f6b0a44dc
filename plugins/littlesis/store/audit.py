"""The audit log: an append-only trail of who did what to which job or run."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from littlesis.store.base import table_of
from littlesis.store.coltypes import utcnow
from littlesis.store.models import AuditEntry
from littlesis.store.records import AuditRecord
from littlesis.store.sqlutil import record

_T = table_of(AuditEntry)


def append_audit(
    session: Session,
    *,
    actor: str,
    action: str,
    job_id: str | None = None,
    run_id: str | None = None,
    detail: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> int:
    """Add one entry and return its id (ids grow with time, so they order the trail)."""
    result = session.execute(
        insert(_T).returning(_T.c.id),
        {"at": now or utcnow(), "actor": actor, "action": action, "job_id": job_id, "run_id": run_id,
         "detail": detail or {}},
    )
    return int(result.scalar_one())


def read_audit(
    session: Session,
    *,
    job_id: str | None = None,
    run_id: str | None = None,
    action: str | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[AuditRecord]:
    """Entries newest first; pass the last id seen as ``before_id`` for the next page."""
    query = select(_T).order_by(_T.c.id.desc()).limit(limit)
    if job_id is not None:
        query = query.where(_T.c.job_id == job_id)
    if run_id is not None:
        query = query.where(_T.c.run_id == run_id)
    if action is not None:
        query = query.where(_T.c.action == action)
    if before_id is not None:
        query = query.where(_T.c.id < before_id)
    return [record(AuditRecord, row) for row in session.execute(query)]
