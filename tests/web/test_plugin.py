"""The plugin file as Airflow's plugin manager loads it: cheap to import, no database opened until a request."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.orchestration.conftest import airflow_env, run_python

pytestmark = pytest.mark.slow

LOAD = """
import json, sys
from airflow import plugins_manager

plugins, errors = plugins_manager._get_plugins()
ours = [p for p in plugins if p.name == "littlesis"]
imported = sorted(m for m in sys.modules if m.split(".")[0] == "littlesis")
views, _ = plugins_manager._get_ui_plugins()
apps, _ = plugins_manager.get_fastapi_plugins()
print(json.dumps({
    "errors": errors, "count": len(ours), "imported_at_load": imported,
    "views": [{k: v.get(k) for k in ("name", "href", "destination", "url_route")} for v in views],
    "apps": [{"prefix": a["url_prefix"], "type": type(a["app"]).__name__} for a in apps],
    "web_loaded_after_apps": "littlesis.web.app" in sys.modules,
}))
"""


def test_loading_the_plugin_imports_little_and_opens_no_database(tmp_path: Path) -> None:
    store = tmp_path / "store" / "never-created.db"
    env = airflow_env(tmp_path, AIRFLOW_CONN_LITTLESIS_STORE=json.dumps({"conn_type": "sqlite", "host": str(store)}))
    result = json.loads(run_python(LOAD, env).stdout.strip().splitlines()[-1])
    assert result["errors"] == {} and result["count"] == 1
    # Loading (what the scheduler and every worker do) imports the plugin file only, no module of the package.
    assert result["imported_at_load"] == []
    assert result["views"] == [
        {"name": "Little SIS", "href": "/littlesis/", "destination": "nav", "url_route": "littlesis"},
        {"name": "Little SIS review", "href": "/littlesis/jobs/{DAG_ID}/runs/{RUN_ID}", "destination": "dag_run",
         "url_route": "littlesis_run"},
    ]
    # The API server asks for the apps: the app is built now, and still has not opened the store.
    assert result["apps"] == [{"prefix": "/littlesis", "type": "FastAPI"}] and result["web_loaded_after_apps"]
    assert not store.exists() and not store.parent.exists()
