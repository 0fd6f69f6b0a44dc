"""A whole sync in one process: analyze, stage what the safety guard allows, commit, refresh, notify.

``bin/littlesis sync`` runs it for scripted runs and tests; the DAG runs the same
steps task by task.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine

from littlesis.classroom.apply import CommitReport, apply_run
from littlesis.classroom.inventory import full_refresh, refresh_courses, refresh_guardians
from littlesis.classroom.protocol import ClassroomClient
from littlesis.core.config import JobConfig
from littlesis.core.notifications import AppliedAction, course_name_of, teacher_digests
from littlesis.core.sources.locations import PathMap
from littlesis.service.analysis_run import AnalysisOutcome, run_analysis
from littlesis.service.notifications import send_digests
from littlesis.service.staging import StagingOutcome, stage_all_allowed
from littlesis.store.actions import iter_actions
from littlesis.store.cache import read_cache
from littlesis.store.engine import session_scope
from littlesis.store.filters import ActionFilter

log = logging.getLogger(__name__)
Approval = Literal["all", "none"]
COURSE_KINDS_REFRESHED = {"create_course", "link_course", "update_course", "add_teacher", "remove_teacher",
                          "change_owner", "add_student", "remove_student", "archive_course"}
GUARDIAN_KINDS = {"invite_guardian", "withdraw_guardian_invitation"}


@dataclass
class SyncOutcome:
    analysis: AnalysisOutcome
    staging: StagingOutcome | None = None
    commit: CommitReport | None = None
    refreshed_courses: int = 0
    notified: int = 0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {"analysis": self.analysis.summary()}
        if self.staging is not None:
            out["staging"] = {"staged": self.staging.staged, "held_for_review": self.staging.held_for_review,
                              "approved": self.staging.approved, "reasons": self.staging.reasons}
        if self.commit is not None:
            out["commit"] = self.commit.summary()
        out["refreshed_courses"] = self.refreshed_courses
        out["notified_teachers"] = self.notified
        out["notes"] = self.notes
        return out


def run_sync(
    job: JobConfig, config_path: Path, engine: Engine, client: ClassroomClient, domain: str, *,
    approve: Approval, actor: str, run_id: str | None = None, path_map: PathMap | None = None,
    smtp_conn_id: str | None = "littlesis_smtp",
) -> SyncOutcome:
    analysis = run_analysis(job, config_path, engine, domain, run_id=run_id, path_map=path_map,
                            refresh=lambda: full_refresh(client, engine, domain))
    outcome = SyncOutcome(analysis)
    if approve == "none":
        outcome.notes.append("--approve none: the plan waits for review")
        return outcome
    outcome.staging = stage_all_allowed(engine, analysis.run_id, actor=actor)
    if not outcome.staging.approved:
        outcome.notes.extend(outcome.staging.reasons or ["nothing was approved"])
        return outcome
    outcome.commit = apply_run(client, engine, analysis.run_id, domain=domain, actor=actor)
    applied = applied_actions(engine, analysis.run_id)
    outcome.refreshed_courses = refresh_cache(client, engine, domain, applied)
    if smtp_conn_id is not None:
        outcome.notified = notify_teachers(engine, domain, job, applied, smtp_conn_id, outcome.notes)
    return outcome


def applied_actions(engine: Engine, run_id: str) -> list[Any]:
    """The run's staged actions that are now in Classroom (done or already done)."""
    with session_scope(engine, readonly=True) as session:
        return list(iter_actions(session, run_id, ActionFilter(decision="staged", status=["done", "already_done"])))


def refresh_cache(client: ClassroomClient, engine: Engine, domain: str, applied: Iterable[Any]) -> int:
    """Re-read the courses and guardians the commit touched, so the cache equals Classroom."""
    courses: set[str] = set()
    students: set[str] = set()
    for action in applied:
        if action.kind in COURSE_KINDS_REFRESHED:
            courses.add(action.target if action.kind != "link_course" else f"d:{action.alias}")
        elif action.kind in GUARDIAN_KINDS:
            students.add(action.target)
    if courses:
        refresh_courses(client, engine, domain, sorted(courses))
    if students:
        refresh_guardians(client, engine, domain, sorted(students))
    return len(courses)


def notify_teachers(
    engine: Engine, domain: str, job: JobConfig, applied: list[Any], smtp_conn_id: str, notes: list[str]
) -> int:
    notify = job.preferences.notify_teachers
    if not (notify.created or notify.updated or notify.linked):
        return 0
    with session_scope(engine, readonly=True) as session:
        cache = read_cache(session, domain)
    by_alias = {a["alias"].removeprefix("d:"): a["course_id"] for a in cache.aliases}
    courses = {c["course_id"]: c for c in cache.courses}
    events = []
    for action in applied:
        if action.status != "done":
            continue
        course = courses.get(by_alias.get(action.alias or "", ""), {})
        payload = action.payload if isinstance(action.payload, dict) else json.loads(action.payload)
        events.append(AppliedAction(action.kind, action.alias or "", action.teacher or "", payload, action.status,
                                    course.get("name") or course_name_of(action.kind, payload),
                                    course.get("course_state") or ""))
    digests = teacher_digests(events, notify)
    try:
        return send_digests(digests, conn_id=smtp_conn_id)
    except Exception as exc:  # e-mail trouble must not undo a commit: say so and go on
        notes.append(f"teacher notifications not sent: {exc}")
        log.warning("teacher notifications not sent: %s", exc)
        return 0
