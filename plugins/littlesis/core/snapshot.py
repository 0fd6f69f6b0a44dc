"""The canonical SIS snapshot every preset produces and every later step reads.

Long-form tables (one row per fact) so that rules, matching and the plan can
work column-wise on a 200k-student district:

- ``sections``: one row per class: alias, course_name, section, room,
  description_heading, description, school, term.
- ``teachers``: alias, email, primary (the owner is the one primary teacher).
- ``enrollments``: alias, email, student_id, given_name, family_name.
- ``guardians``: student_email, guardian_email.
- ``class_columns``: the source's own class-level columns, indexed by alias,
  so rules can test any column the export has.
- ``rejected``: file, line, field, value, reason for every row not taken.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from littlesis.core.coded import isin

SECTION_FIELDS = [
    "alias", "course_name", "section", "room", "description_heading", "description", "school", "term",
]
TEACHER_FIELDS = ["alias", "email", "primary"]
ENROLLMENT_FIELDS = ["alias", "email", "student_id", "given_name", "family_name"]
GUARDIAN_FIELDS = ["student_email", "guardian_email"]


@dataclass(frozen=True)
class SourceFile:
    """One file a load read: what the job named, where it was, and its exact content hash."""

    name: str
    location: str
    sha256: str
    size: int
    encoding: str
    records: int


@dataclass
class SisSnapshot:
    sections: pd.DataFrame
    teachers: pd.DataFrame
    enrollments: pd.DataFrame
    guardians: pd.DataFrame
    class_columns: pd.DataFrame
    rejected: pd.DataFrame
    files: list[SourceFile] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "sections": len(self.sections),
            "teachers": len(self.teachers),
            "enrollments": len(self.enrollments),
            "students": int(self.enrollments["email"].nunique()),
            "guardian_links": len(self.guardians),
            "rejected_rows": len(self.rejected),
        }

    def rule_view(self) -> pd.DataFrame:
        """One row per class with the source's columns and ours (ours win on a name clash)."""
        ours = self.sections.set_index("alias", drop=False)
        owner = self.teachers[self.teachers["primary"]].drop_duplicates("alias").set_index("alias")["email"]
        ours = ours.assign(teacher_email=owner.reindex(ours.index).fillna(""))
        extra = self.class_columns.drop(columns=[c for c in self.class_columns.columns if c in ours.columns])
        return ours.join(extra, how="left")

    def restricted_to(self, aliases: pd.Index) -> SisSnapshot:
        """The same snapshot keeping only the given classes (guardians of their students only)."""
        keep = isin(self.sections["alias"], aliases)
        if keep.all():
            return self
        enrollments = self.enrollments[isin(self.enrollments["alias"], aliases)]
        students = enrollments["email"].unique()
        return SisSnapshot(
            sections=self.sections[keep],
            teachers=self.teachers[isin(self.teachers["alias"], aliases)],
            enrollments=enrollments,
            guardians=self.guardians[isin(self.guardians["student_email"], students)],
            class_columns=self.class_columns[isin(pd.Series(self.class_columns.index), aliases)],
            rejected=self.rejected,
            files=self.files,
            warnings=self.warnings,
        )
