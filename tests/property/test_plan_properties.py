"""Plans: well formed whatever the district, and complete: applying one leaves nothing to do.

Every random world is analyzed; the plan's actions are staged the way a run stages
them (everything outside suggested matches, plus one reviewer's choice for each
suggestion), applied to the in-memory Classroom (which enforces Classroom's rules:
no alias on two courses, no member twice, the owner stays a teacher, a new owner
must be a co-teacher first) and the world analyzed again: the second plan is empty
(but for guardian invitations that waited for a reviewer's choice, see below).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from littlesis.core.analysis import written_values
from littlesis.core.plan import KIND_ORDER, KINDS, Plan
from tests.property.settings import examples
from tests.property.worlds import World, worlds


def check_well_formed(plan: Plan) -> None:
    actions = plan.actions
    assert set(actions["kind"]) <= set(KINDS)
    assert list(actions["position"]) == list(range(len(actions)))
    assert np.all(np.diff(actions["kind"].map(KIND_ORDER).to_numpy()) >= 0)  # the safe order of kinds
    assert actions["action_id"].is_unique
    creates = actions[actions["kind"] == "create_course"]
    assert creates["alias"].is_unique  # no alias twice among creates
    assert not actions.duplicated(["kind", "target", "payload", "alternative"]).any()
    for payload in actions["payload"]:
        json.loads(payload)
    # Each class is handled one way: as an existing course, a link, a creation, or a suggestion's two alternatives.
    alternatives = actions.groupby("alias")["alternative"].agg(lambda values: frozenset(values))
    assert all(a <= {""} or a <= {"link", "create"} for a in alternatives)
    assert plan.refused.empty  # these districts are far below Classroom's limits


def staged(plan: Plan, choices: dict[str, str]) -> pd.DataFrame:
    """Everything outside suggestions, and each suggestion's chosen alternative."""
    actions = plan.actions
    chosen = np.array([choices.get(alias, "") for alias in actions["alias"]], dtype=object)
    return actions[(actions["alternative"] == "").to_numpy() | (actions["alternative"].to_numpy() == chosen)]


@examples(40)
@given(worlds(), st.data())
def test_a_plan_applied_then_analyzed_again_leaves_nothing_to_do(world: World, data):
    plan = world.analyze()
    check_well_formed(plan)
    suggested = sorted(set(plan.actions.loc[plan.actions["alternative"] != "", "alias"]))
    choices = {alias: data.draw(st.sampled_from(["link", "create"]), label=f"choice for {alias}")
               for alias in suggested}
    applied = staged(plan, choices)
    world.model.apply(applied)
    world.last_synced = pd.concat([world.last_synced, written_values(applied)], ignore_index=True)
    again = world.analyze()
    if suggested:
        # Known and accepted: a guardian is invited for a class only once its course is decided, so the
        # guardians of students whose only class was a suggestion are invited by the next run.
        waiting = {s for c in world.classes if f"C{c.section}" in suggested for s in c.students}
        assert set(again.actions["kind"]) <= {"invite_guardian"} and set(again.actions["target"]) <= waiting
        world.model.apply(again.actions)
        again = world.analyze()
    assert again.actions[["kind", "alias", "payload"]].to_dict("records") == []
    assert again.refused.empty and not (again.matches["decision"] == "suggest").any()
