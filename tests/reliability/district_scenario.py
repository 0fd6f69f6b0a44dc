"""A small district drawn by seed: today's SIS export, and Classroom as yesterday's sync left it.

The sections come from ``bench/district.py`` (20 to 60 of them, a few students each);
then the seed decides what changed since yesterday, so the analysis of today's export
plans every kind of action:

- sections new today (create_course, add_student, add_teacher of a co-teacher),
- sections a teacher already made a course for by hand (link_course, or a suggested match),
- sections gone from the SIS (archive_course: the job synced them yesterday),
- a new primary teacher (add_teacher, then change_owner), a co-teacher gone (remove_teacher)
  or new (add_teacher), a renamed course or a moved room (update_course; a course name a
  teacher edited in Classroom is left alone),
- students moved (add_student, remove_student), students new to the district (they
  "appear" in Classroom on first use: the eventual-consistency fault bites them),
- guardians: linked, invited, changed (withdraw_guardian_invitation, invite_guardian).

Yesterday's Classroom is the emulator's start-up seed, so its users always existed;
what yesterday's sync wrote goes into the store as synced values.
"""

from __future__ import annotations

import csv
import random
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bench.district import generate
from tests.classroom.helpers import DOMAIN

JOB_ID = "reliability"
GUARDIANS = "families.example.net"
COLUMNS = ["SchoolID", "SchoolName", "CourseID", "CourseName", "SectionID", "Period", "Room", "Year", "TeacherEmail",
           "CoTeachers", "StudentID", "StudentFirstName", "StudentLastName", "StudentEmail", "GuardianEmail"]
JOB_YAML = f"""\
id: {JOB_ID}
name: Reliability district
source:
  preset: generic
  files:
    roster: roster.csv
mapping:
  class_alias: "{{SchoolID}}-{{CourseID}}-{{SectionID}}-{{Year}}"
  course_name: "{{CourseName}}"
  section: "Period {{Period}}"
  room: "{{Room}}"
  description_heading: "{{CourseName}} ({{Year}})"
  teacher_email: "{{TeacherEmail}}"
  co_teacher_emails: "{{CoTeachers}}"
  student_email: "{{StudentEmail}}"
  student_id: "{{StudentID}}"
  student_given_name: "{{StudentFirstName}}"
  student_family_name: "{{StudentLastName}}"
  guardian_emails: "{{GuardianEmail}}"
preferences:
  new_course_state: ACTIVE
  add_students: true
  remove_students: true
  add_teachers: true
  remove_teachers: true
  guardian_invitations: true
  archive_missing: true
  matching: {{link_at: 0.8, suggest_at: 0.5}}
"""


@dataclass(frozen=True)
class Student:
    email: str
    student_id: str
    first: str
    last: str
    guardians: tuple[str, ...]


@dataclass
class Section:
    school_id: str
    school_name: str
    course_id: str
    course_name: str
    section_id: str
    period: str
    room: str
    year: str
    teacher: str
    co_teachers: list[str] = field(default_factory=list)
    students: list[Student] = field(default_factory=list)

    @property
    def alias(self) -> str:
        return f"{self.school_id}-{self.course_id}-{self.section_id}-{self.year}"

    @property
    def heading(self) -> str:
        return f"{self.course_name} ({self.year})"

    def synced_values(self) -> list[tuple[str, str, str]]:
        """What a sync wrote to this section's course (the store's synced values)."""
        return [(self.alias, "course_name", self.course_name), (self.alias, "section", f"Period {self.period}"),
                (self.alias, "room", self.room), (self.alias, "description_heading", self.heading),
                (self.alias, "description", "")]


@dataclass
class Scenario:
    seed: int
    today: list[Section]  # the SIS export
    classroom: dict[str, Any]  # yesterday's Classroom: the emulator's start-up seed
    synced: list[tuple[str, str, str]]  # what yesterday's sync wrote
    pending_invitations: list[tuple[str, str]]  # (student, guardian) invitations yesterday left pending
    changes: Counter[str] = field(default_factory=Counter)  # what the seed changed, for reports

    def write(self, folder: Path) -> Path:
        """The export and the job config in ``folder``; returns the config's path."""
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / "roster.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            for s in self.today:
                for kid in s.students:
                    writer.writerow([s.school_id, s.school_name, s.course_id, s.course_name, s.section_id, s.period,
                                     s.room, s.year, s.teacher, "; ".join(s.co_teachers), kid.student_id, kid.first,
                                     kid.last, kid.email, "; ".join(kid.guardians)])
        config = folder / f"{JOB_ID}.yaml"
        config.write_text(JOB_YAML, encoding="utf-8")
        return config


def _sections(rng: random.Random, seed: int) -> list[Section]:
    """20 to 60 sections of the synthetic district, 3 to 7 students each."""
    rows = generate(students=rng.randint(60, 180), seed=seed).rows.sort_values(["SectionID", "StudentID"])
    by_section: dict[str, list[dict[str, str]]] = {}
    for row in rows.to_dict("records"):
        by_section.setdefault(row["SectionID"], []).append(row)
    sections: list[Section] = []
    for section_id, roster in by_section.items():
        first = roster[0]
        picked = sorted(rng.sample(range(len(roster)), k=min(len(roster), rng.randint(3, 7))))
        students = [Student(r["StudentEmail"], r["StudentID"], r["StudentFirstName"], r["StudentLastName"],
                            (r["GuardianEmail"],)) for r in (roster[i] for i in picked)]
        sections.append(Section(first["SchoolID"], first["SchoolName"], first["CourseID"], first["CourseName"],
                                section_id, first["Period"], first["Room"], first["Year"], first["TeacherEmail"],
                                [], students))
    return sections


def _course(section: Section, *, name: str | None = None, aliased: bool = True, section_text: str | None = None
            ) -> dict[str, Any]:
    teachers = [section.teacher, *section.co_teachers]
    return {"name": name or section.course_name, "section": f"Period {section.period}" if section_text is None
            else section_text, "room": section.room, "descriptionHeading": section.heading if aliased else "",
            "ownerEmail": section.teacher, "courseState": "ACTIVE",
            "aliases": [f"d:{section.alias}"] if aliased else [],
            "teacherEmails": teachers, "studentEmails": [s.email for s in section.students]}


def build(seed: int) -> Scenario:
    """Today's export and yesterday's Classroom for ``seed`` (deterministic)."""
    rng = random.Random(seed)
    sections = _sections(rng, seed)
    teachers = sorted({s.teacher for s in sections})
    everyone = sorted({k.email for s in sections for k in s.students})
    new_students = set(rng.sample(everyone, k=max(1, len(everyone) // 12)))
    changes: Counter[str] = Counter()
    today: list[Section] = []
    courses: list[dict[str, Any]] = []
    synced: list[tuple[str, str, str]] = []
    for section in sections:
        fate = rng.choices(["kept", "new", "teacher_made", "gone"], weights=[80, 8, 6, 6])[0]
        changes[fate] += 1
        if fate == "gone":  # synced yesterday, not in the SIS today: archived
            courses.append(_course(section))
            synced += section.synced_values()
            continue
        today.append(section)
        if fate == "new":
            if rng.random() < 0.4:
                section.co_teachers.append(f"co.{section.section_id}@{DOMAIN}")
                changes["co_teacher_added"] += 1
            continue
        if fate == "teacher_made":  # the teacher's own course: the same class under the teacher's name for it
            courses.append(_course(section, name=f"{section.course_name} - P{section.period}", aliased=False,
                             section_text=""))
            continue
        courses.append(_yesterday(section, rng, teachers, new_students, changes))
        synced += section.synced_values()
        _change_today(section, rng, teachers, changes)
    for course in courses:  # students new to the district were in no class yesterday
        course["studentEmails"] = [e for e in course["studentEmails"] if e not in new_students]
    known = {email for course in courses for email in course["studentEmails"]}
    guardians, pending = _guardians(today, rng, known, changes)
    changes["new_students"] = len(new_students)
    seed_json = {"domains": [DOMAIN], "auto_users": True, "guardians_enabled": True, "courses": courses,
                 "guardians": guardians}
    return Scenario(seed, today, seed_json, synced, pending, changes)


def _yesterday(section: Section, rng: random.Random, teachers: list[str], new_students: set[str],
               changes: Counter[str]) -> dict[str, Any]:
    """The course yesterday's sync left for a section kept today (before today's changes)."""
    course = _course(section)
    if rng.random() < 0.12:  # the SIS names another primary teacher today
        course["ownerEmail"] = rng.choice([t for t in teachers if t != section.teacher] or [f"old.t@{DOMAIN}"])
        course["teacherEmails"] = [course["ownerEmail"]]
        changes["owner_changed"] += 1
    if rng.random() < 0.1:  # a co-teacher who left
        course["teacherEmails"].append(f"former.{section.section_id}@{DOMAIN}")
        changes["co_teacher_removed"] += 1
    if rng.random() < 0.06:  # a teacher renamed the course in Classroom: the sync keeps that edit
        course["name"] = f"{section.course_name} with {section.teacher.split('.')[0].title()}"
        changes["teacher_edit"] += 1
    kids = [s for s in section.students if s.email not in new_students]
    dropped = rng.sample(kids, k=min(len(kids), rng.choice([0, 0, 1, 2])))  # enrolled since yesterday
    course["studentEmails"] = [s.email for s in kids if s not in dropped]
    changes["students_added"] += len(dropped)
    return course


def _change_today(section: Section, rng: random.Random, teachers: list[str], changes: Counter[str]) -> None:
    """What the SIS says differently today about a section Classroom has (yesterday's course is built)."""
    if rng.random() < 0.1:
        section.course_name += " (Honors)"
        changes["renamed"] += 1
    if rng.random() < 0.08:
        section.room = f"R{rng.randint(200, 299)}"
        changes["room_moved"] += 1
    if rng.random() < 0.1:
        section.co_teachers.append(rng.choice([t for t in teachers if t != section.teacher] or [f"co@{DOMAIN}"]))
        changes["co_teacher_added"] += 1
    leaving = rng.sample(section.students, k=min(len(section.students) - 1, rng.choice([0, 0, 1, 2])))
    section.students = [s for s in section.students if s not in leaving]
    changes["students_removed"] += len(leaving)


def _guardians(today: list[Section], rng: random.Random, known: set[str], changes: Counter[str]
               ) -> tuple[list[dict[str, str]], list[tuple[str, str]]]:
    """Yesterday's guardian links and pending invitations; today's guardians of each student."""
    links: list[dict[str, str]] = []
    pending: list[tuple[str, str]] = []
    wanted: dict[str, tuple[str, ...]] = {}
    for kid in sorted({k for s in today for k in s.students}, key=lambda k: k.email):
        guardians = kid.guardians
        fate = rng.choices(["linked", "invited", "changed", "second", "none"], weights=[40, 20, 10, 10, 20])[0]
        if kid.email not in known:
            fate = "none"
        changes[f"guardian_{fate}"] += 1
        if fate == "linked":
            links.append({"studentEmail": kid.email, "guardianEmail": guardians[0]})
        elif fate == "invited":
            pending.append((kid.email, guardians[0]))
        elif fate == "changed":  # invited yesterday, another guardian today
            pending.append((kid.email, f"old.{guardians[0]}"))
        elif fate == "second":
            links.append({"studentEmail": kid.email, "guardianEmail": guardians[0]})
            guardians = (*guardians, f"second.{kid.student_id}@{GUARDIANS}")
        wanted[kid.email] = guardians
    for section in today:
        section.students = [replace(k, guardians=wanted[k.email]) for k in section.students]
    return links, pending
