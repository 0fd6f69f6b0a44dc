"""The pure parts: error classification, call builders, the token bucket, the retry rounds."""

from __future__ import annotations

import json
import random
import threading

import pytest

from littlesis.classroom import CallCounter, RetryPolicy, TokenBucket, calls
from littlesis.classroom.errors import classify, transport_error
from littlesis.classroom.protocol import ApiErrorInfo, Call, CallResult
from littlesis.classroom.ratelimit import default_burst, shared_bucket
from littlesis.classroom.retry import run_with_retries


def _body(code: int, status: str, message: str, **extra) -> bytes:
    return json.dumps({"error": {"code": code, "status": status, "message": message, **extra}}).encode()


@pytest.mark.parametrize(("code", "content", "expected"), [
    (400, _body(400, "FAILED_PRECONDITION", "@IneligibleOwner The new owner must already be a teacher."),
     ApiErrorInfo(400, "FAILED_PRECONDITION", "IneligibleOwner", "The new owner must already be a teacher.", False)),
    (403, _body(403, "PERMISSION_DENIED", "@CannotDirectAddUser Unable to add."),
     ApiErrorInfo(403, "PERMISSION_DENIED", "CannotDirectAddUser", "Unable to add.", False)),
    (409, _body(409, "ALREADY_EXISTS", "Requested entity already exists"),
     ApiErrorInfo(409, "ALREADY_EXISTS", None, "Requested entity already exists", False)),
    (429, _body(429, "RESOURCE_EXHAUSTED", "Quota exceeded", details=[{"reason": "RATE_LIMIT_EXCEEDED"}]),
     ApiErrorInfo(429, "RESOURCE_EXHAUSTED", None, "Quota exceeded", True)),
    (429, _body(429, "RESOURCE_EXHAUSTED", "@UserInvitationQuotaExhausted Too many invitations today."),
     ApiErrorInfo(429, "RESOURCE_EXHAUSTED", "UserInvitationQuotaExhausted", "Too many invitations today.", False)),
    (403, _body(403, "PERMISSION_DENIED", "Rate limit", errors=[{"reason": "userRateLimitExceeded"}]),
     ApiErrorInfo(403, "PERMISSION_DENIED", None, "Rate limit", True)),
    (502, b"<html>Bad gateway</html>", ApiErrorInfo(502, "UNAVAILABLE", None, "<html>Bad gateway</html>", True)),
    (504, b"", ApiErrorInfo(504, "DEADLINE_EXCEEDED", None, "", True)),
    (418, "[1, 2]", ApiErrorInfo(418, "UNKNOWN", None, "[1, 2]", False)),
])
def test_classify(code, content, expected):
    assert classify(code, content) == expected


def test_describe_and_transport_errors():
    info = classify(400, _body(400, "FAILED_PRECONDITION", "@CourseNotModifiable Archived."))
    assert info.describe() == "400 FAILED_PRECONDITION @CourseNotModifiable: Archived."
    dropped = transport_error(ConnectionResetError("reset by peer"))
    assert (dropped.status_code, dropped.status, dropped.retryable) == (0, "TRANSPORT", True)
    assert dropped.message == "ConnectionResetError: reset by peer"


def test_builders_make_plain_data_with_minimal_fields_and_big_pages():
    assert calls.list_students("d:SIS-1") == Call(
        "courses.students.list", {"courseId": "d:SIS-1"}, {"pageSize": 1000},
        fields="students(userId,profile(emailAddress,name(givenName,familyName))),nextPageToken")
    assert calls.list_courses(["ACTIVE"]).query == {"pageSize": 1000, "courseStates": ["ACTIVE"]}
    assert calls.list_courses().fields == f"courses({calls.COURSE_FIELDS}),nextPageToken"
    create = calls.create_course("d:SIS-1", "Bio", "o@x.org", section="P1")
    assert create.body == {"name": "Bio", "ownerId": "o@x.org", "id": "d:SIS-1", "section": "P1"}
    assert create.retry_not_found and calls.add_student("c", "u").retry_not_found
    assert not calls.remove_student("c", "u").retry_not_found
    assert calls.change_owner("c", "u") == Call("courses.patch", {"id": "c"}, {"updateMask": "ownerId"},
                                                {"ownerId": "u"}, calls.COURSE_FIELDS, True)
    assert not calls.patch_course("c", {"section": "x"}).retry_not_found
    with pytest.raises(ValueError):
        calls.patch_course("c", {})
    assert calls.list_guardian_invitations().path == {"studentId": "-"}
    assert calls.items_key("userProfiles.guardianInvitations.list") == "guardianInvitations"
    page2 = calls.list_aliases("c").with_query(pageToken="t")
    assert page2.query == {"pageSize": 1000, "pageToken": "t"} and page2.fields == "aliases(alias),nextPageToken"


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds


def test_token_bucket_allows_a_burst_then_the_rate():
    clock = FakeClock()
    bucket = TokenBucket(100.0, clock=clock, sleep=clock.sleep)
    assert (bucket.capacity, bucket.max_batch) == (50.0, 50)
    assert bucket.acquire(50) == 0.0  # the burst
    assert bucket.acquire(50) == pytest.approx(0.5)  # then 100 per second
    assert bucket.acquire(1) == pytest.approx(0.01)
    clock.now += 10  # idle time refills only up to the burst
    assert bucket.acquire(50) == 0.0 and bucket.acquire(1) == pytest.approx(0.01)
    assert (default_burst(20), default_burst(1), default_burst(1000)) == (10.0, 1.0, 50.0)
    with pytest.raises(ValueError):
        TokenBucket(0)


def test_token_bucket_is_fair_and_exact_across_threads():
    """Eight threads taking 500 tokens at 1000/s with a burst of 10: the last one is served at 0.49 s."""
    clock = FakeClock()
    bucket = TokenBucket(1000.0, burst=10, clock=clock, sleep=lambda s: None)
    waits: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(50):
            wait = bucket.acquire(1)
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(waits) == 500
    assert max(waits) == pytest.approx(0.49)  # (500 - 10) / 1000: no token lost or double-spent
    assert sorted(waits) == pytest.approx([max(0.0, (i - 9) / 1000) for i in range(500)])


def test_shared_buckets_are_per_key_and_rate():
    assert shared_bucket("a", 20) is shared_bucket("a", 20)
    assert shared_bucket("a", 20) is not shared_bucket("b", 20)


def test_full_jitter_backoff_is_capped():
    policy = RetryPolicy(base=1.0, cap=8.0, rng=random.Random(0))
    for failed in range(1, 10):
        draws = [policy.delay(failed) for _ in range(200)]
        bound = min(8.0, 2 ** (failed - 1))
        assert all(0 <= d <= bound for d in draws) and max(draws) > bound * 0.9
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)


class ScriptedSend:
    """A send round that answers from a script: per method, the statuses of successive attempts."""

    def __init__(self, script: dict[str, list[int]]) -> None:
        self.script = {k: list(v) for k, v in script.items()}
        self.rounds: list[tuple[list[str], int]] = []

    def __call__(self, batch, halvings):
        self.rounds.append(([c.method for c in batch], halvings))
        answers = []
        for call in batch:
            code = self.script[call.method].pop(0)
            if code == 200:
                answers.append(CallResult(call, 200, {}))
            elif code == 0:
                answers.append(CallResult(call, 0, None, transport_error(OSError("dropped"))))
            else:
                answers.append(CallResult(call, code, None, classify(code, b"")))
        return answers


def test_retry_rounds_rebatch_only_the_retryable_failures():
    sleeps: list[float] = []
    policy = RetryPolicy(base=1.0, cap=4.0, max_attempts=4, sleep=sleeps.append, rng=random.Random(2))
    send = ScriptedSend({"a": [429, 503, 200], "b": [200], "c": [404, 200], "d": [404], "e": [0, 0, 0, 0]})
    counter = CallCounter()
    work = [Call("a"), Call("b"), Call("c", retry_not_found=True), Call("d"), Call("e")]
    results = run_with_retries(work, send, policy, counter)
    assert [(r.call.method, r.status_code, r.attempts) for r in results] == [
        ("a", 200, 3), ("b", 200, 1), ("c", 200, 2), ("d", 404, 1), ("e", 0, 4)]
    assert send.rounds == [(["a", "b", "c", "d", "e"], 0), (["a", "c", "e"], 1), (["a", "e"], 2), (["e"], 3)]
    assert len(sleeps) == 3 and all(0 <= s <= min(4.0, 2 ** i) for i, s in enumerate(sleeps))
    counts = counter.snapshot()
    assert counts.retries == 6 and counts.outcomes == {"ok": 3, "NOT_FOUND": 1, "TRANSPORT": 1}
    assert counts.calls == dict.fromkeys("abcde", 1)


def test_counter_snapshots_subtract():
    counter = CallCounter()
    counter.record_calls(["x", "y"])
    before = counter.snapshot()
    counter.record_calls(["x"])
    counter.add("http_requests", 2)
    delta = counter.snapshot() - before
    assert (delta.calls, delta.http_requests, delta.total_calls) == ({"x": 1}, 2, 1)
    with pytest.raises(ValueError):
        counter.add("bogus")
