"""timers and escalation

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 11:05:31.747018
"""
from alembic import op
import sqlalchemy as sa
import lintel.db


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('timer_start_schedules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('process_key', sa.String(length=200), nullable=False),
    sa.Column('element_id', sa.String(length=200), nullable=False),
    sa.Column('definition_id', sa.Integer(), nullable=False),
    sa.Column('next_due_at', lintel.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_fired_at', lintel.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_instance_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['definition_id'], ['process_definitions.id'], name=op.f('fk_timer_start_schedules_definition_id_process_definitions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_timer_start_schedules')),
    sa.UniqueConstraint('process_key', 'element_id', name=op.f('uq_timer_start_schedules_process_key_element_id'))
    )
    with op.batch_alter_table('timer_start_schedules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_timer_start_schedules_next_due_at'), ['next_due_at'], unique=False)

    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), server_default='task', nullable=False))
        batch_op.add_column(sa.Column('escalates_task_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.add_column(sa.Column('deadline_clock', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('waiting_since', lintel.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_human_tasks_escalates_task_id'), ['escalates_task_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_human_tasks_escalates_task_id_human_tasks'), 'human_tasks', ['escalates_task_id'], ['id'])

    


def downgrade() -> None:
    
    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_human_tasks_escalates_task_id_human_tasks'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_human_tasks_escalates_task_id'))
        batch_op.drop_column('waiting_since')
        batch_op.drop_column('deadline_clock')
        batch_op.drop_column('escalates_task_id')
        batch_op.drop_column('kind')

    with op.batch_alter_table('timer_start_schedules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_timer_start_schedules_next_due_at'))

    op.drop_table('timer_start_schedules')
    
