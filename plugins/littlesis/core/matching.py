"""Finding the Classroom course a teacher already made for an SIS section.

Only sections with no course carrying their alias are matched, and only
against courses with no domain alias that one of the section's teachers
teaches (archived courses never). The score leans on the roster:

    score = 0.6 * roster + 0.3 * name + 0.1 * teacher

- roster: the mean of the share of SIS students already in the course and
  the share of the course's students found in the SIS section;
- name: rapidfuzz token_set_ratio of "name section" on both sides, 0..1;
- teacher: 1 when the section's owner owns the course, else 0.5 (a co-teacher).

Pairs are assigned best first; a course links to one section at most and a
section to one course. Ties break on alias then course id, so the outcome
never depends on input order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from rapidfuzz import fuzz

from littlesis.core.classroom_state import ClassroomState

ROSTER_WEIGHT, NAME_WEIGHT, TEACHER_WEIGHT = 0.6, 0.3, 0.1
MATCH_COLUMNS = ["alias", "course_id", "score", "roster_share_sis", "roster_share_course", "name_similarity",
                 "owner_teaches", "decision"]


@dataclass(frozen=True)
class Thresholds:
    link_at: float
    suggest_at: float


def candidate_pairs(
    sections: pd.DataFrame, teachers: pd.DataFrame, state: ClassroomState
) -> pd.DataFrame:
    """(alias, course_id) for each unmatched section and each teacher-made course one of its teachers teaches."""
    courses = state.teacher_created()
    courses = courses[courses["course_state"] != "ARCHIVED"]
    if courses.empty or sections.empty:
        return pd.DataFrame({"alias": pd.Series(dtype="str"), "course_id": pd.Series(dtype="str")})
    taught = state.teachers[state.teachers["course_id"].isin(courses["course_id"])]
    section_teachers = teachers[teachers["alias"].isin(sections["alias"])]
    pairs = section_teachers.merge(taught, on="email")[["alias", "course_id"]].drop_duplicates()
    return pairs.reset_index(drop=True)


def score_pairs(
    pairs: pd.DataFrame, sections: pd.DataFrame, teachers: pd.DataFrame, enrollments: pd.DataFrame,
    state: ClassroomState,
) -> pd.DataFrame:
    """The score and its parts for every candidate pair."""
    if pairs.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in MATCH_COLUMNS[:-1]})
    sis = enrollments[enrollments["alias"].isin(pairs["alias"])][["alias", "email"]]
    course = state.students[state.students["course_id"].isin(pairs["course_id"])][["course_id", "email"]]
    both = sis.merge(course, on="email").merge(pairs, on=["alias", "course_id"])
    shared = both.groupby(["alias", "course_id"]).size().rename("shared")
    scored = pairs.join(shared, on=["alias", "course_id"]).fillna({"shared": 0})
    scored["sis_size"] = scored["alias"].map(sis.groupby("alias").size()).fillna(0)
    scored["course_size"] = scored["course_id"].map(course.groupby("course_id").size()).fillna(0)
    share_sis = np.where(scored["sis_size"] > 0, scored["shared"] / scored["sis_size"].clip(lower=1), 0.0)
    share_course = np.where(scored["course_size"] > 0, scored["shared"] / scored["course_size"].clip(lower=1), 0.0)

    sis_names = sections.set_index("alias")
    course_rows = state.courses.set_index("course_id")
    left = (sis_names.loc[scored["alias"], "course_name"] + " " + sis_names.loc[scored["alias"], "section"]).to_numpy()
    right = (course_rows.loc[scored["course_id"], "name"] + " " + course_rows.loc[scored["course_id"], "section"]
             ).to_numpy()
    names = np.array([fuzz.token_set_ratio(a.lower(), b.lower()) / 100.0 for a, b in zip(left, right, strict=True)])

    owners = teachers[teachers["primary"]].set_index("alias")["email"]
    owner_teaches = (owners.reindex(scored["alias"]).to_numpy()
                     == course_rows.loc[scored["course_id"], "owner_email"].to_numpy())
    roster = (share_sis + share_course) / 2
    score = ROSTER_WEIGHT * roster + NAME_WEIGHT * names + TEACHER_WEIGHT * np.where(owner_teaches, 1.0, 0.5)
    return pd.DataFrame({
        "alias": scored["alias"].to_numpy(),
        "course_id": scored["course_id"].to_numpy(),
        "score": np.round(score, 4),
        "roster_share_sis": np.round(share_sis, 4),
        "roster_share_course": np.round(share_course, 4),
        "name_similarity": np.round(names, 4),
        "owner_teaches": owner_teaches,
    })


def assign(scored: pd.DataFrame, thresholds: Thresholds) -> pd.DataFrame:
    """Best pairs first; no course and no section used twice; below suggest_at nothing."""
    eligible = scored[scored["score"] >= thresholds.suggest_at]
    eligible = eligible.sort_values(["score", "alias", "course_id"], ascending=[False, True, True], kind="stable")
    taken_alias: set[str] = set()
    taken_course: set[str] = set()
    chosen = []
    for row in eligible.itertuples(index=False):
        if row.alias in taken_alias or row.course_id in taken_course:
            continue
        taken_alias.add(row.alias)
        taken_course.add(row.course_id)
        chosen.append(row)
    result = pd.DataFrame(chosen, columns=MATCH_COLUMNS[:-1])
    result["decision"] = np.where(result["score"] >= thresholds.link_at, "link", "suggest")
    return result.reset_index(drop=True)


def match_sections(
    sections: pd.DataFrame, teachers: pd.DataFrame, enrollments: pd.DataFrame, state: ClassroomState,
    thresholds: Thresholds,
) -> pd.DataFrame:
    """For sections without a course of their alias: the teacher-made course to link or suggest."""
    pairs = candidate_pairs(sections, teachers, state)
    return assign(score_pairs(pairs, sections, teachers, enrollments, state), thresholds)
