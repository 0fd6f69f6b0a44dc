"""The generic preset: one CSV row per student per class, mapped by expressions.

Columns are whatever the district's SIS writes; the job's mapping says how to
build each of our fields. The defaults below follow the shape we document in
the README (SchoolID, CourseID, SectionID, Year, CourseName, Period, Room,
TeacherEmail, StudentEmail, ...). A row with no student e-mail still declares
its class and teacher (a class with no students yet).
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from littlesis.core.expressions import StrippedColumns, blank_part
from littlesis.core.snapshot import ENROLLMENT_FIELDS, GUARDIAN_FIELDS, SECTION_FIELDS
from littlesis.core.sources.canonical import (
    checked_aliases,
    checked_emails,
    empty_frame,
    owner_first,
    reject_rows,
    split_emails,
)
from littlesis.core.sources.csvio import CsvTable
from littlesis.core.sources.mapping import PresetFields, ResolvedMapping
from littlesis.core.sources.rejections import Rejections

ROSTER = "roster"

FIELDS = PresetFields(
    defaults={
        "class_alias": "{SchoolID}-{CourseID}-{SectionID}-{Year}",
        "course_name": "{CourseName}",
        "section": "Period {Period}",
        "room": "{Room}",
        "school": "{SchoolID}",
        "term": "{Year}",
        "teacher_email": "{TeacherEmail}",
        "student_email": "{StudentEmail}",
        "student_id": "{StudentID}",
        "student_given_name": "{StudentFirstName}",
        "student_family_name": "{StudentLastName}",
        "guardian_emails": "{GuardianEmail}",
    },
    scopes={field: ROSTER for field in (
        "class_alias", "course_name", "section", "room", "description_heading", "description", "school", "term",
        "teacher_email", "co_teacher_emails", "student_email", "student_id", "student_given_name",
        "student_family_name", "guardian_emails",
    )},
    required=frozenset({"class_alias", "course_name", "teacher_email", "student_email"}),
)


Picker = Callable[[pd.Series, pd.Index], pd.Series]


def _picker(everything: bool) -> Picker:
    """Select rows by label, or not at all when every row is selected (a copy saved)."""
    if everything:
        return lambda series, index: series
    return lambda series, index: series[index]


class GenericFrames:
    """The canonical tables built from one roster file."""

    def __init__(self, table: CsvTable, mapping: ResolvedMapping, rejections: Rejections, warnings: list[str]):
        self.table = table
        self.mapping = mapping
        self.rejections = rejections
        self.warnings = warnings
        self.columns = StrippedColumns(table.frame)

    def value(self, field: str) -> pd.Series:
        expression = self.mapping.get(field)
        if expression is None:
            return pd.Series("", index=self.table.frame.index, dtype="str")
        return expression.evaluate(self.columns)

    def build(self) -> dict[str, pd.DataFrame]:
        rows = self.table.frame
        alias = self.value("class_alias")
        ok = checked_aliases(self.table, self.rejections, alias, blank_part(self.mapping["class_alias"], self.columns))
        teacher, teacher_ok = checked_emails(
            self.table, self.rejections, self.value("teacher_email").where(ok, "x@invalid.invalid"),
            "teacher_email", blank_ok=False)
        ok &= teacher_ok
        student, student_ok = checked_emails(
            self.table, self.rejections, self.value("student_email").where(ok, ""), "student_email", blank_ok=True)
        ok &= student_ok
        course_name = self.value("course_name")
        ok &= ~self._conflicting_names(alias, course_name, ok)

        everything = bool(ok.all())  # the usual case: skip a dozen million-row copies
        class_rows = rows.index if everything else rows.index[ok.to_numpy()]
        pick = _picker(everything)
        first = pd.DataFrame({"alias": alias[class_rows]}).drop_duplicates("alias").index
        first_rows = rows.loc[first]
        firsts = StrippedColumns(first_rows)
        sections = self._sections(firsts, alias[first])
        teachers = self._teachers(pick(alias, class_rows), pick(teacher, class_rows), first, firsts)
        has_student = (pick(student, class_rows) != "").to_numpy()
        everything = everything and bool(has_student.all())
        pick = _picker(everything)
        enrolled = class_rows if everything else class_rows[has_student]
        enrollments = pd.DataFrame({
            "alias": pick(alias, enrolled),
            "email": pick(student, enrolled),
            "student_id": pick(self.value("student_id"), enrolled),
            "given_name": pick(self.value("student_given_name"), enrolled),
            "family_name": pick(self.value("student_family_name"), enrolled),
        }, columns=ENROLLMENT_FIELDS).drop_duplicates(["alias", "email"]).reset_index(drop=True)
        guardians = self._guardians(student, enrolled, pick)
        class_columns = first_rows.set_index(alias[first].to_numpy())
        class_columns.index.name = "alias"
        return {"sections": sections, "teachers": teachers, "enrollments": enrollments,
                "guardians": guardians, "class_columns": class_columns}

    def _conflicting_names(self, alias: pd.Series, course_name: pd.Series, ok: pd.Series) -> pd.Series:
        """Rows whose alias was first seen with another course name (two classes, one alias)."""
        pairs = pd.DataFrame({"alias": alias, "name": course_name})[ok]
        distinct = pairs.drop_duplicates()
        clashing = distinct["alias"][distinct["alias"].duplicated()].unique()
        conflict = pd.Series(False, index=alias.index)
        if len(clashing) == 0:
            return conflict
        first_of = distinct.drop_duplicates("alias").set_index("alias")["name"]
        involved = pairs[pairs["alias"].isin(clashing)]
        bad = involved.index[involved["name"].to_numpy() != first_of.loc[involved["alias"]].to_numpy()]
        conflict[bad] = True
        first_row = involved.reset_index().drop_duplicates("alias").set_index("alias")["index"]
        first_line = pd.Series(self.table.lines_of(first_row.to_numpy()), index=first_row.index).astype(str)
        bad_alias = alias[bad]
        reasons = pd.Series(
            "alias " + bad_alias + " is named '" + first_of.loc[bad_alias].to_numpy() + "' at line "
            + first_line.loc[bad_alias].to_numpy() + "; this row names another course",
            index=bad)
        reject_rows(self.table, self.rejections, conflict, "course_name", course_name, reasons.reindex(conflict.index))
        return conflict

    def _sections(self, firsts: StrippedColumns, alias: pd.Series) -> pd.DataFrame:
        data = {"alias": alias.to_numpy()}
        for field in SECTION_FIELDS[1:]:
            expression = self.mapping.get(field)
            data[field] = expression.evaluate(firsts).to_numpy() if expression else [""] * len(alias)
        return pd.DataFrame(data, columns=SECTION_FIELDS)

    def _teachers(
        self, alias: pd.Series, teacher: pd.Series, first: pd.Index, firsts: StrippedColumns
    ) -> pd.DataFrame:
        # The teacher on a class's first row owns it; other teachers on its rows co-teach.
        pairs = pd.DataFrame({"alias": alias, "email": teacher, "order": alias.index})
        pairs["primary"] = pairs.index.isin(first)
        co = self.mapping.get("co_teacher_emails")
        if co is not None:
            extra = split_emails(co.evaluate(firsts))
            extra_emails, keep = checked_emails(self.table, self.rejections, extra, "co_teacher_emails", blank_ok=False)
            more = pd.DataFrame({"alias": alias[extra.index].to_numpy(), "email": extra_emails.to_numpy(),
                                 "order": len(self.table.frame) + extra.index.to_numpy(), "primary": False})
            pairs = pd.concat([pairs, more[keep.to_numpy()]], ignore_index=True)
        return owner_first(pairs, self.warnings)

    def _guardians(self, student: pd.Series, enrolled: pd.Index, pick: Picker) -> pd.DataFrame:
        expression = self.mapping.get("guardian_emails")
        if expression is None or len(enrolled) == 0:
            return empty_frame(GUARDIAN_FIELDS)
        # Every row of a student repeats the guardians: check each (student, cell) pair once.
        cells = pick(expression.evaluate(self.columns), enrolled)
        pairs = pd.DataFrame({"student": pick(student, enrolled), "cell": cells})
        pairs = pairs[pairs["cell"] != ""].drop_duplicates()
        if pairs.empty:
            return empty_frame(GUARDIAN_FIELDS)
        each = split_emails(pairs["cell"])
        emails, keep = checked_emails(self.table, self.rejections, each, "guardian_emails", blank_ok=False)
        links = pd.DataFrame({"student_email": pairs["student"][each.index].to_numpy(),
                              "guardian_email": emails.to_numpy()})
        return links[keep.to_numpy()].drop_duplicates().reset_index(drop=True)
