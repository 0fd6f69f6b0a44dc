"""Tables of jobs, runs and their plans, plus the audit log and the lease locks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from littlesis.store.base import Base, one_of
from littlesis.store.coltypes import UTCDateTime

JOB_STATES = ("awaiting_analysis", "analyzing", "pending_review", "in_review", "committing", "failed")
AUTOMATION_MODES = ("manual", "review", "automatic")
RUN_STATES = (
    "created", "analyzing", "pending_review", "approved", "committing", "committed",
    "failed", "superseded", "expired",
)
APPROVALS = ("none", "partial", "all")
DECISIONS = ("proposed", "staged", "excluded")
STATUSES = ("pending", "done", "already_done", "failed", "skipped")
SUGGESTION_DECISIONS = ("undecided", "link", "create")

# Airflow run ids are at most 250 characters.
RUN_ID = String(250)
ID = String(255)


class Job(Base):
    __tablename__ = "ls_jobs"
    __table_args__ = (one_of("state", JOB_STATES), one_of("automation_mode", AUTOMATION_MODES))

    job_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    config_path: Mapped[str] = mapped_column(Text)
    config_sha: Mapped[str] = mapped_column(String(64))
    automation_mode: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20))
    state_reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Run(Base):
    __tablename__ = "ls_runs"
    __table_args__ = (
        one_of("state", RUN_STATES),
        one_of("approval", APPROVALS),
        Index("ix_ls_runs_job_logical", "job_id", "logical_date"),
        Index("ix_ls_runs_job_created", "job_id", "created_at"),
    )

    run_id: Mapped[str] = mapped_column(RUN_ID, primary_key=True)
    job_id: Mapped[str] = mapped_column(String(100), ForeignKey("ls_jobs.job_id", ondelete="CASCADE"))
    logical_date: Mapped[datetime | None] = mapped_column(UTCDateTime)
    data_interval_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(20))
    state_reason: Mapped[str | None] = mapped_column(Text)
    superseded_by: Mapped[str | None] = mapped_column(RUN_ID)
    unsafe: Mapped[bool] = mapped_column(Boolean(create_constraint=False))
    unsafe_reasons: Mapped[list[str]] = mapped_column(JSON)
    counts: Mapped[dict[str, int]] = mapped_column(JSON)
    plan_checksum: Mapped[str | None] = mapped_column(String(64))
    sources: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    approved_by: Mapped[str | None] = mapped_column(ID)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approval: Mapped[str] = mapped_column(String(10))
    committed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Action(Base):
    __tablename__ = "ls_actions"
    __table_args__ = (
        one_of("decision", DECISIONS),
        one_of("status", STATUSES),
        Index("ix_ls_actions_run_position", "run_id", "position"),
        Index("ix_ls_actions_run_kind", "run_id", "kind", "position"),
        Index("ix_ls_actions_run_decision", "run_id", "decision", "position"),
        Index("ix_ls_actions_run_status", "run_id", "status", "position"),
        Index("ix_ls_actions_alias", "alias"),
    )

    run_id: Mapped[str] = mapped_column(RUN_ID, ForeignKey("ls_runs.run_id", ondelete="CASCADE"), primary_key=True)
    # Deterministic hex id computed by core: the same inputs give the same id on every run.
    action_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    alias: Mapped[str | None] = mapped_column(ID)
    target: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)
    school: Mapped[str | None] = mapped_column(ID)
    teacher: Mapped[str | None] = mapped_column(ID)
    # "" for an ordinary action; "link" or "create" for the two alternatives of a suggested match.
    alternative: Mapped[str] = mapped_column(String(10), server_default=text("''"))
    decision: Mapped[str] = mapped_column(String(10))
    decided_by: Mapped[str | None] = mapped_column(ID)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20))
    result_reason: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MatchSuggestion(Base):
    __tablename__ = "ls_match_suggestions"
    __table_args__ = (one_of("decision", SUGGESTION_DECISIONS),)

    run_id: Mapped[str] = mapped_column(RUN_ID, ForeignKey("ls_runs.run_id", ondelete="CASCADE"), primary_key=True)
    alias: Mapped[str] = mapped_column(ID, primary_key=True)
    course_id: Mapped[str] = mapped_column(ID, primary_key=True)
    score: Mapped[float] = mapped_column(Float)
    score_parts: Mapped[dict[str, Any]] = mapped_column(JSON)
    decision: Mapped[str] = mapped_column(String(10))
    decided_by: Mapped[str | None] = mapped_column(ID)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ExcludedClass(Base):
    __tablename__ = "ls_excluded_classes"

    run_id: Mapped[str] = mapped_column(RUN_ID, ForeignKey("ls_runs.run_id", ondelete="CASCADE"), primary_key=True)
    alias: Mapped[str] = mapped_column(ID, primary_key=True)
    rule: Mapped[str] = mapped_column(Text)


class RejectedRow(Base):
    __tablename__ = "ls_rejected_rows"
    __table_args__ = (Index("ix_ls_rejected_rows_run", "run_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(RUN_ID, ForeignKey("ls_runs.run_id", ondelete="CASCADE"))
    file: Mapped[str] = mapped_column(Text)
    line: Mapped[int | None] = mapped_column(Integer)
    field: Mapped[str | None] = mapped_column(Text)
    value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)


class AuditEntry(Base):
    """Who did what, when. No foreign keys: the trail outlives the runs it mentions."""

    __tablename__ = "ls_audit_log"
    __table_args__ = (
        Index("ix_ls_audit_log_run", "run_id", "id"),
        Index("ix_ls_audit_log_job", "job_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(ID)
    action: Mapped[str] = mapped_column(String(100))
    job_id: Mapped[str | None] = mapped_column(String(100))
    run_id: Mapped[str | None] = mapped_column(RUN_ID)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


class Lock(Base):
    """A lease: held by `holder` until `expires_at`, then free for anyone to take over."""

    __tablename__ = "ls_locks"

    name: Mapped[str] = mapped_column(ID, primary_key=True)
    holder: Mapped[str] = mapped_column(ID)
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SyncedValue(Base):
    """What a job last wrote to a class's course: kept so the next analysis can tell a
    teacher's edit (the course differs from what we wrote) from an SIS change. A row
    with field ``linked_course`` records a teacher's course the job linked."""

    __tablename__ = "ls_synced_values"

    job_id: Mapped[str] = mapped_column(String(100), ForeignKey("ls_jobs.job_id", ondelete="CASCADE"),
                                        primary_key=True)
    alias: Mapped[str] = mapped_column(ID, primary_key=True)
    field: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    run_id: Mapped[str] = mapped_column(RUN_ID)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
