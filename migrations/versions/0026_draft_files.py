"""process_draft_files: the forms and decision tables edited in the studio, saved with the draft

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03 12:30:00
"""
from alembic import op
import sqlalchemy as sa
import lintel.db


revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('process_draft_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('draft_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('updated_at', lintel.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['draft_id'], ['process_drafts.id'], name=op.f('fk_process_draft_files_draft_id_process_drafts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_draft_files')),
    sa.UniqueConstraint('draft_id', 'filename', name=op.f('uq_process_draft_files_draft_id_filename'))
    )
    with op.batch_alter_table('process_draft_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_process_draft_files_draft_id'), ['draft_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('process_draft_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_process_draft_files_draft_id'))
    op.drop_table('process_draft_files')
