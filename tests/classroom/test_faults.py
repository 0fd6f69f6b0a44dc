"""Each fault kind of the emulator, retried (or not) by the client, with the final state checked."""

from __future__ import annotations

import random

import pytest

from littlesis.classroom import ClassroomOps, RetryPolicy, calls
from tests.classroom.helpers import DOMAIN, OWNER, Hooks, course_seed, kid

N = 100


def _add_students(client, n: int = N):
    return client.execute([calls.add_student("d:SIS-1", kid(i)) for i in range(n)])


@pytest.fixture
def course(hooks: Hooks) -> Hooks:
    hooks.seed({"courses": [course_seed("d:SIS-1")]})
    return hooks


@pytest.mark.parametrize("spec", [
    "courses.students.create=429@0.3",
    "courses.students.create=500@0.05;*=502@0.05;*=503@0.05;*=504@0.05",
])
def test_429_and_5xx_parts_are_rebatched_until_done(make_client, course: Hooks, sleeps, spec):
    course.faults(spec=spec, seed=11)
    client = make_client(retry=RetryPolicy(base=0.01, cap=0.08, max_attempts=10, sleep=sleeps))
    results = _add_students(client)
    assert all(r.ok for r in results)
    counts = client.counter.snapshot()
    faulted = sum(1 for s in course.part_statuses() if s != 200)
    assert counts.retries == faulted > 10
    assert counts.attempts["courses.students.create"] == N + faulted
    assert counts.calls == {"courses.students.create": N} and counts.outcomes == {"ok": N}
    assert max(r.attempts for r in results) == len(sleeps.sleeps) + 1  # one backoff per round
    assert all(0 <= s <= 0.08 for s in sleeps.sleeps)  # capped
    assert len(course.student_emails("d:SIS-1")) == N


def test_dropped_connections_are_retried_and_applied_writes_come_back_409(client, course: Hooks):
    """A part that draws "drop" closes the batch connection after the parts before it ran;
    httplib2 resends the batch once by itself, and so do we when that fails too."""
    course.faults(spec="courses.students.create=drop@0.04", seed=5)
    results = _add_students(client)
    assert all(r.ok or r.already_exists for r in results)
    assert any(r.already_exists for r in results)
    counts = client.counter.snapshot()
    assert counts.wire_requests > counts.http_requests  # httplib2's silent resends, counted
    answered = [len(e["parts"]) for e in course.journal() if e["status"] == 200]
    assert answered and max(answered) <= 25  # after a lost batch, retries go in smaller batches
    assert course.student_emails("d:SIS-1") == {kid(i) for i in range(N)}


def test_a_create_whose_answer_is_lost_comes_back_409_not_a_crash(ops: ClassroomOps, hooks: Hooks):
    hooks.faults(spec="courses.create=apply_then_dropx1")
    result = ops.create_course("d:SIS-9", "Chemistry", OWNER)
    assert result.already_exists and result.error.reason == "CourseAliasAlreadyExists"
    assert result.attempts == 1  # the resend was httplib2's, inside one attempt
    counts = ops.client.counter.snapshot()
    assert (counts.http_requests, counts.wire_requests) == (1, 2)
    assert [c["aliases"] for c in hooks.state()["courses"]] == [["d:SIS-9"]]  # exactly one course


def test_a_connection_dropped_twice_is_a_transport_error_and_retried(ops: ClassroomOps, hooks: Hooks):
    hooks.faults(spec="courses.create=dropx2")
    result = ops.create_course("d:SIS-9", "Chemistry", OWNER)
    assert result.ok and result.attempts == 2
    counts = ops.client.counter.snapshot()
    assert (counts.http_requests, counts.wire_requests, counts.retries) == (2, 3, 1)


def test_apply_then_fail_parts_are_retried_and_found_done(client, course: Hooks):
    course.faults(spec="courses.students.create=apply_then_fail@0.2", seed=3)
    results = _add_students(client)
    conflicts = [r for r in results if r.already_exists]
    assert conflicts and all(r.ok or r.already_exists for r in results)
    assert all(r.attempts >= 2 and r.error.status_code == 409 for r in conflicts)
    assert course.student_emails("d:SIS-1") == {kid(i) for i in range(N)}


def test_whole_batch_failures_retry_every_part(client, course: Hooks):
    course.faults(spec="batch=503x1")
    assert all(r.ok and r.attempts == 2 for r in _add_students(client, 10))
    course.faults(spec="batch=apply_then_failx1")
    results = client.execute([calls.add_student("d:SIS-1", kid(100 + i)) for i in range(10)])
    assert all(r.already_exists and r.attempts == 2 for r in results)
    assert len(course.student_emails("d:SIS-1")) == 20


def test_user_not_found_right_after_a_user_appears_is_retried(make_client, course: Hooks):
    course.faults(spec="user_not_found=0.3")
    retry = RetryPolicy(base=0.05, cap=0.2, max_attempts=20, rng=random.Random(1))  # real time must pass
    client = make_client(retry=retry)
    results = client.execute([calls.add_student("d:SIS-1", kid(i)) for i in range(20)]
                             + [calls.get_user_profile(f"new@{DOMAIN}")])
    assert all(r.ok and r.attempts >= 2 for r in results)
    assert client.counter.snapshot().retries >= 21
    assert len(course.student_emails("d:SIS-1")) == 20


def test_user_not_found_retry_can_be_switched_off(make_client, course: Hooks):
    course.faults(spec="user_not_found=30")
    client = make_client(retry=RetryPolicy(retry_user_not_found=False))
    result = client.execute([calls.add_student("d:SIS-1", kid(1))])[0]
    assert result.not_found and result.attempts == 1 and not result.error.retryable


def test_exhausted_retries_end_as_classified_failures(make_client, course: Hooks, sleeps):
    course.faults(spec="courses.students.create=503")
    client = make_client(retry=RetryPolicy(base=0.01, cap=0.02, max_attempts=3, sleep=sleeps))
    results = client.execute([calls.add_student("d:SIS-1", kid(i)) for i in range(5)] + [calls.get_course("d:SIS-1")])
    failed, fine = results[:5], results[5]
    assert fine.ok and fine.attempts == 1
    assert all((r.status_code, r.error.status, r.error.retryable, r.attempts) == (503, "UNAVAILABLE", True, 3)
               for r in failed)
    counts = client.counter.snapshot()
    assert (counts.retries, counts.outcomes) == (10, {"UNAVAILABLE": 5, "ok": 1})
    assert len(sleeps.sleeps) == 2


def test_conflicts_and_refusals_are_classified_and_not_retried(client, course: Hooks):
    results = client.execute([
        calls.add_student("d:SIS-1", kid(1)),
        calls.add_teacher("d:SIS-1", f"teacher@{DOMAIN}"),
    ])
    assert all(r.ok for r in results)
    before = client.counter.snapshot()
    again, outsider, ineligible, owner_removal, fine = client.execute([
        calls.add_teacher("d:SIS-1", kid(1)),  # already a student: 409
        calls.add_student("d:SIS-1", "someone@gmail.example.com"),
        calls.change_owner("d:SIS-1", kid(1)),
        calls.remove_teacher("d:SIS-1", OWNER),
        calls.add_student("d:SIS-1", kid(2)),
    ])
    assert (again.status_code, again.error.status, again.error.retryable) == (409, "ALREADY_EXISTS", False)
    assert (outsider.status_code, outsider.error.status, outsider.error.reason) == (
        403, "PERMISSION_DENIED", "CannotDirectAddUser")
    assert (ineligible.status_code, ineligible.error.status, ineligible.error.reason) == (
        400, "FAILED_PRECONDITION", "IneligibleOwner")
    assert ineligible.error.message == "The new owner must already be a teacher of the course."
    assert owner_removal.error.status == "FAILED_PRECONDITION" and owner_removal.error.reason is None
    assert fine.ok
    delta = client.counter.snapshot() - before
    assert delta.retries == 0 and delta.total_attempts == 5 and delta.http_requests == 1
