"""Wildcard patterns (``aide.*@district.org``, ``*-HR-*``) matched case-insensitively."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence

import pandas as pd


def pattern_regex(patterns: Sequence[str]) -> str:
    """One regular expression matching any of the shell-style patterns, whole value."""
    return "|".join(f"(?:{fnmatch.translate(p.strip().lower())})" for p in patterns if p.strip())


def matches_any(values: pd.Series, patterns: Sequence[str]) -> pd.Series:
    """True where a value matches one of the patterns (no patterns: nothing matches)."""
    if not patterns or values.empty:
        return pd.Series(False, index=values.index)
    regex = re.compile(pattern_regex(patterns), re.IGNORECASE | re.DOTALL)
    codes, distinct = pd.factorize(values.astype("str"))  # test each distinct value once
    hit = pd.Series(distinct).str.match(regex).fillna(False).to_numpy(dtype=bool)
    return pd.Series(hit[codes] & (codes >= 0), index=values.index)
