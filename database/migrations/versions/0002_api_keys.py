"""API keys, and the key that created each batch job.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("salt", sa.String(64), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("languages", sa.JSON()),
        sa.Column("surfaces", sa.JSON()),
        sa.Column("requests_per_minute", sa.Integer()),
        sa.Column("audio_seconds_per_hour", sa.Float()),
        sa.Column("max_streams", sa.Integer()),
        sa.Column("max_batch_jobs", sa.Integer()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime()),
    )
    with op.batch_alter_table("batch_jobs") as batch:
        batch.add_column(sa.Column("key_id", sa.String(40)))
        batch.create_index("ix_batch_jobs_key_id", ["key_id"])


def downgrade() -> None:
    with op.batch_alter_table("batch_jobs") as batch:
        batch.drop_index("ix_batch_jobs_key_id")
        batch.drop_column("key_id")
    op.drop_table("api_keys")
