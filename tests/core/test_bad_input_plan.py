"""Inputs that load but could never be applied: the plan refuses them, each with its reason.

Classroom holds at most 1,000 members and 20 teachers per course. The plan counts
what the course holds already, leaves out the additions that cannot succeed and
lists them (Plan.refused) instead of letting their calls fail at commit. Text that
looks like a spreadsheet formula is data like any other and reaches the plan as it is.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from littlesis.core.capacity import MAX_MEMBERS, MAX_TEACHERS
from tests.core.classroom_model import ClassroomModel
from tests.core.test_analysis import T1, T2, analysis, payloads, roster, row

MEMBERS = "Classroom allows 1,000 members (teachers and students) per course; "
TEACHERS = "Classroom allows 20 teachers per course; "


def empty() -> ClassroomModel:
    return ClassroomModel()


def full_of_others() -> ClassroomModel:
    model = ClassroomModel()
    model.add_course("Algebra", T1, aliases=("d:C1",), section="Period 1",
                     students=tuple(f"old{i}@d.org" for i in range(995)))  # 996 members with the owner
    return model


def twenty_teachers() -> ClassroomModel:
    model = ClassroomModel()
    model.add_course("Algebra", T1, aliases=("d:C1",), section="Period 1", students=("s@d.org",),
                     teachers=tuple(f"co{i}@d.org" for i in range(19)))
    return model


@dataclass
class PlanCase:
    name: str
    rows: list[str]
    model: Callable[[], ClassroomModel]
    refused: list[tuple[str, str, str]]  # kind, payload, reason (all on class C1)
    prefs: str = ""


PLAN_CASES = [
    PlanCase("1,001 students in one new class", [row("1", f"s{i}@d.org") for i in range(1001)], empty,
             [("add_student", f'{{"userId":"s{i}@d.org"}}',
               MEMBERS + "d:C1 would have 1,002 (1 already, owner included): this student is not added")
              for i in (999, 1000)]),
    PlanCase("21 co-teachers and the owner in one class",
             [row("1", "s@d.org", co=";".join(f"co{i}@d.org" for i in range(21)))], empty,
             [("add_teacher", f'{{"userId":"co{i}@d.org"}}',
               TEACHERS + "d:C1 would have 22 (1 already, owner included): this teacher is not added")
              for i in (19, 20)]),
    PlanCase("a course already holding members the SIS does not list",
             [row("1", f"new{i}@d.org") for i in range(10)], full_of_others,
             [("add_student", f'{{"userId":"new{i}@d.org"}}',
               MEMBERS + "d:C1 would have 1,006 (996 already, owner included): this student is not added")
              for i in range(4, 10)]),
    PlanCase("a new owner for a course that has 20 teachers", [row("1", "s@d.org", teacher=T2)], twenty_teachers,
             [("add_teacher", f'{{"userId":"{T2}"}}',
               TEACHERS + "d:C1 would have 21 (20 already, owner included): this teacher is not added"),
              ("change_owner", f'{{"ownerId":"{T2}"}}',
               "the new owner cannot be added as a co-teacher (course limit): the owner stays")],
             prefs="add_teachers: false"),
]


@pytest.mark.parametrize("case", PLAN_CASES, ids=[c.name for c in PLAN_CASES])
def test_what_classroom_would_refuse_is_left_out_with_its_reason(write, case):
    model = case.model()
    _, plan = analysis(write, roster(*case.rows), case.prefs, model=model)
    assert [(r.kind, r.alias, r.target, r.payload, r.reason) for r in plan.refused.itertuples()] == [
        (kind, "C1", "d:C1", payload, reason) for kind, payload, reason in case.refused]
    planned = set(zip(plan.actions["kind"], plan.actions["payload"], strict=True))
    assert not planned & {(kind, payload) for kind, payload, _ in case.refused}
    assert list(plan.actions["position"]) == list(range(len(plan.actions)))
    # What is planned fits: applied to the model, no course is over a limit.
    model.apply(plan.actions)
    for course in model.courses.values():
        assert len(course.teachers) <= MAX_TEACHERS
        assert len(course.teachers) + len(course.students) <= MAX_MEMBERS


def test_a_full_course_gets_its_new_student_after_the_removal_made_room(write):
    model = ClassroomModel()
    sis = [f"s{i}@d.org" for i in range(998)]
    model.add_course("Algebra", T1, aliases=("d:C1",), section="Period 1", students=(*sis, "left@d.org"))
    csv = roster(*(row("1", s) for s in [*sis, "joined@d.org"]))
    _, plan = analysis(write, csv, "remove_students: true", model=model)
    assert plan.counts() == {"remove_student": 1}  # additions run before removals: no room yet
    assert plan.refused["payload"].tolist() == ['{"userId":"joined@d.org"}']
    model.apply(plan.actions)
    _, after = analysis(write, csv, "remove_students: true", model=model)
    assert after.counts() == {"add_student": 1} and after.refused.empty
    assert "C1" not in after.no_updates


def test_formula_text_reaches_the_plan_as_plain_text(write):
    from tests.core.test_bad_input import FORMULAS

    rows = [row(str(i), f"s{i}@d.org", name='"' + f.replace('"', '""') + '"') for i, f in enumerate(FORMULAS)]
    _, plan = analysis(write, roster(*rows))
    assert [p["name"] for p in payloads(plan, "create_course")] == FORMULAS
    assert plan.refused.empty
    for payload in plan.actions["payload"]:
        json.loads(payload)  # still valid JSON: quotes in the text are escaped
