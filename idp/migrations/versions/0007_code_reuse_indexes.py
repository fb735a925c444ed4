"""Authorization codes: indexes for the constant-nonce and constant-PKCE-challenge checks (RFC 9700 R10).

Revision ID: 0007
Revises: 0006
"""

from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('authorization_codes', schema=None) as batch_op:
        batch_op.create_index('ix_authorization_codes_client_nonce', ['client_id', 'nonce'], unique=False)
        batch_op.create_index('ix_authorization_codes_client_challenge', ['client_id', 'code_challenge'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('authorization_codes', schema=None) as batch_op:
        batch_op.drop_index('ix_authorization_codes_client_challenge')
        batch_op.drop_index('ix_authorization_codes_client_nonce')
