"""the owner's reply on the request index; one satisfaction record per request

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-01 00:40:00
"""

import sqlalchemy as sa
from alembic import op

import lintel.db

revision = "0008"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("request_index", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_reply", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("owner_reply_at", lintel.db.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("request_ratings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=20), server_default="portal", nullable=False))
        batch_op.add_column(sa.Column("recorded_by", sa.String(length=100), nullable=True))
    # A score recorded on the phone becomes the request's one rating, unless the owner rated it themselves.
    op.execute(
        "INSERT INTO request_ratings (instance_id, score, rated_at, source) "
        "SELECT c.instance_id, c.satisfaction, coalesce(c.closed_at, c.created_at), 'phone' FROM complaints c "
        "WHERE c.satisfaction IS NOT NULL AND c.instance_id IS NOT NULL AND NOT EXISTS "
        "(SELECT 1 FROM request_ratings r WHERE r.instance_id = c.instance_id)"
    )
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_column("satisfaction")


def downgrade() -> None:
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.add_column(sa.Column("satisfaction", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE complaints SET satisfaction = (SELECT r.score FROM request_ratings r "
        "WHERE r.instance_id = complaints.instance_id)"
    )
    with op.batch_alter_table("request_ratings", schema=None) as batch_op:
        batch_op.drop_column("recorded_by")
        batch_op.drop_column("source")
    with op.batch_alter_table("request_index", schema=None) as batch_op:
        batch_op.drop_column("owner_reply_at")
        batch_op.drop_column("owner_reply")
