"""The deployment files as the tests see them: docker-compose.yaml parsed, .env.example filled in."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT

COMPOSE = ROOT / "docker-compose.yaml"
GOOGLE_KEY_OVERRIDE = ROOT / "deploy" / "compose.google-key.yaml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERFILE = ROOT / "Dockerfile"

# `${NAME:?message}`: compose refuses to run while NAME is unset or empty.
REQUIRED_VAR = re.compile(r"\$\{([A-Z0-9_]+):\?[^}]*\}")
SECRET_NAME = re.compile(r"(PASSWORD|SECRET|SECRET_KEY|FERNET_KEY|TOKEN|_AUTH)$")


def raw_compose(path: Path = COMPOSE) -> dict[str, Any]:
    """The file as written (PyYAML resolves the anchors and `<<` merges; `${...}` stay as text)."""
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def required_variables() -> set[str]:
    return set(REQUIRED_VAR.findall(COMPOSE.read_text(encoding="utf-8")))


def env_example() -> dict[str, str]:
    """NAME -> value of every assignment in .env.example (quotes removed, as compose reads them)."""
    values = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, _, value = line.partition("=")
        values[name.strip()] = value.strip().strip("'\"")
    return values


def filled_env_file(folder: Path, skip: str | None = None) -> tuple[Path, dict[str, str]]:
    """.env.example with every empty required value filled with a recognizable stand-in (except ``skip``)."""
    fills = {name: f"stand-in-{name.lower().replace('_', '-')}" for name in required_variables()
             if not env_example().get(name) and name != skip}
    lines = []
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        name = line.partition("=")[0].strip()
        lines.append(f"{name}={fills[name]}" if name in fills else line)
    path = folder / "filled.env"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, fills


def docker_compose() -> str:
    found = shutil.which("docker-compose")
    if found is None:
        pytest.skip("docker-compose (Debian's package; .ci/run installs it) is not installed")
    return found


def compose_config(env_file: Path, *extra: str, files: tuple[Path, ...] = (COMPOSE,)
                   ) -> subprocess.CompletedProcess[str]:
    """`docker-compose config` (no Docker engine needed) with only ``env_file`` as the environment."""
    command = [docker_compose(), "--project-directory", str(ROOT), "--env-file", str(env_file)]
    for path in files:
        command += ["-f", str(path)]
    return subprocess.run([*command, *extra, "config"], capture_output=True, text=True, cwd=ROOT,
                          env={"PATH": "/usr/local/bin:/usr/bin:/bin"}, timeout=120)
