"""A review racing the things that end it: a newer analysis superseding the run, the review window expiring.

Both sides commit in one order or the other, never half: the run ends approved (and the
supersession left it alone) or closed (and the approval was refused with PlanFrozen); a
decision either landed before the run closed, with its audit entry, or was refused after.
Run on SQLite and on PostgreSQL (where the run's row lock and the guarded UPDATEs do the work).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine

from littlesis.orchestration.approval_state import expire
from littlesis.orchestration.tasks import supersede_older
from littlesis.store.actions import save_plan
from littlesis.store.audit import read_audit
from littlesis.store.decisions import approve_run, stage_actions
from littlesis.store.engine import session_scope
from littlesis.store.errors import PlanFrozen
from littlesis.store.runs import get_run, set_run_state

from .helpers import action, make_run

ROUNDS = 15


def _race(first: Callable[[], Any], second: Callable[[], Any]) -> tuple[Any, Any]:
    """Run both at once (released by one barrier); each result is its return value or the exception raised."""
    barrier = threading.Barrier(2)
    out: list[Any] = [None, None]

    def run(i: int, work: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            out[i] = work()
        except Exception as exc:  # the outcome under test
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate((first, second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return out[0], out[1]


def _waiting_plan(engine: Engine, run_id: str) -> None:
    make_run(engine, run_id)
    with session_scope(engine) as session:
        save_plan(session, run_id, [action(i) for i in range(20)])
        set_run_state(session, run_id, "pending_review")
        stage_actions(session, run_id, actor="ana", action_ids=[f"{i:016x}" for i in range(5)])


def _approve(engine: Engine, run_id: str) -> Callable[[], Any]:
    def approve() -> Any:
        with session_scope(engine) as session:
            return approve_run(session, run_id, actor="ana")
    return approve


def _closer(engine: Engine, how: str, old: str, new: str) -> Callable[[], bool]:
    """Ends ``old``'s review the way the DAG does; True if it was closed."""
    if how == "supersede":
        return lambda: old in supersede_older(engine, "job-a", new)
    return lambda: expire(engine, old, "review window ended")


@pytest.mark.parametrize("closer", ["supersede", "expire"])
def test_an_approval_and_the_end_of_the_review_never_both_win(engine: Engine, closer: str):
    outcomes = set()
    for n in range(ROUNDS):
        old, new = f"old-{n}", f"new-{n}"
        _waiting_plan(engine, old)
        if closer == "supersede":
            make_run(engine, new)
        approval, closed = _race(_approve(engine, old), _closer(engine, closer, old, new))
        with session_scope(engine, readonly=True) as session:
            final = get_run(session, old)
        assert final is not None
        if isinstance(approval, PlanFrozen):
            assert closed is True and final.state == ("superseded" if closer == "supersede" else "expired")
            outcomes.add("closed")
        else:
            assert not isinstance(approval, BaseException), approval
            assert closed is False and final.state == "approved" and final.approved_by == "ana"
            assert final.superseded_by is None
            outcomes.add("approved")
    assert outcomes  # every round ended one way or the other (which one wins varies)


def test_decisions_in_flight_land_before_a_supersession_or_are_refused_after(engine: Engine):
    _waiting_plan(engine, "old")
    make_run(engine, "new")
    landed: list[int] = []
    refused: list[int] = []
    stop = threading.Event()

    def reviewer() -> None:
        i = 0
        while not stop.is_set():
            i += 1
            try:
                with session_scope(engine) as session:
                    stage_actions(session, "old", actor="ben", action_ids=[f"{i % 20:016x}"])
                landed.append(i)
            except PlanFrozen:
                refused.append(i)
                if len(refused) >= 3:
                    return

    thread = threading.Thread(target=reviewer)
    thread.start()
    try:
        while len(landed) < 5:
            thread.join(timeout=0.01)
        assert supersede_older(engine, "job-a", "new") == ["old"]
        thread.join(timeout=60)
    finally:
        stop.set()
        thread.join(timeout=60)
    assert len(refused) >= 3 and landed and max(landed) < min(refused)
    with session_scope(engine, readonly=True) as session:
        audited = [e for e in read_audit(session, run_id="old", limit=100_000) if e.actor == "ben"]
        final = get_run(session, "old")
    assert len(audited) == len(landed)  # every decision that landed is audited, none of the refused ones
    assert final is not None and final.state == "superseded" and final.superseded_by == "new"
