"""dags/ parsed the way Airflow parses it (a DagBag, in a subprocess with its own AIRFLOW_HOME)."""

from __future__ import annotations

import json

from tests.orchestration.conftest import SHIPPED, airflow_env, run_python

DAGBAG = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1] if len(sys.argv) > 1 else None, safe_mode=True)  # as Airflow discovers files
print(json.dumps({"dags": sorted(bag.dag_ids), "errors": {k: str(v) for k, v in bag.import_errors.items()}}))
"""

IMPORTS = """
import json, sys, time
t0 = time.perf_counter()
import airflow.sdk
t1 = time.perf_counter()
import runpy
found = runpy.run_path("dags/littlesis_jobs.py")
t2 = time.perf_counter()
heavy = [m for m in ("pandas", "googleapiclient", "littlesis.store", "littlesis.orchestration.tasks") if m in sys.modules]
print(json.dumps({"dags": sorted(k for k in found if k.startswith("littlesis_")), "heavy": heavy}))
"""


def _bag(env) -> dict:
    return json.loads(run_python(DAGBAG, env).stdout.strip().splitlines()[-1])


def test_every_shipped_config_becomes_a_dag(tmp_path):
    result = _bag(airflow_env(tmp_path))
    assert result["errors"] == {}
    assert result["dags"] == sorted(f"littlesis_{p.stem}" for p in SHIPPED.glob("*.yaml"))


def test_a_broken_config_next_to_good_ones_loses_only_itself(tmp_path, configs):
    (configs / "broken.yaml").write_text("id: Broken Id\nname: x\nsource: {preset: generic, files: {}}\n",
                                         encoding="utf-8")
    result = _bag(airflow_env(tmp_path, LITTLESIS_JOB_CONFIGS=str(configs)))
    assert result["errors"] == {}
    assert result["dags"] == ["littlesis_demo_generic", "littlesis_demo_oneroster"]


def test_parsing_imports_neither_pandas_nor_the_google_client(tmp_path, configs):
    env = airflow_env(tmp_path, LITTLESIS_JOB_CONFIGS=str(configs))
    result = json.loads(run_python(IMPORTS, env).stdout.strip().splitlines()[-1])
    assert result["dags"] == ["littlesis_demo_generic", "littlesis_demo_oneroster"]
    assert result["heavy"] == []
