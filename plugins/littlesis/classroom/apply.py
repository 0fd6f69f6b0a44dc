"""The commit: apply a run's staged actions to Classroom, safely retried at any point.

    report = apply_run(client, engine, run_id, domain="district.example.org", actor="alice")

Under the store's lease on the domain (a second commit is refused with ``CommitLocked``,
or waits ``lock_wait`` seconds), the run goes to committing and its staged actions
without a result are sent kind by kind in the plan's order (courses, teachers, owner
changes, students, removals, guardians, archives), a wave at a time through
``client.execute`` (batched, rate limited and retried by the client). Each wave's
results are written before the next wave goes out, so a commit killed at any point
resumes on the next call: recorded actions are never sent again, and the wave that
was in flight is sent again and answers 409/404, which count as already done.

Every staged action ends with a status and a reason; unstaged ones are not touched.
A rerun also re-opens the actions an earlier one gave up on for a transient reason.
If many calls in a row get no usable answer, the commit stops, marks the rest
skipped ("not sent: Classroom unreachable") and the run failed. An exception other
than that (a lost lease, a store error) leaves the run committing, to be resumed.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from sqlalchemy import Engine

from littlesis.classroom.apply_actions import (
    CHECK,
    EXHAUSTED,
    FAILED,
    NOT_SENT,
    SKIPPED,
    TRANSLATORS,
    Verdict,
)
from littlesis.classroom.apply_checks import OwnerPoll, OwnerTransfers, settle_links
from littlesis.classroom.apply_lease import DEFAULT_LEASE, CommitLocked, DomainLease, LeaseLost, holder_name
from littlesis.classroom.apply_order import STAGED, CourseGate, pending_of_kind, reopen_transient
from littlesis.classroom.apply_results import ActionFailure, CommitReport, ResultLog, finish, record_synced
from littlesis.classroom.protocol import Call, CallResult, ClassroomClient
from littlesis.classroom.users import UserDirectory
from littlesis.core.errors import LittleSisError
from littlesis.core.plan import KINDS
from littlesis.core.progress import Progress
from littlesis.store import audit, jobs, runs
from littlesis.store.actions import count_actions
from littlesis.store.engine import session_scope
from littlesis.store.filters import ActionFilter
from littlesis.store.records import ActionRecord
from littlesis.store.results import pending_staged, skip_pending

__all__ = ["ActionFailure", "CommitLocked", "CommitRefused", "CommitReport", "LeaseLost", "OwnerPoll", "apply_run"]

# Run states a commit may start from: approved, or a commit to resume or rerun.
COMMITTABLE = ("approved", "committing", "failed", "committed")
WAVE = 200  # actions sent between two writes of results: what a kill -9 can leave unrecorded
GIVE_UP_AFTER = 100  # this many calls in a row with no usable answer: Classroom is unreachable


log = logging.getLogger(__name__)


class CommitRefused(LittleSisError):
    """The run can't be committed in its state (not approved, superseded, ...)."""


def apply_run(
    client: ClassroomClient,
    engine: Engine,
    run_id: str,
    *,
    domain: str,
    actor: str,
    lock_ttl: timedelta = DEFAULT_LEASE,
    lock_wait: float = 0.0,
    wave_size: int = WAVE,
    owner_poll: OwnerPoll | None = None,
    give_up_after: int = GIVE_UP_AFTER,
) -> CommitReport:
    """Commit the staged actions of ``run_id`` to the Classroom ``domain``; see the module docstring."""
    if wave_size < 1 or give_up_after < 1:
        raise ValueError("wave_size and give_up_after must be positive")
    started = time.monotonic()
    before = client.counter.snapshot()
    report = CommitReport(run_id, domain)
    with DomainLease(engine, domain, holder_name(actor, run_id), ttl=lock_ttl, wait=lock_wait) as lease:
        job_id = _begin(engine, report, actor)
        committer = _Committer(client, engine, report, lease, wave_size, owner_poll or OwnerPoll(), give_up_after)
        gave_up = committer.run()
        record_synced(engine, job_id, run_id)
        report.calls = client.counter.snapshot() - before
        report.seconds = time.monotonic() - started
        state, reason = _outcome(report, gave_up)
        finish(engine, report, job_id=job_id, actor=actor, state=state, reason=reason)
    return report


def _begin(engine: Engine, report: CommitReport, actor: str) -> str:
    with session_scope(engine) as session:
        run = runs.require_run(session, report.run_id)
        if run.state not in COMMITTABLE or run.approval == "none":
            raise CommitRefused(f"run {report.run_id!r} is {run.state} (approval {run.approval}): only an "
                                "approved run is committed")
        resumed = run.state != "approved"
    report.reopened = reopen_transient(engine, report.run_id) if resumed else 0
    with session_scope(engine) as session:
        statuses = count_actions(session, report.run_id, by="status", where=ActionFilter(decision=STAGED))
        report.already_final = sum(n for status, n in statuses.items() if status != "pending")
        runs.set_run_state(session, report.run_id, "committing")
        jobs.set_job_state(session, run.job_id, "committing")
        audit.append_audit(session, actor=actor, action="run.commit.start", job_id=run.job_id, run_id=report.run_id,
                           detail={"domain": report.domain, "resumed": resumed, "pending": statuses.get("pending", 0),
                                   "already_final": report.already_final, "reopened": report.reopened})
    return run.job_id


def _outcome(report: CommitReport, gave_up: str | None) -> tuple[str, str | None]:
    if gave_up:
        return "failed", gave_up
    totals = report.totals()
    failed, skipped = totals.get(FAILED, 0), totals.get(SKIPPED, 0)
    if report.applied == 0 and failed:
        first = report.failures[0].reason if report.failures else "?"
        unanswered = all(f.reason.startswith(EXHAUSTED) for f in report.failures if f.status == FAILED)
        what = "Classroom unreachable" if unanswered else "nothing could be applied"
        return "failed", f"{what}: {failed} failed, {skipped} skipped; first: {first}"
    if failed or skipped:
        return "committed", f"committed with {failed} failed and {skipped} skipped"
    return "committed", None


def _pending_count(engine: Engine, run_id: str) -> int:
    with session_scope(engine, readonly=True) as session:
        return count_actions(session, run_id, by="status", where=ActionFilter(decision=STAGED)).get("pending", 0)


class _Committer:
    def __init__(self, client: ClassroomClient, engine: Engine, report: CommitReport, lease: DomainLease,
                 wave_size: int, owner_poll: OwnerPoll, give_up_after: int) -> None:
        self.client = client
        self.engine = engine
        self.report = report
        self.lease = lease
        self.wave_size = wave_size
        self.give_up_after = give_up_after
        self.log = ResultLog(engine, report)
        self.directory = UserDirectory(client)
        self.owners = OwnerTransfers(client, self.directory, owner_poll)
        self.gate = CourseGate.load(engine, report.run_id)
        self.no_answer_streak = 0
        self.last_error = ""
        self.progress = Progress(f"commit {report.run_id}", _pending_count(engine, report.run_id))

    def run(self) -> str | None:
        """Every kind in order; returns why it gave up, or None."""
        for kind in KINDS:
            for wave in pending_of_kind(self.engine, self.report.run_id, kind, self.wave_size):
                self.lease.check()
                verdicts = self._wave(kind, wave)
                self.log.record(wave, verdicts)
                log.info("%s (%s)", self.progress.advance(len(wave)), kind)
                if self._unreachable(verdicts):
                    return self._give_up()
        self._fail_unknown_kinds()
        return None

    def _wave(self, kind: str, wave: list[ActionRecord]) -> list[Verdict]:
        translator = TRANSLATORS[kind]
        verdicts: dict[int, Verdict] = {}
        sent: list[int] = []
        calls: list[Call] = []
        for i, action in enumerate(wave):
            held = self.gate.held_back(action)
            if held is not None:
                verdicts[i] = held
                continue
            try:
                calls.append(translator.call(action))
            except ValueError as exc:  # PayloadError, or a builder refusing the values
                verdicts[i] = Verdict(FAILED, f"bad payload: {exc}")
                continue
            sent.append(i)
        results = dict(zip(sent, self.client.execute(calls), strict=True))
        for i, result in results.items():
            verdicts[i] = translator.judge(wave[i], result)
            self._learn(result)
        if kind == "link_course":
            conflicts = [i for i in sent if verdicts[i].status == CHECK]
            if conflicts:
                settled = settle_links(self.client, [(wave[i], results[i]) for i in conflicts])
                verdicts.update(zip(conflicts, settled, strict=True))
        if kind == "change_owner" and sent:
            settled = self.owners.settle([(wave[i], results[i]) for i in sent], [verdicts[i] for i in sent])
            verdicts.update(zip(sent, settled, strict=True))
        final = [verdicts[i] for i in range(len(wave))]
        for action, verdict in zip(wave, final, strict=True):
            self.gate.note(action, verdict)
        return final

    def _learn(self, result: CallResult) -> None:
        """Roster answers name the user's id and e-mail: owner checks use them without a lookup."""
        body = result.body or {}
        email = (body.get("profile") or {}).get("emailAddress")
        if result.ok and email and body.get("userId"):
            self.directory.remember(str(email), str(body["userId"]))

    def _unreachable(self, verdicts: list[Verdict]) -> bool:
        for verdict in verdicts:
            if verdict.status == SKIPPED:
                continue
            if verdict.status == FAILED and verdict.reason.startswith(EXHAUSTED):  # a 404 is an answer
                self.no_answer_streak += 1
                self.last_error = verdict.reason
            else:
                self.no_answer_streak = 0
        return self.no_answer_streak >= self.give_up_after

    def _give_up(self) -> str:
        reason = f"{NOT_SENT} Classroom unreachable ({self.last_error})"
        where = ActionFilter(decision=STAGED, status="pending")
        with session_scope(self.engine) as session:
            left = count_actions(session, self.report.run_id, by="kind", where=where)
            skip_pending(session, self.report.run_id, reason)
        for kind, n in left.items():
            counts = self.report.counts.setdefault(kind, {})
            counts[SKIPPED] = counts.get(SKIPPED, 0) + n
        self.report.failures_total += sum(left.values())
        return (f"Classroom unreachable: {self.no_answer_streak} calls in a row failed ({self.last_error}); "
                f"{sum(left.values())} actions not sent")

    def _fail_unknown_kinds(self) -> None:
        """A kind this engine doesn't know would stay pending forever: close it as failed."""
        while True:
            with session_scope(self.engine, readonly=True) as session:
                left = pending_staged(session, self.report.run_id, limit=self.wave_size)
            if not left:
                return
            self.log.record(left, [Verdict(FAILED, f"unknown action kind {a.kind!r}") for a in left])

