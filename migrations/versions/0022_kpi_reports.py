"""kpi_reports: the monthly report of each month; outbox_files: attachments of outbox messages

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 07:30:00.000000
"""
from alembic import op
import sqlalchemy as sa
import lintel.db


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('kpi_reports',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('created_at', lintel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('sent_at', lintel.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kpi_reports')),
    sa.UniqueConstraint('month', name='uq_kpi_reports_month')
    )
    op.create_table('outbox_files',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('message_key', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_files'))
    )
    with op.batch_alter_table('outbox_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_files_message_key'), ['message_key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_files_message_key'))
    op.drop_table('outbox_files')
    op.drop_table('kpi_reports')
