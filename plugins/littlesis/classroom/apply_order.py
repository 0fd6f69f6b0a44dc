"""Which staged actions go next: kind by kind in the plan's safe order, one wave at a time.

Waves are read straight from the store (staged, still pending, in plan position), so
whatever an earlier, killed commit recorded is never sent again. ``CourseGate`` holds
back the course-level actions whose course the plan was to create or link but
didn't (that action failed, or the reviewer didn't stage it): sent, they could only
fail, after a round of not-found retries each. It also holds back an owner transfer
whose new owner's add_teacher failed (Classroom refuses it: @IneligibleOwner), and the
teacher removals of a course whose transfer failed (the old owner can't be removed).
Held back means skipped as "not sent", which a rerun re-opens once the earlier action
went through, instead of a refusal recorded as final.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Engine

from littlesis.classroom.apply_actions import COURSE_DEPENDENT, FAILED, NOT_SENT, SKIPPED, Verdict, is_transient
from littlesis.core.classroom_state import DOMAIN_ALIAS_PREFIX
from littlesis.store.actions import actions_after, iter_actions
from littlesis.store.engine import session_scope
from littlesis.store.filters import ActionFilter
from littlesis.store.records import ActionRecord, ActionResult
from littlesis.store.results import mark_results

STAGED = "staged"
COURSE_MAKERS = ("create_course", "link_course")
OWNER_STEPS = ("add_teacher", "change_owner")  # a transfer needs the new owner teaching; removals, the transfer


def pending_of_kind(engine: Engine, run_id: str, kind: str, size: int) -> Iterator[list[ActionRecord]]:
    """Waves of at most ``size`` staged, pending actions of one kind, in plan order."""
    where = ActionFilter(kind=kind, decision=STAGED, status="pending")
    after: tuple[int, str] | None = None
    while True:
        with session_scope(engine, readonly=True) as session:
            wave = actions_after(session, run_id, where, after=after, limit=size)
        if not wave:
            return
        yield wave
        after = (wave[-1].position, wave[-1].action_id)


def reopen_transient(engine: Engine, run_id: str) -> int:
    """Put back to pending the staged actions an earlier invocation gave up on for a transient reason
    (retries ran out, Classroom unreachable, a course not made yet): sending them again is safe."""
    where = ActionFilter(decision=STAGED, status=(FAILED, SKIPPED))
    with session_scope(engine) as session:
        again = [ActionResult(a.action_id, "pending", a.result_reason, a.attempts)
                 for a in iter_actions(session, run_id, where) if is_transient(a.result_reason)]
        mark_results(session, run_id, again)
    return len(again)


def _course_keys(action: ActionRecord) -> list[tuple[str, str]]:
    """The (alias, target) pairs of the actions that need this create or link to have worked."""
    alias = action.alias or ""
    if action.kind == "link_course":  # what follows a link names the teacher's course by its id
        return [(alias, str(action.payload.get("courseId", "")))]
    return [(alias, DOMAIN_ALIAS_PREFIX + alias)]


class CourseGate:
    def __init__(self) -> None:
        self._blocked: dict[tuple[str, str], str] = {}
        self._not_teaching: dict[tuple[str, str], str] = {}  # (course, new owner) -> why its add_teacher failed
        self._not_transferred: dict[str, str] = {}  # course -> why its change_owner failed

    @classmethod
    def load(cls, engine: Engine, run_id: str) -> CourseGate:
        """Creates, links, teacher additions and owner transfers of the run that failed (or were held back),
        and creates and links still pending but not staged."""
        gate = cls()
        failed = ActionFilter(kind=(*COURSE_MAKERS, *OWNER_STEPS), decision=STAGED, status=(FAILED, SKIPPED))
        unstaged = ActionFilter(kind=COURSE_MAKERS, decision=("proposed", "excluded"), status="pending")
        with session_scope(engine, readonly=True) as session:
            for action in iter_actions(session, run_id, failed):
                gate.note(action, Verdict(action.status, action.result_reason or action.status))
            for action in iter_actions(session, run_id, unstaged):
                gate._block(action, f"its {action.kind} action is not staged")
        return gate

    def note(self, action: ActionRecord, verdict: Verdict) -> None:
        """Remember a create, link, teacher addition or owner transfer that failed or was held back."""
        if verdict.status not in (FAILED, SKIPPED):
            return
        why = f"{action.kind} failed: {verdict.reason}"
        target = action.target or ""
        if action.kind in COURSE_MAKERS:
            self._block(action, why)
        elif action.kind == "add_teacher":
            self._not_teaching.setdefault((target, str(action.payload.get("userId", "")).lower()), why)
        elif action.kind == "change_owner":
            self._not_transferred.setdefault(target, why)

    def held_back(self, action: ActionRecord) -> Verdict | None:
        """A skipped verdict for an action whose course isn't there, or whose owner transfer can't happen
        yet, else None."""
        if action.kind not in COURSE_DEPENDENT:
            return None
        target = action.target or ""
        why = self._blocked.get((action.alias or "", target))
        if why is not None:
            return Verdict(SKIPPED, f"{NOT_SENT} course {target} was not made ({why})")
        if action.kind == "change_owner":
            owner = str(action.payload.get("ownerId", ""))
            why = self._not_teaching.get((target, owner.lower()))
            if why is not None:
                return Verdict(SKIPPED, f"{NOT_SENT} {owner} is not a teacher of {target} yet ({why})")
        if action.kind == "remove_teacher":
            # The plan doesn't say which removed teacher is the old owner, who can't go before the transfer.
            why = self._not_transferred.get(target)
            if why is not None:
                return Verdict(SKIPPED, f"{NOT_SENT} the owner of {target} has not changed yet ({why})")
        return None

    def _block(self, action: ActionRecord, why: str) -> None:
        for key in _course_keys(action):
            self._blocked.setdefault(key, why)
