"""Automatic staging: what an automatic job (or a stage-all trigger) may approve without a person.

Everything the analysis proposed is staged, except:
- an unsafe plan, which always waits for a person who reads the safety guard's numbers;
- the two alternatives of a suggested match (link the teacher's course, or create a
  new one), which only a reviewer can choose between;
- an action a person excluded from the job's last committed run, proposed again unchanged:
  it stays excluded (a person said no; the robot does not overrule them the next night).

So when a reviewer staged only part of run N's plan, the rest (left proposed, not excluded)
is proposed again by run N+1's analysis, whose data says it is still needed, and staged here
if that plan is safe: for an automatic job, the rest is approved on the next run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from littlesis.store import decisions, runs
from littlesis.store.actions import count_actions, iter_actions
from littlesis.store.engine import session_scope
from littlesis.store.filters import ActionFilter
from littlesis.store.records import RunRecord

AUTOMATIC = "automatic staging"


@dataclass
class StagingOutcome:
    staged: int
    held_for_review: int
    approved: bool
    reasons: list[str] = field(default_factory=list)


def stage_all_allowed(engine: Engine, run_id: str, *, actor: str = AUTOMATIC) -> StagingOutcome:
    """Stage and approve what the safety guard allows; return why anything was held back."""
    with session_scope(engine) as session:
        run = runs.require_run(session, run_id)
        proposed = count_actions(session, run_id, by="alternative", where=ActionFilter(decision="proposed"))
        held = sum(n for alternative, n in proposed.items() if alternative)
        if run.unsafe:
            reasons = [f"unsafe plan, waiting for a person: {r}" for r in run.unsafe_reasons]
            return StagingOutcome(0, sum(proposed.values()), False, reasons)
        reasons = _keep_exclusions(session, run, actor)
        staged = decisions.stage_actions(session, run_id, actor=actor,
                                         where=ActionFilter(decision="proposed", alternative=""))
        if held:
            reasons.append(f"{held:,} actions belong to suggested matches a reviewer must decide")
        total = sum(count_actions(session, run_id, by="decision").values())
        if total == 0 or count_actions(session, run_id, by="decision").get("staged", 0):
            decisions.approve_run(session, run_id, actor=actor)
            return StagingOutcome(staged, held, True, reasons)
        return StagingOutcome(staged, held, False, reasons)


def _keep_exclusions(session: Session, run: RunRecord, actor: str) -> list[str]:
    """Exclude again what was excluded in the job's last committed run and is proposed again unchanged.

    Action ids are stable between runs (kind, class, target and payload), so the same id is the same change.
    """
    previous = runs.latest_committed_run(session, run.job_id)
    if previous is None or previous.run_id == run.run_id:
        return []
    excluded = {a.action_id for a in iter_actions(session, previous.run_id, ActionFilter(decision="excluded"))}
    if not excluded:
        return []
    again = [a.action_id for a in iter_actions(session, run.run_id, ActionFilter(decision="proposed"))
             if a.action_id in excluded]
    if not again:
        return []
    decisions.exclude_actions(session, run.run_id, actor=actor, action_ids=again)
    return [f"{len(again):,} actions excluded in run {previous.run_id} stay excluded"]
