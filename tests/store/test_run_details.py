from __future__ import annotations

import math

import pytest

from littlesis.store.audit import read_audit
from littlesis.store.engine import session_scope
from littlesis.store.errors import NotFound
from littlesis.store.run_details import (
    count_rejected_rows,
    decide_match_suggestion,
    list_excluded_classes,
    list_match_suggestions,
    list_rejected_rows,
    save_excluded_classes,
    save_match_suggestions,
    save_rejected_rows,
)

from .helpers import T0, make_run


def test_match_suggestions_are_listed_best_first_and_decided(engine):
    make_run(engine)
    suggestions = [
        {"alias": "S1-ALG-1", "course_id": "c1", "score": 0.61, "score_parts": {"roster": 0.5, "name": 0.9}},
        {"alias": "S1-ALG-1", "course_id": "c2", "score": 0.72, "score_parts": {"roster": 0.7, "teacher": 1.0}},
        {"alias": "S1-BIO-1", "course_id": "c3", "score": 0.55},
    ]
    with session_scope(engine) as session:
        assert save_match_suggestions(session, "run-1", suggestions) == 3
        best = list_match_suggestions(session, "run-1", alias="S1-ALG-1")
        assert [(s.course_id, s.decision) for s in best] == [("c2", "undecided"), ("c1", "undecided")]
        assert best[0].score_parts == {"roster": 0.7, "teacher": 1.0}
        decide_match_suggestion(session, "run-1", "S1-ALG-1", "c2", "link", actor="ana", now=T0)
        linked = list_match_suggestions(session, "run-1", decision="link")
        assert [(s.course_id, s.decided_by, s.decided_at) for s in linked] == [("c2", "ana", T0)]
        assert read_audit(session, action="match.decide")[0].detail == {
            "alias": "S1-ALG-1", "course_id": "c2", "decision": "link"}
        with pytest.raises(NotFound):
            decide_match_suggestion(session, "run-1", "S1-ALG-1", "c9", "create", actor="ana")
        with pytest.raises(ValueError):
            decide_match_suggestion(session, "run-1", "S1-ALG-1", "c1", "merge", actor="ana")


def test_excluded_classes_are_replaced_per_run(engine):
    make_run(engine)
    with session_scope(engine) as session:
        save_excluded_classes(session, "run-1", [{"alias": "B", "rule": "exclude: SchoolID in [99]"},
                                                 {"alias": "A", "rule": "class exception"}])
        save_excluded_classes(session, "run-1", [{"alias": "C", "rule": "not included by any include rule"}])
        assert [(c.alias, c.rule) for c in list_excluded_classes(session, "run-1")] == [
            ("C", "not included by any include rule")]
        with pytest.raises(NotFound):
            save_excluded_classes(session, "ghost", [])


def test_rejected_rows_accept_dataframe_records(engine):
    make_run(engine)
    rows = [
        {"file": "roster.csv", "line": 12, "field": "StudentEmail", "value": "not-an-email", "reason": "invalid e-mail"},
        {"file": "roster.csv", "line": math.nan, "field": None, "value": None, "reason": "file is empty"},
    ]
    with session_scope(engine) as session:
        assert save_rejected_rows(session, "run-1", rows) == 2
        stored = list_rejected_rows(session, "run-1")
        assert count_rejected_rows(session, "run-1") == 2
    assert [(r.line, r.field, r.value) for r in stored] == [(12, "StudentEmail", "not-an-email"), (None, None, None)]
