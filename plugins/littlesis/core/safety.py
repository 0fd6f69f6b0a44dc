"""The safety guard: a plan that would remove or change too much waits for a person.

The most feared failure of roster sync is a bad or truncated export wiping
classes. Like octodns' ``raise_if_unsafe``, the plan is compared with what
exists and refused for automatic staging, with the numbers in the message.
"""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd

from littlesis.core.classroom_state import ClassroomState
from littlesis.core.coded import isin
from littlesis.core.config import Safety
from littlesis.core.plan import SafetyVerdict

REMOVALS = {"remove_student"}
COURSE_CHANGES = {"update_course", "add_teacher", "remove_teacher", "change_owner", "add_student",
                  "remove_student", "archive_course", "link_course"}


def check_safety(
    actions: pd.DataFrame, state: ClassroomState, targets: pd.DataFrame, job_aliases: Collection[str],
    kept: pd.Index, limits: Safety,
) -> SafetyVerdict:
    """``targets``: the courses this run syncs (alias, course_id, linked, alternative).

    The job's courses are those already carrying their alias plus those it synced
    before; a teacher's course being linked now is not one of them yet. A class the
    job synced before that is missing from the export counts as changed (a
    truncated export shows up here even when nothing is removed).
    """
    existing = targets[(targets["alternative"] == "") & ~targets["linked"].astype(bool)]
    job_courses = set(existing["alias"]) | (set(job_aliases) & set(state.course_of_alias().index))
    student_total = int(isin(state.students["course_id"], existing["course_id"]).sum())
    removals = int(isin(actions["kind"], REMOVALS).sum())
    changing = actions[isin(actions["kind"], COURSE_CHANGES)]
    changed = set(changing["alias"].unique()) & job_courses
    missing = {a for a in job_aliases if a not in kept} & job_courses
    course_total = len(job_courses)
    changed_total = len(changed | missing)
    verdict = SafetyVerdict(
        removal_share=removals / student_total if student_total else 0.0,
        changed_course_share=changed_total / course_total if course_total else 0.0,
    )
    if student_total and verdict.removal_share > limits.max_removal_share:
        verdict.reasons.append(
            f"would remove {removals:,} of {student_total:,} students ({verdict.removal_share:.1%}), "
            f"over the {limits.max_removal_share:.0%} limit")
    if course_total and verdict.changed_course_share > limits.max_changed_course_share:
        detail = f", {len(missing):,} of them missing from the export" if missing else ""
        verdict.reasons.append(
            f"would change {changed_total:,} of {course_total:,} courses ({verdict.changed_course_share:.1%})"
            f"{detail}, over the {limits.max_changed_course_share:.0%} limit")
    verdict.unsafe = bool(verdict.reasons)
    return verdict
