"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 10:50:58.933945
"""
from alembic import op
import sqlalchemy as sa
import lintel.db
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('departments',
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('manager_username', sa.String(length=100), nullable=True),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_departments')),
    sa.UniqueConstraint('name', name=op.f('uq_departments_name'))
    )
    op.create_table('number_sequences',
    sa.Column('prefix', sa.String(length=10), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('prefix', 'year', name=op.f('pk_number_sequences'))
    )
    op.create_table('owners',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=30), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('tier', sa.String(length=20), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_owners'))
    )
    with op.batch_alter_table('owners', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_owners_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_owners_phone'), ['phone'], unique=False)

    op.create_table('process_definitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('filename', sa.String(length=300), nullable=False),
    sa.Column('checksum', sa.String(length=64), nullable=False),
    sa.Column('bpmn_xml', sa.Text(), nullable=False),
    sa.Column('meta', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('deployed_at', lintel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('deployed_by', sa.String(length=100), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_definitions')),
    sa.UniqueConstraint('key', 'version', name=op.f('uq_process_definitions_key_version'))
    )
    with op.batch_alter_table('process_definitions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_process_definitions_key'), ['key'], unique=False)

    op.create_table('projects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=50), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_projects')),
    sa.UniqueConstraint('code', name=op.f('uq_projects_code'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('roles', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', lintel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', lintel.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('buildings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_buildings_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_buildings')),
    sa.UniqueConstraint('project_id', 'name', name=op.f('uq_buildings_project_id_name'))
    )
    with op.batch_alter_table('buildings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_buildings_project_id'), ['project_id'], unique=False)

    op.create_table('process_instances',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('definition_id', sa.Integer(), nullable=False),
    sa.Column('process_key', sa.String(length=200), nullable=False),
    sa.Column('business_key', sa.String(length=100), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('state', sa.Text(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('started_at', lintel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', lintel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', lintel.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('started_by', sa.String(length=100), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('next_timer_at', lintel.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['definition_id'], ['process_definitions.id'], name=op.f('fk_process_instances_definition_id_process_definitions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_instances'))
    )
    with op.batch_alter_table('process_instances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_process_instances_business_key'), ['business_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_process_instances_definition_id'), ['definition_id'], unique=False)
        batch_op.create_index('ix_process_instances_due', ['next_timer_at', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_process_instances_process_key'), ['process_key'], unique=False)

    op.create_table('user_departments',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('department_code', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['department_code'], ['departments.code'], name=op.f('fk_user_departments_department_code_departments')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_departments_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'department_code', name=op.f('pk_user_departments'))
    )
    op.create_table('human_tasks',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('instance_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('task_guid', sa.String(length=36), nullable=False),
    sa.Column('element_id', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('process_key', sa.String(length=200), nullable=False),
    sa.Column('department', sa.String(length=64), nullable=False),
    sa.Column('assignee', sa.String(length=100), nullable=True),
    sa.Column('form_key', sa.String(length=200), nullable=True),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('due_at', lintel.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', lintel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', lintel.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('completed_by', sa.String(length=100), nullable=True),
    sa.Column('escalation_level', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instances.id'], name=op.f('fk_human_tasks_instance_id_process_instances')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_human_tasks')),
    sa.UniqueConstraint('task_guid', name=op.f('uq_human_tasks_task_guid'))
    )
    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.create_index('ix_human_tasks_assignee', ['assignee', 'state', 'due_at'], unique=False)
        batch_op.create_index('ix_human_tasks_inbox', ['department', 'state', 'due_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_human_tasks_instance_id'), ['instance_id'], unique=False)

    op.create_table('units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=50), nullable=False),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_units_building_id_buildings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_units')),
    sa.UniqueConstraint('building_id', 'number', name=op.f('uq_units_building_id_number'))
    )
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_units_building_id'), ['building_id'], unique=False)

    op.create_table('audit_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('instance_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('task_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('element_id', sa.String(length=200), nullable=True),
    sa.Column('at', lintel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=True),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('from_state', sa.String(length=40), nullable=True),
    sa.Column('to_state', sa.String(length=40), nullable=True),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instances.id'], name=op.f('fk_audit_events_instance_id_process_instances')),
    sa.ForeignKeyConstraint(['task_id'], ['human_tasks.id'], name=op.f('fk_audit_events_task_id_human_tasks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_instance_id'), ['instance_id'], unique=False)

    op.create_table('complaints',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('number', sa.String(length=30), nullable=False),
    sa.Column('instance_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('owner_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.String(length=30), nullable=True),
    sa.Column('severity', sa.String(length=20), nullable=True),
    sa.Column('department', sa.String(length=64), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('created_at', lintel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=True),
    sa.Column('closed_at', lintel.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('satisfaction', sa.Integer(), nullable=True),
    sa.Column('rework_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['department'], ['departments.code'], name=op.f('fk_complaints_department_departments')),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instances.id'], name=op.f('fk_complaints_instance_id_process_instances')),
    sa.ForeignKeyConstraint(['owner_id'], ['owners.id'], name=op.f('fk_complaints_owner_id_owners')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_complaints_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaints')),
    sa.UniqueConstraint('number', name=op.f('uq_complaints_number'))
    )
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaints_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index('ix_complaints_status_created', ['status', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_unit_id'), ['unit_id'], unique=False)

    op.create_table('ownerships',
    sa.Column('owner_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['owners.id'], name=op.f('fk_ownerships_owner_id_owners'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_ownerships_unit_id_units')),
    sa.PrimaryKeyConstraint('owner_id', 'unit_id', name=op.f('pk_ownerships'))
    )
    


def downgrade() -> None:
    
    op.drop_table('ownerships')
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaints_unit_id'))
        batch_op.drop_index('ix_complaints_status_created')
        batch_op.drop_index(batch_op.f('ix_complaints_owner_id'))
        batch_op.drop_index(batch_op.f('ix_complaints_instance_id'))

    op.drop_table('complaints')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_instance_id'))

    op.drop_table('audit_events')
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_units_building_id'))

    op.drop_table('units')
    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_human_tasks_instance_id'))
        batch_op.drop_index('ix_human_tasks_inbox')
        batch_op.drop_index('ix_human_tasks_assignee')

    op.drop_table('human_tasks')
    op.drop_table('user_departments')
    with op.batch_alter_table('process_instances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_process_instances_process_key'))
        batch_op.drop_index('ix_process_instances_due')
        batch_op.drop_index(batch_op.f('ix_process_instances_definition_id'))
        batch_op.drop_index(batch_op.f('ix_process_instances_business_key'))

    op.drop_table('process_instances')
    with op.batch_alter_table('buildings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_buildings_project_id'))

    op.drop_table('buildings')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
    op.drop_table('users')
    op.drop_table('projects')
    with op.batch_alter_table('process_definitions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_process_definitions_key'))

    op.drop_table('process_definitions')
    with op.batch_alter_table('owners', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_owners_phone'))
        batch_op.drop_index(batch_op.f('ix_owners_name'))

    op.drop_table('owners')
    op.drop_table('number_sequences')
    op.drop_table('departments')
    
