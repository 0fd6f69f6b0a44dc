"""Who the caller is (bearer token subject) and many clients at once."""

from __future__ import annotations

import base64
import json
import threading

import httplib2
import pytest

from littlesis.emulator.identity import ANONYMOUS, caller
from tests.emulator.helpers import DOMAIN, BearerHttp, build_classroom, make_course, run_batch


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _jwt(claims: dict) -> str:
    return f"{_b64({'alg': 'none'})}.{_b64(claims)}.sig"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, (None, ANONYMOUS)),
        ({"authorization": "Basic abc"}, (None, ANONYMOUS)),
        ({"authorization": "Bearer Admin@District.Example.org"}, ("admin@district.example.org",) * 2),
        ({"authorization": f"Bearer {_jwt({'sub': 'a.b@district.example.org'})}"}, ("a.b@district.example.org",) * 2),
        ({"authorization": f"Bearer {_jwt({'iss': 'x'})}"}, (None, f"{_jwt({'iss': 'x'})}")),
        ({"authorization": "Bearer ya29.opaque-token"}, (None, "ya29.opaque-token")),
    ],
)
def test_caller_from_bearer_token(headers, expected):
    assert caller(headers) == expected


def test_me_is_the_token_subject(classroom, base_url):
    pool = BearerHttp(f"Teach@{DOMAIN}")
    try:
        me = build_classroom(pool, base_url).userProfiles().get(userId="me").execute()
    finally:
        pool.close()
    assert me["emailAddress"] == f"teach@{DOMAIN}"


def test_concurrent_batches_lose_no_writes(classroom, hooks, base_url):
    make_course(classroom)
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        pool = httplib2.Http(timeout=30)
        try:
            client = build_classroom(pool, base_url)
            for round_ in range(3):
                requests = [
                    client.courses().students().create(
                        courseId="d:SIS-1", body={"userId": f"w{index}-{round_}-{i}@{DOMAIN}"})
                    for i in range(25)
                ]
                results = run_batch(base_url, pool, requests)
                errors.extend(exc for _, exc in results if exc is not None)
        except BaseException as exc:
            errors.append(exc)
        finally:
            pool.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(hooks.state()["courses"][0]["students"]) == 4 * 3 * 25
    assert len([e for e in hooks.journal() if e["methodId"] == "batch"]) == 12
