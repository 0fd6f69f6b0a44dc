"""History after a real commit: the reviewer approves on the page, the commit engine applies the plan to an
emulated Classroom that refuses guardian invitations, and the pages show per-action results and errors."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import random
import re

import pytest

from littlesis.classroom.apply import OwnerPoll, apply_run
from littlesis.classroom.connection import connect
from littlesis.classroom.retry import RetryPolicy
from littlesis.emulator import EmulatorServer
from littlesis.store import jobs
from littlesis.store.engine import session_scope
from tests.web.conftest import SEED, WebWorld, run_path

pytestmark = pytest.mark.slow


def test_history_shows_results_and_errors_of_a_commit(web: WebWorld) -> None:
    job_id = web.fresh_job()
    run = web.analyze(job_id)
    review = run_path(job_id, run.run_id)
    with web.http("editor", cookie=True) as browser:
        token = web.csrf_of(browser.get(review))
        assert browser.post(review + "/decisions", data={"decision": "stage", "scope": "matching",
                                                          "csrf_token": token}).status_code == 303
        assert browser.post(review + "/commit", data={"staged_count": 418, "csrf_token": token}).status_code == 303

    # What the DAG's commit task does once the sensor sees the approval, here against a Classroom (same demo
    # seed, its own process state) that answers every guardian invitation with a 503.
    with EmulatorServer(seed=json.loads(SEED.read_text())) as classroom:
        settings = dataclasses.replace(web.classroom, api_endpoint=classroom.base_url)
        client = connect(settings=settings, retry=RetryPolicy(base=0, cap=0, max_attempts=2, sleep=lambda _s: None,
                                                              rng=random.Random(1)))
        try:
            classroom_faults(classroom.base_url, "userProfiles.guardianInvitations.create=503")
            report = apply_run(client, web.engine, run.run_id, domain="history-domain", actor="airflow",
                               owner_poll=OwnerPoll(attempts=3, sleep=lambda _s: None))
        finally:
            client.close()
    assert report.totals() == {"done": 357, "failed": 61}
    assert web.run(run.run_id).state == "committed"  # every action has its result, some of them an error
    with session_scope(web.engine, readonly=True) as session:
        job = jobs.get_job(session, job_id)
    assert job is not None and job.state == "awaiting_analysis"

    with web.http("reader") as reader:
        history = reader.get(f"/littlesis/jobs/littlesis_{job_id}/history")
        rows = re.findall(r'<tr data-testid="history-row" data-run-id="([^"]+)">(.*?)</tr>', history.text, re.S)
        assert [r for r, _ in rows] == [run.run_id]
        results = rows[0][1]
        assert 'data-status="done">Done <b>357</b>' in results and 'data-status="failed">Failed <b>61</b>' in results
        failures = re.findall(r'<tr data-testid="failure-row">(.*?)</tr>', history.text, re.S)
        assert len(failures) == 20 and all("Invite guardian" in f and "503" in f for f in failures)
        assert "61 failed actions (first 20; all in the CSV)" in history.text
        card = reader.get("/littlesis/").text
        assert re.search(rf'id="job-{job_id}".*?data-testid="job-state" data-state="awaiting_analysis"', card, re.S)
        download = reader.get(run_path(job_id, run.run_id, "results.csv"))
    rows_csv = list(csv.DictReader(io.StringIO(download.text)))
    statuses = {(r["kind"], r["status"]) for r in rows_csv}
    assert ("invite_guardian", "failed") in statuses and ("add_student", "done") in statuses
    failed = [r for r in rows_csv if r["status"] == "failed"]
    assert len(failed) == 61 and all("503" in r["result_reason"] for r in failed)
    assert {r["decided_by"] for r in rows_csv} == {"editor"}


def classroom_faults(base_url: str, spec: str) -> None:
    import urllib.request

    request = urllib.request.Request(base_url + "_emulator/faults", data=json.dumps({"spec": spec}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request) as answer:
        assert answer.status == 200
