"""Running Airflow's own command line (``airflow ...``) as a child process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

# A command that never returns (a locked metadata database) must not hang the set-up for ever.
DEFAULT_TIMEOUT_S = 300.0


class AirflowCommandError(RuntimeError):
    """An ``airflow`` command failed; the message holds the command and the end of its output."""


def airflow_executable() -> str:
    """The ``airflow`` beside this interpreter (the venv's), else the one on PATH."""
    beside = Path(sys.executable).with_name("airflow")
    if beside.exists():
        return str(beside)
    found = shutil.which("airflow")
    if found is None:
        raise AirflowCommandError(f"no 'airflow' command beside {sys.executable} or on PATH; run `make install`")
    return found


def run_airflow(args: Sequence[str], env: Mapping[str, str] | None = None,
                timeout: float = DEFAULT_TIMEOUT_S) -> str:
    """Run ``airflow *args``; returns its output, raises AirflowCommandError when it fails."""
    command = [airflow_executable(), *args]
    try:
        done = subprocess.run(command, env=dict(env if env is not None else os.environ), capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise AirflowCommandError(f"`airflow {' '.join(args)}` did not finish within {timeout:.0f} s") from exc
    output = (done.stdout or "") + (done.stderr or "")
    if done.returncode != 0:
        tail = "\n".join(output.strip().splitlines()[-15:])
        raise AirflowCommandError(f"`airflow {' '.join(args)}` failed (exit {done.returncode}):\n{tail}")
    return output
