"""kpi speed: the counters per day for each category × project, for the heat table and two-slice figures

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03 12:30:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('kpi_pairs',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('process_key', sa.String(length=200), nullable=False),
    sa.Column('category', sa.String(length=50), nullable=False),
    sa.Column('project', sa.String(length=50), nullable=False),
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
    sa.PrimaryKeyConstraint('day', 'process_key', 'category', 'project', name=op.f('pk_kpi_pairs'))
    )


def downgrade() -> None:
    op.drop_table('kpi_pairs')
