"""invitations.*, userProfiles.get, guardianInvitations.* and guardians.* through the real client."""

from __future__ import annotations

import pytest

from tests.emulator.helpers import DOMAIN, OWNER, BearerHttp, build_classroom, expect_error, make_course

KID = f"kid@{DOMAIN}"
PARENT = "parent@gmail.com"
GUEST = "guest@gmail.com"


@pytest.fixture
def guest_classroom(base_url, classroom):
    http = BearerHttp(GUEST)
    yield build_classroom(http, base_url)
    http.close()


def test_invitation_create_get_list_delete(classroom):
    course = make_course(classroom)
    invitation = classroom.invitations().create(
        body={"userId": GUEST, "courseId": "d:SIS-1", "role": "STUDENT"}
    ).execute()
    assert invitation["courseId"] == course["id"] and invitation["role"] == "STUDENT" and invitation["id"]
    assert classroom.invitations().get(id=invitation["id"]).execute() == invitation
    assert classroom.invitations().list(courseId=course["id"]).execute()["invitations"] == [invitation]
    assert classroom.invitations().list(userId=GUEST).execute()["invitations"] == [invitation]
    assert classroom.invitations().list(userId=GUEST, courseId="d:SIS-1").execute()["invitations"] == [invitation]
    assert classroom.invitations().list(userId=OWNER).execute() == {}
    expect_error(classroom.invitations().list(), 400, "INVALID_ARGUMENT")
    classroom.invitations().delete(id=invitation["id"]).execute()
    expect_error(classroom.invitations().get(id=invitation["id"]), 404, "NOT_FOUND")
    expect_error(classroom.invitations().delete(id=invitation["id"]), 404, "NOT_FOUND")


def test_invitation_errors(classroom):
    make_course(classroom)
    create = classroom.invitations().create
    create(body={"userId": GUEST, "courseId": "d:SIS-1", "role": "TEACHER"}).execute()
    expect_error(create(body={"userId": GUEST, "courseId": "d:SIS-1", "role": "STUDENT"}), 409, "ALREADY_EXISTS")
    expect_error(create(body={"userId": OWNER, "courseId": "d:SIS-1", "role": "TEACHER"}),
                 400, "FAILED_PRECONDITION")
    expect_error(create(body={"userId": "x@gmail.com", "courseId": "d:SIS-1", "role": "OWNER"}),
                 400, "FAILED_PRECONDITION", "IneligibleOwner")
    expect_error(create(body={"userId": KID, "courseId": "d:SIS-1", "role": "COURSE_ROLE_UNSPECIFIED"}),
                 400, "INVALID_ARGUMENT")
    expect_error(create(body={"userId": KID, "courseId": "d:nope", "role": "STUDENT"}), 404, "NOT_FOUND")
    expect_error(create(body={"userId": "77", "courseId": "d:SIS-1", "role": "STUDENT"}), 404, "NOT_FOUND")


def test_only_the_invitee_accepts(classroom, guest_classroom, hooks):
    make_course(classroom)
    invitation = classroom.invitations().create(
        body={"userId": GUEST, "courseId": "d:SIS-1", "role": "TEACHER"}
    ).execute()
    other = BearerHttp(f"someone@{DOMAIN}")
    try:
        expect_error(build_classroom(other, hooks.base_url).invitations().accept(id=invitation["id"]),
                     403, "PERMISSION_DENIED")
    finally:
        other.close()
    assert guest_classroom.invitations().accept(id=invitation["id"]).execute() == {}
    teachers = classroom.courses().teachers().list(courseId="d:SIS-1").execute()["teachers"]
    assert GUEST in [t["profile"]["emailAddress"] for t in teachers]
    expect_error(classroom.invitations().get(id=invitation["id"]), 404, "NOT_FOUND")


def test_accept_respects_course_state_and_limits(classroom, hooks):
    hooks.seed({"limits": {"members": 2}, "courses": [
        {"name": "Full", "ownerEmail": OWNER, "aliases": ["d:FULL"], "studentEmails": [KID]},
        {"name": "Old", "ownerEmail": OWNER, "aliases": ["d:OLD"], "courseState": "ACTIVE"},
    ]})
    full = classroom.invitations().create(body={"userId": GUEST, "courseId": "d:FULL", "role": "STUDENT"}).execute()
    expect_error(classroom.invitations().accept(id=full["id"]), 400, "FAILED_PRECONDITION",
                 "CourseMemberLimitReached")
    old = classroom.invitations().create(body={"userId": GUEST, "courseId": "d:OLD", "role": "STUDENT"}).execute()
    classroom.courses().patch(id="d:OLD", updateMask="courseState", body={"courseState": "ARCHIVED"}).execute()
    expect_error(classroom.invitations().accept(id=old["id"]), 400, "FAILED_PRECONDITION", "CourseNotModifiable")


def test_owner_invitation_transfers_ownership(classroom):
    make_course(classroom)
    new_owner = f"next@{DOMAIN}"
    invitation = classroom.invitations().create(
        body={"userId": new_owner, "courseId": "d:SIS-1", "role": "OWNER"}
    ).execute()
    classroom.invitations().accept(id=invitation["id"]).execute()
    course = classroom.courses().get(id="d:SIS-1").execute()
    assert course["ownerId"] == classroom.userProfiles().get(userId=new_owner).execute()["id"]


def test_user_profiles_get(classroom, hooks):
    hooks.seed({"users": [{"email": "ada@district.example.org", "givenName": "Ada", "familyName": "Lovelace"}]})
    profile = classroom.userProfiles().get(userId="ada@district.example.org").execute()
    assert profile["name"]["fullName"] == "Ada Lovelace" and profile["emailAddress"] == "ada@district.example.org"
    assert classroom.userProfiles().get(userId=profile["id"]).execute() == profile
    assert classroom.userProfiles().get(userId="me").execute()["emailAddress"] == f"admin@{DOMAIN}"
    # Google answers PERMISSION_DENIED for a profile that doesn't exist
    expect_error(classroom.userProfiles().get(userId="12345"), 403, "PERMISSION_DENIED")
    expect_error(classroom.userProfiles().get(userId="someone@gmail.com"), 403, "PERMISSION_DENIED")


def test_guardian_invitation_lifecycle(classroom, hooks):
    invitations = classroom.userProfiles().guardianInvitations()
    created = invitations.create(studentId=KID, body={"invitedEmailAddress": PARENT}).execute()
    assert created["state"] == "PENDING" and created["invitedEmailAddress"] == PARENT
    kid_id = classroom.userProfiles().get(userId=KID).execute()["id"]
    assert created["studentId"] == kid_id and created["creationTime"].endswith("Z")
    assert invitations.get(studentId=KID, invitationId=created["invitationId"]).execute() == created
    assert invitations.list(studentId=kid_id).execute()["guardianInvitations"] == [created]
    assert invitations.list(studentId="-", invitedEmailAddress=PARENT).execute()["guardianInvitations"] == [created]
    expect_error(invitations.create(studentId=KID, body={"invitedEmailAddress": PARENT}), 409, "ALREADY_EXISTS")

    withdrawn = invitations.patch(studentId=KID, invitationId=created["invitationId"], updateMask="state",
                                  body={"state": "COMPLETE"}).execute()
    assert withdrawn["state"] == "COMPLETE"
    assert invitations.list(studentId=KID).execute() == {}
    assert len(invitations.list(studentId=KID, states=["PENDING", "COMPLETE"]).execute()["guardianInvitations"]) == 1
    expect_error(invitations.patch(studentId=KID, invitationId=created["invitationId"], updateMask="state",
                                   body={"state": "COMPLETE"}), 400, "FAILED_PRECONDITION")
    # after a withdrawal the same guardian can be invited again
    again = invitations.create(studentId=KID, body={"invitedEmailAddress": PARENT}).execute()
    assert again["invitationId"] != created["invitationId"]


def test_guardian_invitation_validation(classroom):
    invitations = classroom.userProfiles().guardianInvitations()
    expect_error(invitations.create(studentId=KID, body={"invitedEmailAddress": "not-an-email"}),
                 400, "INVALID_ARGUMENT")
    expect_error(invitations.create(studentId=KID, body={"invitedEmailAddress": PARENT, "state": "COMPLETE"}),
                 400, "INVALID_ARGUMENT")
    expect_error(invitations.create(studentId=KID, body={"invitedEmailAddress": PARENT, "invitationId": "1"}),
                 400, "INVALID_ARGUMENT")
    expect_error(invitations.create(studentId="not a user", body={"invitedEmailAddress": PARENT}),
                 400, "INVALID_ARGUMENT")
    expect_error(invitations.create(studentId="4242", body={"invitedEmailAddress": PARENT}), 404, "NOT_FOUND")
    created = invitations.create(studentId=KID, body={"invitedEmailAddress": PARENT}).execute()
    expect_error(invitations.patch(studentId=KID, invitationId=created["invitationId"], body={"state": "COMPLETE"}),
                 400, "INVALID_ARGUMENT")
    expect_error(invitations.patch(studentId=KID, invitationId=created["invitationId"], updateMask="state",
                                   body={"state": "PENDING"}), 400, "INVALID_ARGUMENT")
    expect_error(invitations.patch(studentId=KID, invitationId="nope", updateMask="state",
                                   body={"state": "COMPLETE"}), 404, "NOT_FOUND")
    expect_error(invitations.get(studentId=KID, invitationId="nope"), 404, "NOT_FOUND")


def test_accepted_invitation_becomes_a_guardian(classroom, hooks):
    invitations = classroom.userProfiles().guardianInvitations()
    created = invitations.create(studentId=KID, body={"invitedEmailAddress": PARENT}).execute()
    status, guardian = hooks.request("POST", f"_emulator/guardianInvitations/{created['invitationId']}:accept")
    assert status == 200
    guardians = classroom.userProfiles().guardians()
    listed = guardians.list(studentId=KID).execute()["guardians"]
    assert listed == [guardian]
    assert guardian["guardianProfile"]["emailAddress"] == PARENT and guardian["invitedEmailAddress"] == PARENT
    assert guardians.get(studentId=KID, guardianId=guardian["guardianId"]).execute() == guardian
    assert guardians.list(studentId="-", invitedEmailAddress=PARENT).execute()["guardians"] == [guardian]
    assert invitations.get(studentId=KID, invitationId=created["invitationId"]).execute()["state"] == "COMPLETE"
    # a linked guardian can't be invited again
    expect_error(invitations.create(studentId=KID, body={"invitedEmailAddress": PARENT}), 409, "ALREADY_EXISTS")
    guardians.delete(studentId=KID, guardianId=guardian["guardianId"]).execute()
    expect_error(guardians.get(studentId=KID, guardianId=guardian["guardianId"]), 404, "NOT_FOUND")
    expect_error(guardians.delete(studentId=KID, guardianId=guardian["guardianId"]), 404, "NOT_FOUND")
    assert guardians.list(studentId=KID).execute() == {}


def test_twenty_guardians_per_student(classroom, hooks):
    hooks.seed({"guardians": [{"studentEmail": KID, "guardianEmail": f"g{i}@gmail.com"} for i in range(19)]})
    invitations = classroom.userProfiles().guardianInvitations()
    invitations.create(studentId=KID, body={"invitedEmailAddress": "g19@gmail.com"}).execute()
    expect_error(invitations.create(studentId=KID, body={"invitedEmailAddress": "g20@gmail.com"}),
                 429, "RESOURCE_EXHAUSTED")


def test_guardians_disabled_is_403_everywhere(classroom, hooks):
    hooks.seed({"guardians_enabled": False})
    make_course(classroom)
    assert classroom.courses().get(id="d:SIS-1").execute()["guardiansEnabled"] is False
    invitations = classroom.userProfiles().guardianInvitations()
    guardians = classroom.userProfiles().guardians()
    for request in (
        invitations.create(studentId=KID, body={"invitedEmailAddress": PARENT}),
        invitations.list(studentId=KID),
        invitations.get(studentId=KID, invitationId="x"),
        invitations.patch(studentId=KID, invitationId="x", updateMask="state", body={"state": "COMPLETE"}),
        guardians.list(studentId="-"),
        guardians.get(studentId=KID, guardianId="1"),
        guardians.delete(studentId=KID, guardianId="1"),
    ):
        expect_error(request, 403, "PERMISSION_DENIED")
