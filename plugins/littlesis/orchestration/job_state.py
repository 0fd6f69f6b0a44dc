"""The job card in our store, as the DAG's tasks move it; the plugin page reads it, never Airflow's DB.

    awaiting_analysis -> analyzing (load_csv) -> pending_review (analyze)
    -> in_review (the review page, while a person decides) -> committing (commit) -> awaiting_analysis

and ``failed`` with its reason when any task fails for good (``record_failure``, the tasks'
on_failure_callback). A run that ends without a commit (superseded, expired) or a commit that
ends sends the card back through ``settle``: to awaiting_analysis, or to pending_review while
another run of the job still waits for a person.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from littlesis.core.config import JobConfig
from littlesis.store import jobs, runs
from littlesis.store.engine import session_scope

REASON_LIMIT = 2000
WAITING = ("pending_review",)


def settle(engine: Engine, job_id: str) -> str | None:
    """The card after a run of the job ended: pending_review while another run waits, else awaiting_analysis.

    A person already deciding (in_review) keeps the card. Returns the state set (None: unknown job).
    """
    with session_scope(engine) as session:
        job = jobs.get_job(session, job_id)
        if job is None:
            return None
        state = "awaiting_analysis"
        if runs.list_runs(session, job_id, states=WAITING, limit=1):
            state = "in_review" if job.state == "in_review" else "pending_review"
        jobs.set_job_state(session, job_id, state)
    return state


def record_failure(engine: Engine, job: JobConfig, config_path: Path, *, run_id: str,
                   logical_date: datetime | None, task_id: str, error: str) -> str:
    """The card goes to failed with why; a run that had no plan yet is failed too (kept in its history).

    A run with a plan keeps its state: its decisions stand, and a commit resumes on a re-run.
    """
    from littlesis.service.analysis_run import needs_analysis, record_job

    reason = f"{task_id} failed: {error}"[:REASON_LIMIT]
    with session_scope(engine) as session:
        record_job(session, job, config_path)
        run = runs.create_run(session, run_id=run_id, job_id=job.id, logical_date=logical_date, state="failed",
                              exist_ok=True)
        if needs_analysis(run):
            runs.set_run_state(session, run_id, "failed", reason)
        jobs.set_job_state(session, job.id, "failed", reason)
    return reason
