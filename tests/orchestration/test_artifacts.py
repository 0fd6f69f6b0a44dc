"""load_csv's archive: the exact files a run read, kept under the run and reused by its re-runs."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from littlesis.core.job_files import read_job
from littlesis.orchestration.artifacts import archive_sources, load_archive, run_folder
from tests.orchestration.conftest import DEMO, SHIPPED


def test_dated_files_are_archived_once_and_a_rerun_reads_the_copy(tmp_path):
    export = tmp_path / "exports" / "2025-03-01" / "roster.csv"
    export.parent.mkdir(parents=True)
    original = (DEMO / "generic" / "roster.csv").read_bytes()
    export.write_bytes(original)
    config = tmp_path / "job.yaml"
    config.write_text((SHIPPED / "demo_generic.yaml").read_text(encoding="utf-8").replace(
        "../demo/generic/roster.csv", "exports/{ds}/roster.csv"), encoding="utf-8")
    job = read_job(config)
    folder = run_folder(job.id, "scheduled__2025-03-01T05:00:00+00:00", tmp_path / "artifacts")
    assert ":" not in folder.name

    first = archive_sources(job, config, folder, ds="2025-03-01")
    archived = first.job(job).source.files["roster"]
    assert Path(archived).read_bytes() == original
    assert first.files[0]["sha256"] == hashlib.sha256(original).hexdigest()
    assert json.loads((folder / "manifest.json").read_text())["files"] == first.files

    export.write_bytes(b"changed since\n")  # the export moves on; a cleared run must not see it
    again = archive_sources(job, config, folder, ds="2025-03-01")
    assert again == first == load_archive(folder)
    assert Path(again.job(job).source.files["roster"]).read_bytes() == original


def test_a_folder_export_is_archived_file_by_file(tmp_path):
    config = SHIPPED / "demo_oneroster.yaml"
    job = read_job(config)
    archive = archive_sources(job, config, tmp_path / "run", ds=None)
    names = sorted(f["name"] for f in archive.files)
    assert names == sorted(p.name for p in (DEMO / "oneroster").iterdir() if p.is_file())
    assert archive.job(job).source.dir == str(tmp_path / "run" / "dir")
    assert not (tmp_path / "run.partial").exists()
