"""Evaluating mapping expressions over whole tables (pandas string columns)."""

from __future__ import annotations

import pandas as pd

from littlesis.core.expressions import Expression, Literal


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
