"""A corpus of bad exports: each ends in a message naming file, line or field and the value.

Either the load fails as a whole (SourceError: a missing file or column, a
file that is not text) or the bad row is left out with a reason the run keeps
(rejected rows). Nothing crashes and nothing disappears silently.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from littlesis.core.errors import SourceError
from littlesis.core.job_files import read_job
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


@dataclass
class Case:
    name: str
    files: dict[str, str | bytes]
    job: str = GENERIC_JOB
    error: str | None = None  # the whole load fails with this message
    rejected: tuple[int | None, str | None, str] | None = None  # (line, field, reason) of a rejected row
    env_map: dict[str, str] = field(default_factory=dict)


def roster(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def oneroster(**overrides: str | bytes) -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {"export/classes.csv": OR_CLASSES, "export/users.csv": OR_USERS,
                                     "export/enrollments.csv": OR_ENROLLMENTS}
    files.update({f"export/{k.replace('_', '.')}": v for k, v in overrides.items()})
    return {k: v for k, v in files.items() if v != "DELETE"}


CASES = [
    Case("missing roster file", {}, error="roster.csv: file not found"),
    Case("empty file", {"roster.csv": ""}, error="roster.csv: file is empty (no header row)"),
    Case("NUL byte", {"roster.csv": roster(GOOD, "1000,101,2,2026,Alg\x00ebra,1,R1,t1@d.org,s2@d.org,")},
         error="roster.csv:3: contains a NUL byte"),
    Case("required column missing", {"roster.csv": roster(GOOD).replace("TeacherEmail", "Teacher")},
         error="mapping.teacher_email: column 'TeacherEmail' is not in roster.csv (did you mean 'Teacher'?)"),
    Case("mapped column misspelled", {"roster.csv": roster(GOOD)},
         job=GENERIC_JOB + "mapping: {room: '{Rooom}'}\n",
         error="mapping.room: column 'Rooom' is not in roster.csv (did you mean 'Room'?)"),
    Case("declared encoding is wrong", {"roster.csv": roster(GOOD, GOOD).encode() + "1000,101,3,2026,Fran\xe7ais,1,R1,"
                                        "t1@d.org,s3@d.org,\n".encode("cp1252")},
         job=GENERIC_JOB.replace("roster.csv}}", "roster.csv}, encoding: utf-8}"),
         error="roster.csv:4: not valid utf-8 text"),
    Case("invalid student e-mail", {"roster.csv": roster(GOOD, "1000,101,1,2026,Algebra,1,R1,t1@d.org,s2@@d.org,")},
         rejected=(3, "student_email", "invalid e-mail in student_email")),
    Case("e-mail with an inner space", {"roster.csv": roster(GOOD, "1000,101,1,2026,Algebra,1,R1,t1@d.org,s 2@d.org,")},
         rejected=(3, "student_email", "invalid e-mail in student_email")),
    Case("teacher missing", {"roster.csv": roster(GOOD, "1000,101,2,2026,Geometry,1,R1,,s2@d.org,")},
         rejected=(3, "teacher_email", "teacher_email is empty")),
    Case("empty alias part", {"roster.csv": roster(GOOD, "1000,101,,2026,Algebra,1,R1,t1@d.org,s2@d.org,")},
         rejected=(3, "class_alias", "empty alias part {SectionID}")),
    Case("alias too long", {"roster.csv": roster(GOOD, f"1000,101,{'9' * 300},2026,Algebra,1,R1,t1@d.org,s2@d.org,")},
         rejected=(3, "class_alias", "class alias longer than 254 characters")),
    Case("one alias, two course names", {"roster.csv": roster(GOOD, "1000,101,1,2026,Biology,1,R1,t1@d.org,s2@d.org,")},
         rejected=(3, "course_name", "alias 1000-101-1-2026 is named 'Algebra' at line 2; this row names another course")),
    Case("row with a field too many", {"roster.csv": roster(GOOD, GOOD + ",surprise")},
         rejected=(3, None, "row has 11 fields, the header has 10")),
    Case("row with fields missing", {"roster.csv": roster(GOOD, "1000,101,1,2026")},
         rejected=(3, None, "row has 4 fields, the header has 10")),
    Case("invalid guardian address", {"roster.csv": roster("1000,101,1,2026,Algebra,1,R1,t1@d.org,s1@d.org,mum-at-home")},
         rejected=(2, "guardian_emails", "invalid e-mail in guardian_emails")),
    Case("Windows path without a path map", {"roster.csv": roster(GOOD)},
         job=GENERIC_JOB.replace("roster.csv}}", "'C:\\SIS\\exports\\roster.csv'}}"),
         error="Windows path has no entry in the deployment's path map (LITTLESIS_PATH_MAP) (got 'C:\\\\SIS"),
    Case("OneRoster file missing", oneroster(users_csv="DELETE"), job=OR_JOB,
         error="export/users.csv: required file is missing from the export"),
    Case("OneRoster required column missing", oneroster(users_csv=OR_USERS.replace("sourcedId", "id")), job=OR_JOB,
         error="export/users.csv: required column 'sourcedId' is missing"),
    Case("OneRoster delta package", oneroster(manifest_csv="propertyName,value\nfile.enrollments,delta\n"), job=OR_JOB,
         error="export/manifest.csv:2: value: this is a OneRoster delta package"),
    Case("OneRoster folder missing", {}, job=OR_JOB, error="export: folder not found"),
    Case("OneRoster zip that is not a zip", {"export.zip": b"PK\x03\x04 broken"},
         job=OR_JOB.replace("dir: export", "dir: export.zip"), error="export.zip: not a valid zip file"),
    Case("enrollment for an unknown class", oneroster(enrollments_csv=OR_ENROLLMENTS + "e3,active,c9,u1,student,false\n"),
         job=OR_JOB, rejected=(4, "classSourcedId", "unknown class")),
    Case("enrollment for an unknown user", oneroster(enrollments_csv=OR_ENROLLMENTS + "e3,active,c1,u9,student,false\n"),
         job=OR_JOB, rejected=(4, "userSourcedId", "unknown user (not in users.csv)")),
    Case("role that is not synced", oneroster(enrollments_csv=OR_ENROLLMENTS + "e3,active,c1,u1,aide,false\n"),
         job=OR_JOB, rejected=(4, "role", "role aide is not synced")),
    Case("student without an address", oneroster(users_csv=OR_USERS + "u2,active,,u2,No,Mail\n",
                                                 enrollments_csv=OR_ENROLLMENTS + "e3,active,c1,u2,student,false\n"),
         job=OR_JOB, rejected=(4, "student_email", "user u2 has no valid e-mail in export/users.csv ('')")),
    Case("OneRoster mapping to a missing column", oneroster(), job=OR_JOB + "mapping: {student_email: '{mail}'}\n",
         error="mapping.student_email: column 'mail' is not in export/users.csv (did you mean 'email'?)"),
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
        assert case.error in str(info.value)
        return
    snapshot = load_snapshot(job, config, PathMap())
    assert case.rejected is not None
    line, field_name, reason = case.rejected
    rows = snapshot.rejected
    matches = rows[rows["reason"].str.contains(reason, regex=False)]
    assert not matches.empty, rows.to_dict("records")
    found = matches.iloc[0]
    assert found["line"] == line
    assert (found["field"] if isinstance(found["field"], str) else None) == field_name
    # The good rows of the same file still load.
    assert len(snapshot.sections) >= 1


def test_corpus_is_large_enough():
    assert len(CASES) >= 20


def test_a_zip_package_reads_like_a_folder(tmp_path):
    files = oneroster()
    with zipfile.ZipFile(tmp_path / "export.zip", "w") as archive:
        for name, content in files.items():
            archive.writestr(name.removeprefix("export/").upper().replace(".CSV", ".csv"), content)
    config = tmp_path / "job.yaml"
    config.write_text(OR_JOB.replace("dir: export", "dir: export.zip"), encoding="utf-8")
    snapshot = load_snapshot(read_job(config), config)
    assert snapshot.counts()["enrollments"] == 1 and snapshot.teachers["email"].tolist() == ["t1@d.org"]
