"""How long dags/littlesis_jobs.py takes to build the DAGs of 100 job configs, in a fresh process.

Copies of the demo configs with different ids go into a temp folder (LITTLESIS_JOB_CONFIGS).
Each of 5 rounds starts a new interpreter, times `import airflow.sdk` on its own, then the
DAG file; prints the medians and whether pandas or googleapiclient got imported.

    .venv/bin/python bench/dag_parse.py [--jobs 100] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "include" / "job_configs"
DEMO = ROOT / "include" / "demo"

CHILD = """
import json, runpy, sys, time
t0 = time.perf_counter()
import airflow.sdk  # noqa: F401
from airflow.providers.standard.operators.python import PythonOperator  # noqa: F401
from airflow.triggers.base import BaseTrigger  # noqa: F401
t1 = time.perf_counter()
found = runpy.run_path(sys.argv[1])
t2 = time.perf_counter()
print(json.dumps({"airflow_import": t1 - t0, "build": t2 - t1,
                  "dags": sum(1 for k in found if k.startswith("littlesis_")),
                  "heavy": [m for m in ("pandas", "googleapiclient") if m in sys.modules]}))
"""


def write_configs(folder: Path, count: int) -> None:
    demos = sorted(CONFIGS.glob("*.yaml"))
    for i in range(count):
        source = demos[i % len(demos)]
        text = source.read_text(encoding="utf-8").replace("../demo/", f"{DEMO}/")
        original_id = source.stem
        text = text.replace(f"id: {original_id}", f"id: {original_id}_{i:03d}", 1)
        (folder / f"{original_id}_{i:03d}.yaml").write_text(text, encoding="utf-8")


def one_round(folder: Path, home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update({"AIRFLOW_HOME": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "PYTHONPATH": str(ROOT / "plugins"), "LITTLESIS_JOB_CONFIGS": str(folder)})
    done = subprocess.run([sys.executable, "-c", CHILD, str(ROOT / "dags" / "littlesis_jobs.py")],
                          capture_output=True, text=True, env=env, cwd=ROOT, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder, home = Path(tmp) / "configs", Path(tmp) / "home"
        folder.mkdir()
        home.mkdir()
        write_configs(folder, args.jobs)
        results = [one_round(folder, home) for _ in range(args.rounds)]
    dags = {r["dags"] for r in results}
    heavy = sorted({m for r in results for m in r["heavy"]})
    print(f"| {args.jobs} job configs, {args.rounds} fresh processes | median | min | max |")
    print("|---|---|---|---|")
    for key, label in (("airflow_import", "import Airflow (not counted)"), ("build", "build the DAGs")):
        values = [r[key] for r in results]
        print(f"| {label} | {statistics.median(values):.3f} s | {min(values):.3f} s | {max(values):.3f} s |")
    print(f"| DAGs built | {', '.join(map(str, sorted(dags)))} | | |")
    print(f"| pandas / googleapiclient imported | {', '.join(heavy) or 'neither'} | | |")
    print(f"\nPython {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
