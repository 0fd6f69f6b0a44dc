"""Finding a preset's columns under the names real exports give them."""

from __future__ import annotations

from collections.abc import Mapping

from littlesis.core.errors import Problem, SourceError
from littlesis.core.sources.csvio import CsvTable


def _key(name: str) -> str:
    return name.lower().replace(" ", "").replace("_", "")


def canonicalize(table: CsvTable, wanted: Mapping[str, tuple[str, ...]], required: tuple[str, ...] = ()) -> None:
    """Rename columns to their canonical names in place.

    ``wanted`` maps a canonical name to alternative spellings seen in the wild;
    matching ignores case, spaces and underscores. A required column that is
    absent fails the load naming the file and the column.
    """
    present = {_key(c): c for c in table.columns}
    renames: dict[str, str] = {}
    for canonical, alternatives in wanted.items():
        for candidate in (canonical, *alternatives):
            found = present.get(_key(candidate))
            if found is not None and found not in renames:
                if found != canonical:
                    renames[found] = canonical
                break
    if renames:
        table.rename(renames)
    columns = set(table.columns)
    for name in required:
        if name not in columns:
            raise SourceError(Problem(table.label, f"required column {name!r} is missing",
                                      value=", ".join(table.columns[:15])))


def canonical_names(columns: list[str], wanted: Mapping[str, tuple[str, ...]]) -> list[str]:
    """The column list as ``canonicalize`` would rename it (used to validate mappings cheaply)."""
    by_key: dict[str, str] = {}
    for canonical, alternatives in wanted.items():
        for candidate in (canonical, *alternatives):
            by_key.setdefault(_key(candidate), canonical)
    renamed = []
    for column in columns:
        renamed.append(by_key.get(_key(column), column))
    return renamed
