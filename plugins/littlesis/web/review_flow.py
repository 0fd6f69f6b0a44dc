"""The review page's reads and writes: one page of a filtered plan, decisions, and the approval to commit."""

from __future__ import annotations

import time
from array import array
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from fastapi import HTTPException, status
from sqlalchemy.orm import Session

from littlesis.store import decisions, jobs, run_details, runs
from littlesis.store.actions import count_actions
from littlesis.store.errors import NotFound, PlanFrozen
from littlesis.store.filters import ActionFilter
from littlesis.store.records import ActionPage, JobRecord, RunRecord
from littlesis.store.review import (
    actions_at,
    decisions_version,
    few_matches,
    kind_counts,
    review_page,
    school_teacher_counts,
)
from littlesis.web.context import store_session
from littlesis.web.deps import WebDependencies
from littlesis.web.memo import Memo
from littlesis.web.plan_filter import PlanFilter

VERBS = {"stage": "staged", "exclude": "excluded", "unstage": "proposed"}
# Decisions are taken while the run waits for a person; once approved, the commit may start any moment.
OPEN_STATE = "pending_review"
# Matching decisions go in chunks of this many actions, and a progressive request stops after the
# chunk that passes its time budget, so each request stays short whatever the plan's size.
CHUNK = 2500
BUDGET_SECONDS = 0.1
TEACHER_CHOICES = 500
# A filter matching at most this many actions has their positions kept between its pages.
FEW = 5000


def require_run(session: Session, job_id: str, run_id: str) -> RunRecord:
    run = runs.get_run(session, run_id)
    if run is None or run.job_id != job_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"job {job_id!r} has no run {run_id!r}")
    return run


@dataclass
class ReviewPage:
    job: JobRecord | None
    run: RunRecord
    filter: PlanFilter
    page: ActionPage
    page_number: int
    size: int
    decisions: dict[str, int]
    staged_by_kind: dict[str, int]
    schools: list[str]
    teachers: list[str]
    undecided_suggestions: int
    may_edit: bool = False
    notices: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, -(-self.page.total // self.size))

    @property
    def staged(self) -> int:
        return self.decisions.get("staged", 0)

    @property
    def plan_size(self) -> int:
        return sum(self.decisions.values())

    @property
    def open(self) -> bool:
        return self.run.state == OPEN_STATE


def load_review(deps: WebDependencies, memo: Memo, job_id: str, run_id: str, plan_filter: PlanFilter,
                page_number: int, size: int) -> ReviewPage:
    """The page's figures; those that read the whole plan come from ``memo`` when nothing they depend on changed."""
    where = plan_filter.where()
    with store_session(deps) as session:
        run = require_run(session, job_id, run_id)
        plan = (run_id, run.plan_checksum)
        version = decisions_version(session, run_id)
        # Figures under a state filter move with every decision; under the other filters they don't.
        depends = (*plan, version if plan_filter.state else None)
        page = _page(session, memo, run_id, where, depends, offset=(page_number - 1) * size, limit=size)
        schools, teachers = memo.get(("facets", *plan), lambda: _facets(session, run_id))
        return ReviewPage(
            job=jobs.get_job(session, job_id),
            run=run,
            filter=plan_filter,
            page=page,
            page_number=page_number,
            size=size,
            decisions=memo.get(("decisions", *plan, version),
                               lambda: count_actions(session, run_id, by="decision")),
            staged_by_kind=memo.get(("staged", *plan, version), lambda: count_actions(
                session, run_id, by="kind", where=ActionFilter(decision="staged"))),
            schools=schools,
            teachers=teachers,
            undecided_suggestions=len(run_details.list_match_suggestions(session, run_id, decision="undecided")),
        )


def _page(session: Session, memo: Memo, run_id: str, where: ActionFilter, depends: tuple[object, ...], *,
          offset: int, limit: int) -> ActionPage:
    """One page. A filter matching few actions keeps their positions, so all its pages are read by
    position; one matching many finds its rows early in the plan, or seeks to its offset."""
    unkinded = where.without("kind")
    few = memo.get(("few", unkinded, *depends), lambda: _few(session, run_id, where))
    if few is None:
        counts = memo.get(("kinds", unkinded, *depends), lambda: kind_counts(session, run_id, where))
        return review_page(session, run_id, where, offset=offset, limit=limit, counts_by_kind=counts)
    kinds = [where.kind] if isinstance(where.kind, str) else list(where.kind or few)
    positions = sorted(p for kind in kinds for p in few.get(kind, ()))
    return ActionPage(items=actions_at(session, run_id, positions[offset:offset + limit]), total=len(positions),
                      offset=offset, limit=limit, counts_by_kind={kind: len(p) for kind, p in sorted(few.items())})


def _few(session: Session, run_id: str, where: ActionFilter) -> dict[str, array[int]] | None:
    found = few_matches(session, run_id, where, FEW)
    return None if found is None else {kind: array("q", positions) for kind, positions in found.items()}  # 8 B each


def _facets(session: Session, run_id: str) -> tuple[list[str], list[str]]:
    """The plan's schools, and its busiest teachers (a datalist of thousands helps nobody)."""
    schools: set[str] = set()
    by_teacher: Counter[str] = Counter()
    for school, teacher, n in school_teacher_counts(session, run_id):
        if school:
            schools.add(school)
        if teacher:
            by_teacher[teacher] += n
    return sorted(schools), sorted(t for t, _ in by_teacher.most_common(TEACHER_CHOICES))


@dataclass(frozen=True)
class DecisionOutcome:
    changed: int
    after: int | None  # where a progressive "all matching" request continues; None when done
    done: bool


def decide(
    deps: WebDependencies,
    job_id: str,
    run_id: str,
    verb: str,
    actor: str,
    *,
    action_ids: list[str] | None = None,
    matching: ActionFilter | None = None,
    after: int | None = None,
    progressive: bool = False,
) -> DecisionOutcome:
    """Stage, exclude or unstage the given actions, or every action matching a filter."""
    if verb not in VERBS:
        raise HTTPException(status.HTTP_400_BAD_REQUEST,
                            f"decision {verb!r}: expected one of {', '.join(VERBS)}")
    if matching is None and not action_ids:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "select at least one action (action_id) or scope=matching")
    now = deps.clock()
    with store_session(deps, readonly=False) as session, store_errors():
        run = require_open_run(session, job_id, run_id)
        if matching is None:
            changed = decisions.decide_actions(session, run_id, VERBS[verb], actor=actor, action_ids=action_ids,
                                               now=now)
            outcome = DecisionOutcome(changed, None, True)
        else:
            outcome = _decide_matching(session, run_id, VERBS[verb], actor, matching, after, progressive, now)
        mark_in_review(session, run, now)
    return outcome


def _decide_matching(session: Session, run_id: str, decision: str, actor: str, where: ActionFilter,
                     after: int | None, progressive: bool, now: datetime) -> DecisionOutcome:
    started = time.monotonic()
    changed = 0
    while True:
        n, after = decisions.decide_matching_chunk(session, run_id, decision, actor=actor, where=where, after=after,
                                                   limit=CHUNK, now=now)
        changed += n
        if after is None:
            return DecisionOutcome(changed, None, True)
        if progressive and time.monotonic() - started >= BUDGET_SECONDS:
            return DecisionOutcome(changed, after, False)


def approve(deps: WebDependencies, job_id: str, run_id: str, actor: str, *, staged_count: int,
            confirm_unsafe: bool) -> RunRecord:
    """"Commit N staged actions": record the approval the DAG's await_approval sensor waits for."""
    with store_session(deps, readonly=False) as session, store_errors():
        run = require_open_run(session, job_id, run_id)
        staged = count_actions(session, run_id, by="decision").get("staged", 0)
        if staged != staged_count:
            raise HTTPException(status.HTTP_409_CONFLICT,
                                f"{staged:,} actions are staged now, not the {staged_count:,} you confirmed: the "
                                "selection changed since the page was loaded. Review it again.")
        if staged == 0:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "nothing is staged: stage the actions to commit first")
        if run.unsafe and not confirm_unsafe:
            raise HTTPException(status.HTTP_400_BAD_REQUEST,
                                "this plan is unsafe (" + "; ".join(run.unsafe_reasons) + "): committing it needs "
                                "the explicit confirmation (confirm_unsafe)")
        return decisions.approve_run(session, run_id, actor=actor, confirm_unsafe=confirm_unsafe, now=deps.clock())


def require_open_run(session: Session, job_id: str, run_id: str) -> RunRecord:
    run = require_run(session, job_id, run_id)
    if run.state != OPEN_STATE:
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"run {run_id!r} is {run.state}: its decisions can only change while it waits for "
                            "review")
    return run


def mark_in_review(session: Session, run: RunRecord, now: datetime) -> None:
    """A reviewer's first decision on a waiting run moves the job card to "in review"."""
    job = jobs.get_job(session, run.job_id)
    if job is not None and job.state == "pending_review":
        jobs.set_job_state(session, run.job_id, "in_review", now=now)


@contextmanager
def store_errors() -> Iterator[None]:
    """The store's refusals as HTTP answers."""
    try:
        yield
    except NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except PlanFrozen as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
