"""An emulator in a separate process, for benchmarks (so it doesn't share the GIL with the client)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def emulator_process(seed: dict[str, Any], *options: str) -> Iterator[str]:
    """Start ``littlesis.emulator.cli`` on a free port with ``seed`` and extra CLI options; yield its URL."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(seed, handle)
    process = subprocess.Popen(
        [sys.executable, "-m", "littlesis.emulator.cli", "--port", "0", "--seed", handle.name, *options],
        stdout=subprocess.PIPE, text=True, env={"PYTHONPATH": str(ROOT / "plugins")},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if "listening on" not in line:
            raise RuntimeError(f"emulator did not start: {line!r}")
        yield line.rsplit(" ", 1)[1].strip()
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
        Path(handle.name).unlink()
