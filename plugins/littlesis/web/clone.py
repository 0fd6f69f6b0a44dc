"""Clone a job: a new config file that ``extends`` the chosen one and brings its own rules.

The new file is validated with the same reader the DAGs use before anything is written, and is
written into the job config folder only under a checked name ([a-z0-9_-], no path) and only if
no file of that name exists; when the folder is read-only the file is offered as a download.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from littlesis.core.errors import ConfigError, Problem
from littlesis.core.job_files import LoadedJob, config_files, read_job, read_jobs
from littlesis.core.job_names import UnsafeFileName, config_path_in
from littlesis.core.yaml_safe import YamlProblem, load_yaml

SUFFIX = ".yaml"
READ_ONLY_ERRORS = (errno.EACCES, errno.EPERM, errno.EROFS)


class CloneRefused(ValueError):
    """The clone can't be made as asked; the message says which field and why."""


@dataclass(frozen=True)
class CloneRequest:
    file_name: str  # without .yaml
    job_id: str
    name: str
    rules: str  # YAML: include/exclude lists, as in a job config's ``rules``


@dataclass
class CloneResult:
    text: str
    path: Path | None  # where it was written; None: not written (the folder is read-only)
    problems: list[Problem] = field(default_factory=list)


def find_job(config_dir: Path, job_id: str) -> LoadedJob:
    for loaded in read_jobs([config_dir]).jobs:
        if loaded.config.id == job_id:
            return loaded
    raise CloneRefused(f"no job config with id {job_id!r} in {config_dir}")


def rules_text(parent: LoadedJob) -> str:
    """The parent's rules as the YAML the form starts from."""
    rules = parent.config.rules.model_dump(mode="json", exclude_defaults=True)
    return yaml.safe_dump(rules or {"include": [], "exclude": []}, sort_keys=False, allow_unicode=True)


def target_path(config_dir: Path, file_name: str) -> Path:
    """``<config_dir>/<file_name>.yaml``; refuses anything that isn't a plain name or leaves the folder."""
    if file_name.endswith(SUFFIX) or "." in file_name:
        raise CloneRefused(f"file name {file_name!r}: give the name without a suffix ({SUFFIX} is added)")
    try:
        return config_path_in(config_dir, file_name + SUFFIX)
    except UnsafeFileName as exc:
        raise CloneRefused(str(exc)) from None


def build_document(parent: LoadedJob, request: CloneRequest) -> dict[str, Any]:
    """The new config: ``extends`` the parent file, its own id, name and rules, nothing else."""
    try:
        rules: Any = load_yaml(request.rules).data if request.rules.strip() else {}
    except YamlProblem as exc:
        where = f" (rules line {exc.line})" if exc.line else ""
        raise CloneRefused(f"rules are not valid YAML{where}: {exc}") from None
    if not isinstance(rules, dict):
        raise CloneRefused("rules must be a mapping with 'include' and/or 'exclude' lists")
    return {"extends": parent.path.name, "id": request.job_id, "name": request.name, "rules": rules}


def to_text(document: dict[str, Any], parent: LoadedJob, actor: str, now: datetime) -> str:
    header = (f"# Cloned from {parent.path.name} ({parent.config.id}) by {_one_line(actor)} "
              f"on {now.strftime('%Y-%m-%d %H:%M UTC')}.\n# Everything not set here comes from {parent.path.name}.\n")
    return header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def validate(text: str, config_dir: Path, file_name: str) -> list[Problem]:
    """Problems of the new config read as the DAG file reads it, before anything is written.

    It is read beside copies of the folder's configs (``extends`` only reaches files in the
    job's own folder), so a read-only folder is validated the same way as a writable one.
    """
    with tempfile.TemporaryDirectory(prefix="littlesis-clone-") as folder:
        for existing in config_files([config_dir]):
            shutil.copyfile(existing, Path(folder) / existing.name)
        candidate = Path(folder) / (file_name + SUFFIX)
        candidate.write_text(text, encoding="utf-8")
        try:
            read_job(candidate)
        except ConfigError as exc:
            return [Problem(file_name + SUFFIX, p.message.replace(folder, str(config_dir)), p.field, p.line, p.value)
                    for p in exc.problems]
    return []


def clone(config_dir: Path, parent_id: str, request: CloneRequest, actor: str, now: datetime) -> CloneResult:
    """Validate the clone, then write it unless the folder refuses; raises CloneRefused for bad input."""
    parent = find_job(config_dir, parent_id)
    path = target_path(config_dir, request.file_name)
    if request.job_id in {loaded.config.id for loaded in read_jobs([config_dir]).jobs}:
        raise CloneRefused(f"job id {request.job_id!r} is already used by another config")
    text = to_text(build_document(parent, request), parent, actor, now)
    problems = validate(text, config_dir, request.file_name)
    if problems:
        return CloneResult(text, None, problems)
    try:
        write_new(path, text)
    except OSError as exc:
        if exc.errno not in READ_ONLY_ERRORS:
            raise
        return CloneResult(text, None)  # a read-only folder (e.g. baked into an image): offer the file
    return CloneResult(text, path)


def write_new(path: Path, text: str) -> None:
    """Create ``path`` whole or not at all, never replacing a file: the DAG processor may read the folder
    at any moment, so the text goes to a hidden partial file first, then gets its name by a hard link."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_text(text, encoding="utf-8")
    try:
        os.link(partial, path)
    except FileExistsError:
        raise CloneRefused(f"{path.name} already exists in the job config folder") from None
    finally:
        partial.unlink()


def _one_line(text: str) -> str:
    return " ".join(text.split())
