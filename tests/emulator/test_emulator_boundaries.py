"""The emulator stands alone: importing it loads no other layer of ours and no heavy dependency."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import littlesis

PLUGINS = Path(littlesis.__file__).resolve().parents[1]
FORBIDDEN = ("airflow", "googleapiclient", "google", "sqlalchemy", "alembic", "fastapi", "starlette", "pydantic")


def test_importing_the_emulator_loads_only_the_standard_library_and_itself():
    # Compared with a bare interpreter: site-packages .pth files pre-load namespace packages.
    code = (
        "import json, sys; before = set(sys.modules); import littlesis.emulator, littlesis.emulator.cli; "
        "print(json.dumps(sorted(set(sys.modules) - before)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(PLUGINS)}, timeout=60)
    modules = json.loads(out.stdout)
    assert not [m for m in modules if m.split(".")[0] in FORBIDDEN]
    ours = [m for m in modules if m.startswith("littlesis")]
    assert all(m == "littlesis" or m.startswith(("littlesis.emulator", "littlesis.core")) for m in ours), ours
