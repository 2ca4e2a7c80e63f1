"""kpi speed: the counters per day for every two slices, for the heat table and two-slice figures;
each step's version, for the heatmap of one version

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03 12:30:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('kpi_pairs',
    sa.Column('dim_a', sa.String(length=20), nullable=False),
    sa.Column('dim_b', sa.String(length=20), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('process_key', sa.String(length=200), nullable=False),
    sa.Column('value_a', sa.String(length=64), nullable=False),
    sa.Column('value_b', sa.String(length=64), nullable=False),
    sa.Column('registered', sa.Integer(), nullable=False),
    sa.Column('registered_closed', sa.Integer(), nullable=False),
    sa.Column('closed', sa.Integer(), nullable=False),
    sa.Column('closed_on_time', sa.Integer(), nullable=False),
    sa.Column('closed_reworked', sa.Integer(), nullable=False),
    sa.Column('steps_done', sa.Integer(), nullable=False),
    sa.Column('steps_on_time', sa.Integer(), nullable=False),
    sa.Column('escalations_1', sa.Integer(), nullable=False),
    sa.Column('escalations_2', sa.Integer(), nullable=False),
    sa.Column('escalations_3', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('dim_a', 'dim_b', 'day', 'process_key', 'value_a', 'value_b', name=op.f('pk_kpi_pairs'))
    )
    op.create_table('kpi_pair_months',
    sa.Column('dim_a', sa.String(length=20), nullable=False),
    sa.Column('dim_b', sa.String(length=20), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('process_key', sa.String(length=200), nullable=False),
    sa.Column('value_a', sa.String(length=64), nullable=False),
    sa.Column('value_b', sa.String(length=64), nullable=False),
    sa.Column('registered', sa.Integer(), nullable=False),
    sa.Column('registered_closed', sa.Integer(), nullable=False),
    sa.Column('closed', sa.Integer(), nullable=False),
    sa.Column('closed_on_time', sa.Integer(), nullable=False),
    sa.Column('closed_reworked', sa.Integer(), nullable=False),
    sa.Column('steps_done', sa.Integer(), nullable=False),
    sa.Column('steps_on_time', sa.Integer(), nullable=False),
    sa.Column('escalations_1', sa.Integer(), nullable=False),
    sa.Column('escalations_2', sa.Integer(), nullable=False),
    sa.Column('escalations_3', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('dim_a', 'dim_b', 'month', 'process_key', 'value_a', 'value_b', name=op.f('pk_kpi_pair_months'))
    )
    with op.batch_alter_table('kpi_steps') as batch:
        batch.add_column(sa.Column('definition_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
    # The steps already counted take their request's version (the refresher writes it from now on).
    op.execute(
        'UPDATE kpi_steps SET definition_id = '
        '(SELECT definition_id FROM process_instances WHERE process_instances.id = kpi_steps.instance_id)'
    )
    op.create_index(
        'ix_kpi_steps_heat_version',
        'kpi_steps',
        ['definition_id', 'completed_day'],
        unique=False,
        postgresql_include=['element_id', 'state', 'has_deadline', 'late', 'spent_s', 'spent_work_s'],
    )


def downgrade() -> None:
    op.drop_index('ix_kpi_steps_heat_version', table_name='kpi_steps')
    with op.batch_alter_table('kpi_steps') as batch:
        batch.drop_column('definition_id')
    op.drop_table('kpi_pair_months')
    op.drop_table('kpi_pairs')
