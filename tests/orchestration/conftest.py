"""Helpers for the Airflow-side tests: job configs in a temp folder, an Airflow env for subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

SHIPPED = ROOT / "include" / "job_configs"
DEMO = ROOT / "include" / "demo"
DEMO_JOB = SHIPPED / "demo_generic.yaml"
DEMO_ROSTER = DEMO / "generic" / "roster.csv"
DEMO_SEED = DEMO / "classroom_seed.json"


def copy_configs(folder: Path) -> list[Path]:
    """The shipped configs copied into ``folder`` with their relative source paths still resolving."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for path in sorted(SHIPPED.glob("*.yaml")):
        target = folder / path.name
        target.write_text(path.read_text(encoding="utf-8").replace("../demo/", f"{DEMO}/"), encoding="utf-8")
        out.append(target)
    return out


def airflow_env(tmp: Path, **extra: str) -> dict[str, str]:
    home = tmp / "airflow_home"
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "PYTHONPATH": str(ROOT / "plugins"),
    })
    env.update(extra)
    return env


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]
    return done


@pytest.fixture
def configs(tmp_path: Path) -> Path:
    folder = tmp_path / "job_configs"
    copy_configs(folder)
    return folder


def write_config(folder: Path, job_id: str, *, mode: str = "manual", schedule: str | None = None,
                 extra: str = "") -> Path:
    lines = [f"id: {job_id}", f"name: Job {job_id}", "source:", "  preset: generic", "  files:",
             f"    roster: {DEMO}/generic/roster.csv", "automation:", f"  mode: {mode}"]
    if schedule:
        lines.append(f"  schedule: \"{schedule}\"")
    path = folder / f"{job_id}.yaml"
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


def demo_config(folder: Path, job_id: str, automation: str = "mode: manual", roster: Path | str | None = None) -> Path:
    """The shipped demo job (removals on, a 10 % safety guard) as ``job_id``, reading ``roster`` (the demo's)."""
    from littlesis.core.job_files import read_job

    folder.mkdir(parents=True, exist_ok=True)
    text = DEMO_JOB.read_text(encoding="utf-8").replace("../demo/", f"{DEMO}/")
    text = text.replace("id: demo_generic", f"id: {job_id}").replace("automation:\n  mode: manual",
                                                                     f"automation:\n  {automation}")
    if roster is not None:
        text = text.replace(str(DEMO_ROSTER), str(roster))
    path = folder / f"{job_id}.yaml"
    path.write_text(text, encoding="utf-8")
    assert read_job(path).id == job_id
    return path
