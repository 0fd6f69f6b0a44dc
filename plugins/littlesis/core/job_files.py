"""Reading job config files: YAML -> (extends resolved) -> JobConfig, or precise problems."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

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
    layers, chain_problems = _resolve_chain(path)
    if not layers:
        return None, chain_problems
    merged: dict[str, Any] = {}
    for layer in reversed(layers):
        merged = _deep_merge(merged, layer.document.data)
    merged["extends"] = layers[0].document.data.get("extends")
    try:
        config = JobConfig.model_validate(merged)
    except ValidationError as exc:
        errors = exc.errors()
        if chain_problems:
            # The parent is missing: fields it would have given are not errors of this file.
            errors = [e for e in errors if e["type"] != "missing"]
        return None, chain_problems + [_problem_from(error, layers) for error in errors]
    return (None, chain_problems) if chain_problems else (config, [])


def _resolve_chain(path: Path) -> tuple[list[_Layer], list[Problem]]:
    """The files of the ``extends`` chain, child first, and what stopped the chain early."""
    chain: list[_Layer] = []
    visited: list[Path] = []
    current = path
    while True:
        resolved = current.resolve()
        if resolved in visited:
            cycle = " -> ".join(str(p) for p in [*visited, resolved])
            return [], [Problem(str(path), f"'extends' cycle: {cycle}", "extends")]
        visited.append(resolved)
        try:
            document = _read_document(current, child=chain[-1] if chain else None)
        except ConfigError as exc:
            return chain, exc.problems
        chain.append(_Layer(current, document))
        parent = document.data.get("extends")
        if parent is None:
            return chain, []
        if not isinstance(parent, str) or not parent.strip():
            return [], [Problem(str(current), "must be a file name", "extends", document.line_of(("extends",)),
                                parent)]
        folder = path.parent.resolve()
        current = current.parent / parent
        # A parent outside the job's folder could make the loader read (and echo in errors) any file.
        if folder not in current.resolve().parents:
            return [], [Problem(str(chain[-1].path), f"parent config must be inside the job's folder {folder}",
                                "extends", document.line_of(("extends",)), parent)]


def _read_document(path: Path, child: _Layer | None) -> YamlDocument:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        if child is not None:
            line = child.document.line_of(("extends",))
            raise ConfigError([Problem(str(child.path), f"parent config {path} does not exist", "extends",
                                       line, path.name)]) from None
        raise ConfigError([Problem(str(path), "file does not exist")]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([Problem(str(path), f"not UTF-8 text ({exc.reason} at byte {exc.start})")]) from None
    except OSError as exc:
        raise ConfigError([Problem(str(path), f"cannot read: {exc.strerror}")]) from None
    try:
        document = load_yaml(text)
    except YamlProblem as exc:
        raise ConfigError([Problem(str(path), str(exc), line=exc.line)]) from None
    if document.data is None:
        raise ConfigError([Problem(str(path), "file is empty (a job config needs at least id, name and source)")])
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
        return Problem(str(file), f"unknown key {loc[-1]!r}{_did_you_mean(str(loc[-1]), loc[:-1])}", field_path, line)
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


def _did_you_mean(key: str, parent: tuple[Any, ...]) -> str:
    import difflib

    close = difflib.get_close_matches(key, _keys_at(parent), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _keys_at(path: tuple[Any, ...]) -> list[str]:
    """The keys the config model accepts at ``path`` (list positions skipped)."""
    model: type[BaseModel] | None = JobConfig
    for part in path:
        if isinstance(part, int) or str(part).isdigit():
            continue
        field = model.model_fields.get(str(part)) if model else None
        model = _model_in(field.annotation) if field else None
        if model is None:
            return []
    return list(model.model_fields) if model else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None
