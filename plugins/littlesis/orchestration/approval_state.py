"""What the approval sensor and its trigger read from (and write to) our store about one run.

Imported lazily (it pulls in SQLAlchemy and the store), and only ever pointed at our
own database, never at Airflow's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from littlesis.store import runs
from littlesis.store.engine import make_engine, session_scope

# The run may go on to commit.
PROCEED_STATES = ("approved", "committing", "committed")
# The run will never commit: the task ends (skipped, or failed for "failed").
FINAL_STATES = ("superseded", "expired", "failed")
# Who approves without a person (littlesis.service.staging.AUTOMATIC; not imported: it pulls in the services).
AUTOMATIC_ACTOR = "automatic staging"


@dataclass(frozen=True)
class ApprovalStatus:
    state: str
    reason: str | None
    created_at: datetime | None
    approval: str = "none"  # none, partial or all

    def as_event(self) -> dict[str, str | None]:
        return {"state": self.state, "reason": self.reason}


def read_status(engine: Engine, run_id: str) -> ApprovalStatus:
    """The run's state; a run the store doesn't know is 'failed' (analysis never saved it)."""
    with session_scope(engine, readonly=True) as session:
        run = runs.get_run(session, run_id)
    if run is None:
        return ApprovalStatus("failed", f"run {run_id!r} is not in the store (was it analyzed?)", None)
    return ApprovalStatus(run.state, run.state_reason, _aware(run.created_at), run.approval)


def poll_once(url: str, run_id: str, review_window_hours: int, now: datetime | None = None
              ) -> dict[str, str | None] | None:
    """The event to fire for ``run_id``, or None while it still waits. Expiry is written to the store."""
    engine = make_engine(url)
    try:
        status = read_status(engine, run_id)
        if status.state == "approved" and (reason := supersede_if_older(engine, run_id)) is not None:
            return {"state": "superseded", "reason": reason, "run_state": "superseded"}
        if status.state in PROCEED_STATES or (status.state == "failed" and status.approval != "none"):
            # (A commit that failed half way was approved: a re-run goes on to resume it.)
            return {"state": "approved", "reason": None, "run_state": status.state}
        if status.state in FINAL_STATES:
            return {**status.as_event(), "run_state": status.state}
        now = now or datetime.now(UTC)
        expires_at = deadline(status.created_at, review_window_hours)
        if expires_at is not None and now >= expires_at:
            reason = f"review window ended at {expires_at.isoformat(timespec='minutes')} without an approval"
            if expire(engine, run_id, reason):
                return {"state": "expired", "reason": reason, "run_state": "expired"}
            return None  # approved (or closed) at the last moment: the next poll reads what happened
        return None
    finally:
        engine.dispose()


def older_than_committed(engine: Engine, run_id: str) -> str | None:
    """Why ``run_id`` must not commit on its own: its data is older than a run already committed for the job."""
    with session_scope(engine, readonly=True) as session:
        run = runs.get_run(session, run_id)
        committed = runs.latest_committed_run(session, run.job_id) if run is not None else None
    if run is None or committed is None or committed.run_id == run_id:
        return None
    if run.logical_date is None or committed.logical_date is None:
        return None
    if _aware(run.logical_date) >= _aware(committed.logical_date):
        return None
    return (f"data older than committed run {committed.run_id} "
            f"({_aware(committed.logical_date).isoformat(timespec='minutes')})")


def supersede_if_older(engine: Engine, run_id: str) -> str | None:
    """Supersede ``run_id`` when its data is older than a committed run and no person approved it.

    A run approved by a person (any actor but automatic staging) may roll back on purpose; a
    run waiting for review, or approved by automatic staging, may not. Returns the reason, or None.
    """
    reason = older_than_committed(engine, run_id)
    if reason is None:
        return None
    with session_scope(engine) as session:
        run = runs.get_run(session, run_id)
        if run is None or run.state not in ("pending_review", "approved"):
            return None  # committing/committed (a re-run resumes), or already final
        if run.state == "approved" and run.approved_by not in (None, AUTOMATIC_ACTOR):
            return None  # a person approved it explicitly
        runs.set_run_state(session, run_id, "superseded", reason)
    return reason


def expire(engine: Engine, run_id: str, reason: str) -> bool:
    """Expire the run if nobody approved or closed it meanwhile; whether it was expired."""
    with session_scope(engine) as session:
        run = runs.get_run(session, run_id)
        if run is None or run.state in PROCEED_STATES + FINAL_STATES:
            return False
        return runs.close_if_waiting(session, run_id, "expired", reason, waiting=(run.state,))


def deadline(created_at: datetime | None, review_window_hours: int) -> datetime | None:
    return None if created_at is None else _aware(created_at) + timedelta(hours=review_window_hours)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
