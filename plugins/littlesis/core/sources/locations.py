"""Where a source file really is: local paths, object-storage URLs and mapped Windows paths.

District admins write the path they know, often the Windows one where the SIS
drops its export (``C:\\SIS\\exports\\roster.csv`` or ``\\\\fileserver\\sis\\roster.csv``).
The deployment maps such prefixes to where the share is mounted for Airflow.
Every resolved location must lie inside an allowed source root (see ``roots``).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from littlesis.core.errors import Problem, SourceError
from littlesis.core.sources.roots import SourceRoots

PATH_MAP_ENV = "LITTLESIS_PATH_MAP"
_WINDOWS = re.compile(r"^(?:[A-Za-z]:[\\/]|\\\\)")


@dataclass(frozen=True)
class PathMap:
    """The deployment's source locations: Windows prefixes (compared case-insensitively, either
    slash) -> mount points or URLs, and the extra roots sources may be read from."""

    entries: tuple[tuple[str, str], ...] = ()
    roots: SourceRoots = field(default_factory=SourceRoots)

    @classmethod
    def from_mapping(cls, mapping: dict[str, str], roots: SourceRoots | None = None) -> PathMap:
        pairs = [(_normalize_windows(prefix).rstrip("/"), target.rstrip("/")) for prefix, target in mapping.items()]
        # Longest prefix first, so a specific share beats its parent.
        return cls(tuple(sorted(pairs, key=lambda p: len(p[0]), reverse=True)), roots or SourceRoots())

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> PathMap:
        env = environ if environ is not None else os.environ
        roots = SourceRoots.from_env(dict(env))
        raw = env.get(PATH_MAP_ENV, "").strip()
        if not raw:
            return cls(roots=roots)
        try:
            mapping = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise SourceError(Problem(PATH_MAP_ENV, f"not valid JSON: {exc.msg}", value=raw)) from None
        if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
            raise SourceError(Problem(PATH_MAP_ENV, 'expected {"C:\\\\SIS": "/mnt/sis", ...}', value=raw))
        return cls.from_mapping(mapping, roots)


def _normalize_windows(path: str) -> str:
    return path.replace("\\", "/").lower()


def is_windows_path(raw: str) -> bool:
    return bool(_WINDOWS.match(raw))


def is_url(raw: str) -> bool:
    return "://" in raw


def resolve_location(raw: str, base_dir: Path, path_map: PathMap, label: str, field: str | None = None) -> str:
    """A local path or fsspec URL for ``raw``; relative paths are relative to the job config.

    Raises SourceError, naming ``label`` (and ``field``), for an unmapped Windows path or a
    location outside the allowed source roots.
    """
    raw = raw.strip()
    shares = [target for _, target in path_map.entries]
    if is_windows_path(raw):
        normalized = _normalize_windows(raw)
        original = raw.replace("\\", "/")
        for prefix, target in path_map.entries:
            if normalized == prefix or normalized.startswith(prefix + "/"):
                rest = original[len(prefix):].lstrip("/")
                location = f"{target}/{rest}" if rest else target
                # '..' in a mapped path is resolved too: C:\SIS\..\.. must not reach the worker's root.
                path_map.roots.check(location, base_dir, label, raw, shares, field)
                return location
        raise SourceError(Problem(
            label, f"Windows path has no entry in the deployment's path map ({PATH_MAP_ENV})", field, value=raw))
    if is_url(raw):
        location = raw
    else:
        path = Path(raw)
        location = str(path if path.is_absolute() else base_dir / path)
    path_map.roots.check(location, base_dir, label, raw, shares, field)
    return location


def read_bytes(location: str, label: str) -> bytes:
    """The whole file; a missing file is a SourceError naming it."""
    try:
        if is_url(location) and not location.startswith("file://"):
            import fsspec  # only object-storage sources need it

            with fsspec.open(location, "rb") as handle:
                return bytes(handle.read())
        return Path(location.removeprefix("file://")).read_bytes()
    except FileNotFoundError:
        raise SourceError(Problem(label, "file not found", value=location)) from None
    except IsADirectoryError:
        raise SourceError(Problem(label, "is a folder, not a file", value=location)) from None
    except PermissionError:
        raise SourceError(Problem(label, "permission denied", value=location)) from None


def read_head(location: str, label: str, size: int = 1 << 16) -> bytes:
    """The first ``size`` bytes, enough for a header row, without reading a large export."""
    try:
        if is_url(location) and not location.startswith("file://"):
            import fsspec

            with fsspec.open(location, "rb") as handle:
                return bytes(handle.read(size))
        with open(location.removeprefix("file://"), "rb") as handle:
            return handle.read(size)
    except FileNotFoundError:
        raise SourceError(Problem(label, "file not found", value=location)) from None
    except IsADirectoryError:
        raise SourceError(Problem(label, "is a folder, not a file", value=location)) from None
    except PermissionError:
        raise SourceError(Problem(label, "permission denied", value=location)) from None
