"""The approval trigger against a real SQLite store (found through the littlesis_store connection, as the
triggerer finds it), its serialized kwargs, and the sensor's outcomes."""

from __future__ import annotations

import asyncio
import importlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from airflow.sdk.exceptions import TaskDeferred
from airflow.sdk.serde import serialize as serde_serialize

from littlesis.orchestration import approval_state
from littlesis.orchestration.approval import ApprovalSensor, ApprovalTrigger
from littlesis.orchestration.metadata_guard import MetadataDbAccess
from littlesis.store import decisions, jobs, runs
from littlesis.store.engine import make_engine, session_scope, sqlite_url
from littlesis.store.migrate import upgrade

STORE_CONN_ENV = "AIRFLOW_CONN_LITTLESIS_STORE"


@pytest.fixture
def store(tmp_path, monkeypatch):
    url = sqlite_url(tmp_path / "store.db")
    upgrade(url)
    monkeypatch.setenv(STORE_CONN_ENV, json.dumps({"conn_type": "sqlite", "host": str(tmp_path / "store.db")}))
    engine = make_engine(url)
    with session_scope(engine) as session:
        jobs.upsert_job(session, job_id="demo", name="Demo", config_path="demo.yaml", config_sha="0" * 64,
                        automation_mode="review")
    yield url, engine
    engine.dispose()


def _run(engine, run_id, state, *, created=None, reason=None):
    with session_scope(engine) as session:
        runs.create_run(session, run_id=run_id, job_id="demo", state="created", now=created)
        if state != "created":
            runs.set_run_state(session, run_id, state, reason)


def _first_event(trigger, timeout=10.0):
    async def collect():
        events = [event async for event in trigger.run()]
        return events

    return asyncio.run(asyncio.wait_for(collect(), timeout))


def _trigger(run_id, hours=72):
    return ApprovalTrigger(run_id=run_id, store_conn_id="littlesis_store", review_window_hours=hours,
                           poll_interval=0.05)


def test_serialize_round_trip():
    trigger = _trigger("scheduled__2025-01-01", 12)
    path, kwargs = trigger.serialize()
    assert path == "littlesis.orchestration.approval.ApprovalTrigger"
    module, _, name = path.rpartition(".")
    again = getattr(importlib.import_module(module), name)(**kwargs)
    assert again.serialize() == (path, kwargs)


def _persisted_kwargs(trigger):
    """The trigger kwargs as the task runner stores them in Airflow's database (serde-encoded)."""
    return json.dumps(serde_serialize(trigger.serialize()[1]))


def test_the_deferred_trigger_names_the_connection_not_the_store(store, tmp_path):
    _url, engine = store
    _run(engine, "r0", "pending_review")
    sensor = ApprovalSensor(job_id="demo", automation_mode="review", review_window_hours=72)
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute({"run_id": "r0", "params": {"approval": "job-default"}})
    persisted = _persisted_kwargs(deferred.value.trigger)
    assert "littlesis_store" in persisted and "r0" in persisted
    assert "sqlite" not in persisted and str(tmp_path) not in persisted


def test_a_store_password_never_reaches_the_trigger_kwargs(monkeypatch):
    monkeypatch.setenv(STORE_CONN_ENV, json.dumps({"conn_type": "postgres", "host": "db.district.example.org",
                                                   "login": "littlesis", "password": "s3cret-pw", "schema": "ls"}))
    sensor = ApprovalSensor(job_id="demo", automation_mode="review", review_window_hours=72)
    persisted = _persisted_kwargs(sensor.trigger_for("r1"))
    assert "s3cret-pw" not in persisted and "db.district.example.org" not in persisted
    assert "://" not in persisted
    from littlesis.orchestration.connections import async_store_url

    # The triggerer resolves the connection itself.
    assert asyncio.run(async_store_url("littlesis_store")) == \
        "postgresql+psycopg2://littlesis:s3cret-pw@db.district.example.org/ls"


def test_fires_approved_once_the_run_is_approved_from_elsewhere(store):
    _url, engine = store
    _run(engine, "r1", "pending_review")

    async def scenario():
        task = asyncio.create_task(anext(_trigger("r1").run()))
        await asyncio.sleep(0.3)
        assert not task.done()  # still waiting for a person
        await asyncio.to_thread(_approve, engine, "r1")
        return await asyncio.wait_for(task, 10)

    event = asyncio.run(scenario())
    assert event.payload == {"run_id": "r1", "state": "approved", "reason": None, "run_state": "approved"}


def _approve(engine, run_id):
    with session_scope(engine) as session:
        runs.set_run_state(session, run_id, "approved")


@pytest.mark.parametrize("state", ["superseded", "failed"])
def test_fires_once_with_the_final_state_and_reason(store, state):
    _url, engine = store
    _run(engine, "r2", state, reason=f"because {state}")
    events = _first_event(_trigger("r2"))
    assert [e.payload for e in events] == [{"run_id": "r2", "state": state, "reason": f"because {state}",
                                            "run_state": state}]


def test_a_review_past_its_window_expires_in_the_store(store):
    _url, engine = store
    _run(engine, "r3", "pending_review", created=datetime.now(UTC) - timedelta(hours=5))
    events = _first_event(_trigger("r3", hours=4))
    assert len(events) == 1 and events[0].payload["state"] == "expired"
    with session_scope(engine, readonly=True) as session:
        run = runs.require_run(session, "r3")
    assert run.state == "expired" and "review window" in (run.state_reason or "")


def test_an_unknown_run_fails_rather_than_waiting_forever(store):
    events = _first_event(_trigger("nope"))
    assert events[0].payload["state"] == "failed"


def _card(engine, job_id="demo"):
    with session_scope(engine, readonly=True) as session:
        job = jobs.get_job(session, job_id)
    return job.state, job.state_reason


def test_sensor_outcomes(store):
    _url, engine = store
    sensor = ApprovalSensor(job_id="demo", automation_mode="review", review_window_hours=72)
    assert sensor.execute_complete({}, {"run_id": "r", "state": "approved", "run_state": "approved"})["state"] \
        == "approved"
    from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

    _run(engine, "waiting", "pending_review")
    _run(engine, "old", "superseded")
    with session_scope(engine) as session:
        jobs.set_job_state(session, "demo", "in_review")
    with pytest.raises(AirflowSkipException, match="superseded"):
        sensor.execute_complete({}, {"state": "superseded", "reason": "newer"})
    assert _card(engine) == ("in_review", None)  # a person is deciding on the run still waiting
    with session_scope(engine) as session:
        runs.set_run_state(session, "waiting", "expired", "window")
    with pytest.raises(AirflowSkipException, match="expired"):
        sensor.execute_complete({}, {"state": "expired", "reason": "window"})
    assert _card(engine) == ("awaiting_analysis", None)  # nothing waits any more
    with pytest.raises(AirflowFailException):
        sensor.execute_complete({}, {"state": "failed", "reason": "boom"})
    fallback = ApprovalSensor(job_id="demo", automation_mode="review", review_window_hours=1, deferrable=False)
    assert fallback.mode == "reschedule"


def _dated(engine, run_id, state, day, *, approved_by=None):
    with session_scope(engine) as session:
        runs.create_run(session, run_id=run_id, job_id="demo", state="pending_review",
                        logical_date=datetime(2026, 3, day, tzinfo=UTC))
    if approved_by is not None:
        with session_scope(engine) as session:
            decisions.approve_run(session, run_id, actor=approved_by)  # an empty plan approves as "all"
    if state not in ("pending_review", "approved"):
        with session_scope(engine) as session:
            runs.set_run_state(session, run_id, state)


def test_the_automatic_actor_is_the_one_automatic_staging_uses():
    from littlesis.service.staging import AUTOMATIC

    assert approval_state.AUTOMATIC_ACTOR == AUTOMATIC


def test_older_data_than_a_committed_run_is_superseded_unless_a_person_approved_it(store):
    url, engine = store
    _dated(engine, "day3", "committed", 3)
    _dated(engine, "day1_waiting", "pending_review", 1)
    _dated(engine, "day1_auto", "approved", 1, approved_by=approval_state.AUTOMATIC_ACTOR)
    _dated(engine, "day2_person", "approved", 2, approved_by="reviewer@district.example.org")
    _dated(engine, "day4_newer", "pending_review", 4)
    reason = "data older than committed run day3 (2026-03-03T00:00+00:00)"

    assert approval_state.older_than_committed(engine, "day1_waiting") == reason
    assert approval_state.supersede_if_older(engine, "day1_waiting") == reason
    assert approval_state.poll_once(url, "day1_auto", 72) == {"state": "superseded", "reason": reason,
                                                             "run_state": "superseded"}
    assert approval_state.poll_once(url, "day2_person", 72) == {"state": "approved", "reason": None,
                                                               "run_state": "approved"}
    assert approval_state.supersede_if_older(engine, "day4_newer") is None
    assert approval_state.older_than_committed(engine, "day3") is None  # a re-run of the committed run itself
    with session_scope(engine, readonly=True) as session:
        states = {r.run_id: (r.state, r.state_reason) for r in runs.list_runs(session, "demo")}
    assert states["day1_waiting"] == ("superseded", reason)
    assert states["day1_auto"] == ("superseded", reason)
    assert states["day2_person"] == ("approved", None)
    assert states["day4_newer"] == ("pending_review", None)


def test_a_newer_analysis_supersedes_waiting_runs_but_not_one_with_newer_data(store):
    from littlesis.orchestration.tasks import supersede_older

    _url, engine = store
    _dated(engine, "day1", "pending_review", 1)
    _dated(engine, "day3", "pending_review", 3)
    _dated(engine, "day2", "pending_review", 2)
    assert supersede_older(engine, "demo", "day2") == ["day1"]
    with session_scope(engine, readonly=True) as session:
        states = {r.run_id: (r.state, r.state_reason, r.superseded_by) for r in runs.list_runs(session, "demo")}
    assert states == {"day1": ("superseded", "a newer analysis (day2) replaced it", "day2"),
                      "day2": ("pending_review", None, None), "day3": ("pending_review", None, None)}


def test_a_commit_that_failed_after_approval_goes_on_to_resume(store):
    url, engine = store
    _dated(engine, "approved_then_failed", "pending_review", 1, approved_by="reviewer@district.example.org")
    with session_scope(engine) as session:
        runs.set_run_state(session, "approved_then_failed", "failed", "Classroom unreachable")
    _run(engine, "analysis_failed", "failed", reason="load_csv failed")
    assert approval_state.poll_once(url, "approved_then_failed", 72) == {
        "state": "approved", "reason": None, "run_state": "failed"}
    assert approval_state.poll_once(url, "analysis_failed", 72) == {
        "state": "failed", "reason": "load_csv failed", "run_state": "failed"}


@pytest.mark.parametrize("body", ["execute", "poke", "execute_complete"])
def test_the_sensor_bodies_run_under_the_metadata_guard(store, monkeypatch, body):
    from airflow.utils.session import create_session

    from littlesis.orchestration import approval

    def careless_poll(*_args):
        with create_session():  # what task code must never do: it works under dag.test() only
            return None

    monkeypatch.setattr(approval, "check_approval", careless_poll)
    monkeypatch.setattr(ApprovalSensor, "_settle_card", lambda self: careless_poll())
    sensor = ApprovalSensor(job_id="demo", automation_mode="review", review_window_hours=72)
    context = {"run_id": "r", "params": {"approval": "review"}}
    with pytest.raises(MetadataDbAccess):
        if body == "execute_complete":
            sensor.execute_complete(context, {"state": "expired", "reason": "window"})
        else:
            getattr(sensor, body)(context)
