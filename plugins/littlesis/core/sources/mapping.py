"""Which expression fills each of our fields, given the preset's defaults and the job's mapping.

Each preset evaluates a field against one of its tables (its *scope*): the
generic preset has one table (the roster rows); OneRoster has classes, users;
SDS has sections, teachers, students. A field the job sets explicitly must
name columns that exist; a preset default naming an absent optional column
simply leaves that field empty.
"""

from __future__ import annotations

from dataclasses import dataclass

from littlesis.core.config import MAPPING_FIELDS, Mapping
from littlesis.core.errors import Problem
from littlesis.core.expressions import Expression, parse


@dataclass(frozen=True)
class PresetFields:
    """What a preset offers: default expressions, the scope of each field, the required ones."""

    defaults: dict[str, str]
    scopes: dict[str, str]
    required: frozenset[str]


@dataclass(frozen=True)
class ResolvedMapping:
    expressions: dict[str, Expression]

    def get(self, field: str) -> Expression | None:
        return self.expressions.get(field)

    def __getitem__(self, field: str) -> Expression:
        return self.expressions[field]


def resolve_mapping(
    fields: PresetFields, mapping: Mapping, columns: dict[str, list[str]], files: dict[str, str], config_file: str
) -> tuple[ResolvedMapping, list[Problem]]:
    """Expressions per field and the problems found; ``columns``/``files`` are per scope."""
    problems: list[Problem] = []
    chosen: dict[str, Expression] = {}
    for field in MAPPING_FIELDS:
        explicit = getattr(mapping, field)
        template = explicit if explicit is not None else fields.defaults.get(field)
        if template is None:
            continue
        scope = fields.scopes.get(field)
        if scope is None:
            problems.append(Problem(config_file, "this preset has no such field", f"mapping.{field}", value=explicit))
            continue
        expression = parse(template)
        available = columns.get(scope)
        if available is None:  # the scope's file could not be read: its own error says why
            chosen[field] = expression
            continue
        lowered = {c.lower(): c for c in available}
        missing = [c for c in expression.columns if c not in available and c.lower() not in lowered]
        if missing:
            if explicit is None and field not in fields.required:
                continue  # an optional default the export does not carry
            suggestion = _closest(missing[0], available)
            problems.append(Problem(
                config_file,
                f"column {missing[0]!r} is not in {files.get(scope, scope)}{suggestion}",
                f"mapping.{field}",
                value=template,
            ))
            continue
        # Match the export's spelling of a column when only the case differs.
        if any(c not in available for c in expression.columns):
            expression = expression.renamed({c: lowered[c.lower()] for c in expression.columns if c not in available})
        chosen[field] = expression
    return ResolvedMapping(chosen), problems


def _closest(name: str, available: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, available, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else f" (it has: {', '.join(available[:12])})"
