"""finding people: owners by whole pinyin, phones and ID numbers by their last four characters

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 06:00:00.000000

The last-four indexes are on an expression (SQLite `substr(col, -4)`, PostgreSQL `right(col, 4)`), which
the models cannot declare for both databases alike: they live here, and crm.estate.search writes its
conditions in the same form so that each database uses them.
"""
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

TAILS = (("owners", "phone"), ("owners", "id_number"), ("callers", "phone"))


def _tail(column: str) -> str:
    return f"right({column}, 4)" if op.get_bind().dialect.name == "postgresql" else f"substr({column}, -4)"


def upgrade() -> None:
    with op.batch_alter_table('owners', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_owners_name_pinyin'), ['name_pinyin'], unique=False)
    for table, column in TAILS:
        op.execute(f"CREATE INDEX ix_{table}_{column}_tail ON {table} ({_tail(column)})")


def downgrade() -> None:
    for table, column in TAILS:
        op.execute(f"DROP INDEX ix_{table}_{column}_tail")
    with op.batch_alter_table('owners', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_owners_name_pinyin'))
