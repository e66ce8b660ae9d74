"""Videos, indexing jobs and search terms.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "videos",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(1024), nullable=False),
        sa.Column("description", sa.Text()),
        sa.Column("privacy_mode", sa.String(16), nullable=False),
        sa.Column("external_id", sa.String(1024)),
        sa.Column("metadata", sa.Text()),
        sa.Column("partition", sa.String(1024)),
        sa.Column("callback_url", sa.Text()),
        sa.Column("language", sa.String(32), nullable=False),
        sa.Column("excluded_ai", sa.Text()),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("processing_progress", sa.Integer(), nullable=False),
        sa.Column("failure_code", sa.String(64), nullable=False),
        sa.Column("failure_message", sa.Text(), nullable=False),
        sa.Column("file_name", sa.String(1024), nullable=False),
        sa.Column("media_file", sa.String(1024), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("duration_seconds", sa.Float()),
        sa.Column("thumbnail_id", sa.String(64)),
        sa.Column("index_doc", sa.JSON()),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_modified", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_indexed", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_videos_account_id", "videos", ["account_id"])
    op.create_index("ix_videos_account_created", "videos", ["account_id", "created"])

    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("video_id", sa.String(32), sa.ForeignKey("videos.id", ondelete="CASCADE"), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(128)),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("error", sa.Text()),
    )
    op.create_index("ix_jobs_video_id", "jobs", ["video_id"])
    op.create_index("ix_jobs_state", "jobs", ["state"])

    op.create_table(
        "search_terms",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("video_id", sa.String(32), sa.ForeignKey("videos.id", ondelete="CASCADE"), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("language", sa.String(32), nullable=False),
        sa.Column("label_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(512), nullable=False),
        sa.Column("norm", sa.String(512), nullable=False),
    )
    op.create_index("ix_search_terms_video_id", "search_terms", ["video_id"])
    op.create_index("ix_search_terms_account_id", "search_terms", ["account_id"])


def downgrade() -> None:
    op.drop_table("search_terms")
    op.drop_table("jobs")
    op.drop_table("videos")
