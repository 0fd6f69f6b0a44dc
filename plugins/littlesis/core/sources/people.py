"""A users table (OneRoster users.csv, SDS Student.csv/Teacher.csv) looked up by sourcedId."""

from __future__ import annotations

import numpy as np
import pandas as pd

from littlesis.core.emails import normalize_emails, valid_emails
from littlesis.core.expression_eval import StrippedColumns
from littlesis.core.sources.csvio import CsvTable
from littlesis.core.sources.mapping import ResolvedMapping


class People:
    """Mapped values of each user, indexed by the user's id column.

    An address mapped to a blank value falls back to ``fallback_column`` when
    that holds a valid address (SDS v2.1 and many OneRoster exports put the
    student's address in ``username`` and leave ``email`` empty).
    """

    def __init__(self, table: CsvTable, mapping: ResolvedMapping, fallback_column: str | None,
                 id_column: str = "sourcedId"):
        self.table = table
        self.label = table.label
        self.mapping = mapping
        frame = table.frame
        ids = frame[id_column].str.strip()
        first = ~ids.duplicated().to_numpy()
        self.frame = frame[first]
        self.ids = pd.Index(ids[first].to_numpy())
        self.columns = StrippedColumns(self.frame)
        status = self.frame["status"].str.strip().str.lower() if "status" in self.frame else None
        self.deleted_ids = set(self.ids[(status == "tobedeleted").to_numpy()]) if status is not None else set()
        self.fallback = (normalize_emails(self.columns[fallback_column])
                         if fallback_column and fallback_column in self.columns else None)
        self._cache: dict[str, pd.Series] = {}

    def _mapped(self, field: str) -> pd.Series:
        values = self._cache.get(field)
        if values is None:
            expression = self.mapping.get(field)
            raw = expression.evaluate(self.columns) if expression else pd.Series("", index=self.frame.index)
            if field.endswith("email") or field == "guardian_emails":
                raw = normalize_emails(raw)
                if self.fallback is not None:
                    raw = raw.where((raw != "") | ~valid_emails(self.fallback), self.fallback)
            values = pd.Series(raw.to_numpy(), index=self.ids, dtype="str")
            self._cache[field] = values
        return values

    def known(self, user_ids: pd.Series) -> pd.Series:
        return user_ids.isin(self.ids)

    def deleted(self, user_ids: pd.Series) -> pd.Series:
        return user_ids.isin(self.deleted_ids)

    def value(self, field: str, user_ids: pd.Series) -> np.ndarray:
        return self._mapped(field).reindex(user_ids.to_numpy()).fillna("").to_numpy()

    def emails_for(self, user_ids: pd.Series, kind: pd.Series) -> pd.Series:
        """Each user's address as a teacher or as a student (the mapping may differ)."""
        result = np.full(len(user_ids), "", dtype=object)
        kinds = kind.to_numpy()
        for name in ("teacher", "student"):
            rows = kinds == name
            if rows.any():
                mapped = self._mapped(f"{name}_email").reindex(user_ids.to_numpy()[rows]).fillna("")
                result[rows] = mapped.to_numpy()
        return pd.Series(result, index=user_ids.index, dtype="str")

    def guardian_emails(self, user_ids: pd.Series) -> pd.Series:
        values = self._mapped("guardian_emails").reindex(user_ids.to_numpy()).fillna("").to_numpy()
        return pd.Series(values, index=user_ids.index, dtype="str")

    @staticmethod
    def valid(emails: pd.Series) -> pd.Series:
        return valid_emails(emails)

    def agents(self, student_ids: pd.Series) -> pd.DataFrame:
        """student, guardian pairs from the students' agentSourcedIds."""
        if "agentSourcedIds" not in self.columns:
            return pd.DataFrame({"student": pd.Series(dtype="str"), "guardian": pd.Series(dtype="str")})
        agents = pd.Series(self.columns["agentSourcedIds"].to_numpy(), index=self.ids)
        cells = agents.reindex(student_ids.to_numpy()).fillna("")
        split = cells[cells != ""].str.split(",").explode().str.strip()
        split = split[split != ""]
        return pd.DataFrame({"student": split.index.to_numpy(), "guardian": split.to_numpy()})
