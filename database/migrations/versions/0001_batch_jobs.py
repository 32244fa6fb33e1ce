"""Batch jobs and their files.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "batch_jobs",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(40), nullable=False, unique=True),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("callback_url", sa.Text()),
        sa.Column("callback_status", sa.String(20)),
        sa.Column("cancel_reason", sa.Text()),
        sa.Column("request_id", sa.String(128)),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime()),
        sa.Column("finished_at", sa.DateTime()),
    )
    op.create_table(
        "batch_files",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("job_id", sa.String(40), sa.ForeignKey("batch_jobs.id"), nullable=False, index=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("source_url", sa.Text()),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(80)),
        sa.Column("lease_until", sa.DateTime()),
        sa.Column("duration_s", sa.Float()),
        sa.Column("progress_percent", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(40)),
        sa.Column("error", sa.Text()),
        sa.Column("finished_at", sa.DateTime()),
    )
    op.create_index("ix_batch_files_claimable", "batch_files", ["status", "lease_until"])


def downgrade() -> None:
    op.drop_table("batch_files")
    op.drop_table("batch_jobs")
