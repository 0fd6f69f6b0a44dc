"""The soak runner: progress per seed, a summary of faults and violations, the records as JSON."""

from __future__ import annotations

import json

import pytest

from tests.reliability import soak


def test_a_one_seed_soak_reports_progress_faults_and_no_violations(tmp_path, capsys):
    out = tmp_path / "soak.json"

    status = soak.main(["--seeds", "1", "--start", "14", "--backends", "sqlite", "--out", str(out),
                        "--log", str(tmp_path / "soak.log")])

    printed = capsys.readouterr().out
    assert status == 0
    assert "soak: 1/1 (100%)" in printed and "seed 14 (sqlite)" in printed
    saved = json.loads(out.read_text())
    summary = saved["summary"]
    assert summary["seeds_run"] == 1 and summary["by_backend"] == {"sqlite": 1}
    assert summary["violations"] == [] and summary["seeds_with_violations"] == 0
    assert summary["faults_fired_by_kind"] and summary["actions"] == sum(saved["seeds"][0]["actions"].values())
    assert set(summary["seeds_with_fault_kind"]) == set(saved["seeds"][0]["faults"])


def test_an_unknown_backend_is_refused(capsys):
    with pytest.raises(SystemExit) as refused:
        soak.main(["--backends", "mysql"])
    assert refused.value.code == 2
    assert "--backends: use sqlite, postgresql, not ['mysql']" in capsys.readouterr().err
