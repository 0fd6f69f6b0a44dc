"""await_approval: a sensor that waits, in the triggerer, for the run's approval in our store.

The trigger runs in the triggerer, which does not have the DAG folder on its path: it
lives here, in plugins/littlesis. It polls our store (never Airflow's database) in a
worker thread and fires exactly one event. Its kwargs are kept in Airflow's database, so
they name the store's connection id, never its URL (which may hold a password): the
triggerer looks the connection up itself. Without a triggerer, ``deferrable=False`` makes
the sensor poke in reschedule mode instead. The sensor's own bodies (execute, poke,
execute_complete) run under the metadata guard, like every task body.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any, Literal

from airflow.sdk import BaseSensorOperator
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException
from airflow.triggers.base import BaseTrigger, TriggerEvent

from littlesis.orchestration.metadata_guard import guarded

log = logging.getLogger(__name__)

TRIGGER_PATH = "littlesis.orchestration.approval.ApprovalTrigger"
DEFAULT_POLL_SECONDS = 30.0
STORE_CONN_ID = "littlesis_store"  # littlesis.orchestration.connections.STORE_CONN_ID (not imported at parse time)
Mode = Literal["manual", "review", "automatic"]


class ApprovalTrigger(BaseTrigger):
    """Fires once the run is approved (``approved``), or can no longer be (``superseded``, ``expired``, ``failed``)."""

    def __init__(self, *, run_id: str, store_conn_id: str, review_window_hours: int,
                 poll_interval: float = DEFAULT_POLL_SECONDS) -> None:
        super().__init__()
        self.run_id = run_id
        self.store_conn_id = store_conn_id
        self.review_window_hours = review_window_hours
        self.poll_interval = poll_interval

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (TRIGGER_PATH, {"run_id": self.run_id, "store_conn_id": self.store_conn_id,
                               "review_window_hours": self.review_window_hours,
                               "poll_interval": self.poll_interval})

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from littlesis.orchestration.connections import async_store_url

        url = await async_store_url(self.store_conn_id)
        while True:
            event = await asyncio.to_thread(check_approval, url, self.run_id, self.review_window_hours)
            if event is not None:
                yield TriggerEvent({"run_id": self.run_id, **event})
                return
            await asyncio.sleep(self.poll_interval)


def check_approval(store_url: str, run_id: str, review_window_hours: int) -> dict[str, str | None] | None:
    """One poll of the store (blocking: run it in a thread from async code)."""
    from littlesis.orchestration import approval_state

    return approval_state.poll_once(store_url, run_id, review_window_hours)


class ApprovalSensor(BaseSensorOperator):
    """Waits for the run's approval; stages first when the run is automatic (or triggered with stage-all).

    An unsafe plan is never staged automatically, so it always waits for a person.
    """

    template_fields = ()

    def __init__(self, *, job_id: str, automation_mode: Mode, review_window_hours: int,
                 deferrable: bool = True, poll_interval: float = DEFAULT_POLL_SECONDS,
                 store_conn_id: str = STORE_CONN_ID, task_id: str = "await_approval",
                 **base: Any) -> None:
        # The fallback pokes in reschedule mode: the worker slot is free between pokes.
        super().__init__(task_id=task_id, poke_interval=poll_interval, mode="poke" if deferrable else "reschedule",
                         timeout=timedelta(hours=review_window_hours + 1), **base)
        self.job_id = job_id
        self.automation_mode = automation_mode
        self.review_window_hours = review_window_hours
        self.deferrable = deferrable
        self.poll_interval = poll_interval
        self.store_conn_id = store_conn_id

    def stages_automatically(self, approval: str) -> bool:
        """Whether this run stages everything the safety guard allows without a person."""
        if approval == "stage-all":
            return True
        return approval == "job-default" and self.automation_mode == "automatic"

    @guarded
    def execute(self, context: Any) -> Any:
        url = self._store_url()
        run_id = str(context["run_id"])
        approval = str((context.get("params") or {}).get("approval", "job-default"))
        if self.stages_automatically(approval):
            self._stage(url, run_id)
        event = check_approval(url, run_id, self.review_window_hours)
        if event is not None:
            return self.execute_complete(context, {"run_id": run_id, **event})
        log.info("run %s waits for a person's approval (automation %s, approval %s)", run_id,
                 self.automation_mode, approval)
        if self.deferrable:
            self.defer(trigger=self.trigger_for(run_id), method_name="execute_complete")
        return super().execute(context)

    def trigger_for(self, run_id: str) -> ApprovalTrigger:
        return ApprovalTrigger(run_id=run_id, store_conn_id=self.store_conn_id,
                               review_window_hours=self.review_window_hours, poll_interval=self.poll_interval)

    @guarded
    def poke(self, context: Any) -> bool:
        run_id = str(context["run_id"])
        event = check_approval(self._store_url(), run_id, self.review_window_hours)
        if event is None:
            return False
        self.execute_complete(context, {"run_id": run_id, **event})
        return True

    @guarded
    def execute_complete(self, context: Any, event: dict[str, Any]) -> dict[str, Any]:
        state, reason = event.get("state"), event.get("reason")
        if state == "approved":
            return {"run_id": event.get("run_id"), "state": event.get("run_state", "approved")}
        if state in ("superseded", "expired"):
            self._settle_card()
            raise AirflowSkipException(f"run {state}: {reason}")
        raise AirflowFailException(f"run {state}: {reason}")

    def _settle_card(self) -> None:
        """The run will not commit: the job card goes back to awaiting analysis (or to a newer waiting run)."""
        from littlesis.orchestration.job_state import settle
        from littlesis.store.engine import make_engine

        engine = make_engine(self._store_url())
        try:
            settle(engine, self.job_id)
        finally:
            engine.dispose()

    def _stage(self, url: str, run_id: str) -> None:
        from littlesis.service.staging import stage_all_allowed
        from littlesis.store import runs
        from littlesis.store.engine import make_engine, session_scope

        engine = make_engine(url)
        try:
            with session_scope(engine, readonly=True) as session:
                run = runs.get_run(session, run_id)
            if run is None or run.state != "pending_review":
                return  # already decided (a re-run), or not analyzed: the poll below says which
            from littlesis.orchestration.approval_state import supersede_if_older

            stale = supersede_if_older(engine, run_id)
            if stale is not None:  # older data never commits on its own: the poll below skips the run
                log.info("run %s is not staged automatically: %s", run_id, stale)
                return
            outcome = stage_all_allowed(engine, run_id)
        finally:
            engine.dispose()
        log.info("automatic staging of %s: %d staged, %d held, approved=%s%s", run_id, outcome.staged,
                 outcome.held_for_review, outcome.approved,
                 "".join(f"\n  {r}" for r in outcome.reasons))

    def _store_url(self) -> str:
        from littlesis.orchestration.connections import store_url

        return store_url(self.store_conn_id)
