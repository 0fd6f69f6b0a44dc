"""Rules: a partition of the classes; includes only widen, excludes only narrow; idempotent, order-free."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from littlesis.core.config import LIST_OPS, VALUELESS_OPS, Rule, RuleOp, Rules
from littlesis.core.rules import NO_INCLUDE_MATCHED, apply_rules, rule_matches
from tests.property.settings import examples

VALUES = ["", "S1", "s1", " S2 ", "Year", "Art", "ART history", "Algebra I", "é"]
COLUMNS = ["Term", "CourseName"]
COMPLEMENT = {RuleOp.equals: RuleOp.not_equals, RuleOp.in_: RuleOp.not_in, RuleOp.contains: RuleOp.not_contains,
              RuleOp.empty: RuleOp.not_empty}
COMPLEMENT.update({b: a for a, b in list(COMPLEMENT.items())})


@st.composite
def views(draw: st.DrawFn) -> pd.DataFrame:
    rows = draw(st.integers(min_value=0, max_value=8))
    data = {c: draw(st.lists(st.one_of(st.none(), st.sampled_from(VALUES)), min_size=rows, max_size=rows))
            for c in COLUMNS}
    return pd.DataFrame(data, index=pd.Index([f"c{i}" for i in range(rows)], name="alias"), dtype="str")


@st.composite
def rules(draw: st.DrawFn, column: st.SearchStrategy[str] | None = None) -> Rule:
    op = draw(st.sampled_from(list(RuleOp)))
    text = st.sampled_from([v.upper() for v in VALUES] + VALUES)
    if op in VALUELESS_OPS:
        value: str | list[str] | None = None
    elif op in LIST_OPS:
        value = draw(st.lists(text, min_size=1, max_size=3))
    elif op is RuleOp.regex:
        value = draw(st.sampled_from([r"^a", r"s\d", r"history$", r".*", r"^$"]))
    else:
        value = draw(text)
    name = draw(column if column is not None else st.sampled_from([*COLUMNS, "term", "Missing"]))
    return Rule(column=name, op=op, value=value, case_sensitive=draw(st.booleans()))


RULE_LISTS = st.lists(rules(), max_size=3)


@examples(150)
@given(views(), RULE_LISTS, RULE_LISTS)
def test_every_class_is_kept_or_excluded_with_a_reason_that_holds(view, include, exclude):
    scope = apply_rules(Rules(include=include, exclude=exclude), view)
    excluded = scope.excluded.set_index("alias")["rule"]
    assert set(scope.kept).isdisjoint(excluded.index)
    assert sorted([*scope.kept, *excluded.index]) == sorted(view.index)
    for alias, reason in excluded.items():
        row = view.loc[[alias]]
        if reason == NO_INCLUDE_MATCHED:
            assert include and not any(rule_matches(r, row).iloc[0] for r in include)
        else:
            assert any(reason == f"exclude: {r.describe()}" and rule_matches(r, row).iloc[0] for r in exclude)


@examples(150)
@given(views(), st.lists(rules(), min_size=1, max_size=3), RULE_LISTS, rules())
def test_another_include_never_drops_a_class(view, include, exclude, extra):
    before = set(apply_rules(Rules(include=include, exclude=exclude), view).kept)
    after = set(apply_rules(Rules(include=[*include, extra], exclude=exclude), view).kept)
    assert before <= after


@examples(150)
@given(views(), RULE_LISTS, RULE_LISTS, rules())
def test_another_exclude_never_adds_a_class(view, include, exclude, extra):
    before = set(apply_rules(Rules(include=include, exclude=exclude), view).kept)
    after = set(apply_rules(Rules(include=include, exclude=[*exclude, extra]), view).kept)
    assert after <= before


@examples(150)
@given(views(), RULE_LISTS, RULE_LISTS, st.randoms(use_true_random=False))
def test_rules_are_idempotent_and_their_order_does_not_matter(view, include, exclude, rng):
    rule_set = Rules(include=include, exclude=exclude)
    kept = apply_rules(rule_set, view).kept
    assert list(apply_rules(rule_set, view.loc[kept]).kept) == list(kept)
    shuffled = Rules(include=rng.sample(include, len(include)), exclude=rng.sample(exclude, len(exclude)))
    assert list(apply_rules(shuffled, view).kept) == list(kept)


@examples(150)
@given(views(), rules(column=st.sampled_from(COLUMNS)).filter(lambda r: r.op in COMPLEMENT))
def test_an_operator_and_its_negation_split_every_class(view, rule):
    negated = rule.model_copy(update={"op": COMPLEMENT[rule.op]})
    hit, miss = rule_matches(rule, view), rule_matches(negated, view)
    assert (hit ^ miss).all()


@examples(150)
@given(views(), rules(column=st.sampled_from(COLUMNS)).filter(lambda r: not r.case_sensitive))
def test_without_case_sensitive_the_case_of_value_and_column_name_does_not_matter(view, rule):
    def recased(value: str | list[str] | None, case) -> str | list[str] | None:
        return value if value is None else case(value) if isinstance(value, str) else [case(v) for v in value]

    if rule.op is RuleOp.regex:
        variants = [rule, rule.model_copy(update={"column": rule.column.upper()})]
    else:
        variants = [rule.model_copy(update={"value": recased(rule.value, case), "column": name})
                    for case in (str.upper, str.lower) for name in (rule.column, rule.column.lower())]
    results = [rule_matches(v, view).tolist() for v in variants]
    assert all(r == results[0] for r in results)
