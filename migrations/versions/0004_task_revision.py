"""task revision

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 12:13:10.737952
"""
from alembic import op
import sqlalchemy as sa
import lintel.db


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', sa.Integer(), server_default='1', nullable=False))

    


def downgrade() -> None:
    
    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.drop_column('revision')

    
