"""The DAG's task bodies: thin calls into the services. Imported only when a task runs.

Every function takes the job's config path and the Airflow context, and returns a small
JSON-ready dict (it goes to XCom); large data stays in the artifacts folder and the store.
Nothing here touches Airflow's metadata database: our state lives in our store, and every task
body runs under ``metadata_guard.guarded`` so a test under ``dag.test()`` catches a slip.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from littlesis.core.config import JobConfig
from littlesis.core.job_files import read_job
from littlesis.orchestration import artifacts
from littlesis.orchestration.metadata_guard import guarded

log = logging.getLogger(__name__)
ACTOR = "airflow"
WAITING_STATES = ("pending_review",)


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
    """Archive the export under the run (once: a re-run reads the first copy) and check it loads."""
    from littlesis.core.preview import preview

    job = read_job(config_path)
    run = RunContext.of(context)
    archive = artifacts.archive_sources(job, config_path, artifacts.run_folder(job.id, run.run_id), ds=run.ds)
    scoped = preview(archive.job(job), config_path)
    summary = scoped.summary()
    return {"artifacts": str(archive.folder), "files": archive.files, "rejected_rows": summary["rejected_rows"]}


@guarded
def apply_rules(*, config_path: Path, context: dict[str, Any]) -> dict[str, Any]:
    """The scope the rules leave (counts only; analyze recomputes it from the same archived files)."""
    from littlesis.core.preview import preview

    _job, archived = _archived_job(config_path, context)
    summary = preview(archived, config_path).summary()
    return {"classes_in_scope": summary["classes_in_scope"], "classes_total": summary["classes_total"],
            "excluded_per_rule": summary["excluded_per_rule"], "in_scope": summary["in_scope"]}


@guarded
def match_teacher_classes(*, config_path: Path, context: dict[str, Any]) -> dict[str, Any]:
    """Matching needs Classroom's cache and runs inside ``analyze``; this step only names the run's inputs."""
    job, _ = _archived_job(config_path, context)
    return {"job": job.id, "matching": "done by analyze against the domain cache",
            "link_at": job.preferences.matching.link_at, "suggest_at": job.preferences.matching.suggest_at}


@guarded
def analyze(*, config_path: Path, context: dict[str, Any]) -> dict[str, Any]:
    """Plan the run from its archived files; a newer plan supersedes older ones still waiting."""
    from littlesis.classroom.inventory import full_refresh
    from littlesis.service.analysis_run import run_analysis
    from littlesis.store import runs

    job, archived = _archived_job(config_path, context)
    run = RunContext.of(context)
    with _world() as (engine, client, domain):
        with _session(engine, readonly=True) as session:
            existing = runs.get_run(session, run.run_id)
        if existing is not None and existing.state not in ("created", "analyzing", "failed"):
            # A cleared, re-run analyze: the plan (and its decisions) already exist; planning again would lose them.
            log.info("run %s is already %s: keeping its plan", run.run_id, existing.state)
            return {"run_id": run.run_id, "state": existing.state, "counts": existing.counts, "reused": True}
        with _failing_job(engine, job):
            outcome = run_analysis(archived, config_path, engine, domain, run_id=run.run_id,
                                   refresh=lambda: full_refresh(client, engine, domain),
                                   logical_date=run.logical_date)
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
            record = runs.get_run(session, run.run_id)
        if record is not None and record.state in ("superseded", "expired"):
            raise AirflowSkipException(f"run {record.state}: {stale or record.state_reason}")
        report = apply_run(client, engine, run.run_id, domain=domain, actor=ACTOR)
    summary: dict[str, Any] = report.summary()
    return summary


@guarded
def refresh_cache(*, config_path: Path, context: dict[str, Any]) -> dict[str, Any]:
    """Re-read what the commit touched into the cache, then send the teachers' digests."""
    from littlesis.service import sync_run

    job = read_job(config_path)
    run = RunContext.of(context)
    notes: list[str] = []
    with _world() as (engine, client, domain):
        applied = sync_run.applied_actions(engine, run.run_id)
        courses = sync_run.refresh_cache(client, engine, domain, applied)
        notified = sync_run.notify_teachers(engine, domain, job, applied, "littlesis_smtp", notes)
    return {"refreshed_courses": courses, "notified_teachers": notified, "notes": notes}


def supersede_older(engine: Engine, job_id: str, run_id: str) -> list[str]:
    """Mark the job's other runs still waiting for review as superseded by ``run_id``.

    A waiting run whose data is newer than ``run_id``'s (a backfill of older dates) is kept.
    """
    from littlesis.store import runs

    with _session(engine) as session:
        this = runs.require_run(session, run_id)
        waiting = [r for r in runs.list_runs(session, job_id, states=WAITING_STATES, limit=1000)
                   if r.run_id != run_id and not _newer(r.logical_date, this.logical_date)]
        for older in waiting:
            runs.set_run_state(session, older.run_id, "superseded", f"a newer analysis ({run_id}) replaced it",
                               superseded_by=run_id)
    return [r.run_id for r in waiting]


def _newer(left: datetime | None, right: datetime | None) -> bool:
    """Whether logical date ``left`` is after ``right`` (unknown dates are never newer)."""
    if left is None or right is None:
        return False
    return _aware(left) > _aware(right)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _archived_job(config_path: Path, context: dict[str, Any]) -> tuple[JobConfig, JobConfig]:
    job = read_job(config_path)
    run = RunContext.of(context)
    folder = artifacts.run_folder(job.id, run.run_id)
    archive = artifacts.load_archive(folder)
    if archive is None:  # load_csv didn't run for this run (or its folder was removed): archive now
        archive = artifacts.archive_sources(job, config_path, folder, ds=run.ds)
    return job, archive.job(job)


@contextmanager
def _world() -> Iterator[tuple[Engine, Any, str]]:
    """The store engine (migrated), a Classroom client and its cache domain, from our Airflow connections."""
    from littlesis.classroom.connection import connect, load_settings
    from littlesis.orchestration.connections import classroom_domain, store_url
    from littlesis.store.engine import make_engine
    from littlesis.store.migrate import upgrade

    url = store_url()
    upgrade(url)
    engine = make_engine(url)
    settings = load_settings()
    try:
        yield engine, connect(settings=settings), classroom_domain(settings)
    finally:
        engine.dispose()


@contextmanager
def _session(engine: Engine, readonly: bool = False) -> Iterator[Any]:
    from littlesis.store.engine import session_scope

    with session_scope(engine, readonly=readonly) as session:
        yield session


@contextmanager
def _failing_job(engine: Engine, job: JobConfig) -> Iterator[None]:
    """On error the job card shows failed with the reason (the plugin page reads it, not Airflow)."""
    from littlesis.store import jobs

    try:
        yield
    except Exception as exc:
        try:
            with _session(engine) as session:
                if jobs.get_job(session, job.id) is not None:
                    jobs.set_job_state(session, job.id, "failed", f"analysis failed: {exc}"[:2000])
        except Exception:
            log.exception("cannot record the failure of job %s", job.id)
        raise
