from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from littlesis.store.actions import count_actions, get_action, save_plan
from littlesis.store.audit import read_audit
from littlesis.store.decisions import approve_run, decide_actions, exclude_actions, stage_actions, unstage_actions
from littlesis.store.engine import session_scope
from littlesis.store.errors import PlanFrozen, UnsafePlanNotConfirmed
from littlesis.store.filters import ActionFilter
from littlesis.store.results import mark_result
from littlesis.store.runs import set_run_state

from .helpers import T0, action, make_run


def _ids(*numbers: int) -> list[str]:
    return [f"{i:016x}" for i in numbers]


@pytest.fixture
def plan(engine):
    make_run(engine)
    with session_scope(engine) as session:
        save_plan(session, "run-1", [action(i) for i in range(50)])
    return engine


def test_stage_by_ids_and_by_filter_records_who_and_when(plan):
    with session_scope(plan) as session:
        assert stage_actions(session, "run-1", actor="ana", action_ids=_ids(0, 1, 2, 2, 99), now=T0) == 3
        assert exclude_actions(session, "run-1", actor="ben", where=ActionFilter(kind="invite_guardian"),
                               now=T0 + timedelta(minutes=1)) == 10
        first = get_action(session, "run-1", _ids(0)[0])
        assert (first.decision, first.decided_by, first.decided_at) == ("staged", "ana", T0)
        assert count_actions(session, "run-1", by="decision") == {"excluded": 10, "proposed": 37, "staged": 3}
        entries = read_audit(session, run_id="run-1")
    assert [(e.actor, e.action) for e in entries] == [("ben", "actions.exclude"), ("ana", "actions.stage")]
    assert entries[0].detail == {"filter": {"kind": "invite_guardian"}, "changed": 10}
    assert entries[1].detail["action_ids"] == _ids(0, 1, 2, 99) and entries[1].detail["changed"] == 3
    assert entries[0].job_id == "job-a"


def test_last_decision_wins_and_both_are_audited(plan):
    with session_scope(plan) as session:
        stage_actions(session, "run-1", actor="ana", action_ids=_ids(*range(10)), now=T0)
    with session_scope(plan) as session:
        exclude_actions(session, "run-1", actor="ben", action_ids=_ids(*range(5, 15)), now=T0 + timedelta(seconds=5))
    with session_scope(plan) as session:
        decided = {i: get_action(session, "run-1", _ids(i)[0]) for i in range(16)}
        trail = read_audit(session, run_id="run-1")
    assert {i for i, a in decided.items() if a.decision == "staged"} == set(range(5))
    assert {i for i, a in decided.items() if a.decision == "excluded"} == set(range(5, 15))
    assert decided[7].decided_by == "ben" and decided[15].decision == "proposed"
    assert [(e.actor, e.detail["changed"]) for e in trail] == [("ben", 10), ("ana", 10)]


def test_concurrent_reviewers_leave_a_consistent_outcome(plan):
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def review(actor: str, decision: str, numbers: range) -> None:
        try:
            barrier.wait()
            for _ in range(5):
                with session_scope(plan) as session:
                    decide_actions(session, "run-1", decision, actor=actor, action_ids=_ids(*numbers))
        except BaseException as exc:  # collected for the main thread
            errors.append(exc)

    threads = [threading.Thread(target=review, args=("ana", "staged", range(0, 30))),
               threading.Thread(target=review, args=("ben", "excluded", range(20, 50)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with session_scope(plan, readonly=True) as session:
        overlap = [get_action(session, "run-1", i) for i in _ids(*range(20, 30))]
        assert len(read_audit(session, run_id="run-1")) == 10
    # Each overlapping action carries one reviewer's decision together with that reviewer's name.
    assert all((a.decision, a.decided_by) in {("staged", "ana"), ("excluded", "ben")} for a in overlap)


def test_applied_actions_keep_their_decision(plan):
    with session_scope(plan) as session:
        stage_actions(session, "run-1", actor="ana", action_ids=_ids(1, 2))
        mark_result(session, "run-1", _ids(1)[0], "done")
        assert unstage_actions(session, "run-1", actor="ana", action_ids=_ids(1, 2)) == 1
        assert get_action(session, "run-1", _ids(1)[0]).decision == "staged"


def test_decisions_need_ids_or_filter_and_an_open_run(plan):
    with session_scope(plan) as session:
        with pytest.raises(ValueError, match="either action_ids or where"):
            decide_actions(session, "run-1", "staged", actor="ana")
        with pytest.raises(ValueError, match="unknown decision"):
            decide_actions(session, "run-1", "maybe", actor="ana", where=ActionFilter())
        set_run_state(session, "run-1", "committing")
        with pytest.raises(PlanFrozen, match="committing"):
            stage_actions(session, "run-1", actor="ana", where=ActionFilter())


def test_approval_is_partial_or_all(plan):
    with session_scope(plan) as session:
        with pytest.raises(ValueError, match="nothing staged"):
            approve_run(session, "run-1", actor="ana")
        stage_actions(session, "run-1", actor="ana", where=ActionFilter(kind="create_course"))
        partial = approve_run(session, "run-1", actor="ana", now=T0)
        assert (partial.approval, partial.approved_by, partial.approved_at, partial.state) == (
            "partial", "ana", T0, "approved")
        stage_actions(session, "run-1", actor="ana", where=ActionFilter())
        assert approve_run(session, "run-1", actor="ana").approval == "all"
        entry = read_audit(session, run_id="run-1", action="run.approve")[0]
    assert entry.detail["decisions"] == {"staged": 50}


def test_an_empty_plan_approves_as_all(engine):
    make_run(engine)
    with session_scope(engine) as session:
        save_plan(session, "run-1", [])
        assert approve_run(session, "run-1", actor="automation").approval == "all"


def test_an_unsafe_plan_needs_explicit_confirmation(engine):
    make_run(engine)
    with session_scope(engine) as session:
        save_plan(session, "run-1", [action(1)], unsafe=True, unsafe_reasons=["would remove 4,210 of 30,000"])
        stage_actions(session, "run-1", actor="automation", where=ActionFilter())
        with pytest.raises(UnsafePlanNotConfirmed, match="would remove 4,210 of 30,000"):
            approve_run(session, "run-1", actor="automation")
        assert approve_run(session, "run-1", actor="ana", confirm_unsafe=True).approval == "all"
        assert read_audit(session, action="run.approve")[0].detail["confirmed_unsafe"] is True
