"""The task bodies called in this process (no Airflow run): the job card each one leaves, the artifacts
analyze plans from, and a re-run reading its own run's artifacts. Classroom is the emulator over HTTP."""

from __future__ import annotations

import json
import shutil
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from littlesis.classroom import apply
from littlesis.emulator import EmulatorServer
from littlesis.orchestration import artifacts, stages, tasks
from littlesis.service.staging import stage_all_allowed
from littlesis.store import decisions, jobs, runs
from littlesis.store.actions import iter_actions
from littlesis.store.engine import make_engine, session_scope
from littlesis.store.filters import ActionFilter
from littlesis.store.records import RunRecord
from tests.orchestration.conftest import DEMO_ROSTER, DEMO_SEED, demo_config
from tests.orchestration.task_calls import TaskCalls

REVIEWER = "reviewer@district.example.org"
DAY1, DAY2 = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC)


@dataclass
class Store:
    engine: Any
    emulator: str  # its base URL

    def card(self, job_id: str) -> tuple[str, str | None]:
        with session_scope(self.engine, readonly=True) as session:
            job = jobs.get_job(session, job_id)
        assert job is not None, job_id
        return job.state, job.state_reason

    def run(self, run_id: str) -> RunRecord:
        with session_scope(self.engine, readonly=True) as session:
            return runs.require_run(session, run_id)


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """Our connections in the environment, as Airflow hands them to a task: the store, the emulated
    Classroom, and the artifacts as a file:// URL."""
    with EmulatorServer(seed=json.loads(DEMO_SEED.read_text())) as server:
        for name, value in {
            "AIRFLOW_CONN_LITTLESIS_STORE": json.dumps({"conn_type": "sqlite", "host": str(tmp_path / "store.db")}),
            "AIRFLOW_CONN_LITTLESIS_CLASSROOM": json.dumps({"conn_type": "google_cloud_platform", "extra": {
                "api_endpoint": server.base_url, "delegated_admin": "admin@district.example.org", "qps": 500}}),
            "LITTLESIS_ARTIFACTS": f"file://{tmp_path / 'artifacts'}",
            "LITTLESIS_SOURCE_ROOTS": str(tmp_path),
        }.items():
            monkeypatch.setenv(name, value)
        engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
        try:
            yield Store(engine, server.base_url)
        finally:
            engine.dispose()


def _export(folder: Path, extra_students: int = 0) -> Path:
    """The demo roster (plus ``extra_students`` new ones) in ``folder``."""
    lines = DEMO_ROSTER.read_text(encoding="utf-8").splitlines(keepends=True)
    rows = [lines[1].replace("100000", f"9{n:05d}").replace("ava.garcia0@", f"new.student{n}@")
            for n in range(extra_students)]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "roster.csv").write_text("".join(lines + rows), encoding="utf-8")
    return folder / "roster.csv"


def test_each_task_moves_the_job_card(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = demo_config(tmp_path / "configs", "cards")
    first = TaskCalls(config, "manual__first", DAY1)
    first("load_csv")
    assert store.card("cards") == ("analyzing", None)
    run = store.run("manual__first")
    assert run.state == "analyzing" and [s["name"] for s in run.sources] == ["roster"]
    for step in ("apply_rules", "match_teacher_classes"):
        first(step)
        assert store.card("cards") == ("analyzing", None), step
    first("analyze")
    assert store.card("cards") == ("pending_review", None)

    # A reviewer opens the plan (the review page marks the card), stages two courses and approves.
    with session_scope(store.engine) as session:
        jobs.set_job_state(session, "cards", "in_review")
        creates = [a.action_id for a in iter_actions(session, "manual__first", ActionFilter(kind="create_course"))]
        decisions.stage_actions(session, "manual__first", actor=REVIEWER, action_ids=creates[:2])
        decisions.approve_run(session, "manual__first", actor=REVIEWER)
    # Meanwhile a newer analysis of the job waits for review: the card says so once the first run commits.
    TaskCalls(config, "manual__second", DAY2).analysis()
    assert store.card("cards") == ("pending_review", None)

    seen: list[tuple[str, str | None]] = []
    real = apply._Committer.run

    def run_and_look(self: Any) -> Any:  # the real commit, with a look at the card while it runs
        seen.append(store.card("cards"))
        return real(self)

    monkeypatch.setattr(apply._Committer, "run", run_and_look)
    assert first("commit")["state"] == "committed"
    assert seen == [("committing", None)]
    assert store.card("cards") == ("pending_review", None)  # the second run still waits
    first("refresh_cache")
    assert store.card("cards") == ("pending_review", None)

    assert stage_all_allowed(store.engine, "manual__second").approved
    TaskCalls(config, "manual__second", DAY2)("commit")
    assert store.card("cards") == ("awaiting_analysis", None)


def test_analyze_plans_from_the_artifacts_not_the_export(store: Store, tmp_path: Path) -> None:
    roster = _export(tmp_path / "exports")
    config = demo_config(tmp_path / "configs", "from_artifacts", roster=roster)
    calls = TaskCalls(config, "manual__x")
    calls("load_csv")
    calls("apply_rules")
    matched = calls("match_teacher_classes")
    assert (matched["linked"], matched["suggested"]) == (3, 0)  # the demo's three teacher-made courses

    # The export and its archived copy go: analyze must not read them again.
    roster.unlink()
    folder = artifacts.run_folder("from_artifacts", "manual__x")
    folder.child(artifacts.EXPORT).remove()
    # And the matches it plans with are the artifact's: emptied, the teacher-made courses are not linked.
    ref = stages.StageRef.from_xcom(calls.returned["match_teacher_classes"], run_id="manual__x",
                                    stage=stages.MATCHES, producer="match_teacher_classes")
    matches, meta = stages.read_matches(ref)
    stages.write_matches(folder, "manual__x", matches.iloc[:0], meta)

    planned = calls("analyze")
    assert planned["linked_matches"] == 0 and "link_course" not in planned["counts"]
    assert planned["counts"]["create_course"] == 19  # 16 new classes, and the 3 no longer linked
    assert store.run("manual__x").state == "pending_review"


def test_a_rerun_task_reads_its_own_runs_artifacts(store: Store, tmp_path: Path) -> None:
    config = demo_config(tmp_path / "configs", "dated", roster=tmp_path / "exports" / "{ds}" / "roster.csv")
    _export(tmp_path / "exports" / DAY1.date().isoformat())
    _export(tmp_path / "exports" / DAY2.date().isoformat(), extra_students=1)
    day1, day2 = TaskCalls(config, "scheduled__day1", DAY1), TaskCalls(config, "scheduled__day2", DAY2)
    for calls in (day1, day2):
        calls("load_csv")
        calls("apply_rules")
    first = day1.returned["apply_rules"]["in_scope"]["enrollments"]
    assert day2.returned["apply_rules"]["in_scope"]["enrollments"] == first + 1

    assert day1("apply_rules")["in_scope"]["enrollments"] == first  # cleared and re-run after day 2 ran
    day1.returned["load_csv"] = day2.returned["load_csv"]  # day 2's reference can't stand in for day 1's
    with pytest.raises(stages.StageMissing, match="only reads its own run's artifacts"):
        day1("apply_rules")


def test_a_failed_task_fails_the_card_and_a_rerun_clears_it(store: Store, tmp_path: Path) -> None:
    config = demo_config(tmp_path / "configs", "failing")
    calls = TaskCalls(config, "manual__f")
    reason = tasks.record_failure(config_path=config,
                                  context=calls.context("load_csv", exception=FileNotFoundError("roster.csv")))
    assert reason == "load_csv failed: FileNotFoundError: roster.csv"
    assert store.card("failing") == ("failed", reason)
    assert (store.run("manual__f").state, store.run("manual__f").state_reason) == ("failed", reason)

    calls.analysis()  # the failed tasks cleared and re-run
    assert store.card("failing") == ("pending_review", None)
    assert store.run("manual__f").state == "pending_review"

    # A later task failing (the plan exists) fails the card but keeps the run: its plan and decisions stand.
    tasks.record_failure(config_path=config, context=calls.context("await_approval", exception="sensor timed out"))
    assert store.card("failing") == ("failed", "await_approval failed: sensor timed out")
    assert store.run("manual__f").state == "pending_review"


def test_the_archive_is_kept_when_artifacts_are_cleaned_between_tasks(store: Store, tmp_path: Path) -> None:
    """Clearing load_csv again after its archive was made reads the archive, even with the export changed."""
    roster = _export(tmp_path / "exports")
    config = demo_config(tmp_path / "configs", "archived", roster=roster)
    calls = TaskCalls(config, "manual__a")
    first = calls("load_csv")
    _export(tmp_path / "exports", extra_students=5)
    shutil.rmtree(tmp_path / "artifacts" / "archived" / "manual__a" / stages.LOADED)
    again = calls("load_csv")
    assert again["files"] == first["files"] and again["rows"] == first["rows"]


def test_a_commit_that_reaches_nothing_fails_the_task_and_a_rerun_resumes_it(
        store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from functools import partial

    from littlesis.classroom import google_client
    from littlesis.classroom.retry import RetryPolicy

    monkeypatch.setattr(google_client, "RetryPolicy", partial(RetryPolicy, max_attempts=1))  # no back-off waits
    config = demo_config(tmp_path / "configs", "unreachable")
    calls = TaskCalls(config, "manual__u")
    calls.analysis()
    with session_scope(store.engine) as session:
        creates = [a.action_id for a in iter_actions(session, "manual__u", ActionFilter(kind="create_course"))]
        decisions.stage_actions(session, "manual__u", actor=REVIEWER, action_ids=creates[:2])
        decisions.approve_run(session, "manual__u", actor=REVIEWER)
    _faults(store, "courses.create=503")
    with pytest.raises(tasks.CommitFailed, match="Classroom unreachable"):
        calls("commit")  # a failed task: refresh_cache won't run, and the callback records it
    state, reason = store.card("unreachable")
    assert state == "failed" and (reason or "").startswith("Classroom unreachable")

    _faults(store, "")
    assert calls("commit")["state"] == "committed"  # commit cleared and re-run: it resumes
    assert store.card("unreachable") == ("awaiting_analysis", None)


def _faults(store: Store, spec: str) -> None:
    request = urllib.request.Request(store.emulator + "_emulator/faults", data=json.dumps({"spec": spec}).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as answer:
        assert answer.status == 200
