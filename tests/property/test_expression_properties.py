"""Mapping expressions: any text parses or fails clearly; print and parse agree; the two evaluators agree."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from littlesis.core.coded import CodedColumns
from littlesis.core.config import Mapping
from littlesis.core.expression_eval import evaluate
from littlesis.core.expressions import ColumnRef, Expression, ExpressionSyntaxError, Literal, Part, parse, render
from tests.property.settings import examples

# Braces, blanks and a few letters, so templates hit every branch of the parser.
TEMPLATE_TEXT = st.text(alphabet=st.sampled_from(list("{}{}ab  -_é\t")), max_size=24) | st.text(max_size=24)
COLUMNS = ["A", "B", "SIS ID"]
NAME = st.text(alphabet=st.characters(exclude_characters="{}"), min_size=1, max_size=8).map(str.strip).filter(bool)
PARTS = st.lists(st.one_of(st.builds(Literal, st.text(min_size=1, max_size=6)), st.builds(ColumnRef, NAME)),
                 max_size=6)


def merged(parts: list[Part]) -> tuple[Part, ...]:
    """The parts as the parser yields them: neighbouring literals joined."""
    out: list[Part] = []
    for part in parts:
        if isinstance(part, Literal) and out and isinstance(out[-1], Literal):
            out[-1] = Literal(out[-1].text + part.text)
        else:
            out.append(part)
    return tuple(out)


@examples(400)
@given(TEMPLATE_TEXT)
def test_any_text_parses_or_fails_with_a_syntax_error_naming_the_position(text):
    try:
        expression = parse(text)
    except ExpressionSyntaxError as exc:
        assert "at position" in str(exc)
        return
    assert isinstance(expression, Expression) and expression.source == text
    assert all(p.name == p.name.strip() and p.name and "{" not in p.name for p in expression.parts
               if isinstance(p, ColumnRef))


@examples(300)
@given(PARTS)
def test_parse_reads_back_what_render_prints(parts):
    assert parse(render(tuple(parts))).parts == merged(parts)


@examples(300)
@given(TEMPLATE_TEXT)
def test_printing_a_parsed_template_is_a_fixed_point(text):
    try:
        expression = parse(text)
    except ExpressionSyntaxError:
        return
    printed = render(expression.parts)
    assert parse(printed).parts == expression.parts
    assert render(parse(printed).parts) == printed


@examples(200)
@given(TEMPLATE_TEXT)
def test_a_config_mapping_accepts_exactly_the_templates_that_parse(text):
    try:
        parse(text)
        parses = True
    except ExpressionSyntaxError:
        parses = False
    try:
        Mapping(course_name=text)
        accepted = True
    except ValidationError as exc:
        accepted = False
        (error,) = exc.errors()
        assert error["loc"] == ("course_name",) and "bad mapping expression" in error["msg"]
    assert accepted == parses


CELL = st.one_of(st.none(), st.sampled_from(["", " ", "1000", " x ", "Alg", "é ", "a b"]))
TABLE = st.integers(min_value=0, max_value=6).flatmap(
    lambda rows: st.fixed_dictionaries({c: st.lists(CELL, min_size=rows, max_size=rows) for c in COLUMNS}))
EXPRESSION = st.lists(st.one_of(st.builds(Literal, st.sampled_from(["-", " ", "P ", "{", "}", "x"])),
                                st.builds(ColumnRef, st.sampled_from(COLUMNS))), max_size=5).map(
    lambda parts: parse(render(tuple(parts))))


def by_hand(expression: Expression, table: dict[str, list[str | None]], row: int) -> str:
    """The documented meaning: column values stripped, pieces joined, the result stripped."""
    return "".join(p.text if isinstance(p, Literal) else (table[p.name][row] or "").strip()
                   for p in expression.parts).strip()


@examples(300)
@given(TABLE, EXPRESSION)
def test_both_evaluators_give_the_documented_value_on_every_row(table, expression):
    rows = len(table[COLUMNS[0]])
    expected = [by_hand(expression, table, i) for i in range(rows)]
    frame = pd.DataFrame(table, dtype="str")
    assert evaluate(expression, frame).fillna("").tolist() == expected
    # The CSV reader never yields nulls (an empty cell is ""): the coded evaluator reads what it yields.
    coded = CodedColumns(pa.table({c: pa.array([v or "" for v in table[c]], type=pa.string()) for c in COLUMNS}))
    value = coded.evaluate(expression)
    assert value.values.take(value.codes).fillna("").tolist() == expected


@pytest.mark.parametrize("template, renamed", [("{ schoolid }-{Year}", "{SchoolID}-{Year}"),
                                               ("{{schoolid}} {schoolid}", "{{schoolid}} {SchoolID}")])
def test_renaming_columns_touches_only_column_references(template, renamed):
    assert parse(template).renamed({"schoolid": "SchoolID"}).source == renamed
