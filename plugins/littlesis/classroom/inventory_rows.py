"""Classroom API JSON -> the store's cache rows (``littlesis.store.cache`` column names, no ``domain``).

Values are kept exactly as the API answered them (timestamps as RFC 3339 strings, an absent
optional field as None), so a cache read back compares equal to what Classroom holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from littlesis.classroom.operations import CourseRoster, Member

if TYPE_CHECKING:
    from littlesis.store.cache import CacheSnapshot

Row = dict[str, Any]

# cache column -> Course field
COURSE_COLUMNS = {
    "course_id": "id",
    "name": "name",
    "section": "section",
    "room": "room",
    "description_heading": "descriptionHeading",
    "description": "description",
    "owner_id": "ownerId",
    "course_state": "courseState",
    "creation_time": "creationTime",
    "update_time": "updateTime",
    "alternate_link": "alternateLink",
}
MEMBER_KINDS = ("teachers", "students")


def empty_snapshot() -> CacheSnapshot:
    from littlesis.store.cache import CacheSnapshot  # here, not at the top: see inventory.py

    return CacheSnapshot()


def course_row(course: Mapping[str, Any]) -> Row:
    return {column: course.get(name) for column, name in COURSE_COLUMNS.items()}


def alias_rows(course_id: str, aliases: Iterable[str]) -> list[Row]:
    return [{"alias": alias, "course_id": course_id} for alias in aliases]


def member_row(course_id: str, member: Member) -> Row:
    return {"course_id": course_id, "user_id": member.user_id, "email": member.email}


def user_row(member: Member) -> Row:
    return {"user_id": member.user_id, "email": member.email, "given_name": member.given_name,
            "family_name": member.family_name}


def guardian_invitation_row(item: Mapping[str, Any]) -> Row:
    return {"student_id": item.get("studentId"), "invitation_id": item.get("invitationId"),
            "invited_email": item.get("invitedEmailAddress"), "state": item.get("state"),
            "creation_time": item.get("creationTime")}


def guardian_row(item: Mapping[str, Any]) -> Row:
    return {"student_id": item.get("studentId"), "guardian_id": item.get("guardianId"),
            "invited_email": item.get("invitedEmailAddress")}


@dataclass
class SnapshotBuilder:
    """Collects courses and rosters into a ``CacheSnapshot``; each user once, from the first profile
    that carries an e-mail (rosters repeat the same profile for every course a user is in)."""

    snapshot: CacheSnapshot = field(default_factory=empty_snapshot)
    users: dict[str, Row] = field(default_factory=dict)

    def add_course(self, course: Mapping[str, Any]) -> None:
        self.snapshot.courses.append(course_row(course))

    def add_roster(self, roster: CourseRoster) -> None:
        self.snapshot.aliases.extend(alias_rows(roster.course_id, roster.aliases))
        for kind in MEMBER_KINDS:
            members: list[Member] = getattr(roster, kind)
            getattr(self.snapshot, kind).extend(member_row(roster.course_id, m) for m in members)
            for member in members:
                self.add_user(user_row(member))

    def add_user(self, row: Row) -> None:
        known = self.users.get(row["user_id"])
        if known is None or (known["email"] is None and row["email"] is not None):
            self.users[row["user_id"]] = dict(row)

    def users_without_email(self) -> list[str]:
        return [user_id for user_id, row in self.users.items() if not row["email"]]

    def fill_profiles(self, profiles: Mapping[str, Mapping[str, Any]]) -> None:
        """userProfiles.get answers (id -> UserProfile) for members whose roster entry had no e-mail."""
        for user_id, profile in profiles.items():
            name = profile.get("name") or {}
            self.users[user_id] = {"user_id": user_id, "email": profile.get("emailAddress"),
                                   "given_name": name.get("givenName"), "family_name": name.get("familyName")}
        for kind in MEMBER_KINDS:
            for row in getattr(self.snapshot, kind):
                if row["email"] is None and row["user_id"] in self.users:
                    row["email"] = self.users[row["user_id"]]["email"]

    def student_ids(self) -> set[str]:
        return {row["user_id"] for row in self.snapshot.students}

    def build(self) -> CacheSnapshot:
        self.snapshot.users = list(self.users.values())
        return self.snapshot
