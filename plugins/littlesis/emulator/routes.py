"""URL + HTTP method -> method id and handler, for the Classroom v1 methods emulated.

Paths match segment by segment on the raw (still percent-encoded) path, then each
parameter is decoded, so ``/v1/courses/d%3ASIS-1`` names the alias ``d:SIS-1``.
Query parameters a method doesn't declare are refused as Google refuses them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from littlesis.emulator import courses, guardians, invitations, rosters
from littlesis.emulator.request import ApiRequest
from littlesis.emulator.state import ClassroomState

Handler = Callable[[ClassroomState, ApiRequest], dict[str, Any]]

GLOBAL_QUERY = frozenset(
    {"$.xgafv", "access_token", "alt", "callback", "fields", "key", "oauth_token", "prettyPrint", "quotaUser",
     "uploadType", "upload_protocol"}
)
_PAGED = frozenset({"pageSize", "pageToken"})


@dataclass(frozen=True, slots=True)
class Route:
    http_method: str
    template: str  # relative to /v1/
    method_id: str
    handler: Handler
    query: frozenset[str]
    segments: tuple[str, ...]

    @property
    def writes(self) -> bool:
        return self.http_method != "GET"


def _r(method: str, template: str, method_id: str, handler: Handler, *query: str) -> Route:
    return Route(method, template, method_id, handler, frozenset(query), tuple(template.split("/")))


ROUTES: tuple[Route, ...] = (
    _r("POST", "courses", "courses.create", courses.create),
    _r("GET", "courses", "courses.list", courses.list_, "courseStates", "studentId", "teacherId", *_PAGED),
    _r("GET", "courses/{id}", "courses.get", courses.get),
    _r("PATCH", "courses/{id}", "courses.patch", courses.patch, "updateMask"),
    _r("PUT", "courses/{id}", "courses.update", courses.update),
    _r("DELETE", "courses/{id}", "courses.delete", courses.delete),
    _r("POST", "courses/{courseId}/aliases", "courses.aliases.create", courses.alias_create),
    _r("GET", "courses/{courseId}/aliases", "courses.aliases.list", courses.alias_list, *_PAGED),
    _r("DELETE", "courses/{courseId}/aliases/{alias}", "courses.aliases.delete", courses.alias_delete),
    _r("POST", "courses/{courseId}/students", "courses.students.create", rosters.student_create, "enrollmentCode"),
    _r("GET", "courses/{courseId}/students", "courses.students.list", rosters.student_list, *_PAGED),
    _r("GET", "courses/{courseId}/students/{userId}", "courses.students.get", rosters.student_get),
    _r("DELETE", "courses/{courseId}/students/{userId}", "courses.students.delete", rosters.student_delete),
    _r("POST", "courses/{courseId}/teachers", "courses.teachers.create", rosters.teacher_create),
    _r("GET", "courses/{courseId}/teachers", "courses.teachers.list", rosters.teacher_list, *_PAGED),
    _r("GET", "courses/{courseId}/teachers/{userId}", "courses.teachers.get", rosters.teacher_get),
    _r("DELETE", "courses/{courseId}/teachers/{userId}", "courses.teachers.delete", rosters.teacher_delete),
    _r("POST", "invitations", "invitations.create", invitations.create),
    _r("GET", "invitations", "invitations.list", invitations.list_, "courseId", "userId", *_PAGED),
    _r("GET", "invitations/{id}", "invitations.get", invitations.get),
    _r("DELETE", "invitations/{id}", "invitations.delete", invitations.delete),
    _r("POST", "invitations/{id}:accept", "invitations.accept", invitations.accept),
    _r("GET", "userProfiles/{userId}", "userProfiles.get", guardians.profile_get),
    _r("POST", "userProfiles/{studentId}/guardianInvitations", "userProfiles.guardianInvitations.create",
       guardians.invitation_create),
    _r("GET", "userProfiles/{studentId}/guardianInvitations", "userProfiles.guardianInvitations.list",
       guardians.invitation_list, "invitedEmailAddress", "states", *_PAGED),
    _r("GET", "userProfiles/{studentId}/guardianInvitations/{invitationId}", "userProfiles.guardianInvitations.get",
       guardians.invitation_get),
    _r("PATCH", "userProfiles/{studentId}/guardianInvitations/{invitationId}",
       "userProfiles.guardianInvitations.patch", guardians.invitation_patch, "updateMask"),
    _r("GET", "userProfiles/{studentId}/guardians", "userProfiles.guardians.list", guardians.guardian_list,
       "invitedEmailAddress", *_PAGED),
    _r("GET", "userProfiles/{studentId}/guardians/{guardianId}", "userProfiles.guardians.get",
       guardians.guardian_get),
    _r("DELETE", "userProfiles/{studentId}/guardians/{guardianId}", "userProfiles.guardians.delete",
       guardians.guardian_delete),
)

METHOD_IDS: tuple[str, ...] = tuple(route.method_id for route in ROUTES)

_INDEX: dict[tuple[str, int], list[Route]] = {}
for _route in ROUTES:
    _INDEX.setdefault((_route.http_method, len(_route.segments)), []).append(_route)


def _match_segment(pattern: str, raw: str, params: dict[str, str]) -> bool:
    if not pattern.startswith("{"):
        return pattern == raw
    name, _, verb = pattern[1:].partition("}")
    if verb:  # "{id}:accept"
        if not raw.endswith(verb) or len(raw) == len(verb):
            return False
        raw = raw[: -len(verb)]
    if not raw:
        return False
    params[name] = unquote(raw)
    return True


def match(http_method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The route for ``path`` (starting with "/v1/") and its decoded parameters."""
    if not path.startswith("/v1/"):
        return None
    raw_segments = path[4:].split("/")
    for route in _INDEX.get((http_method, len(raw_segments)), ()):
        params: dict[str, str] = {}
        if all(_match_segment(p, raw, params) for p, raw in zip(route.segments, raw_segments, strict=True)):
            return route, params
    return None
