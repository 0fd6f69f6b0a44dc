"""Reading guardian invitations and guardians for the inventory, and what their errors mean.

Two ways to ask, both documented in the discovery document:
- ``"all"``: ``studentId "-"`` lists every student's invitations and guardians (domain admins
  only): a few pages for the whole domain, sent in the same batch as the first courses.list page;
- ``"per_student"``: one guardianInvitations.list and one guardians.list per student.

A 403 on a "-" list (or on every per-student list) means guardians are disabled for the domain
(or the caller is no admin): nothing is recorded and the report says so. Any other failure keeps
the cache's previous rows for what could not be read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from littlesis.classroom import calls
from littlesis.classroom.inventory_report import RefreshError
from littlesis.classroom.inventory_rows import Row, guardian_invitation_row, guardian_row
from littlesis.classroom.operations import GUARDIAN_INVITATION_STATES
from littlesis.classroom.paging import ListResult
from littlesis.classroom.protocol import Call

GuardianScope = Literal["all", "per_student"]
PARTS = ("guardian_invitations", "guardians")
ALL_STUDENTS = "-"


def domain_calls() -> list[Call]:
    """Every student's guardian invitations (PENDING and COMPLETE) and guardians."""
    return [calls.list_guardian_invitations(ALL_STUDENTS, GUARDIAN_INVITATION_STATES),
            calls.list_guardians(ALL_STUDENTS)]


def student_calls(student_ids: Sequence[str]) -> list[Call]:
    """Per student: its invitations, then its guardians."""
    out: list[Call] = []
    for student_id in student_ids:
        out += [calls.list_guardian_invitations(student_id, GUARDIAN_INVITATION_STATES),
                calls.list_guardians(student_id)]
    return out


@dataclass
class GuardianRead:
    """The rows read; ``keep`` names, per part, the students whose previous rows stay (None: every
    student's). ``enabled`` None: nothing was asked."""

    enabled: bool | None
    invitations: list[Row] = field(default_factory=list)
    guardians: list[Row] = field(default_factory=list)
    keep: dict[str, set[str] | None] = field(default_factory=dict)
    errors: list[RefreshError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def interpret(results: Sequence[ListResult]) -> GuardianRead:
    """``results``: answers to ``domain_calls()`` or ``student_calls(...)``, in their order."""
    if not results:
        return GuardianRead(None)
    if all(r.error is not None and r.error.status_code == 403 for r in results):
        message = results[0].error.describe() if results[0].error else ""
        return GuardianRead(False, notes=[f"guardians not read: 403 ({message}); guardians are disabled for "
                                          "the domain or the caller is no domain admin, nothing recorded"])
    read = GuardianRead(True)
    for index, result in enumerate(results):
        part = PARTS[index % 2]
        student = result.call.path.get("studentId", ALL_STUDENTS)
        if result.error is not None:
            if result.error.status_code != 404:  # 404: the student is gone, and so are its guardian rows
                keep = read.keep.setdefault(part, set())
                if student == ALL_STUDENTS:
                    read.keep[part] = None
                elif keep is not None:
                    keep.add(student)
            read.errors.append(RefreshError(student, part, result.error))
        elif part == "guardian_invitations":
            read.invitations += [guardian_invitation_row(item) for item in result.items]
        else:
            read.guardians += [guardian_row(item) for item in result.items]
    return read
