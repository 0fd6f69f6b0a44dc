"""What a job would sync, before anything talks to Classroom: the scope summary people read."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from littlesis.core.config import JobConfig
from littlesis.core.rules import Scope, apply_rules
from littlesis.core.snapshot import SisSnapshot
from littlesis.core.sources.loader import load_snapshot
from littlesis.core.sources.locations import PathMap


@dataclass
class ScopePreview:
    job: JobConfig
    snapshot: SisSnapshot
    scope: Scope
    in_scope: SisSnapshot = field(init=False)

    def __post_init__(self) -> None:
        self.in_scope = self.snapshot.restricted_to(self.scope.kept)

    def summary(self) -> dict[str, object]:
        rejected = self.snapshot.rejected
        return {
            "job": self.job.id,
            "preset": self.job.source.preset,
            "files": [{"name": f.name, "sha256": f.sha256[:12], "records": f.records, "encoding": f.encoding}
                      for f in self.snapshot.files],
            "classes_total": len(self.snapshot.sections),
            "classes_in_scope": len(self.scope.kept),
            "excluded_per_rule": self.scope.counts_per_rule(),
            "in_scope": self.in_scope.counts(),
            "rejected_rows": len(rejected),
            "rejected_per_reason": _per_reason(rejected),
            "warnings": list(self.snapshot.warnings),
        }

    def class_table(self, limit: int = 20) -> pd.DataFrame:
        sections = self.in_scope.sections
        owners = self.in_scope.teachers[self.in_scope.teachers["primary"]].set_index("alias")["email"]
        students = self.in_scope.enrollments.groupby("alias").size()
        table = pd.DataFrame({
            "alias": sections["alias"],
            "course_name": sections["course_name"],
            "section": sections["section"],
            "owner": owners.reindex(sections["alias"]).fillna("").to_numpy(),
            "students": students.reindex(sections["alias"]).fillna(0).astype(int).to_numpy(),
        })
        return table.head(limit)


def _per_reason(rejected: pd.DataFrame) -> dict[str, int]:
    if rejected.empty:
        return {}
    # Reasons naming a value ("user u1 has no valid e-mail ...") are grouped by their field.
    key = rejected["field"].fillna("row").astype(str) + ": " + rejected["reason"].astype(str).str.replace(
        r"'[^']*'|\b\S+@\S+|\b[\w-]*\d[\w-]*\b", "…", regex=True)
    return {str(k): int(v) for k, v in key.value_counts().items()}


def preview(job: JobConfig, config_path: Path, path_map: PathMap | None = None) -> ScopePreview:
    snapshot = load_snapshot(job, config_path, path_map)
    scope = apply_rules(job.rules, snapshot.rule_view())
    return ScopePreview(job, snapshot, scope)


def render_text(preview: ScopePreview, limit: int = 20) -> str:
    s = preview.summary()
    lines = [f"Job {s['job']} ({s['preset']} preset)"]
    for f in s["files"]:  # type: ignore[attr-defined]
        lines.append(f"  read {f['name']}: {f['records']:,} records, {f['encoding']}, sha256 {f['sha256']}")
    lines.append(f"Classes in scope: {s['classes_in_scope']:,} of {s['classes_total']:,}")
    for rule, count in s["excluded_per_rule"].items():  # type: ignore[attr-defined]
        lines.append(f"  excluded, {rule}: {count:,}")
    c = s["in_scope"]
    lines.append(
        f"In scope: {c['enrollments']:,} enrollments of {c['students']:,} students, "  # type: ignore[index]
        f"{c['teachers']:,} teacher seats, {c['guardian_links']:,} guardian links"  # type: ignore[index]
    )
    lines.append(f"Rejected rows: {s['rejected_rows']:,}")
    for reason, count in s["rejected_per_reason"].items():  # type: ignore[attr-defined]
        lines.append(f"  {count:,} x {reason}")
    rejected = preview.snapshot.rejected.head(10)
    for row in rejected.itertuples():
        lines.append(f"    {row.file}:{row.line} {row.field or 'row'}={row.value!r}: {row.reason}")
    for warning in s["warnings"]:  # type: ignore[attr-defined]
        lines.append(f"Warning: {warning}")
    table = preview.class_table(limit)
    if not table.empty:
        lines.append(f"First {len(table)} classes in scope:")
        lines.append(table.to_string(index=False))
    return "\n".join(lines)
