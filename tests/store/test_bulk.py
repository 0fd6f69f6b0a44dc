"""A district-sized plan: 100,000 actions stored in seconds, then paged, filtered, staged and committed."""

from __future__ import annotations

import time

import pytest

from littlesis.store.actions import count_actions, page_actions, save_plan
from littlesis.store.decisions import stage_actions
from littlesis.store.engine import session_scope
from littlesis.store.filters import ActionFilter
from littlesis.store.records import ActionResult
from littlesis.store.results import mark_results, pending_staged

from .helpers import KINDS, action, make_run

N = 100_000
# Measured on the 2-core build machine: ~2 s on SQLite, ~4 s on PostgreSQL. The bound leaves room.
INSERT_SECONDS = {"sqlite": 8.0, "postgresql": 15.0}


@pytest.fixture
def big_plan(engine, backend):
    make_run(engine)
    actions = [action(i) for i in range(N)]
    started = time.perf_counter()
    with session_scope(engine) as session:
        counts = save_plan(session, "run-1", actions)
    elapsed = time.perf_counter() - started
    print(f"\n{backend}: stored {N:,} actions in {elapsed:.2f} s")
    assert counts == {kind: N // len(KINDS) for kind in KINDS}
    assert elapsed < INSERT_SECONDS[backend], f"{N:,} actions took {elapsed:.1f} s on {backend}"
    return engine


def test_page_filter_stage_and_commit_a_100k_plan(big_plan, backend):
    engine = big_plan
    started = time.perf_counter()
    with session_scope(engine, readonly=True) as session:
        deep = page_actions(session, "run-1", offset=N - 50, limit=100)
        school = page_actions(session, "run-1", ActionFilter(school="S3", kind="add_student"), limit=25)
        search = page_actions(session, "run-1", ActionFilter(search="student4242@"), limit=25)
    assert [a.position for a in deep.items] == list(range(N - 50, N)) and deep.total == N
    assert school.total == len([i for i in range(N) if i % 7 == 3 and i % 5 == 2])
    assert sum(school.counts_by_kind.values()) == len([i for i in range(N) if i % 7 == 3])
    assert [a.target for a in search.items] == ["student4242@district.example.org"]
    paging = time.perf_counter() - started

    with session_scope(engine) as session:
        staged = stage_actions(session, "run-1", actor="ana", where=ActionFilter(kind="create_course"))
    assert staged == N // len(KINDS)

    started = time.perf_counter()
    after = None
    done = 0
    while True:
        with session_scope(engine) as session:
            batch = pending_staged(session, "run-1", after=after, limit=5_000)
            if not batch:
                break
            mark_results(session, "run-1", [ActionResult(a.action_id, "done") for a in batch])
        done += len(batch)
        after = (batch[-1].position, batch[-1].action_id)
    committing = time.perf_counter() - started
    with session_scope(engine, readonly=True) as session:
        statuses = count_actions(session, "run-1", by="status")
    assert done == staged and statuses == {"done": staged, "pending": N - staged}
    print(f"{backend}: three filtered pages in {paging:.2f} s, {done:,} results recorded in {committing:.2f} s")
