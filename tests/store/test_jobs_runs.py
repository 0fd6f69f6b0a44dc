from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from littlesis.store.engine import session_scope
from littlesis.store.errors import NotFound
from littlesis.store.jobs import get_job, list_jobs, set_job_state, upsert_job
from littlesis.store.runs import (
    create_run,
    get_run,
    latest_committed_run,
    list_runs,
    set_run_sources,
    set_run_state,
)

from .helpers import T0, make_run


def _upsert(session, job_id="job-a", sha="a" * 64, mode="review", now=T0):
    return upsert_job(session, job_id=job_id, name="Job A", config_path="include/job_configs/a.yaml",
                      config_sha=sha, automation_mode=mode, now=now)


def test_upsert_job_creates_then_updates_without_touching_state(engine):
    with session_scope(engine) as session:
        created = _upsert(session)
        assert (created.state, created.updated_at) == ("awaiting_analysis", T0)
        set_job_state(session, "job-a", "failed", "the export is missing")
        updated = _upsert(session, sha="b" * 64, mode="automatic", now=T0 + timedelta(hours=1))
    assert updated.config_sha == "b" * 64 and updated.automation_mode == "automatic"
    assert (updated.state, updated.state_reason) == ("failed", "the export is missing")
    with session_scope(engine, readonly=True) as session:
        assert [j.job_id for j in list_jobs(session)] == ["job-a"]
        assert get_job(session, "nope") is None


def test_job_state_vocabulary_is_enforced(engine):
    with session_scope(engine) as session:
        _upsert(session)
        assert set_job_state(session, "job-a", "in_review").state == "in_review"
        with pytest.raises(ValueError, match="unknown job state 'reviewing'"):
            set_job_state(session, "job-a", "reviewing")
        with pytest.raises(NotFound):
            set_job_state(session, "job-b", "analyzing")
        with pytest.raises(ValueError, match="automation mode"):
            _upsert(session, mode="sometimes")


def test_create_run_and_rerun_with_the_same_id(engine):
    make_run(engine, "run-1", logical_date=T0, data_interval_end=T0 + timedelta(days=1),
             sources=[{"file": "roster.csv", "sha256": "f" * 64, "archived_path": "/a/run-1/roster.csv"}])
    with session_scope(engine) as session:
        run = get_run(session, "run-1")
        assert run is not None
        assert (run.state, run.approval, run.unsafe, run.counts, run.logical_date) == ("created", "none", False, {}, T0)
        assert run.sources[0]["sha256"] == "f" * 64
        again = create_run(session, run_id="run-1", job_id="job-a", exist_ok=True)
        assert again == run
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        create_run(session, run_id="run-1", job_id="job-a")


def test_run_states_supersession_and_commit_stamp(engine):
    make_run(engine, "old", logical_date=T0)
    make_run(engine, "new", logical_date=T0 + timedelta(days=1))
    with session_scope(engine) as session:
        superseded = set_run_state(session, "old", "superseded", "a newer analysis exists", superseded_by="new")
        assert (superseded.superseded_by, superseded.state_reason) == ("new", "a newer analysis exists")
        committed = set_run_state(session, "new", "committed", now=T0 + timedelta(days=1, hours=2))
        assert committed.committed_at == T0 + timedelta(days=1, hours=2)
        with pytest.raises(ValueError, match="unknown run state"):
            set_run_state(session, "new", "done")
        with pytest.raises(NotFound):
            set_run_state(session, "ghost", "failed")
        set_run_sources(session, "old", [{"file": "a.csv", "sha256": "0" * 64, "archived_path": "x"}])
        assert get_run(session, "old").sources[0]["file"] == "a.csv"


def test_list_runs_and_latest_committed(engine):
    for day in range(4):
        make_run(engine, f"r{day}", logical_date=T0 + timedelta(days=day))
    make_run(engine, "other-job", job_id="job-b", logical_date=T0 + timedelta(days=9))
    with session_scope(engine) as session:
        set_run_state(session, "r1", "committed")
        set_run_state(session, "r2", "committed")
        set_run_state(session, "other-job", "committed")
        assert latest_committed_run(session, "job-a").run_id == "r2"
        assert latest_committed_run(session, "job-c") is None
        runs = list_runs(session, "job-a")
        assert {r.run_id for r in runs} == {"r0", "r1", "r2", "r3"}
        assert [r.run_id for r in list_runs(session, "job-a", states=["committed"])] in (["r2", "r1"], ["r1", "r2"])
        assert len(list_runs(session, "job-a", limit=2)) == 2
