"""The relying-party register: registered clients with hashed secrets and exact redirect URIs.

Revision ID: 0003
Revises: 0002
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('clients',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=True),
    sa.Column('token_endpoint_auth_method', sa.Enum('client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none', name='auth_method', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('redirect_uris', sa.JSON(), nullable=False),
    sa.Column('post_logout_redirect_uris', sa.JSON(), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('grant_types', sa.JSON(), nullable=False),
    sa.Column('jwks_json', sa.Text(), nullable=True),
    sa.Column('id_token_signed_response_alg', sa.Enum('RS256', 'ES256', 'EdDSA', name='id_token_alg', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('require_pkce', sa.Boolean(), nullable=False),
    sa.Column('sector', sa.String(length=255), nullable=True),
    sa.Column('backchannel_logout_uri', sa.String(length=2000), nullable=True),
    sa.Column('first_party', sa.Boolean(), nullable=False),
    sa.Column('restricted_scopes_approved_by', sa.String(length=100), nullable=True),
    sa.Column('restricted_scopes_approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.Enum('active', 'suspended', name='client_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('status_reason', sa.String(length=500), nullable=True),
    sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(secret_hash IS NOT NULL) = (token_endpoint_auth_method IN ('client_secret_basic', 'client_secret_post'))", name=op.f('ck_clients_secret_only_for_secret_methods')),
    sa.CheckConstraint("status = 'active' OR status_reason IS NOT NULL", name=op.f('ck_clients_suspension_has_reason')),
    sa.CheckConstraint("token_endpoint_auth_method <> 'none' OR require_pkce", name=op.f('ck_clients_public_clients_use_pkce')),
    sa.CheckConstraint('(restricted_scopes_approved_by IS NULL) = (restricted_scopes_approved_at IS NULL)', name=op.f('ck_clients_approval_complete')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clients')),
    sa.UniqueConstraint('client_id', name=op.f('uq_clients_client_id'))
    )


def downgrade() -> None:
    op.drop_table('clients')
