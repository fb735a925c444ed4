"""Signing keys: the next/current/retired/removed key pairs and the row that key maintenance locks.

Revision ID: 0002
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('signing_key_lock',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_signing_key_lock_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signing_key_lock'))
    )
    op.create_table('signing_keys',
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('alg', sa.Enum('RS256', 'ES256', 'EdDSA', name='signing_alg', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('state', sa.Enum('next', 'current', 'retired', 'removed', name='signing_key_state', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('public_jwk', sa.Text(), nullable=False),
    sa.Column('sealed_private_key', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('activated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('remove_after', sa.DateTime(timezone=True), nullable=True),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(state = 'removed') = (removed_at IS NOT NULL)", name=op.f('ck_signing_keys_removal_date')),
    sa.CheckConstraint("(state = 'removed') = (sealed_private_key IS NULL)", name=op.f('ck_signing_keys_private_key_until_removed')),
    sa.CheckConstraint("(state IN ('retired', 'removed')) = (retired_at IS NOT NULL AND remove_after IS NOT NULL)", name=op.f('ck_signing_keys_retirement_dates')),
    sa.PrimaryKeyConstraint('kid', name=op.f('pk_signing_keys'))
    )
    with op.batch_alter_table('signing_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signing_keys_state'), ['state'], unique=False)
        # One next and one current key per algorithm; retired and removed keys accumulate.
        batch_op.create_index('uq_signing_keys_one_next_and_current_per_alg', ['alg', 'state'], unique=True, sqlite_where=sa.text("state IN ('next', 'current')"), postgresql_where=sa.text("state IN ('next', 'current')"))



def downgrade() -> None:
    with op.batch_alter_table('signing_keys', schema=None) as batch_op:
        batch_op.drop_index('uq_signing_keys_one_next_and_current_per_alg', sqlite_where=sa.text("state IN ('next', 'current')"), postgresql_where=sa.text("state IN ('next', 'current')"))
        batch_op.drop_index(batch_op.f('ix_signing_keys_state'))

    op.drop_table('signing_keys')
    op.drop_table('signing_key_lock')
