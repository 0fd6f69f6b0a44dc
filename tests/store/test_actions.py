from __future__ import annotations

from dataclasses import dataclass

import pytest

from littlesis.store.actions import count_actions, get_action, insert_actions, iter_actions, page_actions, save_plan
from littlesis.store.engine import session_scope
from littlesis.store.errors import PlanFrozen
from littlesis.store.filters import ActionFilter
from littlesis.store.results import mark_result
from littlesis.store.runs import get_run, set_run_state

from .helpers import KINDS, action, make_run


@pytest.fixture
def plan(engine):
    make_run(engine)
    with session_scope(engine) as session:
        counts = save_plan(session, "run-1", [action(i) for i in range(100)], plan_checksum="c" * 64,
                           unsafe=True, unsafe_reasons=["would remove 20 of 100 students (20.0%), over the 10% limit"])
    assert counts == {kind: 20 for kind in KINDS}
    return engine


def test_save_plan_records_counts_checksum_and_safety(plan):
    with session_scope(plan, readonly=True) as session:
        run = get_run(session, "run-1")
        stored = get_action(session, "run-1", f"{7:016x}")
    assert run.counts == {kind: 20 for kind in KINDS} and run.plan_checksum == "c" * 64
    assert run.unsafe and run.unsafe_reasons[0].startswith("would remove 20 of 100")
    assert stored is not None
    assert (stored.kind, stored.position, stored.payload, stored.decision, stored.status, stored.attempts) == (
        KINDS[2], 7, {"n": 7}, "proposed", "pending", 0)


def test_save_plan_replaces_an_unapplied_plan_and_freezes_once_applied(plan):
    with session_scope(plan) as session:
        assert save_plan(session, "run-1", [action(i, "add_student") for i in range(3)]) == {"add_student": 3}
        assert get_run(session, "run-1").unsafe is False
        mark_result(session, "run-1", f"{1:016x}", "done")
        with pytest.raises(PlanFrozen, match="1 actions applied"):
            save_plan(session, "run-1", [])
        set_run_state(session, "run-1", "committing")


def test_actions_can_be_objects_and_default_their_position(engine):
    @dataclass
    class PlannedAction:
        action_id: str
        kind: str
        reason: str
        alias: str | None = None

    make_run(engine)
    with session_scope(engine) as session:
        insert_actions(session, "run-1", [PlannedAction("b2", "create_course", "new class"),
                                          PlannedAction("a1", "add_teacher", "teacher added")])
        assert [(a.action_id, a.position) for a in iter_actions(session, "run-1")] == [("b2", 0), ("a1", 1)]
        with pytest.raises(ValueError, match="unknown action fields"):
            insert_actions(session, "run-1", [{**action(1), "colour": "red"}])
        with pytest.raises(ValueError, match="needs action_id and kind"):
            insert_actions(session, "run-1", [{"kind": "add_student"}])


@pytest.mark.parametrize(("where", "expected"), [
    (ActionFilter(), 100),
    (ActionFilter(kind="add_student"), 20),
    (ActionFilter(kind=["add_student", "remove_student"]), 40),
    (ActionFilter(school="S3"), 14),
    (ActionFilter(teacher="TEACHER7@district.example.org"), 2),
    (ActionFilter(school="S3", kind="create_course"), 3),
    (ActionFilter(search="math042"), 1),
    (ActionFilter(search="STUDENT4"), 4),  # student42, 43, 47, 48: the only student-targeted ones
    (ActionFilter(search="%"), 0),
    (ActionFilter(decision="staged"), 0),
    (ActionFilter(status="pending"), 100),
])
def test_filters(plan, where, expected):
    with session_scope(plan, readonly=True) as session:
        page = page_actions(session, "run-1", where, limit=1000)
    assert page.total == len(page.items) == expected
    assert [a.position for a in page.items] == sorted(a.position for a in page.items)


def test_search_matches_alias_or_target_without_case(plan):
    with session_scope(plan, readonly=True) as session:
        by_target = page_actions(session, "run-1", ActionFilter(search="STUDENT4"), limit=100).items
        by_alias = page_actions(session, "run-1", ActionFilter(search="s0-math042"), limit=100).items
    assert [a.target for a in by_target] == [f"student{i}@district.example.org" for i in (42, 43, 47, 48)]
    assert [a.alias for a in by_alias] == ["S0-MATH042-0-2026"]


def test_paging_and_counts_per_kind(plan):
    with session_scope(plan, readonly=True) as session:
        first = page_actions(session, "run-1", ActionFilter(kind="add_teacher", school="S1"), offset=0, limit=2)
        second = page_actions(session, "run-1", ActionFilter(kind="add_teacher", school="S1"), offset=2, limit=2)
        by_status = count_actions(session, "run-1", by="status")
        with pytest.raises(ValueError):
            count_actions(session, "run-1", by="payload")
    assert first.total == second.total == 3
    assert [a.position for a in first.items + second.items] == [1, 36, 71]
    # Facet counts ignore the kind filter but keep the school filter.
    assert first.counts_by_kind == dict.fromkeys(sorted(KINDS), 3)
    assert by_status == {"pending": 100}


def test_iter_actions_walks_the_whole_plan_in_chunks(plan):
    with session_scope(plan, readonly=True) as session:
        positions = [a.position for a in iter_actions(session, "run-1", chunk=7)]
    assert positions == list(range(100))


def test_awkward_text_survives_the_bulk_path(engine):
    awkward = 'tab\there, new\nline, cr\r, back\\slash, \\N, "quotes", \'single\', é ✓ 😀'
    make_run(engine)
    with session_scope(engine) as session:
        save_plan(session, "run-1", [
            {"action_id": "a", "kind": "update_course", "alias": awkward, "target": None, "reason": awkward,
             "payload": {"name": awkward, "nested": [1, 2.5, None, True, {"k": awkward}]}, "position": 0},
            {"action_id": "b", "kind": "update_course", "alias": "\\N", "reason": "", "position": 1},
        ])
        first, second = iter_actions(session, "run-1")
    assert (first.alias, first.reason, first.target) == (awkward, awkward, None)
    assert first.payload == {"name": awkward, "nested": [1, 2.5, None, True, {"k": awkward}]}
    assert (second.alias, second.reason, second.payload, second.school) == ("\\N", "", {}, None)
