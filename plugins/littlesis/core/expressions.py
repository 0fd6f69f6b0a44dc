"""Mapping expressions: templates that join CSV columns and literal text.

``"{SchoolID}-{CourseID}-{SectionID}-{Year}"`` or ``"Period {Period}"``.
A column name is whatever stands between braces (spaces allowed, as in
``{SIS ID}``); ``{{`` and ``}}`` stand for literal braces.

Parsing is here (configs validate their mappings without importing pandas, which
keeps DAG files fast to parse); evaluation over a whole table is in
``expression_eval`` (vectorised: a large district's export has over a million rows).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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

    def renamed(self, names: dict[str, str]) -> Expression:
        """The same expression reading ``names[c]`` instead of each column ``c`` it names."""
        parts = tuple(ColumnRef(names.get(p.name, p.name)) if isinstance(p, ColumnRef) else p for p in self.parts)
        return Expression(render(parts), parts)

    def evaluate(self, table: Any) -> Any:
        """The expression's value for every row of ``table`` (see ``expression_eval.evaluate``)."""
        from littlesis.core.expression_eval import evaluate  # pandas: only loaders need it

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


def render(parts: tuple[Part, ...]) -> str:
    """The template of ``parts``, literal braces doubled: ``parse(render(parts))`` gives the parts back."""
    return "".join(
        "{" + p.name + "}" if isinstance(p, ColumnRef) else p.text.replace("{", "{{").replace("}", "}}")
        for p in parts)
