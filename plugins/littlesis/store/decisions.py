"""Reviewer decisions: stage or exclude actions, then approve the run for commit.

Last decision wins: a later stage/exclude of the same action overwrites the earlier
one (and who/when with it); every call leaves one audit entry, so the history of
conflicting decisions survives even though the table keeps only the latest.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from littlesis.store.actions import count_actions
from littlesis.store.audit import append_audit
from littlesis.store.base import table_of
from littlesis.store.coltypes import utcnow
from littlesis.store.errors import PlanFrozen, UnsafePlanNotConfirmed
from littlesis.store.filters import ActionFilter
from littlesis.store.models import DECISIONS, Action, Run
from littlesis.store.records import RunRecord
from littlesis.store.review import review_conditions
from littlesis.store.runs import require_run
from littlesis.store.sqlutil import chunked, require_one_of, rowcount

_T = table_of(Action)
_RUNS = table_of(Run)
# A plan is open to decisions until its commit starts (or the run was dropped).
CLOSED_RUN_STATES = ("committing", "committed", "superseded", "expired")
# Audit entries keep at most this many ids; the count is always exact.
AUDIT_ID_LIMIT = 1000
_VERBS = {"staged": "actions.stage", "excluded": "actions.exclude", "proposed": "actions.unstage"}
# A chunk whose positions spread over less than this many times its size is updated as one range.
DENSE_SPAN = 4


def decide_actions(
    session: Session,
    run_id: str,
    decision: str,
    *,
    actor: str,
    action_ids: Sequence[str] | None = None,
    where: ActionFilter | None = None,
    now: datetime | None = None,
) -> int:
    """Set ``decision`` on the given ids or on every action matching ``where``; returns how many.

    Only actions not yet applied (status pending) change. ``ActionFilter()`` selects the whole plan.
    """
    require_one_of(decision, DECISIONS, "decision")
    if (action_ids is None) == (where is None):
        raise ValueError("pass either action_ids or where")
    run = _open_run(session, run_id)
    now = now or utcnow()
    stmt = (update(_T).where(_T.c.run_id == run_id, _T.c.status == "pending")
            .values(decision=decision, decided_by=actor, decided_at=now))
    detail: dict[str, Any]
    if action_ids is not None:
        ids = list(dict.fromkeys(action_ids))
        changed = sum(rowcount(session.execute(stmt.where(_T.c.action_id.in_(chunk)))) for chunk in chunked(ids))
        detail = {"requested": len(ids), "action_ids": ids[:AUDIT_ID_LIMIT], "ids_truncated": len(ids) > AUDIT_ID_LIMIT}
    else:
        assert where is not None
        changed = rowcount(session.execute(stmt.where(*where.conditions(_T))))
        detail = {"filter": where.describe()}
    detail["changed"] = changed
    append_audit(session, actor=actor, action=_VERBS[decision], job_id=run.job_id, run_id=run_id,
                 detail=detail, now=now)
    return changed


def decide_matching_chunk(
    session: Session,
    run_id: str,
    decision: str,
    *,
    actor: str,
    where: ActionFilter,
    after: int | None = None,
    limit: int = 5000,
    now: datetime | None = None,
) -> tuple[int, int | None]:
    """Like ``decide_actions(where=...)`` for the next ``limit`` matching actions after position ``after``,
    the filter read as the review page reads it (``review.review_conditions``: the search also looks
    into the payload).

    Returns how many changed and the position to continue after (None: the end of the plan was
    reached). Deciding a plan of 100,000 actions in one statement rewrites every row in one long
    transaction (seconds on PostgreSQL); chunks keep each transaction short and let the page
    show progress. One audit entry per chunk, with the filter and the positions it covered.
    """
    require_one_of(decision, DECISIONS, "decision")
    if limit < 1:
        raise ValueError(f"limit must be positive, not {limit}")
    run = _open_run(session, run_id)
    now = now or utcnow()
    conditions = [_T.c.run_id == run_id, _T.c.status == "pending", *review_conditions(session, where)]
    if after is not None:
        conditions.append(_T.c.position > after)
    # The chunk's positions in one pass over the plan; the update then finds its rows by position and
    # checks the filter again (for a row that changed in between): as one range of positions when the
    # chunk is dense (several times faster than lists), by lists of positions when the matches are sparse.
    query = select(_T.c.position).where(*conditions).order_by(_T.c.position).limit(limit)
    positions = [int(p) for p in session.execute(query).scalars()]
    stmt = update(_T).values(decision=decision, decided_by=actor, decided_at=now)
    if not positions:
        changed = 0
    elif positions[-1] - positions[0] < DENSE_SPAN * len(positions):
        ranged = stmt.where(*conditions, _T.c.position.between(positions[0], positions[-1]))
        changed = rowcount(session.execute(ranged))
    else:
        changed = sum(rowcount(session.execute(stmt.where(*conditions, _T.c.position.in_(chunk))))
                      for chunk in chunked(positions))
    bound = positions[-1] if len(positions) == limit else None
    append_audit(session, actor=actor, action=_VERBS[decision], job_id=run.job_id, run_id=run_id, now=now,
                 detail={"filter": where.describe(), "after_position": after, "through_position": bound,
                         "changed": changed})
    return changed, bound


def stage_actions(session: Session, run_id: str, *, actor: str, action_ids: Sequence[str] | None = None,
                  where: ActionFilter | None = None, now: datetime | None = None) -> int:
    return decide_actions(session, run_id, "staged", actor=actor, action_ids=action_ids, where=where, now=now)


def exclude_actions(session: Session, run_id: str, *, actor: str, action_ids: Sequence[str] | None = None,
                    where: ActionFilter | None = None, now: datetime | None = None) -> int:
    return decide_actions(session, run_id, "excluded", actor=actor, action_ids=action_ids, where=where, now=now)


def unstage_actions(session: Session, run_id: str, *, actor: str, action_ids: Sequence[str] | None = None,
                    where: ActionFilter | None = None, now: datetime | None = None) -> int:
    return decide_actions(session, run_id, "proposed", actor=actor, action_ids=action_ids, where=where, now=now)


def approve_run(
    session: Session, run_id: str, *, actor: str, confirm_unsafe: bool = False, now: datetime | None = None
) -> RunRecord:
    """Record that ``actor`` approved the staged actions for commit (approval partial or all).

    An empty plan approves as "all"; a plan with nothing staged can't be approved; an
    unsafe plan needs ``confirm_unsafe`` (a person who read the safety guard's numbers).
    """
    run = _open_run(session, run_id)
    if run.unsafe and not confirm_unsafe:
        raise UnsafePlanNotConfirmed(
            f"run {run_id!r} is unsafe ({'; '.join(run.unsafe_reasons)}): approving it needs explicit confirmation"
        )
    by_decision = count_actions(session, run_id, by="decision")
    total, staged = sum(by_decision.values()), by_decision.get("staged", 0)
    if total and not staged:
        raise ValueError(f"run {run_id!r} has nothing staged to approve")
    approval = "all" if staged == total else "partial"
    now = now or utcnow()
    # Only an open run is approved, checked in the UPDATE itself: a supersession committed since
    # _open_run read the state must win, not be overwritten (the run's row lock orders the two).
    approved = session.execute(update(_RUNS).where(_RUNS.c.run_id == run_id, _RUNS.c.state.notin_(CLOSED_RUN_STATES))
                               .values(approval=approval, approved_by=actor, approved_at=now, state="approved",
                                       state_reason=None))
    if rowcount(approved) == 0:
        raise PlanFrozen(f"run {run_id!r} was closed while it was being approved: its decisions can no longer change")
    append_audit(session, actor=actor, action="run.approve", job_id=run.job_id, run_id=run_id, now=now,
                 detail={"approval": approval, "decisions": by_decision, "confirmed_unsafe": bool(run.unsafe)})
    return require_run(session, run_id)


def _open_run(session: Session, run_id: str) -> RunRecord:
    """The run, its row locked until the transaction ends (PostgreSQL; SQLite has one writer anyway),
    so a supersession or expiry waits for a decision in flight and the next decision sees it."""
    session.execute(select(_RUNS.c.run_id).where(_RUNS.c.run_id == run_id).with_for_update())
    run = require_run(session, run_id)
    if run.state in CLOSED_RUN_STATES:
        raise PlanFrozen(f"run {run_id!r} is {run.state}: its decisions can no longer change")
    return run
