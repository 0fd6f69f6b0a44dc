"""Builders for the calls the product makes: typed arguments in, a plain ``Call`` out.

Lists ask for the largest page size (the server may answer fewer; follow nextPageToken)
and only the fields the cache keeps. Calls that name a user who may have just been
created carry ``retry_not_found``; deletes never do (404 there means "already gone").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from littlesis.classroom.protocol import Call

COURSE_FIELDS = (
    "id,name,section,room,descriptionHeading,description,ownerId,courseState,creationTime,updateTime,alternateLink"
)
MEMBER_FIELDS = "userId,profile(emailAddress,name(givenName,familyName))"
GUARDIAN_INVITATION_FIELDS = "studentId,invitationId,invitedEmailAddress,state,creationTime"
GUARDIAN_FIELDS = "studentId,guardianId,invitedEmailAddress"
PROFILE_FIELDS = "id,emailAddress,name(givenName,familyName)"

# Google documents no maxima here beyond "the server may return fewer"; the emulator
# clamps rosters at 30 and courses at 1000. Asking for more costs nothing.
PAGE_SIZES = {
    "courses.list": 1000,
    "courses.aliases.list": 1000,
    "courses.teachers.list": 1000,
    "courses.students.list": 1000,
    "userProfiles.guardianInvitations.list": 1000,
    "userProfiles.guardians.list": 1000,
}
PATCHABLE_COURSE_FIELDS = frozenset(
    {"courseState", "description", "descriptionHeading", "name", "ownerId", "room", "section", "subject"}
)


def items_key(method: str) -> str:
    """The list field of a list method's answer: "courses.students.list" -> "students"."""
    return method.split(".")[-2]


def _list(method: str, path: Mapping[str, str], item_fields: str, **query: Any) -> Call:
    query = {k: v for k, v in query.items() if v not in (None, (), [])}
    return Call(method, dict(path), {"pageSize": PAGE_SIZES[method], **query},
                fields=f"{items_key(method)}({item_fields}),nextPageToken")


# courses -------------------------------------------------------------------


def list_courses(states: Sequence[str] = (), *, teacher_id: str | None = None,
                 student_id: str | None = None) -> Call:
    return _list("courses.list", {}, COURSE_FIELDS, courseStates=list(states), teacherId=teacher_id,
                 studentId=student_id)


def get_course(course_id: str) -> Call:
    return Call("courses.get", {"id": course_id}, fields=COURSE_FIELDS)


def create_course(alias: str | None, name: str, owner_id: str, *, section: str | None = None,
                  room: str | None = None, description_heading: str | None = None,
                  description: str | None = None, course_state: str | None = None,
                  subject: str | None = None) -> Call:
    """One call creates the course and its alias (``id`` = alias); 409 means the alias is taken."""
    body: dict[str, Any] = {"name": name, "ownerId": owner_id}
    optional = {"id": alias, "section": section, "room": room, "descriptionHeading": description_heading,
                "description": description, "courseState": course_state, "subject": subject}
    body.update({k: v for k, v in optional.items() if v is not None})
    return Call("courses.create", body=body, fields=COURSE_FIELDS, retry_not_found=True)


def patch_course(course_id: str, changes: Mapping[str, Any]) -> Call:
    """Patch exactly the fields in ``changes`` (the update mask is their names)."""
    bad = sorted(set(changes) - PATCHABLE_COURSE_FIELDS)
    if not changes or bad:
        raise ValueError(f"cannot patch course fields {bad or '(none)'}; allowed: {sorted(PATCHABLE_COURSE_FIELDS)}")
    return Call("courses.patch", {"id": course_id}, {"updateMask": ",".join(sorted(changes))}, dict(changes),
                COURSE_FIELDS, retry_not_found="ownerId" in changes)


def change_owner(course_id: str, new_owner_id: str) -> Call:
    """The new owner must already be a teacher of the course (else 400 @IneligibleOwner)."""
    return patch_course(course_id, {"ownerId": new_owner_id})


def set_course_state(course_id: str, state: str) -> Call:
    return patch_course(course_id, {"courseState": state})


def list_aliases(course_id: str) -> Call:
    return _list("courses.aliases.list", {"courseId": course_id}, "alias")


def create_alias(course_id: str, alias: str) -> Call:
    return Call("courses.aliases.create", {"courseId": course_id}, body={"alias": alias})


def delete_alias(course_id: str, alias: str) -> Call:
    return Call("courses.aliases.delete", {"courseId": course_id, "alias": alias})


# rosters -------------------------------------------------------------------


def list_teachers(course_id: str) -> Call:
    return _list("courses.teachers.list", {"courseId": course_id}, MEMBER_FIELDS)


def list_students(course_id: str) -> Call:
    return _list("courses.students.list", {"courseId": course_id}, MEMBER_FIELDS)


def add_teacher(course_id: str, user_id: str) -> Call:
    """``user_id``: numeric id or e-mail. 409: already a teacher or a student of the course."""
    return Call("courses.teachers.create", {"courseId": course_id}, body={"userId": user_id},
                fields=MEMBER_FIELDS, retry_not_found=True)


def add_student(course_id: str, user_id: str) -> Call:
    return Call("courses.students.create", {"courseId": course_id}, body={"userId": user_id},
                fields=MEMBER_FIELDS, retry_not_found=True)


def remove_teacher(course_id: str, user_id: str) -> Call:
    return Call("courses.teachers.delete", {"courseId": course_id, "userId": user_id})


def remove_student(course_id: str, user_id: str) -> Call:
    return Call("courses.students.delete", {"courseId": course_id, "userId": user_id})


# users and guardians -------------------------------------------------------


def get_user_profile(user_id: str) -> Call:
    """``user_id``: numeric id, e-mail or "me"."""
    return Call("userProfiles.get", {"userId": user_id}, fields=PROFILE_FIELDS, retry_not_found=True)


def list_guardian_invitations(student_id: str = "-", states: Sequence[str] = (),
                              invited_email: str | None = None) -> Call:
    """``student_id`` "-" lists every student's invitations (domain admins only)."""
    return _list("userProfiles.guardianInvitations.list", {"studentId": student_id}, GUARDIAN_INVITATION_FIELDS,
                 states=list(states), invitedEmailAddress=invited_email)


def create_guardian_invitation(student_id: str, guardian_email: str) -> Call:
    """409: a pending invitation exists or the guardian is already linked."""
    return Call("userProfiles.guardianInvitations.create", {"studentId": student_id},
                body={"studentId": student_id, "invitedEmailAddress": guardian_email},
                fields=GUARDIAN_INVITATION_FIELDS, retry_not_found=True)


def patch_guardian_invitation(student_id: str, invitation_id: str, state: str = "COMPLETE") -> Call:
    """The only change Classroom allows: PENDING -> COMPLETE, which withdraws the invitation."""
    return Call("userProfiles.guardianInvitations.patch", {"studentId": student_id, "invitationId": invitation_id},
                {"updateMask": "state"}, {"state": state}, GUARDIAN_INVITATION_FIELDS)


def list_guardians(student_id: str = "-", invited_email: str | None = None) -> Call:
    return _list("userProfiles.guardians.list", {"studentId": student_id}, GUARDIAN_FIELDS,
                 invitedEmailAddress=invited_email)


def delete_guardian(student_id: str, guardian_id: str) -> Call:
    return Call("userProfiles.guardians.delete", {"studentId": student_id, "guardianId": guardian_id})
