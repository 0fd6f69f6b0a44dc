"""Every route of the plugin, as Airflow mounts it, against every kind of user: who gets 401, 403, 200/303.

The route list comes from the app Airflow builds (``airflow.api_fastapi.app.create_app`` in a process with
the server's configuration), so a route added without a declared permission, or with another one than
this file expects, fails here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import func, select

from littlesis.store.actions import count_actions
from littlesis.store.base import table_of
from littlesis.store.engine import session_scope
from littlesis.store.models import AuditEntry
from littlesis.store.review import review_page
from tests.web.conftest import MATRIX_JOB, WebWorld

pytestmark = pytest.mark.slow

READ, EDIT, SIGNED_IN, PUBLIC = "read", "edit", "signed-in", "public"
# What each route must declare. A new route fails the test until it is listed here.
EXPECTED = {
    ("GET", "/"): SIGNED_IN,
    ("GET", "/jobs/{dag_id}"): READ,
    ("POST", "/jobs/{dag_id}/trigger"): EDIT,
    ("GET", "/jobs/{dag_id}/runs/{run_id}"): READ,
    ("GET", "/jobs/{dag_id}/runs/{run_id}/actions.json"): READ,
    ("POST", "/jobs/{dag_id}/runs/{run_id}/decisions"): EDIT,
    ("POST", "/jobs/{dag_id}/runs/{run_id}/commit"): EDIT,
    ("GET", "/jobs/{dag_id}/runs/{run_id}/matches/{action_id}"): READ,
    ("POST", "/jobs/{dag_id}/runs/{run_id}/matches/{action_id}"): EDIT,
    ("GET", "/jobs/{dag_id}/runs/{run_id}/excluded"): READ,
    ("GET", "/jobs/{dag_id}/history"): READ,
    ("GET", "/jobs/{dag_id}/runs/{run_id}/results.csv"): READ,
    ("GET", "/jobs/{dag_id}/clone"): EDIT,
    ("POST", "/jobs/{dag_id}/clone"): EDIT,
    ("GET", "/static"): PUBLIC,
}
# Editors' POSTs in this order: the commit approves the run, after which its decisions are closed.
POST_ORDER = ["decisions", "matches", "trigger", "clone", "commit"]

ROUTE_DUMP = """
import json
from airflow.api_fastapi.app import create_app
from fastapi.routing import APIRoute
from starlette.routing import Mount

app = create_app()
(review,) = [r.app for r in app.routes if isinstance(r, Mount) and r.path == "/littlesis"]

def declared(dependant):
    found = []
    for dep in dependant.dependencies:
        level = getattr(dep.call, "littlesis_access", None)
        found += [level] if level else []
        found += declared(dep)
    return found

routes = []
for route in review.routes:
    if isinstance(route, APIRoute):
        for method in sorted(route.methods):
            routes.append({"method": method, "path": route.path, "access": declared(route.dependant)})
    elif isinstance(route, Mount):
        routes.append({"method": "GET", "path": route.path, "access": ["public"]})
print(json.dumps(routes))
"""


@pytest.fixture(scope="module")
def routes(web: WebWorld) -> list[dict[str, object]]:
    done = subprocess.run([sys.executable, "-c", ROUTE_DUMP], env=web.server.env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_every_route_declares_exactly_the_expected_permission(routes: list[dict[str, object]]) -> None:
    found = {(r["method"], r["path"]): r["access"] for r in routes}
    assert set(found) == set(EXPECTED), "routes changed: list each new route in EXPECTED with its permission"
    for key, access in found.items():
        assert access == [EXPECTED[key]], f"{key} declares {access}, expected [{EXPECTED[key]!r}]"


@dataclass
class Target:
    """Concrete values for the path parameters, and a valid form for each POST."""

    job_id: str
    run_id: str
    action_id: str
    match_id: str
    forms: dict[str, Callable[[], dict[str, object]]]

    def url(self, path: str) -> str:
        return "/littlesis" + path.format(dag_id=f"littlesis_{self.job_id}", run_id=self.run_id,
                                          action_id=self.match_id if "matches" in path else self.action_id)


@pytest.fixture(scope="module")
def target(web: WebWorld) -> Target:
    run = web.analyze(MATRIX_JOB)
    with session_scope(web.engine, readonly=True) as session:
        first = review_page(session, run.run_id, limit=1).items[0]
        (match,) = [a for a in review_page(session, run.run_id, limit=1000).items
                    if a.kind == "link_course" and a.alternative == "link"][:1]
    clones = iter(range(1000))

    def staged() -> int:
        with session_scope(web.engine, readonly=True) as session:
            return count_actions(session, run.run_id, by="decision").get("staged", 0)

    forms: dict[str, Callable[[], dict[str, object]]] = {
        "decisions": lambda: {"decision": "stage", "action_id": first.action_id},
        "matches": lambda: {"decision": "link"},
        "trigger": dict,
        "clone": lambda: {"file_name": f"matrix_clone_{next(clones)}", "job_id": f"matrix_clone_{next(clones)}",
                          "name": "Matrix clone", "rules": "exclude: []"},
        "commit": lambda: {"staged_count": staged()},
    }
    return Target(MATRIX_JOB, run.run_id, first.action_id, match.action_id, forms)


def _form_of(path: str, target: Target) -> dict[str, object]:
    return target.forms[next(name for name in POST_ORDER if name in path)]()


def _call(client: httpx.Client, method: str, path: str, target: Target) -> httpx.Response:
    if path == "/static":
        return client.get("/littlesis/static/littlesis.css")
    if method == "GET":
        return client.get(target.url(path))
    return client.post(target.url(path), data=_form_of(path, target))


def _ordered(routes: list[dict[str, object]]) -> list[tuple[str, str]]:
    gets = [(str(r["method"]), str(r["path"])) for r in routes if r["method"] == "GET"]
    posts = [(str(r["method"]), str(r["path"])) for r in routes if r["method"] == "POST"]
    posts.sort(key=lambda mp: next(i for i, name in enumerate(POST_ORDER) if name in mp[1]))
    return gets + posts


def _last_audit_id(web: WebWorld) -> int:
    with session_scope(web.engine, readonly=True) as session:
        return int(session.execute(select(func.coalesce(func.max(table_of(AuditEntry).c.id), 0))).scalar_one())


def test_anonymous_requests_get_401_everywhere_but_static(web: WebWorld, routes, target: Target) -> None:
    with web.http() as client:
        for method, path in _ordered(routes):
            answer = _call(client, method, path, target)
            expected = 200 if EXPECTED[(method, path)] == PUBLIC else 401
            assert answer.status_code == expected, (method, path, answer.status_code, answer.text[:200])


def test_a_user_without_a_role_may_list_jobs_but_sees_none_and_may_open_nothing(web: WebWorld, routes,
                                                                               target: Target) -> None:
    with web.http("nobody") as client:
        for method, path in _ordered(routes):
            answer = _call(client, method, path, target)
            expected = {PUBLIC: 200, SIGNED_IN: 200}.get(EXPECTED[(method, path)], 403)
            assert answer.status_code == expected, (method, path, answer.status_code, answer.text[:200])
        jobs = client.get("/littlesis/")
    assert 'data-testid="job-card"' not in jobs.text and 'data-testid="no-jobs"' in jobs.text


def test_a_reader_reads_every_page_and_may_change_nothing(web: WebWorld, routes, target: Target) -> None:
    audit_before = _last_audit_id(web)
    with web.http("reader") as client:
        for method, path in _ordered(routes):
            answer = _call(client, method, path, target)
            if EXPECTED[(method, path)] == EDIT:
                assert answer.status_code == 403, (method, path, answer.status_code, answer.text[:200])
            else:
                assert answer.status_code in (200, 303), (method, path, answer.status_code, answer.text[:200])
        page = client.get(target.url("/jobs/{dag_id}/runs/{run_id}"))
    assert 'data-testid="read-only"' in page.text and 'data-testid="row-check"' not in page.text
    assert _last_audit_id(web) == audit_before  # nothing a reader did (GETs, refused POSTs) left a trace


def test_an_editor_may_do_everything(web: WebWorld, routes, target: Target) -> None:
    audit_before = _last_audit_id(web)
    with web.http("editor") as client:
        for method, path in _ordered(routes):
            answer = _call(client, method, path, target)
            expected = (200, 303) if method == "GET" else (303,)
            assert answer.status_code in expected, (method, path, answer.status_code, answer.text[:300])
    actions = {entry for (entry,) in _audit_actions(web, audit_before)}
    assert actions == {"actions.stage", "actions.exclude", "match.decide", "dag.trigger", "job.clone", "run.approve"}
    assert web.run(target.run_id).approved_by == "editor"


def _audit_actions(web: WebWorld, after_id: int) -> list[tuple[str]]:
    t = table_of(AuditEntry)
    with session_scope(web.engine, readonly=True) as session:
        return [tuple(row) for row in session.execute(select(t.c.action).where(t.c.id > after_id))]
