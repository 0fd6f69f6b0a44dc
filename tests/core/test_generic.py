"""The generic preset: normalization, owners and co-teachers, guardians, class columns for rules."""

from __future__ import annotations

from littlesis.core.job_files import read_job
from littlesis.core.sources.loader import load_snapshot

HEADER = "SchoolID,CourseID,SectionID,Year,CourseName,Period,Room,TeacherEmail,CoTeachers,StudentEmail,GuardianEmail\n"


def load(write, rows: str, extra: str = ""):
    write("roster.csv", HEADER + rows)
    path = write("job.yaml", "id: g\nname: G\nsource: {preset: generic, files: {roster: roster.csv}}\n" + extra)
    return load_snapshot(read_job(path), path)


def test_addresses_are_trimmed_and_lower_cased(write):
    snap = load(write, "1,2,3,2026,Art,1,R1, Ms.Lee@D.ORG ,, Kid@D.org ,\n")
    assert snap.teachers["email"].tolist() == ["ms.lee@d.org"]
    assert snap.enrollments["email"].tolist() == ["kid@d.org"]
    assert snap.sections.iloc[0].to_dict() | {} == {
        "alias": "1-2-3-2026", "course_name": "Art", "section": "Period 1", "room": "R1",
        "description_heading": "", "description": "", "school": "1", "term": "2026"}


def test_first_rows_teacher_owns_others_co_teach_and_co_teacher_column_adds_more(write):
    snap = load(write, (
        "1,2,3,2026,Art,1,R1,a@d.org,c@d.org;d@d.org,k1@d.org,\n"
        "1,2,3,2026,Art,1,R1,b@d.org,,k2@d.org,\n"
        "1,2,3,2026,Art,1,R1,a@d.org,,k3@d.org,\n"
    ), extra="mapping: {co_teacher_emails: '{CoTeachers}'}\n")
    assert snap.teachers.to_dict("records") == [
        {"alias": "1-2-3-2026", "email": "a@d.org", "primary": True},
        {"alias": "1-2-3-2026", "email": "b@d.org", "primary": False},
        {"alias": "1-2-3-2026", "email": "c@d.org", "primary": False},
        {"alias": "1-2-3-2026", "email": "d@d.org", "primary": False},
    ]
    assert snap.enrollments["email"].tolist() == ["k1@d.org", "k2@d.org", "k3@d.org"]


def test_a_row_without_a_student_declares_an_empty_class(write):
    snap = load(write, "1,2,3,2026,Art,1,R1,a@d.org,,,\n")
    assert len(snap.sections) == 1 and snap.enrollments.empty and snap.rejected.empty


def test_guardian_cells_with_several_addresses_and_repeats(write):
    snap = load(write, (
        "1,2,3,2026,Art,1,R1,a@d.org,,k1@d.org,\"Mum@F.net; dad@f.net\"\n"
        "1,2,4,2026,Art,2,R1,a@d.org,,k1@d.org,\"Mum@F.net; dad@f.net\"\n"
        "1,2,4,2026,Art,2,R1,a@d.org,,k2@d.org,gran@f.net\n"
    ))
    assert sorted(map(tuple, snap.guardians.to_numpy())) == [
        ("k1@d.org", "dad@f.net"), ("k1@d.org", "mum@f.net"), ("k2@d.org", "gran@f.net")]


def test_duplicate_enrollment_rows_count_once(write):
    snap = load(write, "1,2,3,2026,Art,1,R1,a@d.org,,k1@d.org,\n1,2,3,2026,Art,1,R1,a@d.org,,K1@d.org,\n")
    assert snap.enrollments["email"].tolist() == ["k1@d.org"]


def test_rule_view_offers_source_columns_and_ours(write):
    snap = load(write, "1,2,3,2026,Art,1,R1,a@d.org,,k1@d.org,\n")
    view = snap.rule_view()
    assert view.loc["1-2-3-2026", "Period"] == "1"
    assert view.loc["1-2-3-2026", "teacher_email"] == "a@d.org"
    assert view.loc["1-2-3-2026", "course_name"] == "Art"
