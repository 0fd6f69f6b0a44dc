"""Errors that tell a district admin exactly where the problem is.

Every problem names the file, and where it can the line, the field (a dotted
path in a job config, a column in a CSV) and the offending value.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input, located as precisely as we can."""

    file: str
    message: str
    field: str | None = None
    line: int | None = None
    value: object = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        parts = [where]
        if self.field:
            parts.append(self.field)
        parts.append(self.message)
        text = ": ".join(parts)
        if self.value is not None:
            text += f" (got {_show(self.value)})"
        return text


def _show(value: object, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class LittleSisError(Exception):
    """Base class of the errors we raise on purpose."""


class ConfigError(LittleSisError):
    """One or more job configs are invalid."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class SourceError(LittleSisError):
    """A source file cannot be loaded at all (missing file, missing column, ...)."""

    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(str(problem))
