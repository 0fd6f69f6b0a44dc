"""Mapping expressions: parsing, evaluation over a table, blank parts."""

from __future__ import annotations

import pandas as pd
import pytest

from littlesis.core.expression_eval import blank_part, evaluate
from littlesis.core.expressions import ColumnRef, ExpressionSyntaxError, Literal, parse


def test_parse_columns_with_spaces_and_escaped_braces():
    expression = parse("{{x}} {SIS ID}-{Year}")
    assert expression.parts == (Literal("{x} "), ColumnRef("SIS ID"), Literal("-"), ColumnRef("Year"))
    assert expression.columns == ("SIS ID", "Year")


@pytest.mark.parametrize("template, message", [
    ("{A", "unclosed"), ("A}", "unmatched"), ("{}", "empty column name"), ("{A{B}", "inside a column name"),
])
def test_syntax_errors(template, message):
    with pytest.raises(ExpressionSyntaxError, match=message):
        parse(template)


def test_evaluate_strips_values_and_reads_missing_as_empty():
    table = pd.DataFrame({"School": [" 1000 ", None], "Period": ["3", "4"]}, dtype="str")
    assert evaluate(parse("{School}-P{Period}"), table).tolist() == ["1000-P3", "-P4"]
    assert evaluate(parse("Period {Period}"), table).tolist() == ["Period 3", "Period 4"]
    assert evaluate(parse("constant"), table).tolist() == ["constant", "constant"]
    assert blank_part(parse("{School}-{Period}"), table).tolist() == ["", "School"]
