"""The review page's queries (SQLite and PostgreSQL): the same pages as page_actions, search into the payload,
and deciding everything matching a filter chunk by chunk."""

from __future__ import annotations

import pytest

from littlesis.store.actions import count_actions, page_actions, save_plan
from littlesis.store.audit import read_audit
from littlesis.store.decisions import decide_matching_chunk, stage_actions
from littlesis.store.engine import session_scope
from littlesis.store.errors import PlanFrozen
from littlesis.store.filters import ActionFilter
from littlesis.store.results import mark_result
from littlesis.store.review import class_actions, few_matches, review_page
from littlesis.store.runs import set_run_state

from .helpers import T0, action, make_run

SIZE = 240
PAYLOAD_PERSON = "Zoë.Payload_Only%@district.example.org"


@pytest.fixture
def plan(engine):
    make_run(engine)
    rows = [action(i) for i in range(SIZE)]
    rows[17]["payload"] = {"userId": PAYLOAD_PERSON}
    with session_scope(engine) as session:
        save_plan(session, "run-1", rows)
    return engine


FILTERS = [ActionFilter(), ActionFilter(kind="add_student"), ActionFilter(kind=["add_teacher", "remove_student"]),
           ActionFilter(school="S3", teacher="TEACHER7@district.example.org"), ActionFilter(decision="proposed"),
           ActionFilter(kind="nothing_like_it")]


@pytest.mark.parametrize("where", FILTERS, ids=lambda f: str(f.describe()))
@pytest.mark.parametrize("offset", [0, 1, 47, SIZE - 3, SIZE, SIZE + 50])
def test_review_pages_are_the_pages_of_page_actions(plan, where: ActionFilter, offset: int) -> None:
    with session_scope(plan, readonly=True) as session:
        ours = review_page(session, "run-1", where, offset=offset, limit=25)
        reference = page_actions(session, "run-1", where, offset=offset, limit=25)
    assert ours == reference


def test_search_finds_alias_target_or_payload_ignoring_case_and_wildcards(plan) -> None:
    with session_scope(plan, readonly=True) as session:
        by_alias = review_page(session, "run-1", ActionFilter(search="s3-math0"), limit=SIZE)
        by_payload = review_page(session, "run-1", ActionFilter(search="payload_only%"), limit=SIZE)
        wildcard = review_page(session, "run-1", ActionFilter(search="payload%only"), limit=SIZE)
        combined = review_page(session, "run-1", ActionFilter(search="S3-", kind="add_student"), limit=SIZE)
    assert by_alias.total == len(by_alias.items) == sum(1 for i in range(SIZE) if action(i)["alias"].startswith("S3-MATH0"))
    assert [a.position for a in by_payload.items] == [17] and by_payload.total == 1
    assert wildcard.total == 0  # % and _ are searched for, not used as wildcards
    assert {a.kind for a in combined.items} == {"add_student"} and combined.counts_by_kind["add_student"] == combined.total


def test_everything_matching_is_decided_in_chunks_with_one_audit_entry_each(plan) -> None:
    where = ActionFilter(kind=["add_student", "remove_student"])
    with session_scope(plan) as session:
        mark_result(session, "run-1", f"{2:016x}", "done")  # applied already: never changes again
        expected = count_actions(session, "run-1", by="kind", where=ActionFilter(kind=["add_student", "remove_student"],
                                                                                 status="pending"))
        chunks, after, changed = [], None, 0
        while True:
            n, after = decide_matching_chunk(session, "run-1", "staged", actor="ana", where=where, after=after,
                                             limit=30, now=T0)
            chunks.append((n, after))
            changed += n
            if after is None:
                break
        assert changed == sum(expected.values()) == 95
        assert [n for n, _ in chunks] == [30, 30, 30, 5]
        staged = count_actions(session, "run-1", by="kind", where=ActionFilter(decision="staged"))
        assert staged == expected
        entries = read_audit(session, run_id="run-1")
    assert len(entries) == 4 and {e.actor for e in entries} == {"ana"} and {e.action for e in entries} == {
        "actions.stage"}
    oldest = entries[-1].detail
    assert oldest["filter"] == {"kind": ["add_student", "remove_student"]} and oldest["after_position"] is None
    assert oldest["changed"] == 30 and oldest["through_position"] == chunks[0][1]


def test_chunks_decide_what_the_page_shows_for_a_search(plan) -> None:
    with session_scope(plan) as session:
        changed, after = decide_matching_chunk(session, "run-1", "excluded", actor="ben",
                                               where=ActionFilter(search="zoë.PAYLOAD_ONLY%"))
        assert (changed, after) == (1, None)
        shown = review_page(session, "run-1", ActionFilter(decision="excluded"), limit=10).items
    assert [a.position for a in shown] == [17]


def test_a_run_being_committed_takes_no_more_decisions(plan) -> None:
    with session_scope(plan) as session:
        stage_actions(session, "run-1", actor="ana", where=ActionFilter())
        set_run_state(session, "run-1", "committing")
    with session_scope(plan) as session, pytest.raises(PlanFrozen):
        decide_matching_chunk(session, "run-1", "proposed", actor="ana", where=ActionFilter())
    with session_scope(plan) as session, pytest.raises(ValueError, match="limit must be positive"):
        decide_matching_chunk(session, "run-1", "staged", actor="ana", where=ActionFilter(), limit=0)


def test_class_actions_are_one_class_in_plan_order(plan) -> None:
    with session_scope(plan, readonly=True) as session:
        rows = class_actions(session, "run-1", action(5)["alias"])
        assert [a.position for a in rows] == [i for i in range(SIZE) if action(i)["alias"] == action(5)["alias"]]
        assert class_actions(session, "other-run", action(5)["alias"]) == []


def test_few_matches_gives_a_selective_filter_its_positions_per_kind_and_refuses_a_broad_one(plan) -> None:
    where = ActionFilter(school="S3", kind="add_student")  # the kind is not applied: the kind filter's counts
    with session_scope(plan, readonly=True) as session:
        found = few_matches(session, "run-1", where, most=SIZE)
        reference = review_page(session, "run-1", ActionFilter(school="S3"), limit=SIZE).items
        assert few_matches(session, "run-1", ActionFilter(), most=SIZE - 1) is None
        assert few_matches(session, "run-1", ActionFilter(search="no such thing"), most=10) == {}
    expected: dict[str, list[int]] = {}
    for a in reference:
        expected.setdefault(a.kind, []).append(a.position)
    assert found == expected and sum(map(len, expected.values())) == len(reference) > 0


def test_sparse_and_dense_chunks_decide_exactly_the_matching_actions(plan) -> None:
    """One school's actions lie every 7th position (updated by lists of positions); a kind pair lies
    densely (updated as a range of positions): either way exactly the matching actions change."""
    for where in (ActionFilter(school="S3"), ActionFilter(kind=["add_student", "remove_student"])):
        with session_scope(plan) as session:
            after, changed = None, 0
            while True:
                n, after = decide_matching_chunk(session, "run-1", "excluded", actor="ana", where=where,
                                                 after=after, limit=10)
                changed += n
                if after is None:
                    break
            excluded = {a.position for a in review_page(session, "run-1", ActionFilter(decision="excluded"),
                                                        limit=SIZE).items}
            wanted = {a.position for a in review_page(session, "run-1", where, limit=SIZE).items}
            assert excluded == wanted and changed == len(wanted)
            decide_matching_chunk(session, "run-1", "proposed", actor="ana", where=ActionFilter(), limit=SIZE)
