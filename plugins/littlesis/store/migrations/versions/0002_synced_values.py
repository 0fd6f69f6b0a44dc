"""Synced values (what each job last wrote to each class's course); the alternative of an action.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of the model type (see 0001).
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("ls_actions") as batch:
        batch.add_column(sa.Column("alternative", sa.String(length=10), server_default=sa.text("''"), nullable=False))
    op.create_table(
        "ls_synced_values",
        sa.Column("job_id", sa.String(length=100), nullable=False),
        sa.Column("alias", sa.String(length=255), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("run_id", sa.String(length=250), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["ls_jobs.job_id"], name=op.f("fk_ls_synced_values_job_id_ls_jobs"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("job_id", "alias", "field", name=op.f("pk_ls_synced_values")),
    )


def downgrade() -> None:
    with op.batch_alter_table("ls_actions") as batch:
        batch.drop_column("alternative")
    op.drop_table("ls_synced_values")
