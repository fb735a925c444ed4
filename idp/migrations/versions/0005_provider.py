"""Provider state: SSO sessions, authorization codes, grants, refresh tokens, consents, PAR, assertion jtis.

Revision ID: 0005
Revises: 0004
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('pushed_requests',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('parameters', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pushed_requests')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_pushed_requests_key_hash'))
    )
    with op.batch_alter_table('pushed_requests', schema=None) as batch_op:
        batch_op.create_index('ix_pushed_requests_expires_at', ['expires_at'], unique=False)

    op.create_table('revoked_access_tokens',
    sa.Column('jti', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('jti', name=op.f('pk_revoked_access_tokens'))
    )
    with op.batch_alter_table('revoked_access_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_revoked_access_tokens_expires_at'), ['expires_at'], unique=False)

    op.create_table('used_client_assertions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('jti', sa.String(length=200), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_used_client_assertions')),
    sa.UniqueConstraint('client_id', 'jti', name=op.f('uq_used_client_assertions_client_id_jti'))
    )
    with op.batch_alter_table('used_client_assertions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_used_client_assertions_expires_at'), ['expires_at'], unique=False)

    op.create_table('consents',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_consents_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consents')),
    sa.UniqueConstraint('account_id', 'client_id', name=op.f('uq_consents_account_id_client_id'))
    )
    op.create_table('sso_sessions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('sid', sa.String(length=43), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('auth_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acr', sa.String(length=100), nullable=False),
    sa.Column('amr', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_sso_sessions_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sso_sessions')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_sso_sessions_key_hash')),
    sa.UniqueConstraint('sid', name=op.f('uq_sso_sessions_sid'))
    )
    with op.batch_alter_table('sso_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sso_sessions_account_id'), ['account_id'], unique=False)

    op.create_table('grants',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('session_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('claims', sa.Text(), nullable=True),
    sa.Column('auth_time', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acr', sa.String(length=100), nullable=True),
    sa.Column('amr', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoke_reason', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_grants_account_id_accounts')),
    sa.ForeignKeyConstraint(['session_id'], ['sso_sessions.id'], name=op.f('fk_grants_session_id_sso_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grants')),
    sa.UniqueConstraint('key', name=op.f('uq_grants_key'))
    )
    with op.batch_alter_table('grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grants_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grants_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grants_session_id'), ['session_id'], unique=False)

    op.create_table('authorization_codes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('session_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('redirect_uri', sa.Text(), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('nonce', sa.Text(), nullable=True),
    sa.Column('code_challenge', sa.String(length=128), nullable=True),
    sa.Column('code_challenge_method', sa.String(length=10), nullable=True),
    sa.Column('claims', sa.Text(), nullable=True),
    sa.Column('auth_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acr', sa.String(length=100), nullable=False),
    sa.Column('amr', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('grant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_authorization_codes_account_id_accounts')),
    sa.ForeignKeyConstraint(['grant_id'], ['grants.id'], name=op.f('fk_authorization_codes_grant_id_grants')),
    sa.ForeignKeyConstraint(['session_id'], ['sso_sessions.id'], name=op.f('fk_authorization_codes_session_id_sso_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_authorization_codes')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_authorization_codes_code_hash'))
    )
    with op.batch_alter_table('authorization_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_authorization_codes_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_authorization_codes_session_id'), ['session_id'], unique=False)

    op.create_table('refresh_tokens',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('grant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('parent_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['grant_id'], ['grants.id'], name=op.f('fk_refresh_tokens_grant_id_grants')),
    sa.ForeignKeyConstraint(['parent_id'], ['refresh_tokens.id'], name=op.f('fk_refresh_tokens_parent_id_refresh_tokens')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refresh_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_refresh_tokens_token_hash'))
    )
    with op.batch_alter_table('refresh_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refresh_tokens_grant_id'), ['grant_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('refresh_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refresh_tokens_grant_id'))

    op.drop_table('refresh_tokens')
    with op.batch_alter_table('authorization_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_authorization_codes_session_id'))
        batch_op.drop_index(batch_op.f('ix_authorization_codes_account_id'))

    op.drop_table('authorization_codes')
    with op.batch_alter_table('grants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grants_session_id'))
        batch_op.drop_index(batch_op.f('ix_grants_client_id'))
        batch_op.drop_index(batch_op.f('ix_grants_account_id'))

    op.drop_table('grants')
    with op.batch_alter_table('sso_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sso_sessions_account_id'))

    op.drop_table('sso_sessions')
    op.drop_table('consents')
    with op.batch_alter_table('used_client_assertions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_used_client_assertions_expires_at'))

    op.drop_table('used_client_assertions')
    with op.batch_alter_table('revoked_access_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_revoked_access_tokens_expires_at'))

    op.drop_table('revoked_access_tokens')
    with op.batch_alter_table('pushed_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_pushed_requests_expires_at')

    op.drop_table('pushed_requests')
