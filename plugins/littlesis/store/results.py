"""What the commit did: per-action results, and the staged work still to do (for resuming)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Integer, bindparam, func, update
from sqlalchemy.orm import Session

from littlesis.store.actions import actions_after
from littlesis.store.base import table_of
from littlesis.store.coltypes import UTCDateTime, utcnow
from littlesis.store.errors import NotFound
from littlesis.store.filters import ActionFilter
from littlesis.store.models import STATUSES, Action
from littlesis.store.records import ActionRecord, ActionResult
from littlesis.store.sqlutil import BULK_CHUNK, chunked, require_one_of, rowcount

_T = table_of(Action)
PENDING_STAGED = ActionFilter(decision="staged", status="pending")

# One statement for one or many results: executemany binds a row of parameters per action.
_MARK = (
    update(_T)
    .where(_T.c.run_id == bindparam("r_run"), _T.c.action_id == bindparam("r_action"))
    .values(
        status=bindparam("r_status"),
        result_reason=bindparam("r_reason"),
        attempts=func.coalesce(bindparam("r_attempts", type_=Integer), _T.c.attempts + 1),
        finished_at=bindparam("r_finished", type_=UTCDateTime()),
    )
)


def mark_result(
    session: Session,
    run_id: str,
    action_id: str,
    status: str,
    reason: str | None = None,
    *,
    attempts: int | None = None,
    now: datetime | None = None,
) -> None:
    """Record one action's outcome; ``attempts=None`` counts one more attempt."""
    params = _params(run_id, ActionResult(action_id, status, reason, attempts), now or utcnow())
    if rowcount(session.execute(_MARK, params)) == 0:
        raise NotFound(f"no action {action_id!r} in run {run_id!r}")


def mark_results(
    session: Session, run_id: str, results: Iterable[ActionResult], *, now: datetime | None = None
) -> int:
    """Record many outcomes in executemany batches; returns how many were given."""
    now = now or utcnow()
    count = 0
    for batch in chunked(results, BULK_CHUNK):
        session.execute(_MARK, [_params(run_id, result, now) for result in batch])
        count += len(batch)
    return count


def pending_staged(
    session: Session, run_id: str, *, after: tuple[int, str] | None = None, limit: int = 1000
) -> list[ActionRecord]:
    """Staged actions without a result, in safe (position) order: what a resumed commit still owes."""
    return actions_after(session, run_id, PENDING_STAGED, after=after, limit=limit)


def skip_pending(session: Session, run_id: str, reason: str, *, now: datetime | None = None) -> int:
    """Close every staged action still pending as skipped (a commit that gave up), so none is unaccounted."""
    stmt = (update(_T).where(_T.c.run_id == run_id, *PENDING_STAGED.conditions(_T))
            .values(status="skipped", result_reason=reason, finished_at=now or utcnow()))
    return rowcount(session.execute(stmt))


def _params(run_id: str, result: ActionResult, now: datetime) -> dict[str, object]:
    require_one_of(result.status, STATUSES, "action status")
    return {
        "r_run": run_id,
        "r_action": result.action_id,
        "r_status": result.status,
        "r_reason": result.reason,
        "r_attempts": result.attempts,
        "r_finished": None if result.status == "pending" else now,
    }
