"""The checks themselves: each one passes on a correct end state and names what is wrong in a broken one."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete

from littlesis.store.audit import read_audit
from littlesis.store.base import table_of
from littlesis.store.engine import make_engine, session_scope, sqlite_url
from littlesis.store.locks import acquire_lock, domain_lock_name
from littlesis.store.models import AuditEntry
from littlesis.store.records import ActionRecord
from tests.classroom.apply_support import results
from tests.reliability import properties
from tests.reliability.district_scenario import build
from tests.reliability.scenario import RUN_ID, run_scenario

D = "district.example.org"
USERS = {"1": f"t1@{D}", "2": f"s1@{D}", "3": f"s2@{D}", "4": f"t2@{D}"}


def _state(courses: list[dict[str, Any]], pending: list[tuple[str, str]]) -> dict[str, Any]:
    return {"users": [{"id": i, "emailAddress": e} for i, e in USERS.items()], "courses": courses,
            "invitations": [], "guardians": [],
            "guardianInvitations": [{"invitationId": f"g{n}", "studentId": s, "invitedEmailAddress": g,
                                     "state": "PENDING"} for n, (s, g) in enumerate(pending)]}


def _course(course_id: str, alias: str, name: str, owner: str, teachers: list[str], students: list[str]
            ) -> dict[str, Any]:
    return {"id": course_id, "name": name, "section": "Period 1", "courseState": "ACTIVE", "ownerId": owner,
            "aliases": [alias], "teachers": [{"userId": t, "emailAddress": USERS[t]} for t in teachers],
            "students": [{"userId": s, "emailAddress": USERS[s]} for s in students]}


def _action(position: int, kind: str, target: str, payload: dict[str, Any], status: str = "done") -> ActionRecord:
    return ActionRecord("r", f"a{position}", kind, None, target, payload, "test", position, None, None, "",
                        "staged", None, None, status, "added", 1, datetime(2026, 1, 1, tzinfo=UTC))


BEFORE = _state([_course("10", "d:A", "Biology", "1", ["1"], ["2"])], [])
PLAN = [
    _action(0, "create_course", "d:B", {"id": "d:B", "name": "Chemistry", "ownerId": f"t2@{D}",
                                        "section": "Period 1", "courseState": "ACTIVE"}),
    _action(1, "update_course", "d:A", {"course": {"name": "Biology II"}, "updateMask": "name"}),
    _action(2, "add_student", "d:A", {"userId": f"s2@{D}"}),
    _action(3, "invite_guardian", f"s1@{D}", {"studentId": f"s1@{D}", "invitedEmailAddress": "p@x.net"}),
]
AFTER = _state([_course("10", "d:A", "Biology II", "1", ["1"], ["2", "3"]),
                _course("11", "d:B", "Chemistry", "4", ["4"], [])], [("2", "p@x.net")])


def test_a_correct_end_state_has_no_violations():
    assert properties.classroom_matches_intent(BEFORE, AFTER, PLAN) == []
    assert properties.no_duplicates(BEFORE, AFTER, PLAN) == []
    assert properties.final_statuses(PLAN) == []


def test_a_missing_student_and_a_lost_update_are_named():
    after = copy.deepcopy(AFTER)
    after["courses"][0]["students"].pop()
    after["courses"][0]["name"] = "Biology"
    [found] = properties.classroom_matches_intent(BEFORE, after, PLAN)
    assert "course 10 (d:A): name, students differ" in found and "Biology II" in found and f"s2@{D}" in found


def test_a_course_made_twice_and_an_invitation_sent_twice_are_named():
    after = copy.deepcopy(AFTER)
    twin = copy.deepcopy(after["courses"][1]) | {"id": "12"}
    after["courses"].append(twin)
    after["guardianInvitations"].append(after["guardianInvitations"][0] | {"invitationId": "g9"})
    found = properties.no_duplicates(BEFORE, after, PLAN)
    assert found == ["alias d:B is on 2 courses", "3 courses, expected 1 + 1 created",
                     f"guardian invitation {('2', 'p@x.net')} is pending 2 times"]
    assert any("unexpected" in line or "pending" in line
               for line in properties.classroom_matches_intent(BEFORE, after, PLAN))


def test_an_action_without_a_final_result_is_named():
    plan = [*PLAN[:3], _action(3, "invite_guardian", "x", {}, status="pending")]
    failed = _action(4, "add_student", "d:A", {"userId": "u"}, status="failed")
    assert properties.final_statuses([*plan, failed]) == [
        "invite_guardian a3 (None) ended pending: added", "add_student a4 (None) ended failed: added"]


def test_the_generated_district_has_20_to_60_sections_and_every_kind_of_change():
    scenarios = [build(seed) for seed in range(20)]
    sections = [len(s.today) + s.changes["gone"] for s in scenarios]
    assert min(sections) >= 20 and max(sections) <= 60
    changes = sum((s.changes for s in scenarios), start=scenarios[0].changes.__class__())
    for change in ("new", "teacher_made", "gone", "owner_changed", "co_teacher_removed", "co_teacher_added",
                   "renamed", "room_moved", "teacher_edit", "students_added", "students_removed", "new_students",
                   "guardian_linked", "guardian_invited", "guardian_changed", "guardian_second"):
        assert changes[change] > 0, change
    assert build(3).classroom == build(3).classroom  # deterministic


def test_a_lost_audit_entry_and_a_lease_left_behind_are_named(sqlite_stores, tmp_path):
    outcome = run_scenario(5, sqlite_stores, tmp_path)
    assert outcome.violations == []
    engine = make_engine(sqlite_url(tmp_path / "store.db"))  # the scenario's SQLite store stays in tmp_path
    staged = [a for a in results(engine, RUN_ID).values() if a.decision == "staged"]
    calls = properties.Invocations(outcome.commits - len(outcome.interruptions), len(outcome.interruptions))
    assert properties.audit_complete(engine, RUN_ID, staged, calls) == []
    with session_scope(engine) as session:
        [last] = read_audit(session, run_id=RUN_ID, action="run.commit", limit=1)
        session.execute(delete(table_of(AuditEntry)).where(table_of(AuditEntry).c.id == last.id))
    acquire_lock(engine, domain_lock_name(D), "someone", ttl=timedelta(minutes=5))

    lost = properties.audit_complete(engine, RUN_ID, staged, calls)
    assert any(line.startswith(f"0 run.commit audit entries for {calls.returned}") for line in lost) or \
        any("does not match" in line for line in lost), lost
    assert properties.run_closed(engine, RUN_ID) == ["the domain's lease is still held by someone"]
    engine.dispose()


def test_a_plan_that_breaks_a_classroom_rule_is_named():
    removal = _action(4, "remove_teacher", "d:A", {"userId": f"t1@{D}"})  # the owner, with no transfer first
    [found] = properties.classroom_matches_intent(BEFORE, AFTER, [*PLAN, removal])
    assert found.startswith("the plan can't be applied to the state before the commit: AssertionError")
