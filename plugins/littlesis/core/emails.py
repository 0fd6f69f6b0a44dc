"""E-mail addresses as SIS exports spell them, made comparable and checked."""

from __future__ import annotations

import re

import pandas as pd

# Deliberately plain: what Google Workspace accepts for a user's primary address.
EMAIL_PATTERN = r"^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$"
_EMAIL = re.compile(EMAIL_PATTERN)


def normalize_email(value: str) -> str:
    return value.strip().lower()


def is_valid_email(value: str) -> bool:
    return bool(_EMAIL.match(value))


def normalize_emails(values: pd.Series) -> pd.Series:
    """Strip and lower-case a whole column (``" Ann.Lee@X.org "`` -> ``"ann.lee@x.org"``)."""
    return values.str.strip().str.lower()


def valid_emails(normalized: pd.Series) -> pd.Series:
    """True where a normalized address is well formed."""
    return normalized.str.fullmatch(EMAIL_PATTERN).fillna(False).astype(bool)
