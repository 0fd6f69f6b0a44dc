"""The review page's filters over a plan, as SQL conditions on the actions table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import ColumnElement, Table, func, or_

Values = str | Sequence[str] | None


@dataclass(frozen=True)
class ActionFilter:
    """Each field narrows the set; a sequence means "any of these". Empty filter: the whole plan."""

    kind: Values = None
    school: Values = None
    teacher: Values = None
    decision: Values = None
    status: Values = None
    alternative: Values = None  # "" for ordinary actions; "link"/"create" for a suggestion's alternatives
    search: str | None = None  # case-insensitive substring of alias or target

    def without(self, name: str) -> ActionFilter:
        """The same filter with one field cleared (for facet counts)."""
        return ActionFilter(**{**asdict(self), name: None})

    def describe(self) -> dict[str, Any]:
        """The set fields, JSON-ready, for the audit log."""
        return {k: (v if isinstance(v, str) or v is None else list(v)) for k, v in asdict(self).items()
                if v not in (None, "", ())}

    def conditions(self, table: Table) -> list[ColumnElement[bool]]:
        out: list[ColumnElement[bool]] = []
        for name in ("kind", "school", "decision", "status", "alternative"):
            values = _as_list(getattr(self, name))
            if values:
                out.append(table.c[name].in_(values))
        teachers = _as_list(self.teacher)
        if teachers:
            # E-mails compare without case: the SIS and Classroom disagree on it.
            out.append(func.lower(table.c.teacher).in_([t.lower() for t in teachers]))
        if self.search:
            pattern = f"%{_escape_like(self.search)}%"
            out.append(or_(table.c.alias.ilike(pattern, escape="\\"), table.c.target.ilike(pattern, escape="\\")))
        return out


def _as_list(values: Values) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        return [values]
    return list(values)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
