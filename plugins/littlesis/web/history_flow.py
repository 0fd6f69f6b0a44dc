"""History: a job's past runs with what each action did, and the per-action results as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field

from littlesis.store import runs
from littlesis.store.actions import actions_after, count_actions, iter_actions
from littlesis.store.filters import ActionFilter
from littlesis.store.records import ActionRecord, RunRecord
from littlesis.web.context import store_session
from littlesis.web.deps import WebDependencies

RUNS_PER_PAGE = 20
FAILURES_SHOWN = 20
# A spreadsheet runs a cell starting with one of these as a formula (=HYPERLINK(...) phoning home).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = ("position", "action_id", "kind", "alias", "target", "school", "teacher", "alternative", "reason",
               "decision", "decided_by", "decided_at", "status", "result_reason", "attempts", "finished_at")


@dataclass
class HistoryRun:
    run: RunRecord
    statuses: dict[str, int]
    decisions: dict[str, int]
    failures: list[ActionRecord] = field(default_factory=list)

    @property
    def applied(self) -> bool:
        return any(n for status, n in self.statuses.items() if status != "pending")


@dataclass
class HistoryPage:
    runs: list[HistoryRun]
    page_number: int
    has_more: bool


def load_history(deps: WebDependencies, job_id: str, page_number: int) -> HistoryPage:
    with store_session(deps) as session:
        found = runs.list_runs(session, job_id, limit=RUNS_PER_PAGE + 1, offset=(page_number - 1) * RUNS_PER_PAGE)
        shown = []
        for run in found[:RUNS_PER_PAGE]:
            statuses = count_actions(session, run.run_id, by="status")
            failures = (actions_after(session, run.run_id, ActionFilter(status="failed"), limit=FAILURES_SHOWN)
                        if statuses.get("failed") else [])
            shown.append(HistoryRun(run, statuses, count_actions(session, run.run_id, by="decision"), failures))
    return HistoryPage(shown, page_number, len(found) > RUNS_PER_PAGE)


def neutralize(value: object) -> object:
    """A text cell a spreadsheet would evaluate gets a leading quote; numbers and empty cells stay as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_row(action: ActionRecord) -> list[object]:
    values = {name: getattr(action, name) for name in CSV_COLUMNS}
    for name in ("decided_at", "finished_at"):
        stamp = values[name]
        values[name] = stamp.isoformat() if stamp is not None else ""
    return [neutralize("" if values[name] is None else values[name]) for name in CSV_COLUMNS]


def results_csv(deps: WebDependencies, run_id: str) -> Iterator[str]:
    """The run's actions with their decisions and results, streamed a chunk of rows at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    with store_session(deps) as session:
        for i, action in enumerate(iter_actions(session, run_id), 1):
            writer.writerow(csv_row(action))
            if i % 1000 == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue()
