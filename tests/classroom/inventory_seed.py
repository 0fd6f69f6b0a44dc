"""A synthetic Classroom domain for inventory tests and ``bench/inventory_refresh.py``, and the cache it
should turn into.

``district_seed(courses, memberships)`` is emulator seed JSON with exactly that many courses and
memberships (teachers + students), deterministic for a given ``seed``: every course state, courses
without an alias and with two, empty optional fields, names with accents and quotes, a few rosters
longer than one page (the emulator answers 30 members a page), empty courses, and guardians linked
to some students (one to a student in no course: the cache leaves that one out).

``expected_cache(state)`` is what the cache must hold after a full refresh, built from
``GET /_emulator/state`` independently of the inventory's own mapping, every part sorted by its
key so it compares with ``sorted_cache(read_cache(...))``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

JsonDict = dict[str, Any]

STATES = ("ACTIVE",) * 14 + ("ARCHIVED", "ARCHIVED", "PROVISIONED", "PROVISIONED", "DECLINED", "SUSPENDED")
GIVEN = ["Zoë", "Liam", "Mia", "Noah", "José", "Ethan", "Ivy", "Lucas", "Ruby", "Mateo", "Nora", "Owen"]
FAMILY = ["O'Brien", "Smith", "Nguyễn", "Johnson", "Patel", "Brown", "Kim", "López", "Okafor", "Miller"]
SUBJECTS = ["Algebra I", "Biology", "World History", "English 9", "Spanish I", "Physics", "Art", "Música"]
KEYS: dict[str, tuple[str, ...]] = {
    "courses": ("course_id",),
    "aliases": ("alias",),
    "teachers": ("course_id", "user_id"),
    "students": ("course_id", "user_id"),
    "users": ("user_id",),
    "guardian_invitations": ("student_id", "invitation_id"),
    "guardians": ("student_id", "guardian_id"),
}


def _roster_sizes(rng: random.Random, courses: int, students: int) -> list[int]:
    """Students per course summing to ``students``: mostly 15-30, every 40th course long, a few empty."""
    sizes = [0 if i % 97 == 5 else (rng.randint(31, 95) if i % 40 == 7 else rng.randint(15, 30))
             for i in range(courses)]
    adjustable = [i for i in range(courses) if 0 < sizes[i] <= 30]
    total = sum(sizes)
    while total != students and adjustable:
        i = rng.choice(adjustable)
        step = 1 if total < students else -1
        if 1 <= sizes[i] + step <= 30:
            sizes[i] += step
            total += step
    if total != students:
        raise ValueError(f"cannot spread {students} students over {courses} courses")
    return sizes


def district_seed(courses: int = 2000, memberships: int = 50_000, *, domain: str = "district.example.org",
                  seed: int = 11, guardians: int = 400) -> JsonDict:
    rng = random.Random(seed)
    teacher_pool = max(1, courses // 5)
    student_pool = max(120, memberships // 5)
    co_taught = [i % 10 == 3 and teacher_pool > 1 for i in range(courses)]
    sizes = _roster_sizes(rng, courses, memberships - courses - sum(co_taught))
    if max(sizes, default=0) > student_pool:
        raise ValueError("too few students for the longest roster")

    def teacher(n: int) -> str:
        return f"t{n}@{domain}"

    def student(n: int) -> str:
        return f"s{n}.kid@{domain}"

    users = [{"email": teacher(n), "givenName": GIVEN[n % len(GIVEN)], "familyName": FAMILY[n % len(FAMILY)]}
             for n in range(teacher_pool)]
    # Every third student has a name of record; the others get the emulator's names from the address.
    users += [{"email": student(n), "givenName": GIVEN[n % len(GIVEN)], "familyName": FAMILY[(n // 3) % 10]}
              for n in range(0, student_pool, 3)]
    out = []
    for i in range(courses):
        owner = i % teacher_pool
        subject = SUBJECTS[i % len(SUBJECTS)]
        course: JsonDict = {
            "name": f"{subject} {i}" if i % 9 else f"{subject} — \"Période\" {i}",
            "ownerEmail": teacher(owner),
            "courseState": STATES[i % len(STATES)],
            "aliases": [] if i % 20 == 9 else [f"d:SIS-{i:05d}"] + ([f"p:import-{i}"] if i % 25 == 4 else []),
            "teacherEmails": [teacher((owner + 1) % teacher_pool)] if co_taught[i] else [],
            "studentEmails": [student(n) for n in rng.sample(range(student_pool), sizes[i])],
        }
        if i % 6:
            course["section"] = f"Period {i % 7 + 1}"
        if i % 4:
            course["room"] = f"R{100 + i % 250}"
        if i % 5 == 0:
            course["descriptionHeading"] = f"Welcome to {subject}"
            course["description"] = f"Line one of {i}.\nLine two: ünïcödé & <tags>."
        out.append(course)
    enrolled = sorted({n for c in out for n in c["studentEmails"]})
    links = [{"studentEmail": email, "guardianEmail": f"parent{k}.{email.split('@')[0]}@family.example.net"}
             for email in rng.sample(enrolled, min(guardians, len(enrolled))) for k in range(1 + (len(email) % 2))]
    links.append({"studentEmail": f"unenrolled@{domain}", "guardianEmail": "parent.unenrolled@family.example.net"})
    return {"domains": [domain], "auto_users": True, "guardians_enabled": True, "users": users,
            "courses": out, "guardians": links}


def memberships_of(state: Mapping[str, Any]) -> int:
    return sum(len(c["teachers"]) + len(c["students"]) for c in state["courses"])


def sorted_rows(part: str, rows: list[JsonDict]) -> list[JsonDict]:
    keys = KEYS[part]
    return sorted(rows, key=lambda row: tuple(row[k] for k in keys))


def sorted_cache(parts: Mapping[str, list[JsonDict]]) -> dict[str, list[JsonDict]]:
    """Every part in Python's key order (the database's collation may order text differently)."""
    return {part: sorted_rows(part, list(parts[part])) for part in KEYS}


def expected_cache(state: Mapping[str, Any]) -> dict[str, list[JsonDict]]:
    """The cache rows /_emulator/state calls for: users are the course members, guardian rows those of
    enrolled students (the API lists neither other users nor students' e-mails outside rosters)."""
    parts: dict[str, list[JsonDict]] = {part: [] for part in KEYS}
    members: set[str] = set()
    students: set[str] = set()
    for course in state["courses"]:
        parts["courses"].append({
            "course_id": course["id"], "name": course.get("name"), "section": course.get("section"),
            "room": course.get("room"), "description_heading": course.get("descriptionHeading"),
            "description": course.get("description"), "owner_id": course.get("ownerId"),
            "course_state": course.get("courseState"), "creation_time": course.get("creationTime"),
            "update_time": course.get("updateTime"), "alternate_link": course.get("alternateLink"),
        })
        parts["aliases"] += [{"alias": alias, "course_id": course["id"]} for alias in course["aliases"]]
        for role in ("teachers", "students"):
            for member in course[role]:
                parts[role].append({"course_id": course["id"], "user_id": member["userId"],
                                    "email": member["emailAddress"]})
                members.add(member["userId"])
        students.update(m["userId"] for m in course["students"])
    parts["users"] = [{"user_id": u["id"], "email": u["emailAddress"], "given_name": u["name"]["givenName"],
                       "family_name": u["name"]["familyName"]} for u in state["users"] if u["id"] in members]
    parts["guardian_invitations"] = [
        {"student_id": g["studentId"], "invitation_id": g["invitationId"], "invited_email": g["invitedEmailAddress"],
         "state": g["state"], "creation_time": g["creationTime"]}
        for g in state["guardianInvitations"] if g["studentId"] in students]
    parts["guardians"] = [{"student_id": g["studentId"], "guardian_id": g["guardianId"],
                           "invited_email": g["invitedEmailAddress"]}
                          for g in state["guardians"] if g["studentId"] in students]
    return sorted_cache(parts)
