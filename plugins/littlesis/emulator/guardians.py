"""userProfiles.get, userProfiles.guardianInvitations.* and userProfiles.guardians.*.

A guardian invitation turns into a guardian link when the guardian accepts the
e-mail Google sends; the emulator does that through the test hook
``POST /_emulator/guardianInvitations/{invitationId}:accept`` (see ``accept_invitation``).
"""

from __future__ import annotations

import hashlib
from typing import Any

from littlesis.emulator import errors, paging
from littlesis.emulator.model import (
    GUARDIAN_INVITATION_STATES,
    GuardianInvitation,
    GuardianLink,
    User,
    guardian_invitation_json,
    guardian_json,
    profile_json,
)
from littlesis.emulator.request import ApiRequest
from littlesis.emulator.schema import check_body, string_field
from littlesis.emulator.state import ClassroomState, is_email, looks_like_user_ref

JsonDict = dict[str, Any]


def profile_get(state: ClassroomState, req: ApiRequest) -> JsonDict:
    user = state.find_user(req.params["userId"], req.caller)
    if user is not None and state.is_propagating(user):
        raise errors.not_found()
    # Google answers PERMISSION_DENIED, not NOT_FOUND, for a profile that doesn't exist.
    if user is None or user.external:
        raise errors.permission_denied()
    return profile_json(user)


def _require_enabled(state: ClassroomState) -> None:
    if not state.guardians_enabled:
        raise errors.permission_denied("Guardians are not enabled for the domain.")


def _student(state: ClassroomState, req: ApiRequest) -> User:
    """The student named by the path; "-" is handled by the list methods before this."""
    _require_enabled(state)
    ref = req.params["studentId"]
    if not looks_like_user_ref(ref):
        raise errors.invalid_argument("The student ID is neither an e-mail address, a user ID nor 'me'.")
    user = state.user(ref, req.caller)
    if user.external:
        raise errors.not_found()
    return user


def _pending_for(state: ClassroomState, student_id: str) -> list[GuardianInvitation]:
    return [g for g in state.guardian_invitations.values() if g.student_id == student_id and g.state == "PENDING"]


def invitation_create(state: ClassroomState, req: ApiRequest) -> JsonDict:
    _require_enabled(state)
    body = check_body(req.body, "GuardianInvitation")
    extra = sorted(set(body) - {"invitedEmailAddress", "studentId", "state"})
    if extra:
        raise errors.invalid_argument(f"Read-only fields may not be set: {', '.join(extra)}")
    if body.get("state") not in (None, "PENDING"):
        raise errors.invalid_argument("state must be PENDING when creating a guardian invitation.")
    email = string_field(body, "invitedEmailAddress", 254)
    if not email or not is_email(email):
        raise errors.invalid_argument("invitedEmailAddress must be a valid e-mail address.")
    student = _student(state, req)
    body_student = string_field(body, "studentId")
    if body_student and state.find_user(body_student, req.caller) is not student:
        raise errors.invalid_argument("studentId in the body does not match the path.")
    email = email.lower()
    pending = _pending_for(state, student.id)
    if any(g.invited_email == email for g in pending):
        raise errors.already_exists()
    links = [link for link in state.guardian_links.values() if link.student_id == student.id]
    if any(state.users_by_id[link.guardian_id].email == email for link in links):
        raise errors.already_exists()
    if len(links) + len(pending) >= state.limits.guardians:
        raise errors.resource_exhausted("The student has reached the guardian link limit.")
    seq = state.next_seq()
    invitation = GuardianInvitation(
        id=f"{seq:x}" + hashlib.sha1(f"{student.id}:{email}".encode()).hexdigest()[:10],
        seq=seq,
        student_id=student.id,
        invited_email=email,
        state="PENDING",
        creation_time=state.clock(),
    )
    state.guardian_invitations[invitation.id] = invitation
    return guardian_invitation_json(invitation)


def _invitation(state: ClassroomState, req: ApiRequest) -> GuardianInvitation:
    student = _student(state, req)
    invitation = state.guardian_invitations.get(req.params["invitationId"])
    if invitation is None or invitation.student_id != student.id:
        raise errors.not_found()
    return invitation


def invitation_get(state: ClassroomState, req: ApiRequest) -> JsonDict:
    return guardian_invitation_json(_invitation(state, req))


def invitation_list(state: ClassroomState, req: ApiRequest) -> JsonDict:
    _require_enabled(state)
    student_id = None if req.params["studentId"] == "-" else _student(state, req).id
    states = {s for s in req.many("states") if s != "GUARDIAN_INVITATION_STATE_UNSPECIFIED"}
    if states - set(GUARDIAN_INVITATION_STATES):
        raise errors.invalid_argument("Invalid value for states.")
    states = states or {"PENDING"}
    email = (req.one("invitedEmailAddress") or "").lower()
    found = [
        g
        for g in state.guardian_invitations.values()
        if (student_id is None or g.student_id == student_id) and g.state in states
        and (not email or g.invited_email == email)
    ]
    chosen, token = paging.page(req, found, lambda g: g.seq)
    return paging.list_body("guardianInvitations", [guardian_invitation_json(g) for g in chosen], token)


def invitation_patch(state: ClassroomState, req: ApiRequest) -> JsonDict:
    _require_enabled(state)
    body = check_body(req.body, "GuardianInvitation")
    mask = {part.strip() for part in (req.one("updateMask") or "").split(",") if part.strip()}
    if mask != {"state"}:
        raise errors.invalid_argument("updateMask must be exactly 'state'.")
    if body.get("state") != "COMPLETE":
        raise errors.invalid_argument("The only valid change is state PENDING -> COMPLETE.")
    invitation = _invitation(state, req)
    if invitation.state != "PENDING":
        raise errors.failed_precondition(None, "The guardian invitation is not in the PENDING state.")
    invitation.state = "COMPLETE"
    return guardian_invitation_json(invitation)


def _link(state: ClassroomState, req: ApiRequest) -> GuardianLink:
    student = _student(state, req)
    link = state.guardian_links.get((student.id, req.params["guardianId"]))
    if link is None:
        raise errors.not_found()
    return link


def guardian_get(state: ClassroomState, req: ApiRequest) -> JsonDict:
    link = _link(state, req)
    return guardian_json(link, state.users_by_id[link.guardian_id])


def guardian_delete(state: ClassroomState, req: ApiRequest) -> JsonDict:
    link = _link(state, req)
    del state.guardian_links[(link.student_id, link.guardian_id)]
    return {}


def guardian_list(state: ClassroomState, req: ApiRequest) -> JsonDict:
    _require_enabled(state)
    student_id = None if req.params["studentId"] == "-" else _student(state, req).id
    email = (req.one("invitedEmailAddress") or "").lower()
    found = [
        link
        for link in state.guardian_links.values()
        if (student_id is None or link.student_id == student_id) and (not email or link.invited_email == email)
    ]
    chosen, token = paging.page(req, found, lambda link: link.seq)
    return paging.list_body(
        "guardians", [guardian_json(link, state.users_by_id[link.guardian_id]) for link in chosen], token
    )


def link_guardian(state: ClassroomState, student: User, invited_email: str) -> GuardianLink:
    """Record an accepted guardian: the guardian's account is the invited address."""
    guardian = state.add_user(invited_email)
    key = (student.id, guardian.id)
    link = state.guardian_links.get(key)
    if link is None:
        link = GuardianLink(seq=state.next_seq(), student_id=student.id, guardian_id=guardian.id,
                            invited_email=invited_email.lower())
        state.guardian_links[key] = link
    return link


def accept_invitation(state: ClassroomState, invitation_id: str) -> JsonDict:
    """The guardian clicked the link in Google's e-mail (test hook)."""
    invitation = state.guardian_invitations.get(invitation_id)
    if invitation is None:
        raise errors.not_found()
    if invitation.state != "PENDING":
        raise errors.failed_precondition(None, "The guardian invitation is not in the PENDING state.")
    invitation.state = "COMPLETE"
    link = link_guardian(state, state.users_by_id[invitation.student_id], invitation.invited_email)
    return guardian_json(link, state.users_by_id[link.guardian_id])
