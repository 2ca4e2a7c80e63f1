"""migration runs: moving running instances to another version in the background

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03 07:40:00
"""
from alembic import op
import sqlalchemy as sa
import lintel.db
from sqlalchemy.dialects import postgresql


revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('migration_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('process_key', sa.String(length=200), nullable=False),
    sa.Column('from_definition_id', sa.Integer(), nullable=False),
    sa.Column('to_definition_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('work', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=True),
    sa.Column('created_at', lintel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', lintel.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['from_definition_id'], ['process_definitions.id'], name=op.f('fk_migration_runs_from_definition_id_process_definitions')),
    sa.ForeignKeyConstraint(['to_definition_id'], ['process_definitions.id'], name=op.f('fk_migration_runs_to_definition_id_process_definitions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_migration_runs'))
    )
    with op.batch_alter_table('migration_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_migration_runs_process_key'), ['process_key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('migration_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_migration_runs_process_key'))
    op.drop_table('migration_runs')
