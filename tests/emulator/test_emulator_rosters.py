"""courses.students.* and courses.teachers.*, limits and paging, through the real client."""

from __future__ import annotations

from tests.emulator.helpers import DOMAIN, OWNER, expect_error, make_course, run_batch

KID = f"kid@{DOMAIN}"
TEACHER = f"teach@{DOMAIN}"


def test_student_create_get_list_delete(classroom):
    course = make_course(classroom)
    created = classroom.courses().students().create(courseId="d:SIS-1", body={"userId": KID}).execute()
    assert created["courseId"] == course["id"] and created["userId"].isdigit()
    assert created["profile"] == {
        "id": created["userId"],
        "name": {"givenName": "Kid", "familyName": "", "fullName": "Kid"},
        "emailAddress": KID,
    }
    by_email = classroom.courses().students().get(courseId=course["id"], userId=KID).execute()
    by_id = classroom.courses().students().get(courseId="d:SIS-1", userId=created["userId"]).execute()
    assert by_email == by_id == created
    assert classroom.courses().students().list(courseId="d:SIS-1").execute()["students"] == [created]
    classroom.courses().students().delete(courseId="d:SIS-1", userId=KID).execute()
    expect_error(classroom.courses().students().get(courseId="d:SIS-1", userId=KID), 404, "NOT_FOUND")
    expect_error(classroom.courses().students().delete(courseId="d:SIS-1", userId=KID), 404, "NOT_FOUND")
    assert classroom.courses().students().list(courseId="d:SIS-1").execute() == {}


def test_teacher_create_get_list_delete(classroom):
    make_course(classroom)
    created = classroom.courses().teachers().create(courseId="d:SIS-1", body={"userId": "Teach@District.Example.org"})
    teacher = created.execute()
    assert teacher["profile"]["emailAddress"] == TEACHER
    assert classroom.courses().teachers().get(courseId="d:SIS-1", userId=TEACHER).execute() == teacher
    listed = classroom.courses().teachers().list(courseId="d:SIS-1").execute()["teachers"]
    assert [t["profile"]["emailAddress"] for t in listed] == [OWNER, TEACHER]
    classroom.courses().teachers().delete(courseId="d:SIS-1", userId=teacher["userId"]).execute()
    expect_error(classroom.courses().teachers().get(courseId="d:SIS-1", userId=TEACHER), 404, "NOT_FOUND")


def test_names_come_from_the_seed(classroom, hooks):
    hooks.seed({"users": [{"email": "ada.l@district.example.org", "givenName": "Ada", "familyName": "Lovelace"}]})
    make_course(classroom)
    student = classroom.courses().students().create(courseId="d:SIS-1",
                                                    body={"userId": "ada.l@district.example.org"}).execute()
    assert student["profile"]["name"] == {"givenName": "Ada", "familyName": "Lovelace", "fullName": "Ada Lovelace"}


def test_me_is_the_impersonated_admin(classroom):
    make_course(classroom)
    me = classroom.courses().teachers().create(courseId="d:SIS-1", body={"userId": "me"}).execute()
    assert me["profile"]["emailAddress"] == f"admin@{DOMAIN}"


def test_already_a_member_is_409_in_either_role(classroom):
    make_course(classroom)
    classroom.courses().students().create(courseId="d:SIS-1", body={"userId": KID}).execute()
    classroom.courses().teachers().create(courseId="d:SIS-1", body={"userId": TEACHER}).execute()
    for role, user in (("students", KID), ("teachers", KID), ("students", TEACHER), ("teachers", OWNER)):
        resource = getattr(classroom.courses(), role)()
        expect_error(resource.create(courseId="d:SIS-1", body={"userId": user}), 409, "ALREADY_EXISTS")


def test_direct_add_outside_the_domain_is_refused(classroom, hooks):
    hooks.seed({"users": [{"email": "guest@partner.example.com"}]})
    make_course(classroom)
    for user in ("outsider@gmail.com", "guest@partner.example.com"):
        expect_error(classroom.courses().students().create(courseId="d:SIS-1", body={"userId": user}),
                     403, "PERMISSION_DENIED", "CannotDirectAddUser")
        expect_error(classroom.courses().teachers().create(courseId="d:SIS-1", body={"userId": user}),
                     403, "PERMISSION_DENIED", "CannotDirectAddUser")


def test_unknown_course_user_and_missing_user_id(classroom, hooks):
    make_course(classroom)
    expect_error(classroom.courses().students().create(courseId="d:nope", body={"userId": KID}), 404, "NOT_FOUND")
    expect_error(classroom.courses().students().create(courseId="d:SIS-1", body={}), 400, "INVALID_ARGUMENT")
    expect_error(classroom.courses().students().create(courseId="d:SIS-1", body={"userId": "404"}),
                 404, "NOT_FOUND")
    expect_error(classroom.courses().students().list(courseId="d:nope"), 404, "NOT_FOUND")
    hooks.seed({"auto_users": False})
    expect_error(classroom.courses().students().create(courseId="d:SIS-1", body={"userId": f"ghost@{DOMAIN}"}),
                 404, "NOT_FOUND")


def test_owner_cannot_be_removed(classroom):
    make_course(classroom)
    message = expect_error(classroom.courses().teachers().delete(courseId="d:SIS-1", userId=OWNER),
                           400, "FAILED_PRECONDITION")
    assert "owner" in message


def test_teacher_limit_is_20(classroom, http, base_url):
    make_course(classroom)
    requests = [classroom.courses().teachers().create(courseId="d:SIS-1", body={"userId": f"t{i}@{DOMAIN}"})
                for i in range(20)]
    results = run_batch(base_url, http, requests)
    assert [exc is None for _, exc in results] == [True] * 19 + [False]
    assert results[-1][1].status_code == 400
    assert b"@CourseTeacherLimitReached " in results[-1][1].content


def test_member_limit_is_1000(classroom, hooks):
    students = [f"s{i}@{DOMAIN}" for i in range(998)]
    hooks.seed({"courses": [{"name": "Big", "ownerEmail": OWNER, "aliases": ["d:BIG"], "studentEmails": students}]})
    classroom.courses().teachers().create(courseId="d:BIG", body={"userId": TEACHER}).execute()  # member 1000
    expect_error(classroom.courses().students().create(courseId="d:BIG", body={"userId": KID}),
                 400, "FAILED_PRECONDITION", "CourseMemberLimitReached")
    expect_error(classroom.courses().teachers().create(courseId="d:BIG", body={"userId": f"t2@{DOMAIN}"}),
                 400, "FAILED_PRECONDITION", "CourseMemberLimitReached")


def test_roster_paging_default_30_and_tokens_cover_everyone_once(classroom, hooks):
    students = [f"s{i:03d}@{DOMAIN}" for i in range(75)]
    hooks.seed({"courses": [{"name": "Big", "ownerEmail": OWNER, "aliases": ["d:BIG"], "studentEmails": students}]})
    first = classroom.courses().students().list(courseId="d:BIG").execute()
    assert len(first["students"]) == 30 and first["nextPageToken"]
    capped = classroom.courses().students().list(courseId="d:BIG", pageSize=1000).execute()
    assert len(capped["students"]) == 30
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        page = classroom.courses().students().list(courseId="d:BIG", pageSize=20, pageToken=token).execute()
        seen += [s["profile"]["emailAddress"] for s in page["students"]]
        pages += 1
        token = page.get("nextPageToken")
        if not token:
            break
    assert seen == students and pages == 4
    teachers = classroom.courses().teachers().list(courseId="d:BIG").execute()
    assert "nextPageToken" not in teachers


def test_page_tokens_survive_concurrent_removals(classroom, hooks):
    students = [f"s{i:03d}@{DOMAIN}" for i in range(10)]
    hooks.seed({"courses": [{"name": "C", "ownerEmail": OWNER, "aliases": ["d:C"], "studentEmails": students}]})
    page = classroom.courses().students().list(courseId="d:C", pageSize=4).execute()
    classroom.courses().students().delete(courseId="d:C", userId=students[0]).execute()
    rest = classroom.courses().students().list(courseId="d:C", pageSize=100,
                                               pageToken=page["nextPageToken"]).execute()
    assert [s["profile"]["emailAddress"] for s in rest["students"]] == students[4:]


def test_page_tokens_are_opaque_and_bound_to_their_request(classroom, hooks):
    students = [f"s{i:03d}@{DOMAIN}" for i in range(5)]
    hooks.seed({"courses": [
        {"name": "C", "ownerEmail": OWNER, "aliases": ["d:C"], "studentEmails": students},
        {"name": "D", "ownerEmail": OWNER, "aliases": ["d:D"], "studentEmails": students},
    ]})
    token = classroom.courses().students().list(courseId="d:C", pageSize=2).execute()["nextPageToken"]
    assert not token.isdigit()
    for bad in (token[:-2] + "AA", "2", "MTA", token + "x"):
        expect_error(classroom.courses().students().list(courseId="d:C", pageToken=bad), 400, "INVALID_ARGUMENT")
    expect_error(classroom.courses().students().list(courseId="d:D", pageToken=token), 400, "INVALID_ARGUMENT")
    expect_error(classroom.courses().teachers().list(courseId="d:C", pageToken=token), 400, "INVALID_ARGUMENT")
    # pageSize isn't part of the request's identity
    page = classroom.courses().students().list(courseId="d:C", pageSize=3, pageToken=token).execute()
    assert [s["profile"]["emailAddress"] for s in page["students"]] == students[2:]
    expect_error(classroom.courses().students().list(courseId="d:C", pageSize=-1), 400, "INVALID_ARGUMENT")


def test_courses_list_pages(classroom, hooks):
    hooks.seed({"courses": [{"name": f"C{i}", "ownerEmail": OWNER} for i in range(7)]})
    names: list[str] = []
    token = None
    while True:
        page = classroom.courses().list(pageSize=3, pageToken=token, fields="courses/name,nextPageToken").execute()
        names += [c["name"] for c in page["courses"]]
        token = page.get("nextPageToken")
        if not token:
            break
    assert names == [f"C{i}" for i in reversed(range(7))]
