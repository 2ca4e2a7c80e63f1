"""the files deployed with a definition version: BPMN, DMN and forms

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 02:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "definition_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("definition_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("main", sa.Boolean(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["definition_id"],
            ["process_definitions.id"],
            name=op.f("fk_definition_files_definition_id_process_definitions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_definition_files")),
        sa.UniqueConstraint("definition_id", "filename", name=op.f("uq_definition_files_definition_id_filename")),
    )
    with op.batch_alter_table("definition_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_definition_files_definition_id"), ["definition_id"], unique=False)
    # Versions deployed before bundles: their one BPMN file is the main file of the bundle.
    op.execute(
        "INSERT INTO definition_files (definition_id, filename, kind, main, content) "
        "SELECT id, filename, 'bpmn', true, bpmn_xml FROM process_definitions"
    )


def downgrade() -> None:
    with op.batch_alter_table("definition_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_definition_files_definition_id"))
    op.drop_table("definition_files")
