"""Helpers for the commit tests: a migrated store, plans from the real analysis or by hand, the
emulator's state as a cache and as "what Classroom holds", and "what the SIS asks for"."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from littlesis.classroom.apply import CommitReport, OwnerPoll, apply_run
from littlesis.classroom.protocol import ClassroomClient
from littlesis.classroom.retry import RetryPolicy
from littlesis.core.job_files import read_job
from littlesis.core.patterns import matches_any
from littlesis.core.preview import preview
from littlesis.service.analysis_run import AnalysisOutcome, run_analysis
from littlesis.store import actions as action_store
from littlesis.store import decisions, jobs, runs
from littlesis.store.actions import count_actions, iter_actions
from littlesis.store.cache import CacheSnapshot, replace_domain_cache
from littlesis.store.engine import make_engine, session_scope, sqlite_url
from littlesis.store.filters import ActionFilter
from littlesis.store.migrate import upgrade
from littlesis.store.records import ActionRecord
from tests.classroom.helpers import DOMAIN, Hooks
from tests.conftest import ROOT

DEMO = ROOT / "include" / "job_configs" / "demo_generic.yaml"
DEMO_CSV = ROOT / "include" / "demo" / "generic" / "roster.csv"
ACTOR = "tester@district.example.org"
JsonDict = dict[str, Any]


def new_store(path: Path) -> Engine:
    url = sqlite_url(path)
    upgrade(url)
    return make_engine(url)


def quick_retry(sleeps: Callable[[float], None], attempts: int = 6) -> RetryPolicy:
    return RetryPolicy(base=0.01, cap=0.05, max_attempts=attempts, sleep=sleeps, rng=random.Random(7))


def commit(client: ClassroomClient, engine: Engine, run_id: str, **options: Any) -> CommitReport:
    """apply_run on the test domain; owner polls don't sleep."""
    options.setdefault("owner_poll", OwnerPoll(attempts=3, sleep=lambda _s: None))
    return apply_run(client, engine, run_id, domain=DOMAIN, actor=ACTOR, **options)


# the emulator as our cache ----------------------------------------------------


def cache_of(state: JsonDict) -> CacheSnapshot:
    """GET /_emulator/state as the store's cache rows (what a full inventory would write)."""
    snap = CacheSnapshot()
    for c in state["courses"]:
        snap.courses.append({
            "course_id": c["id"], "name": c.get("name"), "section": c.get("section"), "room": c.get("room"),
            "description_heading": c.get("descriptionHeading"), "description": c.get("description"),
            "owner_id": c.get("ownerId"), "course_state": c.get("courseState"),
            "creation_time": c.get("creationTime"), "update_time": c.get("updateTime"),
            "alternate_link": c.get("alternateLink")})
        snap.aliases.extend({"alias": a, "course_id": c["id"]} for a in c["aliases"])
        for role in ("teachers", "students"):
            getattr(snap, role).extend({"course_id": c["id"], "user_id": m["userId"], "email": m["emailAddress"]}
                                       for m in c[role])
    snap.users = [{"user_id": u["id"], "email": u["emailAddress"], "given_name": u["name"]["givenName"],
                   "family_name": u["name"]["familyName"]} for u in state["users"]]
    snap.guardian_invitations = [{"student_id": g["studentId"], "invitation_id": g["invitationId"],
                                  "invited_email": g["invitedEmailAddress"], "state": g["state"],
                                  "creation_time": g["creationTime"]} for g in state["guardianInvitations"]]
    snap.guardians = [{"student_id": g["studentId"], "guardian_id": g["guardianId"],
                       "invited_email": g["invitedEmailAddress"]} for g in state["guardians"]]
    return snap


def fill_cache(engine: Engine, hooks: Hooks) -> None:
    with session_scope(engine) as session:
        replace_domain_cache(session, DOMAIN, cache_of(hooks.state()))


# plans ----------------------------------------------------------------------------


def analyze(engine: Engine, hooks: Hooks, config: Path, run_id: str) -> AnalysisOutcome:
    """The real analysis of ``config`` against what the emulator holds now."""
    fill_cache(engine, hooks)
    return run_analysis(read_job(config), config, engine, DOMAIN, run_id=run_id)


def stage(engine: Engine, run_id: str, where: ActionFilter | None = None, *,
          action_ids: list[str] | None = None) -> int:
    """Stage (all, or a filter, or ids) and approve, as a reviewer would."""
    with session_scope(engine) as session:
        if action_ids is not None:
            staged = decisions.stage_actions(session, run_id, actor=ACTOR, action_ids=action_ids)
        else:
            staged = decisions.stage_actions(session, run_id, actor=ACTOR, where=where or ActionFilter())
        decisions.approve_run(session, run_id, actor=ACTOR, confirm_unsafe=True)
    return staged


def hand_plan(engine: Engine, run_id: str, actions: Iterable[Mapping[str, Any]], *, job_id: str = "hand",
              stage_all: bool = True) -> list[str]:
    """A run whose plan is exactly ``actions`` (kind, target, payload, alias...), staged and approved."""
    rows = []
    for position, action in enumerate(actions):
        row = {"action_id": f"a{position:04d}", "position": position, "reason": "test", "alias": "",
               "alternative": "", **action}
        rows.append(row)
    with session_scope(engine) as session:
        jobs.upsert_job(session, job_id=job_id, name=job_id, config_path="-", config_sha="0" * 64,
                        automation_mode="manual")
        runs.create_run(session, run_id=run_id, job_id=job_id, state="pending_review")
        action_store.save_plan(session, run_id, rows)
    if stage_all:
        stage(engine, run_id)
    return [r["action_id"] for r in rows]


def results(engine: Engine, run_id: str) -> dict[str, ActionRecord]:
    with session_scope(engine, readonly=True) as session:
        return {a.action_id: a for a in iter_actions(session, run_id)}


def status_counts(engine: Engine, run_id: str, where: ActionFilter | None = None) -> dict[str, int]:
    with session_scope(engine, readonly=True) as session:
        return count_actions(session, run_id, by="status", where=where)


def staged_counts(engine: Engine, run_id: str) -> dict[str, int]:
    with session_scope(engine, readonly=True) as session:
        return count_actions(session, run_id, by="kind", where=ActionFilter(decision="staged"))


# what Classroom holds, what the SIS asks for ------------------------------------------


def classroom_view(state: JsonDict) -> JsonDict:
    """Our classes (courses with a d: alias) as comparable values, and the pending guardian invitations."""
    email = {u["id"]: u["emailAddress"] for u in state["users"]}
    classes = {}
    for c in state["courses"]:
        for alias in c["aliases"]:
            if not alias.startswith("d:"):
                continue
            classes[alias[2:]] = {
                "name": c["name"], "section": c.get("section", ""), "room": c.get("room", ""),
                "descriptionHeading": c.get("descriptionHeading", ""), "state": c["courseState"],
                "owner": email[c["ownerId"]],
                "teachers": frozenset(m["emailAddress"] for m in c["teachers"]),
                "students": frozenset(m["emailAddress"] for m in c["students"]),
            }
    invitations = sorted((email[g["studentId"]], g["invitedEmailAddress"])
                         for g in state["guardianInvitations"] if g["state"] == "PENDING")
    return {"classes": classes, "invitations": invitations}


def sis_view(config: Path) -> JsonDict:
    """What the job's SIS data (after rules) asks Classroom to hold: the same shape as classroom_view."""
    job = read_job(config)
    sis = preview(job, config).in_scope
    exempt = job.preferences.roster_exceptions
    teachers = sis.teachers[~matches_any(sis.teachers["email"], exempt).to_numpy()]
    students = sis.enrollments[~matches_any(sis.enrollments["email"], exempt).to_numpy()]
    classes = {}
    for s in sis.sections.to_dict("records"):
        mine = teachers[teachers["alias"] == s["alias"]]
        classes[s["alias"]] = {
            "name": s["course_name"], "section": s["section"], "room": s["room"],
            "descriptionHeading": s["description_heading"], "state": job.preferences.new_course_state,
            "owner": mine.loc[mine["primary"], "email"].iloc[0],
            "teachers": frozenset(mine["email"]),
            "students": frozenset(students.loc[students["alias"] == s["alias"], "email"]),
        }
    invitations = sorted(zip(sis.guardians["student_email"], sis.guardians["guardian_email"], strict=True))
    return {"classes": classes, "invitations": invitations}


def assert_no_duplicates(state: JsonDict) -> None:
    """One course per alias, one alias per course of ours, one pending invitation per guardian and student."""
    aliases = [a for c in state["courses"] for a in c["aliases"]]
    assert len(aliases) == len(set(aliases))
    pending = [(g["studentId"], g["invitedEmailAddress"]) for g in state["guardianInvitations"]
               if g["state"] == "PENDING"]
    assert len(pending) == len(set(pending))
    names = [(c["name"], c.get("section"), c["ownerId"]) for c in state["courses"] if c["aliases"]]
    assert len(names) == len(set(names)), "a class was created twice"


def journal_methods(hooks: Hooks) -> list[str]:
    """Method id of every call the emulator received (batch parts one by one), in order."""
    methods: list[str] = []
    for entry in hooks.journal():
        parts = entry.get("parts")
        if parts is None:
            methods.append(entry["methodId"])
        else:
            methods.extend(p["methodId"] for p in parts)
    return methods
