"""The jobs list: one card per job from its config file, its store state and what Airflow knows of its DAG."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from littlesis.core.job_files import LoadedJob, read_jobs
from littlesis.store import jobs, runs
from littlesis.store.records import JobRecord, RunRecord
from littlesis.web.charts import Bar, run_bars
from littlesis.web.context import dag_id_of, store_session
from littlesis.web.deps import DagInfo, DagPermissions, WebDependencies

RECENT_RUNS = 12


@dataclass
class JobCard:
    job_id: str
    dag_id: str
    name: str
    description: str
    automation_mode: str
    schedule: str | None
    config_file: str | None  # None: the store knows the job but its config file is gone
    state: str
    state_reason: str | None
    dag: DagInfo
    latest: RunRecord | None = None
    bars: list[Bar] = field(default_factory=list)
    may_edit: bool = False

    @property
    def counts(self) -> dict[str, int]:
        return dict(self.latest.counts) if self.latest else {}

    @property
    def unsafe_reasons(self) -> list[str]:
        return list(self.latest.unsafe_reasons) if self.latest and self.latest.unsafe else []


@dataclass
class JobsPage:
    cards: list[JobCard]
    broken_configs: int  # files under the folder that don't load (their problems are in the DAG processor log)


Permissions = Callable[[Iterable[str]], dict[str, DagPermissions]]


def jobs_page(deps: WebDependencies, permissions: Permissions) -> JobsPage:
    """Cards for the jobs whose DAG the user may read (``permissions`` asks Airflow), by job id."""
    job_set = read_jobs([deps.config_dir]) if deps.config_dir.is_dir() else None
    configs = {loaded.config.id: loaded for loaded in (job_set.jobs if job_set else [])}
    cards = []
    with store_session(deps) as session:
        stored = {job.job_id: job for job in jobs.list_jobs(session)}
        job_ids = sorted(set(configs) | set(stored))
        access = permissions([dag_id_of(j) for j in job_ids])
        shown = [j for j in job_ids if access[dag_id_of(j)].read]
        dags = deps.dags.describe([dag_id_of(j) for j in shown])
        for job_id in shown:
            recent = runs.list_runs(session, job_id, limit=RECENT_RUNS)
            card = _card(job_id, configs.get(job_id), stored.get(job_id), dags[dag_id_of(job_id)], recent)
            card.may_edit = access[dag_id_of(job_id)].edit
            cards.append(card)
    broken = len({p.file for p in job_set.problems}) if job_set else 0
    return JobsPage(cards=cards, broken_configs=broken)


def _card(job_id: str, loaded: LoadedJob | None, stored: JobRecord | None, dag: DagInfo,
          recent: list[RunRecord]) -> JobCard:
    config = loaded.config if loaded else None
    return JobCard(
        job_id=job_id,
        dag_id=dag_id_of(job_id),
        name=config.name if config else (stored.name if stored else job_id),
        description=config.description if config else "",
        automation_mode=config.automation.mode if config else (stored.automation_mode if stored else "manual"),
        schedule=config.automation.schedule if config else None,
        config_file=loaded.path.name if loaded else None,
        state=stored.state if stored else "awaiting_analysis",
        state_reason=stored.state_reason if stored else None,
        dag=dag,
        latest=recent[0] if recent else None,
        bars=run_bars(recent, RECENT_RUNS),
    )
