"""Match review: a teacher-made course the analysis thinks is an SIS class, shown side by side.

A suggested match comes as two alternatives in the plan: ``link`` (add the alias to the
teacher's course, then sync its roster) and ``create`` (a new course with the whole SIS
roster). Choosing one stages its actions and excludes the other's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import HTTPException, status
from sqlalchemy.orm import Session

from littlesis.store import decisions, run_details
from littlesis.store.actions import get_action
from littlesis.store.cache import read_cache
from littlesis.store.records import ActionRecord, MatchSuggestionRecord, RunRecord
from littlesis.store.review import class_actions
from littlesis.web.context import store_session
from littlesis.web.deps import WebDependencies
from littlesis.web.review_flow import mark_in_review, require_open_run, require_run, store_errors

CHOICES = ("link", "create")


@dataclass
class MatchReview:
    run: RunRecord
    action: ActionRecord
    suggestion: MatchSuggestionRecord
    sis_name: str
    course_name: str | None
    sis_roster: list[str]
    course_roster: list[str] | None  # None: the Classroom cache of the domain is not known here
    course_teachers: list[str] = field(default_factory=list)

    @property
    def overlap(self) -> set[str]:
        return set(self.sis_roster) & set(self.course_roster or ())

    @property
    def score_parts(self) -> list[tuple[str, object]]:
        return sorted(self.suggestion.score_parts.items())


def load_match(deps: WebDependencies, job_id: str, run_id: str, action_id: str) -> MatchReview:
    domain = deps.classroom_domain()
    with store_session(deps) as session:
        run = require_run(session, job_id, run_id)
        action, suggestion = _suggested_link(session, run_id, action_id)
        rows = class_actions(session, run_id, suggestion.alias)
        created = [r for r in rows if r.alternative == "create"]
        sis_name = next((str(r.payload.get("name", "")) for r in created if r.kind == "create_course"), "")
        sis_roster = sorted({str(r.payload["userId"]) for r in created
                             if r.kind == "add_student" and r.payload.get("userId")})
        course_name, course_roster, teachers = None, None, []
        if domain is not None:
            cache = read_cache(session, domain, course_ids=[suggestion.course_id])
            course_name = next((str(c.get("name") or "") for c in cache.courses), None)
            course_roster = sorted({str(s["email"]) for s in cache.students if s.get("email")})
            teachers = sorted({str(t["email"]) for t in cache.teachers if t.get("email")})
    return MatchReview(run, action, suggestion, sis_name or suggestion.alias, course_name, sis_roster,
                       course_roster, teachers)


def decide_match(deps: WebDependencies, job_id: str, run_id: str, action_id: str, choice: str, actor: str) -> str:
    """Record the reviewer's choice, stage its actions and exclude the other alternative's; returns the alias."""
    if choice not in CHOICES:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"decision {choice!r}: expected link or create")
    now = deps.clock()
    with store_session(deps, readonly=False) as session, store_errors():
        run = require_open_run(session, job_id, run_id)
        _, suggestion = _suggested_link(session, run_id, action_id)
        run_details.decide_match_suggestion(session, run_id, suggestion.alias, suggestion.course_id, choice,
                                            actor=actor, now=now)
        rows = [r for r in class_actions(session, run_id, suggestion.alias) if r.alternative in CHOICES]
        chosen = [r.action_id for r in rows if r.alternative == choice]
        other = [r.action_id for r in rows if r.alternative != choice]
        if chosen:
            decisions.stage_actions(session, run_id, actor=actor, action_ids=chosen, now=now)
        if other:
            decisions.exclude_actions(session, run_id, actor=actor, action_ids=other, now=now)
        mark_in_review(session, run, now)
    return suggestion.alias


def _suggested_link(session: Session, run_id: str, action_id: str) -> tuple[ActionRecord, MatchSuggestionRecord]:
    action = get_action(session, run_id, action_id)
    if action is None or action.kind != "link_course" or action.alternative != "link" or not action.alias:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"action {action_id!r} is not a suggested match of this run")
    for suggestion in run_details.list_match_suggestions(session, run_id, alias=action.alias):
        if suggestion.course_id == action.target:
            return action, suggestion
    raise HTTPException(status.HTTP_404_NOT_FOUND,
                        f"no match suggestion recorded for {action.alias!r} and course {action.target!r}")
