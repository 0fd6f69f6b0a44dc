from __future__ import annotations

import pytest

from littlesis.store.actions import count_actions, get_action, save_plan
from littlesis.store.decisions import stage_actions
from littlesis.store.engine import session_scope
from littlesis.store.errors import NotFound
from littlesis.store.filters import ActionFilter
from littlesis.store.records import ActionResult
from littlesis.store.results import mark_result, mark_results, pending_staged, skip_pending

from .helpers import T0, action, make_run


@pytest.fixture
def staged(engine):
    """Twenty actions stored out of order; the even ones are staged."""
    make_run(engine)
    with session_scope(engine) as session:
        save_plan(session, "run-1", [action(i) for i in reversed(range(20))])
        stage_actions(session, "run-1", actor="ana", action_ids=[f"{i:016x}" for i in range(0, 20, 2)])
    return engine


def test_mark_one_result_counts_attempts(staged):
    aid = f"{4:016x}"
    with session_scope(staged) as session:
        mark_result(session, "run-1", aid, "pending", "429 RESOURCE_EXHAUSTED, will retry")
        retried = get_action(session, "run-1", aid)
        assert (retried.status, retried.attempts, retried.finished_at) == ("pending", 1, None)
        mark_result(session, "run-1", aid, "failed", "@IneligibleOwner the new owner must be a co-teacher", now=T0)
        failed = get_action(session, "run-1", aid)
        assert (failed.status, failed.attempts, failed.finished_at) == ("failed", 2, T0)
        assert failed.result_reason.startswith("@IneligibleOwner")
        mark_result(session, "run-1", aid, "done", attempts=7)
        assert get_action(session, "run-1", aid).attempts == 7
        with pytest.raises(NotFound):
            mark_result(session, "run-1", "ffff", "done")
        with pytest.raises(ValueError, match="unknown action status"):
            mark_result(session, "run-1", aid, "exploded")


def test_mark_results_in_bulk(staged):
    results = [ActionResult(f"{i:016x}", "done" if i % 4 else "already_done", None, 1) for i in range(0, 20, 2)]
    with session_scope(staged) as session:
        assert mark_results(session, "run-1", results, now=T0) == 10
        assert count_actions(session, "run-1", by="status") == {"already_done": 5, "done": 5, "pending": 10}
        assert get_action(session, "run-1", f"{2:016x}").finished_at == T0


def test_pending_staged_in_position_order_resumes_where_it_stopped(staged):
    with session_scope(staged) as session:
        first = pending_staged(session, "run-1", limit=3)
        assert [a.position for a in first] == [0, 2, 4]
        # The commit dies after applying the first three; a new one picks up the rest.
        mark_results(session, "run-1", [ActionResult(a.action_id, "done") for a in first])
        resumed = pending_staged(session, "run-1")
        assert [a.position for a in resumed] == [6, 8, 10, 12, 14, 16, 18]
        page = pending_staged(session, "run-1", after=(resumed[1].position, resumed[1].action_id), limit=2)
        assert [a.position for a in page] == [10, 12]


def test_skip_pending_leaves_nothing_unaccounted(staged):
    with session_scope(staged) as session:
        mark_result(session, "run-1", f"{0:016x}", "done")
        assert skip_pending(session, "run-1", "commit stopped: the domain lock was lost", now=T0) == 9
        assert pending_staged(session, "run-1") == []
        assert count_actions(session, "run-1", by="status", where=ActionFilter(decision="staged")) == {
            "done": 1, "skipped": 9}
        # Unstaged actions were never part of the commit: they stay pending.
        assert count_actions(session, "run-1", by="status", where=ActionFilter(decision="proposed")) == {"pending": 10}
