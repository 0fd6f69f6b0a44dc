"""One analysis of one job, end to end: load, rules, cache, match, plan, and what the store keeps.

Used by ``bin/littlesis analyze`` in one process, and step by step by the DAG's tasks.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from littlesis.core.analysis import AnalysisInput, analyze
from littlesis.core.classroom_state import ClassroomState
from littlesis.core.config import JobConfig
from littlesis.core.plan import Plan
from littlesis.core.preview import ScopePreview, preview
from littlesis.core.snapshot import SourceFile
from littlesis.core.sources.locations import PathMap
from littlesis.store import actions as action_store
from littlesis.store import jobs, run_details, runs, synced
from littlesis.store.cache import CacheSnapshot, cache_age, read_cache
from littlesis.store.engine import session_scope
from littlesis.store.records import RunRecord

# Fills the cache of a domain that was never read (the inventory's full refresh).
Refresher = Callable[[], Any]


@dataclass
class AnalysisOutcome:
    run_id: str
    plan: Plan
    preview: ScopePreview
    cache_refreshed: bool
    cache_age: timedelta | None
    counts: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The figures ``bin/littlesis analyze --json`` prints."""
        return {
            "run_id": self.run_id,
            "counts": self.counts,
            "unsafe": self.plan.safety.unsafe,
            "unsafe_reasons": list(self.plan.safety.reasons),
            "excluded": len(self.plan.excluded),
            "rejected_rows": len(self.preview.snapshot.rejected),
            "no_updates_required": len(self.plan.no_updates),
            "suggested_matches": int((self.plan.matches["decision"] == "suggest").sum()),
            "linked_matches": int((self.plan.matches["decision"] == "link").sum()),
            "cache_refreshed": self.cache_refreshed,
            "cache_age_seconds": None if self.cache_age is None else round(self.cache_age.total_seconds()),
        }


def classroom_state(snapshot: CacheSnapshot) -> ClassroomState:
    return ClassroomState.from_rows({name: getattr(snapshot, name) for name in (
        "courses", "aliases", "teachers", "students", "users", "guardians", "guardian_invitations")})


@dataclass
class ClassroomView:
    """What an analysis reads from the store besides the SIS: the cached Classroom and the job's history."""

    state: ClassroomState
    last_synced: pd.DataFrame  # alias, field, value we last wrote
    job_aliases: set[str]
    refreshed: bool
    age: timedelta | None


def run_analysis(
    job: JobConfig, config_path: Path, engine: Engine, domain: str, *, run_id: str | None = None,
    refresh: Refresher | None = None, path_map: PathMap | None = None, logical_date: datetime | None = None,
) -> AnalysisOutcome:
    """Analyze ``job`` against the cache of ``domain`` (filled first by ``refresh`` if never filled)."""
    run_id = run_id or f"manual__{datetime.now().astimezone().strftime('%Y%m%dT%H%M%S.%f')}"
    scoped = preview(job, config_path, path_map)
    begin_run(engine, job, config_path, run_id, logical_date=logical_date, files=scoped.snapshot.files)
    return plan_run(engine, job, run_id, scoped, read_classroom(engine, domain, job.id, refresh))


def begin_run(engine: Engine, job: JobConfig, config_path: Path, run_id: str, *, logical_date: datetime | None,
              files: Sequence[SourceFile] = ()) -> RunRecord:
    """Record the job and the run; a run not analyzed yet (new, or failed half way) goes to analyzing.

    A run that already has a plan (a cleared, re-run DAG run) is returned as it is: its plan,
    decisions and commit stay, and so does the job card.
    """
    with session_scope(engine) as session:
        record_job(session, job, config_path)
        run = runs.create_run(session, run_id=run_id, job_id=job.id, logical_date=logical_date, state="analyzing",
                              exist_ok=True)
        if needs_analysis(run):
            if files:
                runs.set_run_sources(session, run_id, [_source(f) for f in files])
            run = runs.set_run_state(session, run_id, "analyzing")
            jobs.set_job_state(session, job.id, "analyzing")
    return run


def record_job(session: Session, job: JobConfig, config_path: Path) -> None:
    """The job's row (created awaiting analysis), its config facts refreshed."""
    jobs.upsert_job(session, job_id=job.id, name=job.name, config_path=str(config_path),
                    config_sha=_sha(config_path), automation_mode=job.automation.mode)


def needs_analysis(run: RunRecord) -> bool:
    """Whether the run has no plan yet (new, or its analysis failed): (re)starting the analysis is safe."""
    return run.plan_checksum is None and run.state in ("created", "analyzing", "failed")


def read_classroom(engine: Engine, domain: str, job_id: str, refresh: Refresher | None = None) -> ClassroomView:
    """The cache of ``domain`` (filled first by ``refresh`` if it was never filled) and what ``job_id`` synced."""
    with session_scope(engine, readonly=True) as session:
        age = cache_age(session, domain)
    refreshed = False
    if age is None and refresh is not None:
        refresh()
        refreshed = True
    with session_scope(engine, readonly=True) as session:
        state = classroom_state(read_cache(session, domain))
        age = cache_age(session, domain)
        last = pd.DataFrame(synced.read_synced_values(session, job_id), columns=["alias", "field", "value"])
        owned = synced.job_aliases(session, job_id)
    return ClassroomView(state, last.astype("str"), owned, refreshed, age)


def analysis_input(job: JobConfig, scoped: ScopePreview, view: ClassroomView,
                   matches: pd.DataFrame | None = None) -> AnalysisInput:
    return AnalysisInput(scoped.snapshot, scoped.scope, view.state, job.preferences, last_synced=view.last_synced,
                         job_aliases=view.job_aliases, matches=matches)


def plan_run(engine: Engine, job: JobConfig, run_id: str, scoped: ScopePreview, view: ClassroomView,
             matches: pd.DataFrame | None = None) -> AnalysisOutcome:
    """Plan the run (with ``matches`` found beforehand, or matching now) and save the plan."""
    plan = analyze(analysis_input(job, scoped, view, matches))
    counts = save_plan(engine, job, run_id, plan, scoped)
    return AnalysisOutcome(run_id, plan, scoped, view.refreshed, view.age, counts)


def save_plan(engine: Engine, job: JobConfig, run_id: str, plan: Plan, scoped: ScopePreview) -> dict[str, int]:
    """The plan, its counts, exclusions, rejections and suggestions into the store; the run awaits review."""
    with session_scope(engine) as session:
        counts = action_store.save_plan(session, run_id, _action_rows(plan.actions), plan_checksum=plan.checksum(),
                                        unsafe=plan.safety.unsafe, unsafe_reasons=plan.safety.reasons)
        run_details.save_excluded_classes(session, run_id, plan.excluded.to_dict("records"))
        run_details.save_rejected_rows(session, run_id, [*scoped.snapshot.rejected.to_dict("records"),
                                                         *_refusals(plan.refused)])
        suggestions = plan.matches[plan.matches["decision"] == "suggest"]
        run_details.save_match_suggestions(session, run_id, [
            {"alias": m["alias"], "course_id": m["course_id"], "score": m["score"],
             "score_parts": {k: _plain(m[k]) for k in ("roster_share_sis", "roster_share_course",
                                                       "name_similarity", "owner_teaches")}}
            for m in suggestions.to_dict("records")])
        runs.set_run_state(session, run_id, "pending_review")
        jobs.set_job_state(session, job.id, "pending_review")
    return counts


# Refused additions are listed with the rejected rows: the reviewer sees them where bad input is shown.
REFUSED_FILE = "(plan: over Classroom's limits)"


def _refusals(refused: pd.DataFrame) -> list[dict[str, Any]]:
    """Additions the plan left out because Classroom could not take them (class size, teacher count)."""
    return [{"file": REFUSED_FILE, "line": None, "field": r["kind"], "value": f"{r['alias']}: {_who(r)}",
             "reason": r["reason"]} for r in refused.to_dict("records")]


def _who(refusal: dict[str, Any]) -> str:
    """The person an addition was for (its payload's userId), else what it targeted."""
    payload = json.loads(refusal["payload"] or "{}")
    return str(payload.get("userId") or refusal["target"])


def _action_rows(actions: pd.DataFrame) -> Any:
    columns = ["action_id", "kind", "alias", "target", "payload", "reason", "position", "school", "teacher",
               "alternative"]
    for values in zip(*(actions[c].to_numpy() for c in columns), strict=True):
        row = dict(zip(columns, values, strict=True))
        row["payload"] = json.loads(row["payload"])
        row["position"] = int(row["position"])
        yield row


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _source(file: SourceFile) -> dict[str, Any]:
    return {"name": file.name, "location": file.location, "sha256": file.sha256, "size": file.size,
            "records": file.records}


def _sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()
