"""heat version index: one version's live instances and its open tasks from the indexes alone (the heatmap of
one version at a million requests)

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-03 13:40:00
"""
from alembic import op

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        'ix_process_instances_definition_live',
        'process_instances',
        ['definition_id', 'status'],
        unique=False,
        postgresql_include=['id'],
    )
    op.drop_index('ix_process_instances_definition_id', table_name='process_instances')
    op.drop_index('ix_human_tasks_process_open', table_name='human_tasks')
    op.create_index(
        'ix_human_tasks_process_open',
        'human_tasks',
        ['process_key', 'state', 'kind', 'element_id', 'due_at'],
        unique=False,
        postgresql_include=['instance_id'],
    )


def downgrade() -> None:
    op.drop_index('ix_human_tasks_process_open', table_name='human_tasks')
    op.create_index(
        'ix_human_tasks_process_open',
        'human_tasks',
        ['process_key', 'state', 'kind', 'element_id', 'due_at'],
        unique=False,
    )
    op.create_index(
        'ix_process_instances_definition_id', 'process_instances', ['definition_id'], unique=False
    )
    op.drop_index('ix_process_instances_definition_live', table_name='process_instances')
