"""What a cache refresh did: rows written, calls made, time taken, and what went wrong where.

One bad course never raises: its error is a ``RefreshError`` here, classified by what it
means for the cache. Only a failure to list the courses at all raises ``InventoryError``
(then nothing was written).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from littlesis.classroom.counter import CallCounts
from littlesis.classroom.errors import ClassroomError
from littlesis.classroom.protocol import TRANSPORT, ApiErrorInfo


class InventoryError(ClassroomError):
    """The refresh could not start (the course list failed); the cache was left as it was."""


def error_category(error: ApiErrorInfo) -> str:
    """gone (404), denied (403), throttled (429), unavailable (5xx, no answer), invalid (400), failed."""
    if error.status_code == 404:
        return "gone"
    if error.status_code == 403:
        return "denied"
    if error.status_code == 429:
        return "throttled"
    if error.status_code >= 500 or error.status == TRANSPORT:
        return "unavailable"
    if error.status_code == 400:
        return "invalid"
    return "failed"


@dataclass(frozen=True, slots=True)
class RefreshError:
    """``subject``: the course id or reference (or a student id, or "domain" for the guardian lists);
    ``part``: what failed to read (aliases, teachers, students, course, guardians, ...);
    ``kept_rows``: cache rows kept from the previous refresh in place of the unreadable part."""

    subject: str
    part: str
    error: ApiErrorInfo
    kept_rows: int = 0

    @property
    def category(self) -> str:
        return error_category(self.error)

    def describe(self) -> str:
        kept = f" (kept {self.kept_rows} cached rows)" if self.kept_rows else ""
        return f"{self.subject} {self.part}: {self.category}: {self.error.describe()}{kept}"


@dataclass
class RefreshReport:
    domain: str
    kind: str  # "full", "courses" or "guardians"
    courses: int = 0
    aliases: int = 0
    teachers: int = 0
    students: int = 0
    users: int = 0
    guardian_invitations: int = 0
    guardians: int = 0
    course_pages: int = 0
    removed_courses: list[str] = field(default_factory=list)
    guardians_enabled: bool | None = None  # None: not read
    guardian_scope: str = "all"  # "all": studentId "-" lists; "per_student": two lists per student
    counts: CallCounts = field(default_factory=CallCounts)
    seconds: float = 0.0
    errors: list[RefreshError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def memberships(self) -> int:
        return self.teachers + self.students

    @property
    def guardian_rows(self) -> int:
        return self.guardian_invitations + self.guardians

    @property
    def calls(self) -> dict[str, int]:
        """Logical calls by method (retries not included; see ``counts.attempts``)."""
        return dict(self.counts.calls)

    @property
    def total_calls(self) -> int:
        return self.counts.total_calls

    @property
    def http_requests(self) -> int:
        return self.counts.http_requests

    @property
    def courses_per_second(self) -> float:
        return self.courses / self.seconds if self.seconds > 0 else 0.0

    @property
    def ok(self) -> bool:
        return not self.errors

    def errors_by_category(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for error in self.errors:
            out[error.category] = out.get(error.category, 0) + 1
        return out

    def summary(self) -> str:
        removed = f", {len(self.removed_courses)} removed" if self.removed_courses else ""
        problems = f", {len(self.errors)} errors {self.errors_by_category()}" if self.errors else ""
        return (f"{self.kind} refresh of {self.domain}: {self.courses} courses{removed}, {self.memberships} "
                f"memberships, {self.users} users, {self.guardian_rows} guardian rows; {self.total_calls} calls "
                f"in {self.http_requests} HTTP requests, {self.seconds:.2f} s{problems}")

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able data (for an XCom or the run record)."""
        return {
            "domain": self.domain, "kind": self.kind, "courses": self.courses, "aliases": self.aliases,
            "teachers": self.teachers, "students": self.students, "users": self.users,
            "guardian_invitations": self.guardian_invitations, "guardians": self.guardians,
            "course_pages": self.course_pages, "removed_courses": list(self.removed_courses),
            "guardians_enabled": self.guardians_enabled, "guardian_scope": self.guardian_scope,
            "calls": self.calls, "retries": self.counts.retries, "http_requests": self.http_requests,
            "seconds": round(self.seconds, 3),
            "errors": [{"subject": e.subject, "part": e.part, "category": e.category, "message": e.error.describe(),
                        "kept_rows": e.kept_rows} for e in self.errors],
            "notes": list(self.notes),
        }
