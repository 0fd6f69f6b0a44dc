"""load_csv's archive: the exact files a run read, kept under the run (any fsspec location) and reused by its re-runs."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import fsspec
import pytest

from littlesis.core.job_files import read_job
from littlesis.core.preview import preview
from littlesis.core.sources.locations import PathMap
from littlesis.orchestration.artifacts import archive_sources, artifacts_root, load_archive, run_folder
from tests.orchestration.conftest import DEMO, SHIPPED


def _dated_job(tmp_path: Path) -> tuple[Path, Path, bytes]:
    export = tmp_path / "exports" / "2025-03-01" / "roster.csv"
    export.parent.mkdir(parents=True)
    original = (DEMO / "generic" / "roster.csv").read_bytes()
    export.write_bytes(original)
    config = tmp_path / "job.yaml"
    config.write_text((SHIPPED / "demo_generic.yaml").read_text(encoding="utf-8").replace(
        "../demo/generic/roster.csv", "exports/{ds}/roster.csv"), encoding="utf-8")
    return config, export, original


@pytest.mark.parametrize("scheme", ["", "file://"])
def test_dated_files_are_archived_once_and_a_rerun_reads_the_copy(tmp_path, scheme):
    config, export, original = _dated_job(tmp_path)
    job = read_job(config)
    folder = run_folder(job.id, "scheduled__2025-03-01T05:00:00+00:00", f"{scheme}{tmp_path / 'artifacts'}")
    assert ":" not in folder.path.rsplit("/", 1)[-1]
    assert folder.is_local and folder.location == str(tmp_path / "artifacts" / job.id / folder.path.rsplit("/")[-1])

    first = archive_sources(job, config, folder, ds="2025-03-01")
    archived = first.job(job).source.files["roster"]
    assert Path(archived).read_bytes() == original
    assert first.files[0]["sha256"] == hashlib.sha256(original).hexdigest()
    assert json.loads(Path(first.location, "manifest.json").read_text())["files"] == first.files

    export.write_bytes(b"changed since\n")  # the export moves on; a cleared run must not see it
    again = archive_sources(job, config, folder, ds="2025-03-01")
    assert again == first == load_archive(folder)
    assert Path(again.job(job).source.files["roster"]).read_bytes() == original
    assert preview(again.job(job), config).snapshot.files[0].sha256 == first.files[0]["sha256"]


def test_an_archive_without_its_manifest_is_made_again(tmp_path):
    config, _export, original = _dated_job(tmp_path)
    job = read_job(config)
    folder = run_folder(job.id, "r1", tmp_path / "artifacts")
    stale = folder.child("export", "files", "roster")
    stale.write_bytes("left_by_a_killed_attempt.csv", b"half")
    assert load_archive(folder) is None
    archive = archive_sources(job, config, folder, ds="2025-03-01")
    assert not stale.exists("left_by_a_killed_attempt.csv")
    assert Path(archive.files[0]["archived"]).read_bytes() == original


def test_a_folder_export_is_archived_file_by_file(tmp_path):
    config = SHIPPED / "demo_oneroster.yaml"
    job = read_job(config)
    archive = archive_sources(job, config, run_folder(job.id, "run", tmp_path), ds=None)
    names = sorted(f["name"] for f in archive.files)
    assert names == sorted(p.name for p in (DEMO / "oneroster").iterdir() if p.is_file())
    assert archive.job(job).source.dir == str(tmp_path / job.id / "run" / "export" / "dir")


def test_an_object_storage_export_and_archive(tmp_path, monkeypatch):
    """Both ends as fsspec URLs (memory:// stands in for s3:// or gs:// inside one process)."""
    monkeypatch.setenv("LITTLESIS_SOURCE_ROOTS", "memory://district,memory:///artifacts")  # not object storage
    memory = fsspec.filesystem("memory")
    for path in (DEMO / "oneroster").iterdir():
        if path.is_file():
            memory.pipe_file(f"/district/exports/2025-03-01/{path.name}", path.read_bytes())
    config = tmp_path / "job.yaml"
    config.write_text((SHIPPED / "demo_oneroster.yaml").read_text(encoding="utf-8").replace(
        "../demo/oneroster", "memory://district/exports/{ds}"), encoding="utf-8")
    job = read_job(config)
    try:
        archive = archive_sources(job, config, run_folder(job.id, "r1", "memory://artifacts"), ds="2025-03-01")
        assert archive.job(job).source.dir == f"memory:///artifacts/{job.id}/r1/export/dir"
        memory.rm("/district", recursive=True)  # the export is gone; the archive still loads
        loaded = preview(archive.job(job), config, PathMap.from_env())
        assert len(loaded.snapshot.sections) == len(preview(read_job(SHIPPED / "demo_oneroster.yaml"),
                                                            SHIPPED / "demo_oneroster.yaml").snapshot.sections)
    finally:
        for folder in ("/artifacts", "/district"):
            if memory.exists(folder):
                memory.rm(folder, recursive=True)


def test_the_root_is_the_environment_or_beside_airflow_home(monkeypatch, tmp_path):
    monkeypatch.setenv("LITTLESIS_ARTIFACTS", "s3://bucket/littlesis")
    assert artifacts_root() == "s3://bucket/littlesis"
    monkeypatch.delenv("LITTLESIS_ARTIFACTS")
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    assert artifacts_root() == str(tmp_path / "littlesis" / "artifacts")
