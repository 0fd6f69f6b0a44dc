"""Loading a job's source into the canonical snapshot, whatever its preset."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pandas as pd

from littlesis.core.config import JobConfig
from littlesis.core.errors import Problem, SourceError
from littlesis.core.snapshot import SisSnapshot
from littlesis.core.sources import generic, oneroster, sds
from littlesis.core.sources.columns import canonical_names
from littlesis.core.sources.csvio import header_columns
from littlesis.core.sources.locations import PathMap, resolve_location
from littlesis.core.sources.mapping import PresetFields, resolve_mapping
from littlesis.core.sources.package import Package
from littlesis.core.sources.preset_load import PresetLoad

PRESETS: dict[str, ModuleType] = {"oneroster": oneroster, "sds": sds}
# Per preset: scope -> (file name, the canonical column spellings the loader applies).
_PACKAGE_SCOPES = {
    "oneroster": {oneroster.CLASSES: ("classes.csv", oneroster.CLASS_COLUMNS),
                  oneroster.USERS: ("users.csv", oneroster.USER_COLUMNS)},
    "sds": {sds.SECTIONS: ("Section.csv", sds.SECTION_COLUMNS),
            sds.TEACHERS: ("Teacher.csv", sds.PERSON_COLUMNS),
            sds.STUDENTS: ("Student.csv", sds.PERSON_COLUMNS)},
}
_DERIVED = {"oneroster": {oneroster.CLASSES: oneroster.DERIVED_CLASS_COLUMNS}, "sds": {sds.SECTIONS: ["School Name"]}}


def preset_fields(preset: str) -> PresetFields:
    return generic.FIELDS if preset == "generic" else PRESETS[preset].FIELDS


def load_snapshot(job: JobConfig, config_path: Path, path_map: PathMap | None = None) -> SisSnapshot:
    """Read, check and normalize the job's export. Missing files or columns raise SourceError."""
    path_map = path_map or PathMap()
    package = _package(job, config_path, path_map)
    columns, files = _scope_columns(job, package)
    mapping, problems = resolve_mapping(preset_fields(job.source.preset), job.mapping, columns, files,
                                        str(config_path))
    if problems:
        raise SourceError(problems[0])
    work = PresetLoad(package, mapping, job.source.encoding)
    if job.source.preset == "generic":
        used = {c for e in mapping.expressions.values() for c in e.columns}
        used |= {r.column for r in (*job.rules.include, *job.rules.exclude)}
        table = work.table("roster", {}, only=used)
        frames = generic.GenericFrames(table, mapping, work.rejections, work.warnings).build()
    else:
        frames = PRESETS[job.source.preset].load(work)
    frames = _without_ownerless_classes(frames, work)
    return SisSnapshot(
        sections=frames["sections"],
        teachers=frames["teachers"],
        enrollments=frames["enrollments"],
        guardians=frames["guardians"],
        class_columns=frames["class_columns"],
        rejected=work.rejections.frame(),
        files=work.files,
        warnings=work.warnings,
    )


def _without_ownerless_classes(frames: dict[str, pd.DataFrame], work: PresetLoad) -> dict[str, pd.DataFrame]:
    """Classroom needs an owner: a class none of whose teachers has a usable address is rejected."""
    # Object-dtype indexes: hashing 60k aliases in C, not a Python loop.
    owned = pd.Index(frames["teachers"].loc[frames["teachers"]["primary"], "alias"].to_numpy(), dtype=object)
    ownerless = ~pd.Index(frames["sections"]["alias"].to_numpy(), dtype=object).isin(owned)
    if not ownerless.any():
        return frames
    per_class = frames["enrollments"].groupby("alias").size()
    for alias in frames["sections"].loc[ownerless, "alias"]:
        work.rejections.add("(class)", None, "teacher_email", alias,
                            f"class has no teacher with a valid e-mail, so no course owner; "
                            f"{int(per_class.get(alias, 0))} enrollment(s) not synced")
    keep = frames["sections"].loc[~ownerless, "alias"]
    return {
        **frames,
        "sections": frames["sections"][~ownerless].reset_index(drop=True),
        "enrollments": frames["enrollments"][frames["enrollments"]["alias"].isin(keep)].reset_index(drop=True),
        "class_columns": frames["class_columns"][frames["class_columns"].index.isin(keep)],
    }


def mapping_problems(job: JobConfig, config_path: Path, path_map: PathMap | None = None) -> list[Problem]:
    """Mapping and rule columns the source lacks (read from headers only), and a source location the
    config may not use (outside the allowed roots, an unmapped Windows path); [] when unreadable."""
    try:
        package = _package(job, config_path, path_map or PathMap())
        columns, files = _scope_columns(job, package)
    except SourceError as exc:
        # Problems naming the config are about where it points; others (an export not there yet)
        # are the load's problem, reported when the job runs.
        return [exc.problem] if exc.problem.file == str(config_path) else []
    _, problems = resolve_mapping(preset_fields(job.source.preset), job.mapping, columns, files, str(config_path))
    class_scope = preset_fields(job.source.preset).scopes["class_alias"]
    class_columns = columns.get(class_scope)
    if class_columns is not None:
        known = {c.lower() for c in class_columns} | {f.lower() for f in _RULE_FIELDS}
        for kind in ("include", "exclude"):
            for i, rule in enumerate(getattr(job.rules, kind)):
                if rule.column.lower() not in known:
                    problems.append(Problem(str(config_path), f"column {rule.column!r} is not in "
                                            f"{files.get(class_scope, class_scope)} nor one of our fields",
                                            f"rules.{kind}.{i}.column", value=rule.column))
    return problems


_RULE_FIELDS = ("alias", "course_name", "section", "room", "description_heading", "description", "school", "term",
                "teacher_email")


def _package(job: JobConfig, config_path: Path, path_map: PathMap) -> Package:
    source = job.source
    if source.dir is not None:
        location = resolve_location(source.dir, config_path.parent, path_map, str(config_path), "source.dir")
        return Package(location, source.dir)
    assert source.files is not None
    return _FilesPackage(source.files, config_path, path_map)


class _FilesPackage(Package):
    """Files named one by one in the config (``files: {roster: ...}``), read like a package."""

    def __init__(self, files: dict[str, str], config_path: Path, path_map: PathMap):
        base_dir = config_path.parent
        self.label = "source.files"
        self.location = str(base_dir)
        self._zip = None
        self._by_name = {}
        self._names = {}
        for key, raw in files.items():
            location = resolve_location(raw, base_dir, path_map, str(config_path), f"source.files.{key}")
            name = Path(location).name if key == "roster" else f"{key}.csv"
            self._by_name[name.lower()] = (raw, location)
            self._names[name.lower()] = name
            self._names[key.lower()] = name
            self._by_name[key.lower()] = (raw, location)

    def label_of(self, name: str) -> str:
        return self._by_name.get(name.lower(), (name, name))[0]

    def location_of(self, name: str) -> str:
        return self._by_name.get(name.lower(), (name, name))[1]


def _scope_columns(job: JobConfig, package: Package) -> tuple[dict[str, list[str]], dict[str, str]]:
    encoding = job.source.encoding
    if job.source.preset == "generic":
        label = package.label_of("roster")
        names = header_columns(package.head("roster"), label, encoding)
        return {generic.ROSTER: names}, {generic.ROSTER: label}
    columns: dict[str, list[str]] = {}
    files: dict[str, str] = {}
    for scope, (file, wanted) in _PACKAGE_SCOPES[job.source.preset].items():
        files[scope] = package.label_of(file)
        names = canonical_names(header_columns(package.head(file), package.label_of(file), encoding), wanted)
        columns[scope] = names + _DERIVED[job.source.preset].get(scope, [])
    return columns, files
