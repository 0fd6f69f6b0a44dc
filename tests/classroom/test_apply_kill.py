"""kill -9 of the commit process half way, then a rerun: it finishes, and no write lands twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

from littlesis.store import runs
from littlesis.store.engine import session_scope
from littlesis.store.filters import ActionFilter
from littlesis.store.records import ActionRecord
from tests.classroom.apply_support import (
    DEMO,
    analyze,
    assert_no_duplicates,
    classroom_view,
    commit,
    new_store,
    results,
    sis_view,
    stage,
    status_counts,
)
from tests.classroom.helpers import ADMIN, DOMAIN, Hooks
from tests.conftest import ROOT

WRITES = {"create_course": "courses.create", "add_student": "courses.students.create",
          "invite_guardian": "userProfiles.guardianInvitations.create"}


def _child_env(base_url: str, store_path) -> dict[str, str]:
    classroom = {"conn_type": "google_cloud_platform",
                 "extra": {"api_endpoint": base_url, "delegated_admin": ADMIN, "qps": 400, "concurrency": 1}}
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": f"{ROOT / 'plugins'}:{ROOT}",
            "AIRFLOW_CONN_LITTLESIS_CLASSROOM": json.dumps(classroom),
            "AIRFLOW_CONN_LITTLESIS_STORE": json.dumps({"conn_type": "sqlite", "host": str(store_path)}),
            "AIRFLOW_HOME": str(store_path.parent / "airflow")}


def _landed(action: ActionRecord, state: dict) -> bool:
    """Whether Classroom already holds what this action asks for."""
    if action.kind == "create_course":
        return any(action.target in c["aliases"] for c in state["courses"])
    if action.kind == "add_student":
        course = next((c for c in state["courses"] if action.target in c["aliases"]), None)
        return course is not None and action.payload["userId"] in {m["emailAddress"] for m in course["students"]}
    email = {u["id"]: u["emailAddress"] for u in state["users"]}
    return (action.payload["studentId"], action.payload["invitedEmailAddress"]) in {
        (email[g["studentId"]], g["invitedEmailAddress"]) for g in state["guardianInvitations"]}


@pytest.mark.slow
def test_a_commit_killed_half_way_is_finished_by_a_rerun_without_duplicates(make_client, hooks: Hooks, tmp_path):
    hooks.reset()
    hooks.seed({"domains": [DOMAIN], "auto_users": True, "guardians_enabled": True})
    store_path = tmp_path / "store.db"
    engine = new_store(store_path)
    analyze(engine, hooks, DEMO, "r1")
    stage(engine, "r1")
    hooks.faults(latencyMs=100)

    child = subprocess.Popen([sys.executable, "-m", "tests.classroom.apply_child", "r1", DOMAIN, "25", "2"],
                             cwd=ROOT, env=_child_env(hooks.base_url, store_path),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while status_counts(engine, "r1").get("done", 0) < 200:
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "the commit made no progress"
            time.sleep(0.005)
        # The emulator journals a batch once its parts ran, then holds the answer back 100 ms: kill then,
        # with the wave applied and not recorded.
        seen = len(hooks.journal())
        while len(hooks.journal()) == seen:
            assert time.monotonic() < deadline, "the commit sent nothing more"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.communicate()
    assert child.returncode == -signal.SIGKILL

    hooks.faults(latencyMs=0)
    time.sleep(0.2)  # let the emulator finish the request the child was waiting on
    with session_scope(engine, readonly=True) as session:
        assert runs.require_run(session, "r1").state == "committing"
    pending = [a for a in results(engine, "r1").values() if a.status == "pending"]
    done_before = status_counts(engine, "r1")["done"]
    assert 0 < len(pending) < 459 - 200 + 25
    state = hooks.state()
    landed = {a.action_id for a in pending if _landed(a, state)}
    assert landed  # the wave in flight

    report = commit(make_client(), engine, "r1", lock_wait=10)  # waits out the dead child's 2 s lease

    assert report.state == "committed" and report.already_final == done_before
    # exactly what the killed commit had sent without recording it comes back 409 -> already done
    after = results(engine, "r1")
    assert {i for i in (a.action_id for a in pending) if after[i].status == "already_done"} == landed
    assert report.totals() == {k: v for k, v in {"done": len(pending) - len(landed),
                                                 "already_done": len(landed)}.items() if v}
    assert status_counts(engine, "r1", ActionFilter(decision="staged")).keys() <= {"done", "already_done"}
    # no write landed twice: one successful call per action of each kind, over both processes
    succeeded = Counter(p["methodId"] for e in hooks.journal() for p in e.get("parts") or [e] if p["status"] == 200)
    assert {m: succeeded[m] for m in WRITES.values()} == {"courses.create": 19, "courses.students.create": 379,
                                                          "userProfiles.guardianInvitations.create": 61}
    state = hooks.state()
    assert classroom_view(state) == sis_view(DEMO)
    assert_no_duplicates(state)
