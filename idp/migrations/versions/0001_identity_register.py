"""The identity register: persons, PIN history, citizen cards and the audit trail.

Revision ID: 0001
Revises:
"""

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_events',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=100), nullable=False),
    sa.Column('subject', sa.String(length=100), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_events')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_events_hash'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_subject'), ['subject'], unique=False)

    audit_head = op.create_table('audit_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    # The chain starts from a fixed genesis hash; every append locks and advances this one row.
    op.bulk_insert(audit_head, [{"id": 1, "seq": 0, "hash": "0" * 64}])
    op.create_table('persons',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('pin', sa.String(length=12), nullable=False),
    sa.Column('pin_problems', sa.String(length=200), nullable=True),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('family_name', sa.String(length=100), nullable=True),
    sa.Column('middle_name', sa.String(length=100), nullable=True),
    sa.Column('given_name', sa.String(length=100), nullable=True),
    sa.Column('name_key', sa.String(length=200), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('sex', sa.Enum('male', 'female', name='sex', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('birth_place', sa.String(length=3), nullable=False),
    sa.Column('nationality', sa.String(length=2), nullable=False),
    sa.Column('place_of_origin', sa.String(length=300), nullable=True),
    sa.Column('residence', sa.String(length=300), nullable=True),
    sa.Column('status', sa.Enum('active', 'suspended', 'revoked', 'deceased', name='person_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('status_reason', sa.String(length=500), nullable=True),
    sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('died_on', sa.Date(), nullable=True),
    sa.Column('source_ref', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(birth_place) = 3', name=op.f('ck_persons_birth_place_length')),
    sa.CheckConstraint('length(pin) = 12', name=op.f('ck_persons_pin_length')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_persons')),
    sa.UniqueConstraint('pin', name=op.f('uq_persons_pin')),
    sa.UniqueConstraint('source_ref', name=op.f('uq_persons_source_ref'))
    )
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.create_index('ix_persons_name_key', ['name_key'], unique=False)

    op.create_table('citizen_cards',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('number', sa.String(length=12), nullable=False),
    sa.Column('legacy_number', sa.String(length=9), nullable=True),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('authority', sa.String(length=200), nullable=False),
    sa.Column('status', sa.Enum('valid', 'closed', name='card_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('close_reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_citizen_cards_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_citizen_cards'))
    )
    with op.batch_alter_table('citizen_cards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_citizen_cards_legacy_number'), ['legacy_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_citizen_cards_number'), ['number'], unique=False)
        batch_op.create_index(batch_op.f('ix_citizen_cards_person_id'), ['person_id'], unique=False)
        batch_op.create_index('uq_citizen_cards_one_valid_per_person', ['person_id'], unique=True, sqlite_where=sa.text("status = 'valid'"), postgresql_where=sa.text("status = 'valid'"))

    op.create_table('pin_changes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('old_pin', sa.String(length=12), nullable=False),
    sa.Column('new_pin', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_pin_changes_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pin_changes')),
    sa.UniqueConstraint('old_pin', name=op.f('uq_pin_changes_old_pin'))
    )
    with op.batch_alter_table('pin_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pin_changes_person_id'), ['person_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('pin_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pin_changes_person_id'))

    op.drop_table('pin_changes')
    with op.batch_alter_table('citizen_cards', schema=None) as batch_op:
        batch_op.drop_index('uq_citizen_cards_one_valid_per_person', sqlite_where=sa.text("status = 'valid'"), postgresql_where=sa.text("status = 'valid'"))
        batch_op.drop_index(batch_op.f('ix_citizen_cards_person_id'))
        batch_op.drop_index(batch_op.f('ix_citizen_cards_number'))
        batch_op.drop_index(batch_op.f('ix_citizen_cards_legacy_number'))

    op.drop_table('citizen_cards')
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.drop_index('ix_persons_name_key')

    op.drop_table('persons')
    op.drop_table('audit_head')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_subject'))
        batch_op.drop_index(batch_op.f('ix_audit_events_action'))

    op.drop_table('audit_events')
