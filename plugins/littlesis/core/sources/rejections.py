"""Rows a load refused, each with where it was and why: kept by the run, shown to people."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

COLUMNS = ["file", "line", "field", "value", "reason"]
# A rejected value is kept to show people what was wrong, not in full: a 10 MB field
# would otherwise travel into the store and the review page.
MAX_VALUE_CHARS = 200


def shown(value: str) -> str:
    """``value``, cut to MAX_VALUE_CHARS with a note of its real length."""
    if len(value) <= MAX_VALUE_CHARS:
        return value
    return f"{value[:MAX_VALUE_CHARS]}... ({len(value):,} characters)"


class Rejections:
    """Collects rejected rows one at a time or in vectorised blocks."""

    def __init__(self) -> None:
        self._blocks: list[pd.DataFrame] = []
        self._rows: list[tuple[str, int | None, str | None, str, str]] = []

    def add(self, file: str, line: int | None, field: str | None, value: str, reason: str) -> None:
        self._rows.append((file, line, field, shown(value), reason))

    def add_many(
        self, file: str, lines: np.ndarray | Sequence[int], field: str | None, values: pd.Series | Sequence[str],
        reason: str | pd.Series,
    ) -> None:
        count = len(lines)
        if not count:
            return
        reasons = reason.to_numpy(dtype=object) if isinstance(reason, pd.Series) else [reason] * count
        vals = values.to_numpy(dtype=object) if isinstance(values, pd.Series) else list(values)
        if any(isinstance(v, str) and len(v) > MAX_VALUE_CHARS for v in vals):
            vals = [shown(v) if isinstance(v, str) else v for v in vals]  # a copy: the caller's values stay
        self._blocks.append(pd.DataFrame({
            "file": [file] * count,
            "line": np.asarray(lines, dtype=np.int64),
            "field": [field] * count,
            "value": vals,
            "reason": reasons,
        }))

    def frame(self) -> pd.DataFrame:
        blocks = list(self._blocks)
        if self._rows:
            blocks.append(pd.DataFrame(self._rows, columns=COLUMNS))
        if not blocks:
            return pd.DataFrame({c: pd.Series(dtype="object") for c in COLUMNS})
        frame = pd.concat(blocks, ignore_index=True)
        frame["line"] = frame["line"].astype("Int64")
        return frame.sort_values(["file", "line"], kind="stable").reset_index(drop=True)

    def __len__(self) -> int:
        return len(self._rows) + sum(len(b) for b in self._blocks)
