"""every process instance is a request: the request index's kind holds any process key

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 03:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("request_index", schema=None) as batch_op:
        batch_op.alter_column(
            "kind", existing_type=sa.String(length=30), type_=sa.String(length=200), existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("request_index", schema=None) as batch_op:
        batch_op.alter_column(
            "kind", existing_type=sa.String(length=200), type_=sa.String(length=30), existing_nullable=False
        )
