"""The properties every scenario must end with, each a function returning its violations (strings).

- Classroom equals the plan's intent (``intent``), with no alias on two courses, no course
  made twice, no guardian or course invitation twice;
- every staged action has a final status, and it is done or already done (every fault the
  suite injects is transient: a rerun cures it); unstaged actions were never sent;
- the audit log is complete: the run's approval, a start entry for every commit invocation
  and an end entry for every one that returned, the last one matching the store's counts;
  every applied action carries its result (reason, attempts, time);
- the run is committed, the job waits for its next analysis, the domain's lease is free.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from littlesis.store import jobs, runs
from littlesis.store.audit import read_audit
from littlesis.store.engine import session_scope
from littlesis.store.locks import domain_lock_name, get_lock
from littlesis.store.records import ActionRecord
from tests.classroom.helpers import DOMAIN
from tests.reliability.intent import differences, intended, model_of, view_of

JsonDict = dict[str, Any]
APPLIED = ("done", "already_done")


@dataclass(frozen=True)
class Invocations:
    """How the commit invocations of a scenario ended."""

    returned: int  # apply_run returned a report (in this process or in the child)
    interrupted: int  # killed, or ended by an exception (a cut database connection, a lost lease)


def violations(engine: Engine, run_id: str, before: JsonDict, after: JsonDict, actions: list[ActionRecord],
               invocations: Invocations) -> list[str]:
    """Every property, on Classroom before and after the commits and on the run's actions."""
    staged = [a for a in actions if a.decision == "staged"]
    return [*classroom_matches_intent(before, after, staged), *no_duplicates(before, after, staged),
            *final_statuses(actions), *audit_complete(engine, run_id, staged, invocations),
            *run_closed(engine, run_id)]


def classroom_matches_intent(before: JsonDict, after: JsonDict, staged: list[ActionRecord]) -> list[str]:
    known = {c["id"] for c in before["courses"]}
    try:
        want = view_of(intended(before, staged), known)
    except (AssertionError, KeyError) as exc:  # the in-memory Classroom enforces Classroom's rules
        return [f"the plan can't be applied to the state before the commit: {exc!r}"]
    have = view_of(model_of(after), known)
    return [f"Classroom differs from the plan's intent: {d}" for d in differences(want, have)]


def no_duplicates(before: JsonDict, after: JsonDict, staged: list[ActionRecord]) -> list[str]:
    out = []
    aliases = Counter(a for c in after["courses"] for a in c["aliases"])
    out += [f"alias {a} is on {n} courses" for a, n in aliases.items() if n > 1]
    created = sum(a.kind == "create_course" for a in staged)
    if len(after["courses"]) != len(before["courses"]) + created:
        out.append(f"{len(after['courses'])} courses, expected {len(before['courses'])} + {created} created")
    pending = Counter((g["studentId"], g["invitedEmailAddress"].lower()) for g in after["guardianInvitations"]
                      if g["state"] == "PENDING")
    out += [f"guardian invitation {pair} is pending {n} times" for pair, n in pending.items() if n > 1]
    invitations = Counter((i["userId"], i["courseId"]) for i in after["invitations"])
    out += [f"course invitation {pair} exists {n} times" for pair, n in invitations.items() if n > 1]
    return out


def final_statuses(actions: list[ActionRecord]) -> list[str]:
    out = []
    for a in actions:
        if a.decision != "staged":
            if a.status != "pending":
                out.append(f"unstaged action {a.action_id} ({a.kind}) has status {a.status}")
            continue
        if a.status not in APPLIED:
            out.append(f"{a.kind} {a.action_id} ({a.alias}) ended {a.status}: {a.result_reason}")
        elif not a.result_reason or a.attempts < 1 or a.finished_at is None:
            out.append(f"{a.kind} {a.action_id} is {a.status} without its result "
                       f"(reason {a.result_reason!r}, attempts {a.attempts}, finished {a.finished_at})")
    return out


def audit_complete(engine: Engine, run_id: str, staged: list[ActionRecord], calls: Invocations) -> list[str]:
    with session_scope(engine, readonly=True) as session:
        trail = list(reversed(read_audit(session, run_id=run_id, limit=10_000)))  # oldest first
    names = [e.action for e in trail]
    out = []
    if "run.approve" not in names:
        out.append("the run's approval is not in the audit log")
    starts, ends = names.count("run.commit.start"), names.count("run.commit")
    if not calls.returned <= ends <= calls.returned + calls.interrupted:
        out.append(f"{ends} run.commit audit entries for {calls.returned} commits that returned "
                   f"and {calls.interrupted} interrupted")
    if not ends <= starts <= calls.returned + calls.interrupted:
        out.append(f"{starts} run.commit.start entries for {ends} ends and "
                   f"{calls.returned + calls.interrupted} invocations")
    open_starts = 0
    for name in names:  # every end closes a start
        open_starts += {"run.commit.start": 1, "run.commit": -1}.get(name, 0)
        if open_starts < 0:
            out.append("a run.commit entry with no run.commit.start before it")
            break
    last = next((e for e in reversed(trail) if e.action == "run.commit"), None)
    statuses = dict(Counter(a.status for a in staged))
    if last is None or last.detail.get("state") != "committed" or last.detail.get("run_statuses") != statuses:
        detail = None if last is None else (last.detail.get("state"), last.detail.get("run_statuses"))
        out.append(f"the last run.commit entry {detail} does not match the store's {statuses}")
    applied = sum(e.detail.get("totals", {}).get(s, 0) for e in trail if e.action == "run.commit" for s in APPLIED)
    if calls.interrupted == 0 and applied != len(staged):
        out.append(f"the run.commit entries count {applied} actions applied, the run staged {len(staged)}")
    return out


def run_closed(engine: Engine, run_id: str) -> list[str]:
    out = []
    with session_scope(engine, readonly=True) as session:
        run = runs.require_run(session, run_id)
        job = jobs.get_job(session, run.job_id)
    if run.state != "committed":
        out.append(f"the run is {run.state} ({run.state_reason})")
    if job is None or job.state != "awaiting_analysis":
        out.append(f"the job is {job and job.state} ({job and job.state_reason})")
    lease = get_lock(engine, domain_lock_name(DOMAIN))
    if lease is not None:
        out.append(f"the domain's lease is still held by {lease.holder}")
    return out
