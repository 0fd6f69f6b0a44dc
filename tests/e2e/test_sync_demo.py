"""The demo district synced into an emulated Classroom domain with `bin/littlesis sync`, end to end.

Real HTTP, the real google-api-python-client, a real SQLite store, a real SMTP server on
loopback: afterwards Classroom holds exactly what the SIS asks for, and a second sync
plans nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request

import pytest

from littlesis.core.job_files import read_job
from littlesis.core.preview import preview
from littlesis.emulator import EmulatorServer
from tests.conftest import ROOT
from tests.smtp_inbox import smtp_server

JOB = ROOT / "include" / "job_configs" / "demo_generic.yaml"
SEED = ROOT / "include" / "demo" / "classroom_seed.json"

pytestmark = pytest.mark.slow


@pytest.fixture
def world(tmp_path):
    with smtp_server() as (inbox, smtp_port), EmulatorServer(seed=json.loads(SEED.read_text())) as server:
        env = {**os.environ, "PYTHONPATH": str(ROOT / "plugins"), "AIRFLOW_HOME": str(tmp_path / "airflow"),
               "AIRFLOW_CONN_LITTLESIS_CLASSROOM": json.dumps({"conn_type": "google_cloud_platform", "extra": {
                   "api_endpoint": server.base_url, "delegated_admin": "admin@district.example.org",
                   "qps": 500}}),  # the emulator has no quota here; Google's per-user one is 20
               "AIRFLOW_CONN_LITTLESIS_STORE": json.dumps({"conn_type": "sqlite", "host": str(tmp_path / "s.db")}),
               "AIRFLOW_CONN_LITTLESIS_SMTP": json.dumps({"conn_type": "smtp", "host": "127.0.0.1", "port": smtp_port,
                                                          "extra": {"disable_ssl": True, "disable_tls": True}})}
        yield server, env, inbox


def sync(env) -> dict:
    done = subprocess.run([sys.executable, "-m", "littlesis", "sync", str(JOB), "--approve", "all", "--json"],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def classroom(server) -> dict:
    with urllib.request.urlopen(server.base_url + "_emulator/state") as answer:
        return json.loads(answer.read())


def test_demo_district_into_an_empty_domain_then_nothing_more(world):
    server, env, inbox = world
    first = sync(env)
    assert first["analysis"]["counts"] == {"create_course": 16, "link_course": 3, "add_student": 338,
                                           "invite_guardian": 61}
    assert first["commit"]["run_statuses"] == {"done": 418}

    job = read_job(JOB)
    wanted = preview(job, JOB).in_scope
    state = classroom(server)
    emails = {u["id"]: u["emailAddress"] for u in state["users"]}
    by_alias = {a.removeprefix("d:"): c for c in state["courses"] for a in c["aliases"]}
    assert set(by_alias) == set(wanted.sections["alias"])  # one course per class, no duplicates
    assert len(state["courses"]) == 19  # 16 created + the 3 teacher-made ones, linked
    for section in wanted.sections.itertuples():
        course = by_alias[section.alias]
        teachers = wanted.teachers[wanted.teachers["alias"] == section.alias]
        assert emails[course["ownerId"]] == teachers.loc[teachers["primary"], "email"].item()
        assert {t["emailAddress"] for t in course["teachers"]} == set(teachers["email"])
        students = set(wanted.enrollments.loc[wanted.enrollments["alias"] == section.alias, "email"])
        assert {s["emailAddress"] for s in course["students"]} == students
        assert course["courseState"] == "ACTIVE"
    invited = {(emails[i["studentId"]], i["invitedEmailAddress"]) for i in state["guardianInvitations"]}
    assert invited == set(map(tuple, wanted.guardians.to_numpy()))
    assert len(state["guardianInvitations"]) == len(invited)  # no double invitation
    # Digests: created and linked events are enabled for the demo job; one e-mail per teacher.
    assert sorted(inbox.recipients) == sorted(set(wanted.teachers.loc[wanted.teachers["primary"], "email"]))

    second = sync(env)
    assert second["analysis"]["counts"] == {}
    assert second["analysis"]["no_updates_required"] == 19
