"""courses.* and courses.aliases.* through the real client."""

from __future__ import annotations

import pytest

from tests.emulator.helpers import DOMAIN, OWNER, expect_error, make_course

TEACHER = f"teach@{DOMAIN}"


def test_create_fills_read_only_fields_and_makes_owner_first_teacher(classroom, hooks):
    course = make_course(classroom, section="Period 2", room="301", descriptionHeading="Welcome")

    assert course["courseState"] == "PROVISIONED"
    assert course["name"] == "Biology 10" and course["section"] == "Period 2" and course["room"] == "301"
    for read_only in ("alternateLink", "enrollmentCode", "creationTime", "updateTime", "guardiansEnabled",
                      "teacherGroupEmail", "courseGroupEmail", "gradebookSettings"):
        assert read_only in course
    assert course["creationTime"].endswith("Z") and course["id"].isdigit()
    owner = classroom.userProfiles().get(userId=OWNER).execute()
    assert course["ownerId"] == owner["id"]
    teachers = classroom.courses().teachers().list(courseId=course["id"]).execute()["teachers"]
    assert [t["userId"] for t in teachers] == [owner["id"]]
    assert hooks.state()["courses"][0]["aliases"] == ["d:SIS-1"]


def test_create_active_course_gets_drive_folder_and_calendar(classroom):
    course = make_course(classroom, courseState="ACTIVE")
    assert course["courseState"] == "ACTIVE"
    assert course["teacherFolder"]["id"] and course["calendarId"].endswith("@group.calendar.google.com")


def test_create_with_taken_alias_is_409_and_creates_nothing(classroom, hooks):
    make_course(classroom)
    expect_error(classroom.courses().create(body={"id": "d:SIS-1", "name": "Again", "ownerId": OWNER}),
                 409, "ALREADY_EXISTS")
    assert len(hooks.state()["courses"]) == 1


@pytest.mark.parametrize(
    ("body", "status", "google_status", "reason"),
    [
        ({"ownerId": OWNER}, 400, "INVALID_ARGUMENT", None),
        ({"name": "x" * 751, "ownerId": OWNER}, 400, "INVALID_ARGUMENT", None),
        ({"name": "Bio"}, 400, "INVALID_ARGUMENT", None),
        ({"name": "Bio", "ownerId": OWNER, "section": "s" * 2801}, 400, "INVALID_ARGUMENT", None),
        ({"name": "Bio", "ownerId": OWNER, "descriptionHeading": "h" * 3601}, 400, "INVALID_ARGUMENT", None),
        ({"name": "Bio", "ownerId": OWNER, "description": "d" * 30001}, 400, "INVALID_ARGUMENT", None),
        ({"name": "Bio", "ownerId": OWNER, "room": "r" * 651}, 400, "INVALID_ARGUMENT", None),
        ({"name": "Bio", "ownerId": OWNER, "id": "d:" + "a" * 255}, 400, "INVALID_ARGUMENT", None),
        ({"name": "Bio", "ownerId": OWNER, "id": "SIS-1"}, 400, "INVALID_ARGUMENT", None),
        ({"name": "Bio", "ownerId": OWNER, "colour": "red"}, 400, "INVALID_ARGUMENT", None),
        ({"name": "See https://x.example", "ownerId": OWNER}, 400, "FAILED_PRECONDITION",
         "CourseTitleCannotContainUrl"),
        ({"name": "Bio", "ownerId": "someone@gmail.com"}, 403, "PERMISSION_DENIED", "CannotDirectAddUser"),
        ({"name": "Bio", "ownerId": "123456789"}, 404, "NOT_FOUND", None),
    ],
)
def test_create_validation(classroom, hooks, body, status, google_status, reason):
    expect_error(classroom.courses().create(body=body), status, google_status, reason)
    assert hooks.state()["courses"] == []


def test_limits_are_inclusive(classroom):
    course = classroom.courses().create(
        body={"name": "n" * 750, "ownerId": OWNER, "section": "s" * 2800, "room": "r" * 650,
              "descriptionHeading": "h" * 3600, "description": "d" * 30000, "id": "p:" + "a" * 254}
    ).execute()
    assert len(course["name"]) == 750


def test_create_without_auto_users_needs_known_owner(classroom, hooks):
    hooks.seed({"auto_users": False})
    expect_error(classroom.courses().create(body={"name": "Bio", "ownerId": f"new@{DOMAIN}"}), 404, "NOT_FOUND")


def test_get_by_id_alias_and_unknown(classroom):
    course = make_course(classroom)
    assert classroom.courses().get(id=course["id"]).execute()["id"] == course["id"]
    assert classroom.courses().get(id="d:SIS-1").execute()["id"] == course["id"]
    expect_error(classroom.courses().get(id="d:nope"), 404, "NOT_FOUND")
    expect_error(classroom.courses().get(id="999"), 404, "NOT_FOUND")


def test_list_newest_first_with_state_and_member_filters(classroom):
    first = make_course(classroom, alias="d:A", courseState="ACTIVE")
    second = make_course(classroom, alias="d:B")
    classroom.courses().students().create(courseId=second["id"], body={"userId": f"kid@{DOMAIN}"}).execute()

    every = classroom.courses().list().execute()["courses"]
    assert [c["id"] for c in every] == [second["id"], first["id"]]
    active = classroom.courses().list(courseStates=["ACTIVE"]).execute()["courses"]
    assert [c["id"] for c in active] == [first["id"]]
    both = classroom.courses().list(courseStates=["ACTIVE", "PROVISIONED"]).execute()["courses"]
    assert len(both) == 2
    assert classroom.courses().list(courseStates=["ARCHIVED"]).execute() == {}
    by_student = classroom.courses().list(studentId=f"kid@{DOMAIN}").execute()["courses"]
    assert [c["id"] for c in by_student] == [second["id"]]
    assert len(classroom.courses().list(teacherId=OWNER).execute()["courses"]) == 2
    expect_error(classroom.courses().list(studentId=OWNER, teacherId=OWNER), 400, "INVALID_ARGUMENT")
    expect_error(classroom.courses().list(teacherId="42"), 404, "NOT_FOUND")


def test_patch_requires_a_valid_update_mask(classroom):
    make_course(classroom)
    expect_error(classroom.courses().patch(id="d:SIS-1", body={"name": "X"}), 400, "INVALID_ARGUMENT")
    expect_error(classroom.courses().patch(id="d:SIS-1", updateMask="name,id", body={"name": "X"}),
                 400, "INVALID_ARGUMENT")
    expect_error(classroom.courses().patch(id="d:SIS-1", updateMask="creationTime", body={}),
                 400, "INVALID_ARGUMENT")
    expect_error(classroom.courses().patch(id="d:nope", updateMask="name", body={"name": "X"}), 404, "NOT_FOUND")


def test_patch_changes_only_masked_fields(classroom):
    course = make_course(classroom, section="P1", room="101")
    patched = classroom.courses().patch(id="d:SIS-1", updateMask="section,courseState",
                                        body={"section": "P2", "room": "999", "courseState": "ACTIVE"}).execute()
    assert patched["section"] == "P2" and patched["room"] == "101" and patched["courseState"] == "ACTIVE"
    assert patched["updateTime"] > course["updateTime"]
    cleared = classroom.courses().patch(id="d:SIS-1", updateMask="room", body={}).execute()
    assert "room" not in cleared
    expect_error(classroom.courses().patch(id="d:SIS-1", updateMask="name", body={}), 400, "INVALID_ARGUMENT")
    expect_error(classroom.courses().patch(id="d:SIS-1", updateMask="name", body={"name": "www.x.org"}),
                 400, "FAILED_PRECONDITION", "CourseTitleCannotContainUrl")


@pytest.mark.parametrize(
    ("start", "target", "allowed"),
    [
        ("PROVISIONED", "ACTIVE", True),
        ("PROVISIONED", "DECLINED", True),
        ("DECLINED", "PROVISIONED", True),
        ("ACTIVE", "ARCHIVED", True),
        ("ARCHIVED", "ACTIVE", True),
        ("ACTIVE", "PROVISIONED", False),
        ("PROVISIONED", "ARCHIVED", False),
        ("DECLINED", "ACTIVE", False),
    ],
)
def test_state_transitions(classroom, hooks, start, target, allowed):
    hooks.seed({"courses": [{"name": "Bio", "ownerEmail": OWNER, "courseState": start, "aliases": ["d:T"]}]})
    request = classroom.courses().patch(id="d:T", updateMask="courseState", body={"courseState": target})
    if allowed:
        assert request.execute()["courseState"] == target
    else:
        expect_error(request, 400, "FAILED_PRECONDITION")


def test_archived_course_only_changes_state_unless_reactivated_in_the_same_patch(classroom, hooks):
    hooks.seed({"courses": [{"name": "Old", "ownerEmail": OWNER, "courseState": "ARCHIVED", "aliases": ["d:OLD"]}]})
    expect_error(classroom.courses().patch(id="d:OLD", updateMask="name", body={"name": "New"}),
                 400, "FAILED_PRECONDITION", "CourseNotModifiable")
    expect_error(classroom.courses().update(id="d:OLD", body={"name": "New"}),
                 400, "FAILED_PRECONDITION", "CourseNotModifiable")
    expect_error(classroom.courses().students().create(courseId="d:OLD", body={"userId": f"kid@{DOMAIN}"}),
                 400, "FAILED_PRECONDITION", "CourseNotModifiable")
    revived = classroom.courses().patch(id="d:OLD", updateMask="name,courseState",
                                        body={"name": "New", "courseState": "ACTIVE"}).execute()
    assert (revived["name"], revived["courseState"]) == ("New", "ACTIVE")


def test_suspended_course_cannot_be_modified(classroom, hooks):
    hooks.seed({"courses": [{"name": "S", "ownerEmail": OWNER, "courseState": "SUSPENDED", "aliases": ["d:S"]}]})
    expect_error(classroom.courses().patch(id="d:S", updateMask="courseState", body={"courseState": "ACTIVE"}),
                 400, "FAILED_PRECONDITION", "CourseNotModifiable")


def test_owner_transfer_needs_a_co_teacher(classroom, hooks):
    make_course(classroom)
    expect_error(classroom.courses().patch(id="d:SIS-1", updateMask="ownerId", body={"ownerId": TEACHER}),
                 400, "FAILED_PRECONDITION", "IneligibleOwner")
    classroom.courses().teachers().create(courseId="d:SIS-1", body={"userId": TEACHER}).execute()
    patched = classroom.courses().patch(id="d:SIS-1", updateMask="ownerId", body={"ownerId": TEACHER}).execute()
    teacher = classroom.userProfiles().get(userId=TEACHER).execute()
    assert patched["ownerId"] == teacher["id"]
    # the old owner stays a teacher and can now be removed; the new one cannot
    classroom.courses().teachers().delete(courseId="d:SIS-1", userId=OWNER).execute()
    expect_error(classroom.courses().teachers().delete(courseId="d:SIS-1", userId=TEACHER),
                 400, "FAILED_PRECONDITION")


def test_update_replaces_writable_fields_but_keeps_levels_and_owner(classroom, hooks):
    make_course(classroom, section="P1", room="101")
    classroom.courses().patch(id="d:SIS-1", updateMask="levels", body={"levels": "9th grade"}).execute()
    updated = classroom.courses().update(
        id="d:SIS-1", body={"name": "Bio II", "section": "P3", "ownerId": TEACHER, "alternateLink": "ignored"}
    ).execute()
    assert updated["name"] == "Bio II" and updated["section"] == "P3"
    assert "room" not in updated and updated["levels"] == "9th grade"
    assert updated["ownerId"] == classroom.userProfiles().get(userId=OWNER).execute()["id"]
    expect_error(classroom.courses().update(id="d:SIS-1", body={"section": "x"}), 400, "INVALID_ARGUMENT")


def test_delete_frees_aliases(classroom, hooks):
    course = make_course(classroom)
    classroom.courses().delete(id="d:SIS-1").execute()
    expect_error(classroom.courses().get(id=course["id"]), 404, "NOT_FOUND")
    expect_error(classroom.courses().delete(id=course["id"]), 404, "NOT_FOUND")
    assert make_course(classroom)["id"] != course["id"]


def test_aliases_create_list_delete(classroom, hooks):
    course = make_course(classroom)
    other = make_course(classroom, alias="d:OTHER")
    assert classroom.courses().aliases().create(courseId=course["id"], body={"alias": "p:abc"}).execute() == {
        "alias": "p:abc"
    }
    listed = classroom.courses().aliases().list(courseId="d:SIS-1").execute()["aliases"]
    assert [a["alias"] for a in listed] == ["d:SIS-1", "p:abc"]
    # unique across all courses, whatever their state
    classroom.courses().patch(id="d:OTHER", updateMask="courseState", body={"courseState": "DECLINED"}).execute()
    expect_error(classroom.courses().aliases().create(courseId=course["id"], body={"alias": "d:OTHER"}),
                 409, "ALREADY_EXISTS")
    expect_error(classroom.courses().aliases().create(courseId=other["id"], body={"alias": "p:abc"}),
                 409, "ALREADY_EXISTS")
    expect_error(classroom.courses().aliases().create(courseId=course["id"], body={"alias": "x:abc"}),
                 400, "INVALID_ARGUMENT")
    expect_error(classroom.courses().aliases().create(courseId=course["id"], body={"alias": "d:" + "a" * 255}),
                 400, "INVALID_ARGUMENT")
    expect_error(classroom.courses().aliases().create(courseId="d:none", body={"alias": "d:new"}),
                 404, "NOT_FOUND")
    classroom.courses().aliases().delete(courseId=course["id"], alias="p:abc").execute()
    expect_error(classroom.courses().aliases().delete(courseId=course["id"], alias="p:abc"), 404, "NOT_FOUND")
    expect_error(classroom.courses().aliases().delete(courseId=course["id"], alias="d:OTHER"), 404, "NOT_FOUND")
    assert classroom.courses().aliases().create(courseId=other["id"], body={"alias": "p:abc"}).execute()
