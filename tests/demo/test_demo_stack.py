"""`make demo` for real: Airflow standalone, the emulator and the SMTP catcher in a temporary demo folder on
free ports; log in, find the demo jobs, see their analyses wait for review, approve one and get the teachers'
e-mails; a second `make demo` reuses everything; `make demo-stop` leaves no process of ours alive."""

from __future__ import annotations

import json
import re
import subprocess
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from littlesis.deploy.airflow_api import AirflowApi, wait_for
from littlesis.deploy.mailcatcher import received
from littlesis.deploy.processes import is_alive
from littlesis.service.staging import stage_all_allowed
from littlesis.store.engine import make_engine
from tests.conftest import ROOT
from tests.demo.stack import (
    COMMIT_TIMEOUT_S,
    DEMO_JOBS,
    REVIEW_TIMEOUT_S,
    demo_command,
    demo_env,
    demo_store_url,
    pending_review,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def demo(tmp_path):
    folder = tmp_path / "demo"
    env = demo_env(folder)
    try:
        yield folder, env
    finally:  # whatever failed, leave nothing running
        demo_command("stop", env, timeout_s=120)


def make(target: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["make", "--no-print-directory", target], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=900)


def ours(folder: Path) -> dict[int, psutil.Process]:
    """Every recorded process of the demo and everything it started, by PID."""
    found: dict[int, psutil.Process] = {}
    for pid_file in (folder / "pids").glob("*.pid"):
        root = psutil.Process(int(pid_file.read_text().split()[0]))
        for process in [root, *root.children(recursive=True)]:
            found[process.pid] = process
    return found


def test_make_demo_then_review_then_demo_stop(demo):
    folder, env = demo
    started = time.monotonic()
    first = make("demo", env)
    seconds_to_url = time.monotonic() - started
    assert first.returncode == 0, first.stdout + first.stderr
    print(f"\n`make demo` printed the URL after {seconds_to_url:.0f} s")  # a figure, not an assertion
    url = f"http://127.0.0.1:{env['LITTLESIS_DEMO_PORT']}"
    assert "Little SIS Sync demo is running" in first.stdout and url in first.stdout
    password = re.search(r"Login: admin / (\S+)", first.stdout).group(1)

    api = AirflowApi.login(url, "admin", password)  # POST /auth/token, as the UI does
    listed = api.request("GET", "/api/v2/dags?dag_id_pattern=littlesis_demo")["dags"]
    assert {d["dag_id"]: d["is_paused"] for d in listed} == {dag_id: False for dag_id in DEMO_JOBS}

    store_url = demo_store_url(folder)
    waiting = wait_for(lambda: len(pending_review(store_url)) == 2 and pending_review(store_url),
                       REVIEW_TIMEOUT_S, "both demo jobs pending review", interval_s=3)
    if (ROOT / "plugins" / "littlesis_plugin.py").exists():
        page = api.request_text("GET", "/littlesis/")
        assert all(job in page for job in DEMO_JOBS.values()), page[:2000]

    # A second `make demo` finds everything running: same processes, no new analysis.
    before = {p.name: p.read_text() for p in (folder / "pids").glob("*.pid")}
    runs_before = {dag_id: len(api.dag_runs(dag_id)) for dag_id in DEMO_JOBS}
    again = make("demo", env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.count("already running") == 3 and "(they ran before)" in again.stdout
    assert {p.name: p.read_text() for p in (folder / "pids").glob("*.pid")} == before
    assert {dag_id: len(api.dag_runs(dag_id)) for dag_id in DEMO_JOBS} == runs_before

    # Approve the generic job's plan as a reviewer would; the commit mails the teachers through the catcher.
    engine = make_engine(store_url)
    try:
        outcome = stage_all_allowed(engine, waiting["demo_generic"], actor="demo test")
    finally:
        engine.dispose()
    assert outcome.approved, outcome.reasons
    mails = wait_for(lambda: received(folder / "mail"), COMMIT_TIMEOUT_S, "the teachers' e-mails", interval_s=3)
    assert all(m.subject.startswith("Google Classroom:") for m in mails)
    with urllib.request.urlopen(f"http://127.0.0.1:{env['LITTLESIS_DEMO_EMULATOR_PORT']}/_emulator/state") as r:
        courses = json.loads(r.read())["courses"]
    assert len(courses) > 3  # the three teachers' own classes, and the ones the commit created

    processes = ours(folder)
    assert len(processes) >= 6  # emulator, catcher, standalone and its scheduler, api-server, triggerer, ...
    rss_mb = sum(p.memory_info().rss for p in processes.values() if is_alive(p)) / 2**20
    print(f"the demo's {len(processes)} processes use {rss_mb:.0f} MB RSS")
    stop = make("demo-stop", env)
    assert stop.returncode == 0, stop.stdout + stop.stderr
    still = [f"{pid} {p.cmdline()}" for pid, p in processes.items() if is_alive(p)]
    assert still == []
    assert list((folder / "pids").glob("*.pid")) == []
