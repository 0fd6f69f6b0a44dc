"""What a commit did: per-action results written to the store as they come, the report, and the wrap-up.

``ResultLog`` writes each wave's verdicts in one short transaction (``mark_results``), so
a commit killed mid-way loses at most the wave in flight, whose actions are still
pending and are simply sent again by the rerun. ``finish`` records what the run wrote
(synced values of the courses it created, updated or linked), the run and job states
and an audit entry.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from littlesis.classroom.apply_actions import ALREADY_DONE, DONE, FAILED, SKIPPED, Verdict
from littlesis.classroom.apply_order import STAGED
from littlesis.classroom.counter import CallCounts
from littlesis.core.analysis import written_values
from littlesis.store import audit, jobs, runs, synced
from littlesis.store.actions import count_actions, iter_actions
from littlesis.store.engine import session_scope
from littlesis.store.filters import ActionFilter
from littlesis.store.records import ActionRecord, ActionResult
from littlesis.store.results import mark_results

FAILURES_KEPT = 1000  # the report lists this many failures; the store has them all
SUCCEEDED = (DONE, ALREADY_DONE)


@dataclass(frozen=True, slots=True)
class ActionFailure:
    action_id: str
    kind: str
    alias: str | None
    target: str | None
    status: str  # failed or skipped
    reason: str


@dataclass
class CommitReport:
    """One invocation of the commit of a run (a resumed commit reports what it did itself;
    ``run_statuses`` covers the whole run)."""

    run_id: str
    domain: str
    state: str = "committing"  # the run's state afterwards: committed or failed
    reason: str | None = None
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # kind -> status -> actions
    failures: list[ActionFailure] = field(default_factory=list)
    failures_total: int = 0
    run_statuses: dict[str, int] = field(default_factory=dict)  # staged actions of the run by status
    already_final: int = 0  # staged actions that had a result before this invocation
    reopened: int = 0  # transient failures of an earlier invocation sent again
    calls: CallCounts = field(default_factory=CallCounts)
    seconds: float = 0.0

    def totals(self) -> dict[str, int]:
        out: Counter[str] = Counter()
        for statuses in self.counts.values():
            out.update(statuses)
        return dict(out)

    @property
    def applied(self) -> int:
        totals = self.totals()
        return totals.get(DONE, 0) + totals.get(ALREADY_DONE, 0)

    def summary(self) -> dict[str, Any]:
        """JSON-ready figures (CLI output, audit detail, XCom)."""
        return {
            "run_id": self.run_id, "domain": self.domain, "state": self.state, "reason": self.reason,
            "counts": self.counts, "totals": self.totals(), "run_statuses": self.run_statuses,
            "already_final": self.already_final, "reopened": self.reopened, "failures_total": self.failures_total,
            "failures": [_failure_json(f) for f in self.failures[:20]],
            "calls": dict(self.calls.calls), "api_attempts": self.calls.total_attempts,
            "retries": self.calls.retries, "http_requests": self.calls.http_requests,
            "seconds": round(self.seconds, 3),
        }


def _failure_json(failure: ActionFailure) -> dict[str, Any]:
    return {"action_id": failure.action_id, "kind": failure.kind, "alias": failure.alias,
            "target": failure.target, "status": failure.status, "reason": failure.reason}


class ResultLog:
    """Writes verdicts to the store a wave at a time and tallies them for the report."""

    def __init__(self, engine: Engine, report: CommitReport) -> None:
        self.engine = engine
        self.report = report
        self._counts: defaultdict[str, Counter[str]] = defaultdict(Counter)

    def record(self, actions: Sequence[ActionRecord], verdicts: Sequence[Verdict]) -> None:
        if not actions:
            return
        results = [ActionResult(a.action_id, v.status, v.reason, a.attempts + v.attempts)
                   for a, v in zip(actions, verdicts, strict=True)]
        with session_scope(self.engine) as session:
            mark_results(session, self.report.run_id, results)
        for action, verdict in zip(actions, verdicts, strict=True):
            self._counts[action.kind][verdict.status] += 1
            if verdict.status in (FAILED, SKIPPED):
                self.report.failures_total += 1
                if len(self.report.failures) < FAILURES_KEPT:
                    self.report.failures.append(ActionFailure(action.action_id, action.kind, action.alias,
                                                              action.target, verdict.status, verdict.reason))
        self.report.counts = {kind: dict(c) for kind, c in self._counts.items()}


_COURSE_WRITES = ActionFilter(kind=("create_course", "update_course", "link_course"), decision=STAGED,
                              status=SUCCEEDED)


def record_synced(engine: Engine, job_id: str, run_id: str) -> int:
    """Synced values of every course this run created, updated or linked (the whole run: a resumed
    commit covers what the killed one did)."""
    with session_scope(engine, readonly=True) as session:
        written = list(iter_actions(session, run_id, _COURSE_WRITES))
    frame = pd.DataFrame({"kind": [a.kind for a in written], "alias": [a.alias or "" for a in written],
                          "payload": [json.dumps(a.payload) for a in written]}, dtype="str")
    rows = list(written_values(frame[frame["kind"] != "link_course"]).itertuples(index=False, name=None))
    rows += [(a.alias or "", synced.LINKED_COURSE, str(a.payload.get("courseId", "")))
             for a in written if a.kind == "link_course"]
    with session_scope(engine) as session:
        return synced.record_synced_values(session, job_id, run_id, rows)


def finish(engine: Engine, report: CommitReport, *, job_id: str, actor: str, state: str, reason: str | None
           ) -> None:
    """Run and job states, the run's status counts and the audit entry, in one transaction."""
    report.state, report.reason = state, reason
    with session_scope(engine) as session:
        report.run_statuses = count_actions(session, report.run_id, by="status",
                                            where=ActionFilter(decision=STAGED))
        runs.set_run_state(session, report.run_id, state, reason)
        if state == "committed":
            jobs.set_job_state(session, job_id, "awaiting_analysis")
        else:
            jobs.set_job_state(session, job_id, "failed", reason)
        audit.append_audit(session, actor=actor, action="run.commit", job_id=job_id, run_id=report.run_id,
                           detail=report.summary())
