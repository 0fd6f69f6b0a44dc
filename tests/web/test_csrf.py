"""CSRF: a browser session's POST needs the token of that very session; scripts with a Bearer header don't."""

from __future__ import annotations

import pytest

from littlesis.store.actions import count_actions
from littlesis.store.engine import session_scope
from littlesis.store.review import review_page
from tests.web.conftest import WebWorld, run_path

pytestmark = pytest.mark.slow


@pytest.fixture
def waiting(web: WebWorld) -> tuple[str, str, str]:
    """A fresh job with an analyzed run waiting for review, and the first action of its plan."""
    job_id = web.fresh_job()
    run = web.analyze(job_id)
    with session_scope(web.engine, readonly=True) as session:
        first = review_page(session, run.run_id, limit=1).items[0]
    return job_id, run.run_id, first.action_id


def _staged(web: WebWorld, run_id: str) -> int:
    with session_scope(web.engine, readonly=True) as session:
        return count_actions(session, run_id, by="decision").get("staged", 0)


def test_a_session_post_without_the_token_or_with_a_wrong_one_is_refused(web: WebWorld, waiting) -> None:
    job_id, run_id, action_id = waiting
    url = run_path(job_id, run_id, "decisions")
    with web.http("editor", cookie=True) as browser:
        token = web.csrf_of(browser.get(run_path(job_id, run_id)))
        missing = browser.post(url, data={"decision": "stage", "action_id": action_id})
        wrong = browser.post(url, data={"decision": "stage", "action_id": action_id, "csrf_token": "0" * 64})
        truncated = browser.post(url, data={"decision": "stage", "action_id": action_id, "csrf_token": token[:-1]})
        assert (missing.status_code, wrong.status_code, truncated.status_code) == (403, 403, 403)
        assert "CSRF" in missing.json()["detail"]
        assert _staged(web, run_id) == 0
        right = browser.post(url, data={"decision": "stage", "action_id": action_id, "csrf_token": token})
        assert right.status_code == 303
        assert _staged(web, run_id) == 1
        by_header = browser.post(url, data={"decision": "unstage", "action_id": action_id},
                                 headers={"X-CSRF-Token": token})
        assert by_header.status_code == 303
    assert _staged(web, run_id) == 0


def test_the_token_of_another_session_is_refused(web: WebWorld, waiting) -> None:
    job_id, run_id, action_id = waiting
    url = run_path(job_id, run_id, "decisions")
    with web.http("reader", cookie=True) as reader:
        readers_token = web.csrf_of(reader.get(run_path(job_id, run_id)))
    other_login = web.server.client("editor", cookie=True, fresh_token=True)
    with other_login, web.http("editor", cookie=True) as browser:
        other_token = web.csrf_of(other_login.get(run_path(job_id, run_id)))
        mine = web.csrf_of(browser.get(run_path(job_id, run_id)))
        assert len({readers_token, other_token, mine}) == 3
        for token in (readers_token, other_token):
            answer = browser.post(url, data={"decision": "stage", "action_id": action_id, "csrf_token": token})
            assert answer.status_code == 403, token
    assert _staged(web, run_id) == 0


def test_every_post_route_checks_the_token(web: WebWorld, waiting) -> None:
    """Trigger, commit, match and clone refuse a session POST without the token before doing anything."""
    job_id, run_id, action_id = waiting
    posts = [f"/littlesis/jobs/littlesis_{job_id}/trigger", run_path(job_id, run_id, "commit"),
             run_path(job_id, run_id, "matches", action_id), f"/littlesis/jobs/littlesis_{job_id}/clone",
             run_path(job_id, run_id, "decisions")]
    with web.http("editor", cookie=True) as browser:
        for url in posts:
            answer = browser.post(url, data={"decision": "stage", "staged_count": 0, "file_name": "x",
                                             "job_id": "x", "name": "x"})
            assert answer.status_code == 403, url
            assert "CSRF" in answer.json()["detail"], url
    assert web.run(run_id).state == "pending_review"
    assert not (web.configs / "x.yaml").exists()


def test_a_script_with_a_bearer_header_needs_no_token_but_a_cookie_beside_it_does(web: WebWorld, waiting) -> None:
    job_id, run_id, action_id = waiting
    url = run_path(job_id, run_id, "decisions")
    with web.http("editor") as script:
        assert script.post(url, data={"decision": "stage", "action_id": action_id}).status_code == 303
        # The same Bearer header with a session cookie: a browser could be carrying it, so the token counts.
        script.cookies.set("_token", web.server.token("editor"))
        assert script.post(url, data={"decision": "unstage", "action_id": action_id}).status_code == 403
    assert _staged(web, run_id) == 1
