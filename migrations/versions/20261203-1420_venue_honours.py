"""venue and honours: the 六有 checklist of a venue with its photos, and nominations for the
committee's honours with its decision

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03 14:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0025'
down_revision: str | None = '0024'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('venue_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('item', sa.Enum('site', 'facilities', 'signage', 'party_flag', 'reading', 'rules', name='venue_item', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('met', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('checked_by_account_id', sa.Integer(), nullable=True),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['checked_by_account_id'], ['accounts.id'], name=op.f('fk_venue_items_checked_by_account_id_accounts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_venue_items_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_venue_items')),
    sa.UniqueConstraint('org_id', 'item', name=op.f('uq_venue_items_org_id_item')),
    sqlite_autoincrement=True
    )
    op.create_table('venue_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('item', sa.Enum('site', 'facilities', 'signage', 'party_flag', 'reading', 'rules', name='venue_item', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('storage_key', sa.String(length=300), nullable=False),
    sa.Column('uploaded_by_account_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_venue_photos_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_account_id'], ['accounts.id'], name=op.f('fk_venue_photos_uploaded_by_account_id_accounts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_venue_photos')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('venue_photos', schema=None) as batch_op:
        batch_op.create_index('ix_venue_photos_org_id_item', ['org_id', 'item'], unique=False)

    op.create_table('honour_nominations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('double_strong_branch', 'double_strong_member', 'model_post', name='honour_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('subject_org_id', sa.Integer(), nullable=True),
    sa.Column('subject_member_id', sa.Integer(), nullable=True),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('committee_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('nominated_by_account_id', sa.Integer(), nullable=True),
    sa.Column('nominated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('pending', 'approved', 'rejected', name='nomination_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('decision_reason', sa.String(length=500), nullable=True),
    sa.Column('decided_by_account_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('(subject_org_id IS NULL) <> (subject_member_id IS NULL)', name=op.f('ck_honour_nominations_one_subject')),
    sa.CheckConstraint('year >= 2000 AND year <= 2100', name=op.f('ck_honour_nominations_year_range')),
    sa.ForeignKeyConstraint(['committee_id'], ['organizations.id'], name=op.f('fk_honour_nominations_committee_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_account_id'], ['accounts.id'], name=op.f('fk_honour_nominations_decided_by_account_id_accounts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['nominated_by_account_id'], ['accounts.id'], name=op.f('fk_honour_nominations_nominated_by_account_id_accounts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_honour_nominations_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subject_member_id'], ['members.id'], name=op.f('fk_honour_nominations_subject_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subject_org_id'], ['organizations.id'], name=op.f('fk_honour_nominations_subject_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_honour_nominations')),
    sa.UniqueConstraint('kind', 'year', 'subject_member_id', name=op.f('uq_honour_nominations_kind_year_subject_member_id')),
    sa.UniqueConstraint('kind', 'year', 'subject_org_id', name=op.f('uq_honour_nominations_kind_year_subject_org_id')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('honour_nominations', schema=None) as batch_op:
        batch_op.create_index('ix_honour_nominations_committee_id_year', ['committee_id', 'year'], unique=False)
        batch_op.create_index(batch_op.f('ix_honour_nominations_org_id'), ['org_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('honour_nominations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_honour_nominations_org_id'))
        batch_op.drop_index('ix_honour_nominations_committee_id_year')

    op.drop_table('honour_nominations')
    with op.batch_alter_table('venue_photos', schema=None) as batch_op:
        batch_op.drop_index('ix_venue_photos_org_id_item')

    op.drop_table('venue_photos')
    op.drop_table('venue_items')
