"""Plain values the repository returns: no ORM object ever leaves the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class JobRecord:
    job_id: str
    name: str
    config_path: str
    config_sha: str
    automation_mode: str
    state: str
    state_reason: str | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class RunRecord:
    run_id: str
    job_id: str
    logical_date: datetime | None
    data_interval_end: datetime | None
    created_at: datetime
    state: str
    state_reason: str | None
    superseded_by: str | None
    unsafe: bool
    unsafe_reasons: list[str]
    counts: dict[str, int]
    plan_checksum: str | None
    sources: list[dict[str, Any]]
    approved_by: str | None
    approved_at: datetime | None
    approval: str
    committed_at: datetime | None


@dataclass(frozen=True, slots=True)
class ActionRecord:
    run_id: str
    action_id: str
    kind: str
    alias: str | None
    target: str | None
    payload: dict[str, Any]
    reason: str
    position: int
    school: str | None
    teacher: str | None
    alternative: str
    decision: str
    decided_by: str | None
    decided_at: datetime | None
    status: str
    result_reason: str | None
    attempts: int
    finished_at: datetime | None


@dataclass(frozen=True, slots=True)
class ActionPage:
    """One page of a filtered plan, the size of the whole filtered set, and its counts per kind."""

    items: list[ActionRecord]
    total: int
    offset: int
    limit: int
    counts_by_kind: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ActionResult:
    """What the commit did with one action."""

    action_id: str
    status: str
    reason: str | None = None
    attempts: int | None = None  # None: one more attempt than recorded so far


@dataclass(frozen=True, slots=True)
class MatchSuggestionRecord:
    run_id: str
    alias: str
    course_id: str
    score: float
    score_parts: dict[str, Any]
    decision: str
    decided_by: str | None
    decided_at: datetime | None


@dataclass(frozen=True, slots=True)
class ExcludedClassRecord:
    run_id: str
    alias: str
    rule: str


@dataclass(frozen=True, slots=True)
class RejectedRowRecord:
    id: int
    run_id: str
    file: str
    line: int | None
    field: str | None
    value: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class AuditRecord:
    id: int
    at: datetime
    actor: str
    action: str
    job_id: str | None
    run_id: str | None
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class LockRecord:
    name: str
    holder: str
    acquired_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class CacheMetaRecord:
    domain: str
    last_full_refresh_at: datetime | None
    last_refresh_at: datetime | None
