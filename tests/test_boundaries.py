"""The pure core must not pull in Airflow, the Google client, the database or the web layer."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

from tests.conftest import ROOT

FORBIDDEN = ["airflow", "googleapiclient", "sqlalchemy", "fastapi", "alembic", "starlette"]


def test_core_imports_nothing_forbidden_in_a_fresh_interpreter():
    import littlesis.core

    modules = [m.name for m in pkgutil.walk_packages(littlesis.core.__path__, "littlesis.core.")]
    assert "littlesis.core.sources.loader" in modules  # the walk really found the package
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            env={"PYTHONPATH": str(ROOT / "plugins"), "PATH": "/usr/bin:/bin"})
    assert json.loads(result.stdout) == []
