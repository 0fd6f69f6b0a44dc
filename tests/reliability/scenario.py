"""One seeded scenario end to end: plan a district's day, commit it through faults, rerun, check.

    outcome = run_scenario(seed, stores, workdir)
    assert outcome.violations == []

1. ``district_scenario.build(seed)``: today's export; yesterday's Classroom (an emulator of
   its own, started with it), its pending guardian invitations (sent through the API) and
   what yesterday's sync wrote (the store's synced values).
2. The real analysis plans the day; a reviewer stages it all, picking one alternative of each
   suggested match by seed, and approves.
3. ``fault_mix.draw``: the emulator's faults go on; the first commit runs (in a child process
   when it is to be killed) while a store fault may strike; then the commit is rerun, as a
   person or the DAG would, until nothing is left that a rerun could cure.
4. ``properties``: the end state, the store and the audit log are checked.
"""

from __future__ import annotations

import random
import signal
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from littlesis.classroom import calls
from littlesis.classroom.apply import CommitLocked, LeaseLost
from littlesis.classroom.apply_actions import is_transient
from littlesis.emulator import EmulatorServer
from littlesis.store import decisions, jobs, runs, synced
from littlesis.store.actions import iter_actions
from littlesis.store.engine import make_engine, session_scope
from littlesis.store.filters import ActionFilter
from littlesis.store.records import ActionRecord
from tests.classroom.apply_support import ACTOR, analyze
from tests.classroom.helpers import Hooks
from tests.reliability import properties
from tests.reliability.district_scenario import JOB_ID, Scenario, build
from tests.reliability.fault_mix import FaultMix, draw
from tests.reliability.injectors import CallCount, StoreFault, journaled_faults, run_child
from tests.reliability.runner_commit import CommitSettings, commit_once
from tests.reliability.stores import PgStores, SqliteStores

RUN_ID = "today"
MAX_COMMITS = 12  # the first commit and its reruns; more means the commit does not converge
RERUN_PAUSE = 0.25  # a person reruns a failed commit later, not in the same millisecond


@dataclass
class Outcome:
    seed: int
    backend: str
    mix: FaultMix
    actions: Counter[str] = field(default_factory=Counter)  # staged, by kind
    injected: Counter[str] = field(default_factory=Counter)  # faults that fired, by kind
    violations: list[str] = field(default_factory=list)
    commits: int = 0
    interruptions: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def describe(self) -> str:
        return (f"seed {self.seed} on {self.backend}: {sum(self.actions.values())} actions, {self.commits} commits; "
                f"faults: {self.mix.describe()}; fired: {dict(self.injected)}; "
                f"interruptions: {self.interruptions}")


def run_scenario(seed: int, stores: SqliteStores | PgStores, workdir: Path) -> Outcome:
    started = time.monotonic()
    scenario = build(seed)
    config = scenario.write(workdir / "sis")
    url = stores.new(workdir)
    engine = make_engine(url)
    try:
        with EmulatorServer(seed=scenario.classroom) as server:
            hooks = Hooks(server.base_url)
            settings = CommitSettings(url, server.base_url, RUN_ID, seed)
            _yesterday(scenario, settings, engine)
            analyze(engine, hooks, config, RUN_ID)
            staged = _review(engine, seed)
            outcome = Outcome(seed, stores.backend, draw(seed, stores.backend, len(staged)),
                              Counter(a.kind for a in staged))
            before = hooks.state()
            server.engine.journal.clear()
            hooks.faults(spec=outcome.mix.spec, seed=seed, quotaQps=outcome.mix.quota_qps)
            if outcome.mix.quota_qps:  # the client's limit above the quota: Classroom refuses the excess
                settings = replace(settings, qps=4 * outcome.mix.quota_qps)
            calls_seen = CallCount(server.engine.journal)
            returned = _commit_until_settled(outcome, settings, engine, stores, calls_seen)
            outcome.injected.update(journaled_faults(server.engine.journal, outcome.mix))
            hooks.faults(spec="", quotaQps=None)
            after = hooks.state()
        invocations = properties.Invocations(returned, len(outcome.interruptions))
        outcome.violations += properties.violations(engine, RUN_ID, before, after, _actions(engine), invocations)
    finally:
        engine.dispose()
        stores.drop(url)
    outcome.seconds = time.monotonic() - started
    return outcome


def _yesterday(scenario: Scenario, settings: CommitSettings, engine: Engine) -> None:
    """The invitations yesterday's sync left pending, and what it wrote, as the store remembers it."""
    client = settings.client(invocation=-1)
    try:
        sent = client.execute([calls.create_guardian_invitation(s, g) for s, g in scenario.pending_invitations])
    finally:
        client.close()
    failed = [r.error for r in sent if not r.ok]
    if failed:
        raise RuntimeError(f"setting up yesterday's invitations failed: {failed[:3]}")
    with session_scope(engine) as session:
        jobs.upsert_job(session, job_id=JOB_ID, name=JOB_ID, config_path="-", config_sha="0" * 64,
                        automation_mode="manual")
        synced.record_synced_values(session, JOB_ID, "yesterday", scenario.synced)


def _review(engine: Engine, seed: int) -> list[ActionRecord]:
    """Stage the plan, one alternative of each suggested match picked by seed; approve; the staged actions."""
    rng = random.Random(f"review-{seed}")
    with session_scope(engine) as session:
        suggested: dict[str, dict[str, list[str]]] = {}
        for a in iter_actions(session, RUN_ID, ActionFilter(alternative=("link", "create"))):
            suggested.setdefault(a.alias or "", {}).setdefault(a.alternative, []).append(a.action_id)
        chosen = [i for alias in sorted(suggested) for i in suggested[alias][rng.choice(sorted(suggested[alias]))]]
        decisions.stage_actions(session, RUN_ID, actor=ACTOR, where=ActionFilter(alternative=""))
        if chosen:
            decisions.stage_actions(session, RUN_ID, actor=ACTOR, action_ids=chosen)
        decisions.approve_run(session, RUN_ID, actor=ACTOR, confirm_unsafe=True)
    return [a for a in _actions(engine) if a.decision == "staged"]


def _actions(engine: Engine) -> list[ActionRecord]:
    with session_scope(engine, readonly=True) as session:
        return list(iter_actions(session, RUN_ID))


def _left_for_a_rerun(engine: Engine) -> int:
    """Staged actions a rerun would send (pending, or given up on for a transient reason), or -1 when
    the run isn't committed."""
    with session_scope(engine, readonly=True) as session:
        if runs.require_run(session, RUN_ID).state != "committed":
            return -1
        staged = list(iter_actions(session, RUN_ID, ActionFilter(decision="staged")))
    return sum(a.status == "pending" or (a.status in ("failed", "skipped") and is_transient(a.result_reason))
               for a in staged)


def _commit_until_settled(outcome: Outcome, settings: CommitSettings, engine: Engine,
                          stores: SqliteStores | PgStores, calls_seen: CallCount) -> int:
    """The first commit under the process faults, then reruns; returns how many commits returned a report."""
    mix = outcome.mix
    store_fault = StoreFault(mix, stores, settings.store_url, calls_seen)
    store_fault.start()
    returned = 0
    try:
        if mix.kill is not None:
            status, said = run_child(settings, mix.kill, calls_seen)
            if status == 0:
                returned += 1
            elif status == -signal.SIGKILL:
                outcome.injected["kill"] += 1
                outcome.interruptions.append("SIGKILL")
            else:
                outcome.interruptions.append(f"child: {said.get('error')}: {said.get('message')}")
                if not (said.get("store_error") and "db_cut" in mix.kinds):
                    outcome.violations.append(f"the commit process failed (exit status {status}): {said}")
        else:
            returned += _invoke(outcome, settings, engine, 0)
    finally:
        store_fault.finished.set()
        store_fault.join()
    outcome.injected.update(store_fault.injected)
    if store_fault.error is not None:
        outcome.violations.append(f"the store fault failed to fire: {store_fault.error!r}")
    outcome.commits = 1
    while _safe_left(engine) != 0 and outcome.commits < MAX_COMMITS:
        time.sleep(RERUN_PAUSE)
        returned += _invoke(outcome, settings, engine, outcome.commits)
        outcome.commits += 1
    left = _safe_left(engine)
    if left != 0:
        outcome.violations.append(f"not settled after {outcome.commits} commits: "
                                  f"{'the run is not committed' if left < 0 else f'{left} actions left to rerun'}")
    return returned


def _safe_left(engine: Engine) -> int:
    """Like _left_for_a_rerun, reading again once if the store connection was just cut."""
    try:
        return _left_for_a_rerun(engine)
    except DBAPIError:
        return _left_for_a_rerun(engine)


def _invoke(outcome: Outcome, settings: CommitSettings, engine: Engine, invocation: int) -> int:
    """One commit in this process; 1 if it returned a report. What interrupts it is recorded; only a
    store error after a store fault, or a lost lease, is expected."""
    try:
        commit_once(settings, engine, invocation=invocation, lock_wait=settings.lease_seconds + 2)
        return 1
    except (DBAPIError, LeaseLost, CommitLocked) as exc:
        outcome.interruptions.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
        expected = isinstance(exc, DBAPIError) and "db_cut" in outcome.mix.kinds
        if not expected:
            outcome.violations.append(f"commit {invocation} raised {type(exc).__name__}: {exc}")
        return 0
    except Exception as exc:  # a bug of the commit: reported as a violation of this seed
        outcome.interruptions.append(f"{type(exc).__name__}: {exc}")
        outcome.violations.append(f"commit {invocation} raised {traceback.format_exc(limit=-3)}")
        return 0
