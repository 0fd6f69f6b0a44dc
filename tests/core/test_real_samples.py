"""The real exports in tests/fixtures/real (written by nobody on the team) read correctly."""

from __future__ import annotations

from littlesis.core.job_files import read_job
from littlesis.core.sources.loader import load_snapshot
from littlesis.core.sources.locations import PathMap
from littlesis.core.sources.roots import SourceRoots
from tests.conftest import REAL


def load(write, text):
    path = write("job.yaml", text)
    return load_snapshot(read_job(path), path, PathMap(roots=SourceRoots((str(REAL),))))  # outside the config's folder


def test_oneroster_12_messy_sample(write):
    snap = load(write, f"""
        id: messy
        name: OneRoster 1.2 messy
        source: {{preset: oneroster, dir: {REAL / 'oneroster-1.2-messy'}}}
        """)
    assert snap.sections["alias"].tolist() == ["cls-222-123456"]
    assert snap.sections["course_name"].tolist() == ["Introduction to Physics"]
    assert snap.sections["room"].tolist() == ["Room 2-B"]
    assert snap.sections["school"].tolist() == ["History Department"]  # from orgs.csv
    assert snap.sections["term"].tolist() == ["Session Title"]  # from academicSessions.csv
    # No teacher is marked primary in this export: the first listed owns the class.
    assert snap.teachers.to_dict("records") == [
        {"alias": "cls-222-123456", "email": "john.doe@myschool.com", "primary": True}]
    assert sorted(snap.enrollments["email"]) == ["jim.smith@myschool.com", "mmichel.jones2@myschool.com"]
    # Guardians come from the students' agentSourcedIds.
    assert sorted(map(tuple, snap.guardians.to_numpy())) == [
        ("jim.smith@myschool.com", "john.doe@myschool.com"),
        ("mmichel.jones2@myschool.com", "john.doe@myschool.com")]
    # The tobedeleted class and its three enrollments are not silently dropped.
    reasons = snap.rejected["reason"].tolist()
    assert reasons.count("marked tobedeleted in the export") == 1
    assert sum("unknown class" in r for r in reasons) == 3
    assert snap.rejected["line"].tolist() == [3, 5, 6, 7]


def test_sds_v21_sample_through_the_oneroster_preset(write):
    snap = load(write, f"""
        id: sds21
        name: SDS v2.1
        source: {{preset: oneroster, dir: {REAL / 'sds-v2.1'}}}
        """)
    assert snap.sections.set_index("alias")["course_name"].to_dict() == {
        "112001": "Computer Science 101", "112002": "Biology 10"}
    assert snap.sections.set_index("alias")["school"].to_dict() == {
        "112001": "College of Engineering", "112002": "School of TwoDotOne"}  # orgSourcedId, an alternative name
    assert snap.sections.set_index("alias")["term"].to_dict() == {
        "112001": "Fall Semester", "112002": "2021 School Year"}  # sessionSourcedIds
    # "professor" teaches; students' addresses are in username when email is empty.
    assert snap.teachers.set_index("alias")["email"].to_dict() == {
        "112001": "jjonzer@classrmtest31.org", "112002": "kfein@classrmtest31.org"}
    per_section = snap.enrollments.groupby("alias").size().to_dict()
    assert per_section == {"112001": 1, "112002": 3}
    # relationships.csv: guardian and relative both count, each to its student.
    assert sorted(map(tuple, snap.guardians.to_numpy())) == [
        ("asmithee@classrmtest31.org", "bobsmithee@outlook.com"),
        ("fhutch@classrmtest31.org", "jean.craig@outlook.com"),
        ("jcraig@classrmtest31.org", "jean.craig@outlook.com")]
    assert snap.rejected.empty


def test_sds_classic_100_users_sample(write):
    snap = load(write, f"""
        id: sds
        name: SDS classic
        source: {{preset: sds, dir: {REAL / 'sds-classic-100-users'}}}
        mapping:
          teacher_email: "{{Username}}@contoso.example.org"
          student_email: "{{Username}}@contoso.example.org"
        """)
    counts = snap.counts()
    assert counts["sections"] == 28
    assert counts["enrollments"] == 602
    assert counts["students"] == 86
    assert snap.rejected.empty
    # One teacher per section in TeacherRoster.csv, who owns it.
    assert snap.teachers.groupby("alias").size().eq(1).all() and snap.teachers["primary"].all()
    first = snap.sections.set_index("alias").loc["11001"]
    assert first["course_name"] == "Math - Algebra 1" and first["school"] == "Contoso High School"
    assert snap.teachers.set_index("alias").loc["11001", "email"] == "cbeane@contoso.example.org"
    assert snap.enrollments[snap.enrollments["alias"] == "11001"]["email"].str.endswith("@contoso.example.org").all()
    assert snap.guardians.empty


def test_sds_classic_without_a_domain_rejects_every_row_with_its_reason(write):
    snap = load(write, f"""
        id: sds
        name: SDS classic
        source: {{preset: sds, dir: {REAL / 'sds-classic-100-users'}}}
        """)
    assert snap.sections.empty and snap.enrollments.empty and snap.teachers.empty
    ownerless = snap.rejected[snap.rejected["file"] == "(class)"]
    assert len(ownerless) == 28
    assert ownerless.iloc[0]["reason"].startswith("class has no teacher with a valid e-mail")
    first = snap.rejected[snap.rejected["file"] != "(class)"].iloc[0]
    assert first["file"].endswith("StudentEnrollment.csv") and first["line"] == 2
    assert first["reason"] == f"person 13001 has no valid e-mail in {REAL / 'sds-classic-100-users'}/Student.csv ('oklein')"
