"""Run one job's DAG with ``dag.test()`` (meant for a subprocess with its own AIRFLOW_HOME).

    python tests/orchestration/dag_test_runner.py <dag_id> '<run_conf json>' [<poll seconds>] [<logical date>]

The last stdout line is JSON: the run's id and state, and the state of each task.
The approval sensor polls every ``poll seconds`` (default 1) so a test needn't wait 30 s.
A logical date (ISO 8601) runs that date, as a backfill does; the same date again replaces the
DAG run with a fresh one of the same run id (``dag.test`` has no ``run_id``; its run after is the date),
i.e. every task cleared and re-run. With $LITTLESIS_TEST_TOUCH_ORM set, the task bodies after load_csv read
Airflow's metadata DB (to prove the guard of ``littlesis.orchestration.metadata_guard`` stops them).
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime
from typing import Any

TOUCH_ORM_ENV = "LITTLESIS_TEST_TOUCH_ORM"


def main(argv: list[str]) -> None:
    from airflow.dag_processing.dagbag import DagBag

    dag_id, conf = argv[0], json.loads(argv[1]) if len(argv) > 1 else {}
    poll = float(argv[2]) if len(argv) > 2 else 1.0
    logical_date = datetime.fromisoformat(argv[3]) if len(argv) > 3 else None
    bag = DagBag(safe_mode=True)
    assert not bag.import_errors, bag.import_errors
    dag = bag.dags[dag_id]
    from littlesis.orchestration.approval import ApprovalSensor

    if os.environ.get(TOUCH_ORM_ENV):
        _touch_orm_in_tasks(dag_id)
    sensor = dag.get_task("await_approval")
    assert isinstance(sensor, ApprovalSensor)
    sensor.poll_interval = poll
    sensor.poke_interval = poll
    if logical_date is None:
        run = dag.test(run_conf=conf)
    else:  # run_after names the run (manual__<date>): the same date again re-runs the same run id
        run = dag.test(run_conf=conf, logical_date=logical_date, run_after=logical_date)
    tasks = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    print(json.dumps({"run_id": run.run_id, "state": str(run.state), "tasks": tasks}))


def _touch_orm_in_tasks(dag_id: str) -> None:
    """Make the task bodies after load_csv read Airflow's metadata DB, as careless task code would.

    (apply_rules is the first to fail: it has no retries, so the run ends at once.)
    """
    from airflow.models.dagrun import DagRun

    from littlesis.orchestration import tasks

    real = tasks._input

    def input_and_peek(*args: Any) -> Any:
        DagRun.find(dag_id=dag_id)  # works under dag.test() unless the guard stops it
        return real(*args)

    tasks._input = input_and_peek  # type: ignore[assignment]


if __name__ == "__main__":
    main(sys.argv[1:])
