"""Queries behind the review page that must stay fast on plans of 100,000 actions and more.

A deep page is found with one index probe (the position at the page's offset) instead of making
the database step through every row before it, and the filtered total comes from the per-kind
counts the page shows anyway, saving a pass over the plan.

The page's search looks into an action's details too: the person an ``add_student`` enrolls is in
its payload, not in its target (the course). ``review_conditions`` is that reading of a filter; the
page and the "decide everything matching" of ``decisions.decide_matching_chunk`` both use it, so what
the reviewer sees is what gets decided.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import ColumnElement, Text, cast, func, or_, select
from sqlalchemy.orm import Session

from littlesis.store.base import table_of
from littlesis.store.filters import ActionFilter
from littlesis.store.models import Action, AuditEntry
from littlesis.store.records import ActionPage, ActionRecord
from littlesis.store.sqlutil import record

_T = table_of(Action)


def review_conditions(session: Session, where: ActionFilter) -> list[ColumnElement[bool]]:
    """``where.conditions`` with the search matching the alias, the target or the payload, ignoring case."""
    conditions = where.without("search").conditions(_T)
    if where.search:
        # The payload is stored as JSON text, where "ñ" is written \u00f1: look for the term written that way.
        searches = ((_T.c.alias, where.search), (_T.c.target, where.search),
                    (cast(_T.c.payload, Text), json.dumps(where.search)[1:-1]))
        if session.get_bind().dialect.name == "sqlite":
            # SQLite's LIKE already ignores ASCII case (as its lower() does): no lower() call per row and column.
            conditions.append(or_(*(column.like(_pattern(term), escape="\\") for column, term in searches)))
        else:
            conditions.append(or_(*(column.ilike(_pattern(term), escape="\\") for column, term in searches)))
    return conditions


def _pattern(term: str) -> str:
    """``%term%`` with LIKE's own wildcards in ``term`` taken literally."""
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def review_page(
    session: Session, run_id: str, where: ActionFilter | None = None, *, offset: int = 0, limit: int = 100,
    counts_by_kind: dict[str, int] | None = None,
) -> ActionPage:
    """One page in plan order, the filtered total and the counts per kind under the other filters.

    ``counts_by_kind`` (from :func:`kind_counts` of the same filter) may come from a cache: it is
    the one part that reads every matching row. Positions are unique within a run (the plan numbers
    its actions), so "every matching action from the position found at ``offset``" is exactly the page.
    """
    where = where or ActionFilter()
    if offset < 0 or limit < 1:
        raise ValueError(f"bad page: offset {offset}, limit {limit}")
    counts = kind_counts(session, run_id, where) if counts_by_kind is None else counts_by_kind
    kinds = [where.kind] if isinstance(where.kind, str) else list(where.kind or ())
    total = sum(n for kind, n in counts.items() if not kinds or kind in kinds)
    items: list[ActionRecord] = []
    if offset < total:
        conditions = [_T.c.run_id == run_id, *review_conditions(session, where)]
        query = select(_T).where(*conditions).order_by(_T.c.position, _T.c.action_id).limit(limit)
        if offset:
            start = (select(_T.c.position).where(*conditions).order_by(_T.c.position)
                     .offset(offset).limit(1).scalar_subquery())
            query = query.where(_T.c.position >= start)
        items = [record(ActionRecord, row) for row in session.execute(query)]
    return ActionPage(items=items, total=total, offset=offset, limit=limit, counts_by_kind=counts)


def school_teacher_counts(session: Session, run_id: str) -> list[tuple[str | None, str | None, int]]:
    """Actions per (school, teacher) of the run: both of the page's facets from one pass over the plan."""
    query = (select(_T.c.school, _T.c.teacher, func.count()).where(_T.c.run_id == run_id)
             .group_by(_T.c.school, _T.c.teacher))
    return [(school, teacher, int(n)) for school, teacher, n in session.execute(query)]


def few_matches(session: Session, run_id: str, where: ActionFilter, most: int) -> dict[str, list[int]] | None:
    """Positions of the actions matching ``where`` without its kind, per kind in plan order; None when
    more than ``most`` match. One pass gives a selective filter its counts and all of its pages."""
    query = (select(_T.c.kind, _T.c.position).where(_T.c.run_id == run_id,
                                                    *review_conditions(session, where.without("kind")))
             .order_by(_T.c.position).limit(most + 1))
    rows = session.execute(query).all()
    if len(rows) > most:
        return None
    found: dict[str, list[int]] = {}
    for kind, position in rows:
        found.setdefault(str(kind), []).append(int(position))
    return found


def actions_at(session: Session, run_id: str, positions: Sequence[int]) -> list[ActionRecord]:
    """The actions at the given positions (a page of a known result), in plan order."""
    if not positions:
        return []
    query = (select(_T).where(_T.c.run_id == run_id, _T.c.position.in_(list(positions)))
             .order_by(_T.c.position, _T.c.action_id))
    return [record(ActionRecord, row) for row in session.execute(query)]


def class_actions(session: Session, run_id: str, alias: str) -> list[ActionRecord]:
    """Every action of one class (both alternatives of a suggested match included), in plan order."""
    query = (select(_T).where(_T.c.alias == alias, _T.c.run_id == run_id)
             .order_by(_T.c.position, _T.c.action_id))
    return [record(ActionRecord, row) for row in session.execute(query)]


def kind_counts(session: Session, run_id: str, where: ActionFilter) -> dict[str, int]:
    """Actions per kind matching ``where`` without its kind (what the kind filter offers)."""
    conditions = review_conditions(session, where.without("kind"))
    query = (select(_T.c.kind, func.count()).where(_T.c.run_id == run_id, *conditions)
             .group_by(_T.c.kind).order_by(_T.c.kind))
    return {str(kind): int(n) for kind, n in session.execute(query)}


def decisions_version(session: Session, run_id: str) -> int:
    """A number that changes whenever a decision of the run changes (0 before the first one).

    Every change of an action's decision goes through ``littlesis.store.decisions``, which appends
    an audit entry in the same transaction: the run's newest audit id is such a number. Read in the
    same transaction as the figures it versions.
    """
    audit = table_of(AuditEntry)
    query = select(func.max(audit.c.id)).where(audit.c.run_id == run_id)
    return int(session.execute(query).scalar_one() or 0)
