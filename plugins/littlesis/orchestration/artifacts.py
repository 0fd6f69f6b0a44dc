"""The per-run artifacts folder: the exact export files a run read, archived with their sha256.

``$LITTLESIS_ARTIFACTS`` (default ``$AIRFLOW_HOME/littlesis/artifacts``) / <job> / <run id>.
A cleared and re-run run finds its manifest and reads the archived copy, not today's export.
Source paths may name the run's date as ``{ds}`` (``exports/{ds}/roster.csv``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from littlesis.core.config import JobConfig
from littlesis.core.sources.locations import PathMap, is_url, read_bytes, resolve_location

ARTIFACTS_ENV = "LITTLESIS_ARTIFACTS"
MANIFEST = "manifest.json"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.+-]")


def artifacts_root() -> Path:
    override = os.environ.get(ARTIFACTS_ENV, "").strip()
    if override:
        return Path(override)
    home = os.environ.get("AIRFLOW_HOME") or str(Path.home() / "airflow")
    return Path(home) / "littlesis" / "artifacts"


def run_folder(job_id: str, run_id: str, root: Path | None = None) -> Path:
    # Run ids hold ':' and '+' (timestamps); keep them readable but safe on every filesystem.
    return (root or artifacts_root()) / job_id / _UNSAFE.sub("_", run_id)


@dataclass(frozen=True)
class Archive:
    folder: Path
    source: dict[str, Any]  # the job's ``source`` with every location pointing into the archive
    files: list[dict[str, Any]]

    def job(self, job: JobConfig) -> JobConfig:
        """``job`` reading the archived files."""
        return job.model_copy(update={"source": job.source.model_copy(update=self.source)})


def archive_sources(job: JobConfig, config_path: Path, folder: Path, *, ds: str | None,
                    path_map: PathMap | None = None) -> Archive:
    """Copy the export into ``folder`` once; later calls return the first copy."""
    existing = load_archive(folder)
    if existing is not None:
        return existing
    path_map = path_map or PathMap.from_env()
    staging = folder.with_name(folder.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    files: list[dict[str, Any]] = []
    source: dict[str, Any]
    if job.source.files is not None:
        archived: dict[str, str] = {}
        for key, raw in job.source.files.items():
            location = resolve_location(_dated(raw, ds), config_path.parent, path_map, f"source.files.{key}")
            target = staging / "files" / key / Path(location.split("!")[-1]).name
            files.append(_copy(location, target, staging, folder, key))
            archived[key] = str(folder / target.relative_to(staging))
        source = {"files": archived, "dir": None}
    else:
        assert job.source.dir is not None
        location = resolve_location(_dated(job.source.dir, ds), config_path.parent, path_map, "source.dir")
        if is_url(location) and not location.startswith("file://"):
            raise ValueError(f"source.dir {location!r}: archiving a remote folder is not supported yet")
        path = Path(location.removeprefix("file://"))
        if path.is_dir():
            for child in sorted(p for p in path.iterdir() if p.is_file()):
                files.append(_copy(str(child), staging / "dir" / child.name, staging, folder, child.name))
            source = {"dir": str(folder / "dir"), "files": None}
        else:
            target = staging / path.name
            files.append(_copy(str(path), target, staging, folder, path.name))
            source = {"dir": str(folder / path.name), "files": None}
    (staging / MANIFEST).write_text(json.dumps({"source": source, "files": files}, indent=2), encoding="utf-8")
    # The folder appears whole or not at all: a task killed half way leaves only the .partial.
    if folder.exists():
        shutil.rmtree(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging.rename(folder)
    return Archive(folder, source, files)


def load_archive(folder: Path) -> Archive | None:
    manifest = folder / MANIFEST
    if not manifest.is_file():
        return None
    data = json.loads(manifest.read_text(encoding="utf-8"))
    return Archive(folder, data["source"], data["files"])


def _dated(raw: str, ds: str | None) -> str:
    return raw.replace("{ds}", ds) if ds else raw


def _copy(location: str, target: Path, staging: Path, folder: Path, name: str) -> dict[str, Any]:
    data = read_bytes(location, name)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return {"name": name, "original": location, "archived": str(folder / target.relative_to(staging)),
            "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
