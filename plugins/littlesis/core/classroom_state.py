"""What Classroom holds (as our cache knows it), in the long-form tables the analysis reads.

Built from plain rows (the store's cache, or the emulator's state in tests), so
the core never touches a database or an HTTP client. E-mail addresses are
lower-cased; our class aliases are the ``d:`` domain aliases without the prefix.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from littlesis.core.coded import isin

DOMAIN_ALIAS_PREFIX = "d:"

COURSE_COLUMNS = ["course_id", "name", "section", "room", "description_heading", "description", "owner_email",
                  "course_state"]


def _frame(rows: Iterable[Mapping[str, Any]], columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows), columns=columns)
    return frame.astype({c: "str" for c in columns}).fillna("") if len(frame) else pd.DataFrame(
        {c: pd.Series(dtype="str") for c in columns})


@dataclass
class ClassroomState:
    courses: pd.DataFrame  # COURSE_COLUMNS
    aliases: pd.DataFrame  # course_id, alias (our alias, no "d:")
    teachers: pd.DataFrame  # course_id, email
    students: pd.DataFrame  # course_id, email
    guardians: pd.DataFrame  # student_email, guardian_email
    invitations: pd.DataFrame  # student_email, guardian_email, state, invitation_id

    @classmethod
    def empty(cls) -> ClassroomState:
        return cls.from_rows({})

    @classmethod
    def from_rows(cls, parts: Mapping[str, Iterable[Mapping[str, Any]]]) -> ClassroomState:
        """From cache rows: courses, aliases, teachers, students, users, guardians, guardian_invitations
        (the store's column names: course_id, user_id, email, owner_id, course_state, student_id, ...)."""
        users = _frame(parts.get("users", []), ["user_id", "email"])
        email_of = dict(zip(users["user_id"], users["email"].str.lower(), strict=True))

        def emails(ids: pd.Series) -> pd.Series:
            found = ids.map(email_of)
            return found.astype(object).where(found.notna(), "").astype("str")

        members = {}
        for role in ("teachers", "students"):
            frame = _frame(parts.get(role, []), ["course_id", "user_id", "email"])
            known = frame["email"].where(frame["email"] != "", emails(frame["user_id"]))
            members[role] = pd.DataFrame({"course_id": frame["course_id"], "email": known.str.lower()})
            email_of.update(zip(frame["user_id"], members[role]["email"], strict=True))
        courses = _frame(parts.get("courses", []), ["course_id", "name", "section", "room", "description_heading",
                                                     "description", "owner_id", "course_state"])
        courses["owner_email"] = emails(courses["owner_id"])
        aliases = _frame(parts.get("aliases", []), ["course_id", "alias"])
        ours = aliases[aliases["alias"].str.startswith(DOMAIN_ALIAS_PREFIX)]
        guardians = _frame(parts.get("guardians", []), ["student_id", "invited_email"])
        invitations = _frame(parts.get("guardian_invitations", []),
                             ["student_id", "invited_email", "state", "invitation_id"])
        return cls(
            courses=courses[COURSE_COLUMNS].reset_index(drop=True),
            aliases=pd.DataFrame({"course_id": ours["course_id"].to_numpy(),
                                  "alias": ours["alias"].str.slice(len(DOMAIN_ALIAS_PREFIX)).to_numpy()}),
            teachers=members["teachers"],
            students=members["students"],
            guardians=pd.DataFrame({"student_email": emails(guardians["student_id"]),
                                    "guardian_email": guardians["invited_email"].str.lower()}),
            invitations=pd.DataFrame({
                "student_email": emails(invitations["student_id"]),
                "guardian_email": invitations["invited_email"].str.lower(),
                "state": invitations["state"],
                "invitation_id": invitations["invitation_id"],
            }),
        )

    def course_of_alias(self) -> pd.Series:
        """course_id indexed by our alias (each alias is on one course at most)."""
        return pd.Series(self.aliases["course_id"].to_numpy(), index=self.aliases["alias"].to_numpy())

    def teacher_created(self) -> pd.DataFrame:
        """Courses carrying no domain alias: what teachers made by hand (candidates for linking)."""
        return self.courses[~isin(self.courses["course_id"], self.aliases["course_id"])]
