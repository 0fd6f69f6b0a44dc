"""The plan's intent: Classroom as it was before the commit, with every staged action applied once.

The oracle is the core tests' in-memory Classroom (``tests.core.classroom_model``), loaded
with the emulator's state from before the commit; the staged actions are applied to it
in plan order. Both it and the emulator's state after the commit are then reduced to
comparable views: courses keyed by their id when they existed before, else by
``new:<alias>``; pending guardian invitations counted per (student, guardian); links.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from littlesis.store.records import ActionRecord
from tests.core.classroom_model import ClassroomModel, Course

JsonDict = dict[str, Any]
PARTS = ("name", "section", "room", "heading", "description", "state", "owner", "aliases", "teachers", "students")


@dataclass
class View:
    courses: dict[str, tuple[Any, ...]]  # key -> the values named by PARTS
    pending: Counter[tuple[str, str]]  # (student, guardian) -> pending invitations
    guardians: set[tuple[str, str]]  # (student, guardian) links


def model_of(state: JsonDict) -> ClassroomModel:
    """GET /_emulator/state as the in-memory Classroom (users by lower-case e-mail, as plans name them)."""
    email = {u["id"]: u["emailAddress"].lower() for u in state["users"]}
    model = ClassroomModel()
    for c in state["courses"]:
        model.courses[c["id"]] = Course(
            c["id"], c["name"], email[c["ownerId"]], c["courseState"], c.get("section", ""), c.get("room", ""),
            c.get("descriptionHeading", ""), c.get("description", ""), set(c["aliases"]),
            {email[m["userId"]] for m in c["teachers"]}, {email[m["userId"]] for m in c["students"]})
    model.guardians = {(email[g["studentId"]], g["invitedEmailAddress"].lower()) for g in state["guardians"]}
    model.invitations = {g["invitationId"]: (email[g["studentId"]], g["invitedEmailAddress"].lower(), g["state"])
                         for g in state["guardianInvitations"]}
    return model


def intended(before: JsonDict, staged: Iterable[ActionRecord]) -> ClassroomModel:
    """The state before the commit with ``staged`` applied in plan order."""
    model = model_of(before)
    actions = list(staged)
    model.apply(pd.DataFrame({"kind": [a.kind for a in actions], "target": [a.target for a in actions],
                              "payload": [json.dumps(a.payload) for a in actions],
                              "position": [a.position for a in actions]}))
    return model


def view_of(model: ClassroomModel, known_ids: set[str]) -> View:
    courses = {}
    for c in model.courses.values():
        ours = sorted(a for a in c.aliases if a.startswith("d:"))
        key = c.id if c.id in known_ids else f"new:{ours[0] if ours else c.id}"
        courses[key] = (c.name, c.section, c.room, c.description_heading, c.description, c.state, c.owner,
                        sorted(c.aliases), sorted(c.teachers), sorted(c.students))
    pending = Counter((s, g) for s, g, state in model.invitations.values() if state == "PENDING")
    return View(courses, pending, set(model.guardians))


def differences(want: View, have: View, limit: int = 5) -> list[str]:
    """What differs between the intended and the actual view, at most ``limit`` lines."""
    out: list[str] = []
    for key in sorted(set(want.courses) | set(have.courses)):
        a, b = want.courses.get(key), have.courses.get(key)
        if a is None or b is None:
            out.append(f"course {key}: {'unexpected' if a is None else 'missing'}")
        elif a != b:
            parts = [i for i in range(len(PARTS)) if a[i] != b[i]]
            out.append(f"course {key} ({', '.join(a[7])}): {', '.join(PARTS[i] for i in parts)} differ: intended "
                       f"{ {PARTS[i]: a[i] for i in parts} }, found { {PARTS[i]: b[i] for i in parts} }")
    if want.pending != have.pending:
        out.append(f"pending guardian invitations: missing {sorted((want.pending - have.pending).elements())}, "
                   f"unexpected {sorted((have.pending - want.pending).elements())}")
    if want.guardians != have.guardians:
        out.append(f"guardian links differ: {sorted(want.guardians ^ have.guardians)}")
    return out[:limit] + ([f"... and {len(out) - limit} more"] if len(out) > limit else [])
