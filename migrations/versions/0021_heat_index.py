"""heat index: the open tasks and the completed steps of a process, for the process heatmap

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 07:20:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        'ix_human_tasks_process_open',
        'human_tasks',
        ['process_key', 'state', 'kind', 'element_id', 'due_at'],
        unique=False,
    )
    op.create_index(
        'ix_kpi_steps_heat',
        'kpi_steps',
        ['process_key', 'completed_day'],
        unique=False,
        postgresql_include=['element_id', 'state', 'has_deadline', 'late', 'spent_s', 'spent_work_s'],
    )


    op.create_index(
        'ix_human_tasks_open_queue',
        'human_tasks',
        ['department', 'due_at'],
        unique=False,
        postgresql_include=['kind', 'escalation_level', 'waiting_since'],
        postgresql_where=sa.text("state = 'open'"),
        sqlite_where=sa.text("state = 'open'"),
    )


def downgrade() -> None:
    op.drop_index('ix_human_tasks_open_queue', table_name='human_tasks')
    op.drop_index('ix_kpi_steps_heat', table_name='kpi_steps')
    op.drop_index('ix_human_tasks_process_open', table_name='human_tasks')
