"""Every helper, through the real google-api-python-client, against the emulator over HTTP."""

from __future__ import annotations

import pytest

from littlesis.classroom import ClassroomError, ClassroomOps, calls
from tests.classroom.helpers import DOMAIN, OWNER, Hooks, course_seed, kid


def _owner_id(hooks: Hooks) -> str:
    return next(u["id"] for u in hooks.state()["users"] if u["emailAddress"] == OWNER)


def test_create_course_with_alias_in_one_call(ops: ClassroomOps, hooks: Hooks):
    result = ops.create_course("d:SIS-1", "Biology 10", OWNER, section="P1", room="101", course_state="ACTIVE",
                               description_heading="Bio", description="Cells")
    assert result.ok and result.status_code == 200 and result.attempts == 1
    course = hooks.course("d:SIS-1")
    assert result.body == {k: course[k] for k in result.body}
    assert (course["name"], course["section"], course["room"], course["courseState"]) == (
        "Biology 10", "P1", "101", "ACTIVE")
    assert course["aliases"] == ["d:SIS-1"] and course["ownerId"] == _owner_id(hooks)
    assert ops.client.counter.snapshot().calls == {"courses.create": 1}
    assert [e["methodId"] for e in hooks.journal()] == ["courses.create"]  # a lone call is a plain request


def test_second_create_of_an_alias_is_a_classified_409(ops: ClassroomOps):
    assert ops.create_course("d:SIS-1", "Biology 10", OWNER).ok
    again = ops.create_course("d:SIS-1", "Biology 10", OWNER)
    assert again.already_exists and again.attempts == 1
    assert (again.status_code, again.error.reason, again.error.retryable) == (409, "CourseAliasAlreadyExists", False)


def test_list_courses_reads_every_page_with_minimal_fields(ops: ClassroomOps, hooks: Hooks):
    hooks.seed({"courses": [course_seed(f"d:C-{i}") for i in range(1005)]})
    courses = ops.list_courses()
    assert len(courses) == 1005
    state = {c["id"]: c for c in hooks.state()["courses"]}
    wanted = calls.COURSE_FIELDS.split(",")
    assert all(set(c) <= set(wanted) and c == {k: state[c["id"]][k] for k in c} for c in courses)
    assert "enrollmentCode" not in courses[0] and "id" in courses[0]
    counts = ops.client.counter.snapshot()
    assert counts.calls == {"courses.list": 2} and counts.http_requests == 2  # pageSize 1000


def test_list_courses_filters_by_state_and_raises_when_it_cannot_list(ops: ClassroomOps, hooks: Hooks):
    hooks.seed({"courses": [course_seed("d:A"), {**course_seed("d:P"), "courseState": "PROVISIONED"}]})
    assert [c["courseState"] for c in ops.list_courses(["PROVISIONED"])] == ["PROVISIONED"]
    with pytest.raises(ClassroomError, match="NOT_FOUND"):
        ops.list_courses(teacher_id=f"nobody@{DOMAIN.replace('.', '-')}.example.com")


def test_get_courses_by_alias_batched(ops: ClassroomOps, hooks: Hooks):
    hooks.seed({"courses": [course_seed(f"d:G-{i}") for i in range(3)]})
    found = ops.get_courses(["d:G-0", "d:G-1", "d:G-2", "d:missing"])
    assert [found[f"d:G-{i}"].body["name"] for i in range(3)] == ["Course d:G-0", "Course d:G-1", "Course d:G-2"]
    assert found["d:missing"].not_found and found["d:missing"].attempts == 1  # a course 404 is not retried
    assert ops.client.counter.snapshot().batches == 1


def test_patch_course_sends_exactly_the_changed_fields(ops: ClassroomOps, hooks: Hooks):
    hooks.seed({"courses": [course_seed("d:SIS-1")]})
    result = ops.patch_course("d:SIS-1", {"name": "Biology 11", "room": "202"})
    assert result.ok and result.body["name"] == "Biology 11"
    course = hooks.course("d:SIS-1")
    assert (course["name"], course["room"]) == ("Biology 11", "202")
    assert "updateMask=name%2Croom" in hooks.journal()[-1]["path"]
    with pytest.raises(ValueError, match="enrollmentCode"):
        calls.patch_course("d:SIS-1", {"enrollmentCode": "x"})
    archived = ops.client.execute([calls.set_course_state("d:SIS-1", "ARCHIVED")])[0]
    assert archived.ok and hooks.course("d:SIS-1")["courseState"] == "ARCHIVED"


def test_add_and_remove_teachers_and_students_then_change_owner(ops: ClassroomOps, hooks: Hooks):
    hooks.seed({"courses": [course_seed("d:SIS-1")]})
    teacher = f"teacher@{DOMAIN}"
    assert ops.add_teacher("d:SIS-1", teacher).ok
    added = ops.add_student("d:SIS-1", kid(1))
    assert added.ok and added.body["profile"]["emailAddress"] == kid(1)
    assert set(added.body) == {"userId", "profile"}  # minimal fields
    assert ops.add_student("d:SIS-1", kid(2)).ok
    assert ops.change_owner("d:SIS-1", teacher).ok
    course = hooks.course("d:SIS-1")
    teacher_id = next(t["userId"] for t in course["teachers"] if t["emailAddress"] == teacher)
    assert course["ownerId"] == teacher_id
    assert ops.remove_teacher("d:SIS-1", OWNER).ok  # no longer the owner
    assert ops.remove_student("d:SIS-1", kid(1)).ok
    gone = ops.remove_student("d:SIS-1", kid(1))
    assert gone.not_found and gone.attempts == 1  # 404 on a delete: already done, never retried
    course = hooks.course("d:SIS-1")
    assert [t["emailAddress"] for t in course["teachers"]] == [teacher]
    assert [s["emailAddress"] for s in course["students"]] == [kid(2)]


def test_aliases_create_and_delete(ops: ClassroomOps, hooks: Hooks):
    hooks.seed({"courses": [course_seed("d:SIS-1")]})
    results = ops.execute([calls.create_alias("d:SIS-1", "p:LINKED-1"), calls.create_alias("d:SIS-1", "d:SIS-1")])
    assert results[0].ok and results[1].already_exists
    assert hooks.course("d:SIS-1")["aliases"] == ["d:SIS-1", "p:LINKED-1"]
    assert ops.execute([calls.delete_alias("d:SIS-1", "p:LINKED-1")])[0].ok
    assert hooks.course("d:SIS-1")["aliases"] == ["d:SIS-1"]


def test_list_rosters_of_many_courses(ops: ClassroomOps, hooks: Hooks):
    hooks.seed({"courses": [course_seed("d:R-1", students=3, teachers=1), course_seed("d:R-2", students=0)]})
    rosters = ops.list_rosters(["d:R-1", "d:R-2", "d:gone"])
    one = rosters["d:R-1"]
    assert one.ok and one.aliases == ["d:R-1"]
    assert [m.email for m in one.students] == [kid(0), kid(1), kid(2)]
    assert {m.email for m in one.teachers} == {OWNER, f"teacher0@{DOMAIN}"}
    owner = next(m for m in one.teachers if m.email == OWNER)
    assert (owner.given_name, owner.family_name, owner.user_id) == ("Olive", "Owner", _owner_id(hooks))
    assert rosters["d:R-2"].ok and rosters["d:R-2"].students == []
    assert set(rosters["d:gone"].errors) == {"aliases", "teachers", "students"}
    assert rosters["d:gone"].errors["students"].status == "NOT_FOUND"
    with pytest.raises(ValueError, match="guardians"):
        ops.list_rosters(["d:R-1"], kinds=["guardians"])


def test_user_ids_resolved_in_one_batch_then_cached(ops: ClassroomOps, hooks: Hooks):
    result = ops.get_user_profile(OWNER)
    assert result.ok and result.body == {"id": _owner_id(hooks), "emailAddress": OWNER,
                                         "name": {"givenName": "Olive", "familyName": "Owner"}}
    emails = [kid(i) for i in range(5)] + ["Kid0@" + DOMAIN, "outsider@gmail.example.com"]
    first = ops.resolve_user_ids(emails)
    assert set(first.ids) == {kid(i) for i in range(5)}  # lower-cased, duplicates asked once
    assert first.errors["outsider@gmail.example.com"].status == "PERMISSION_DENIED"
    users = {u["emailAddress"]: u["id"] for u in hooks.state()["users"]}
    assert all(first.ids[e] == users[e] for e in first.ids)
    before = ops.client.counter.snapshot()
    assert ops.resolve_user_ids([kid(3), kid(4)]).ids == {kid(3): users[kid(3)], kid(4): users[kid(4)]}
    assert (ops.client.counter.snapshot() - before).total_calls == 0
    assert before.calls["userProfiles.get"] == 1 + 6 and before.batches == 1


def test_roster_listing_fills_the_user_cache(ops: ClassroomOps, hooks: Hooks):
    hooks.seed({"courses": [course_seed("d:R-1", students=2)]})
    ops.list_rosters(["d:R-1"], kinds=["students"])
    before = ops.client.counter.snapshot()
    assert set(ops.resolve_user_ids([kid(0), kid(1)]).ids) == {kid(0), kid(1)}
    assert ops.client.counter.snapshot() == before


def test_guardian_invitations_create_list_withdraw_and_guardians(ops: ClassroomOps, hooks: Hooks):
    hooks.seed({"courses": [course_seed("d:R-1", students=2)]})
    created = ops.create_guardian_invitation(kid(0), "mum@family.example.com")
    assert created.ok and created.body["state"] == "PENDING"
    assert ops.create_guardian_invitation(kid(0), "mum@family.example.com").already_exists
    assert ops.create_guardian_invitation(kid(1), "dad@family.example.com").ok
    everyone = ops.list_guardian_invitations()
    assert {(g["invitedEmailAddress"], g["state"]) for g in everyone} == {
        ("mum@family.example.com", "PENDING"), ("dad@family.example.com", "PENDING")}
    assert everyone == [{k: g[k] for k in calls.GUARDIAN_INVITATION_FIELDS.split(",")}
                        for g in hooks.state()["guardianInvitations"]]
    withdrawn = ops.withdraw_guardian_invitation(kid(0), created.body["invitationId"])
    assert withdrawn.ok and withdrawn.body["state"] == "COMPLETE"
    of = ops.list_guardian_invitations_of([kid(0), kid(1)], states=["PENDING"])
    assert of[kid(0)].ok and of[kid(0)].items == []
    assert [g["invitedEmailAddress"] for g in of[kid(1)].items] == ["dad@family.example.com"]
    dad = of[kid(1)].items[0]["invitationId"]
    hooks.accept_guardian_invitation(dad)
    guardians = ops.list_guardians()
    assert [g["invitedEmailAddress"] for g in guardians] == ["dad@family.example.com"]
    assert [g["invitedEmailAddress"] for g in ops.list_guardians_of([kid(1)])[kid(1)].items] == [
        "dad@family.example.com"]
    unlinked = ops.execute([calls.delete_guardian(guardians[0]["studentId"], guardians[0]["guardianId"])])[0]
    assert unlinked.ok and ops.list_guardians() == []


def test_malformed_calls_raise_before_anything_is_sent(ops: ClassroomOps, hooks: Hooks):
    good = calls.add_student("d:SIS-1", kid(1))
    with pytest.raises(ValueError, match="unknown Classroom method"):
        ops.execute([good, calls.Call("courses.fly")])
    with pytest.raises(ValueError, match=r"bad call courses\.get"):
        ops.execute([good, calls.Call("courses.get", {"id": "1"}, {"bogus": 1})])
    assert hooks.journal() == []
