"""The generic preset: one CSV row per student per class, mapped by expressions.

Columns are whatever the district's SIS writes; the job's mapping says how to
build each of our fields. The defaults below follow the shape we document in
the README (SchoolID, CourseID, SectionID, Year, CourseName, Period, Room,
TeacherEmail, StudentEmail, ...). A row with no student e-mail still declares
its class and teacher (a class with no students yet).

Row-level work runs on integer codes (see littlesis.core.coded), since this is
the shape of the largest exports (1.4M rows for a 200k-student district).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from littlesis.core import coded
from littlesis.core.coded import Coded
from littlesis.core.emails import normalize_emails, valid_emails
from littlesis.core.expression_eval import StrippedColumns
from littlesis.core.snapshot import ENROLLMENT_FIELDS, GUARDIAN_FIELDS, SECTION_FIELDS
from littlesis.core.sources.canonical import MAX_ALIAS_LENGTH, checked_emails, empty_frame, owner_first, split_emails
from littlesis.core.sources.courses import refuse_unusable_courses
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


class GenericFrames:
    """The canonical tables built from one roster file."""

    def __init__(self, table: CsvTable, mapping: ResolvedMapping, rejections: Rejections, warnings: list[str]):
        self.table = table
        self.mapping = mapping
        self.rejections = rejections
        self.warnings = warnings
        self.columns = table.coded
        self.rows = table.arrow.num_rows

    def value(self, field: str) -> Coded:
        expression = self.mapping.get(field)
        if expression is None:
            return coded.constant("", self.rows)
        return self.columns.evaluate(expression)

    def reject(self, mask: np.ndarray, field: str, values: Coded, reason: str | Callable[[int], str]) -> None:
        """Record the rows where ``mask`` holds (arrow row positions) with their physical lines.

        ``reason`` is a text, or a function of the row position for reasons naming details.
        """
        positions = np.flatnonzero(mask)
        if len(positions) == 0:
            return
        shown = values.values.to_numpy()[values.codes[positions]]
        reasons: str | pd.Series = reason if isinstance(reason, str) else pd.Series([reason(int(p)) for p in positions])
        lines = self.table.lines_of(self.table.records[positions])
        self.rejections.add_many(self.table.label, lines, field, list(shown), reasons)

    def build(self) -> dict[str, pd.DataFrame]:
        alias, ok = self._aliases()
        teacher, blank, invalid = coded.emails(self.value("teacher_email"))
        self.reject(ok & invalid, "teacher_email", teacher, "invalid e-mail in teacher_email")
        self.reject(ok & blank, "teacher_email", teacher, "teacher_email is empty")
        ok &= ~blank & ~invalid
        student, no_student, invalid = coded.emails(self.value("student_email"))
        self.reject(ok & invalid, "student_email", student, "invalid e-mail in student_email")
        ok &= ~invalid
        ok &= ~self._conflicting_names(alias, self.value("course_name"), ok)

        kept, first, first_rows, sections = self._classes(alias, ok)
        usable = refuse_unusable_courses(self.rejections, self.table.label, sections,
                                         lambda mask: self.table.lines_of(self.table.records[first[mask]]))
        if not usable.all():  # rare: drop every row of the refused classes, then take the first rows again
            ok &= ~np.isin(alias.codes, alias.codes[first[~usable]])
            kept, first, first_rows, sections = self._classes(alias, ok)
        aliases = sections["alias"].to_numpy()
        teachers = self._teachers(alias, teacher, kept, first, StrippedColumns(first_rows))
        enrolled = kept[~no_student[kept]]
        enrolled = enrolled[coded.unique_pairs(alias.codes[enrolled], student.codes[enrolled], len(student.values))]
        enrollments = pd.DataFrame({
            "alias": alias.at(enrolled),
            "email": student.at(enrolled),
            "student_id": self.value("student_id").at(enrolled),
            "given_name": self.value("student_given_name").at(enrolled),
            "family_name": self.value("student_family_name").at(enrolled),
        }, columns=ENROLLMENT_FIELDS)
        guardians = self._guardians(student, kept[~no_student[kept]])
        class_columns = first_rows.set_index(pd.Index(aliases, name="alias"))
        return {"sections": sections, "teachers": teachers, "enrollments": enrollments,
                "guardians": guardians, "class_columns": class_columns}

    def _aliases(self) -> tuple[Coded, np.ndarray]:
        expression = self.mapping["class_alias"]
        alias = self.columns.evaluate(expression)
        any_blank, first_blank = coded.blank_part(expression, {n: self.columns[n] for n in expression.columns})
        self.reject(any_blank, "class_alias", alias, lambda row: f"empty alias part {{{first_blank[row]}}}")
        too_long = ~any_blank & (alias.values.str.len() > MAX_ALIAS_LENGTH).to_numpy()[alias.codes]
        self.reject(too_long, "class_alias", alias, f"class alias longer than {MAX_ALIAS_LENGTH} characters")
        return alias, ~any_blank & ~too_long

    def _conflicting_names(self, alias: Coded, name: Coded, ok: np.ndarray) -> np.ndarray:
        """Rows whose alias was first seen with another course name (two classes, one alias)."""
        kept = np.flatnonzero(ok)
        usual = np.full(len(alias.values), -1, dtype=np.int64)
        usual[alias.codes[kept][::-1]] = name.codes[kept][::-1]  # some name of each alias
        odd = kept[name.codes[kept] != usual[alias.codes[kept]]]
        if len(odd) == 0:  # every alias has one name: nothing to hash
            return np.zeros(self.rows, dtype=bool)
        pairs = kept[coded.unique_pairs(alias.codes[kept], name.codes[kept], len(name.values))]
        counts = np.bincount(alias.codes[pairs], minlength=len(alias.values))
        conflict = np.zeros(self.rows, dtype=bool)
        if not (counts > 1).any():
            return conflict
        # The first pair of each alias (in row order) is the name it keeps.
        first_name = np.full(len(alias.values), -1, dtype=np.int64)
        first_row = np.full(len(alias.values), -1, dtype=np.int64)
        for position in pairs[::-1]:
            first_name[alias.codes[position]] = name.codes[position]
            first_row[alias.codes[position]] = position
        conflict[kept] = (counts[alias.codes[kept]] > 1) & (name.codes[kept] != first_name[alias.codes[kept]])
        lines = self.table.lines_of(self.table.records[np.maximum(first_row, 0)])
        names = name.values.to_numpy()
        aliases = alias.values.to_numpy()

        def reason(row: int) -> str:
            code = alias.codes[row]
            return f"alias {aliases[code]} is named '{names[first_name[code]]}' at line {lines[code]}; " \
                "this row names another course"

        self.reject(conflict, "course_name", name, reason)
        return conflict

    def _classes(self, alias: Coded, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray, pd.DataFrame, pd.DataFrame]:
        """Rows kept, the first row of each class, those rows' columns and the classes' sections."""
        kept = np.flatnonzero(ok)
        # First row of each class; codes are in order of first appearance only over all rows.
        class_of_kept = alias.codes if len(kept) == self.rows else pd.factorize(alias.codes[kept])[0]
        first = kept[coded.first_positions(class_of_kept.astype(np.int64))]
        first_rows = self.table.rows(first)
        aliases = alias.values.to_numpy()[alias.codes[first]]
        return kept, first, first_rows, self._sections(StrippedColumns(first_rows), aliases)

    def _sections(self, firsts: StrippedColumns, aliases: np.ndarray) -> pd.DataFrame:
        data: dict[str, object] = {"alias": aliases}
        for field in SECTION_FIELDS[1:]:
            expression = self.mapping.get(field)
            data[field] = expression.evaluate(firsts).to_numpy() if expression else [""] * len(aliases)
        return pd.DataFrame(data, columns=SECTION_FIELDS)

    def _teachers(
        self, alias: Coded, teacher: Coded, kept: np.ndarray, first: np.ndarray, firsts: StrippedColumns
    ) -> pd.DataFrame:
        # The teacher on a class's first row owns it; other teachers on its rows co-teach.
        owner = np.full(len(alias.values), -1, dtype=np.int64)
        owner[alias.codes[first]] = teacher.codes[first]
        others = kept[teacher.codes[kept] != owner[alias.codes[kept]]]  # usually few: skip hashing 1.4M pairs
        extra = others[coded.unique_pairs(alias.codes[others], teacher.codes[others], len(teacher.values))]
        pairs = np.sort(np.concatenate([first, extra]))
        frame = pd.DataFrame({
            "alias": alias.at(pairs),
            "email": teacher.at(pairs),
            "order": pairs,
            "primary": teacher.codes[pairs] == owner[alias.codes[pairs]],
        })
        co = self.mapping.get("co_teacher_emails")
        if co is not None:
            cells = co.evaluate(firsts)
            extra = split_emails(cells)
            extra_emails, keep = checked_emails(self.table, self.rejections, extra, "co_teacher_emails",
                                                blank_ok=False)
            alias_of = pd.Series(alias.values.to_numpy()[alias.codes[first]], index=cells.index)
            more = pd.DataFrame({"alias": alias_of[extra.index].to_numpy(), "email": extra_emails.to_numpy(),
                                 "order": self.rows + np.arange(len(extra)), "primary": False})
            frame = pd.concat([frame, more[keep.to_numpy()]], ignore_index=True)
        return owner_first(frame, self.warnings)

    def _guardians(self, student: Coded, enrolled: np.ndarray) -> pd.DataFrame:
        expression = self.mapping.get("guardian_emails")
        if expression is None or len(enrolled) == 0:
            return empty_frame(GUARDIAN_FIELDS)
        cell = self.columns.evaluate(expression)
        # Split and check each distinct cell once; a student's rows all repeat the same cell.
        parts = split_emails(cell.values)
        guardian = normalize_emails(parts)
        guardian_code, guardians = pd.factorize(guardian)
        per_part = pd.DataFrame({"cell": parts.index.to_numpy(dtype=np.int64),
                                 "guardian": guardian_code,
                                 "valid": valid_emails(guardian).to_numpy()})
        rows = enrolled[(cell.values != "").to_numpy()[cell.codes[enrolled]]]
        rows = _distinct_pairs(rows, student.codes, cell.codes, len(cell.values))
        links = pd.DataFrame({"row": rows, "cell": cell.codes[rows], "student": student.codes[rows]}).merge(
            per_part, on="cell")
        bad = links[~links["valid"]]
        if not bad.empty:
            raw = parts.reset_index(drop=True)[np.flatnonzero(~per_part["valid"].to_numpy())]
            raw_of = pd.Series(raw.to_numpy(), index=per_part.loc[~per_part["valid"], "guardian"].to_numpy())
            self.rejections.add_many(self.table.label, self.table.lines_of(self.table.records[bad["row"]]),
                                     "guardian_emails", raw_of[bad["guardian"]].to_numpy(),
                                     "invalid e-mail in guardian_emails")
        good = links[links["valid"].to_numpy()].drop_duplicates(["student", "guardian"])
        return pd.DataFrame({
            "student_email": student.at(good["row"].to_numpy()),
            "guardian_email": pd.Series(guardians).take(good["guardian"].to_numpy()).reset_index(drop=True),
        })

def _distinct_pairs(rows: np.ndarray, left: np.ndarray, right: np.ndarray, right_size: int) -> np.ndarray:
    """Rows holding the first occurrence of each (left, right) pair, when ``right`` is
    mostly a function of ``left`` (a student's rows repeat the same guardian cell)."""
    student_of_row, _ = pd.factorize(left[rows])
    firsts = coded.first_positions(student_of_row.astype(np.int64))
    usual = right[rows[firsts]]
    others = rows[right[rows] != usual[student_of_row]]
    extra = others[coded.unique_pairs(left[others], right[others], right_size)]
    return np.sort(np.concatenate([rows[firsts], extra]))
