"""Calling the DAG's task bodies in this process, as the task runner would, for tests that need no Airflow run.

The one thing the bodies ask of Airflow's task instance is the value an upstream task returned
(``ti.xcom_pull``); ``TaskCalls`` keeps those values, JSON round-tripped as XCom stores them.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from littlesis.orchestration import tasks

ANALYSIS = ("load_csv", "apply_rules", "match_teacher_classes", "analyze")


class PulledXCom:
    """A task instance as far as the task bodies use one: its id, and its upstream tasks' return values."""

    def __init__(self, task_id: str, returned: dict[str, Any]) -> None:
        self.task_id = task_id
        self._returned = returned

    def xcom_pull(self, task_ids: str) -> Any:
        return self._returned.get(task_ids)


class TaskCalls:
    """One DAG run's task bodies called in order: ``calls("load_csv")``, then ``calls("apply_rules")`` ..."""

    def __init__(self, config: Path, run_id: str, logical_date: datetime | None = None) -> None:
        self.config = config
        self.run_id = run_id
        self.logical_date = logical_date
        self.returned: dict[str, Any] = {}

    def context(self, task_id: str, **extra: Any) -> dict[str, Any]:
        ds = self.logical_date.date().isoformat() if self.logical_date is not None else None
        return {"run_id": self.run_id, "ds": ds, "logical_date": self.logical_date, "params": {},
                "ti": PulledXCom(task_id, self.returned), **extra}

    def __call__(self, step: str) -> Any:
        value = getattr(tasks, step)(config_path=self.config, context=self.context(step))
        self.returned[step] = json.loads(json.dumps(value, default=str))
        return value

    def analysis(self) -> Any:
        """load_csv -> apply_rules -> match_teacher_classes -> analyze; analyze's return value."""
        for step in ANALYSIS:
            value = self(step)
        return value
