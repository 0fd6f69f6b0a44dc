"""Where a job may read its export from: the allowed source roots.

A job config names its files, and whoever can edit a config must not be able to
make the sync read ``/etc/passwd``, Airflow's own settings or another district's
share. A local source must therefore lie inside one of these folders (after
``..`` and symbolic links are resolved):

- the folder of the job config and everything below it;
- the project's ``include/`` folder (the shipped demo data);
- the run artifacts folder (the archived copy of an export that a run re-reads);
- the targets of the deployment's Windows path map (``LITTLESIS_PATH_MAP``);
- any folder or URL prefix the deployment lists in ``LITTLESIS_SOURCE_ROOTS``
  (comma-separated; ``*`` allows any location, an explicit opt-out).

Object-storage URLs (``s3://``, ``gs://``, ...) need no listing; other URL schemes
(``http://``, ``ftp://``, ...) are refused unless their prefix is listed, so a config
cannot make the worker fetch an internal address.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from littlesis.core.errors import Problem, SourceError

SOURCE_ROOTS_ENV = "LITTLESIS_SOURCE_ROOTS"
ARTIFACTS_ENV = "LITTLESIS_ARTIFACTS"
ANYWHERE = "*"
# plugins/littlesis/core/sources/roots.py -> the project folder that holds plugins/ and include/.
INCLUDE_DIR = Path(__file__).resolve().parents[4] / "include"
OBJECT_STORAGE_SCHEMES = frozenset({"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "adl"})


def artifacts_root() -> str:
    """``$LITTLESIS_ARTIFACTS`` (a folder or an fsspec URL), else ``$AIRFLOW_HOME/littlesis/artifacts``:
    where runs archive their exports."""
    override = os.environ.get(ARTIFACTS_ENV, "").strip()
    if override:
        return override
    home = os.environ.get("AIRFLOW_HOME") or str(Path.home() / "airflow")
    return str(Path(home) / "littlesis" / "artifacts")


@dataclass(frozen=True)
class SourceRoots:
    """The deployment's extra roots (folders or URL prefixes), or ``anywhere``."""

    extra: tuple[str, ...] = ()
    anywhere: bool = False

    @classmethod
    def parse(cls, raw: str) -> SourceRoots:
        entries = tuple(e.strip() for e in raw.split(",") if e.strip())
        return cls(tuple(e for e in entries if e != ANYWHERE), anywhere=ANYWHERE in entries)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> SourceRoots:
        return cls.parse((environ if environ is not None else os.environ).get(SOURCE_ROOTS_ENV, ""))

    def check(self, location: str, config_dir: Path, label: str, raw: str, shares: Iterable[str] = (),
              field: str | None = None) -> None:
        """Raise SourceError unless ``location`` (a resolved path or URL) lies inside an allowed root.

        ``shares``: the path map's targets (mounts the deployment declared); ``raw``: what the config says.
        """
        if self.anywhere:
            return
        scheme = location.split("://", 1)[0].lower() if "://" in location else ""
        if scheme and scheme != "file":
            listed = [*self.extra, artifacts_root()]
            if scheme in OBJECT_STORAGE_SCHEMES or any(_url_within(location, r) for r in listed if "://" in r):
                return
            raise SourceError(Problem(label, f"{scheme}:// sources are not allowed; the deployment can list this "
                                      f"location in {SOURCE_ROOTS_ENV}", field, value=raw))
        path = _real(Path(location.removeprefix("file://")))
        folders = (_local(str(f)) for f in (config_dir, INCLUDE_DIR, artifacts_root(), *shares, *self.extra))
        if any(_within(path, _real(Path(folder))) for folder in folders if folder is not None):
            return
        raise SourceError(Problem(
            label, f"{path} is outside the folders sources may be read from (the job config's folder "
            f"{_real(config_dir)}, {INCLUDE_DIR} and the run artifacts); the deployment can allow more in "
            f"{SOURCE_ROOTS_ENV}", field, value=raw))


def _local(root: str) -> str | None:
    """A root as a local folder (``file://`` URLs too); None for a remote URL."""
    if root.startswith("file://"):
        return root.removeprefix("file://")
    return None if "://" in root else root


def _real(path: Path) -> Path:
    # strict=False: a file that does not exist yet still gets its '..' and links resolved.
    return path.expanduser().resolve(strict=False)


def _within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _url_within(location: str, root: str) -> bool:
    if ".." in location.split("://", 1)[-1].split("/"):
        return False  # a listed prefix followed by '..' may point anywhere on that server
    root = root.rstrip("/")
    return location == root or location.startswith(root + "/")
