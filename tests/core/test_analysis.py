"""The analysis: each action kind and preference, matching, safety, idempotence."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from littlesis.core.analysis import AnalysisInput, analyze, written_values
from littlesis.core.job_files import read_job
from littlesis.core.preview import preview
from tests.core.classroom_model import ClassroomModel

HEADER = "SchoolID,CourseID,SectionID,Year,CourseName,Period,Room,TeacherEmail,CoTeachers,StudentEmail,GuardianEmail"
T1, T2, T3 = "t1@d.org", "t2@d.org", "t3@d.org"


def roster(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


def row(section: str, student: str, teacher: str = T1, co: str = "", name: str = "Algebra", guardian: str = "") -> str:
    return f"1,101,{section},2026,{name},1,R1,{teacher},{co},{student},{guardian}"


def analysis(write, csv: str, prefs: str = "", model: ClassroomModel | None = None, last_synced=None,
             job_aliases=(), rules: str = ""):
    write("roster.csv", csv)
    path = write("job.yaml", "id: j\nname: J\nsource: {preset: generic, files: {roster: roster.csv}}\n"
                             "mapping: {co_teacher_emails: '{CoTeachers}', class_alias: 'C{SectionID}'}\n"
                             + rules + ("preferences:\n" + "".join(f"  {line}\n" for line in prefs.splitlines())
                                        if prefs else ""))
    job = read_job(path)
    scoped = preview(job, path)
    state = (model or ClassroomModel()).state()
    kwargs = {} if last_synced is None else {"last_synced": last_synced}
    return job, analyze(AnalysisInput(scoped.snapshot, scoped.scope, state, job.preferences,
                                      job_aliases=job_aliases, **kwargs))


def kinds(plan) -> list[tuple[str, str, str]]:
    return [(a.kind, a.alias, a.payload) for a in plan.actions.itertuples()]


def payloads(plan, kind: str) -> list[dict]:
    return [json.loads(p) for p in plan.actions.loc[plan.actions["kind"] == kind, "payload"]]


def test_first_sync_creates_courses_with_alias_owner_and_state_then_members(write):
    _, plan = analysis(write, roster(row("1", "a@d.org", co=T2), row("1", "b@d.org", co=T2), row("2", "c@d.org")),
                       "new_course_state: ACTIVE")
    assert plan.counts() == {"create_course": 2, "add_teacher": 1, "add_student": 3}
    create = payloads(plan, "create_course")[0]
    assert create == {"id": "d:C1", "name": "Algebra", "section": "Period 1", "room": "R1", "ownerId": T1,
                      "courseState": "ACTIVE"}
    assert list(plan.actions["kind"]) == ["create_course"] * 2 + ["add_teacher"] + ["add_student"] * 3
    assert set(plan.actions.loc[plan.actions["kind"] == "add_student", "target"]) == {"d:C1", "d:C2"}


def test_applying_a_plan_then_analyzing_again_proposes_nothing(write):
    csv = roster(row("1", "a@d.org", co=T2, guardian="p@f.net"), row("2", "b@d.org", guardian="q@f.net; r@f.net"))
    prefs = "new_course_state: ACTIVE\nguardian_invitations: true\nremove_students: true\nremove_teachers: true"
    _, plan = analysis(write, csv, prefs)
    model = ClassroomModel()
    model.apply(plan.actions)
    _, again = analysis(write, csv, prefs, model=model, last_synced=written_values(plan.actions))
    assert again.actions.empty
    assert again.no_updates == ["C1", "C2"]
    assert not again.safety.unsafe


def test_same_inputs_give_the_same_ids_and_checksum(write):
    csv = roster(row("1", "a@d.org"), row("2", "b@d.org"))
    _, first = analysis(write, csv)
    _, second = analysis(write, csv)
    assert list(first.actions["action_id"]) == list(second.actions["action_id"])
    assert first.checksum() == second.checksum()
    assert first.actions["action_id"].is_unique


@pytest.mark.parametrize("prefs, expected", [
    ("add_students: true\nremove_students: true", {"add_student": 1, "remove_student": 1}),
    ("add_students: false\nremove_students: true", {"remove_student": 1}),
    ("add_students: true\nremove_students: false", {"add_student": 1}),
    ("add_students: false\nremove_students: false", {}),
])
def test_student_preferences(write, prefs, expected):
    model = ClassroomModel()
    model.add_course("Algebra", T1, aliases=("d:C1",), students=("old@d.org", "stay@d.org"), section="Period 1")
    _, plan = analysis(write, roster(row("1", "stay@d.org"), row("1", "new@d.org")), prefs, model=model)
    assert plan.counts() == expected


@pytest.mark.parametrize("prefs, expected", [
    ("add_teachers: true\nremove_teachers: true", {"add_teacher": 1, "remove_teacher": 1}),
    ("add_teachers: false\nremove_teachers: true", {"remove_teacher": 1}),
    ("add_teachers: true\nremove_teachers: false", {"add_teacher": 1}),
])
def test_teacher_preferences_and_the_owner_is_never_removed(write, prefs, expected):
    model = ClassroomModel()
    model.add_course("Algebra", T1, aliases=("d:C1",), teachers=(T3,), students=("s@d.org",), section="Period 1")
    _, plan = analysis(write, roster(row("1", "s@d.org", co=T2)), prefs, model=model)
    assert plan.counts() == expected
    assert all(p["userId"] != T1 for p in payloads(plan, "remove_teacher"))


def test_owner_change_adds_the_new_owner_as_co_teacher_first(write):
    model = ClassroomModel()
    model.add_course("Algebra", T1, aliases=("d:C1",), students=("s@d.org",), section="Period 1")
    _, plan = analysis(write, roster(row("1", "s@d.org", teacher=T2)), "add_teachers: false", model=model)
    assert [k for k, _, _ in kinds(plan)] == ["add_teacher", "change_owner"]
    assert payloads(plan, "add_teacher") == [{"userId": T2}] and payloads(plan, "change_owner") == [{"ownerId": T2}]
    model.apply(plan.actions)  # the model refuses an owner who is not a co-teacher
    assert model.course("d:C1").owner == T2


def test_roster_exceptions_are_never_added_or_removed(write):
    model = ClassroomModel()
    model.add_course("Algebra", T1, aliases=("d:C1",), students=("aide.kim@d.org", "s@d.org"), section="Period 1")
    _, plan = analysis(write, roster(row("1", "s@d.org"), row("1", "aide.lee@d.org")),
                       "remove_students: true\nroster_exceptions: ['AIDE.*@d.org']", model=model)
    assert plan.actions.empty


def test_class_exceptions_are_excluded_with_their_reason(write):
    _, plan = analysis(write, roster(row("1", "a@d.org"), row("2", "b@d.org")), "class_exceptions: ['C2']")
    assert set(plan.actions["alias"]) == {"C1"}
    assert plan.excluded.to_dict("records") == [{"alias": "C2", "rule": "class exception"}]


def test_sis_changes_update_untouched_fields_but_teacher_edits_survive(write):
    model = ClassroomModel()
    model.add_course("Algebra", T1, aliases=("d:C1",), students=("s@d.org",), section="Period 1")
    model.add_course("My Algebra!", T1, aliases=("d:C2",), students=("s@d.org",), section="Period 1")
    synced = pd.DataFrame({"alias": ["C1", "C1", "C2", "C2"], "field": ["course_name", "section"] * 2,
                           "value": ["Algebra", "Period 1", "Algebra", "Period 1"]})
    csv = roster(row("1", "s@d.org", name="Algebra II"), row("2", "s@d.org", name="Algebra II"))
    _, plan = analysis(write, csv, "", model=model, last_synced=synced)
    # C1 still had the name we wrote: it follows the SIS. C2 was renamed by its teacher: kept.
    assert [(a, p) for k, a, p in kinds(plan)] == [("C1", '{"course":{"name":"Algebra II"},"updateMask":"name"}')]
    _, forced = analysis(write, csv, "overwrite_teacher_values: true", model=model, last_synced=synced)
    assert forced.counts() == {"update_course": 2}


def test_teacher_course_with_the_same_roster_is_linked_not_duplicated(write):
    model = ClassroomModel()
    mine = model.add_course("algebra per 1", T1, students=("a@d.org", "b@d.org", "c@d.org"), section="")
    _, plan = analysis(write, roster(row("1", "a@d.org"), row("1", "b@d.org"), row("1", "c@d.org"),
                                     row("1", "d@d.org")), model=model)
    assert plan.counts() == {"link_course": 1, "add_student": 1}
    assert not plan.safety.unsafe  # adopting a teacher's course is not a change to the job's courses
    link = payloads(plan, "link_course")[0]
    assert link["courseId"] == mine.id and link["alias"] == "d:C1"
    assert set(link["score"]) == {"score", "roster_share_sis", "roster_share_course", "name_similarity",
                                  "owner_teaches"}
    assert link["score"]["roster_share_sis"] == 0.75 and link["score"]["roster_share_course"] == 1.0
    assert plan.matches.iloc[0]["decision"] == "link"


def test_a_partial_match_is_a_suggestion_with_both_alternatives(write):
    model = ClassroomModel()
    model.add_course("Biology", T1, students=("a@d.org", "x@d.org", "y@d.org", "z@d.org"))
    csv = roster(*[row("1", f"{s}@d.org") for s in "abcd"])
    _, plan = analysis(write, csv, "matching: {link_at: 0.9, suggest_at: 0.2}", model=model)
    assert plan.matches.iloc[0]["decision"] == "suggest"
    alternatives = plan.actions.groupby("alternative")["kind"].apply(sorted).to_dict()
    assert alternatives == {"link": ["add_student"] * 3 + ["link_course"],
                            "create": ["add_student"] * 4 + ["create_course"]}


def test_archived_courses_are_never_linked_and_an_existing_alias_is_never_created_again(write):
    model = ClassroomModel()
    model.add_course("Algebra", T1, students=("a@d.org",), state="ARCHIVED")
    model.add_course("Old Algebra", T1, aliases=("d:C2",), students=("b@d.org",), state="ARCHIVED",
                     section="Period 1")
    _, plan = analysis(write, roster(row("1", "a@d.org"), row("2", "b@d.org")), model=model)
    assert [(k, a) for k, a, _ in kinds(plan)] == [("create_course", "C1"), ("add_student", "C1")]


@pytest.mark.parametrize("order", [("first", "second"), ("second", "first")])
def test_ties_in_matching_are_broken_the_same_way_whatever_the_order(write, order):
    model = ClassroomModel()
    made = {name: model.add_course("Algebra", T1, students=("a@d.org",), section="Period 1") for name in order}
    _, plan = analysis(write, roster(row("1", "a@d.org")), model=model)
    assert payloads(plan, "link_course")[0]["courseId"] == min(c.id for c in made.values())


def test_one_course_links_to_one_section_at_most(write):
    model = ClassroomModel()
    model.add_course("Algebra", T1, students=("a@d.org", "b@d.org"), section="Period 1")
    _, plan = analysis(write, roster(row("1", "a@d.org"), row("1", "b@d.org"), row("2", "a@d.org")), model=model)
    assert plan.counts()["link_course"] == 1 and plan.counts()["create_course"] == 1
    assert payloads(plan, "link_course")[0]["alias"] == "d:C1"  # the better match wins


def test_guardians_invited_only_for_active_courses_and_never_twice(write):
    model = ClassroomModel()
    model.add_course("Algebra", T1, aliases=("d:C1",), students=("a@d.org", "b@d.org", "c@d.org"),
                     section="Period 1")
    model.add_course("Algebra", T1, aliases=("d:C2",), students=("e@d.org",), section="Period 1",
                     state="PROVISIONED")
    model.guardians.add(("b@d.org", "pb@f.net"))
    model.invitations["77"] = ("c@d.org", "pc@f.net", "PENDING")
    model.invitations["78"] = ("c@d.org", "old@f.net", "PENDING")
    csv = roster(row("1", "a@d.org", guardian="pa@f.net"), row("1", "b@d.org", guardian="pb@f.net"),
                 row("1", "c@d.org", guardian="pc@f.net"), row("2", "e@d.org", guardian="pe@f.net"))
    _, plan = analysis(write, csv, "guardian_invitations: true", model=model)
    assert payloads(plan, "invite_guardian") == [{"invitedEmailAddress": "pa@f.net", "studentId": "a@d.org"}]
    assert payloads(plan, "withdraw_guardian_invitation") == [{"invitationId": "78", "studentId": "c@d.org"}]


def test_archive_missing_archives_this_jobs_courses_that_left_the_sis(write):
    model = ClassroomModel()
    for section in ("1", "2"):
        model.add_course("Algebra", T1, aliases=(f"d:C{section}",), students=("a@d.org",), section="Period 1")
    _, plan = analysis(write, roster(row("1", "a@d.org")), "archive_missing: true\nsafety: {max_changed_course_share: 1}",
                       model=model, job_aliases=("C1", "C2"))
    assert kinds(plan) == [("archive_course", "C2", '{"courseState":"ARCHIVED"}')]
    _, kept = analysis(write, roster(row("1", "a@d.org")), "archive_missing: false", model=model,
                       job_aliases=("C1", "C2"))
    assert kept.actions.empty


def _four_full_classes() -> tuple[ClassroomModel, list[str]]:
    model = ClassroomModel()
    students = [f"s{i}@d.org" for i in range(20)]
    for section in "1234":
        model.add_course("Algebra", T1, aliases=(f"d:C{section}",), students=tuple(students), section="Period 1")
    return model, [row(sec, s) for sec in "1234" for s in students]


def test_an_export_missing_half_its_rows_makes_an_unsafe_plan_with_the_numbers(write):
    model, full = _four_full_classes()
    _, plan = analysis(write, roster(*full[::2]), "remove_students: true", model=model,
                       job_aliases=("C1", "C2", "C3", "C4"))
    assert plan.safety.unsafe
    assert plan.safety.reasons == [
        "would remove 40 of 80 students (50.0%), over the 10% limit",
        "would change 4 of 4 courses (100.0%), over the 25% limit",
    ]


def test_an_export_cut_short_makes_an_unsafe_plan_even_without_removals(write):
    model, full = _four_full_classes()
    _, plan = analysis(write, roster(*full[: len(full) // 2]), "remove_students: false", model=model,
                       job_aliases=("C1", "C2", "C3", "C4"))
    assert plan.actions.empty and plan.safety.unsafe
    assert plan.safety.reasons == [
        "would change 2 of 4 courses (50.0%), 2 of them missing from the export, over the 25% limit"]


def test_a_normal_nightly_change_is_safe(write):
    model, full = _four_full_classes()
    _, plan = analysis(write, roster(*full[1:]), "remove_students: true", model=model,
                       job_aliases=("C1", "C2", "C3", "C4"))
    assert plan.counts() == {"remove_student": 1} and not plan.safety.unsafe
