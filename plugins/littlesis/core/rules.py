"""Which classes a job keeps: includes are unioned, then excludes removed.

Rules test one column of the class (any column of the export's class table,
or one of ours: alias, course_name, section, room, school, term,
teacher_email). Values are compared trimmed and case-insensitively unless the
rule says ``case_sensitive: true``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from littlesis.core.config import Rule, RuleOp, Rules

NO_INCLUDE_MATCHED = "matches no include rule"


@dataclass(frozen=True)
class Scope:
    """The outcome of the rules: classes kept, and each excluded class with the rule that excluded it."""

    kept: pd.Index
    excluded: pd.DataFrame  # alias, rule

    def counts_per_rule(self) -> dict[str, int]:
        return {str(k): int(v) for k, v in self.excluded["rule"].value_counts(sort=False).items()}


def rule_matches(rule: Rule, view: pd.DataFrame) -> pd.Series:
    """True for every class (row of ``view``) the rule matches."""
    column = _find_column(view, rule.column)
    if column is None:
        return pd.Series(False, index=view.index)
    values = view[column].fillna("").astype("str").str.strip()
    texts = [rule.value] if isinstance(rule.value, str) else list(rule.value or [])
    texts = [t.strip() for t in texts]
    if not rule.case_sensitive:
        values = values.str.lower()
        texts = [t.lower() for t in texts]
    op = rule.op
    if op is RuleOp.empty:
        return values == ""
    if op is RuleOp.not_empty:
        return values != ""
    if op is RuleOp.regex:
        pattern = re.compile(rule.value if isinstance(rule.value, str) else "",
                             0 if rule.case_sensitive else re.IGNORECASE)
        return view[column].fillna("").astype("str").str.strip().str.contains(pattern, regex=True)
    first = texts[0]
    match = {
        RuleOp.equals: lambda: values == first,
        RuleOp.not_equals: lambda: values != first,
        RuleOp.in_: lambda: values.isin(texts),
        RuleOp.not_in: lambda: ~values.isin(texts),
        RuleOp.contains: lambda: values.str.contains(first, regex=False),
        RuleOp.not_contains: lambda: ~values.str.contains(first, regex=False),
        RuleOp.starts_with: lambda: values.str.startswith(first),
        RuleOp.ends_with: lambda: values.str.endswith(first),
    }[op]()
    return match.fillna(False).astype(bool)


def apply_rules(rules: Rules, view: pd.DataFrame) -> Scope:
    """``view`` has one row per class, indexed by alias (SisSnapshot.rule_view())."""
    reason = pd.Series("", index=view.index, dtype="str")
    if rules.include:
        included = pd.Series(False, index=view.index)
        for rule in rules.include:
            included |= rule_matches(rule, view)
        reason = reason.mask(~included, NO_INCLUDE_MATCHED)
    for rule in rules.exclude:
        hit = (reason == "") & rule_matches(rule, view)
        reason = reason.mask(hit, f"exclude: {rule.describe()}")
    excluded = reason != ""
    return Scope(
        kept=view.index[~excluded.to_numpy()],
        excluded=pd.DataFrame({"alias": view.index[excluded.to_numpy()], "rule": reason[excluded].to_numpy()}),
    )


def _find_column(view: pd.DataFrame, name: str) -> str | None:
    if name in view.columns:
        return name
    lowered = {str(c).lower(): str(c) for c in view.columns}
    return lowered.get(name.lower())
