"""Run one job's DAG with ``dag.test()`` (meant for a subprocess with its own AIRFLOW_HOME).

    python tests/orchestration/dag_test_runner.py <dag_id> '<run_conf json>' [<poll seconds>]

The last stdout line is JSON: the run's id and state, and the state of each task.
The approval sensor polls every ``poll seconds`` (default 1) so a test needn't wait 30 s.
"""

from __future__ import annotations

import json
import sys


def main(argv: list[str]) -> None:
    from airflow.dag_processing.dagbag import DagBag

    dag_id, conf = argv[0], json.loads(argv[1]) if len(argv) > 1 else {}
    poll = float(argv[2]) if len(argv) > 2 else 1.0
    bag = DagBag(safe_mode=True)
    assert not bag.import_errors, bag.import_errors
    dag = bag.dags[dag_id]
    from littlesis.orchestration.approval import ApprovalSensor

    sensor = dag.get_task("await_approval")
    assert isinstance(sensor, ApprovalSensor)
    sensor.poll_interval = poll
    sensor.poke_interval = poll
    run = dag.test(run_conf=conf)
    tasks = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    print(json.dumps({"run_id": run.run_id, "state": str(run.state), "tasks": tasks}))


if __name__ == "__main__":
    main(sys.argv[1:])
