"""The emulated domain: users, courses, aliases, rosters, invitations and guardians.

One lock guards everything; the dispatcher holds it for the length of one call, so
each call (and each batch part) is atomic. Lookups here raise Google's errors; the
rules of each method live in the handler modules (courses, rosters, ...).
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from littlesis.emulator import errors
from littlesis.emulator.model import (
    Course,
    GuardianInvitation,
    GuardianLink,
    Invitation,
    User,
    course_json,
    guardian_invitation_json,
    invitation_json,
    profile_json,
    stable_user_id,
)

JsonDict = dict[str, Any]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
COURSE_ID_BASE = 600_000_000_000
NEVER = -math.inf


def is_email(text: str) -> bool:
    return bool(_EMAIL.match(text))


def looks_like_user_ref(text: str) -> bool:
    """The formats Classroom accepts for a user: "me", an e-mail or a numeric id."""
    return text == "me" or text.isdigit() or is_email(text)


@dataclass(slots=True)
class Limits:
    teachers: int = 20
    members: int = 1000
    guardians: int = 20


class ClassroomState:
    """All emulated data. Callers take ``lock`` around any sequence of reads and writes."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.limits = Limits()
        # A user that "appears" is invisible (NOT_FOUND) for this many seconds: the
        # directory-to-Classroom propagation delay (fault ``user_not_found``).
        self.user_grace_seconds = 0.0
        self._seq = 0
        self.domains: list[str] = []
        self.auto_users = True
        self.guardians_enabled = True
        self.users_by_id: dict[str, User] = {}
        self.users_by_email: dict[str, User] = {}
        self.courses: dict[str, Course] = {}
        self.alias_index: dict[str, str] = {}
        self.invitations: dict[str, Invitation] = {}
        self.guardian_invitations: dict[str, GuardianInvitation] = {}
        self.guardian_links: dict[tuple[str, str], GuardianLink] = {}

    def clear(self) -> None:
        """Forget all data and settings; the id counter keeps running so ids are never reused."""
        with self.lock:
            self.domains = []
            self.auto_users = True
            self.guardians_enabled = True
            self.limits = Limits()
            for table in (
                self.users_by_id,
                self.users_by_email,
                self.courses,
                self.alias_index,
                self.invitations,
                self.guardian_invitations,
                self.guardian_links,
            ):
                table.clear()

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    # users ---------------------------------------------------------------

    def in_domain(self, email: str) -> bool:
        return email.rpartition("@")[2].lower() in self.domains

    def add_user(self, email: str, given: str = "", family: str = "", appeared_at: float | None = None) -> User:
        """Create (or return) the user with this e-mail; names fill in when missing."""
        key = email.lower()
        existing = self.users_by_email.get(key)
        if existing is not None:
            existing.given_name = existing.given_name or given
            existing.family_name = existing.family_name or family
            return existing
        if not given and not family:
            given, family = _names_from_email(key)
        user = User(
            id=stable_user_id(key),
            email=key,
            given_name=given,
            family_name=family,
            external=not self.in_domain(key),
            appeared_at=self.clock() if appeared_at is None else appeared_at,
        )
        self.users_by_id[user.id] = user
        self.users_by_email[key] = user
        return user

    def find_user(self, ref: str, caller: str | None, *, allow_external: bool = False) -> User | None:
        """The user behind "me", an e-mail or a numeric id, auto-creating e-mails where the seed allows."""
        if ref == "me":
            ref = caller or (f"admin@{self.domains[0]}" if self.domains else "")
            if not ref:
                return None
        if ref.isdigit():
            return self.users_by_id.get(ref)
        if not is_email(ref):
            return None
        user = self.users_by_email.get(ref.lower())
        if user is None and self.auto_users and (self.in_domain(ref) or allow_external):
            user = self.add_user(ref)
        return user

    def user(self, ref: str, caller: str | None, *, allow_external: bool = False) -> User:
        """Like find_user, raising NOT_FOUND for unknown users and users still propagating."""
        user = self.find_user(ref, caller, allow_external=allow_external)
        if user is None or self.is_propagating(user):
            raise errors.not_found()
        return user

    def is_propagating(self, user: User) -> bool:
        return self.user_grace_seconds > 0 and self.clock() - user.appeared_at < self.user_grace_seconds

    def user_for_direct_add(self, ref: str, caller: str | None) -> User:
        """A user an admin may add to a course directly: in a seeded domain, else 403 CannotDirectAddUser."""
        if is_email(ref) and not self.in_domain(ref):
            raise cannot_direct_add()
        user = self.user(ref, caller)
        if user.external:
            raise cannot_direct_add()
        return user

    # courses ---------------------------------------------------------------

    def course(self, ref: str) -> Course:
        """A course by numeric id or alias, else NOT_FOUND."""
        course = self.courses.get(ref)
        if course is None:
            course_id = self.alias_index.get(ref)
            course = self.courses.get(course_id) if course_id else None
        if course is None:
            raise errors.not_found()
        return course

    def new_course_id(self) -> tuple[str, int]:
        seq = self.next_seq()
        return str(COURSE_ID_BASE + seq), seq

    def add_alias(self, course: Course, alias: str) -> None:
        if alias in self.alias_index:
            raise errors.already_exists("CourseAliasAlreadyExists")
        self.alias_index[alias] = course.id
        course.aliases[alias] = self.next_seq()

    def remove_course(self, course: Course) -> None:
        for alias in course.aliases:
            self.alias_index.pop(alias, None)
        for invitation_id in [i.id for i in self.invitations.values() if i.course_id == course.id]:
            del self.invitations[invitation_id]
        del self.courses[course.id]

    def render_course(self, course: Course) -> JsonDict:
        owner = self.users_by_id.get(course.owner_id)
        domain = owner.domain if owner else (self.domains[0] if self.domains else "example.com")
        return course_json(course, domain, self.guardians_enabled)

    def enroll(self, course: Course, user: User, as_teacher: bool) -> None:
        """Add a member, enforcing Classroom's duplicate and size rules."""
        if user.id in course.teachers or user.id in course.students:
            raise errors.already_exists()
        if as_teacher and len(course.teachers) >= self.limits.teachers:
            raise errors.failed_precondition("CourseTeacherLimitReached", "The course teacher limit has been reached.")
        if course.member_count >= self.limits.members:
            raise errors.failed_precondition("CourseMemberLimitReached", "The course member limit has been reached.")
        (course.teachers if as_teacher else course.students)[user.id] = self.next_seq()

    def touch(self, course: Course) -> None:
        course.update_time = max(self.clock(), course.update_time + 0.001)

    # dump ------------------------------------------------------------------

    def dump(self) -> JsonDict:
        """Everything, for GET /_emulator/state: what a cache of this domain should equal."""

        def members(ids: dict[str, int]) -> list[JsonDict]:
            return [{"userId": uid, "emailAddress": self.users_by_id[uid].email} for uid in ids]

        with self.lock:
            courses = []
            for course in self.courses.values():
                item = self.render_course(course)
                item["aliases"] = list(course.aliases)
                item["teachers"] = members(course.teachers)
                item["students"] = members(course.students)
                courses.append(item)
            return {
                "domains": list(self.domains),
                "autoUsers": self.auto_users,
                "guardiansEnabled": self.guardians_enabled,
                "users": [profile_json(u) | {"external": u.external} for u in self.users_by_id.values()],
                "courses": courses,
                "invitations": [invitation_json(i) for i in self.invitations.values()],
                "guardianInvitations": [guardian_invitation_json(g) for g in self.guardian_invitations.values()],
                "guardians": [
                    {
                        "studentId": link.student_id,
                        "guardianId": link.guardian_id,
                        "invitedEmailAddress": link.invited_email,
                        "guardianEmail": self.users_by_id[link.guardian_id].email,
                    }
                    for link in self.guardian_links.values()
                ],
            }


def cannot_direct_add() -> errors.ApiError:
    return errors.permission_denied(
        "Unable to directly add the user to the course. Please check that the user account exists and is "
        "within the course admin's domain. Add external users with invitations.",
        reason="CannotDirectAddUser",
    )


def _names_from_email(email: str) -> tuple[str, str]:
    local = email.partition("@")[0]
    parts = [p for p in re.split(r"[._\-+]+", local) if p]
    if len(parts) >= 2:
        return parts[0].capitalize(), " ".join(p.capitalize() for p in parts[1:])
    return (parts[0].capitalize() if parts else local), ""
