"""What each job last wrote to each class's course, and which classes it owns."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from littlesis.store.base import table_of
from littlesis.store.coltypes import utcnow
from littlesis.store.models import SyncedValue
from littlesis.store.sqlutil import chunked, upsert

_T = table_of(SyncedValue)
LINKED_COURSE = "linked_course"


def record_synced_values(
    session: Session, job_id: str, run_id: str, values: Iterable[tuple[str, str, str]], *,
    now: datetime | None = None,
) -> int:
    """Upsert (alias, field, value) rows written by ``run_id``; returns how many."""
    stamp = now or utcnow()
    count = 0
    for chunk in chunked(values):
        rows = [{"job_id": job_id, "alias": a, "field": f, "value": v, "run_id": run_id, "updated_at": stamp}
                for a, f, v in chunk]
        stmt = upsert(session, _T).values(rows)
        session.execute(stmt.on_conflict_do_update(
            index_elements=[_T.c.job_id, _T.c.alias, _T.c.field],
            set_={"value": stmt.excluded.value, "run_id": stmt.excluded.run_id,
                  "updated_at": stmt.excluded.updated_at}))
        count += len(rows)
    return count


def read_synced_values(session: Session, job_id: str) -> list[tuple[str, str, str]]:
    """(alias, field, value) rows of the job, in alias order."""
    query = select(_T.c.alias, _T.c.field, _T.c.value).where(_T.c.job_id == job_id).order_by(_T.c.alias, _T.c.field)
    return [(r.alias, r.field, r.value) for r in session.execute(query)]


def job_aliases(session: Session, job_id: str) -> set[str]:
    """Every class alias the job has created or linked."""
    query = select(_T.c.alias).where(_T.c.job_id == job_id).distinct()
    return {r.alias for r in session.execute(query)}


def forget_aliases(session: Session, job_id: str, aliases: Iterable[str]) -> None:
    """Drop what the job knows of these classes (after archiving them, say)."""
    for chunk in chunked(aliases):
        session.execute(delete(_T).where(_T.c.job_id == job_id, _T.c.alias.in_(chunk)))
