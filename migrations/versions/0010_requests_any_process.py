"""every process instance is a request: the request index's kind holds any process key

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 03:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("request_index", schema=None) as batch_op:
        batch_op.alter_column(
            "kind", existing_type=sa.String(length=30), type_=sa.String(length=200), existing_nullable=False
        )
    # Instances of other processes started before every instance was a request get their row: numbered by
    # their business key (or P-<id>), titled with their process's name.
    op.execute(
        "INSERT INTO request_index (instance_id, kind, number, title, status, created_at, closed_at) "
        "SELECT i.id, i.process_key, substr(coalesce(i.business_key, 'P-' || i.id), 1, 30), d.name, "
        "CASE i.status WHEN 'running' THEN 'open' WHEN 'completed' THEN 'closed' ELSE i.status END, "
        "i.started_at, i.completed_at "
        "FROM process_instances i JOIN process_definitions d ON d.id = i.definition_id "
        "WHERE NOT EXISTS (SELECT 1 FROM request_index r WHERE r.instance_id = i.id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("request_index", schema=None) as batch_op:
        batch_op.alter_column(
            "kind", existing_type=sa.String(length=200), type_=sa.String(length=30), existing_nullable=False
        )
