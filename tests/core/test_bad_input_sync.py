"""The whole sync path (`bin/littlesis sync` in one process) against the emulator over real HTTP.

A run whose export fails to load stops before anything talks to Classroom: the
emulator's journal stays empty (not a single call, let alone a write) and the
store holds no run. And a class too big for Classroom is synced up to the limit,
with no call failing at commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from littlesis.classroom.credentials import static_token
from littlesis.classroom.google_client import GoogleClassroomClient
from littlesis.classroom.ratelimit import TokenBucket
from littlesis.core.errors import SourceError
from littlesis.core.job_files import read_job
from littlesis.emulator import EmulatorServer
from littlesis.service.analysis_run import REFUSED_FILE
from littlesis.service.sync_run import run_sync
from littlesis.store import run_details, runs
from littlesis.store.engine import make_engine, session_scope, sqlite_url
from littlesis.store.migrate import upgrade
from tests.classroom.helpers import Hooks
from tests.core.test_bad_input import GOOD, HEADER, roster

DOMAIN = "d.org"
ADMIN = f"admin@{DOMAIN}"
JOB = "id: broken\nname: Broken\nsource: {{preset: generic, files: {{roster: '{roster}'}}}}\n"


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer(seed={"domains": [DOMAIN], "auto_users": True}) as server:
        yield server


@pytest.fixture
def world(tmp_path: Path, emulator: EmulatorServer) -> Iterator[tuple[Hooks, object, GoogleClassroomClient]]:
    hooks = Hooks(emulator.base_url)
    hooks.reset()
    hooks.request("DELETE", "journal")
    url = sqlite_url(tmp_path / "store.db")
    upgrade(url)
    client = GoogleClassroomClient(emulator.base_url, credentials=static_token(ADMIN), limiter=TokenBucket(1000))
    yield hooks, make_engine(url), client
    client.close()


def sync(world, config: Path):
    _, engine, client = world
    return run_sync(read_job(config), config, engine, client, DOMAIN, approve="all", actor="test",
                    smtp_conn_id=None)


BROKEN = {
    "NUL byte": ("roster.csv", roster(GOOD, "1000,101,2,2026,Alg\x00ebra,1,R1,t1@d.org,s2@d.org,").encode(),
                 "roster.csv:3: contains a NUL byte"),
    "missing column": ("roster.csv", roster(GOOD).replace("TeacherEmail", "Teacher").encode(),
                       "mapping.teacher_email: column 'TeacherEmail' is not in roster.csv"),
    "UTF-16 without a byte-order mark": ("roster.csv", roster(GOOD).encode("utf-16-le"),
                                         "roster.csv:1: looks like UTF-16 text without a byte-order mark"),
    "path out of the allowed folders": ("../" * 20 + "etc/passwd", None, "source.files.roster: /etc/passwd is "
                                        "outside the folders sources may be read from"),
}


@pytest.mark.parametrize("name", BROKEN)
def test_a_run_that_fails_to_load_sends_nothing_to_classroom(tmp_path, world, name):
    path, content, message = BROKEN[name]
    if content is not None:
        (tmp_path / path).write_bytes(content)
    config = tmp_path / "job.yaml"
    config.write_text(JOB.format(roster=path), encoding="utf-8")
    with pytest.raises(SourceError) as info:
        sync(world, config)
    assert message in str(info.value)
    hooks, engine, _ = world
    assert hooks.journal() == []
    with session_scope(engine, readonly=True) as session:
        assert runs.list_runs(session, "broken") == []


def test_a_class_over_the_member_limit_is_synced_to_the_limit_without_a_failed_call(tmp_path, world):
    rows = [f"1000,101,1,2026,Big,1,R1,teacher@{DOMAIN},s{i}@{DOMAIN}," for i in range(1001)]
    (tmp_path / "roster.csv").write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    config = tmp_path / "job.yaml"
    config.write_text(JOB.format(roster="roster.csv"), encoding="utf-8")
    outcome = sync(world, config)
    refused = outcome.analysis.plan.refused
    assert refused["payload"].tolist() == [f'{{"userId":"s{i}@{DOMAIN}"}}' for i in (999, 1000)]
    _, engine, _ = world
    with session_scope(engine, readonly=True) as session:  # and the reviewer sees them with the rejected rows
        shown = run_details.list_rejected_rows(session, outcome.analysis.run_id)
    assert [(r.file, r.field, r.value) for r in shown] == [
        (REFUSED_FILE, "add_student", f"1000-101-1-2026: s{i}@{DOMAIN}") for i in (999, 1000)]
    assert all("1000" in r.reason for r in shown)
    assert outcome.commit is not None and outcome.commit.failures == []
    assert outcome.commit.run_statuses == {"done": 1 + 999}
    hooks, _, _ = world
    (course,) = hooks.state()["courses"]
    assert len(course["teachers"]) + len(course["students"]) == 1000
    # The journal the failed runs left empty does record calls: here, every addition.
    methods = [p["methodId"] for e in hooks.journal() for p in e.get("parts") or [e]]
    assert methods.count("courses.students.create") == 999
