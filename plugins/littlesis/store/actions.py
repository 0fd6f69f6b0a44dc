"""A run's plan: actions stored in bulk, paged and filtered for review, counted per kind."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Literal

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from littlesis.store.base import table_of
from littlesis.store.errors import PlanFrozen
from littlesis.store.filters import ActionFilter
from littlesis.store.models import Action, Run
from littlesis.store.records import ActionPage, ActionRecord
from littlesis.store.runs import require_run
from littlesis.store.sqlutil import BULK_CHUNK, bulk_insert, chunked, record

_T = table_of(Action)
_RUNS = table_of(Run)
_ORDER = (_T.c.position, _T.c.action_id)
# Runs in these states have a plan that is being, or has been, applied.
_FROZEN_RUN_STATES = ("committing", "committed")
_INPUT_FIELDS = ("action_id", "kind", "alias", "target", "payload", "reason", "position", "school", "teacher",
                 "alternative")
GroupBy = Literal["kind", "decision", "status", "school", "teacher", "alternative"]


def insert_actions(session: Session, run_id: str, actions: Iterable[Mapping[str, Any] | object]) -> int:
    """Add actions to a run as proposed and pending, in bulk batches; returns how many.

    Each action is a mapping or an object with the attributes action_id, kind, alias,
    target, payload, reason, position, school and teacher (a missing position takes the
    action's place in ``actions``).
    """
    count = 0
    for batch in chunked(actions, BULK_CHUNK):
        bulk_insert(session, _T, [_row(run_id, count + i, a) for i, a in enumerate(batch)])
        count += len(batch)
    return count


def save_plan(
    session: Session,
    run_id: str,
    actions: Iterable[Mapping[str, Any] | object],
    *,
    plan_checksum: str | None = None,
    unsafe: bool = False,
    unsafe_reasons: Iterable[str] = (),
) -> dict[str, int]:
    """Replace the run's plan (a re-analysis of the same run) and return its counts per kind.

    Refused once any action of the run was applied: commit must finish the plan it started.
    """
    run = require_run(session, run_id)
    applied = session.execute(
        select(func.count()).select_from(_T).where(_T.c.run_id == run_id, _T.c.status != "pending")
    ).scalar_one()
    if applied or run.state in _FROZEN_RUN_STATES:
        raise PlanFrozen(f"run {run_id!r} is {run.state} with {applied} actions applied; its plan can't change")
    session.execute(delete(_T).where(_T.c.run_id == run_id))
    insert_actions(session, run_id, actions)
    counts = count_actions(session, run_id, by="kind")
    session.execute(update(_RUNS).where(_RUNS.c.run_id == run_id).values(
        counts=counts, plan_checksum=plan_checksum, unsafe=unsafe, unsafe_reasons=list(unsafe_reasons),
        approval="none", approved_by=None, approved_at=None,
    ))
    return counts


def get_action(session: Session, run_id: str, action_id: str) -> ActionRecord | None:
    row = session.execute(select(_T).where(_T.c.run_id == run_id, _T.c.action_id == action_id)).first()
    return record(ActionRecord, row) if row else None


def page_actions(
    session: Session, run_id: str, where: ActionFilter | None = None, *, offset: int = 0, limit: int = 100
) -> ActionPage:
    """One page in plan order, the filtered total, and counts per kind under the other filters."""
    where = where or ActionFilter()
    conditions = [_T.c.run_id == run_id, *where.conditions(_T)]
    items = session.execute(select(_T).where(*conditions).order_by(*_ORDER).offset(offset).limit(limit))
    total = session.execute(select(func.count()).select_from(_T).where(*conditions)).scalar_one()
    return ActionPage(
        items=[record(ActionRecord, row) for row in items],
        total=int(total),
        offset=offset,
        limit=limit,
        counts_by_kind=count_actions(session, run_id, by="kind", where=where.without("kind")),
    )


def count_actions(
    session: Session, run_id: str, *, by: GroupBy = "kind", where: ActionFilter | None = None
) -> dict[str, int]:
    """How many actions per value of ``by`` (kind, decision, status, school or teacher)."""
    if by not in ("kind", "decision", "status", "school", "teacher", "alternative"):
        raise ValueError(f"can't count actions by {by!r}")
    column = _T.c[by]
    conditions = [_T.c.run_id == run_id, *(where or ActionFilter()).conditions(_T)]
    query = select(column, func.count()).where(*conditions).group_by(column).order_by(column)
    return {str(value): int(n) for value, n in session.execute(query)}


def actions_after(
    session: Session,
    run_id: str,
    where: ActionFilter | None = None,
    *,
    after: tuple[int, str] | None = None,
    limit: int = 1000,
) -> list[ActionRecord]:
    """Actions in plan order following ``after`` = (position, action_id): keyset paging that stays
    correct while other rows change status underneath."""
    conditions = [_T.c.run_id == run_id, *(where or ActionFilter()).conditions(_T)]
    if after is not None:
        position, action_id = after
        conditions.append(or_(_T.c.position > position,
                              and_(_T.c.position == position, _T.c.action_id > action_id)))
    query = select(_T).where(*conditions).order_by(*_ORDER).limit(limit)
    return [record(ActionRecord, row) for row in session.execute(query)]


def iter_actions(
    session: Session, run_id: str, where: ActionFilter | None = None, *, chunk: int = 5000
) -> Iterator[ActionRecord]:
    """Every matching action in plan order, fetched a chunk at a time (history downloads)."""
    after: tuple[int, str] | None = None
    while batch := actions_after(session, run_id, where, after=after, limit=chunk):
        yield from batch
        after = (batch[-1].position, batch[-1].action_id)


def _row(run_id: str, index: int, action: Mapping[str, Any] | object) -> dict[str, Any]:
    get = _getter(action)
    action_id, kind = get("action_id"), get("kind")
    if not action_id or not kind:
        raise ValueError(f"an action needs action_id and kind (got {action_id!r}, {kind!r})")
    position = get("position")
    return {
        "run_id": run_id, "action_id": str(action_id), "kind": str(kind),
        "alias": get("alias"), "target": get("target"), "payload": get("payload") or {},
        "reason": get("reason") or "", "position": index if position is None else int(position),
        "school": get("school"), "teacher": get("teacher"), "alternative": get("alternative") or "",
        "decision": "proposed", "decided_by": None, "decided_at": None,
        "status": "pending", "result_reason": None, "attempts": 0, "finished_at": None,
    }


def _getter(action: Mapping[str, Any] | object) -> Callable[[str], Any]:
    if isinstance(action, Mapping):
        unknown = set(action) - set(_INPUT_FIELDS)
        if unknown:
            raise ValueError(f"unknown action fields {sorted(unknown)}")
        return action.get
    return lambda name: getattr(action, name, None)
