"""One commit per Classroom domain at a time: a second one is refused, or waits its turn when asked to."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from littlesis.classroom.apply import CommitLocked, CommitReport, LeaseLost
from littlesis.store import runs
from littlesis.store.engine import make_engine, session_scope
from littlesis.store.locks import acquire_lock, domain_lock_name, get_lock, release_lock
from tests.classroom.apply_support import commit, hand_plan, results, status_counts
from tests.classroom.helpers import DOMAIN, Hooks, course_seed, kid

N = 60


@pytest.fixture
def two_runs(hooks: Hooks, store_url: str):
    """Two jobs' approved runs for the same domain, 60 students each, on a slow Classroom.

    The store is SQLite and PostgreSQL in turn: the domain's lease must hold on both.
    """
    hooks.seed({"courses": [course_seed("d:A"), course_seed("d:B")]})
    engine = make_engine(store_url)
    hand_plan(engine, "ra", [{"kind": "add_student", "alias": "A", "target": "d:A", "payload": {"userId": kid(n)}}
                             for n in range(N)], job_id="job_a")
    hand_plan(engine, "rb", [{"kind": "add_student", "alias": "B", "target": "d:B",
                              "payload": {"userId": kid(100 + n)}} for n in range(N)], job_id="job_b")
    hooks.faults(latencyMs=25)
    return engine


def _in_background(target) -> tuple[threading.Thread, dict]:
    box: dict = {}

    def run() -> None:
        try:
            box["report"] = target()
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread, box


def _wait_for_results(engine, run_id: str, at_least: int = 1) -> None:
    deadline = time.monotonic() + 20
    while status_counts(engine, run_id).get("done", 0) < at_least:
        assert time.monotonic() < deadline, "the first commit made no progress"
        time.sleep(0.01)


def test_a_second_commit_on_the_domain_is_refused_while_one_runs(make_client, hooks: Hooks, two_runs):
    engine = two_runs
    thread, box = _in_background(lambda: commit(make_client(), engine, "ra", wave_size=5))
    _wait_for_results(engine, "ra")
    lock = get_lock(engine, domain_lock_name(DOMAIN))
    assert lock is not None and "|ra|" in lock.holder

    other = make_client()
    with pytest.raises(CommitLocked, match=f"lock 'commit:{DOMAIN}' is held by") as refused:
        commit(other, engine, "rb")
    assert refused.value.holder == lock.holder and refused.value.expires_at is not None
    assert other.counter.snapshot().total_calls == 0 and status_counts(engine, "rb") == {"pending": N}

    thread.join()
    assert isinstance(box.get("report"), CommitReport) and box["report"].totals() == {"done": N}
    assert get_lock(engine, domain_lock_name(DOMAIN)) is None  # released
    assert commit(other, engine, "rb").totals() == {"done": N}


def test_a_commit_asked_to_wait_goes_after_the_running_one(make_client, hooks: Hooks, two_runs):
    engine = two_runs
    first, box_a = _in_background(lambda: commit(make_client(), engine, "ra", wave_size=5))
    _wait_for_results(engine, "ra")
    second, box_b = _in_background(lambda: commit(make_client(), engine, "rb", wave_size=5, lock_wait=30))
    first.join()
    second.join()
    assert box_a["report"].totals() == box_b["report"].totals() == {"done": N}
    # serialized: every write of rb came after the last write of ra
    last_a = max(a.finished_at for a in results(engine, "ra").values())
    first_b = min(a.finished_at for a in results(engine, "rb").values())
    assert last_a < first_b
    calls = [p["path"] for e in hooks.journal() for p in e.get("parts") or [e]]
    last_call_a = max(i for i, path in enumerate(calls) if "/d%3AA/" in path)
    first_call_b = min(i for i, path in enumerate(calls) if "/d%3AB/" in path)
    assert last_call_a < first_call_b


def test_the_lease_of_a_dead_commit_runs_out(make_client, hooks: Hooks, two_runs):
    """A commit killed with its lease stops renewing it; the next one takes over once it expires."""
    engine = two_runs
    assert acquire_lock(engine, domain_lock_name(DOMAIN), "killed-commit", ttl=timedelta(seconds=0.5))
    with pytest.raises(CommitLocked, match="held by 'killed-commit'"):
        commit(make_client(), engine, "ra")
    started = time.monotonic()
    report = commit(make_client(), engine, "ra", lock_wait=10, lock_ttl=timedelta(seconds=1))
    assert report.totals() == {"done": N} and time.monotonic() - started < 5


def test_a_commit_that_lost_its_lease_stops_and_a_rerun_resumes(make_client, hooks: Hooks, two_runs):
    engine = two_runs
    name = domain_lock_name(DOMAIN)
    thread, box = _in_background(lambda: commit(make_client(), engine, "ra", wave_size=5))
    _wait_for_results(engine, "ra")
    holder = get_lock(engine, name).holder
    assert release_lock(engine, name, holder) and acquire_lock(engine, name, "thief")  # as if it had expired
    thread.join()

    assert isinstance(box.get("error"), LeaseLost)
    left = status_counts(engine, "ra")
    assert left["pending"] > 0 and left["done"] + left["pending"] == N
    with session_scope(engine, readonly=True) as session:
        assert runs.require_run(session, "ra").state == "committing"  # left to be resumed
    assert get_lock(engine, name).holder == "thief"  # not released by the loser

    release_lock(engine, name, "thief")
    resumed = commit(make_client(), engine, "ra")
    assert resumed.already_final == left["done"] and resumed.totals() == {"done": left["pending"]}
    assert hooks.student_emails("d:A") == {kid(n) for n in range(N)}
