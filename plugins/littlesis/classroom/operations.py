"""Typed helpers over any ``ClassroomClient``: the reads an inventory needs, one-line writes.

Bulk writes are ``ops.execute([calls.add_student(course, user) for user in users])``;
the single-call helpers here are for scripts and tests. Reads of many courses go out
together (see ``paging.list_all``), and roster members feed the e-mail -> id cache.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from littlesis.classroom import calls
from littlesis.classroom.errors import ClassroomError
from littlesis.classroom.paging import ListResult, list_all
from littlesis.classroom.protocol import ApiErrorInfo, Call, CallResult, ClassroomClient
from littlesis.classroom.users import UserDirectory, UserResolution

JsonDict = dict[str, Any]
ROSTER_KINDS = ("aliases", "teachers", "students")
GUARDIAN_INVITATION_STATES = ("PENDING", "COMPLETE")
_ROSTER_CALLS: dict[str, Callable[[str], Call]] = {
    "aliases": calls.list_aliases,
    "teachers": calls.list_teachers,
    "students": calls.list_students,
}


@dataclass(frozen=True, slots=True)
class Member:
    user_id: str
    email: str | None = None
    given_name: str | None = None
    family_name: str | None = None

    @classmethod
    def from_json(cls, item: Mapping[str, Any]) -> Member:
        profile = item.get("profile") or {}
        name = profile.get("name") or {}
        return cls(str(item["userId"]), profile.get("emailAddress"), name.get("givenName"), name.get("familyName"))


@dataclass(slots=True)
class CourseRoster:
    """What was listed of one course; a kind that failed (e.g. the course was deleted) is in ``errors``."""

    course_id: str
    aliases: list[str] = field(default_factory=list)
    teachers: list[Member] = field(default_factory=list)
    students: list[Member] = field(default_factory=list)
    errors: dict[str, ApiErrorInfo] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


class ClassroomOps:
    def __init__(self, client: ClassroomClient) -> None:
        self.client = client
        self.users = UserDirectory(client)

    def execute(self, batch: Sequence[Call]) -> list[CallResult]:
        return self.client.execute(batch)

    # reads -----------------------------------------------------------------

    def list_courses(self, states: Sequence[str] = (), *, teacher_id: str | None = None,
                     student_id: str | None = None) -> list[JsonDict]:
        """Every course (newest first) with the cache's fields; raises ClassroomError if a page fails."""
        return self._one_list(calls.list_courses(states, teacher_id=teacher_id, student_id=student_id), "courses.list")

    def get_courses(self, course_ids: Iterable[str]) -> dict[str, CallResult]:
        """courses.get of each id or alias, batched."""
        ids = list(dict.fromkeys(course_ids))
        return dict(zip(ids, self.client.execute([calls.get_course(i) for i in ids]), strict=True))

    def list_rosters(self, course_ids: Iterable[str], kinds: Sequence[str] = ROSTER_KINDS) -> dict[str, CourseRoster]:
        """Aliases, teachers and students of many courses: one call per course and kind (more only
        for lists longer than a page), all in shared batches."""
        unknown = set(kinds) - set(_ROSTER_CALLS)
        if unknown:
            raise ValueError(f"unknown roster kinds {sorted(unknown)}; use {ROSTER_KINDS}")
        rosters = {course_id: CourseRoster(course_id) for course_id in course_ids}
        plan = [(course_id, kind) for course_id in rosters for kind in kinds]
        listed = list_all(self.client, [_ROSTER_CALLS[kind](course_id) for course_id, kind in plan])
        for (course_id, kind), result in zip(plan, listed, strict=True):
            roster = rosters[course_id]
            if result.error is not None:
                roster.errors[kind] = result.error
            elif kind == "aliases":
                roster.aliases = [str(item["alias"]) for item in result.items]
            else:
                members = [Member.from_json(item) for item in result.items]
                setattr(roster, kind, members)
                for member in members:
                    if member.email:
                        self.users.remember(member.email, member.user_id)
        return rosters

    def list_guardian_invitations(self, states: Sequence[str] = GUARDIAN_INVITATION_STATES) -> list[JsonDict]:
        """Every student's guardian invitations in the domain (studentId "-")."""
        return self._one_list(calls.list_guardian_invitations("-", states), "guardian invitations")

    def list_guardian_invitations_of(self, student_ids: Iterable[str],
                                     states: Sequence[str] = GUARDIAN_INVITATION_STATES) -> dict[str, ListResult]:
        ids = list(dict.fromkeys(student_ids))
        listed = list_all(self.client, [calls.list_guardian_invitations(i, states) for i in ids])
        return dict(zip(ids, listed, strict=True))

    def list_guardians(self) -> list[JsonDict]:
        """Every linked guardian in the domain (studentId "-")."""
        return self._one_list(calls.list_guardians("-"), "guardians")

    def list_guardians_of(self, student_ids: Iterable[str]) -> dict[str, ListResult]:
        ids = list(dict.fromkeys(student_ids))
        return dict(zip(ids, list_all(self.client, [calls.list_guardians(i) for i in ids]), strict=True))

    def get_user_profile(self, user_id: str) -> CallResult:
        return self._one(calls.get_user_profile(user_id))

    def resolve_user_ids(self, emails: Iterable[str]) -> UserResolution:
        """E-mail -> user id, cached; unknown addresses come back in ``errors``."""
        return self.users.resolve(emails)

    # single writes ---------------------------------------------------------

    def create_course(self, alias: str | None, name: str, owner_id: str, **optional: str | None) -> CallResult:
        """Keyword options as in ``calls.create_course`` (section, room, course_state, ...)."""
        return self._one(calls.create_course(alias, name, owner_id, **optional))

    def patch_course(self, course_id: str, changes: Mapping[str, Any]) -> CallResult:
        return self._one(calls.patch_course(course_id, changes))

    def change_owner(self, course_id: str, new_owner_id: str) -> CallResult:
        return self._one(calls.change_owner(course_id, new_owner_id))

    def add_teacher(self, course_id: str, user_id: str) -> CallResult:
        return self._one(calls.add_teacher(course_id, user_id))

    def add_student(self, course_id: str, user_id: str) -> CallResult:
        return self._one(calls.add_student(course_id, user_id))

    def remove_teacher(self, course_id: str, user_id: str) -> CallResult:
        return self._one(calls.remove_teacher(course_id, user_id))

    def remove_student(self, course_id: str, user_id: str) -> CallResult:
        return self._one(calls.remove_student(course_id, user_id))

    def create_guardian_invitation(self, student_id: str, guardian_email: str) -> CallResult:
        return self._one(calls.create_guardian_invitation(student_id, guardian_email))

    def withdraw_guardian_invitation(self, student_id: str, invitation_id: str) -> CallResult:
        return self._one(calls.patch_guardian_invitation(student_id, invitation_id, "COMPLETE"))

    # plumbing --------------------------------------------------------------

    def _one(self, call: Call) -> CallResult:
        return self.client.execute([call])[0]

    def _one_list(self, call: Call, what: str) -> list[JsonDict]:
        result = list_all(self.client, [call])[0]
        if result.error is not None:
            raise ClassroomError(f"listing {what}", result.error)
        return result.items
