"""Each kind's idempotency and refusals, on plans written by hand against a seeded emulator."""

from __future__ import annotations

import pytest

from littlesis.classroom import calls
from littlesis.classroom.apply import CommitRefused, OwnerPoll
from littlesis.store import runs
from littlesis.store.engine import session_scope
from tests.classroom.apply_support import (
    commit,
    hand_plan,
    journal_methods,
    new_store,
    quick_retry,
    results,
    status_counts,
)
from tests.classroom.helpers import DOMAIN, OWNER, Hooks, course_seed, kid

TEACHER = f"teacher0@{DOMAIN}"
OUTSIDER = "someone@elsewhere.example.com"
GUARDIAN = "mum@families.example.net"


@pytest.fixture
def engine(tmp_path):
    return new_store(tmp_path / "store.db")


def _course_id(hooks: Hooks, alias: str) -> str:
    return hooks.course(alias)["id"]


def _student(n: int, alias: str = "d:SIS-1", kind: str = "add_student") -> dict:
    return {"kind": kind, "alias": alias[2:], "target": alias, "payload": {"userId": kid(n)}}


def test_writes_that_already_landed_are_already_done(client, hooks: Hooks, engine):
    """What a retry after a lost answer (or a rerun after a crash) meets: 409 and 404 mean "as planned"."""
    hooks.seed({"courses": [course_seed("d:SIS-1", students=2, teachers=1),
                            course_seed("d:SIS-2"), {**course_seed("d:OLD"), "courseState": "ARCHIVED"}]})
    invited = client.execute([calls.create_guardian_invitation(kid(1), GUARDIAN),
                              calls.create_guardian_invitation(kid(1), "dad@families.example.net")])
    withdrawn = invited[1].body["invitationId"]
    client.execute([calls.patch_guardian_invitation(kid(1), withdrawn)])
    sis1, sis2 = _course_id(hooks, "d:SIS-1"), _course_id(hooks, "d:SIS-2")
    plan = [
        {"kind": "create_course", "alias": "SIS-1", "target": "d:SIS-1",
         "payload": {"id": "d:SIS-1", "name": "Course d:SIS-1", "ownerId": OWNER, "courseState": "ACTIVE"}},
        {"kind": "link_course", "alias": "SIS-2", "target": sis2, "payload": {"alias": "d:SIS-2", "courseId": sis2}},
        {"kind": "link_course", "alias": "SIS-1", "target": sis2, "payload": {"alias": "d:SIS-1", "courseId": sis2}},
        {"kind": "add_teacher", "alias": "SIS-1", "target": "d:SIS-1", "payload": {"userId": TEACHER}},
        _student(0),
        _student(9, kind="remove_student"),
        {"kind": "remove_teacher", "alias": "SIS-1", "target": sis1, "payload": {"userId": f"teacher9@{DOMAIN}"}},
        {"kind": "invite_guardian", "alias": "SIS-1", "target": kid(1),
         "payload": {"invitedEmailAddress": GUARDIAN, "studentId": kid(1)}},
        {"kind": "withdraw_guardian_invitation", "alias": "SIS-1", "target": kid(1),
         "payload": {"invitationId": withdrawn, "studentId": kid(1)}},
        {"kind": "withdraw_guardian_invitation", "alias": "SIS-1", "target": kid(1),
         "payload": {"invitationId": "0123456789", "studentId": kid(1)}},
        {"kind": "archive_course", "alias": "OLD", "target": "d:OLD", "payload": {"courseState": "ARCHIVED"}},
    ]
    ids = hand_plan(engine, "r1", plan)
    hooks.request("DELETE", "journal")

    report = commit(client, engine, "r1")

    done = results(engine, "r1")
    status = {i: done[i].status for i in ids}
    assert status == dict(zip(ids, ["already_done", "already_done", "failed", "already_done", "already_done",
                                    "already_done", "already_done", "already_done", "already_done",
                                    "already_done", "done"], strict=True))
    assert done[ids[0]].result_reason.startswith("the alias exists: that course is adopted")
    assert done[ids[1]].result_reason == f"alias d:SIS-2 is already on course {sis2}"
    assert done[ids[2]].result_reason == (f"@CourseAliasAlreadyExists Requested entity already exists: "
                                          f"d:SIS-1 is on course {sis1}, not {sis2}")
    assert done[ids[4]].result_reason.startswith("already a member of the course")
    assert done[ids[8]].result_reason.startswith("the invitation is no longer pending")
    assert report.state == "committed" and report.reason == "committed with 1 failed and 0 skipped"
    # one call per action; the two link conflicts read the alias once each to see whose it is
    assert report.calls.total_calls == len(plan) + 2
    assert journal_methods(hooks).count("courses.get") == 2
    state = hooks.state()
    assert len(state["courses"]) == 3  # the create adopted d:SIS-1, no second course
    assert [g["invitedEmailAddress"] for g in state["guardianInvitations"] if g["state"] == "PENDING"] == [GUARDIAN]


def test_refusals_are_recorded_with_their_reason_and_the_commit_goes_on(client, hooks: Hooks, engine):
    hooks.seed({"courses": [course_seed("d:SIS-1", students=2)], "limits": {"members": 4}})
    plan = [
        {"kind": "create_course", "alias": "BAD", "target": "d:BAD",
         "payload": {"id": "d:BAD", "name": "Outsourced", "ownerId": OUTSIDER}},
        {"kind": "create_course", "alias": "NEW", "target": "d:NEW",
         "payload": {"id": "d:NEW", "name": "New", "ownerId": OWNER, "courseState": "ACTIVE"}},
        _student(5, "d:BAD"), _student(6, "d:BAD"),
        {"kind": "add_student", "alias": "SIS-1", "target": "d:SIS-1", "payload": {"userId": OUTSIDER}},
        _student(2), _student(3),  # the course holds 4 members: the owner, two students, and one more
        {"kind": "add_student", "alias": "SIS-1", "target": "d:SIS-1", "payload": {}},
        _student(7, "d:NEW"),
        {"kind": "remove_teacher", "alias": "SIS-1", "target": "d:SIS-1", "payload": {"userId": OWNER}},
    ]
    ids = hand_plan(engine, "r1", plan)

    report = commit(client, engine, "r1")

    done = results(engine, "r1")
    got = [(done[i].status, done[i].result_reason) for i in ids]
    assert got[0][0] == "failed" and got[0][1].startswith("@CannotDirectAddUser Unable to directly add the user")
    assert got[1][0] == "done"
    assert got[2] == got[3] == ("skipped", f"not sent: course d:BAD was not made (create_course failed: {got[0][1]})")
    assert got[4][0] == "failed" and got[4][1].startswith("@CannotDirectAddUser")
    assert sorted([got[5][0], got[6][0]]) == ["done", "failed"]
    assert "@CourseMemberLimitReached The course member limit has been reached." in (got[5][1], got[6][1])
    assert got[7] == ("failed", "bad payload: payload has no 'userId'")
    assert got[8][0] == "done"
    assert got[9][0] == "failed" and got[9][1].startswith("FAILED_PRECONDITION (400): The primary teacher")
    assert report.state == "committed" and report.reason == "committed with 5 failed and 2 skipped"
    assert report.failures_total == 7 and {f.kind for f in report.failures} == {"create_course", "add_student",
                                                                                "remove_teacher"}
    assert report.calls.calls["courses.students.create"] == 4  # nothing sent for d:BAD or the bad payload
    assert sorted(report.counts) == ["add_student", "create_course", "remove_teacher"]


def test_an_owner_change_waits_for_the_new_co_teacher_with_bounded_backoff(make_client, hooks: Hooks, engine):
    hooks.seed({"courses": [course_seed("d:SIS-1")]})
    hand_plan(engine, "r1", [{"kind": "change_owner", "alias": "SIS-1", "target": "d:SIS-1",
                              "payload": {"ownerId": TEACHER}}])
    helper = make_client()
    waits: list[float] = []

    def sleep(seconds: float) -> None:  # the co-teacher becomes visible during the second wait
        waits.append(seconds)
        if len(waits) == 2:
            helper.execute([calls.add_teacher("d:SIS-1", TEACHER)])

    client = make_client()
    report = commit(client, engine, "r1", owner_poll=OwnerPoll(attempts=5, base=0.5, cap=0.75, sleep=sleep))

    (action,) = results(engine, "r1").values()
    assert (action.status, action.result_reason) == ("done", f"owner is now {TEACHER} (after 2 polls)")
    assert waits == [0.5, 0.75]  # capped exponential backoff, nothing fixed
    assert report.calls.calls == {"courses.patch": 3, "courses.get": 2, "userProfiles.get": 1}
    assert hooks.course("d:SIS-1")["ownerId"] == next(u["id"] for u in hooks.state()["users"]
                                                       if u["emailAddress"] == TEACHER)


def test_an_owner_change_that_never_becomes_possible_fails_after_its_polls(client, hooks: Hooks, engine):
    hooks.seed({"courses": [course_seed("d:SIS-1")]})
    hand_plan(engine, "r1", [{"kind": "change_owner", "alias": "SIS-1", "target": "d:SIS-1",
                              "payload": {"ownerId": TEACHER}}])
    waits: list[float] = []

    commit(client, engine, "r1", owner_poll=OwnerPoll(attempts=4, base=1, cap=4, sleep=waits.append))

    (action,) = results(engine, "r1").values()
    assert action.status == "failed" and action.result_reason == (
        "@IneligibleOwner The new owner must already be a teacher of the course. "
        "(transfer not effective after 4 polls)")
    assert waits == [1, 2, 4, 4]


def test_a_commit_that_cannot_reach_classroom_fails_the_run_and_a_rerun_finishes_it(make_client, sleeps,
                                                                                     hooks: Hooks, engine):
    hooks.seed({"courses": [course_seed("d:SIS-1")]})
    ids = hand_plan(engine, "r1", [_student(n) for n in range(30)])
    hooks.faults(spec="*=503")
    client = make_client(retry=quick_retry(sleeps, attempts=2))

    report = commit(client, engine, "r1", wave_size=5, give_up_after=10)

    assert report.state == "failed" and report.reason.startswith("Classroom unreachable: 10 calls in a row failed")
    assert report.reason.endswith("; 20 actions not sent")
    assert status_counts(engine, "r1") == {"failed": 10, "skipped": 20}  # every staged action has its result
    assert report.calls.total_calls == 10
    skipped = results(engine, "r1")[ids[-1]]
    assert skipped.result_reason.startswith("not sent: Classroom unreachable (retries exhausted after 2 attempts: "
                                            "UNAVAILABLE (503)")
    with session_scope(engine, readonly=True) as session:
        assert runs.require_run(session, "r1").state == "failed"

    hooks.faults(spec="")
    again = commit(client, engine, "r1", wave_size=5)
    assert again.reopened == 30 and again.totals() == {"done": 30} and again.state == "committed"
    assert hooks.student_emails("d:SIS-1") == {kid(n) for n in range(30)}


def test_only_an_approved_run_is_committed(client, hooks: Hooks, engine):
    hand_plan(engine, "r1", [_student(0)], stage_all=False)
    with pytest.raises(CommitRefused, match="'r1' is pending_review"):
        commit(client, engine, "r1")
    assert client.counter.snapshot().total_calls == 0 and status_counts(engine, "r1") == {"pending": 1}


def test_a_commit_where_everything_is_refused_fails_the_run_with_the_first_reason(client, hooks: Hooks, engine):
    hooks.seed({"courses": [course_seed("d:SIS-1")]})
    hand_plan(engine, "r1", [
        {"kind": "add_student", "alias": "SIS-1", "target": "d:SIS-1", "payload": {"userId": OUTSIDER}},
        {"kind": "frobnicate_course", "alias": "SIS-1", "target": "d:SIS-1", "payload": {}},
    ])
    report = commit(client, engine, "r1")
    assert report.state == "failed" and report.reason.startswith(
        "nothing could be applied: 2 failed, 0 skipped; first: @CannotDirectAddUser")
    assert results(engine, "r1")["a0001"].result_reason == "unknown action kind 'frobnicate_course'"
    with session_scope(engine, readonly=True) as session:
        assert runs.require_run(session, "r1").state_reason == report.reason
