"""invitations.*: the way users outside the admin's domain join a course."""

from __future__ import annotations

import base64
from typing import Any

from littlesis.emulator import errors, paging
from littlesis.emulator.courses import require_modifiable
from littlesis.emulator.model import INVITATION_ROLES, Invitation, invitation_json
from littlesis.emulator.request import ApiRequest
from littlesis.emulator.schema import check_body, string_field
from littlesis.emulator.state import ClassroomState

JsonDict = dict[str, Any]

_RANK = {"STUDENT": 1, "TEACHER": 2, "OWNER": 3}


def _invitation(state: ClassroomState, invitation_id: str) -> Invitation:
    invitation = state.invitations.get(invitation_id)
    if invitation is None:
        raise errors.not_found()
    return invitation


def create(state: ClassroomState, req: ApiRequest) -> JsonDict:
    body = check_body(req.body, "Invitation")
    user_ref, course_ref = string_field(body, "userId"), string_field(body, "courseId")
    role = body.get("role")
    if not user_ref or not course_ref:
        raise errors.invalid_argument("userId and courseId are required.")
    if role not in INVITATION_ROLES:
        raise errors.invalid_argument("role must be STUDENT, TEACHER or OWNER.")
    course = state.course(course_ref)
    user = state.user(user_ref, req.caller, allow_external=True)
    current = 3 if user.id == course.owner_id else 2 if user.id in course.teachers else (
        1 if user.id in course.students else 0
    )
    if current >= _RANK[role]:
        raise errors.failed_precondition(None, "The user already has this role or a role with greater permissions.")
    if role == "OWNER" and user.external:
        raise errors.failed_precondition("IneligibleOwner", "The invited user cannot own this course.")
    if any(i.user_id == user.id and i.course_id == course.id for i in state.invitations.values()):
        raise errors.already_exists()
    seq = state.next_seq()
    invitation_id = base64.b64encode(f"{seq:014d}".encode()).decode().rstrip("=")
    invitation = Invitation(id=invitation_id, seq=seq, user_id=user.id, course_id=course.id, role=str(role))
    state.invitations[invitation_id] = invitation
    return invitation_json(invitation)


def get(state: ClassroomState, req: ApiRequest) -> JsonDict:
    return invitation_json(_invitation(state, req.params["id"]))


def delete(state: ClassroomState, req: ApiRequest) -> JsonDict:
    del state.invitations[_invitation(state, req.params["id"]).id]
    return {}


def list_(state: ClassroomState, req: ApiRequest) -> JsonDict:
    user_ref, course_ref = req.one("userId"), req.one("courseId")
    if not user_ref and not course_ref:
        raise errors.invalid_argument("At least one of userId or courseId must be supplied.")
    user = state.find_user(user_ref, req.caller, allow_external=True) if user_ref else None
    course_id: str | None = None
    if course_ref:
        course_id = state.alias_index.get(course_ref, course_ref)
    found = [
        i
        for i in state.invitations.values()
        if (not user_ref or (user is not None and i.user_id == user.id)) and (not course_id or i.course_id == course_id)
    ]
    chosen, token = paging.page(req, found, lambda i: i.seq)
    return paging.list_body("invitations", [invitation_json(i) for i in chosen], token)


def accept(state: ClassroomState, req: ApiRequest) -> JsonDict:
    invitation = _invitation(state, req.params["id"])
    user = state.users_by_id[invitation.user_id]
    # Only the invitee may accept; an anonymous caller (no token subject) is let through
    # so tests and demos can accept without minting tokens.
    if req.caller is not None and req.caller.lower() != user.email:
        raise errors.permission_denied("Only the invited user may accept an invitation.")
    course = state.course(invitation.course_id)
    require_modifiable(course)
    if invitation.role == "STUDENT":
        state.enroll(course, user, as_teacher=False)
    elif user.id not in course.teachers:
        was_student = course.students.pop(user.id, None)
        try:
            state.enroll(course, user, as_teacher=True)
        except errors.ApiError:
            if was_student is not None:
                course.students[user.id] = was_student
            raise
    if invitation.role == "OWNER":
        course.owner_id = user.id
        state.touch(course)
    del state.invitations[invitation.id]
    return {}
