"""Persons: no index on the search key (name search scans it anyway), a partial unique index on source_ref.

Revision ID: 0006
Revises: 0005
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.drop_constraint('uq_persons_source_ref', type_='unique')
        batch_op.drop_index('ix_persons_name_key')
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.create_index(
            'uq_persons_source_ref',
            ['source_ref'],
            unique=True,
            sqlite_where=sa.text('source_ref IS NOT NULL'),
            postgresql_where=sa.text('source_ref IS NOT NULL'),
        )


def downgrade() -> None:
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.drop_index('uq_persons_source_ref')
        batch_op.create_index('ix_persons_name_key', ['name_key'], unique=False)
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_persons_source_ref', ['source_ref'])
