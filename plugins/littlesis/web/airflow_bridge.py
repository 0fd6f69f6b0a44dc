"""The review app's window on Airflow itself, inside the API server process (which owns the metadata DB).

Airflow is imported inside the methods: the web modules stay importable without an Airflow
configuration, and the plugin file stays cheap to import in the scheduler and the workers.
"""

from __future__ import annotations

from collections.abc import Sequence

from littlesis.web.deps import DagInfo, TriggeredRun, TriggerRefused


class AirflowDagTrigger:
    """"Run sync analysis": a manual DAG run created the way Airflow's own trigger endpoint does it."""

    def trigger(self, dag_id: str, *, user: str) -> TriggeredRun:
        from airflow.api.common.trigger_dag import trigger_dag
        from airflow.exceptions import DagNotFound, DagRunAlreadyExists
        from airflow.models.dag import DagModel
        from airflow.utils.types import DagRunTriggeredByType

        try:
            run = trigger_dag(dag_id, triggered_by=DagRunTriggeredByType.UI, triggering_user_name=user,
                              conf={"approval": "job-default"})
        except DagNotFound as exc:
            raise LookupError(f"Airflow has no DAG {dag_id!r} (not parsed yet?): {exc}") from None
        except (DagRunAlreadyExists, ValueError) as exc:  # a run of that id exists; run type not allowed
            raise TriggerRefused(f"Airflow did not trigger {dag_id!r}: {exc}") from None
        if run is None:
            raise LookupError(f"Airflow did not create a run of {dag_id!r}")
        model = DagModel.get_current(dag_id)
        return TriggeredRun(run_id=run.run_id, paused=bool(model is not None and model.is_paused))


class AirflowDagDirectory:
    """Paused state and next scheduled run of the jobs' DAGs, from Airflow's DagModel."""

    def describe(self, dag_ids: Sequence[str]) -> dict[str, DagInfo]:
        from airflow.models.dag import DagModel
        from airflow.utils.session import create_session
        from sqlalchemy import select

        found: dict[str, DagInfo] = {}
        if dag_ids:
            query = select(DagModel.dag_id, DagModel.is_paused, DagModel.is_stale,
                           DagModel.next_dagrun_create_after).where(DagModel.dag_id.in_(list(dag_ids)))
            with create_session() as session:
                for dag_id, paused, stale, next_run in session.execute(query):
                    found[dag_id] = DagInfo(dag_id, exists=not stale, paused=bool(paused),
                                            next_run=None if paused else next_run)
        return {dag_id: found.get(dag_id, DagInfo(dag_id, exists=False)) for dag_id in dag_ids}
