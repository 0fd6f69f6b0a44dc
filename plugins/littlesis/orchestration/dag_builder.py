"""Job configs -> Airflow DAGs, one per job.

Parsing stays cheap: this module imports Airflow's DAG classes, our config models and
the approval sensor, never pandas, googleapiclient or the store. Task bodies live in
``littlesis.orchestration.tasks``, imported by the shim below only when a task runs.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG, Param

from littlesis.core.config import JobConfig
from littlesis.core.job_files import LoadedJob, read_jobs
from littlesis.orchestration.approval import ApprovalSensor

log = logging.getLogger(__name__)

DAG_PREFIX = "littlesis_"
DEFERRABLE_ENV = "LITTLESIS_APPROVAL_DEFERRABLE"
CONFIGS_ENV = "LITTLESIS_JOB_CONFIGS"
OWNER_ENV = "LITTLESIS_DAG_OWNER"
DEFAULT_OWNER = "littlesis"
COMMIT_POOL = "littlesis_commit"
START_DATE = datetime(2024, 1, 1, tzinfo=UTC)
TASK_IDS = ("load_csv", "apply_rules", "match_teacher_classes", "analyze", "await_approval", "commit",
            "refresh_cache")
# Reading exports, the store and Classroom can fail for a moment; a second try usually works.
IO_RETRIES = 2
IO_RETRY_DELAY = timedelta(minutes=1)
APPROVAL_CHOICES = ("job-default", "review", "stage-all")


def dag_id_of(job_id: str) -> str:
    return f"{DAG_PREFIX}{job_id}"


def approval_deferrable() -> bool:
    """Whether await_approval defers to the triggerer; ``LITTLESIS_APPROVAL_DEFERRABLE=false`` makes it
    poke in reschedule mode instead, for a deployment that runs no triggerer."""
    value = os.environ.get(DEFERRABLE_ENV, "true").strip().lower()
    if value not in {"true", "false", "1", "0", "yes", "no"}:
        log.error("%s=%r is not true or false; deferring to the triggerer", DEFERRABLE_ENV, value)
        return True
    return value in {"true", "1", "yes"}


def default_config_dir(repo: Path) -> Path:
    """``$LITTLESIS_JOB_CONFIGS`` if set, else ``<repo>/include/job_configs``."""
    override = os.environ.get(CONFIGS_ENV, "").strip()
    return Path(override) if override else repo / "include" / "job_configs"


def run_step(step: str, config_path: str, **context: Any) -> Any:
    """The task body: import the heavy task module now (at run time, not at parse time) and call ``step``."""
    from littlesis.orchestration import tasks

    return getattr(tasks, step)(config_path=Path(config_path), context=context)


class RecordFailure:
    """Every task's on_failure_callback: the job card in our store goes to failed, with the task's error.

    (Airflow calls it in the worker once the task has failed for good, not before a retry.)
    """

    def __init__(self, config_path: str) -> None:
        self.config_path = config_path

    def __call__(self, context: Any) -> None:
        from littlesis.orchestration import tasks

        tasks.record_failure(config_path=Path(self.config_path), context=context)

    def __repr__(self) -> str:
        return f"RecordFailure({self.config_path!r})"


def build_dags(config_dir: Path | str | Iterable[Path]) -> dict[str, DAG]:
    """A DAG per valid config; a broken config is logged and costs only its own DAG. Never raises."""
    paths = [Path(config_dir)] if isinstance(config_dir, str | Path) else list(config_dir)
    try:
        job_set = read_jobs(paths)
    except Exception:  # the loader's own bug must not cost every DAG of the file with it
        log.exception("littlesis: cannot read job configs under %s", paths)
        return {}
    for problem in job_set.problems:
        log.error("littlesis: job config skipped: %s", problem)
    dags: dict[str, DAG] = {}
    for loaded in job_set.jobs:
        try:
            dag = build_dag(loaded)
        except Exception:
            log.exception("littlesis: cannot build the DAG of %s", loaded.path)
            continue
        dags[dag.dag_id] = dag
    return dags


def build_dag(loaded: LoadedJob) -> DAG:
    """The DAG of one job: load_csv -> apply_rules -> match_teacher_classes -> analyze -> await_approval
    -> commit -> refresh_cache."""
    job = loaded.config
    config_path = str(loaded.path.resolve())
    mode = job.automation.mode
    dag = DAG(
        dag_id=dag_id_of(job.id),
        description=job.name,
        doc_md=doc_md(job, loaded.path),
        schedule=job.automation.schedule if mode != "manual" else None,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        tags=sorted({"littlesis", mode, job.source.preset}),
        default_args={"owner": os.environ.get(OWNER_ENV, DEFAULT_OWNER), "retries": 0},
        params={"approval": Param("job-default", type="string", enum=list(APPROVAL_CHOICES),
                                  description="job-default follows the job's automation mode; review waits for "
                                              "a person; stage-all stages what the safety guard allows")},
        render_template_as_native_obj=False,
    )
    with dag:
        load_csv = _step("load_csv", config_path, io=True)
        apply_rules = _step("apply_rules", config_path)
        match = _step("match_teacher_classes", config_path)
        analyze = _step("analyze", config_path, io=True)
        await_approval = ApprovalSensor(
            task_id="await_approval", job_id=job.id, automation_mode=mode,
            review_window_hours=job.automation.review_window_hours,
            deferrable=approval_deferrable(),
            on_failure_callback=RecordFailure(config_path),
        )
        commit = _step("commit", config_path, pool=COMMIT_POOL)
        refresh_cache = _step("refresh_cache", config_path, io=True)
        load_csv >> apply_rules >> match >> analyze >> await_approval >> commit >> refresh_cache
    return dag


def _step(task_id: str, config_path: str, *, io: bool = False, pool: str | None = None) -> PythonOperator:
    extra: dict[str, Any] = {"retries": IO_RETRIES, "retry_delay": IO_RETRY_DELAY} if io else {"retries": 0}
    extra["on_failure_callback"] = RecordFailure(config_path)
    if pool is not None:
        extra["pool"] = pool
        extra["pool_slots"] = 1
    return PythonOperator(task_id=task_id, python_callable=run_step,
                          op_kwargs={"step": task_id, "config_path": config_path}, **extra)


def doc_md(job: JobConfig, path: Path) -> str:
    """What a person sees on the DAG page: the job in words, then its settings."""
    p = job.preferences
    a = job.automation
    source = ", ".join(f"{k}: `{v}`" for k, v in (job.source.files or {}).items()) or f"dir `{job.source.dir}`"
    automation = {"manual": "manual (a person triggers the analysis and reviews it)",
                  "review": f"review (scheduled `{a.schedule}`, held for a person's review)",
                  "automatic": f"automatic (scheduled `{a.schedule}`, stages what the safety guard allows)"}[a.mode]
    yes = [name for name in ("add_students", "remove_students", "add_teachers", "remove_teachers",
                             "guardian_invitations", "archive_missing", "overwrite_teacher_values")
           if getattr(p, name)]
    lines = [
        f"# {job.name}",
        "",
        job.description or "_No description._",
        "",
        "| Setting | Value |",
        "|---|---|",
        f"| Job id | `{job.id}` |",
        f"| Config file | `{path}` |",
        f"| Preset | {job.source.preset} |",
        f"| Source | {source} |",
        f"| Automation | {automation} |",
        f"| Review window | {a.review_window_hours} h |",
        f"| New courses | {p.new_course_state} |",
        f"| Enabled | {', '.join(yes) or 'nothing'} |",
        f"| Safety guard | removals <= {p.safety.max_removal_share:.0%}, "
        f"changed courses <= {p.safety.max_changed_course_share:.0%} |",
        f"| Rules | {len(job.rules.include)} include, {len(job.rules.exclude)} exclude |",
    ]
    return "\n".join(lines) + "\n"
