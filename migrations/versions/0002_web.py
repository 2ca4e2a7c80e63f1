"""web workplace: request index, saved filters, comments, attachments, throttling, portal ratings

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 11:05:38.686556
"""
from alembic import op
import sqlalchemy as sa
import lintel.db
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('throttle_attempts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('scope', sa.String(length=30), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('at', lintel.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_throttle_attempts'))
    )
    with op.batch_alter_table('throttle_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_throttle_attempts_scope_key_at', ['scope', 'key', 'at'], unique=False)

    op.create_table('saved_filters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('department', sa.String(length=64), nullable=True),
    sa.Column('query', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', lintel.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['department'], ['departments.code'], name=op.f('fk_saved_filters_department_departments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_filters'))
    )
    with op.batch_alter_table('saved_filters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saved_filters_department'), ['department'], unique=False)
        batch_op.create_index(batch_op.f('ix_saved_filters_username'), ['username'], unique=False)

    op.create_table('attachments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('instance_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('task_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('field', sa.String(length=100), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('stored_name', sa.String(length=100), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('uploaded_by', sa.String(length=100), nullable=False),
    sa.Column('uploaded_at', lintel.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instances.id'], name=op.f('fk_attachments_instance_id_process_instances'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments')),
    sa.UniqueConstraint('token', name=op.f('uq_attachments_token'))
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachments_instance_id'), ['instance_id'], unique=False)

    op.create_table('comments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('instance_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('task_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('author', sa.String(length=100), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', lintel.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instances.id'], name=op.f('fk_comments_instance_id_process_instances'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comments'))
    )
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comments_instance_id'), ['instance_id'], unique=False)

    op.create_table('request_index',
    sa.Column('instance_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('record_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('number', sa.String(length=30), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('owner_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('owner_name', sa.String(length=100), nullable=True),
    sa.Column('owner_phone', sa.String(length=30), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('unit_label', sa.String(length=200), nullable=True),
    sa.Column('project', sa.String(length=50), nullable=True),
    sa.Column('category', sa.String(length=30), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('step', sa.String(length=200), nullable=True),
    sa.Column('created_at', lintel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', lintel.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instances.id'], name=op.f('fk_request_index_instance_id_process_instances'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('instance_id', name=op.f('pk_request_index'))
    )
    with op.batch_alter_table('request_index', schema=None) as batch_op:
        batch_op.create_index('ix_request_index_number', ['number'], unique=False, postgresql_ops={'number': 'varchar_pattern_ops'})
        batch_op.create_index('ix_request_index_owner_id', ['owner_id'], unique=False)
        batch_op.create_index('ix_request_index_open_project_category', ['status', 'project', 'category'], unique=False)
        batch_op.create_index('ix_request_index_unit_id', ['unit_id'], unique=False)

    # Complaints registered before this revision get their index rows.
    op.execute(
        """
        INSERT INTO request_index (instance_id, kind, record_id, number, title, owner_id, owner_name,
                                   owner_phone, unit_id, unit_label, project, category, status, step,
                                   created_at, closed_at)
        SELECT c.instance_id, 'complaint', c.id, c.number, substr(c.description, 1, 60), o.id, o.name,
               o.phone, u.id, p.name || ' ' || b.name || ' ' || u.number, p.code, c.category,
               CASE c.status WHEN 'closed' THEN 'closed' WHEN 'error' THEN 'error' ELSE 'open' END,
               NULL, c.created_at, c.closed_at
        FROM complaints c
        JOIN owners o ON o.id = c.owner_id
        LEFT JOIN units u ON u.id = c.unit_id
        LEFT JOIN buildings b ON b.id = u.building_id
        LEFT JOIN projects p ON p.id = b.project_id
        WHERE c.instance_id IS NOT NULL
        """
    )

    op.create_table('request_ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('rated_at', lintel.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instances.id'], name=op.f('fk_request_ratings_instance_id_process_instances'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_ratings')),
    sa.UniqueConstraint('instance_id', name=op.f('uq_request_ratings_instance_id'))
    )


def downgrade() -> None:
    op.drop_table('request_ratings')
    with op.batch_alter_table('request_index', schema=None) as batch_op:
        batch_op.drop_index('ix_request_index_unit_id')
        batch_op.drop_index('ix_request_index_open_project_category')
        batch_op.drop_index('ix_request_index_owner_id')
        batch_op.drop_index('ix_request_index_number', postgresql_ops={'number': 'varchar_pattern_ops'})

    op.drop_table('request_index')
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comments_instance_id'))

    op.drop_table('comments')
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachments_instance_id'))

    op.drop_table('attachments')
    with op.batch_alter_table('saved_filters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_saved_filters_username'))
        batch_op.drop_index(batch_op.f('ix_saved_filters_department'))

    op.drop_table('saved_filters')
    with op.batch_alter_table('throttle_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_throttle_attempts_scope_key_at')

    op.drop_table('throttle_attempts')
