"""Shared test helpers: paths and a tiny job-config writer."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
REAL = FIXTURES / "real"

# A job config with three mistakes on lines 3, 6 and 8 (the validate example of the README).
TYPO_BAD_OP_MISSING_PARENT = """
id: broken_job
name: Broken
extends: missing_parent.yaml
rules:
  exclude:
    - {column: Term, op: equal, value: S2}
preferences:
  remove_student: true
"""


@pytest.fixture
def write(tmp_path: Path):
    """write("name.yaml", text) -> Path; text is dedented; bytes are written as given."""

    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip(), encoding="utf-8")
        return path

    return _write
