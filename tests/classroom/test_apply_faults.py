"""The demo commit through an unreliable Classroom: quota 429s, 5xx, writes applied then failed, dropped
connections (before or after the write). A rerun finishes what ran out of retries; the end state is exact, nothing is duplicated."""

from __future__ import annotations

import pytest

from littlesis.store.filters import ActionFilter
from tests.classroom.apply_support import (
    DEMO,
    analyze,
    assert_no_duplicates,
    classroom_view,
    commit,
    new_store,
    quick_retry,
    results,
    sis_view,
    stage,
    status_counts,
)
from tests.classroom.helpers import DOMAIN, Hooks

FAULTS = "*=429@0.1;*=500@0.03;*=503@0.04;*=apply_then_fail@0.05;*=apply_then_drop@0.01;*=drop@0.01"


@pytest.fixture
def planned(hooks: Hooks, tmp_path):
    hooks.reset()
    hooks.seed({"domains": [DOMAIN], "auto_users": True, "guardians_enabled": True})
    engine = new_store(tmp_path / "store.db")
    analyze(engine, hooks, DEMO, "r1")
    stage(engine, "r1")
    return engine


def _created_courses(hooks: Hooks) -> int:
    """courses.create calls that made a course (answered 200 or had their answer replaced by a fault)."""
    made = 0
    for entry in hooks.journal():
        for part in entry.get("parts") or [entry]:
            if part["methodId"] == "courses.create" and (part["status"] == 200 or (
                    part.get("fault") or "").startswith("apply_then")):
                made += 1
    return made


@pytest.mark.parametrize("seed", [3, 17])
def test_a_faulty_classroom_ends_exact_after_a_rerun(make_client, sleeps, hooks: Hooks, planned, seed):
    hooks.faults(spec=FAULTS, seed=seed)
    # Three attempts: some calls run out of retries on the first commit.
    first = commit(make_client(retry=quick_retry(sleeps, attempts=3)), planned, "r1")

    assert status_counts(planned, "r1", ActionFilter(status="pending")) == {}  # every action has a result
    # what failed ran out of retries (or waits for a course whose create did): all of it transient
    assert first.failures_total == len(first.failures) > 0 and first.state == "committed"
    assert all(f.reason.startswith(("retries exhausted after 3 attempts", "not sent: course d:"))
               for f in first.failures)
    assert first.calls.retries > 50
    assert first.totals().get("already_done", 0) > 0  # applied, answer lost, retried: 409 -> done

    second = commit(make_client(retry=quick_retry(sleeps, attempts=10)), planned, "r1")

    assert second.reopened == first.failures_total and second.failures_total == 0 and second.state == "committed"
    assert status_counts(planned, "r1").keys() <= {"done", "already_done"}
    final = results(planned, "r1")
    assert all(a.result_reason for a in final.values())
    hooks.faults(spec="")
    state = hooks.state()
    assert classroom_view(state) == sis_view(DEMO)
    assert_no_duplicates(state)
    assert len(state["courses"]) == 19 and _created_courses(hooks) == 19
