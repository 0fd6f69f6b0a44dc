"""What one task hands the next: Parquet tables in the run's artifacts folder, a small reference in XCom.

- ``loaded`` (load_csv): the SIS snapshot as read from the export;
- ``scoped`` (apply_rules): the snapshot restricted to the classes in scope, and the rules' verdicts;
- ``matches`` (match_teacher_classes): the teacher-made courses to link or suggest.

A stage is a folder of one Parquet file per table plus ``meta.json``, written last: a stage
without it (its task died half way, or was cleared before it wrote) is never read. A re-run
rewrites the stage in place. A reference names its run, and a task refuses one of another run.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from littlesis.core.rules import Scope
from littlesis.core.snapshot import SisSnapshot, SourceFile
from littlesis.orchestration.storage import Folder

LOADED, SCOPED, MATCHES = "loaded", "scoped", "matches"
META = "meta.json"
SNAPSHOT_TABLES = ("sections", "teachers", "enrollments", "guardians", "class_columns", "rejected")


class StageMissing(RuntimeError):
    """A task's input is not in the artifacts (wrong run, or its producer did not finish)."""


@dataclass(frozen=True)
class StageRef:
    """What XCom carries: which run and stage, where its files are, and how many rows each table has."""

    run_id: str
    stage: str
    location: str
    rows: dict[str, int]

    def to_xcom(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_xcom(cls, value: Any, *, run_id: str, stage: str, producer: str) -> StageRef:
        """The reference ``producer`` pushed, checked to be this run's ``stage``."""
        if not isinstance(value, dict) or not {"run_id", "stage", "location"} <= value.keys():
            raise StageMissing(f"{producer} left no {stage} artifacts reference for run {run_id!r} in XCom "
                               f"(got {value!r}): clear {producer} too")
        ref = cls(str(value["run_id"]), str(value["stage"]), str(value["location"]), dict(value.get("rows") or {}))
        if ref.run_id != run_id or ref.stage != stage:
            raise StageMissing(f"{producer}'s reference is run {ref.run_id!r} stage {ref.stage!r}, not run "
                               f"{run_id!r} stage {stage!r}: a task only reads its own run's artifacts")
        return ref


def write_stage(folder: Folder, run_id: str, stage: str, tables: dict[str, pd.DataFrame],
                meta: dict[str, Any]) -> StageRef:
    target = folder.child(stage)
    target.delete(META)  # the stage is incomplete until the new meta.json is written
    for name, frame in tables.items():
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=True)
        target.write_bytes(f"{name}.parquet", buffer.getvalue())
    rows = {name: len(frame) for name, frame in tables.items()}
    target.write_bytes(META, json.dumps({"run_id": run_id, "stage": stage, "rows": rows, **meta},
                                        indent=2, default=str).encode())
    return StageRef(run_id, stage, target.location, rows)


def read_stage(ref: StageRef) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    source = Folder.at(ref.location)
    if not source.exists(META):
        raise StageMissing(f"the {ref.stage} artifacts of run {ref.run_id!r} at {ref.location} are incomplete or "
                           "gone: clear the task that writes them too")
    meta = json.loads(source.read_bytes(META))
    if meta.get("run_id") != ref.run_id:
        raise StageMissing(f"{ref.location} holds run {meta.get('run_id')!r}, not {ref.run_id!r}")
    tables = {name: pd.read_parquet(io.BytesIO(source.read_bytes(f"{name}.parquet"))) for name in meta["rows"]}
    return tables, meta


def write_snapshot(folder: Folder, run_id: str, stage: str, snapshot: SisSnapshot,
                   scope: Scope | None = None) -> StageRef:
    tables = {name: getattr(snapshot, name) for name in SNAPSHOT_TABLES}
    meta: dict[str, Any] = {"files": [asdict(f) for f in snapshot.files], "warnings": list(snapshot.warnings)}
    if scope is not None:
        tables["kept"] = pd.DataFrame({"alias": scope.kept.to_numpy()})
        tables["excluded"] = scope.excluded
        meta["kept_name"] = scope.kept.name
    return write_stage(folder, run_id, stage, tables, meta)


def read_snapshot(ref: StageRef) -> tuple[SisSnapshot, Scope | None]:
    tables, meta = read_stage(ref)
    snapshot = SisSnapshot(**{name: tables[name] for name in SNAPSHOT_TABLES},
                           files=[SourceFile(**f) for f in meta["files"]], warnings=list(meta["warnings"]))
    if "kept" not in tables:
        return snapshot, None
    kept = pd.Index(tables["kept"]["alias"], name=meta.get("kept_name"))
    return snapshot, Scope(kept=kept, excluded=tables["excluded"])


def write_matches(folder: Folder, run_id: str, matches: pd.DataFrame, meta: dict[str, Any]) -> StageRef:
    return write_stage(folder, run_id, MATCHES, {"matches": matches}, meta)


def read_matches(ref: StageRef) -> tuple[pd.DataFrame, dict[str, Any]]:
    tables, meta = read_stage(ref)
    return tables["matches"], meta
