"""One translator per action kind: a stored plan action -> one Classroom call, and its answer -> a verdict.

Idempotency lives here. A retried write that had already landed answers 409 or 404,
and for each kind we know which of those means "it is as the plan wants": a create
whose alias exists adopts that course, an add of a member already there is done, a
removal or withdrawal of something gone is done. Everything else that failed is
recorded with its "@Reason message". Two answers need a second look that a single
call can't give, so their verdict is ``CHECK`` (see ``apply_checks``): a link whose
alias exists (on which course?) and an owner change that isn't effective yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from littlesis.classroom import calls
from littlesis.classroom.protocol import ApiErrorInfo, Call, CallResult
from littlesis.store.records import ActionRecord

DONE, ALREADY_DONE, FAILED, SKIPPED = "done", "already_done", "failed", "skipped"
CHECK = "check"  # not final: apply_checks settles it
# Reasons that start like this name a transient failure: a rerun of the commit re-opens them.
EXHAUSTED = "retries exhausted"
NOT_SENT = "not sent:"
NOT_YET = "not found yet"  # a user who just appeared, still NOT_FOUND when the retries ran out


class PayloadError(ValueError):
    """A stored action whose payload lacks what its kind needs."""


@dataclass(frozen=True, slots=True)
class Verdict:
    status: str  # DONE, ALREADY_DONE, FAILED, SKIPPED or CHECK
    reason: str
    attempts: int = 0  # API attempts this verdict cost (retries included)


def describe(error: ApiErrorInfo) -> str:
    """"@Reason message" when Classroom gave a reason, else "STATUS (code): message"."""
    if error.reason:
        return f"@{error.reason} {error.message}".strip()
    return f"{error.status} ({error.status_code}): {error.message}".strip()


def failure(result: CallResult) -> Verdict:
    """A failed answer as a verdict; a transient one says the retries ran out."""
    error = result.error
    if error is None:
        raise ValueError("failure() of a successful call")
    if error.retryable:
        return Verdict(FAILED, f"{EXHAUSTED} after {result.attempts} attempts: {describe(error)}", result.attempts)
    if error.status_code == 404 and result.call.retry_not_found and result.attempts > 1:
        # New users can stay invisible to Classroom for longer than the retries wait: a rerun tries again.
        return Verdict(FAILED, f"{NOT_YET} after {result.attempts} attempts: {describe(error)}", result.attempts)
    return Verdict(FAILED, describe(error), result.attempts)


def is_transient(reason: str | None) -> bool:
    """A failure or skip a later attempt may cure (no answer, quota, 5xx, a user not found yet, a commit
    that gave up)."""
    return reason is not None and reason.startswith((EXHAUSTED, NOT_SENT, NOT_YET))


def _text(payload: Mapping[str, Any], key: str) -> str:
    value = payload.get(key)
    if not isinstance(value, str) or not value:
        raise PayloadError(f"payload has no {key!r}")
    return value


def _target(action: ActionRecord) -> str:
    if not action.target:
        raise PayloadError("action has no target")
    return action.target


class Translator:
    """The default rules; a kind overrides what differs."""

    kind = ""
    done = "done"
    already_on_conflict: str | None = None  # 409 means "already as planned"
    already_on_not_found: str | None = None  # 404 means "already as planned"

    def call(self, action: ActionRecord) -> Call:
        raise NotImplementedError

    def judge(self, action: ActionRecord, result: CallResult) -> Verdict:
        if result.ok:
            return Verdict(DONE, self.succeeded(action, result), result.attempts)
        error = result.error
        assert error is not None
        if result.already_exists and self.already_on_conflict:
            return Verdict(ALREADY_DONE, f"{self.already_on_conflict} ({describe(error)})", result.attempts)
        if result.not_found and self.already_on_not_found:
            return Verdict(ALREADY_DONE, f"{self.already_on_not_found} ({describe(error)})", result.attempts)
        return self.failed(action, result)

    def succeeded(self, action: ActionRecord, result: CallResult) -> str:
        return self.done

    def failed(self, action: ActionRecord, result: CallResult) -> Verdict:
        return failure(result)


class CreateCourse(Translator):
    kind = "create_course"
    done = "course created with its alias"
    already_on_conflict = "the alias exists: that course is adopted, no second course made"
    _OPTIONAL = {"section": "section", "room": "room", "descriptionHeading": "description_heading",
                 "description": "description", "courseState": "course_state", "subject": "subject"}

    def call(self, action: ActionRecord) -> Call:
        body = action.payload
        unknown = set(body) - {"id", "name", "ownerId", *self._OPTIONAL}
        if unknown:
            raise PayloadError(f"unknown course fields {sorted(unknown)}")
        options = {ours: body[theirs] for theirs, ours in self._OPTIONAL.items() if body.get(theirs) is not None}
        return calls.create_course(_text(body, "id"), _text(body, "name"), _text(body, "ownerId"), **options)

    def succeeded(self, action: ActionRecord, result: CallResult) -> str:
        return f"course {(result.body or {}).get('id', '?')} created with alias {action.payload.get('id')}"


class LinkCourse(Translator):
    kind = "link_course"

    def call(self, action: ActionRecord) -> Call:
        return calls.create_alias(_text(action.payload, "courseId"), _text(action.payload, "alias"))

    def succeeded(self, action: ActionRecord, result: CallResult) -> str:
        return f"alias {action.payload.get('alias')} added to course {action.payload.get('courseId')}"

    def failed(self, action: ActionRecord, result: CallResult) -> Verdict:
        if result.already_exists:  # on this course (our earlier try) or another? apply_checks reads it
            return Verdict(CHECK, describe(result.error) if result.error else "", result.attempts)
        return failure(result)


class UpdateCourse(Translator):
    kind = "update_course"

    def call(self, action: ActionRecord) -> Call:
        course = action.payload.get("course")
        if not isinstance(course, Mapping):
            raise PayloadError("payload has no 'course'")
        mask = [f for f in _text(action.payload, "updateMask").split(",") if f]
        missing = [f for f in mask if f not in course]
        if missing:
            raise PayloadError(f"updateMask names fields the course body lacks: {missing}")
        return calls.patch_course(_target(action), {f: course[f] for f in mask})

    def succeeded(self, action: ActionRecord, result: CallResult) -> str:
        return f"updated {action.payload.get('updateMask', '').replace(',', ', ')}"


class _AddMember(Translator):
    already_on_conflict = "already a member of the course (Classroom's 409 doesn't say if teacher or student)"
    done = "added"
    teacher = False

    def call(self, action: ActionRecord) -> Call:
        build = calls.add_teacher if self.teacher else calls.add_student
        return build(_target(action), _text(action.payload, "userId"))


class AddTeacher(_AddMember):
    kind = "add_teacher"
    done = "added as a teacher"
    teacher = True


class AddStudent(_AddMember):
    kind = "add_student"
    done = "added as a student"


class _RemoveMember(Translator):
    already_on_not_found = "not a member of the course any more"
    done = "removed"
    teacher = False

    def call(self, action: ActionRecord) -> Call:
        build = calls.remove_teacher if self.teacher else calls.remove_student
        return build(_target(action), _text(action.payload, "userId"))


class RemoveTeacher(_RemoveMember):
    kind = "remove_teacher"
    teacher = True


class RemoveStudent(_RemoveMember):
    kind = "remove_student"


class ChangeOwner(Translator):
    kind = "change_owner"

    def call(self, action: ActionRecord) -> Call:
        return calls.change_owner(_target(action), _text(action.payload, "ownerId"))

    def succeeded(self, action: ActionRecord, result: CallResult) -> str:
        return f"owner is now {action.payload.get('ownerId')}"

    def failed(self, action: ActionRecord, result: CallResult) -> Verdict:
        if is_ineligible_owner(result):  # the new co-teacher may not be visible yet: apply_checks polls
            return Verdict(CHECK, describe(result.error) if result.error else "", result.attempts)
        return failure(result)


def is_ineligible_owner(result: CallResult) -> bool:
    return result.error is not None and result.error.reason == "IneligibleOwner"


class InviteGuardian(Translator):
    kind = "invite_guardian"
    already_on_conflict = "a pending invitation exists or the guardian is already linked"

    def call(self, action: ActionRecord) -> Call:
        payload = action.payload
        return calls.create_guardian_invitation(_text(payload, "studentId"), _text(payload, "invitedEmailAddress"))

    def succeeded(self, action: ActionRecord, result: CallResult) -> str:
        return f"invitation {(result.body or {}).get('invitationId', '?')} sent"


class WithdrawGuardianInvitation(Translator):
    kind = "withdraw_guardian_invitation"
    done = "invitation withdrawn"
    already_on_not_found = "the invitation is gone"

    def call(self, action: ActionRecord) -> Call:
        payload = action.payload
        return calls.patch_guardian_invitation(_text(payload, "studentId"), _text(payload, "invitationId"))

    def failed(self, action: ActionRecord, result: CallResult) -> Verdict:
        # Only a PENDING invitation can change: withdrawn already (maybe by our lost first try) or accepted.
        if result.error is not None and result.error.status == "FAILED_PRECONDITION":
            return Verdict(ALREADY_DONE, f"the invitation is no longer pending ({describe(result.error)})",
                           result.attempts)
        return failure(result)


class ArchiveCourse(Translator):
    kind = "archive_course"
    done = "archived"

    def call(self, action: ActionRecord) -> Call:
        return calls.set_course_state(_target(action), str(action.payload.get("courseState") or "ARCHIVED"))


TRANSLATORS: dict[str, Translator] = {t.kind: t for t in (
    CreateCourse(), LinkCourse(), UpdateCourse(), AddTeacher(), ChangeOwner(), AddStudent(), RemoveStudent(),
    RemoveTeacher(), InviteGuardian(), WithdrawGuardianInvitation(), ArchiveCourse(),
)}
# Kinds that act on a course the plan creates or links first: they can't succeed if that failed.
COURSE_DEPENDENT = frozenset({"update_course", "add_teacher", "change_owner", "add_student", "remove_student",
                              "remove_teacher", "archive_course"})
