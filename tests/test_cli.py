"""The command line, run as people run it: bin/littlesis and python -m littlesis."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT, TYPO_BAD_OP_MISSING_PARENT


def run(*args: str, module: bool = False) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "littlesis", *args] if module else [str(ROOT / "bin" / "littlesis"), *args]
    env = {**os.environ, "LITTLESIS_PYTHON": sys.executable, "PYTHONPATH": str(ROOT / "plugins")}
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)


def test_validate_shipped_configs_succeeds():
    result = run("validate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok: 2 job config(s) valid" in result.stderr


def test_validate_reports_three_precise_lines_and_exits_1(write):
    path = write("broken.yaml", TYPO_BAD_OP_MISSING_PARENT)
    result = run("validate", str(path))
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith(f"{path}:3: extends: parent config")
    assert lines[1].startswith(f"{path}:6: rules.exclude.0.op:")
    assert lines[2].startswith(f"{path}:8: preferences.remove_student: unknown key")


def test_validate_flags_a_mapping_column_the_export_lacks(write):
    write("roster.csv", "SchoolID,CourseID\n1,2\n")
    path = write("job.yaml", "id: j\nname: J\nsource: {preset: generic, files: {roster: roster.csv}}\n"
                             "rules: {include: [{column: Campus, op: equals, value: North}]}\n")
    result = run("validate", str(path))
    assert result.returncode == 1
    assert "mapping.class_alias: column 'SectionID' is not in roster.csv" in result.stdout
    assert "rules.include.0.column: column 'Campus' is not in roster.csv" in result.stdout


def test_preview_json_counts_for_the_demo_job():
    result = run("preview", "include/job_configs/demo_generic.yaml", "--json", module=True)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["classes_total"] == 21 and summary["classes_in_scope"] == 19
    assert summary["excluded_per_rule"] == {"exclude: CourseName equals 'Health'": 2}
    assert summary["rejected_rows"] == 1
    assert summary["in_scope"]["students"] == 60


def test_demo_sync_prints_each_demo_jobs_scope():
    result = run("demo", "sync")
    assert result.returncode == 0, result.stderr
    assert "Job demo_generic (generic preset)" in result.stdout
    assert "Job demo_oneroster (oneroster preset)" in result.stdout
    assert "Classes in scope: 19 of 21" in result.stdout
