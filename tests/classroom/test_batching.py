"""Batches of at most 50, what listing costs, concurrency, and the rate limit against the emulator's quota."""

from __future__ import annotations

import random

from littlesis.classroom import ClassroomOps, RetryPolicy, TokenBucket, calls
from tests.classroom.helpers import DOMAIN, Hooks, course_seed, kid


def _batch_sizes(hooks: Hooks) -> list[int]:
    return [len(e["parts"]) for e in hooks.journal() if e["methodId"] == "batch"]


def test_calls_are_split_into_batches_of_50(client, hooks: Hooks):
    hooks.seed({"courses": [course_seed("d:SIS-1")]})
    results = client.execute([calls.add_student("d:SIS-1", kid(i)) for i in range(120)])
    assert all(r.ok for r in results)
    assert [r.body["profile"]["emailAddress"] for r in results] == [kid(i) for i in range(120)]  # in order
    assert _batch_sizes(hooks) == [50, 50, 20]
    counts = client.counter.snapshot()
    assert (counts.calls, counts.attempts) == ({"courses.students.create": 120}, {"courses.students.create": 120})
    assert (counts.http_requests, counts.batches, counts.wire_requests, counts.retries) == (3, 3, 3, 0)
    assert counts.outcomes == {"ok": 120}
    assert len(hooks.student_emails("d:SIS-1")) == 120


def test_batch_size_follows_the_limiter_burst(make_client, hooks: Hooks):
    hooks.seed({"courses": [course_seed("d:SIS-1")]})
    client = make_client(limiter=TokenBucket(1000.0, burst=20))
    assert client.batch_size == 20
    client.execute([calls.add_student("d:SIS-1", kid(i)) for i in range(45)])
    assert _batch_sizes(hooks) == [20, 20, 5]


def test_listing_the_rosters_of_n_courses_costs_one_call_per_course_and_kind(client, hooks: Hooks):
    """61 courses: 60 with one-page rosters, one with 75 students (three pages of 30)."""
    seeds = [course_seed(f"d:R-{i}", students=i % 31, teachers=i % 3, start=100 * i) for i in range(60)]
    seeds.append(course_seed("d:BIG", students=75, start=9000))
    hooks.seed({"courses": seeds})
    aliases = [f"d:R-{i}" for i in range(60)] + ["d:BIG"]
    rosters = ClassroomOps(client).list_rosters(aliases)
    counts = client.counter.snapshot()
    assert counts.calls == {"courses.aliases.list": 61, "courses.teachers.list": 61, "courses.students.list": 63}
    # round 1: 183 first pages in ceil(183/50) = 4 batches; then page 2 and page 3 of the big one, alone.
    assert (counts.http_requests, counts.batches, counts.retries) == (6, 4, 0)
    state = {c["aliases"][0]: c for c in hooks.state()["courses"]}
    for alias, roster in rosters.items():
        assert roster.ok and roster.aliases == state[alias]["aliases"]
        assert [m.user_id for m in roster.students] == [s["userId"] for s in state[alias]["students"]]
        assert [m.email for m in roster.teachers] == [t["emailAddress"] for t in state[alias]["teachers"]]
    assert len(rosters["d:BIG"].students) == 75


def test_concurrent_batches_keep_results_in_order(make_client, hooks: Hooks):
    hooks.seed({"courses": [course_seed("d:SIS-1"), course_seed("d:SIS-2")]})
    client = make_client(concurrency=3)
    work = [calls.add_student(f"d:SIS-{1 + i % 2}", kid(i)) for i in range(230)]
    results = client.execute(work)
    assert [r.call for r in results] == work and all(r.ok for r in results)
    assert sorted(_batch_sizes(hooks)) == [30, 50, 50, 50, 50]
    assert len(hooks.student_emails("d:SIS-1")) == len(hooks.student_emails("d:SIS-2")) == 115


def test_the_limiter_keeps_calls_under_the_emulator_quota(make_client, hooks: Hooks):
    """At the quota's rate no call is refused; the bucket's burst (half a second) leaves headroom for jitter."""
    hooks.seed({"courses": [course_seed("d:SIS-1")]})
    hooks.faults(quotaQps=200)
    client = make_client(limiter=TokenBucket(200.0))
    results = client.execute([calls.add_student("d:SIS-1", kid(i)) for i in range(300)])
    assert all(r.ok and r.attempts == 1 for r in results)
    assert 429 not in hooks.part_statuses()
    assert client.counter.snapshot().retries == 0
    assert len(hooks.student_emails("d:SIS-1")) == 300


def test_without_the_limiter_the_quota_answers_429_and_retries_lose_nothing(make_client, hooks: Hooks):
    hooks.seed({"courses": [course_seed("d:SIS-1")]})
    hooks.faults(quotaQps=200)
    retry = RetryPolicy(base=0.1, cap=0.5, max_attempts=15, rng=random.Random(3))  # real sleeps: the quota refills
    client = make_client(retry=retry)
    results = client.execute([calls.add_student("d:SIS-1", kid(i)) for i in range(300)])
    assert all(r.ok for r in results)
    statuses = hooks.part_statuses()
    assert statuses.count(429) == client.counter.snapshot().retries > 0
    assert statuses.count(200) == 300
    assert len(hooks.student_emails("d:SIS-1")) == 300


def test_429_from_the_quota_is_classified_with_its_detail(make_client, hooks: Hooks):
    hooks.faults(quotaQps=1)
    client = make_client(retry=RetryPolicy(max_attempts=1))
    results = client.execute([calls.get_user_profile(f"u{i}@{DOMAIN}") for i in range(3)])
    assert results[0].ok
    assert [r.error.status for r in results[1:]] == ["RESOURCE_EXHAUSTED"] * 2
    assert all(r.error.retryable and r.attempts == 1 for r in results[1:])
