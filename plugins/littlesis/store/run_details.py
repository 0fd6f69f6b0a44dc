"""What an analysis records beside its plan: match suggestions, excluded classes, rejected rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.orm import Session

from littlesis.store.audit import append_audit
from littlesis.store.base import table_of
from littlesis.store.coltypes import utcnow
from littlesis.store.errors import NotFound
from littlesis.store.models import SUGGESTION_DECISIONS, ExcludedClass, MatchSuggestion, RejectedRow
from littlesis.store.records import ExcludedClassRecord, MatchSuggestionRecord, RejectedRowRecord
from littlesis.store.runs import require_run
from littlesis.store.sqlutil import BULK_CHUNK, bulk_insert, chunked, record, require_one_of, rowcount

_SUGGESTIONS = table_of(MatchSuggestion)
_EXCLUDED = table_of(ExcludedClass)
_REJECTED = table_of(RejectedRow)


def save_match_suggestions(session: Session, run_id: str, suggestions: Iterable[Mapping[str, Any]]) -> int:
    """Replace the run's suggestions: ``{"alias", "course_id", "score", "score_parts"}`` each, undecided."""
    rows = ({"alias": s["alias"], "course_id": s["course_id"], "score": float(s["score"]),
             "score_parts": dict(s.get("score_parts") or {}), "decision": "undecided",
             "decided_by": None, "decided_at": None} for s in suggestions)
    return _replace(session, _SUGGESTIONS, run_id, rows)


def list_match_suggestions(
    session: Session, run_id: str, *, alias: str | None = None, decision: str | None = None
) -> list[MatchSuggestionRecord]:
    """Suggestions best first (per alias when ``alias`` is given)."""
    t = _SUGGESTIONS
    query = select(t).where(t.c.run_id == run_id).order_by(t.c.alias, t.c.score.desc(), t.c.course_id)
    if alias is not None:
        query = query.where(t.c.alias == alias)
    if decision is not None:
        query = query.where(t.c.decision == decision)
    return [record(MatchSuggestionRecord, row) for row in session.execute(query)]


def decide_match_suggestion(
    session: Session,
    run_id: str,
    alias: str,
    course_id: str,
    decision: str,
    *,
    actor: str,
    now: datetime | None = None,
) -> None:
    """The reviewer's answer to one suggestion: link the teacher's course, or create a new one."""
    require_one_of(decision, SUGGESTION_DECISIONS, "suggestion decision")
    run = require_run(session, run_id)
    now = now or utcnow()
    t = _SUGGESTIONS
    stmt = (update(t).where(t.c.run_id == run_id, t.c.alias == alias, t.c.course_id == course_id)
            .values(decision=decision, decided_by=actor, decided_at=now))
    if rowcount(session.execute(stmt)) == 0:
        raise NotFound(f"no suggestion {alias!r} -> {course_id!r} in run {run_id!r}")
    append_audit(session, actor=actor, action="match.decide", job_id=run.job_id, run_id=run_id, now=now,
                 detail={"alias": alias, "course_id": course_id, "decision": decision})


def save_excluded_classes(session: Session, run_id: str, classes: Iterable[Mapping[str, Any]]) -> int:
    """Replace the run's excluded classes: ``{"alias", "rule"}`` each (rule: why it is out of scope)."""
    return _replace(session, _EXCLUDED, run_id, ({"alias": c["alias"], "rule": c["rule"]} for c in classes))


def list_excluded_classes(session: Session, run_id: str) -> list[ExcludedClassRecord]:
    t = _EXCLUDED
    query = select(t).where(t.c.run_id == run_id).order_by(t.c.alias)
    return [record(ExcludedClassRecord, row) for row in session.execute(query)]


def save_rejected_rows(session: Session, run_id: str, rows: Iterable[Mapping[str, Any]]) -> int:
    """Replace the run's rejected input rows: ``{"file", "line", "field", "value", "reason"}`` each.

    Accepts ``DataFrame.to_dict("records")`` output: a missing line (NaN, NA) becomes NULL.
    """
    values = ({"file": str(r["file"]), "line": _optional_int(r.get("line")), "field": r.get("field"),
               "value": None if r.get("value") is None else str(r["value"]), "reason": str(r["reason"])}
              for r in rows)
    return _replace(session, _REJECTED, run_id, values)


def list_rejected_rows(session: Session, run_id: str, *, offset: int = 0, limit: int = 1000) -> list[RejectedRowRecord]:
    t = _REJECTED
    query = select(t).where(t.c.run_id == run_id).order_by(t.c.id).offset(offset).limit(limit)
    return [record(RejectedRowRecord, row) for row in session.execute(query)]


def count_rejected_rows(session: Session, run_id: str) -> int:
    t = _REJECTED
    return int(session.execute(select(func.count()).select_from(t).where(t.c.run_id == run_id)).scalar_one())


def _replace(session: Session, table: Table, run_id: str, rows: Iterable[dict[str, Any]]) -> int:
    require_run(session, run_id)
    session.execute(delete(table).where(table.c.run_id == run_id))
    count = 0
    for batch in chunked(rows, BULK_CHUNK):
        bulk_insert(session, table, [{"run_id": run_id, **row} for row in batch])
        count += len(batch)
    return count


def _optional_int(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):  # NaN, pandas NA
        return None
