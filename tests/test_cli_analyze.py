"""`bin/littlesis analyze` as an admin runs it: connections from the environment, a real emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from littlesis.emulator import EmulatorServer
from tests.conftest import ROOT

SEED = ROOT / "include" / "demo" / "classroom_seed.json"


def run(args, env):
    return subprocess.run([sys.executable, "-m", "littlesis", *args], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=180)


def test_analyze_fills_the_cache_then_plans_the_demo_job(tmp_path):
    with EmulatorServer(seed=json.loads(SEED.read_text())) as server:
        env = {**os.environ, "PYTHONPATH": str(ROOT / "plugins"), "AIRFLOW_HOME": str(tmp_path / "airflow"),
               "AIRFLOW_CONN_LITTLESIS_CLASSROOM": json.dumps({"conn_type": "google_cloud_platform", "extra": {
                   "api_endpoint": server.base_url, "delegated_admin": "admin@district.example.org"}}),
               "AIRFLOW_CONN_LITTLESIS_STORE": json.dumps({"conn_type": "sqlite", "host": str(tmp_path / "s.db")})}
        first = run(["analyze", "include/job_configs/demo_generic.yaml", "--json"], env)
        assert first.returncode == 0, first.stderr
        assert "was never filled: reading every course first" in first.stderr
        summary = json.loads(first.stdout)
        # The three classes teachers made by hand in the demo domain are linked, not duplicated.
        assert summary["counts"] == {"create_course": 16, "link_course": 3, "add_student": 338,
                                     "invite_guardian": 61}
        assert summary == {**summary, "unsafe": False, "unsafe_reasons": [], "excluded": 2, "rejected_rows": 1}
        second = run(["analyze", "include/job_configs/demo_generic.yaml"], env)
        assert second.returncode == 0, second.stderr
        assert "never filled" not in second.stderr
        assert "link_course: 3" in second.stdout and "min old" in second.stdout
