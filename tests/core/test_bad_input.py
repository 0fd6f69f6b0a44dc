"""A corpus of bad exports: each ends in a message naming file, line or field and the value.

Either the load fails as a whole (SourceError: a missing file or column, a
file that is not text) or the bad row is left out with a reason the run keeps
(rejected rows), or the oddity is normalized (an address in capitals). Nothing
crashes and nothing disappears silently. Job configs, source paths and plans
have their own corpora (test_bad_input_config, _paths, _plan); the sync path
with a broken export is in test_bad_input_sync.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import pytest

from littlesis.core.errors import SourceError
from littlesis.core.job_files import read_job
from littlesis.core.snapshot import SisSnapshot
from littlesis.core.sources.loader import load_snapshot
from littlesis.core.sources.locations import PathMap

HEADER = "SchoolID,CourseID,SectionID,Year,CourseName,Period,Room,TeacherEmail,StudentEmail,GuardianEmail"
GOOD = "1000,101,1,2026,Algebra,1,R1,t1@d.org,s1@d.org,p1@f.net"
GENERIC_JOB = "id: bad\nname: Bad input\nsource: {preset: generic, files: {roster: roster.csv}}\n"
OR_JOB = "id: bad\nname: Bad input\nsource: {preset: oneroster, dir: export}\n"
OR_CLASSES = "sourcedId,status,title,classCode,location,schoolSourcedId\nc1,active,Algebra,A1,R1,s1\n"
OR_USERS = ("sourcedId,status,email,username,givenName,familyName\n"
            "t1,active,t1@d.org,t1,Tea,Cher\nu1,active,s1@d.org,s1,Stu,Dent\n")
OR_ENROLLMENTS = ("sourcedId,status,classSourcedId,userSourcedId,role,primary\n"
                  "e1,active,c1,t1,teacher,true\ne2,active,c1,u1,student,false\n")
TEN_MB = 10_000_000


class Rejected(NamedTuple):
    """One rejected row exactly as the run keeps it."""

    line: int | None
    field: str | None
    value: str
    reason: str
    file: str = "roster.csv"


@dataclass
class Case:
    name: str
    files: dict[str, str | bytes]
    job: str = GENERIC_JOB
    error: str | None = None  # the whole load fails with exactly this message ({tmp}: the case's folder)
    rejected: Rejected | None = None
    loaded: Callable[[SisSnapshot], None] | None = None  # what a normalized load must hold
    follow_ons: int = 0  # rows rejected because of the first one (a rejected class's enrollments)
    env_map: dict[str, str] = field(default_factory=dict)


def roster(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def oneroster(**overrides: str | bytes) -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {"export/classes.csv": OR_CLASSES, "export/users.csv": OR_USERS,
                                     "export/enrollments.csv": OR_ENROLLMENTS}
    files.update({f"export/{k.replace('_', '.')}": v for k, v in overrides.items()})
    return {k: v for k, v in files.items() if v != "DELETE"}


def students_of(snapshot: SisSnapshot) -> list[str]:
    return sorted(snapshot.enrollments["email"])


def expect_students(*emails: str) -> Callable[[SisSnapshot], None]:
    def check(snapshot: SisSnapshot) -> None:
        assert students_of(snapshot) == sorted(emails)
        assert snapshot.rejected.empty, snapshot.rejected.to_dict("records")
    return check


def expect_course_names(*names: str, encoding: str | None = None) -> Callable[[SisSnapshot], None]:
    def check(snapshot: SisSnapshot) -> None:
        assert snapshot.sections["course_name"].tolist() == list(names)
        assert snapshot.rejected.empty, snapshot.rejected.to_dict("records")
        if encoding is not None:
            assert [f.encoding for f in snapshot.files] == [encoding]
    return check


FORMULAS = ['=HYPERLINK("http://evil.example/x","Grades")', "+1+1", "-2+3", "@SUM(A1:A9)", "=cmd|' /C calc'!A0"]

CASES = [
    # --- files that cannot be read at all
    Case("missing roster file", {}, error="roster.csv: file not found (got '{tmp}/roster.csv')"),
    Case("empty file", {"roster.csv": ""}, error="roster.csv: file is empty (no header row)"),
    Case("NUL byte", {"roster.csv": roster(GOOD, "1000,101,2,2026,Alg\x00ebra,1,R1,t1@d.org,s2@d.org,")},
         error="roster.csv:3: contains a NUL byte (binary file or wrong encoding?)"),
    Case("NUL byte in the header", {"roster.csv": roster(GOOD).replace("CourseName", "Course\x00Name")},
         error="roster.csv:1: contains a NUL byte (binary file or wrong encoding?)"),
    Case("UTF-16 without a byte-order mark", {"roster.csv": roster(GOOD).encode("utf-16-le")},
         error="roster.csv:1: looks like UTF-16 text without a byte-order mark; set source.encoding: utf-16-le "
               "in the job config"),
    Case("required column missing", {"roster.csv": roster(GOOD).replace("TeacherEmail", "Teacher")},
         error="{tmp}/job.yaml: mapping.teacher_email: column 'TeacherEmail' is not in roster.csv (did you mean "
               "'Teacher'?) (got '{{TeacherEmail}}')"),
    Case("mapped column misspelled", {"roster.csv": roster(GOOD)},
         job=GENERIC_JOB + "mapping: {room: '{Rooom}'}\n",
         error="{tmp}/job.yaml: mapping.room: column 'Rooom' is not in roster.csv (did you mean 'Room'?) "
               "(got '{{Rooom}}')"),
    Case("declared encoding is wrong", {"roster.csv": roster(GOOD, GOOD).encode() + "1000,101,3,2026,Fran\xe7ais,1,R1,"
                                        "t1@d.org,s3@d.org,\n".encode("cp1252")},
         job=GENERIC_JOB.replace("roster.csv}}", "roster.csv}, encoding: utf-8}"),
         error="roster.csv:4: not valid utf-8 text (byte 228)"),
    Case("Windows path without a path map", {"roster.csv": roster(GOOD)},
         job=GENERIC_JOB.replace("roster.csv}}", "'C:\\SIS\\exports\\roster.csv'}}"),
         error="{tmp}/job.yaml: source.files.roster: Windows path has no entry in the deployment's path map "
               "(LITTLESIS_PATH_MAP) (got 'C:\\\\SIS\\\\exports\\\\roster.csv')"),
    # --- encodings and byte-order marks that load, with the right lines
    Case("UTF-8 byte-order mark", {"roster.csv": b"\xef\xbb\xbf" + roster(GOOD, "1000,101,1,2026,Algebra,1,R1,"
                                                                             "t1@d.org,s2@@d.org,").encode()},
         rejected=Rejected(3, "student_email", "s2@@d.org", "invalid e-mail in student_email")),
    Case("UTF-16 with a byte-order mark", {"roster.csv": roster(GOOD, "1000,101,1,2026,Algebra,1,R1,t1@d.org,"
                                                                "s2@@d.org,").encode("utf-16")},
         rejected=Rejected(3, "student_email", "s2@@d.org", "invalid e-mail in student_email")),
    Case("Windows-1252 without a declaration", {"roster.csv": roster(
        "1000,101,1,2026,Fran\xe7ais,1,R1,t1@d.org,s1@d.org,").encode("cp1252")},
         loaded=expect_course_names("Fran\xe7ais", encoding="cp1252")),
    Case("second export appended (byte-order mark and header again)",
         {"roster.csv": roster(GOOD) + "\ufeff" + roster("1000,101,2,2026,Geometry,1,R1,t1@d.org,s2@d.org,")},
         rejected=Rejected(3, "teacher_email", "teacheremail", "invalid e-mail in teacher_email")),
    # --- sizes, quotes and shapes
    Case("10 MB course name", {"roster.csv": roster(GOOD, f"1000,101,2,2026,{'A' * TEN_MB},1,R1,t1@d.org,s2@d.org,")},
         rejected=Rejected(3, "course_name", "A" * 200 + "... (10,000,000 characters)",
                           "course_name is longer than Classroom's limit of 750 characters; the class is not synced")),
    Case("10 MB student e-mail", {"roster.csv": roster(GOOD, f"1000,101,1,2026,Algebra,1,R1,t1@d.org,{'s' * TEN_MB},")},
         rejected=Rejected(3, "student_email", "s" * 200 + "... (10,000,000 characters)",
                           "invalid e-mail in student_email")),
    Case("empty course name", {"roster.csv": roster(GOOD, "1000,101,2,2026,,1,R1,t1@d.org,s2@d.org,")},
         rejected=Rejected(3, "course_name", "",
                           "course_name is empty; Classroom needs a course name; the class is not synced")),
    Case("quoted newline, then a bad row", {"roster.csv": roster(
        GOOD, '1000,101,2,2026,"Algebra\nII",1,R1,t1@d.org,s2@d.org,', "1000,101,3,2026,Bio,1,R1,t1@d.org,bad@@x,")},
         rejected=Rejected(5, "student_email", "bad@@x", "invalid e-mail in student_email")),
    Case("quote left open", {"roster.csv": roster(GOOD, '1000,101,2,2026,"Geometry,1,R1,t1@d.org,s2@d.org,',
                                                  "1000,101,3,2026,Bio,1,R1,t1@d.org,s3@d.org,")},
         rejected=Rejected(3, None, '1000,101,2,2026,Geometry,1,R1,t1@d.org,s2@d.org,\n1000,101,3,2026,Bio,1,R1,'
                           't1@d.org,s3@d.org,\n',
                           "row has 5 fields, the header has 10; it runs on to line 4 (a quote left open?)")),
    Case("CRLF line ends and blank lines", {"roster.csv": roster(GOOD, "", "", "1000,101,1,2026,Algebra,1,R1,"
                                                                 "t1@d.org,s2@@d.org,").replace("\n", "\r\n")},
         rejected=Rejected(5, "student_email", "s2@@d.org", "invalid e-mail in student_email")),
    Case("row with a field too many", {"roster.csv": roster(GOOD, GOOD + ",surprise")},
         rejected=Rejected(3, None, GOOD + ",surprise", "row has 11 fields, the header has 10")),
    Case("row with fields missing", {"roster.csv": roster(GOOD, "1000,101,1,2026")},
         rejected=Rejected(3, None, "1000,101,1,2026", "row has 4 fields, the header has 10")),
    # --- addresses
    Case("invalid student e-mail", {"roster.csv": roster(GOOD, "1000,101,1,2026,Algebra,1,R1,t1@d.org,s2@@d.org,")},
         rejected=Rejected(3, "student_email", "s2@@d.org", "invalid e-mail in student_email")),
    Case("e-mail with an inner space", {"roster.csv": roster(GOOD, "1000,101,1,2026,Algebra,1,R1,t1@d.org,s 2@d.org,")},
         rejected=Rejected(3, "student_email", "s 2@d.org", "invalid e-mail in student_email")),
    Case("e-mail with a zero-width space", {"roster.csv": roster(GOOD, "1000,101,1,2026,Algebra,1,R1,t1@d.org,"
                                                                "s2\u200b@d.org,")},
         rejected=Rejected(3, "student_email", "s2\u200b@d.org", "invalid e-mail in student_email")),
    Case("e-mails in odd case are one student", {"roster.csv": roster(
        GOOD, "1000,101,1,2026,Algebra,1,R1,T1@D.ORG,S2@D.Org,", "1000,101,1,2026,Algebra,1,R1,t1@d.org,s2@d.org,")},
         loaded=expect_students("s1@d.org", "s2@d.org")),
    Case("e-mails with blanks around them", {"roster.csv": roster(
        GOOD, '1000,101,1,2026,Algebra,1,R1,t1@d.org," s2@d.org\t",', "1000,101,1,2026,Algebra,1,R1,t1@d.org,"
        "\u00a0s3@d.org\u00a0,")}, loaded=expect_students("s1@d.org", "s2@d.org", "s3@d.org")),
    Case("invalid guardian address", {"roster.csv": roster("1000,101,1,2026,Algebra,1,R1,t1@d.org,s1@d.org,mum-at-home")},
         rejected=Rejected(2, "guardian_emails", "mum-at-home", "invalid e-mail in guardian_emails")),
    Case("teacher missing", {"roster.csv": roster(GOOD, "1000,101,2,2026,Geometry,1,R1,,s2@d.org,")},
         rejected=Rejected(3, "teacher_email", "", "teacher_email is empty")),
    # --- aliases and names
    Case("empty alias part", {"roster.csv": roster(GOOD, "1000,101,,2026,Algebra,1,R1,t1@d.org,s2@d.org,")},
         rejected=Rejected(3, "class_alias", "1000-101--2026", "empty alias part {SectionID}")),
    Case("alias too long", {"roster.csv": roster(GOOD, f"1000,101,{'9' * 300},2026,Algebra,1,R1,t1@d.org,s2@d.org,")},
         rejected=Rejected(3, "class_alias", f"1000-101-{'9' * 300}-2026"[:200] + "... (314 characters)",
                           "class alias longer than 254 characters")),
    Case("one alias, two course names", {"roster.csv": roster(GOOD, "1000,101,1,2026,Biology,1,R1,t1@d.org,s2@d.org,")},
         rejected=Rejected(3, "course_name", "Biology",
                           "alias 1000-101-1-2026 is named 'Algebra' at line 2; this row names another course")),
    Case("mapping column in other case and with blanks", {"roster.csv": roster(GOOD)},
         job=GENERIC_JOB + "mapping: {course_name: '{ coursename }'}\n", loaded=expect_course_names("Algebra")),
    Case("formula injection text stays text", {"roster.csv": roster(*(
        f'1000,101,{i},2026,"{f.replace(chr(34), chr(34) * 2)}",1,R1,t1@d.org,s1@d.org,' for i, f in enumerate(FORMULAS)))},
         loaded=expect_course_names(*FORMULAS)),
    # --- OneRoster packages
    Case("OneRoster file missing", oneroster(users_csv="DELETE"), job=OR_JOB,
         error="export/users.csv: required file is missing from the export (got '{tmp}/export')"),
    Case("OneRoster required column missing", oneroster(users_csv=OR_USERS.replace("sourcedId", "id")), job=OR_JOB,
         error="export/users.csv: required column 'sourcedId' is missing (got 'id, status, email, username, "
               "givenName, familyName')"),
    Case("OneRoster delta package", oneroster(manifest_csv="propertyName,value\nfile.enrollments,delta\n"), job=OR_JOB,
         error="export/manifest.csv:2: value: this is a OneRoster delta package; sync jobs need a bulk export of the "
               "whole district (a delta read as the whole district would look like mass removals) "
               "(got 'file.enrollments=delta')"),
    Case("OneRoster folder missing", {}, job=OR_JOB, error="export: folder not found (got '{tmp}/export')"),
    Case("OneRoster zip that is not a zip", {"export.zip": b"PK\x03\x04 broken"},
         job=OR_JOB.replace("dir: export", "dir: export.zip"),
         error="export.zip: not a valid zip file (got '{tmp}/export.zip')"),
    Case("enrollment for an unknown class", oneroster(enrollments_csv=OR_ENROLLMENTS + "e3,active,c9,u1,student,false\n"),
         job=OR_JOB, rejected=Rejected(4, "classSourcedId", "c9", "unknown class (not in classes.csv, or the class "
                                       "itself was rejected)", "export/enrollments.csv")),
    Case("enrollment for an unknown user", oneroster(enrollments_csv=OR_ENROLLMENTS + "e3,active,c1,u9,student,false\n"),
         job=OR_JOB, rejected=Rejected(4, "userSourcedId", "u9", "unknown user (not in users.csv)",
                                       "export/enrollments.csv")),
    Case("role that is not synced", oneroster(enrollments_csv=OR_ENROLLMENTS + "e3,active,c1,u1,aide,false\n"),
         job=OR_JOB, rejected=Rejected(4, "role", "aide", "role aide is not synced", "export/enrollments.csv")),
    Case("student without an address", oneroster(users_csv=OR_USERS + "u2,active,,u2,No,Mail\n",
                                                 enrollments_csv=OR_ENROLLMENTS + "e3,active,c1,u2,student,false\n"),
         job=OR_JOB, rejected=Rejected(4, "student_email", "u2", "user u2 has no valid e-mail in export/users.csv ('')",
                                       "export/enrollments.csv")),
    Case("OneRoster mapping to a missing column", oneroster(), job=OR_JOB + "mapping: {student_email: '{mail}'}\n",
         error="{tmp}/job.yaml: mapping.student_email: column 'mail' is not in export/users.csv (did you mean "
               "'email'?) (got '{{mail}}')"),
    Case("OneRoster class id repeated with another title",
         oneroster(classes_csv=OR_CLASSES + "c1,active,Biology,B1,R2,s1\n"), job=OR_JOB,
         rejected=Rejected(3, "sourcedId", "c1", "c1 repeats the class at line 2; only that one is used",
                           "export/classes.csv")),
    Case("OneRoster classes mapped to one alias under two names",
         oneroster(classes_csv=OR_CLASSES + "c2,active,Chemistry,A1,R2,s1\n",
                   enrollments_csv=OR_ENROLLMENTS + "e3,active,c2,t1,teacher,true\n"),
         job=OR_JOB + "mapping: {class_alias: '{classCode}'}\n",
         rejected=Rejected(3, "course_name", "Chemistry", "alias A1 is named 'Algebra' at line 2; this row names "
                           "another course", "export/classes.csv"), follow_ons=1),
    Case("OneRoster class without a teacher", oneroster(
        classes_csv=OR_CLASSES + "c2,active,Geometry,G1,R2,s1\n",
        enrollments_csv=OR_ENROLLMENTS + "e3,active,c2,u1,student,false\n"), job=OR_JOB,
         rejected=Rejected(None, "teacher_email", "c2", "class has no teacher with a valid e-mail, so no course owner; "
                           "1 enrollment(s) not synced", "(class)")),
]


def materialize(tmp_path: Path, case: Case) -> Path:
    for name, content in case.files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    config = tmp_path / "job.yaml"
    config.write_text(case.job, encoding="utf-8")
    return config


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_named_precisely(tmp_path, case):
    config = materialize(tmp_path, case)
    job = read_job(config)
    if case.error is not None:
        with pytest.raises(SourceError) as info:
            load_snapshot(job, config, PathMap.from_mapping(case.env_map))
        assert str(info.value) == case.error.format(tmp=tmp_path)
        return
    snapshot = load_snapshot(job, config, PathMap())
    if case.loaded is not None:
        case.loaded(snapshot)
        return
    assert case.rejected is not None
    rows = snapshot.rejected
    assert len(rows) == 1 + case.follow_ons, rows.to_dict("records")
    found = rows.iloc[0]
    line = None if pd.isna(found["line"]) else int(found["line"])
    got = Rejected(line, found["field"] if isinstance(found["field"], str) else None, found["value"],
                   found["reason"], found["file"])
    assert got == case.rejected
    # The good rows of the same file still load.
    assert len(snapshot.sections) >= 1


def test_a_zip_package_reads_like_a_folder(tmp_path):
    files = oneroster()
    with zipfile.ZipFile(tmp_path / "export.zip", "w") as archive:
        for name, content in files.items():
            archive.writestr(name.removeprefix("export/").upper().replace(".CSV", ".csv"), content)
    config = tmp_path / "job.yaml"
    config.write_text(OR_JOB.replace("dir: export", "dir: export.zip"), encoding="utf-8")
    snapshot = load_snapshot(read_job(config), config)
    assert snapshot.counts()["enrollments"] == 1 and snapshot.teachers["email"].tolist() == ["t1@d.org"]


def test_the_corpus_holds_at_least_40_bad_inputs_across_sources_configs_paths_and_plans():
    from tests.core.test_bad_input_config import CONFIG_CASES
    from tests.core.test_bad_input_paths import CLONE_NAMES, PATH_CASES
    from tests.core.test_bad_input_plan import PLAN_CASES

    assert len(CASES) >= 40
    assert len(CASES) + len(CONFIG_CASES) + len(PATH_CASES) + len(CLONE_NAMES) + len(PLAN_CASES) >= 80
