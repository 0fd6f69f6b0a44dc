"""Microsoft School Data Sync, classic CSV format.

School.csv, Section.csv, Student.csv, Teacher.csv, StudentEnrollment.csv and
TeacherRoster.csv. SDS has no "primary teacher" flag: the first teacher a
section lists in TeacherRoster.csv owns the course. SDS usernames are often
bare (``OKlein``): map e-mails with the domain, e.g.
``student_email: "{Username}@contoso.org"``.
"""

from __future__ import annotations

import pandas as pd

from littlesis.core.expression_eval import StrippedColumns, blank_part
from littlesis.core.snapshot import ENROLLMENT_FIELDS, GUARDIAN_FIELDS
from littlesis.core.sources.canonical import SEPARATORS, checked_aliases, empty_frame, owner_first, reject_rows
from littlesis.core.sources.courses import usable_classes
from littlesis.core.sources.csvio import CsvTable
from littlesis.core.sources.mapping import PresetFields
from littlesis.core.sources.people import People
from littlesis.core.sources.preset_load import PresetLoad

SECTIONS, TEACHERS, STUDENTS = "sections", "teachers", "students"
INACTIVE = frozenset({"inactive", "deleted", "tobedeleted"})

SECTION_COLUMNS = {"SIS ID": ("Section SIS ID", "SectionSISID"), "School SIS ID": (), "Status": ()}
PERSON_COLUMNS = {"SIS ID": (), "Username": ("User Name",), "Status": ()}
LINK_COLUMNS = {"Section SIS ID": (), "SIS ID": ()}

FIELDS = PresetFields(
    defaults={
        "class_alias": "{SIS ID}",
        "course_name": "{Section Name}",
        "section": "{Section Number}",
        "description": "{Course Description}",
        "school": "{School Name}",
        "term": "{Term Name}",
        "teacher_email": "{Username}",
        "student_email": "{Username}",
        "student_id": "{Student Number}",
        "student_given_name": "{First Name}",
        "student_family_name": "{Last Name}",
    },
    scopes={
        **{f: SECTIONS for f in ("class_alias", "course_name", "section", "room", "description_heading",
                                 "description", "school", "term")},
        "teacher_email": TEACHERS,
        **{f: STUDENTS for f in ("student_email", "student_id", "student_given_name", "student_family_name",
                                 "guardian_emails")},
    },
    required=frozenset({"class_alias", "course_name", "teacher_email", "student_email"}),
)
FILES = {SECTIONS: "Section.csv", TEACHERS: "Teacher.csv", STUDENTS: "Student.csv"}


def load(work: PresetLoad) -> dict[str, pd.DataFrame]:
    section_table = work.table("Section.csv", SECTION_COLUMNS, required=("SIS ID",))
    sections_frame = _with_school_names(work, section_table.frame)
    live = _active(work, section_table, sections_frame)
    cols = StrippedColumns(sections_frame.loc[live])
    alias = work.mapping["class_alias"].evaluate(cols)
    ok = checked_aliases(section_table, work.rejections, alias, blank_part(work.mapping["class_alias"], cols))
    classes = usable_classes(work.mapping, section_table, work.rejections, sections_frame.loc[live[ok.to_numpy()]],
                             alias[ok], "SIS ID")
    alias_of_section = classes.alias_of_id

    teachers_people = People(work.table("Teacher.csv", PERSON_COLUMNS, required=("SIS ID",)), work.mapping,
                             None, id_column="SIS ID")
    students_people = People(work.table("Student.csv", PERSON_COLUMNS, required=("SIS ID",)), work.mapping,
                             None, id_column="SIS ID")
    roster = _links(work, "TeacherRoster.csv", alias_of_section, teachers_people, "teacher_email")
    teachers = owner_first(pd.DataFrame({
        "alias": roster["alias"], "email": roster["email"], "order": roster.index,
        "primary": ~roster["alias"].duplicated(),
    }), work.warnings)
    enrolled = _links(work, "StudentEnrollment.csv", alias_of_section, students_people, "student_email")
    enrollments = pd.DataFrame({
        "alias": enrolled["alias"].to_numpy(),
        "email": enrolled["email"].to_numpy(),
        "student_id": students_people.value("student_id", enrolled["user"]),
        "given_name": students_people.value("student_given_name", enrolled["user"]),
        "family_name": students_people.value("student_family_name", enrolled["user"]),
    }, columns=ENROLLMENT_FIELDS).drop_duplicates(["alias", "email"]).reset_index(drop=True)

    guardians = _guardians(students_people, enrolled)
    return {"sections": classes.sections, "teachers": teachers, "enrollments": enrollments,
            "guardians": guardians, "class_columns": classes.class_columns}


def _with_school_names(work: PresetLoad, sections: pd.DataFrame) -> pd.DataFrame:
    frame = sections.copy()
    frame["School Name"] = ""
    if work.package.has("School.csv") and "School SIS ID" in frame:
        schools = work.table("School.csv", {"SIS ID": (), "Name": ("School Name",)}, required=("SIS ID",))
        if "Name" in schools.frame:
            names = pd.Series(schools.frame["Name"].str.strip().to_numpy(),
                              index=schools.frame["SIS ID"].str.strip().to_numpy())
            names = names[~names.index.duplicated()]
            frame["School Name"] = names.reindex(frame["School SIS ID"].str.strip().to_numpy()).fillna("").to_numpy()
    return frame


def _active(work: PresetLoad, table: CsvTable, rows: pd.DataFrame) -> pd.Index:
    if "Status" not in rows:
        return rows.index
    status = rows["Status"].str.strip().str.lower()
    inactive = status.isin(INACTIVE)
    reject_rows(table, work.rejections, inactive, "Status", rows["Status"], "section status is " + status)
    return rows.index[~inactive.to_numpy()]


def _links(
    work: PresetLoad, name: str, alias_of_section: pd.Series, people: People, field: str
) -> pd.DataFrame:
    """alias, user, email for each usable row of a roster file (TeacherRoster / StudentEnrollment)."""
    table = work.table(name, LINK_COLUMNS, required=("Section SIS ID", "SIS ID"))
    frame = table.frame
    section = frame["Section SIS ID"].str.strip()
    user = frame["SIS ID"].str.strip()
    unknown_section = ~section.isin(alias_of_section.index)
    reject_rows(table, work.rejections, unknown_section, "Section SIS ID", section,
                "unknown section (not in Section.csv, or the section itself was rejected)")
    ok = ~unknown_section
    unknown_user = ok & ~people.known(user)
    reject_rows(table, work.rejections, unknown_user, "SIS ID", user, f"unknown person (not in {people.label})")
    ok &= ~unknown_user
    kind = pd.Series("teacher" if field == "teacher_email" else "student", index=frame.index)
    email = people.emails_for(user.where(ok, ""), kind)
    invalid = ok & ~people.valid(email)
    reject_rows(table, work.rejections, invalid, field, user,
                "person " + user + " has no valid e-mail in " + people.label + " ('" + email + "')")
    ok &= ~invalid
    return pd.DataFrame({
        "alias": alias_of_section.reindex(section[ok].to_numpy()).to_numpy(),
        "user": user[ok].to_numpy(),
        "email": email[ok].to_numpy(),
    }, index=frame.index[ok.to_numpy()])


def _guardians(people: People, enrolled: pd.DataFrame) -> pd.DataFrame:
    if people.mapping.get("guardian_emails") is None or enrolled.empty:
        return empty_frame(GUARDIAN_FIELDS)
    students = enrolled.drop_duplicates("user")
    cells = people.guardian_emails(students["user"])
    split = cells.str.split(SEPARATORS, regex=True).explode()
    pairs = pd.DataFrame({"student_email": students.loc[split.index, "email"].to_numpy(),
                          "guardian_email": split.fillna("").to_numpy()})
    pairs = pairs[people.valid(pairs["guardian_email"]).to_numpy()]
    return pairs.drop_duplicates().reset_index(drop=True)
