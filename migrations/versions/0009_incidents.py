"""incidents: where and when an instance failed

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 02:40:00
"""

import sqlalchemy as sa
from alembic import op

import lintel.db

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("process_instances", schema=None) as batch_op:
        batch_op.add_column(sa.Column("error_element", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("failed_at", lintel.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_process_instances_status_failed", ["status", "failed_at"], unique=False)
    # Instances that failed before this version: since their last change, their open rows closed as they
    # would be now (a failed instance's steps can never be completed).
    op.execute("UPDATE process_instances SET failed_at = updated_at WHERE status = 'error'")
    op.execute(
        "UPDATE human_tasks SET state = 'cancelled', completed_at = "
        "(SELECT p.updated_at FROM process_instances p WHERE p.id = human_tasks.instance_id) "
        "WHERE state = 'open' AND instance_id IN (SELECT id FROM process_instances WHERE status = 'error')"
    )


def downgrade() -> None:
    with op.batch_alter_table("process_instances", schema=None) as batch_op:
        batch_op.drop_index("ix_process_instances_status_failed")
        batch_op.drop_column("failed_at")
        batch_op.drop_column("error_element")
