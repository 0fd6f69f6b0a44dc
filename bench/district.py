"""A synthetic school district, written as the exports a SIS produces.

Used by the benchmarks (20k to 1M students) and to make the demo data in
include/demo/. Deterministic for a given seed. Each student takes one class
per period; each teacher teaches one section per period at one school.

    python bench/district.py --students 200000 --out /tmp/district.csv
"""

from __future__ import annotations

import argparse
import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

DOMAIN = "district.example.org"
PERIODS = 7
CLASS_SIZE = 23
FIRST = ["Ava", "Liam", "Mia", "Noah", "Zoe", "Ethan", "Ivy", "Lucas", "Ruby", "Mateo", "Nora", "Owen", "Aria",
         "Leo", "Maya", "Kai", "Elena", "Omar", "Sofia", "Jin", "Priya", "Diego", "Hana", "Tariq"]
LAST = ["Garcia", "Smith", "Nguyen", "Johnson", "Patel", "Brown", "Kim", "Lopez", "Okafor", "Miller", "Chen",
        "Davis", "Haddad", "Wilson", "Rossi", "Cohen", "Silva", "Novak", "Ito", "Moreau"]
COURSES = ["Algebra I", "Geometry", "Biology", "Chemistry", "World History", "English 9", "English 10", "Spanish I",
           "French I", "Physics", "Art", "Music", "Health", "Computer Science", "Economics", "Civics", "Drama",
           "Statistics", "Earth Science", "Literature"]


@dataclass
class District:
    rows: pd.DataFrame  # generic shape: one row per student per class


def generate(students: int, seed: int = 7, year: str = "2026") -> District:
    rng = np.random.default_rng(seed)
    schools = max(1, students // 1000)
    student_school = np.sort(rng.integers(0, schools, students))
    per_school = np.bincount(student_school, minlength=schools)
    sections_per_period = np.maximum(1, np.ceil(per_school / CLASS_SIZE).astype(int))
    # Teacher t of a school teaches section t of every period.
    teacher_base = np.concatenate(([0], np.cumsum(sections_per_period)[:-1]))

    student_idx = np.repeat(np.arange(students), PERIODS)
    period = np.tile(np.arange(1, PERIODS + 1), students)
    school = student_school[student_idx]
    slot = (rng.random(len(student_idx)) * sections_per_period[school]).astype(np.int64)
    teacher = teacher_base[school] + slot
    course = (teacher * 7 + period * 3) % len(COURSES)
    section_id = (school * 100_000 + period * 10_000 + slot).astype(np.int64)

    first = np.array(FIRST)[student_idx % len(FIRST)]
    last = np.array(LAST)[(student_idx // len(FIRST)) % len(LAST)]
    t_first = np.array(FIRST)[teacher % len(FIRST)]
    t_last = np.array(LAST)[(teacher * 7) % len(LAST)]
    s = pd.Series
    student_email = s(first).str.lower() + "." + s(last).str.lower() + s(student_idx).astype(str) + "@" + DOMAIN
    teacher_email = s(t_first).str.lower() + "." + s(t_last).str.lower() + ".t" + s(teacher).astype(str) + "@" + DOMAIN
    rows = pd.DataFrame({
        "SchoolID": (1000 + school).astype(str),
        "SchoolName": "School " + s(1000 + school).astype(str),
        "CourseID": (100 + course).astype(str),
        "CourseName": np.array(COURSES)[course],
        "SectionID": section_id.astype(str),
        "Period": period.astype(str),
        "Room": "R" + s(100 + slot).astype(str),
        "Year": year,
        "TeacherEmail": teacher_email,
        "StudentID": (100_000 + student_idx).astype(str),
        "StudentFirstName": first,
        "StudentLastName": last,
        "StudentEmail": student_email,
        "Grade": (9 + student_idx % 4).astype(str),
        "GuardianEmail": "parent." + s(student_idx).astype(str) + "@families.example.net",
    })
    return District(rows)


def write_generic(district: District, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(district.rows.astype(str), preserve_index=False)
    pacsv.write_csv(table, str(path))


def write_oneroster(district: District, folder: Path, year: str = "2026") -> None:
    """The same district as a OneRoster 1.1 bulk package."""
    folder.mkdir(parents=True, exist_ok=True)
    r = district.rows
    classes = r.drop_duplicates(["SchoolID", "SectionID"])
    class_id = "cls-" + classes["SchoolID"] + "-" + classes["SectionID"]
    term = f"term-{year}"
    _write(folder / "manifest.csv", ["propertyName", "value"], [
        ["manifest.version", "1.0"], ["oneroster.version", "1.1"], ["file.classes", "bulk"],
        ["file.users", "bulk"], ["file.enrollments", "bulk"], ["file.orgs", "bulk"], ["file.courses", "bulk"],
        ["file.academicSessions", "bulk"]])
    schools = r.drop_duplicates("SchoolID")
    _write(folder / "orgs.csv", ["sourcedId", "status", "dateLastModified", "name", "type", "identifier",
                                 "parentSourcedId"],
           [[f"org-{sid}", "active", "", name, "school", sid, ""] for sid, name in
            zip(schools["SchoolID"], schools["SchoolName"], strict=True)])
    _write(folder / "academicSessions.csv", ["sourcedId", "status", "dateLastModified", "title", "type",
                                             "startDate", "endDate", "parentSourcedId", "schoolYear"],
           [[term, "active", "", f"School Year {year}", "schoolYear", f"{year}-08-20", f"{int(year) + 1}-06-15",
             "", year]])
    courses = r.drop_duplicates("CourseID")
    _write(folder / "courses.csv", ["sourcedId", "status", "dateLastModified", "schoolYearSourcedId", "title",
                                    "courseCode", "grades", "orgSourcedId", "subjects"],
           [[f"crs-{cid}", "active", "", term, name, cid, "", "", ""] for cid, name in
            zip(courses["CourseID"], courses["CourseName"], strict=True)])
    _write(folder / "classes.csv", ["sourcedId", "status", "dateLastModified", "title", "grades", "courseSourcedId",
                                    "classCode", "classType", "location", "schoolSourcedId", "termSourcedIds",
                                    "subjects", "subjectCodes", "periods"],
           [[cid, "active", "", name, "", f"crs-{course}", f"Period {period}", "scheduled", room, f"org-{school}",
             term, "", "", period] for cid, name, course, period, room, school in
            zip(class_id, classes["CourseName"], classes["CourseID"], classes["Period"], classes["Room"],
                classes["SchoolID"], strict=True)])
    students = r.drop_duplicates("StudentEmail")
    teachers = r.drop_duplicates("TeacherEmail")
    users = [[f"stu-{sid}", "active", "", "true", email, "", first, last, "", sid, email, "", "",
              f"gdn-{sid}", "student", ""] for sid, email, first, last in
             zip(students["StudentID"], students["StudentEmail"], students["StudentFirstName"],
                 students["StudentLastName"], strict=True)]
    users += [[f"gdn-{sid}", "active", "", "true", g, "", "Parent", last, "", "", g, "", "", "", "guardian", ""]
              for sid, g, last in zip(students["StudentID"], students["GuardianEmail"], students["StudentLastName"],
                                      strict=True)]
    users += [[f"tch-{i}", "active", "", "true", email, "", email.split(".")[0].title(), "", "", "", email, "",
               "", "", "teacher", ""] for i, email in enumerate(teachers["TeacherEmail"])]
    _write(folder / "users.csv", ["sourcedId", "status", "dateLastModified", "enabledUser", "username", "userIds",
                                  "givenName", "familyName", "middleName", "identifier", "email", "sms", "phone",
                                  "agentSourcedIds", "role", "grades"], users)
    teacher_id = {email: f"tch-{i}" for i, email in enumerate(teachers["TeacherEmail"])}
    enrollments = [[f"enr-t-{cid}", "active", "", cid, f"org-{school}", teacher_id[t], "teacher", "true", "", ""]
                   for cid, school, t in zip(class_id, classes["SchoolID"], classes["TeacherEmail"], strict=True)]
    r_class = "cls-" + r["SchoolID"] + "-" + r["SectionID"]
    enrollments += [[f"enr-s-{cid}-{sid}", "active", "", cid, f"org-{school}", f"stu-{sid}", "student", "false",
                     "", ""] for cid, school, sid in zip(r_class, r["SchoolID"], r["StudentID"], strict=True)]
    _write(folder / "enrollments.csv", ["sourcedId", "status", "dateLastModified", "classSourcedId",
                                        "schoolSourcedId", "userSourcedId", "role", "primary", "beginDate",
                                        "endDate"], enrollments)


def _write(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--oneroster", action="store_true", help="write a OneRoster package folder instead")
    args = parser.parse_args()
    district = generate(args.students, args.seed)
    if args.oneroster:
        write_oneroster(district, args.out)
    else:
        write_generic(district, args.out)
    print(f"{len(district.rows):,} rows for {args.students:,} students -> {args.out}")


if __name__ == "__main__":
    main()
