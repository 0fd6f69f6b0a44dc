"""The emulator's records and their JSON shapes (the discovery document's Course, Teacher, ...)."""

from __future__ import annotations

import base64
import hashlib
import re
import time
from dataclasses import dataclass, field
from typing import Any

JsonDict = dict[str, Any]

COURSE_STATES = ("ACTIVE", "ARCHIVED", "PROVISIONED", "DECLINED", "SUSPENDED")
INVITATION_ROLES = ("STUDENT", "TEACHER", "OWNER")
GUARDIAN_INVITATION_STATES = ("PENDING", "COMPLETE")


def rfc3339(epoch: float) -> str:
    """Google's timestamp form: UTC, milliseconds, trailing Z."""
    whole = int(epoch)
    millis = round((epoch - whole) * 1000) % 1000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{millis:03d}Z"


def stable_user_id(email: str) -> str:
    """A 21-digit numeric id derived from the e-mail, so ids survive resets and reseeds."""
    digest = int.from_bytes(hashlib.sha256(email.lower().encode()).digest()[:9], "big")
    return "1" + str(digest % 10**20).zfill(20)


def _short_hash(text: str, length: int) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:length]


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_")[:40] or "Course"


@dataclass(slots=True)
class User:
    id: str
    email: str
    given_name: str
    family_name: str
    external: bool  # outside the seeded domains: may be invited, never directly added
    appeared_at: float  # when the emulator first knew the user (-inf for startup seeds)

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2]


@dataclass(slots=True)
class Course:
    id: str
    seq: int
    name: str
    owner_id: str
    state: str
    creation_time: float
    update_time: float
    section: str = ""
    description_heading: str = ""
    description: str = ""
    room: str = ""
    subject: str = ""
    levels: str = ""
    ever_active: bool = False  # Drive folder and calendar exist once a course was ACTIVE
    aliases: dict[str, int] = field(default_factory=dict)  # alias -> creation sequence
    teachers: dict[str, int] = field(default_factory=dict)  # user id -> join sequence
    students: dict[str, int] = field(default_factory=dict)

    @property
    def member_count(self) -> int:
        return len(self.teachers) + len(self.students)


@dataclass(slots=True)
class Invitation:
    id: str
    seq: int
    user_id: str
    course_id: str
    role: str


@dataclass(slots=True)
class GuardianInvitation:
    id: str
    seq: int
    student_id: str
    invited_email: str
    state: str
    creation_time: float


@dataclass(slots=True)
class GuardianLink:
    seq: int
    student_id: str
    guardian_id: str
    invited_email: str


def profile_json(user: User) -> JsonDict:
    full = f"{user.given_name} {user.family_name}".strip()
    return {
        "id": user.id,
        "name": {"givenName": user.given_name, "familyName": user.family_name, "fullName": full},
        "emailAddress": user.email,
    }


def member_json(course_id: str, user: User) -> JsonDict:
    return {"courseId": course_id, "userId": user.id, "profile": profile_json(user)}


def course_json(course: Course, owner_domain: str, guardians_enabled: bool) -> JsonDict:
    """A Course with its read-only fields; empty optional strings are omitted, as Google does."""
    encoded_id = base64.b64encode(course.id.encode()).decode().rstrip("=")
    group_tag = _short_hash(course.id, 8)
    out: JsonDict = {"id": course.id, "name": course.name}
    for key, value in (
        ("section", course.section),
        ("descriptionHeading", course.description_heading),
        ("description", course.description),
        ("room", course.room),
        ("subject", course.subject),
        ("levels", course.levels),
    ):
        if value:
            out[key] = value
    out.update(
        {
            "ownerId": course.owner_id,
            "creationTime": rfc3339(course.creation_time),
            "updateTime": rfc3339(course.update_time),
            "enrollmentCode": _short_hash("enroll" + course.id, 7),
            "courseState": course.state,
            "alternateLink": f"https://classroom.google.com/c/{encoded_id}",
            "teacherGroupEmail": f"{_slug(course.name)}_teachers_{group_tag}@{owner_domain}",
            "courseGroupEmail": f"{_slug(course.name)}_{group_tag}@{owner_domain}",
            "guardiansEnabled": guardians_enabled,
            "gradebookSettings": {"calculationType": "TOTAL_POINTS", "displaySetting": "HIDE_OVERALL_GRADE"},
        }
    )
    if course.ever_active:
        folder_id = "0B" + _short_hash("folder" + course.id, 26)
        out["teacherFolder"] = {
            "id": folder_id,
            "title": course.name,
            "alternateLink": f"https://drive.google.com/drive/folders/{folder_id}",
        }
        out["calendarId"] = f"classroom{_short_hash('cal' + course.id, 12)}@group.calendar.google.com"
    return out


def invitation_json(invitation: Invitation) -> JsonDict:
    return {
        "id": invitation.id,
        "userId": invitation.user_id,
        "courseId": invitation.course_id,
        "role": invitation.role,
    }


def guardian_invitation_json(invitation: GuardianInvitation) -> JsonDict:
    return {
        "studentId": invitation.student_id,
        "invitationId": invitation.id,
        "invitedEmailAddress": invitation.invited_email,
        "state": invitation.state,
        "creationTime": rfc3339(invitation.creation_time),
    }


def guardian_json(link: GuardianLink, guardian: User) -> JsonDict:
    return {
        "studentId": link.student_id,
        "guardianId": link.guardian_id,
        "guardianProfile": profile_json(guardian),
        "invitedEmailAddress": link.invited_email,
    }
