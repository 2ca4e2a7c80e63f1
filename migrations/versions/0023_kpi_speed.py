"""kpi speed: the times of each month, sorted, for the figures of whole months

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03 07:30:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('kpi_times',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('process_key', sa.String(length=200), nullable=False),
    sa.Column('dim', sa.String(length=20), nullable=False),
    sa.Column('value', sa.String(length=64), nullable=False),
    sa.Column('measure', sa.String(length=20), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('times', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('month', 'process_key', 'dim', 'value', 'measure', name=op.f('pk_kpi_times'))
    )


def downgrade() -> None:
    op.drop_table('kpi_times')
