"""Pieces every preset uses to turn source rows into the canonical snapshot tables."""

from __future__ import annotations

import pandas as pd

from littlesis.core.emails import normalize_emails, valid_emails
from littlesis.core.sources.csvio import CsvTable
from littlesis.core.sources.rejections import Rejections

MAX_ALIAS_LENGTH = 254  # Classroom allows 256 characters with the "d:" prefix.


def reject_rows(
    table: CsvTable, rejections: Rejections, mask: pd.Series, field: str | None, values: pd.Series,
    reason: str | pd.Series,
) -> None:
    """Record every row where ``mask`` holds, with its physical line."""
    if not mask.any():
        return
    index = mask.index[mask.to_numpy()]
    reasons = reason[mask] if isinstance(reason, pd.Series) else reason
    rejections.add_many(table.label, table.lines_of(index), field, values[mask], reasons)


def checked_emails(
    table: CsvTable, rejections: Rejections, raw: pd.Series, field: str, *, blank_ok: bool
) -> tuple[pd.Series, pd.Series]:
    """Normalized addresses and a mask of the rows to keep; the others are rejected with a reason."""
    emails = normalize_emails(raw)
    blank = emails == ""
    invalid = ~blank & ~valid_emails(emails)
    reject_rows(table, rejections, invalid, field, raw, f"invalid e-mail in {field}")
    keep = ~invalid
    if not blank_ok:
        reject_rows(table, rejections, blank, field, raw, f"{field} is empty")
        keep &= ~blank
    return emails, keep


def checked_aliases(
    table: CsvTable, rejections: Rejections, aliases: pd.Series, blank_parts: pd.Series
) -> pd.Series:
    """Mask of rows with a usable class alias; the rest are rejected naming the blank part."""
    blank = blank_parts != ""
    reject_rows(table, rejections, blank, "class_alias", aliases, "empty alias part {" + blank_parts + "}")
    too_long = ~blank & (aliases.str.len() > MAX_ALIAS_LENGTH)
    reject_rows(table, rejections, too_long, "class_alias", aliases.str.slice(0, 80),
                f"class alias longer than {MAX_ALIAS_LENGTH} characters")
    return ~blank & ~too_long


# Explicit blanks, not \s: pandas then runs the regex in pyarrow (RE2) instead of Python.
SEPARATORS = r"[;, \t\r\n]+"


def split_emails(values: pd.Series) -> pd.Series:
    """One row per address from cells holding several (``a@x.org; b@x.org``); index repeats."""
    values = values.str.strip()
    several = values.str.contains(SEPARATORS, regex=True)
    if not several.any():  # the common case, and splitting a million cells is slow
        return values[values != ""]
    parts = values[several].str.split(SEPARATORS, regex=True).explode()
    combined = pd.concat([values[~several], parts]).sort_index(kind="stable")
    return combined[combined.notna() & (combined != "")]


def owner_first(teachers: pd.DataFrame, warnings: list[str]) -> pd.DataFrame:
    """alias, email, primary with exactly one primary teacher per class.

    ``teachers`` has alias, email, primary (as marked by the source) and
    ``order`` (file order). Two teachers both marked primary happen in real
    exports: the first keeps ownership, the other becomes a co-teacher. A class
    with no teacher marked primary gets its first-listed teacher as owner.
    """
    if teachers.empty:
        return pd.DataFrame({"alias": pd.Series(dtype="str"), "email": pd.Series(dtype="str"),
                             "primary": pd.Series(dtype=bool)})
    # Sort on integers and booleans; strings are sorted once, at the end.
    ordered = teachers.sort_values("order", kind="stable").drop_duplicates(["alias", "email"])
    ranked = ordered.sort_values("primary", ascending=False, kind="stable")
    first = ~ranked["alias"].duplicated()
    marked = ranked[ranked["primary"].to_numpy()]
    doubly = marked["alias"][marked["alias"].duplicated()].unique()
    for alias in doubly[:20]:
        names = ", ".join(marked.loc[marked["alias"] == alias, "email"])
        warnings.append(f"class {alias}: several teachers marked primary ({names}); the first one owns the course")
    if len(doubly) > 20:
        warnings.append(f"... and {len(doubly) - 20} more classes with several primary teachers")
    result = pd.DataFrame({
        "alias": ranked["alias"].to_numpy(),
        "email": ranked["email"].to_numpy(),
        "primary": first.to_numpy(),
        "order": ranked["order"].to_numpy(),
    })
    result = result.sort_values(["alias", "primary", "order"], ascending=[True, False, True], kind="stable")
    return result.drop(columns="order").reset_index(drop=True)


def empty_frame(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="str") for c in columns})
