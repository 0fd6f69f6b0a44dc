"""Request-body field names per discovery schema, so unknown fields fail as they do at Google.

Google rejects a JSON body naming a field its schema lacks ("Unknown name ... Cannot
find field"); catching that here catches client typos. A test checks these sets
against the bundled discovery document.
"""

from __future__ import annotations

from typing import Any

from littlesis.emulator import errors

SCHEMA_FIELDS: dict[str, frozenset[str]] = {
    "Course": frozenset(
        {
            "alternateLink", "calendarId", "courseGroupEmail", "courseMaterialSets", "courseState", "creationTime",
            "description", "descriptionHeading", "enrollmentCode", "gradebookSettings", "guardiansEnabled", "id",
            "levels", "name", "ownerId", "room", "section", "subject", "teacherFolder", "teacherGroupEmail",
            "updateTime",
        }
    ),
    "CourseAlias": frozenset({"alias"}),
    "Teacher": frozenset({"courseId", "profile", "userId"}),
    "Student": frozenset({"courseId", "profile", "studentWorkFolder", "userId"}),
    "Invitation": frozenset({"courseId", "id", "role", "userId"}),
    "GuardianInvitation": frozenset({"creationTime", "invitationId", "invitedEmailAddress", "state", "studentId"}),
}

# Google names the request message in the error, in lower camel case.
_MESSAGE_NAMES = {
    "Course": "course",
    "CourseAlias": "course_alias",
    "Teacher": "teacher",
    "Student": "student",
    "Invitation": "invitation",
    "GuardianInvitation": "guardian_invitation",
}


def check_body(body: Any, schema: str) -> dict[str, Any]:
    """The body as a dict, or INVALID_ARGUMENT for a non-object or an unknown field."""
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise errors.invalid_argument("Invalid JSON payload received. Expected an object.")
    known = SCHEMA_FIELDS[schema]
    for name in body:
        if name not in known:
            raise errors.unknown_body_field(name, _MESSAGE_NAMES[schema])
    return body


def string_field(body: dict[str, Any], name: str, max_len: int | None = None) -> str | None:
    """A string field's value (None when absent), INVALID_ARGUMENT for a wrong type or length."""
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise errors.invalid_argument(f"Invalid value at '{name}': expected a string.")
    if max_len is not None and len(value) > max_len:
        raise errors.invalid_argument(f"{name} must be at most {max_len} characters.")
    return value
