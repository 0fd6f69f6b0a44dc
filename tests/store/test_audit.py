from __future__ import annotations

from datetime import timedelta

from littlesis.store.audit import append_audit, read_audit
from littlesis.store.engine import session_scope

from .helpers import T0


def test_append_and_read_newest_first_with_filters_and_paging(engine):
    with session_scope(engine) as session:
        ids = [append_audit(session, actor=f"user{i % 2}", action="actions.stage" if i % 3 else "run.approve",
                            job_id="job-a" if i < 8 else "job-b", run_id=f"run-{i // 4}", detail={"i": i},
                            now=T0 + timedelta(minutes=i))
               for i in range(10)]
    assert ids == sorted(ids)
    with session_scope(engine, readonly=True) as session:
        everything = read_audit(session)
        page1 = read_audit(session, job_id="job-a", limit=3)
        page2 = read_audit(session, job_id="job-a", limit=3, before_id=page1[-1].id)
        approvals = read_audit(session, action="run.approve")
        run1 = read_audit(session, run_id="run-1")
    assert [e.detail["i"] for e in everything] == list(range(9, -1, -1))
    assert everything[0].at == T0 + timedelta(minutes=9) and everything[0].actor == "user1"
    assert [e.detail["i"] for e in page1 + page2] == [7, 6, 5, 4, 3, 2]
    assert [e.detail["i"] for e in approvals] == [9, 6, 3, 0]
    assert [e.detail["i"] for e in run1] == [7, 6, 5, 4]
    assert everything[-1].detail == {"i": 0} and everything[-1].job_id == "job-a"
