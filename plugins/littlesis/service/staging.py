"""Automatic staging: what an automatic job (or a stage-all trigger) may approve without a person.

Everything the analysis proposed is staged, except:
- an unsafe plan, which always waits for a person who reads the safety guard's numbers;
- the two alternatives of a suggested match (link the teacher's course, or create a
  new one), which only a reviewer can choose between.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine

from littlesis.store import decisions, runs
from littlesis.store.actions import count_actions
from littlesis.store.engine import session_scope
from littlesis.store.filters import ActionFilter

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
        staged = decisions.stage_actions(session, run_id, actor=actor,
                                         where=ActionFilter(decision="proposed", alternative=""))
        reasons = [f"{held:,} actions belong to suggested matches a reviewer must decide"] if held else []
        total = sum(count_actions(session, run_id, by="decision").values())
        if total == 0 or count_actions(session, run_id, by="decision").get("staged", 0):
            decisions.approve_run(session, run_id, actor=actor)
            return StagingOutcome(staged, held, True, reasons)
        return StagingOutcome(staged, held, False, reasons)
