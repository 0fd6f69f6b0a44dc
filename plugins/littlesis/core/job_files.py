"""Reading job config files: YAML -> (extends resolved) -> JobConfig, or precise problems."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from littlesis.core.config import JobConfig
from littlesis.core.errors import ConfigError, Problem
from littlesis.core.yaml_safe import YamlDocument, YamlProblem, load_yaml

CONFIG_SUFFIXES = (".yaml", ".yml")


@dataclass
class LoadedJob:
    path: Path
    config: JobConfig


@dataclass
class JobSet:
    jobs: list[LoadedJob] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class _Layer:
    """One file of an ``extends`` chain, child first."""

    path: Path
    document: YamlDocument


def config_files(paths: Iterable[Path]) -> list[Path]:
    """The config files named by ``paths`` (files as given, folders expanded, sorted)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.suffix in CONFIG_SUFFIXES and p.is_file()))
        else:
            found.append(path)
    return found


def read_job(path: Path) -> JobConfig:
    """The validated config in ``path``; raises ConfigError listing every problem."""
    config, problems = _read(path)
    if problems or config is None:
        raise ConfigError(problems)
    return config


def read_jobs(paths: Iterable[Path]) -> JobSet:
    """Every config under ``paths``; a broken file costs only itself (its problems are listed)."""
    result = JobSet()
    seen_ids: dict[str, Path] = {}
    for path in config_files(paths):
        config, problems = _read(path)
        if config is not None and not problems:
            first = seen_ids.get(config.id)
            if first is not None:
                problems = [Problem(str(path), f"duplicate job id, already used by {first}", "id", value=config.id)]
            else:
                seen_ids[config.id] = path
                result.jobs.append(LoadedJob(path, config))
        result.problems.extend(problems)
    return result


def _read(path: Path) -> tuple[JobConfig | None, list[Problem]]:
    try:
        layers = _resolve_chain(path)
    except ConfigError as exc:
        return None, exc.problems
    merged: dict[str, Any] = {}
    for layer in reversed(layers):
        merged = _deep_merge(merged, layer.document.data)
    merged["extends"] = layers[0].document.data.get("extends")
    try:
        return JobConfig.model_validate(merged), []
    except ValidationError as exc:
        return None, [_problem_from(error, layers) for error in exc.errors()]


def _resolve_chain(path: Path) -> list[_Layer]:
    chain: list[_Layer] = []
    visited: list[Path] = []
    current = path
    while True:
        resolved = current.resolve()
        if resolved in visited:
            cycle = " -> ".join(str(p) for p in [*visited, resolved])
            raise ConfigError([Problem(str(path), f"'extends' cycle: {cycle}", "extends")])
        visited.append(resolved)
        document = _read_document(current, child=chain[-1].path if chain else None)
        chain.append(_Layer(current, document))
        parent = document.data.get("extends")
        if parent is None:
            return chain
        if not isinstance(parent, str) or not parent.strip():
            raise ConfigError([Problem(str(current), "must be a file name", "extends",
                                       document.line_of(("extends",)), parent)])
        current = current.parent / parent


def _read_document(path: Path, child: Path | None) -> YamlDocument:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        if child is not None:
            raise ConfigError([Problem(str(child), f"parent config {path} does not exist", "extends",
                                       value=path.name)]) from None
        raise ConfigError([Problem(str(path), "file does not exist")]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([Problem(str(path), f"not UTF-8 text ({exc.reason} at byte {exc.start})")]) from None
    except OSError as exc:
        raise ConfigError([Problem(str(path), f"cannot read: {exc.strerror}")]) from None
    try:
        document = load_yaml(text)
    except YamlProblem as exc:
        raise ConfigError([Problem(str(path), str(exc), line=exc.line)]) from None
    if not isinstance(document.data, dict):
        raise ConfigError([Problem(str(path), "a job config is a mapping of keys (id, name, source, ...)",
                                   value=type(document.data).__name__)])
    return document


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _problem_from(error: Any, layers: list[_Layer]) -> Problem:
    loc = tuple(part for part in error["loc"] if not _is_union_tag(part))
    field_path = ".".join(str(p) for p in loc) or None
    # Name the file that actually holds the key: the child, else the parent it came from.
    file, line = layers[0].path, None
    for layer in layers:
        line = layer.document.line_of(loc) if loc else None
        if line is not None and ".".join(map(str, loc)) in layer.document.lines:
            file = layer.path
            break
    else:
        line = layers[0].document.line_of(loc) if loc else None
    if error["type"] == "extra_forbidden":
        return Problem(str(file), f"unknown key {loc[-1]!r}", field_path, line)
    message = error["msg"].removeprefix("Value error, ")
    value = error.get("input")
    if error["type"] == "missing":
        value = None
        message = "required field is missing"
    if isinstance(value, dict):
        value = None
    return Problem(str(file), message, field_path, line, value)


def _is_union_tag(part: object) -> bool:
    # pydantic adds the tried type ("str", "list[str]") to the location of union errors.
    return isinstance(part, str) and (part in {"str", "int", "float", "bool", "none"} or "[" in part)
