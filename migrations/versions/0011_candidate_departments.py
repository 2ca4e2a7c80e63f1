"""further candidate departments of a human task (candidateGroups naming several departments)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 03:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "human_task_candidates",
        sa.Column("task_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=False),
        sa.Column("open", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["human_tasks.id"], name=op.f("fk_human_task_candidates_task_id_human_tasks")
        ),
        sa.PrimaryKeyConstraint("task_id", "department", name=op.f("pk_human_task_candidates")),
    )
    op.create_index(
        "ix_human_task_candidates_queue",
        "human_task_candidates",
        ["department", "open", "task_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_human_task_candidates_queue", table_name="human_task_candidates")
    op.drop_table("human_task_candidates")
