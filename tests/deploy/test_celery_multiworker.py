"""Airflow's distributed set-up on this machine: PostgreSQL, Redis, CeleryExecutor, two workers.

The compose file's topology, started natively (tests/deploy/celery_cluster.py), its healthchecks
passing: both demo jobs analysed at once, one of them approved through the plugin's HTTP API and
committed, the tasks spread over both workers, and the emulated Classroom domain ends up holding
the demo district's classes while the other job still waits for its review.
Skipped, with the reason, only where no PostgreSQL or Redis answers on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import time
import urllib.request
from urllib.parse import quote

import httpx
import pytest
import redis

from littlesis.core.job_files import read_job
from littlesis.core.preview import preview
from littlesis.deploy.airflow_api import AirflowApi, wait_for
from littlesis.emulator import EmulatorServer
from littlesis.orchestration.artifacts import load_archive, run_folder
from littlesis.orchestration.dag_builder import TASK_IDS, dag_id_of
from littlesis.store import runs
from littlesis.store.engine import make_engine, session_scope
from tests.conftest import ROOT
from tests.deploy.celery_cluster import CeleryCluster, connection_json
from tests.smtp_inbox import smtp_server

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

JOBS = ROOT / "include" / "job_configs"
SEED = ROOT / "include" / "demo" / "classroom_seed.json"
REVIEWED, WAITING = "demo_generic", "demo_oneroster"
# A Redis database of its own (the tasks also go to a queue of their own, see CeleryCluster).
REDIS_URL = os.environ.get("LITTLESIS_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")
RUN_TIMEOUT_S = 900.0


@pytest.fixture
def broker():
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis at {REDIS_URL} does not answer ({exc})")
    yield client
    client.close()


@pytest.fixture
def cluster(tmp_path, pg_database_factory, broker):
    """Everything started; afterwards stopped, and nothing of ours left running."""
    cluster = CeleryCluster(tmp_path, metadata_url=pg_database_factory(), broker_url=REDIS_URL)
    try:
        yield cluster
    finally:
        leftovers = cluster.stop()
        print(cluster.report())  # shown by pytest when the test failed
        broker.delete(cluster.queue, *broker.scan_iter(f"_kombu.binding*.{cluster.queue}"))  # kombu's for our queue
    assert leftovers == [], f"processes still running after stop: {leftovers}"


@pytest.mark.timeout(2400)
def test_demo_jobs_run_across_two_celery_workers_and_commit_after_an_approval_over_http(
        cluster, pg_database_factory):
    started = time.monotonic()
    store_url = pg_database_factory()
    seed = json.loads(SEED.read_text())
    with smtp_server() as (inbox, smtp_port), EmulatorServer(seed=seed) as emulator:
        cluster.init(
            store_url=store_url,
            classroom_uri=connection_json("google_cloud_platform", extra={
                "api_endpoint": emulator.base_url, "delegated_admin": "admin@district.example.org", "qps": 500}),
            smtp_uri=connection_json("smtp", host="127.0.0.1", port=smtp_port,
                                     extra={"disable_ssl": True, "disable_tls": True}))
        cluster.start()
        api = cluster.wait_ready()
        assert cluster.failing_compose_healthchecks() == []  # docker-compose.yaml's, run against these
        booted = time.monotonic()

        # Both demo jobs at once, so that two tasks wait at the same moment and, with one slot per
        # worker, each worker takes one: the manual job triggered for review, the scheduled one
        # (review mode) unpaused, so that Airflow starts its latest interval's run on its own.
        for dag_id in map(dag_id_of, (REVIEWED, WAITING)):
            wait_for(lambda d=dag_id: api.dag(d), 300, f"DAG {dag_id} parsed", interval_s=2, alive=cluster.alive)
        run_ids = {REVIEWED: api.trigger(dag_id_of(REVIEWED), {"approval": "review"})["dag_run_id"]}
        for job in (REVIEWED, WAITING):
            api.set_paused(dag_id_of(job), False)
        scheduled = wait_for(lambda: api.dag_runs(dag_id_of(WAITING)), 300, f"the scheduled run of {WAITING}",
                             interval_s=2, alive=cluster.alive)
        assert [r["run_type"] for r in scheduled] == ["scheduled"]
        run_ids[WAITING] = scheduled[0]["dag_run_id"]

        engine = make_engine(store_url)
        try:
            for job, run_id in run_ids.items():
                wait_for(lambda j=job, r=run_id: _store_state(engine, r) == "pending_review"
                         or _failed(api, j, r), RUN_TIMEOUT_S, f"{job} run {run_id} pending review",
                         interval_s=3, alive=cluster.alive)
                assert _store_state(engine, run_id) == "pending_review", _airflow_state(api, job, run_id)
            analysed = time.monotonic()

            approve_over_http(api, dag_id_of(REVIEWED), run_ids[REVIEWED])

            wait_for(lambda: _airflow_state(api, REVIEWED, run_ids[REVIEWED]) in ("success", "failed"),
                     RUN_TIMEOUT_S, f"{REVIEWED} run to finish", interval_s=3, alive=cluster.alive)
            finished = time.monotonic()
            assert _airflow_state(api, REVIEWED, run_ids[REVIEWED]) == "success"
            assert _store_state(engine, run_ids[REVIEWED]) == "committed"
            # The other job still waits for its own review: one approval releases one run.
            assert _store_state(engine, run_ids[WAITING]) == "pending_review"
            assert _task_states(api, WAITING, run_ids[WAITING])["await_approval"] == "deferred"
        finally:
            engine.dispose()

        reviewed = _task_instances(api, REVIEWED, run_ids[REVIEWED])
        assert {ti["task_id"]: ti["state"] for ti in reviewed} == dict.fromkeys(TASK_IDS, "success")
        ran = [ti for job, run_id in run_ids.items() for ti in _task_instances(api, job, run_id) if ti["hostname"]]
        assert {ti["hostname"] for ti in ran} == {w.name for w in cluster.workers}

        # The export each run read is archived once, in the folder every worker shares.
        for job, run_id in run_ids.items():
            archive = load_archive(run_folder(job, run_id, root=cluster.artifacts))
            assert archive is not None and archive.files, f"no archived export for {job} in {cluster.artifacts}"

        wanted = preview(read_job(JOBS / f"{REVIEWED}.yaml"), JOBS / f"{REVIEWED}.yaml").in_scope
        state = _emulator_state(emulator)
        aliases = [a.removeprefix("d:") for c in state["courses"] for a in c["aliases"]]
        assert sorted(aliases) == sorted(set(wanted.sections["alias"]))  # every class once, nothing else
        assert len(state["courses"]) == 19  # 16 created + the 3 the teachers made, linked
        primary = set(wanted.teachers.loc[wanted.teachers["primary"], "email"])
        assert sorted(inbox.recipients) == sorted(primary)  # each teacher's digest, sent by a worker

    print(f"multi-worker run: boot and healthchecks {booted - started:.0f} s, analyses {analysed - booted:.0f} s, "
          f"approval to success {finished - analysed:.0f} s, total {time.monotonic() - started:.0f} s")


def approve_over_http(api: AirflowApi, dag_id: str, run_id: str) -> None:
    """A reviewer's "stage everything" then "commit N", sent as a script sends them (a Bearer token, no cookie)."""
    page = f"{api.base_url}/littlesis/jobs/{dag_id}/runs/{quote(run_id, safe='')}"
    refused = httpx.post(page + "/commit", data={"staged_count": "1"}, timeout=60)
    assert refused.status_code == 401, refused.text  # the plugin's routes sit behind Airflow's login
    with httpx.Client(headers={"Authorization": f"Bearer {api.token}"}, timeout=120) as http:
        plan = _json(http.get(page + "/actions.json"))
        staged = http.post(page + "/decisions", data={"scope": "matching", "decision": "stage"})
        assert staged.status_code == 303, staged.text
        count = _json(http.get(page + "/actions.json", params={"state": "staged"}))["total"]
        assert count == plan["total"] > 0
        committed = http.post(page + "/commit", data={"staged_count": str(count)})
        assert committed.status_code == 303, committed.text


def _json(answer: httpx.Response) -> dict:
    assert answer.status_code == 200, f"{answer.request.url}: HTTP {answer.status_code}: {answer.text[:2000]}"
    return dict(answer.json())


def _store_state(engine, run_id: str) -> str | None:
    with session_scope(engine, readonly=True) as session:
        run = runs.get_run(session, run_id)
    return None if run is None else run.state


def _airflow_state(api: AirflowApi, job: str, run_id: str) -> str:
    return str(api.request("GET", f"/api/v2/dags/{dag_id_of(job)}/dagRuns/{quote(run_id)}")["state"])


def _failed(api: AirflowApi, job: str, run_id: str) -> bool:
    return _airflow_state(api, job, run_id) == "failed"


def _task_instances(api: AirflowApi, job: str, run_id: str) -> list[dict]:
    answer = api.request("GET", f"/api/v2/dags/{dag_id_of(job)}/dagRuns/{quote(run_id)}/taskInstances")
    return list(answer["task_instances"])


def _task_states(api: AirflowApi, job: str, run_id: str) -> dict[str, str | None]:
    return {ti["task_id"]: ti["state"] for ti in _task_instances(api, job, run_id)}


def _emulator_state(emulator: EmulatorServer) -> dict:
    with urllib.request.urlopen(emulator.base_url + "_emulator/state", timeout=30) as answer:
        return json.loads(answer.read())
