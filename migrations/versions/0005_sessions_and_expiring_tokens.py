"""server-side sessions; API tokens with a name and an expiry

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 00:20:00

Tokens issued before this revision were already stored as SHA-256 hashes; they keep working, named
"升级前签发", and expire 90 days after the upgrade.
"""
from datetime import UTC, datetime, timedelta

from alembic import op
import sqlalchemy as sa
import lintel.db


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('user_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', lintel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', lintel.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_user_sessions_key_hash'))
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_sessions_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name', sa.String(length=100), server_default='', nullable=False))
        batch_op.add_column(sa.Column('expires_at', lintel.db.UTCDateTime(timezone=True), nullable=True))

    tokens = sa.table(
        'api_tokens',
        sa.column('name', sa.String()),
        sa.column('expires_at', lintel.db.UTCDateTime(timezone=True)),
    )
    op.execute(
        tokens.update().values(name='升级前签发', expires_at=datetime.now(UTC) + timedelta(days=90))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.alter_column('expires_at', existing_type=lintel.db.UTCDateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
        batch_op.drop_column('name')

    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_sessions_user_id'))

    op.drop_table('user_sessions')
