"""Classroom's size limits, applied while planning: an addition that cannot succeed is refused.

A course holds at most 1,000 members (teachers and students together) and at most
20 teachers (classroom-api.md: CourseMemberLimitReached, CourseTeacherLimitReached).
Rather than plan calls that are bound to fail at commit, the plan leaves them out
and lists each with the reason, counting what the course already holds. Additions
run before removals in a plan, so a full course gets its new members on the run
after the removals made room.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from littlesis.core.classroom_state import DOMAIN_ALIAS_PREFIX, ClassroomState
from littlesis.core.coded import isin
from littlesis.core.plan import REFUSED_COLUMNS, no_refusals

MAX_MEMBERS = 1000
MAX_TEACHERS = 20
_ADDS = ("add_teacher", "add_student")


def refuse_over_capacity(actions: pd.DataFrame, state: ClassroomState) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the actions Classroom can take, in order and renumbered; the refused ones with their reason)."""
    is_add = isin(actions["kind"], _ADDS)
    if not is_add.any():
        return actions, no_refusals()
    adds = actions[is_add]
    target_code, targets = pd.factorize(adds["target"])
    teachers_now, members_now = _current_counts(pd.Index(targets), actions, state)
    is_teacher = (adds["kind"] == "add_teacher").to_numpy()
    teacher_adds = np.bincount(target_code[is_teacher], minlength=len(targets))
    all_adds = np.bincount(target_code, minlength=len(targets))
    over = (teachers_now + teacher_adds > MAX_TEACHERS) | (members_now + all_adds > MAX_MEMBERS)
    if not over.any():  # the usual case, decided on counts alone
        return actions, no_refusals()
    chosen = over[target_code]
    refused = _refusals(adds[chosen], target_code[chosen], teachers_now, members_now, teacher_adds, all_adds)
    # A new owner who cannot join as a co-teacher cannot take the course over either.
    lost_owner = refused[refused["owner"]]["target"]
    transfers = actions[(actions["kind"] == "change_owner").to_numpy() & isin(actions["target"], lost_owner)]
    refused_frame = pd.concat([
        refused,
        transfers.assign(reason="the new owner cannot be added as a co-teacher (course limit): the owner stays"),
    ])[REFUSED_COLUMNS].reset_index(drop=True)
    kept = actions.drop(index=refused.index.union(transfers.index)).reset_index(drop=True)
    kept["position"] = np.arange(len(kept), dtype=np.int64)
    return kept, refused_frame


def _refusals(adds: pd.DataFrame, code: np.ndarray, teachers_now: np.ndarray, members_now: np.ndarray,
              teacher_adds: np.ndarray, all_adds: np.ndarray) -> pd.DataFrame:
    """The additions to courses over a limit that do not fit, with ``reason`` and ``owner`` columns.

    Teachers take seats before students, and a new owner before the other co-teachers.
    """
    is_teacher = (adds["kind"] == "add_teacher").to_numpy()
    owner = is_teacher & (np.asarray([json.loads(p)["userId"] for p in adds["payload"]], dtype=object)
                          == adds["teacher"].to_numpy())
    rank = np.lexsort((adds["position"].to_numpy(), ~owner, ~is_teacher, code))
    ordered_code, ordered_teacher = code[rank], is_teacher[rank]
    seat = np.empty(len(adds), dtype=np.int64)  # 1-based place among the course's teachers, or its students
    for kind in (True, False):
        mask = ordered_teacher == kind
        seat[mask] = pd.Series(ordered_code[mask]).groupby(ordered_code[mask]).cumcount().to_numpy() + 1
    teacher_room = np.minimum(MAX_TEACHERS - teachers_now, MAX_MEMBERS - members_now)[ordered_code]
    teacher_fits = ordered_teacher & (seat <= teacher_room)
    teachers_taken = np.bincount(ordered_code[teacher_fits], minlength=len(teachers_now))
    student_fits = ~ordered_teacher & (seat <= (MAX_MEMBERS - members_now - teachers_taken)[ordered_code])
    out = ~(teacher_fits | student_fits)
    rows = adds.iloc[rank[out]]
    c = ordered_code[out]
    teacher_limited = ordered_teacher[out] & (seat[out] > (MAX_TEACHERS - teachers_now)[c])
    reasons = [
        f"Classroom allows {MAX_TEACHERS} teachers per course; {t} would have {teachers_now[k] + teacher_adds[k]} "
        f"({teachers_now[k]} already, owner included): this teacher is not added" if limited else
        f"Classroom allows {MAX_MEMBERS:,} members (teachers and students) per course; {t} would have "
        f"{members_now[k] + all_adds[k]:,} ({members_now[k]:,} already, owner included): this "
        f"{'teacher' if teacher else 'student'} is not added"
        for t, k, limited, teacher in zip(rows["target"], c, teacher_limited, ordered_teacher[out], strict=True)]
    return rows.assign(reason=reasons, owner=owner[rank[out]])


def _current_counts(targets: pd.Index, actions: pd.DataFrame, state: ClassroomState
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Teachers and members of each target ("d:alias" or a course id) before the plan's additions."""
    ours = targets.str.startswith(DOMAIN_ALIAS_PREFIX)
    alias = targets.str.slice(len(DOMAIN_ALIAS_PREFIX))
    course = np.where(ours, state.course_of_alias().reindex(alias).to_numpy(dtype=object),
                      targets.to_numpy(dtype=object))
    # Count only the targeted courses' members: a district's roster table has a million rows.
    targeted = pd.Series(course[pd.notna(course)], dtype="str")
    counts = [table["course_id"][isin(table["course_id"], targeted)].value_counts()
              for table in (state.teachers, state.students)]
    teachers = counts[0].reindex(course).fillna(0).to_numpy(dtype=np.int64)
    members = teachers + counts[1].reindex(course).fillna(0).to_numpy(dtype=np.int64)
    # A course this plan creates starts with its owner.
    created = isin(pd.Series(targets), actions.loc[actions["kind"] == "create_course", "target"])
    return np.where(created, 1, teachers), np.where(created, 1, members)
