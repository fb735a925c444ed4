"""Logout: the outbox of back-channel logout tokens, front-channel logout URIs, the ``sid`` a grant was
issued under (kept when the grant moves to a newer session of the same citizen), and the sweeper's indexes
of open sessions.

Revision ID: 0009
Revises: 0008
"""

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('logout_notices',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('uri', sa.String(length=2000), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('sid', sa.String(length=43), nullable=True),
    sa.Column('reason', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('abandoned_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_logout_notices_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_logout_notices'))
    )
    with op.batch_alter_table('logout_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_logout_notices_client_id'), ['client_id'], unique=False)
        batch_op.create_index('ix_logout_notices_due', ['delivered_at', 'abandoned_at', 'next_attempt_at'], unique=False)

    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('frontchannel_logout_uri', sa.String(length=2000), nullable=True))

    with op.batch_alter_table('grants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sid', sa.String(length=43), nullable=True))
    op.execute("UPDATE grants SET sid = (SELECT sid FROM sso_sessions WHERE sso_sessions.id = grants.session_id)")

    with op.batch_alter_table('sso_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_sso_sessions_open_expires', ['expires_at'], unique=False, sqlite_where=sa.text('ended_at IS NULL'), postgresql_where=sa.text('ended_at IS NULL'))
        batch_op.create_index('ix_sso_sessions_open_last_seen', ['last_seen_at'], unique=False, sqlite_where=sa.text('ended_at IS NULL'), postgresql_where=sa.text('ended_at IS NULL'))


def downgrade() -> None:
    with op.batch_alter_table('sso_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_sso_sessions_open_last_seen', sqlite_where=sa.text('ended_at IS NULL'), postgresql_where=sa.text('ended_at IS NULL'))
        batch_op.drop_index('ix_sso_sessions_open_expires', sqlite_where=sa.text('ended_at IS NULL'), postgresql_where=sa.text('ended_at IS NULL'))

    with op.batch_alter_table('grants', schema=None) as batch_op:
        batch_op.drop_column('sid')

    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_column('frontchannel_logout_uri')

    with op.batch_alter_table('logout_notices', schema=None) as batch_op:
        batch_op.drop_index('ix_logout_notices_due')
        batch_op.drop_index(batch_op.f('ix_logout_notices_client_id'))

    op.drop_table('logout_notices')
