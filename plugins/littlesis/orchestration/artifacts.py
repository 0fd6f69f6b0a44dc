"""The per-run artifacts location, and the exact export files a run read, archived with their sha256.

``$LITTLESIS_ARTIFACTS`` (a local folder or any fsspec URL; default ``$AIRFLOW_HOME/littlesis/artifacts``)
/ <job> / <run id> holds ``export/`` (this module) and the data the tasks hand each other
(``littlesis.orchestration.stages``). A cleared and re-run run finds its export's manifest and
reads the archived copy, not today's export. Source paths may name the run's date as ``{ds}``
(``exports/{ds}/roster.csv``).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fsspec

from littlesis.core.config import JobConfig
from littlesis.core.sources.locations import PathMap, read_bytes, resolve_location
from littlesis.core.sources.roots import artifacts_root
from littlesis.orchestration.storage import Folder

EXPORT = "export"
MANIFEST = "manifest.json"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.+-]")


def run_folder(job_id: str, run_id: str, root: str | Path | None = None) -> Folder:
    # Run ids hold ':' and '+' (timestamps); keep them readable but safe on every filesystem.
    return Folder.at(str(root or artifacts_root())).child(job_id, _UNSAFE.sub("_", run_id))


@dataclass(frozen=True)
class Archive:
    location: str  # of the run's export/ folder
    source: dict[str, Any]  # the job's ``source`` with every location pointing into the archive
    files: list[dict[str, Any]]

    def job(self, job: JobConfig) -> JobConfig:
        """``job`` reading the archived files."""
        return job.model_copy(update={"source": job.source.model_copy(update=self.source)})


def archive_sources(job: JobConfig, config_path: Path, folder: Folder, *, ds: str | None,
                    path_map: PathMap | None = None) -> Archive:
    """Copy the export into ``folder``/export once; later calls return the first copy."""
    existing = load_archive(folder)
    if existing is not None:
        return existing
    export = folder.child(EXPORT)
    export.remove()  # what an attempt killed before its manifest left behind
    path_map = path_map or PathMap.from_env()
    files: list[dict[str, Any]] = []
    source: dict[str, Any]
    if job.source.files is not None:
        archived: dict[str, str] = {}
        for key, raw in job.source.files.items():
            location = resolve_location(_dated(raw, ds), config_path.parent, path_map, f"source.files.{key}")
            name = f"files/{key}/{Path(location.split('!')[-1]).name}"
            files.append(_copy(location, export, name, key))
            archived[key] = export.file(name)
        source = {"files": archived, "dir": None}
    else:
        assert job.source.dir is not None
        location = resolve_location(_dated(job.source.dir, ds), config_path.parent, path_map, "source.dir")
        fs, path = fsspec.core.url_to_fs(location)
        if fs.isdir(path):
            for entry in sorted(e["name"] for e in fs.ls(path, detail=True) if e["type"] == "file"):
                child = entry.rstrip("/").rsplit("/", 1)[-1]
                files.append(_copy(str(fs.unstrip_protocol(entry)) if "://" in location else entry,
                                   export, f"dir/{child}", child))
            source = {"dir": export.file("dir"), "files": None}
        else:  # a .zip of the export
            name = Path(path).name
            files.append(_copy(location, export, name, name))
            source = {"dir": export.file(name), "files": None}
    # The manifest goes last: an archive without one is incomplete and is made again.
    export.write_bytes(MANIFEST, json.dumps({"source": source, "files": files}, indent=2).encode())
    return Archive(export.location, source, files)


def load_archive(folder: Folder) -> Archive | None:
    export = folder.child(EXPORT)
    if not export.exists(MANIFEST):
        return None
    data = json.loads(export.read_bytes(MANIFEST))
    return Archive(export.location, data["source"], data["files"])


def _dated(raw: str, ds: str | None) -> str:
    return raw.replace("{ds}", ds) if ds else raw


def _copy(location: str, export: Folder, name: str, label: str) -> dict[str, Any]:
    data = read_bytes(location, label)
    export.write_bytes(name, data)
    return {"name": label, "original": location, "archived": export.file(name),
            "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
