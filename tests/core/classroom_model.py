"""A small in-memory Classroom for core tests: applies plan actions with Classroom's rules.

It is a real implementation of the few semantics a plan relies on (aliases on
create, the owner is a teacher, a new owner must be a co-teacher, no member
twice), so "apply the plan, then analyze again" can be tested without HTTP.
The emulator over real HTTP covers the same ground end to end (tests/e2e).
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field

import pandas as pd

from littlesis.core.classroom_state import ClassroomState


@dataclass
class Course:
    id: str
    name: str
    owner: str
    state: str = "PROVISIONED"
    section: str = ""
    room: str = ""
    description_heading: str = ""
    description: str = ""
    aliases: set[str] = field(default_factory=set)
    teachers: set[str] = field(default_factory=set)
    students: set[str] = field(default_factory=set)


class ClassroomModel:
    def __init__(self) -> None:
        self.courses: dict[str, Course] = {}
        self.guardians: set[tuple[str, str]] = set()
        self.invitations: dict[str, tuple[str, str, str]] = {}  # id -> (student, guardian, state)
        self._ids = itertools.count(1000)

    def add_course(self, name: str, owner: str, *, aliases: tuple[str, ...] = (), students: tuple[str, ...] = (),
                   teachers: tuple[str, ...] = (), state: str = "ACTIVE", section: str = "") -> Course:
        course = Course(str(next(self._ids)), name, owner, state, section=section, aliases=set(aliases),
                        teachers={owner, *teachers}, students=set(students))
        self.courses[course.id] = course
        return course

    def course(self, ref: str) -> Course:
        if ref in self.courses:
            return self.courses[ref]
        for course in self.courses.values():
            if ref in course.aliases:
                return course
        raise KeyError(ref)

    def apply(self, actions: pd.DataFrame) -> None:
        for action in actions.sort_values("position").itertuples():
            payload = json.loads(action.payload)
            getattr(self, f"_{action.kind}")(action.target, payload)

    def _create_course(self, target: str, p: dict) -> None:
        assert all(target not in c.aliases for c in self.courses.values()), f"alias {target} on two courses"
        course = self.add_course(p["name"], p["ownerId"], aliases=(p["id"],), state=p.get("courseState", "PROVISIONED"),
                                 section=p.get("section", ""))
        course.room = p.get("room", "")
        course.description_heading = p.get("descriptionHeading", "")
        course.description = p.get("description", "")

    def _link_course(self, target: str, p: dict) -> None:
        self.courses[p["courseId"]].aliases.add(p["alias"])

    def _update_course(self, target: str, p: dict) -> None:
        course = self.course(target)
        names = {"name": "name", "section": "section", "room": "room", "descriptionHeading": "description_heading",
                 "description": "description"}
        for key, value in p["course"].items():
            setattr(course, names[key], value)

    def _add_teacher(self, target: str, p: dict) -> None:
        course = self.course(target)
        assert p["userId"] not in course.teachers and p["userId"] not in course.students
        course.teachers.add(p["userId"])

    def _remove_teacher(self, target: str, p: dict) -> None:
        course = self.course(target)
        assert p["userId"] != course.owner
        course.teachers.remove(p["userId"])

    def _change_owner(self, target: str, p: dict) -> None:
        course = self.course(target)
        assert p["ownerId"] in course.teachers, "IneligibleOwner: the new owner must be a co-teacher"
        course.owner = p["ownerId"]

    def _add_student(self, target: str, p: dict) -> None:
        course = self.course(target)
        assert p["userId"] not in course.students and p["userId"] not in course.teachers
        course.students.add(p["userId"])

    def _remove_student(self, target: str, p: dict) -> None:
        self.course(target).students.remove(p["userId"])

    def _invite_guardian(self, target: str, p: dict) -> None:
        pair = (p["studentId"], p["invitedEmailAddress"])
        assert pair not in self.guardians
        assert all((s, g) != pair or state != "PENDING" for s, g, state in self.invitations.values())
        self.invitations[str(next(self._ids))] = (*pair, "PENDING")

    def _withdraw_guardian_invitation(self, target: str, p: dict) -> None:
        student, guardian, _ = self.invitations[p["invitationId"]]
        self.invitations[p["invitationId"]] = (student, guardian, "COMPLETE")

    def _archive_course(self, target: str, p: dict) -> None:
        self.course(target).state = "ARCHIVED"

    def state(self) -> ClassroomState:
        users = sorted({e for c in self.courses.values() for e in (*c.teachers, *c.students)}
                       | {s for s, _ in self.guardians} | {s for s, _, _ in self.invitations.values()})
        return ClassroomState.from_rows({
            "users": [{"user_id": u, "email": u} for u in users],
            "courses": [{"course_id": c.id, "name": c.name, "section": c.section, "room": c.room,
                         "description_heading": c.description_heading, "description": c.description,
                         "owner_id": c.owner, "course_state": c.state} for c in self.courses.values()],
            "aliases": [{"course_id": c.id, "alias": a} for c in self.courses.values() for a in c.aliases],
            "teachers": [{"course_id": c.id, "user_id": t, "email": t} for c in self.courses.values()
                         for t in c.teachers],
            "students": [{"course_id": c.id, "user_id": s, "email": s} for c in self.courses.values()
                         for s in c.students],
            "guardians": [{"student_id": s, "invited_email": g} for s, g in self.guardians],
            "guardian_invitations": [{"student_id": s, "invited_email": g, "state": st, "invitation_id": i}
                                     for i, (s, g, st) in self.invitations.items()],
        })
