"""ClassroomClient wrappers for inventory tests: the real client over HTTP underneath, one twist on top.

They implement the ``ClassroomClient`` protocol (no mocks): every call still goes to the emulator
and is counted by the real client's ``CallCounter``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from littlesis.classroom import CallCounter, CallResult, ClassroomClient
from littlesis.classroom.protocol import Call

ROSTER_LISTS = ("courses.teachers.list", "courses.students.list")


def _without_email(member: dict[str, Any]) -> dict[str, Any]:
    profile = {k: v for k, v in (member.get("profile") or {}).items() if k != "emailAddress"}
    return {**member, "profile": profile}


class RostersWithoutEmails:
    """Roster listings come back without e-mail addresses (as when the profile.emails scope is missing)."""

    def __init__(self, inner: ClassroomClient) -> None:
        self.inner = inner

    @property
    def counter(self) -> CallCounter:
        return self.inner.counter

    def execute(self, calls: Sequence[Call]) -> list[CallResult]:
        out = []
        for result in self.inner.execute(calls):
            if result.call.method in ROSTER_LISTS and result.body:
                key = result.call.method.split(".")[1]
                body = {**result.body, key: [_without_email(m) for m in result.body.get(key, [])]}
                result = replace(result, body=body)
            out.append(result)
        return out

    def close(self) -> None:
        self.inner.close()


class AfterCourseList:
    """Runs ``action`` once, right after the first courses.list answer (e.g. a teacher deletes a course
    while the inventory is reading)."""

    def __init__(self, inner: ClassroomClient, action: Callable[[ClassroomClient], None]) -> None:
        self.inner = inner
        self.action: Callable[[ClassroomClient], None] | None = action

    @property
    def counter(self) -> CallCounter:
        return self.inner.counter

    def execute(self, calls: Sequence[Call]) -> list[CallResult]:
        results = self.inner.execute(calls)
        if self.action is not None and any(call.method == "courses.list" for call in calls):
            action, self.action = self.action, None
            action(self.inner)
        return results

    def close(self) -> None:
        self.inner.close()
