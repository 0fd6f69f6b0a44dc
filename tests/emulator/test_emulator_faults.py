"""Fault injection and quota: each fault kind, seen through the real client."""

from __future__ import annotations

import http.client
import json
import time

import httplib2
import pytest
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

from littlesis.emulator import EmulatorServer
from littlesis.emulator.faults import FaultPlan, FaultSpecError, parse_spec
from littlesis.emulator.quota import QuotaGate
from tests.emulator.helpers import (
    DOMAIN,
    OWNER,
    BearerHttp,
    build_classroom,
    error_of,
    expect_error,
    make_course,
    run_batch,
)

KID = f"kid@{DOMAIN}"


def test_spec_grammar():
    rules, grace = parse_spec(
        "courses.students.create=429@0.1; *=503@0.05;*=drop@0.02;*=latency:300@0.1;"
        "classroom.courses.get=apply_then_failx2;/v1/courses/*=500;batch=apply_then_drop;user_not_found=2.5"
    )
    assert grace == 2.5
    assert [(r.target, r.kind, r.code, r.latency_ms, r.probability, r.remaining) for r in rules] == [
        ("courses.students.create", "error", 429, 0, 0.1, None),
        ("*", "error", 503, 0, 0.05, None),
        ("*", "drop", 0, 0, 0.02, None),
        ("*", "latency", 0, 300, 0.1, None),
        ("courses.get", "apply_then_fail", 0, 0, 1.0, 2),
        ("/v1/courses/*", "error", 500, 0, 1.0, None),
        ("batch", "apply_then_drop", 0, 0, 1.0, None),
    ]
    assert parse_spec("") == ([], 0.0)


@pytest.mark.parametrize(
    "spec", ["courses.get", "courses.get=418", "courses.get=explode", "*=503@1.5", "*=latency:abc",
             "user_not_found=soon", "=503", "*=503@0.5xmany"]
)
def test_bad_specs_are_refused(spec):
    with pytest.raises(FaultSpecError):
        parse_spec(spec)


def test_star_matches_api_methods_but_not_the_batch_envelope():
    plan = FaultPlan("*=503")
    assert plan.decide("courses.get", "/v1/courses/1") is not None
    assert plan.decide("batch", "/batch") is None
    assert FaultPlan("batch=503").decide("batch", "/batch") is not None


def test_draws_are_deterministic_per_seed():
    def pattern(seed: int) -> list[bool]:
        plan = FaultPlan("courses.get=503@0.5", seed)
        return [plan.decide("courses.get", "/v1/courses/1") is not None for _ in range(40)]

    assert pattern(7) == pattern(7)
    assert pattern(7) != pattern(8)
    assert 5 < sum(pattern(7)) < 35


def test_quota_bucket_refills_at_the_rate():
    now = [100.0]
    gate = QuotaGate(2.0, clock=lambda: now[0])
    assert [gate.take("a") for _ in range(3)] == [True, True, False]
    assert gate.take("b")  # buckets are per user
    now[0] += 0.5
    assert gate.take("a") and not gate.take("a")
    gate.qps = None
    assert all(gate.take("a") for _ in range(100))


@pytest.mark.parametrize(("code", "status"), [(429, "RESOURCE_EXHAUSTED"), (500, "INTERNAL"), (503, "UNAVAILABLE")])
def test_error_faults_per_method(classroom, hooks, code, status):
    make_course(classroom)
    hooks.faults(spec=f"courses.students.create={code}")
    expect_error(classroom.courses().students().create(courseId="d:SIS-1", body={"userId": KID}), code, status)
    assert classroom.courses().get(id="d:SIS-1").execute()  # other methods are untouched
    assert hooks.state()["courses"][0]["students"] == []  # nothing was applied
    assert hooks.journal()[-2]["fault"] == str(code)


def test_count_limited_fault_then_recovery(classroom, hooks):
    make_course(classroom)
    hooks.faults(spec="courses.get=503x2")
    for _ in range(2):
        expect_error(classroom.courses().get(id="d:SIS-1"), 503, "UNAVAILABLE")
    assert classroom.courses().get(id="d:SIS-1").execute()["name"] == "Biology 10"


def test_route_glob_faults(classroom, hooks):
    make_course(classroom)
    hooks.faults(spec="/v1/courses/*/teachers=500")
    expect_error(classroom.courses().teachers().list(courseId="d:SIS-1"), 500, "INTERNAL")
    assert classroom.courses().students().list(courseId="d:SIS-1").execute() == {}


def test_faults_in_batch_parts(classroom, http, base_url, hooks):
    make_course(classroom)
    hooks.faults(spec="courses.students.create=503@0.5", seed=3)
    requests = [classroom.courses().students().create(courseId="d:SIS-1", body={"userId": f"s{i}@{DOMAIN}"})
                for i in range(30)]
    results = run_batch(base_url, http, requests)
    failed = [i for i, (_, exc) in enumerate(results) if exc is not None]
    assert 0 < len(failed) < 30
    assert all(error_of(results[i][1])[:2] == (503, "UNAVAILABLE") for i in failed)
    assert len(hooks.state()["courses"][0]["students"]) == 30 - len(failed)
    parts = hooks.journal()[-1]["parts"]
    assert [i for i, p in enumerate(parts) if p["fault"]] == failed


def test_latency_fault_and_latency_ms(classroom, http, base_url, hooks):
    make_course(classroom)
    hooks.faults(spec="courses.get=latency:200")
    started = time.monotonic()
    classroom.courses().get(id="d:SIS-1").execute()
    assert time.monotonic() - started >= 0.2
    assert hooks.journal()[-1]["delayMs"] == 200

    hooks.faults(spec="", latencyMs=150)
    started = time.monotonic()
    run_batch(base_url, http, [classroom.courses().get(id="d:SIS-1") for _ in range(10)])
    assert time.monotonic() - started >= 0.15
    assert hooks.journal()[-1]["delayMs"] == 150  # a batch is one HTTP request: latency once


def test_dropped_connection(classroom, hooks, fresh_http, base_url):
    make_course(classroom)
    hooks.faults(spec="courses.get=drop")
    dropping = build_classroom(fresh_http, base_url)
    with pytest.raises(http.client.HTTPException):
        dropping.courses().get(id="d:SIS-1").execute()
    entries = [e for e in hooks.journal() if e["methodId"] == "courses.get"]
    # httplib2 resends once on a connection closed without an answer
    assert [(e["status"], e["fault"]) for e in entries] == [(None, "drop"), (None, "drop")]


def test_dropped_batch(classroom, hooks, fresh_http, base_url):
    make_course(classroom)
    hooks.faults(spec="batch=drop")
    batch = BatchHttpRequest(batch_uri=base_url + "batch")
    batch.add(classroom.courses().get(id="d:SIS-1"))
    with pytest.raises(http.client.HTTPException):
        batch.execute(http=fresh_http)


def test_batch_envelope_error(classroom, http, base_url, hooks):
    make_course(classroom)
    hooks.faults(spec="batch=503x1")
    batch = BatchHttpRequest(batch_uri=base_url + "batch")
    batch.add(classroom.courses().students().create(courseId="d:SIS-1", body={"userId": KID}))
    with pytest.raises(HttpError) as caught:
        batch.execute(http=http)
    assert caught.value.status_code == 503
    assert hooks.state()["courses"][0]["students"] == []


def test_apply_then_fail_applies_the_write(classroom, hooks):
    make_course(classroom)
    hooks.faults(spec="courses.students.create=apply_then_failx1")
    expect_error(classroom.courses().students().create(courseId="d:SIS-1", body={"userId": KID}),
                 503, "UNAVAILABLE")
    assert [s["emailAddress"] for s in hooks.state()["courses"][0]["students"]] == [KID]
    # so the retry finds the student already there
    expect_error(classroom.courses().students().create(courseId="d:SIS-1", body={"userId": KID}),
                 409, "ALREADY_EXISTS")


def test_apply_then_fail_on_create_with_alias_makes_retries_409(classroom, hooks):
    hooks.faults(spec="courses.create=apply_then_failx1")
    expect_error(classroom.courses().create(body={"id": "d:X", "name": "X", "ownerId": OWNER}), 503, "UNAVAILABLE")
    expect_error(classroom.courses().create(body={"id": "d:X", "name": "X", "ownerId": OWNER}),
                 409, "ALREADY_EXISTS")
    assert len(hooks.state()["courses"]) == 1


def test_apply_then_drop_and_httplib2s_silent_resend(classroom, hooks, fresh_http, base_url):
    make_course(classroom)
    hooks.faults(spec="courses.students.create=apply_then_dropx1")
    client = build_classroom(fresh_http, base_url)
    # httplib2 resends a request whose connection closed unanswered, even a POST: the
    # resend meets the already-applied write.
    expect_error(client.courses().students().create(courseId="d:SIS-1", body={"userId": KID}),
                 409, "ALREADY_EXISTS")
    statuses = [e["status"] for e in hooks.journal() if e["methodId"] == "courses.students.create"]
    assert statuses == [None, 409]


def test_new_users_are_not_found_for_a_while(classroom, hooks):
    make_course(classroom)
    hooks.faults(spec="user_not_found=0.8")
    create = classroom.courses().students().create
    expect_error(create(courseId="d:SIS-1", body={"userId": KID}), 404, "NOT_FOUND")
    expect_error(classroom.userProfiles().get(userId=KID), 404, "NOT_FOUND")
    time.sleep(0.85)
    assert create(courseId="d:SIS-1", body={"userId": KID}).execute()["profile"]["emailAddress"] == KID


def test_users_of_the_startup_seed_exist_from_the_start():
    seed = {"domains": [DOMAIN], "users": [{"email": OWNER}], "courses": [
        {"name": "Bio", "ownerEmail": OWNER, "aliases": ["d:B"], "studentEmails": [KID]}]}
    with EmulatorServer(seed=seed, faults="user_not_found=60") as server:
        pool = httplib2.Http(timeout=30)
        try:
            client = build_classroom(pool, server.base_url)
            assert client.courses().students().get(courseId="d:B", userId=KID).execute()
            expect_error(client.courses().students().create(courseId="d:B", body={"userId": f"new@{DOMAIN}"}),
                         404, "NOT_FOUND")
        finally:
            pool.close()


def test_quota_counts_batch_parts_per_user(classroom, hooks, base_url):
    make_course(classroom)
    hooks.faults(quotaQps=5)
    pools = [BearerHttp("admin@district.example.org"), BearerHttp("other-admin@district.example.org")]
    try:
        outcomes = []
        for pool in pools:
            client = build_classroom(pool, base_url)
            results = run_batch(base_url, pool, [client.courses().get(id="d:SIS-1") for _ in range(20)])
            outcomes.append(results)
        for results in outcomes:
            ok = sum(exc is None for _, exc in results)
            assert 5 <= ok <= 7  # the bucket holds 5, plus what refills during the batch
            limited = [exc for _, exc in results if exc is not None]
            assert all(error_of(exc)[:2] == (429, "RESOURCE_EXHAUSTED") for exc in limited)
            details = json.loads(limited[0].content)["error"]["details"][0]
            assert details["reason"] == "RATE_LIMIT_EXCEEDED"
    finally:
        for pool in pools:
            pool.close()
    assert hooks.journal()[-1]["parts"][-1]["fault"] == "quota"


def test_quota_on_single_calls_and_switching_it_off(classroom, hooks):
    make_course(classroom)
    hooks.faults(quotaQps=1)
    classroom.courses().get(id="d:SIS-1").execute()
    expect_error(classroom.courses().get(id="d:SIS-1"), 429, "RESOURCE_EXHAUSTED")
    hooks.faults(quotaQps=None)
    for _ in range(5):
        classroom.courses().get(id="d:SIS-1").execute()


def test_faults_hook_reports_and_rejects(hooks):
    described = hooks.faults(spec="courses.get=503@0.5", seed=9, latencyMs=5)
    assert described["rules"] == ["courses.get=503@0.5"] and described["seed"] == 9 and described["latencyMs"] == 5
    status, body = hooks.request("POST", "_emulator/faults", {"spec": "courses.get=teapot"})
    assert status == 400 and body["error"]["status"] == "INVALID_ARGUMENT"
    assert hooks.request("GET", "_emulator/faults")[1]["rules"] == ["courses.get=503@0.5"]
    hooks.reset()
    assert hooks.request("GET", "_emulator/faults")[1]["rules"] == []
