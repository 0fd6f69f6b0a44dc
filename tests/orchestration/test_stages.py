"""The data tasks hand each other: Parquet tables in the run's artifacts, a checked reference in XCom."""

from __future__ import annotations

import json
import uuid

import fsspec
import pandas as pd
import pytest

from littlesis.core.job_files import read_job
from littlesis.core.matching import MATCH_COLUMNS
from littlesis.core.preview import preview
from littlesis.orchestration import stages
from littlesis.orchestration.storage import Folder
from tests.orchestration.conftest import DEMO_JOB


@pytest.fixture(params=["path", "file", "memory"])
def root(request, tmp_path):
    if request.param == "memory":  # one process only: fine here, not for dag.test()'s task processes
        name = f"memory://stages-{uuid.uuid4().hex}"
        yield name
        fsspec.filesystem("memory").rm(name.removeprefix("memory://"), recursive=True)
    else:
        yield str(tmp_path / "artifacts") if request.param == "path" else f"file://{tmp_path / 'artifacts'}"


@pytest.fixture(scope="module")
def scoped():
    return preview(read_job(DEMO_JOB), DEMO_JOB)


def test_a_scoped_snapshot_comes_back_exactly(root, scoped):
    folder = Folder.at(root).child("demo_generic", "run1")
    ref = stages.write_snapshot(folder, "run1", stages.SCOPED, scoped.in_scope, scoped.scope)
    assert ref.rows["sections"] == len(scoped.in_scope.sections) and ref.rows["excluded"] == 2
    again = stages.StageRef.from_xcom(json.loads(json.dumps(ref.to_xcom())), run_id="run1", stage=stages.SCOPED,
                                      producer="apply_rules")
    snapshot, scope = stages.read_snapshot(again)
    for name in stages.SNAPSHOT_TABLES:
        pd.testing.assert_frame_equal(getattr(snapshot, name), getattr(scoped.in_scope, name))
    assert snapshot.files == scoped.in_scope.files and snapshot.warnings == scoped.in_scope.warnings
    assert scope is not None
    pd.testing.assert_index_equal(scope.kept, scoped.scope.kept)
    pd.testing.assert_frame_equal(scope.excluded, scoped.scope.excluded)


def test_a_loaded_snapshot_has_no_scope(root, scoped):
    ref = stages.write_snapshot(Folder.at(root).child("run2"), "run2", stages.LOADED, scoped.snapshot)
    snapshot, scope = stages.read_snapshot(ref)
    assert scope is None
    pd.testing.assert_frame_equal(snapshot.class_columns, scoped.snapshot.class_columns)


def test_matches_keep_their_types(root):
    matches = pd.DataFrame({"alias": ["A1", "B2"], "course_id": ["101", "102"], "score": [0.91, 0.55],
                            "roster_share_sis": [1.0, 0.5], "roster_share_course": [0.9, 0.4],
                            "name_similarity": [1.0, 0.6], "owner_teaches": [True, False],
                            "decision": ["link", "suggest"]})[MATCH_COLUMNS]
    folder = Folder.at(root).child("run3")
    matches_back, meta = stages.read_matches(stages.write_matches(folder, "run3", matches, {"cache_refreshed": True}))
    pd.testing.assert_frame_equal(matches_back, matches)
    assert meta["cache_refreshed"] is True
    empty, _ = stages.read_matches(stages.write_matches(folder, "run3", pd.DataFrame(columns=MATCH_COLUMNS), {}))
    assert list(empty.columns) == MATCH_COLUMNS and empty.empty


def test_a_rewritten_stage_replaces_the_first(tmp_path, scoped):
    folder = Folder.at(str(tmp_path))
    stages.write_snapshot(folder, "r", stages.LOADED, scoped.snapshot)
    ref = stages.write_snapshot(folder, "r", stages.LOADED, scoped.in_scope)
    snapshot, _ = stages.read_snapshot(ref)
    assert len(snapshot.sections) == len(scoped.in_scope.sections) < len(scoped.snapshot.sections)


def test_an_incomplete_stage_is_never_read(tmp_path, scoped):
    folder = Folder.at(str(tmp_path))
    ref = stages.write_snapshot(folder, "r", stages.LOADED, scoped.snapshot)
    folder.child(stages.LOADED).delete(stages.META)  # as a task killed while rewriting it leaves it
    with pytest.raises(stages.StageMissing, match="incomplete or gone"):
        stages.read_snapshot(ref)


def test_a_reference_to_another_run_is_refused(tmp_path, scoped):
    ref = stages.write_snapshot(Folder.at(str(tmp_path)), "scheduled__day2", stages.LOADED, scoped.snapshot)
    with pytest.raises(stages.StageMissing, match="only reads its own run's artifacts"):
        stages.StageRef.from_xcom(ref.to_xcom(), run_id="scheduled__day1", stage=stages.LOADED, producer="load_csv")
    with pytest.raises(stages.StageMissing, match="clear load_csv too"):
        stages.StageRef.from_xcom(None, run_id="scheduled__day1", stage=stages.LOADED, producer="load_csv")
    moved = stages.StageRef("scheduled__day1", stages.LOADED, ref.location, ref.rows)
    with pytest.raises(stages.StageMissing, match="holds run 'scheduled__day2'"):
        stages.read_snapshot(moved)
