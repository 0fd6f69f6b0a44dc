"""A small extra job whose SIS export names its classes with markup and formula text, analyzed into the demo.

The demo's Airflow only reads the shipped job configs (``include/job_configs``), so this job is analyzed
the way an administrator would try a new export on the Airflow host: ``bin/littlesis analyze`` with the
demo's connections (its store, its Classroom emulator). Its run lands in the same store the plugin reads.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import yaml

from littlesis.deploy.demo import classroom_connection
from littlesis.deploy.demo_settings import DemoSettings
from littlesis.deploy.setup import store_connection
from tests.conftest import ROOT

DEMO_CONFIG = ROOT / "include" / "job_configs" / "demo_generic.yaml"
DEMO_ROSTER = ROOT / "include" / "demo" / "generic" / "roster.csv"
HOSTILE_JOB = "browser_hostile_names"
# Each one would run, break out of an attribute, or call home from a spreadsheet if it were not shown as text.
HOSTILE_CLASS_NAMES = (
    "<script>window.__xss=1</script>",
    '"><img src=x onerror=window.__xss=2>',
    '=HYPERLINK("http://127.0.0.1/x")',
)
HOSTILE_JOB_NAME = "Hostile names <img src=x onerror=window.__xss=3>"


def write_hostile_job(folder: Path) -> Path:
    """The demo's generic job (same preset, same mapping) over a roster of three hostile classes."""
    folder.mkdir(parents=True, exist_ok=True)
    demo: dict[str, Any] = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
    with DEMO_ROSTER.open(encoding="utf-8-sig", newline="") as handle:
        template = next(csv.DictReader(handle))  # a real teacher and student of the demo domain
    rows = [{**template, "CourseID": f"9{n:02d}", "SectionID": f"9900{n}", "Period": str(n + 1), "CourseName": name}
            for n, name in enumerate(HOSTILE_CLASS_NAMES)]
    with (folder / "roster.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(template), quoting=csv.QUOTE_ALL)
        writer.writeheader()
        writer.writerows(rows)
    config = {"id": HOSTILE_JOB, "name": HOSTILE_JOB_NAME,
              "source": {**demo["source"], "files": {"roster": "roster.csv"}},
              "mapping": demo["mapping"], "automation": {"mode": "manual"}}
    path = folder / f"{HOSTILE_JOB}.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def analyze_into_demo(config: Path, settings: DemoSettings) -> dict[str, Any]:
    """``bin/littlesis analyze --json`` against the demo's store and emulator; its summary."""
    env = settings.airflow_env(os.environ)  # the demo's Airflow home and Python; this process's AIRFLOW_* dropped
    env.update({"AIRFLOW_CONN_LITTLESIS_STORE": json.dumps(store_connection(settings.store_url)),
                "AIRFLOW_CONN_LITTLESIS_CLASSROOM": classroom_connection(settings)})
    done = subprocess.run([str(ROOT / "bin" / "littlesis"), "analyze", str(config), "--json"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    summary: dict[str, Any] = json.loads(done.stdout)
    return summary
