"""Initial schema: jobs, runs, plans, the Classroom cache, the audit log and locks.

Revision ID: 0001
Revises:
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the model types: a migration must not change when the models do.
TS = sa.DateTime(timezone=True)
ID = sa.String(length=255)
RUN_ID = sa.String(length=250)
JOB_ID = sa.String(length=100)
STAMP = sa.String(length=40)


def upgrade() -> None:
    _jobs_and_runs()
    _plans()
    _cache()
    _audit_and_locks()


def _jobs_and_runs() -> None:
    op.create_table(
        "ls_jobs",
        sa.Column("job_id", JOB_ID, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("config_path", sa.Text(), nullable=False),
        sa.Column("config_sha", sa.String(length=64), nullable=False),
        sa.Column("automation_mode", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("state_reason", sa.Text(), nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint(
            "automation_mode IN ('manual', 'review', 'automatic')", name=op.f("ck_ls_jobs_automation_mode")
        ),
        sa.CheckConstraint(
            "state IN ('awaiting_analysis', 'analyzing', 'pending_review', 'in_review', 'committing', 'failed')",
            name=op.f("ck_ls_jobs_state"),
        ),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_ls_jobs")),
    )
    op.create_table(
        "ls_runs",
        sa.Column("run_id", RUN_ID, nullable=False),
        sa.Column("job_id", JOB_ID, nullable=False),
        sa.Column("logical_date", TS, nullable=True),
        sa.Column("data_interval_end", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("state_reason", sa.Text(), nullable=True),
        sa.Column("superseded_by", RUN_ID, nullable=True),
        sa.Column("unsafe", sa.Boolean(), nullable=False),
        sa.Column("unsafe_reasons", sa.JSON(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("plan_checksum", sa.String(length=64), nullable=True),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("approved_by", ID, nullable=True),
        sa.Column("approved_at", TS, nullable=True),
        sa.Column("approval", sa.String(length=10), nullable=False),
        sa.Column("committed_at", TS, nullable=True),
        sa.CheckConstraint("approval IN ('none', 'partial', 'all')", name=op.f("ck_ls_runs_approval")),
        sa.CheckConstraint(
            "state IN ('created', 'analyzing', 'pending_review', 'approved', 'committing', 'committed',"
            " 'failed', 'superseded', 'expired')",
            name=op.f("ck_ls_runs_state"),
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["ls_jobs.job_id"], name=op.f("fk_ls_runs_job_id_ls_jobs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_ls_runs")),
    )
    op.create_index("ix_ls_runs_job_created", "ls_runs", ["job_id", "created_at"])
    op.create_index("ix_ls_runs_job_logical", "ls_runs", ["job_id", "logical_date"])


def _run_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["run_id"], ["ls_runs.run_id"], name=op.f(f"fk_{table}_run_id_ls_runs"), ondelete="CASCADE"
    )


def _plans() -> None:
    op.create_table(
        "ls_actions",
        sa.Column("run_id", RUN_ID, nullable=False),
        sa.Column("action_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("alias", ID, nullable=True),
        sa.Column("target", sa.Text(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("school", ID, nullable=True),
        sa.Column("teacher", ID, nullable=True),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("decided_by", ID, nullable=True),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("result_reason", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.CheckConstraint("decision IN ('proposed', 'staged', 'excluded')", name=op.f("ck_ls_actions_decision")),
        sa.CheckConstraint(
            "status IN ('pending', 'done', 'already_done', 'failed', 'skipped')", name=op.f("ck_ls_actions_status")
        ),
        _run_fk("ls_actions"),
        sa.PrimaryKeyConstraint("run_id", "action_id", name=op.f("pk_ls_actions")),
    )
    op.create_index("ix_ls_actions_alias", "ls_actions", ["alias"])
    op.create_index("ix_ls_actions_run_position", "ls_actions", ["run_id", "position"])
    op.create_index("ix_ls_actions_run_kind", "ls_actions", ["run_id", "kind", "position"])
    op.create_index("ix_ls_actions_run_decision", "ls_actions", ["run_id", "decision", "position"])
    op.create_index("ix_ls_actions_run_status", "ls_actions", ["run_id", "status", "position"])

    op.create_table(
        "ls_match_suggestions",
        sa.Column("run_id", RUN_ID, nullable=False),
        sa.Column("alias", ID, nullable=False),
        sa.Column("course_id", ID, nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("score_parts", sa.JSON(), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("decided_by", ID, nullable=True),
        sa.Column("decided_at", TS, nullable=True),
        sa.CheckConstraint(
            "decision IN ('undecided', 'link', 'create')", name=op.f("ck_ls_match_suggestions_decision")
        ),
        _run_fk("ls_match_suggestions"),
        sa.PrimaryKeyConstraint("run_id", "alias", "course_id", name=op.f("pk_ls_match_suggestions")),
    )
    op.create_table(
        "ls_excluded_classes",
        sa.Column("run_id", RUN_ID, nullable=False),
        sa.Column("alias", ID, nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        _run_fk("ls_excluded_classes"),
        sa.PrimaryKeyConstraint("run_id", "alias", name=op.f("pk_ls_excluded_classes")),
    )
    op.create_table(
        "ls_rejected_rows",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", RUN_ID, nullable=False),
        sa.Column("file", sa.Text(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.Column("field", sa.Text(), nullable=True),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        _run_fk("ls_rejected_rows"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ls_rejected_rows")),
    )
    op.create_index("ix_ls_rejected_rows_run", "ls_rejected_rows", ["run_id", "id"])


def _cache() -> None:
    op.create_table(
        "ls_cache_courses",
        sa.Column("domain", ID, nullable=False),
        sa.Column("course_id", ID, nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("section", sa.Text(), nullable=True),
        sa.Column("room", sa.Text(), nullable=True),
        sa.Column("description_heading", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("owner_id", ID, nullable=True),
        sa.Column("course_state", sa.String(length=20), nullable=True),
        sa.Column("creation_time", STAMP, nullable=True),
        sa.Column("update_time", STAMP, nullable=True),
        sa.Column("alternate_link", sa.Text(), nullable=True),
        sa.Column("refreshed_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("domain", "course_id", name=op.f("pk_ls_cache_courses")),
    )
    op.create_table(
        "ls_cache_aliases",
        sa.Column("domain", ID, nullable=False),
        sa.Column("alias", ID, nullable=False),
        sa.Column("course_id", ID, nullable=False),
        sa.PrimaryKeyConstraint("domain", "alias", name=op.f("pk_ls_cache_aliases")),
    )
    op.create_index("ix_ls_cache_aliases_course", "ls_cache_aliases", ["domain", "course_id"])
    for table in ("ls_cache_teachers", "ls_cache_students"):
        op.create_table(
            table,
            sa.Column("domain", ID, nullable=False),
            sa.Column("course_id", ID, nullable=False),
            sa.Column("user_id", ID, nullable=False),
            sa.Column("email", ID, nullable=True),
            sa.PrimaryKeyConstraint("domain", "course_id", "user_id", name=op.f(f"pk_{table}")),
        )
        op.create_index(f"ix_{table}_user", table, ["domain", "user_id"])
    op.create_table(
        "ls_cache_users",
        sa.Column("domain", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("email", ID, nullable=True),
        sa.Column("given_name", sa.Text(), nullable=True),
        sa.Column("family_name", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("domain", "user_id", name=op.f("pk_ls_cache_users")),
    )
    op.create_index("ix_ls_cache_users_email", "ls_cache_users", ["domain", "email"])
    op.create_table(
        "ls_cache_guardian_invitations",
        sa.Column("domain", ID, nullable=False),
        sa.Column("student_id", ID, nullable=False),
        sa.Column("invitation_id", ID, nullable=False),
        sa.Column("invited_email", ID, nullable=True),
        sa.Column("state", sa.String(length=20), nullable=True),
        sa.Column("creation_time", STAMP, nullable=True),
        sa.PrimaryKeyConstraint(
            "domain", "student_id", "invitation_id", name=op.f("pk_ls_cache_guardian_invitations")
        ),
    )
    op.create_table(
        "ls_cache_guardians",
        sa.Column("domain", ID, nullable=False),
        sa.Column("student_id", ID, nullable=False),
        sa.Column("guardian_id", ID, nullable=False),
        sa.Column("invited_email", ID, nullable=True),
        sa.PrimaryKeyConstraint("domain", "student_id", "guardian_id", name=op.f("pk_ls_cache_guardians")),
    )
    op.create_table(
        "ls_cache_meta",
        sa.Column("domain", ID, nullable=False),
        sa.Column("last_full_refresh_at", TS, nullable=True),
        sa.Column("last_refresh_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("domain", name=op.f("pk_ls_cache_meta")),
    )


def _audit_and_locks() -> None:
    op.create_table(
        "ls_audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", ID, nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("job_id", JOB_ID, nullable=True),
        sa.Column("run_id", RUN_ID, nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ls_audit_log")),
    )
    op.create_index("ix_ls_audit_log_run", "ls_audit_log", ["run_id", "id"])
    op.create_index("ix_ls_audit_log_job", "ls_audit_log", ["job_id", "id"])
    op.create_table(
        "ls_locks",
        sa.Column("name", ID, nullable=False),
        sa.Column("holder", ID, nullable=False),
        sa.Column("acquired_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_ls_locks")),
    )


def downgrade() -> None:
    for table in (
        "ls_locks", "ls_audit_log",
        "ls_cache_meta", "ls_cache_guardians", "ls_cache_guardian_invitations", "ls_cache_users",
        "ls_cache_students", "ls_cache_teachers", "ls_cache_aliases", "ls_cache_courses",
        "ls_rejected_rows", "ls_excluded_classes", "ls_match_suggestions", "ls_actions",
        "ls_runs", "ls_jobs",
    ):
        op.drop_table(table)
