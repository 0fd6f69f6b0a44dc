"""Rules: each operator, case handling, includes unioned then excludes removed."""

from __future__ import annotations

import pandas as pd
import pytest

from littlesis.core.config import Rule, Rules
from littlesis.core.rules import NO_INCLUDE_MATCHED, apply_rules, rule_matches

VIEW = pd.DataFrame(
    {"Term": ["S1", " s2 ", "Year", ""], "CourseName": ["Algebra I", "Art", "ART history", "Biology"]},
    index=pd.Index(["a", "b", "c", "d"], name="alias"),
)


@pytest.mark.parametrize("rule, expected", [
    ({"column": "Term", "op": "equals", "value": "s2"}, ["b"]),
    ({"column": "Term", "op": "equals", "value": "S2", "case_sensitive": True}, []),
    ({"column": "Term", "op": "not_equals", "value": "S1"}, ["b", "c", "d"]),
    ({"column": "Term", "op": "in", "value": ["S1", "S2"]}, ["a", "b"]),
    ({"column": "Term", "op": "not_in", "value": ["S1", "S2"]}, ["c", "d"]),
    ({"column": "CourseName", "op": "contains", "value": "art"}, ["b", "c"]),
    ({"column": "CourseName", "op": "not_contains", "value": "art"}, ["a", "d"]),
    ({"column": "CourseName", "op": "starts_with", "value": "art"}, ["b", "c"]),
    ({"column": "CourseName", "op": "ends_with", "value": " I"}, ["a"]),
    ({"column": "CourseName", "op": "regex", "value": r"^a.*\bI$"}, ["a"]),
    ({"column": "CourseName", "op": "regex", "value": "^art", "case_sensitive": True}, []),
    ({"column": "Term", "op": "empty"}, ["d"]),
    ({"column": "term", "op": "not_empty"}, ["a", "b", "c"]),  # column names match case-insensitively
    ({"column": "Term", "op": "equals", "value": 2026}, []),  # YAML numbers compare as text
])
def test_each_operator(rule, expected):
    assert VIEW.index[rule_matches(Rule(**rule), VIEW)].tolist() == expected


def test_includes_are_unioned_then_excludes_removed():
    rules = Rules(
        include=[Rule(column="Term", op="equals", value="S1"), Rule(column="CourseName", op="starts_with", value="Art")],
        exclude=[Rule(column="CourseName", op="contains", value="history")],
    )
    scope = apply_rules(rules, VIEW)
    assert scope.kept.tolist() == ["a", "b"]
    assert scope.excluded.set_index("alias")["rule"].to_dict() == {
        "c": "exclude: CourseName contains 'history'", "d": NO_INCLUDE_MATCHED}


def test_no_rules_keep_everything():
    scope = apply_rules(Rules(), VIEW)
    assert scope.kept.tolist() == ["a", "b", "c", "d"] and scope.excluded.empty
