"""The /_emulator/ hooks, seeding, and the command line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import httplib2
import pytest

import littlesis
from littlesis.emulator import EmulatorServer
from littlesis.emulator.cli import main
from tests.emulator.helpers import DOMAIN, OWNER, Hooks, build_classroom, expect_error, make_course

PLUGINS = Path(littlesis.__file__).resolve().parents[1]


def test_state_dump_has_everything(classroom, hooks):
    course = make_course(classroom, courseState="ACTIVE")
    classroom.courses().students().create(courseId="d:SIS-1", body={"userId": f"kid@{DOMAIN}"}).execute()
    classroom.invitations().create(body={"userId": "guest@gmail.com", "courseId": "d:SIS-1", "role": "STUDENT"}).execute()
    pending = classroom.userProfiles().guardianInvitations().create(
        studentId=f"kid@{DOMAIN}", body={"invitedEmailAddress": "mum@gmail.com"}).execute()
    accepted = classroom.userProfiles().guardianInvitations().create(
        studentId=f"kid@{DOMAIN}", body={"invitedEmailAddress": "dad@gmail.com"}).execute()
    hooks.request("POST", f"_emulator/guardianInvitations/{accepted['invitationId']}:accept")

    state = hooks.state()
    assert state["domains"] == [DOMAIN]
    [dumped] = state["courses"]
    assert dumped["id"] == course["id"] and dumped["aliases"] == ["d:SIS-1"]
    assert [t["emailAddress"] for t in dumped["teachers"]] == [OWNER]
    assert [s["emailAddress"] for s in dumped["students"]] == [f"kid@{DOMAIN}"]
    assert state["invitations"][0]["role"] == "STUDENT"
    assert {g["invitationId"]: g["state"] for g in state["guardianInvitations"]} == {
        pending["invitationId"]: "PENDING", accepted["invitationId"]: "COMPLETE"}
    assert [g["guardianEmail"] for g in state["guardians"]] == ["dad@gmail.com"]
    assert {u["emailAddress"] for u in state["users"]} >= {OWNER, f"kid@{DOMAIN}", "guest@gmail.com"}
    assert next(u for u in state["users"] if u["emailAddress"] == "guest@gmail.com")["external"] is True


def test_seed_shape_and_reset(hooks):
    counts = hooks.seed({
        "domains": [DOMAIN], "auto_users": True, "guardians_enabled": True,
        "users": [{"email": OWNER, "givenName": "Olive", "familyName": "Owner"}],
        "courses": [{"name": "Bio", "section": "P1", "room": "12", "ownerEmail": OWNER, "courseState": "ACTIVE",
                     "aliases": ["d:SIS-9"], "teacherEmails": [f"t@{DOMAIN}", OWNER],
                     "studentEmails": [f"a@{DOMAIN}", f"b@{DOMAIN}"]}],
    })
    assert counts["seeded"]["courses"] == 1
    [course] = hooks.state()["courses"]
    assert (course["section"], course["room"], course["courseState"]) == ("P1", "12", "ACTIVE")
    assert [t["emailAddress"] for t in course["teachers"]] == [OWNER, f"t@{DOMAIN}"]
    assert len(course["students"]) == 2
    hooks.reset()
    assert hooks.state()["courses"] == [] and hooks.state()["users"] == []


@pytest.mark.parametrize(
    ("seed", "where"),
    [
        ({"courses": [{"name": "x", "ownerEmail": "nobody"}]}, "courses[0].ownerEmail"),
        ({"domains": [DOMAIN], "courses": [{"name": "x", "ownerEmail": "o@gmail.com"}]}, "courses[0].ownerEmail"),
        ({"domains": [DOMAIN], "courses": [{"name": "x", "ownerEmail": OWNER, "aliases": ["d:A"]},
                                           {"name": "y", "ownerEmail": OWNER, "aliases": ["d:A"]}]},
         "courses[1].aliases"),
        ({"domains": [DOMAIN], "courses": [{"name": "x", "ownerEmail": OWNER, "courseState": "GONE"}]},
         "courses[0].courseState"),
        ({"domains": [DOMAIN], "courses": [{"name": "x", "ownerEmail": OWNER, "colour": "red"}]}, "courses[0]"),
        ({"domains": [DOMAIN], "courses": [{"name": "x", "ownerEmail": OWNER,
                                            "teacherEmails": [f"t{i}@{DOMAIN}" for i in range(20)]}]},
         "CourseTeacherLimitReached"),
        ({"users": [{"email": 3}]}, "users[0].email"),
        ({"domainz": []}, "unknown keys"),
        ([], "expected a JSON object"),
    ],
)
def test_bad_seeds_are_refused_with_the_place(hooks, seed, where):
    status, body = hooks.request("POST", "_emulator/seed", seed)
    assert status == 400 and where in body["error"]["message"]


def test_journal_since_and_clear(classroom, hooks):
    make_course(classroom)
    entries = hooks.journal()
    assert entries[-1]["methodId"] == "courses.create" and entries[-1]["status"] == 200
    last = entries[-1]["seq"]
    expect_error(classroom.courses().get(id="d:nope"), 404, "NOT_FOUND")
    newer = hooks.journal(since=last)
    assert [(e["methodId"], e["status"], e["path"]) for e in newer] == [
        ("courses.get", 404, "/v1/courses/d%3Anope?alt=json")]
    assert hooks.request("DELETE", "_emulator/journal")[0] == 200
    assert hooks.journal() == []
    assert hooks.request("GET", "_emulator/nothing")[0] == 404
    assert hooks.request("GET", "_emulator/health") == (200, {"ok": True})


def test_reset_returns_to_the_startup_seed_and_faults():
    seed = {"domains": [DOMAIN], "courses": [{"name": "Bio", "ownerEmail": OWNER, "aliases": ["d:B"]}]}
    with EmulatorServer(seed=seed, faults="courses.delete=503", quota_qps=1000) as server:
        hooks = Hooks(server.base_url)
        pool = httplib2.Http(timeout=30)
        try:
            client = build_classroom(pool, server.base_url)
            make_course(client, alias="d:NEW")
            hooks.faults(spec="", quotaQps=None)
            client.courses().delete(id="d:B").execute()
            hooks.reset()
            assert [c["aliases"] for c in hooks.state()["courses"]] == [["d:B"]]
            described = hooks.request("GET", "_emulator/faults")[1]
            assert described["rules"] == ["courses.delete=503@1"] and described["quotaQps"] == 1000
        finally:
            pool.close()


def test_ids_are_never_reused_across_resets(classroom, hooks):
    first = make_course(classroom)
    hooks.reset()
    hooks.seed({"domains": [DOMAIN]})
    assert make_course(classroom)["id"] != first["id"]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(PLUGINS)}


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_cli_serves_until_signalled(tmp_path, stop_signal):
    seed_file = tmp_path / "seed.json"
    seed_file.write_text(json.dumps({"domains": [DOMAIN], "courses": [{"name": "Bio", "ownerEmail": OWNER}]}))
    process = subprocess.Popen(
        [sys.executable, "-m", "littlesis.emulator.cli", "--host", "127.0.0.1", "--port", "0", "--seed",
         str(seed_file), "--faults", "courses.get=503@0.1", "--fault-seed", "4", "--latency-ms", "1",
         "--quota-qps", "100"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(),
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("Classroom emulator listening on http://127.0.0.1:")
        url = line.rsplit(" ", 1)[1].strip()
        with urllib.request.urlopen(url + "_emulator/state", timeout=10) as resp:
            assert [c["name"] for c in json.loads(resp.read())["courses"]] == ["Bio"]
        with urllib.request.urlopen(url + "_emulator/faults", timeout=10) as resp:
            described = json.loads(resp.read())
        assert described["seed"] == 4 and described["latencyMs"] == 1 and described["quotaQps"] == 100
        process.send_signal(stop_signal)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


@pytest.mark.parametrize(
    "argv",
    [["--faults", "courses.get=teapot"], ["--seed", "/nonexistent/seed.json"], ["--latency-ms", "-1"],
     ["--quota-qps", "0"]],
)
def test_cli_refuses_bad_arguments(argv, capsys):
    assert main(["--port", "0", *argv]) == 2
    assert "littlesis emulator:" in capsys.readouterr().err


def test_cli_refuses_a_bad_seed_file(tmp_path, capsys):
    seed_file = tmp_path / "seed.json"
    seed_file.write_text(json.dumps({"courses": [{"name": "x"}]}))
    assert main(["--port", "0", "--seed", str(seed_file)]) == 2
    assert "ownerEmail" in capsys.readouterr().err
