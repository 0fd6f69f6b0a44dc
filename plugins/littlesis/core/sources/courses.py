"""Which class rows can become Classroom courses: checked at load, each refusal with file and line.

A class whose course Classroom would refuse (no name, a name over 750 characters,
...) is rejected here, naming the row, rather than planned and failed at commit.
So is a class the export gives twice in contradicting ways: an id repeated, or
one alias under two course names (two real classes would be merged into one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from littlesis.core.expression_eval import StrippedColumns
from littlesis.core.snapshot import SECTION_FIELDS
from littlesis.core.sources.csvio import CsvTable
from littlesis.core.sources.mapping import ResolvedMapping
from littlesis.core.sources.rejections import Rejections

# Classroom's limits on the course fields we write (classroom-api.md, "Course fields").
COURSE_FIELD_LIMITS = {"course_name": 750, "section": 2800, "room": 650, "description_heading": 3600,
                       "description": 30000}
NOT_SYNCED = "; the class is not synced"


def refuse_unusable_courses(rejections: Rejections, file: str, sections: pd.DataFrame,
                            lines: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Mask of the classes (rows of ``sections``) Classroom would accept; the others are rejected
    naming the first field it would refuse. ``lines(mask)``: where the masked classes are declared
    (asked only when some class is refused: numbering a large file's lines costs a pass over it)."""
    checks = [("course_name", (sections["course_name"] == "").to_numpy(), "course_name is empty; Classroom "
               "needs a course name")]
    for field, limit in COURSE_FIELD_LIMITS.items():
        too_long = (sections[field].str.len() > limit).to_numpy()
        checks.append((field, too_long, f"{field} is longer than Classroom's limit of {limit:,} characters"))
    refused = np.zeros(len(sections), dtype=bool)
    for field, mask, reason in checks:
        mask = mask & ~refused
        if mask.any():
            rejections.add_many(file, lines(mask), field, sections[field][mask], reason + NOT_SYNCED)
            refused |= mask
    return ~refused


@dataclass(frozen=True)
class Classes:
    """The usable classes of a class file (OneRoster classes.csv, SDS Section.csv)."""

    alias_of_id: pd.Series  # the class's alias by its id (several ids may share one alias)
    sections: pd.DataFrame  # SECTION_FIELDS, one row per alias
    class_columns: pd.DataFrame  # the file's own columns, indexed by alias


def usable_classes(mapping: ResolvedMapping, table: CsvTable, rejections: Rejections, rows: pd.DataFrame,
                   alias: pd.Series, id_column: str) -> Classes:
    """``rows``: the class file's rows still in play (indexed by record); ``alias``: theirs."""
    ids = rows[id_column].str.strip()
    first_of_id = ~ids.duplicated().to_numpy()
    line = pd.Series(table.lines_of(rows.index), index=rows.index)
    if not first_of_id.all():
        first_line = pd.Series(line[first_of_id].to_numpy(), index=ids[first_of_id].to_numpy())
        again = ~first_of_id
        rejections.add_many(table.label, line[again].to_numpy(), id_column, ids[again],
                            ids[again] + " repeats the class at line "
                            + first_line.reindex(ids[again].to_numpy()).astype(str).to_numpy()
                            + "; only that one is used")
        rows, alias, ids, line = rows[first_of_id], alias[first_of_id], ids[first_of_id], line[first_of_id]
    columns = StrippedColumns(rows)
    data: dict[str, object] = {"alias": alias.to_numpy()}
    for field in SECTION_FIELDS[1:]:
        expression = mapping.get(field)
        data[field] = expression.evaluate(columns).to_numpy() if expression else [""] * len(rows)
    sections = pd.DataFrame(data, columns=SECTION_FIELDS, index=rows.index)
    keep = ~_second_names(table, rejections, sections, line)
    usable = np.zeros(len(sections), dtype=bool)
    usable[keep] = refuse_unusable_courses(rejections, table.label, sections[keep],
                                           lambda mask: line.to_numpy()[keep][mask])
    sections, rows, ids = sections[usable], rows[usable], ids[usable]
    # Classes listed again under the same alias and name are one class (cross-listed sections).
    first = ~sections["alias"].duplicated().to_numpy()
    class_columns = rows[first].set_index(pd.Index(sections["alias"].to_numpy()[first], name="alias"))
    return Classes(pd.Series(sections["alias"].to_numpy(), index=ids.to_numpy()),
                   sections[first].reset_index(drop=True), class_columns)


def _second_names(table: CsvTable, rejections: Rejections, sections: pd.DataFrame, line: pd.Series) -> np.ndarray:
    """Rows whose alias came first under another course name: rejected (as the generic preset does)."""
    first = ~sections["alias"].duplicated().to_numpy()
    name_of = pd.Series(sections["course_name"].to_numpy()[first], index=sections["alias"].to_numpy()[first])
    line_of = pd.Series(line.to_numpy()[first], index=sections["alias"].to_numpy()[first])
    usual = name_of.reindex(sections["alias"].to_numpy()).to_numpy()
    other = sections["course_name"].to_numpy() != usual
    if other.any():
        aliases = sections["alias"].to_numpy()[other]
        reasons = [f"alias {a} is named '{name_of[a]}' at line {line_of[a]}; this row names another course"
                   for a in aliases]
        rejections.add_many(table.label, line.to_numpy()[other], "course_name",
                            sections["course_name"][other], pd.Series(reasons))
    return np.asarray(other, dtype=bool)
