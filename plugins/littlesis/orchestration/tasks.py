"""The DAG's task bodies: thin calls into the services. Imported only when a task runs.

Every function takes the job's config path and the Airflow context, and returns a small
JSON-ready dict (it goes to XCom). Large data travels as files in the run's artifacts location
(``stages``): load_csv writes the loaded snapshot, apply_rules the scoped one,
match_teacher_classes the matches, and analyze plans from them; XCom carries only where they
are, for which run. Our state lives in our store: the tasks move the run and the job card there
(``job_state``). Nothing here touches Airflow's metadata database, and every body runs under
``metadata_guard.guarded`` so a test under ``dag.test()`` catches a slip.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from littlesis.core.config import JobConfig
from littlesis.core.job_files import read_job
from littlesis.core.snapshot import SourceFile
from littlesis.orchestration import artifacts, job_state, stages
from littlesis.orchestration.metadata_guard import guarded
from littlesis.orchestration.storage import Folder
from littlesis.store.records import RunRecord

log = logging.getLogger(__name__)
ACTOR = "airflow"
WAITING_STATES = ("pending_review",)
SMTP_CONN_ID = "littlesis_smtp"


class CommitFailed(RuntimeError):
    """The commit ended with the run failed (Classroom unreachable, nothing applied)."""


@dataclass(frozen=True)
class RunContext:
    run_id: str
    ds: str | None
    logical_date: datetime | None

    @classmethod
    def of(cls, context: dict[str, Any]) -> RunContext:
        return cls(str(context["run_id"]), context.get("ds"), context.get("logical_date"))


@guarded
def load_csv(*, config_path: Path, context: dict[str, Any]) -> dict[str, Any]:
    """Archive the export under the run (once: a re-run reads the first copy), load it, and keep the snapshot."""
    from littlesis.core.sources.loader import load_snapshot
    from littlesis.core.sources.locations import PathMap

    job, run = _job_and_run(config_path, context)
    folder = _folder(job, run)
    with _store() as engine:
        _begin(engine, job, config_path, run)
        archive = artifacts.archive_sources(job, config_path, folder, ds=run.ds)
        snapshot = load_snapshot(archive.job(job), config_path, PathMap.from_env())
        _begin(engine, job, config_path, run, snapshot.files)  # the run records the files it read
    ref = stages.write_snapshot(folder, run.run_id, stages.LOADED, snapshot)
    return {**ref.to_xcom(), "files": archive.files, "rejected_rows": len(snapshot.rejected)}


@guarded
def apply_rules(*, config_path: Path, context: dict[str, Any]) -> dict[str, Any]:
    """Keep the classes the rules keep; the scoped snapshot and each exclusion's rule go to the artifacts."""
    from littlesis.core.preview import ScopePreview
    from littlesis.core.rules import apply_rules as rules_scope

    job, run = _job_and_run(config_path, context)
    with _store() as engine:
        _begin(engine, job, config_path, run)
    snapshot, _ = stages.read_snapshot(_input(context, "load_csv", stages.LOADED))
    scoped = ScopePreview(job, snapshot, rules_scope(job.rules, snapshot.rule_view()))
    ref = stages.write_snapshot(_folder(job, run), run.run_id, stages.SCOPED, scoped.in_scope, scoped.scope)
    summary = scoped.summary()
    return {**ref.to_xcom(), "classes_in_scope": summary["classes_in_scope"],
            "classes_total": summary["classes_total"], "excluded_per_rule": summary["excluded_per_rule"],
            "in_scope": summary["in_scope"]}


@guarded
def match_teacher_classes(*, config_path: Path, context: dict[str, Any]) -> dict[str, Any]:
    """Find the teacher-made courses to link (or suggest) for classes in scope with no course yet."""
    from littlesis.classroom.inventory import full_refresh
    from littlesis.core.analysis import teacher_matches
    from littlesis.service.analysis_run import analysis_input, read_classroom

    job, run = _job_and_run(config_path, context)
    scoped = _scoped(job, context)
    with _world() as (engine, client, domain):
        _begin(engine, job, config_path, run)
        view = read_classroom(engine, domain, job.id, refresh=lambda: full_refresh(client, engine, domain))
    matches = teacher_matches(analysis_input(job, scoped, view))
    ref = stages.write_matches(_folder(job, run), run.run_id, matches, {"cache_refreshed": view.refreshed})
    decisions = matches["decision"].value_counts()
    return {**ref.to_xcom(), "linked": int(decisions.get("link", 0)), "suggested": int(decisions.get("suggest", 0)),
            "cache_refreshed": view.refreshed}


@guarded
def analyze(*, config_path: Path, context: dict[str, Any]) -> dict[str, Any]:
    """Plan the run from its artifacts; a newer plan supersedes older ones still waiting."""
    from littlesis.classroom.inventory import full_refresh
    from littlesis.service.analysis_run import needs_analysis, plan_run, read_classroom

    job, run = _job_and_run(config_path, context)
    with _world() as (engine, client, domain):
        existing = _begin(engine, job, config_path, run)
        if not needs_analysis(existing):
            # A cleared, re-run analyze: the plan (and its decisions) already exist; planning again would lose them.
            log.info("run %s is already %s: keeping its plan", run.run_id, existing.state)
            return {"run_id": run.run_id, "state": existing.state, "counts": existing.counts, "reused": True}
        scoped = _scoped(job, context)
        matches, meta = stages.read_matches(_input(context, "match_teacher_classes", stages.MATCHES))
        view = read_classroom(engine, domain, job.id, refresh=lambda: full_refresh(client, engine, domain))
        view = replace(view, refreshed=view.refreshed or bool(meta.get("cache_refreshed")))
        outcome = plan_run(engine, job, run.run_id, scoped, view, matches)
        superseded = supersede_older(engine, job.id, run.run_id)
    return {**outcome.summary(), "superseded": superseded}


@guarded
def commit(*, config_path: Path, context: dict[str, Any]) -> dict[str, Any]:
    """Apply exactly the approved plan; a re-run resumes it and commits nothing twice."""
    from airflow.sdk.exceptions import AirflowSkipException

    from littlesis.classroom.apply import apply_run
    from littlesis.orchestration.approval_state import supersede_if_older
    from littlesis.store import runs

    run = RunContext.of(context)
    with _world() as (engine, client, domain):
        # A newer run may have committed since the approval: older data never commits on its own.
        stale = supersede_if_older(engine, run.run_id)
        with _session(engine, readonly=True) as session:
            record = runs.require_run(session, run.run_id)
        if record.state in ("superseded", "expired"):
            job_state.settle(engine, record.job_id)
            raise AirflowSkipException(f"run {record.state}: {stale or record.state_reason}")
        report = apply_run(client, engine, run.run_id, domain=domain, actor=ACTOR)
        if report.state == "failed":
            raise CommitFailed(f"run {run.run_id} failed: {report.reason}")
        job_state.settle(engine, record.job_id)
    summary: dict[str, Any] = report.summary()
    return summary


@guarded
def refresh_cache(*, config_path: Path, context: dict[str, Any]) -> dict[str, Any]:
    """Re-read what the commit touched into the cache, then send the teachers' digests."""
    from littlesis.service import sync_run

    job, run = _job_and_run(config_path, context)
    notes: list[str] = []
    with _world() as (engine, client, domain):
        applied = sync_run.applied_actions(engine, run.run_id)
        courses = sync_run.refresh_cache(client, engine, domain, applied)
        notified = sync_run.notify_teachers(engine, domain, job, applied, SMTP_CONN_ID, notes)
        job_state.settle(engine, job.id)  # (a re-run after this task failed clears the failed card)
    return {"refreshed_courses": courses, "notified_teachers": notified, "notes": notes}


@guarded
def record_failure(*, config_path: Path, context: dict[str, Any]) -> str:
    """on_failure_callback of every task: the job card (and a run with no plan yet) go to failed, with why."""
    job, run = _job_and_run(config_path, context)
    task_id = getattr(context.get("ti") or context.get("task_instance"), "task_id", None) or "a task"
    error = context.get("exception")
    detail = f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else str(error or "unknown error")
    with _store() as engine:
        reason = job_state.record_failure(engine, job, config_path, run_id=run.run_id,
                                          logical_date=run.logical_date, task_id=task_id, error=detail)
    log.error("job %s: %s", job.id, reason)
    return reason


def supersede_older(engine: Engine, job_id: str, run_id: str) -> list[str]:
    """Mark the job's other runs still waiting for review as superseded by ``run_id``.

    A waiting run whose data is newer than ``run_id``'s (a backfill of older dates) is kept.
    """
    from littlesis.store import runs

    with _session(engine) as session:
        this = runs.require_run(session, run_id)
        waiting = [r for r in runs.list_runs(session, job_id, states=WAITING_STATES, limit=1000)
                   if r.run_id != run_id and not _newer(r.logical_date, this.logical_date)]
        # A run approved meanwhile is left to commit (its reviewer saw its plan); only waiting ones go.
        superseded = [older.run_id for older in waiting
                      if runs.close_if_waiting(session, older.run_id, "superseded",
                                               f"a newer analysis ({run_id}) replaced it",
                                               waiting=WAITING_STATES, superseded_by=run_id)]
    return superseded


def _newer(left: datetime | None, right: datetime | None) -> bool:
    """Whether logical date ``left`` is after ``right`` (unknown dates are never newer)."""
    if left is None or right is None:
        return False
    return _aware(left) > _aware(right)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _job_and_run(config_path: Path, context: dict[str, Any]) -> tuple[JobConfig, RunContext]:
    return read_job(config_path), RunContext.of(context)


def _folder(job: JobConfig, run: RunContext) -> Folder:
    return artifacts.run_folder(job.id, run.run_id)


def _begin(engine: Engine, job: JobConfig, config_path: Path, run: RunContext,
           files: Sequence[SourceFile] = ()) -> RunRecord:
    """The run in the store; one with no plan yet (new, or failed and re-run) and the card go to analyzing."""
    from littlesis.service.analysis_run import begin_run

    return begin_run(engine, job, config_path, run.run_id, logical_date=run.logical_date, files=files)


def _input(context: dict[str, Any], producer: str, stage: str) -> stages.StageRef:
    """The artifacts ``producer`` wrote for this run (its XCom reference, checked to name this run)."""
    value = context["ti"].xcom_pull(task_ids=producer)
    return stages.StageRef.from_xcom(value, run_id=str(context["run_id"]), stage=stage, producer=producer)


def _scoped(job: JobConfig, context: dict[str, Any]) -> Any:
    """apply_rules' output as the ScopePreview the services take."""
    from littlesis.core.preview import ScopePreview

    snapshot, scope = stages.read_snapshot(_input(context, "apply_rules", stages.SCOPED))
    if scope is None:
        raise stages.StageMissing("apply_rules' artifacts hold no scope")
    return ScopePreview(job, snapshot, scope)


@contextmanager
def _store() -> Iterator[Engine]:
    """The store engine (migrated) from the littlesis_store connection."""
    from littlesis.orchestration.connections import store_url
    from littlesis.store.engine import make_engine
    from littlesis.store.migrate import upgrade

    url = store_url()
    upgrade(url)
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def _world() -> Iterator[tuple[Engine, Any, str]]:
    """The store engine, a Classroom client and its cache domain, from our Airflow connections."""
    from littlesis.classroom.connection import connect, load_settings
    from littlesis.orchestration.connections import classroom_domain

    settings = load_settings()
    with _store() as engine:
        client = connect(settings=settings)
        try:
            yield engine, client, classroom_domain(settings)
        finally:
            client.close()  # its HTTP connections


@contextmanager
def _session(engine: Engine, readonly: bool = False) -> Iterator[Any]:
    from littlesis.store.engine import session_scope

    with session_scope(engine, readonly=readonly) as session:
        yield session
