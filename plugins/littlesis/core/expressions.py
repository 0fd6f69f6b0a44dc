"""Mapping expressions: templates that join CSV columns and literal text.

``"{SchoolID}-{CourseID}-{SectionID}-{Year}"`` or ``"Period {Period}"``.
A column name is whatever stands between braces (spaces allowed, as in
``{SIS ID}``); ``{{`` and ``}}`` stand for literal braces.

Evaluation is vectorised over a whole table (pandas string columns), because a
large district's export has well over a million rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


class ExpressionSyntaxError(ValueError):
    """The template itself is malformed (unbalanced braces, empty name)."""


@dataclass(frozen=True)
class Literal:
    text: str


@dataclass(frozen=True)
class ColumnRef:
    name: str


Part = Literal | ColumnRef


@dataclass(frozen=True)
class Expression:
    source: str
    parts: tuple[Part, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parts if isinstance(p, ColumnRef))

    def evaluate(self, table: pd.DataFrame | StrippedColumns) -> pd.Series:
        """The expression's value for every row of ``table`` (missing values read as "")."""
        return evaluate(self, table)


def parse(template: str) -> Expression:
    parts: list[Part] = []
    literal: list[str] = []
    i = 0
    n = len(template)
    while i < n:
        ch = template[i]
        if ch == "{":
            if template.startswith("{{", i):
                literal.append("{")
                i += 2
                continue
            end = template.find("}", i + 1)
            if end < 0:
                raise ExpressionSyntaxError(f"unclosed '{{' at position {i}")
            name = template[i + 1 : end].strip()
            if not name:
                raise ExpressionSyntaxError(f"empty column name at position {i}")
            if "{" in name:
                raise ExpressionSyntaxError(f"'{{' inside a column name at position {i}")
            if literal:
                parts.append(Literal("".join(literal)))
                literal = []
            parts.append(ColumnRef(name))
            i = end + 1
        elif ch == "}":
            if template.startswith("}}", i):
                literal.append("}")
                i += 2
                continue
            raise ExpressionSyntaxError(f"unmatched '}}' at position {i}")
        else:
            literal.append(ch)
            i += 1
    if literal:
        parts.append(Literal("".join(literal)))
    return Expression(template, tuple(parts))


class StrippedColumns:
    """A table's columns, each stripped of surrounding blanks once and reused.

    Several expressions often name the same column; on a million-row export
    stripping it once per load instead of once per use matters.
    """

    def __init__(self, table: pd.DataFrame):
        self.table = table
        self._cache: dict[str, pd.Series] = {}

    @property
    def index(self) -> pd.Index:
        return self.table.index

    def __getitem__(self, name: str) -> pd.Series:
        column = self._cache.get(name)
        if column is None:
            column = self.table[name].fillna("").str.strip()
            self._cache[name] = column
        return column

    def __contains__(self, name: str) -> bool:
        return name in self.table.columns


def evaluate(expression: Expression, table: pd.DataFrame | StrippedColumns) -> pd.Series:
    """Concatenate the parts row by row; column values are stripped of surrounding blanks."""
    columns = table if isinstance(table, StrippedColumns) else StrippedColumns(table)
    pieces: list[pd.Series | str] = [
        part.text if isinstance(part, Literal) else columns[part.name] for part in expression.parts
    ]
    series = [p for p in pieces if isinstance(p, pd.Series)]
    if not series:
        return pd.Series("".join(p for p in pieces if isinstance(p, str)).strip(), index=columns.index, dtype="str")
    if len(pieces) == 1:
        return series[0]
    result = pieces[0] if isinstance(pieces[0], pd.Series) else pieces[0] + pieces[1]
    for piece in pieces[1 if isinstance(pieces[0], pd.Series) else 2:]:
        result = result + piece
    assert isinstance(result, pd.Series)
    return result.str.strip()


def blank_part(expression: Expression, table: pd.DataFrame | StrippedColumns) -> pd.Series:
    """For each row, the first referenced column that is blank there, else ""."""
    columns = table if isinstance(table, StrippedColumns) else StrippedColumns(table)
    first_blank = pd.Series("", index=columns.index, dtype="str")
    for name in reversed(expression.columns):
        first_blank = first_blank.mask(columns[name] == "", name)
    return first_blank
