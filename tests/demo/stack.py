"""The demo stack for tests: `bin/littlesis demo` in a temporary folder on free ports, and what it holds.

Shared by the demo test (tests/demo) and the browser tests (tests/browser), which start the same stack.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from littlesis.store import runs
from littlesis.store.engine import make_engine, session_scope
from tests.conftest import ROOT
from tests.smtp_inbox import free_port

DEMO_JOBS = {"littlesis_demo_generic": "demo_generic", "littlesis_demo_oneroster": "demo_oneroster"}
REVIEW_TIMEOUT_S = 420  # the analyses of both jobs, on two cores shared with other work
COMMIT_TIMEOUT_S = 420


def demo_env(folder: Path) -> dict[str, str]:
    """This process's environment without Airflow's settings, pointing the demo at ``folder`` and free ports."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update({"LITTLESIS_DEMO_DIR": str(folder), "LITTLESIS_DEMO_PORT": str(free_port()),
                "LITTLESIS_DEMO_EMULATOR_PORT": str(free_port()), "LITTLESIS_DEMO_SMTP_PORT": str(free_port())})
    return env


def demo_command(command: str, env: dict[str, str], timeout_s: float = 900) -> subprocess.CompletedProcess[str]:
    """``bin/littlesis demo <command>`` (up, stop, status)."""
    return subprocess.run([str(ROOT / "bin" / "littlesis"), "demo", command], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout_s)


def demo_store_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'airflow' / 'littlesis' / 'store.db'}"


def pending_review(store_url: str) -> dict[str, str]:
    """The newest run waiting for review of each demo job that has one, by job id."""
    engine = make_engine(store_url)
    try:
        with session_scope(engine, readonly=True) as session:
            waiting = {job: runs.list_runs(session, job, states=["pending_review"]) for job in DEMO_JOBS.values()}
    finally:
        engine.dispose()
    return {job: found[0].run_id for job, found in waiting.items() if found}
