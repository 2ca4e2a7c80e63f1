"""the homebuilder's records: phases, layouts, contracts, contractors, callers, co-owners, personal-data access

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 05:27:23.530168
"""
from alembic import op
import sqlalchemy as sa
import lintel.db
from sqlalchemy.dialects import postgresql
from pypinyin import lazy_pinyin
import re

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('contractors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('contact_name', sa.String(length=100), nullable=True),
    sa.Column('phone', sa.String(length=30), nullable=True),
    sa.Column('trades', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), server_default='1', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contractors')),
    sa.UniqueConstraint('name', name=op.f('uq_contractors_name'))
    )
    op.create_table('personal_data_access',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', lintel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('owner_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('what', sa.String(length=30), nullable=False),
    sa.Column('via', sa.String(length=30), nullable=False),
    sa.Column('detail', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_personal_data_access'))
    )
    with op.batch_alter_table('personal_data_access', schema=None) as batch_op:
        batch_op.create_index('ix_personal_data_access_at', ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_personal_data_access_owner_id'), ['owner_id'], unique=False)

    op.create_table('layouts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('rooms', sa.JSON(), nullable=False),
    sa.Column('floor_plan', sa.String(length=100), nullable=True),
    sa.Column('floor_plan_type', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_layouts_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_layouts')),
    sa.UniqueConstraint('project_id', 'name', name=op.f('uq_layouts_project_id_name'))
    )
    with op.batch_alter_table('layouts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_layouts_project_id'), ['project_id'], unique=False)

    op.create_table('project_phases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_phases_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_phases')),
    sa.UniqueConstraint('project_id', 'name', name=op.f('uq_project_phases_project_id_name'))
    )
    with op.batch_alter_table('project_phases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_phases_project_id'), ['project_id'], unique=False)

    op.create_table('callers',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=30), nullable=False),
    sa.Column('relation', sa.String(length=20), nullable=False),
    sa.Column('created_at', lintel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_callers_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callers'))
    )
    with op.batch_alter_table('callers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_callers_phone'), ['phone'], unique=False)
        batch_op.create_index(batch_op.f('ix_callers_unit_id'), ['unit_id'], unique=False)

    op.create_table('contracts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=50), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('signed_on', sa.Date(), nullable=False),
    sa.Column('planned_handover_on', sa.Date(), nullable=True),
    sa.Column('handed_over_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('cancelled_on', sa.Date(), nullable=True),
    sa.Column('created_at', lintel.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_contracts_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contracts')),
    sa.UniqueConstraint('number', name=op.f('uq_contracts_number'))
    )
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contracts_unit_id'), ['unit_id'], unique=False)

    with op.batch_alter_table('buildings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phase_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_buildings_phase_id'), ['phase_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_buildings_phase_id_project_phases'), 'project_phases', ['phase_id'], ['id'])

    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('caller_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.alter_column('owner_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_complaints_caller_id'), ['caller_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_complaints_caller_id_callers'), 'callers', ['caller_id'], ['id'])

    with op.batch_alter_table('owners', schema=None) as batch_op:
        batch_op.add_column(sa.Column('id_number', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('name_initials', sa.String(length=100), server_default='', nullable=False))
        batch_op.add_column(sa.Column('name_pinyin', sa.String(length=400), server_default='', nullable=False))
        batch_op.add_column(sa.Column('created_at', lintel.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_owners_name_initials'), ['name_initials'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_owners_id_number'), ['id_number'])

    with op.batch_alter_table('ownerships', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_contact', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('contract_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('started_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('ended_on', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_ownerships_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index('ix_ownerships_unit_id_current', ['unit_id', 'ended_on'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_ownerships_contract_id_contracts'), 'contracts', ['contract_id'], ['id'])

    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('floor', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('layout_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('area_m2', sa.Numeric(precision=10, scale=2), nullable=True))
        batch_op.create_index(batch_op.f('ix_units_layout_id'), ['layout_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_units_layout_id_layouts'), 'layouts', ['layout_id'], ['id'])

    # Owners entered before: their pinyin keys, and each unit's one owner is its contact owner.
    bind = op.get_bind()
    owners = sa.table("owners", sa.column("id"), sa.column("name"), sa.column("name_initials"), sa.column("name_pinyin"))
    for owner_id, name in bind.execute(sa.select(owners.c.id, owners.c.name)).all():
        words = [w for chunk in lazy_pinyin(name or "") for w in re.findall(r"[A-Za-z0-9]+", chunk)]
        bind.execute(
            owners.update()
            .where(owners.c.id == owner_id)
            .values(name_initials="".join(w[0] for w in words).lower()[:100], name_pinyin="".join(words).lower()[:400])
        )
    op.execute("UPDATE ownerships SET is_contact = true")


def downgrade() -> None:
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_units_layout_id_layouts'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_units_layout_id'))
        batch_op.drop_column('area_m2')
        batch_op.drop_column('layout_id')
        batch_op.drop_column('floor')

    with op.batch_alter_table('ownerships', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_ownerships_contract_id_contracts'), type_='foreignkey')
        batch_op.drop_index('ix_ownerships_unit_id_current')
        batch_op.drop_index(batch_op.f('ix_ownerships_contract_id'))
        batch_op.drop_column('ended_on')
        batch_op.drop_column('started_on')
        batch_op.drop_column('contract_id')
        batch_op.drop_column('is_contact')

    with op.batch_alter_table('owners', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_owners_id_number'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_owners_name_initials'))
        batch_op.drop_column('created_at')
        batch_op.drop_column('name_pinyin')
        batch_op.drop_column('name_initials')
        batch_op.drop_column('id_number')

    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_complaints_caller_id_callers'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_complaints_caller_id'))
        batch_op.alter_column('owner_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('caller_id')

    with op.batch_alter_table('buildings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_buildings_phase_id_project_phases'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_buildings_phase_id'))
        batch_op.drop_column('phase_id')

    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contracts_unit_id'))

    op.drop_table('contracts')
    with op.batch_alter_table('callers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_callers_unit_id'))
        batch_op.drop_index(batch_op.f('ix_callers_phone'))

    op.drop_table('callers')
    with op.batch_alter_table('project_phases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_phases_project_id'))

    op.drop_table('project_phases')
    with op.batch_alter_table('layouts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_layouts_project_id'))

    op.drop_table('layouts')
    with op.batch_alter_table('personal_data_access', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_personal_data_access_owner_id'))
        batch_op.drop_index('ix_personal_data_access_at')

    op.drop_table('personal_data_access')
    op.drop_table('contractors')
